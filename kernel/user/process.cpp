#include "kernel/user/process.h"

#include <atomic>
#include <new>

#include "arch/cpu.h"
#include "arch/user.h"
#include "kernel/console.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/panic.h"
#include "kernel/power.h"
#include "kernel/proc/proc.h"
#include "kernel/sched/sched.h"
#include "kernel/user/elf_loader.h"
#include "kernel/user/errno.h"
#include "kernel/user/file.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/signal.h"
#include "kernel/user/syscall.h"
#include "kernel/vm/tlb.h"
#include "kernel/xcall.h"

namespace kernel::user {
namespace {

// Makes this CPU ready to run user thread ut in user mode. Interrupts off.
void load_user_state(sched::Thread* t, UserThread* ut) {
    arch::set_user_entry_stack(t->stack.top);
    arch::set_user_tls(ut->fs_base);
    vm::activate(ut->process->space);
}

void user_thread_main(void* arg) {
    UserThread* ut = static_cast<UserThread*>(arg);
    arch::irq_disable();
    sched::Thread* t = sched::current();
    ut->kthread = t;
    t->fpu = ut->fpu; // from now on the scheduler saves and restores it
    load_user_state(t, ut);
    // Frames below us on this stack are dead from here on: the next entry
    // from user mode starts again at the stack's top.
    if (ut->forked) {
        arch::fpu_restore(ut->fpu);
        arch::resume_user_frame(ut->user_frame); // fork's or clone's child: rax 0
    }
    arch::enter_user(ut->entry, ut->initial_sp);
}

// The scheduler's switch hook: a user thread finds its own address space,
// entry stack and thread pointer on whichever CPU it lands on.
void on_switch() {
    sched::Thread* t = sched::current();
    if (t && t->entry == user_thread_main)
        load_user_state(t, static_cast<UserThread*>(t->arg));
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

sched::LockClass process_mm_class("process_mm");

UserThread* current_thread() {
    sched::Thread* t = sched::current();
    return t && t->entry == user_thread_main ? static_cast<UserThread*>(t->arg) : nullptr;
}

Process* current_process() {
    UserThread* ut = current_thread();
    return ut ? ut->process : nullptr;
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
        return -kEACCES;
    if (!proc::reserve_slot(0))
        return -kEAGAIN;
    void* mem = kzalloc(sizeof(Process));
    if (!mem) {
        proc::release_slot();
        return -kENOMEM;
    }
    Process* p = new (mem) Process;
    LoadedImage img;
    if (long err = load_elf(f->data, f->size, path, argv, envp, &img); err < 0) {
        p->~Process();
        kfree(p);
        proc::release_slot();
        return err;
    }
    proc::count_process_allocated();
    p->pid = p->main_thread.tid = proc::alloc_pid();
    // As on Linux, a process the kernel starts (init) is in process group 0, inherited from the
    // kernel itself, until it calls setpgid/setsid: wait4(0) and wait4(-getpgrp()) then agree.
    p->pgid.store(0, std::memory_order_relaxed);
    for (int fd = 0; fd < 3; fd++)
        p->fds[fd] = console_file();
    if (p->pid == 1) {
        p->parent.store(p, std::memory_order_relaxed); // init is its own parent (never reaped)
        proc::set_init_process(p);
    }
    proc::pid_insert(p);
    strlcpy(p->name, base_name(path), sizeof p->name);
    p->space = img.space;
    p->main_thread.entry = img.entry;
    p->main_thread.initial_sp = img.stack_pointer;
    p->brk_start = p->brk = img.brk;
    p->mmap_floor = kMmapTop;
    const int pid = p->pid;
    arch::fpu_init_state(p->main_thread.fpu);
    if (!start_user_thread(&p->main_thread))
        panic("user: no memory to start %s", path);
    return pid;
}

bool start_user_thread(UserThread* ut) {
    sched::SpawnOptions options;
    options.name = ut->process->name;
    return sched::spawn(user_thread_main, ut, options) != nullptr;
}

void exit_process(int wait_status) {
    group_exit(wait_status);
}

void last_thread_exit(Process* p, int wait_status) {
    const int code = wait_status >> 8 & 0xff, sig = wait_status & 0x7f;
    if (p->pid == 1) {
        if (sig)
            kprintf("user: init (pid 1) killed by signal %d\n", sig);
        else
            kprintf("user: init (pid 1) exited with status %d\n", code);
        report_unimplemented();
        proc::report_counts();
        power_off(wait_status == 0 ? kPowerOk : 1);
    }
    proc::exit1(p, wait_status);
}

long exec_image(const char* path, const char* const* argv, const char* const* envp) {
    const RamFile* f = initramfs_find(path);
    if (!f)
        return -kENOENT;
    if (!ramfile_is_regular(*f))
        return -kEACCES;
    LoadedImage img;
    if (long err = load_elf(f->data, f->size, path, argv, envp, &img); err < 0)
        return err;
    // Every other thread ends first (Linux's de_thread); a group exit that
    // overtakes us ends this thread too, on its way back to user mode.
    UserThread* me = current_thread();
    if (!me)
        panic("exec from a kernel thread");
    Process* p = me->process;
    if (!become_single_threaded()) {
        img.space->destroy();
        return -kERestartNoIntr; // the pending SIGKILL ends us before the restart
    }
    // Past the point of no return: the old image goes.
    vm::AddressSpace* old = p->space;
    arch::irq_disable();
    p->space = img.space;
    vm::activate(img.space);
    arch::irq_enable();
    old->destroy();
    strlcpy(p->name, base_name(path), sizeof p->name);
    me->entry = img.entry;
    me->initial_sp = img.stack_pointer;
    p->brk_start = p->brk = img.brk;
    p->mmap_floor = kMmapTop;
    me->fs_base = 0;
    me->clear_child_tid = 0;
    me->alt_sp = me->alt_size = 0; // no alternate signal stack in a new image
    me->forked = false;
    reset_handlers_for_exec(p); // caught signals go back to the default; ignored stay ignored
    p->did_exec.store(true, std::memory_order_relaxed); // the parent's setpgid: EACCES from now
    proc::release_vfork_parent(p);
    return 0;
}

void enter_new_image() {
    UserThread* me = current_thread();
    if (!me)
        panic("exec from a kernel thread");
    arch::irq_disable();
    load_user_state(sched::current(), me);
    arch::enter_user(me->entry, me->initial_sp);
}

void user_fault_kill(const UserFault& f) {
    Process* p = current_process();
    // Lower case: the kernel's own fault reports are upper case, and test
    // harnesses treat those as a kernel failure.
    char lower[48];
    size_t i = 0;
    for (; f.what[i] && i < sizeof lower - 1; i++)
        lower[i] = f.what[i] >= 'A' && f.what[i] <= 'Z' ? char(f.what[i] - 'A' + 'a') : f.what[i];
    lower[i] = '\0';
    const char* name = f.sig == kSigSegv ? "SIGSEGV"
                       : f.sig == 7      ? "SIGBUS"
                       : f.sig == 8      ? "SIGFPE"
                       : f.sig == 4      ? "SIGILL"
                                         : "SIGTRAP";
    kprintf("user: pid %d (%s) killed by %s: %s at rip %#lx, address %#lx\n", p ? p->pid : -1,
            p ? p->name : "?", name, lower, f.rip, f.addr);
    arch::irq_enable(); // the trap path may come here with interrupts off
    exit_process(f.sig);
}

void user_fault(const UserFault& f) {
    UserThread* t = current_thread();
    if (!t)
        panic("user fault outside a user thread");
    Process* p = t->process;
    const SigAction a = get_action(p, f.sig);
    const bool blocked = t->sigmask.load(std::memory_order_relaxed) & sig_bit(f.sig);
    if (a.handler == kSigDfl || a.handler == kSigIgn || blocked)
        user_fault_kill(f); // Linux's force_sig: unblocked, back to the default, fatal
    int code = f.code;
    constexpr int kSegvMaperr = 1, kSegvAccerr = 2;
    if (f.sig == kSigSegv && (code == kSegvMaperr || code == kSegvAccerr))
        code = p->space->in_region(f.addr) ? kSegvAccerr : kSegvMaperr; // as Linux: by the VMA
    send_thread_signal(t, f.sig, SigSource{code, 0, 0, f.addr});
}

} // namespace kernel::user
