// fork: a slot, a zeroed process, a copy-on-write space, the parent's
// registers (rax = 0) and FPU state, its files; then publish (pid hash,
// parent's children list) and start the thread where place_new_thread says.
// Any failure undoes every step before it: nothing leaks, the parent is
// unchanged, the caller sees -EAGAIN (limit) or -ENOMEM.
#include <new>

#include "arch/cpu.h"
#include "arch/fpu.h"
#include "arch/user_frame.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/proc.h"
#include "kernel/sched/sched.h"
#include "kernel/user/errno.h"
#include "kernel/user/file.h"

namespace kernel::proc {
namespace {

using namespace user;

// The copy of everything but the lifecycle fields (which start fresh). The
// child's one thread is a copy of the calling thread (fork from any thread).
void copy_state(Process* child, Process* parent, const UserThread* caller) {
    memcpy(child->name, parent->name, sizeof child->name);
    child->pgid.store(parent->pgid.load(std::memory_order_relaxed), std::memory_order_relaxed);
    child->sid.store(parent->sid.load(std::memory_order_relaxed), std::memory_order_relaxed);
    {
        sched::MutexGuard g(parent->mm_lock);
        child->brk_start = parent->brk_start;
        child->brk = parent->brk;
        child->mmap_floor = parent->mmap_floor;
    }
    child->main_thread.fs_base = caller->fs_base;
    child->main_thread.alt_sp = caller->alt_sp; // the alternate signal stack too (Linux)
    child->main_thread.alt_size = caller->alt_size;
    // Signals: the caller's mask, the actions; nothing pending (POSIX).
    child->main_thread.sigmask.store(caller->sigmask.load(std::memory_order_relaxed),
                                     std::memory_order_relaxed);
    smp::IrqSpinGuard g(parent->siglock);
    child->sig_ignored.store(parent->sig_ignored.load(std::memory_order_relaxed),
                             std::memory_order_relaxed);
    memcpy(child->actions, parent->actions, sizeof child->actions);
}

} // namespace

long fork(bool vfork) {
    Process* parent = current_process();
    leak_baseline_on_init_fork(); // the first fork of init: the leak check's baseline
    if (!reserve_slot(0))         // uid 0: everyone is root for now
        return -kEAGAIN;
    // The number next: none left is EAGAIN too, as in Linux's alloc_pid.
    const int number = alloc_pid();
    if (!number) {
        release_slot();
        return -kEAGAIN;
    }
    const ForkFault fault = fork_fault(parent); // fail_fork=N (debugging): injected failures
    void* mem = fault == ForkFault::Process ? nullptr : kzalloc(sizeof(Process));
    if (!mem) {
        pid_free(number); // never published
        release_slot();
        return -kENOMEM;
    }
    Process* child = new (mem) Process;
    count_process_allocated();
    child->space = fault == ForkFault::Space ? nullptr : parent->space->clone_cow();
    if (!child->space) {
        child->~Process();
        kfree(child);
        pid_free(number);
        release_slot();
        // processes_live: the free above skipped the RCU path; undo its count too.
        count_process_freed_directly();
        return -kENOMEM;
    }
    copy_state(child, parent, current_thread());
    // The kernel never touches the FPU: the registers hold the caller's state.
    arch::fpu_save(child->main_thread.fpu);
    arch::copy_syscall_frame(child->main_thread.user_frame, sched::current()->stack.top, 0);
    child->main_thread.forked = true;
    fds_copy(child, parent);
    child->pid = child->main_thread.tid = number;
    child->parent.store(parent, std::memory_order_relaxed);

    // Publish: lookups by pid, then the parent's children list.
    pid_insert(child);
    // Now that the group check can see the child: its group's (and session's) number stays held.
    pid_join_groups_of(child);
    {
        smp::IrqSpinGuard g(tree_lock(*parent));
        link_child(parent, child);
    }
    const int pid = child->pid;
    if (vfork) { // before the child can run: it may exec or exit at once
        parent->vfork_pending.store(true, std::memory_order_relaxed);
        child->vfork_parent.store(parent, std::memory_order_relaxed);
    }
    if (fault == ForkFault::Thread || !start_user_thread(&child->main_thread)) {
        parent->vfork_pending.store(false, std::memory_order_relaxed);
        {
            smp::IrqSpinGuard g(tree_lock(*parent));
            unlink_child(parent, child);
        }
        fds_close_all(child);
        child->space->destroy();
        child->space = nullptr;
        release_process(child); // unpublish the pid, free after a grace period
        return -kENOMEM;
    }
    count_fork();
    // vfork: not interruptible (Linux lets only a fatal signal cut it short);
    // the child's exec or exit ends it.
    if (vfork)
        parent->vfork_wait.wait_until(
            [parent] { return !parent->vfork_pending.load(std::memory_order_acquire); });
    return pid; // the child may run (and exit) already; only its parent reaps it
}

void release_vfork_parent(Process* child) {
    Process* parent = child->vfork_parent.exchange(nullptr, std::memory_order_relaxed);
    if (!parent)
        return;
    // Interrupts off: no RCU quiescent state, so a parent that returns from
    // vfork, exits and is freed at once stays valid until the wakeup is done.
    const arch::IrqState irq = arch::irq_save();
    parent->vfork_pending.store(false, std::memory_order_release);
    parent->vfork_wait.wake_all();
    arch::irq_restore(irq);
}

} // namespace kernel::proc
