#include "kernel/user/process.h"

#include <atomic>
#include <new>

#include "arch/cpu.h"
#include "arch/user.h"
#include "kernel/console.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/power.h"
#include "kernel/sched/sched.h"
#include "kernel/user/elf_loader.h"
#include "kernel/user/errno.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/syscall.h"
#include "kernel/vm/tlb.h"
#include "kernel/xcall.h"

namespace kernel::user {
namespace {

// mmap hands out addresses below this, top-down (Linux's mmap_base is
// similar: just under the stack's reserved range).
constexpr uintptr_t kMmapTop = 0x7f0000000000;

std::atomic<int> next_pid{1};

// Makes this CPU ready to run p's thread in user mode. Interrupts off.
void load_user_state(sched::Thread* t, Process* p) {
    arch::set_user_entry_stack(t->stack.top);
    arch::set_user_tls(p->fs_base);
    vm::activate(p->space);
}

void user_thread_main(void* arg) {
    Process* p = static_cast<Process*>(arg);
    arch::irq_disable();
    load_user_state(sched::current(), p);
    // Frames below us on this stack are dead from here on: the next entry
    // from user mode starts again at the stack's top.
    arch::enter_user(p->entry, p->initial_sp);
}

// The scheduler's switch hook: a user thread finds its own address space,
// entry stack and thread pointer on whichever CPU it lands on.
void on_switch() {
    sched::Thread* t = sched::current();
    if (t && t->entry == user_thread_main)
        load_user_state(t, static_cast<Process*>(t->arg));
}

void cpu_init_call(void*) {
    arch::user_mode_cpu_init();
}

const char* base_name(const char* path) {
    const char* b = path;
    for (const char* s = path; *s; s++)
        if (*s == '/')
            b = s + 1;
    return b;
}

} // namespace

Process* current_process() {
    sched::Thread* t = sched::current();
    return t && t->entry == user_thread_main ? static_cast<Process*>(t->arg) : nullptr;
}

void process_init() {
    sched::add_switch_hook(on_switch);
}

void user_mode_init_all_cpus() {
    xcall_all(cpu_init_call, nullptr, XcallWait::Yes);
    kinfo("user: SMEP %s, SMAP %s\n", arch::smep_enabled() ? "on" : "off (CPU lacks it)",
          arch::smap_enabled() ? "on" : "off (CPU lacks it)");
}

long spawn_process(const char* path, const char* const* argv, const char* const* envp) {
    const RamFile* f = initramfs_find(path);
    if (!f)
        return -kENOENT;
    if (!ramfile_is_regular(*f))
        return -13; // EACCES
    void* mem = kzalloc(sizeof(Process));
    if (!mem)
        return -kENOMEM;
    Process* p = new (mem) Process;
    LoadedImage img;
    if (long err = load_elf(f->data, f->size, path, argv, envp, &img); err < 0) {
        kfree(p);
        return err;
    }
    p->pid = next_pid.fetch_add(1, std::memory_order_relaxed);
    strlcpy(p->name, base_name(path), sizeof p->name);
    p->space = img.space;
    p->entry = img.entry;
    p->initial_sp = img.stack_pointer;
    p->brk_start = p->brk = img.brk;
    p->mmap_floor = kMmapTop;
    const int pid = p->pid;
    sched::SpawnOptions options;
    options.name = p->name;
    if (!sched::spawn(user_thread_main, p, options)) {
        img.space->destroy();
        kfree(p);
        return -kENOMEM;
    }
    return pid; // p may already be gone: its thread runs on another CPU
}

void exit_process(int wait_status) {
    Process* p = current_process();
    const int code = wait_status >> 8 & 0xff, sig = wait_status & 0x7f;
    if (p->pid == 1) {
        if (sig)
            kprintf("user: init (pid 1) killed by signal %d\n", sig);
        else
            kprintf("user: init (pid 1) exited with status %d\n", code);
        report_unimplemented();
        power_off(wait_status == 0 ? kPowerOk : 1);
    }
    arch::irq_disable();
    vm::activate(nullptr);
    // Another CPU this thread ran on may still have the space loaded; until
    // the lifecycle work tracks that, such a space is left alone (leaked).
    if (!vm::active_anywhere(*p->space))
        p->space->destroy();
    kfree(p);
    sched::exit_thread();
}

void user_fault(const char* what, uintptr_t rip, uintptr_t addr) {
    Process* p = current_process();
    // Lower case: the kernel's own fault reports are upper case, and test
    // harnesses treat those as a kernel failure.
    char lower[48];
    size_t i = 0;
    for (; what[i] && i < sizeof lower - 1; i++)
        lower[i] = what[i] >= 'A' && what[i] <= 'Z' ? char(what[i] - 'A' + 'a') : what[i];
    lower[i] = '\0';
    kprintf("user: pid %d (%s) killed by SIGSEGV: %s at rip %#lx, address %#lx\n", p ? p->pid : -1,
            p ? p->name : "?", lower, rip, addr);
    constexpr int kSigSegv = 11;
    exit_process(kSigSegv);
}

} // namespace kernel::user
