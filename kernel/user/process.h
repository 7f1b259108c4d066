// A user process, for now exactly one thread: a kernel thread that enters
// user mode and comes back for system calls and faults. Its lifecycle (fork,
// exit, reap, wait) lives in kernel/proc/; ARCHITECTURE.md's table "The
// exit -> reap -> wait path" lists each step with its locks.
#pragma once

#include <atomic>
#include <stddef.h>
#include <stdint.h>

#include "arch/fpu.h"
#include "arch/signal.h"
#include "arch/user_frame.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/waitq.h"
#include "kernel/vm/address_space.h"
#include "lockfree/dead_list.h"
#include "lockfree/rcu.h"
#include "lockfree/rcu_hash.h"
#include "smp/spinlock.h"

namespace kernel::user {

struct SigAction { // Linux's struct k_sigaction as rt_sigaction passes it
    uint64_t handler, flags, restorer, mask;
};
inline constexpr int kSignals = 64;
inline constexpr int kMaxFds = 32;
// Signals a new process discards when sent: SIGCHLD, SIGURG, SIGWINCH (SIG_DFL ignores them).
inline constexpr uint64_t kDefaultIgnored =
    (uint64_t(1) << 16) | (uint64_t(1) << 22) | (uint64_t(1) << 27);

struct File; // kernel/user/file.h

// Who sent a pending signal, for its siginfo (everyone is uid 0).
struct SigSource {
    int32_t code = 0; // SI_USER (0), or CLD_* for SIGCHLD
    int32_t pid = 0;
    int32_t status = 0; // SIGCHLD: exit code or signal
};

// What getrusage and wait4 report in struct rusage (only what is tracked;
// kernel/user/rusage.h).
struct RusageLite {
    uint64_t utime_ns = 0, stime_ns = 0;
    uint64_t minflt = 0, nvcsw = 0, nivcsw = 0;
    void add(const RusageLite& o) {
        utime_ns += o.utime_ns;
        stime_ns += o.stime_ns;
        minflt += o.minflt;
        nvcsw += o.nvcsw;
        nivcsw += o.nivcsw;
    }
};

enum class ProcState : uint8_t {
    Live,   // running (or its thread is still on the way out)
    Zombie, // reaped by a reaper: only the exit status is left for wait
};

struct Process;
struct ProcessRcu { // standard layout: the RCU callback gets back to its process
    scythe::lf::RcuHead head;
    Process* owner;
};

struct Process : scythe::lf::RcuHashNode<> {
    int pid = 0;
    std::atomic<int> pgid{0};              // process group: pid of its leader
    std::atomic<Process*> parent{nullptr}; // changes only under the tree locks (reparenting)
    char name[32] = {};
    std::atomic<int> sid{0};               // session: pid of its leader
    std::atomic<bool> did_exec{false};     // since fork (setpgid's EACCES)
    std::atomic<bool> child_subreaper{false}; // prctl(PR_SET_CHILD_SUBREAPER): adopts orphans
    // vfork: the child names its sleeping parent until it execs or exits.
    std::atomic<Process*> vfork_parent{nullptr};
    std::atomic<bool> vfork_pending{false}; // in the parent
    sched::WaitQueue vfork_wait;            // the parent sleeps here
    vm::AddressSpace* space = nullptr;
    sched::Thread* thread = nullptr;
    uintptr_t entry = 0, initial_sp = 0;
    bool forked = false; // starts from user_frame (fork) rather than entry/initial_sp

    // The process tree, under proc::tree_lock(*this) (its own lock, or the
    // seed design's global one): the children list and each child's state.
    smp::SpinLock lock;
    Process* children = nullptr;
    Process* sib_next = nullptr; // in the parent's children list
    Process* sib_prev = nullptr;
    bool orphans_moved = false; // exit moved the children away: adopt no more
    std::atomic<ProcState> state{ProcState::Live};
    int exit_status = 0;       // Linux wait status, written before the process is dead-listed
    RusageLite self;           // its exited threads' usage (exit1 folds the last one in)
    RusageLite children_total; // folded in by its own wait from reaped children

    // Waiting for children: a waiter samples wait_gen, scans, and sleeps until
    // it changes; whoever changes a child's state bumps it and wakes (DragonFly).
    std::atomic<uint32_t> wait_gen{0};
    sched::WaitQueue child_wait;

    // Job control (kernel/proc/jobctl.cpp): what the parent's wait has not
    // been told yet, under tree_lock(*parent) like `state`.
    int stop_report = 0;      // wait status of an unreported stop, or 0
    bool cont_report = false; // an unreported continue

    scythe::lf::DeadListHook<Process> dead_hook; // dead-process list -> reaper
    ProcessRcu rcu{{}, this};                    // freed a grace period after leaving the pid hash

    // Signals (kernel/user/signal.cpp). Senders on any CPU take siglock; the
    // pending and ignored sets are atomics the owner also reads without it.
    smp::SpinLock siglock;
    std::atomic<uint64_t> sig_pending{0};
    std::atomic<uint64_t> sig_ignored{
        kDefaultIgnored};                    // disposition "ignore": senders discard them
    std::atomic<uint64_t> sigmask{0};        // blocked; written only by the owner
    std::atomic<bool> stopped{false};        // set and cleared under siglock
    bool sig_dead = false;                   // under siglock: exiting, no more wakeups
    sched::WaitQueue* sleeping_on = nullptr; // under siglock: an interruptible sleep's queue
    sched::WaitQueue stop_wait;              // where a stopped process sleeps
    SigSource sig_from[kSignals] = {};       // under siglock: who sent each pending signal
    uint64_t saved_sigmask = 0;              // rt_sigsuspend's mask to restore (owner only)
    bool restore_sigmask = false;

    // Only the process's own thread touches the fields below (no locks).
    uintptr_t brk_start = 0, brk = 0; // program break: [brk_start, page_up(brk)) is mapped
    uintptr_t mmap_floor = 0;         // mmap hands out addresses top-down below this
    uint64_t fs_base = 0;             // thread pointer (arch_prctl ARCH_SET_FS)
    uintptr_t clear_child_tid = 0;    // set_tid_address
    SigAction actions[kSignals] = {};
    File* fds[kMaxFds] = {};
    alignas(16) uint8_t user_frame[arch::kUserFrameSize] = {};
    alignas(arch::kFpuStateAlign) uint8_t fpu[arch::kFpuStateSize] = {};
};

// The process whose thread is running here, or nullptr in a kernel thread.
Process* current_process();

// Loads the executable at `path` from the initramfs and starts it as a new
// process with the given NULL-terminated argv and envp. Returns the pid or a
// negative errno.
long spawn_process(const char* path, const char* const* argv, const char* const* envp);

// mmap hands out addresses below this, top-down (Linux's mmap_base is
// similar: just under the stack's reserved range).
inline constexpr uintptr_t kMmapTop = 0x7f0000000000;

// execve's two halves: replace the calling process's image (0 or -errno; on
// an error the old image is intact), then drop into the new one.
long exec_image(const char* path, const char* const* argv, const char* const* envp);
[[noreturn]] void enter_new_image();

// Starts p's thread (p fully built: space, files, frame). False when out of memory.
bool start_process_thread(Process* p);

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
