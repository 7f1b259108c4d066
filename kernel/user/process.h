// A user process, for now exactly one thread: a kernel thread that enters
// user mode and comes back for system calls and faults. No fork, exit
// status delivery or wait yet (issue 5's lifecycle builds on this).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/sched/thread.h"
#include "kernel/vm/address_space.h"

namespace kernel::user {

struct SigAction { // Linux's struct k_sigaction as rt_sigaction passes it
    uint64_t handler, flags, restorer, mask;
};
inline constexpr int kSignals = 64;

struct Process {
    int pid = 0;
    int ppid = 0;
    char name[32] = {};
    vm::AddressSpace* space = nullptr;
    sched::Thread* thread = nullptr;
    uintptr_t entry = 0, initial_sp = 0;

    // Only the process's own thread touches the fields below (no locks).
    uintptr_t brk_start = 0, brk = 0; // program break: [brk_start, page_up(brk)) is mapped
    uintptr_t mmap_floor = 0;         // mmap hands out addresses top-down below this
    uint64_t fs_base = 0;             // thread pointer (arch_prctl ARCH_SET_FS)
    uintptr_t clear_child_tid = 0;    // set_tid_address
    uint64_t sigmask = 0;
    SigAction actions[kSignals] = {};
};

// The process whose thread is running here, or nullptr in a kernel thread.
Process* current_process();

// Loads the executable at `path` from the initramfs and starts it as a new
// process with the given NULL-terminated argv and envp. Returns the pid or a
// negative errno.
long spawn_process(const char* path, const char* const* argv, const char* const* envp);

// Ends the calling process with a Linux wait status (exit code << 8, or the
// signal number). When it is init, the kernel reports the status and powers
// off, as Linux panics when init dies.
[[noreturn]] void exit_process(int wait_status);

// Once on the boot CPU before smp_init: the scheduler's switch hook that
// loads a user thread's address space, entry stack and thread pointer.
void process_init();
// On every CPU before the first process: the arch's user-mode state.
void user_mode_init_all_cpus();

} // namespace kernel::user
