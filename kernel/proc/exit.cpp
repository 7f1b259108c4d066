// exit1 (in the dying thread) and the reaper's half (exit2 + reaper in the
// OpenBSD seed). Locks: see ARCHITECTURE.md, "The exit -> reap -> wait path".
#include "arch/cpu.h"
#include "kernel/proc/lifecycle.h"
#include "kernel/proc/proc.h"
#include "kernel/sched/sched.h"
#include "kernel/user/file.h"
#include "kernel/user/rusage.h"
#include "kernel/user/signal.h"
#include "kernel/vm/tlb.h"

namespace kernel::proc {
namespace {

using user::kSaNoCldWait;
using user::kSigChld;
using user::kSigIgn;

bool parent_wants_no_zombies(Process* parent) {
    const user::SigAction a =
        user::get_action(parent, kSigChld); // its siglock, under the tree lock
    return a.handler == kSigIgn || (a.flags & kSaNoCldWait);
}

} // namespace

// exit1: everything the dying thread can do itself, then park. Never returns.
void exit1(Process* p, int wait_status) {
    user::signals_exiting(p); // senders stop touching this thread
    user::fds_close_all(p);   // may wake pipe readers and writers: before the end
    p->exit_status = wait_status;
    release_vfork_parent(p);
    release_tracees(p);   // a stopped tracee runs on; a zombie one goes to its parent
    reparent_children(p); // to the nearest subreaper or init; orphaned groups get SIGHUP
    arch::irq_disable();
    // Off the space before a reaper frees it; the FPU area goes with the process.
    vm::activate(nullptr);
    sched::current()->fpu = nullptr;
    // The dead list's push (release) publishes exit_status and the rest to
    // the reaper. From here on this thread does not touch p.
    push_dead(p);
    sched::exit_thread(); // parks on this CPU's dead-thread queue; the stack is freed after the
                          // switch
}

// The reaper: free what may block, then tell a tracer that is not the
// parent (the parent hears after the tracer's wait), else the parent.
void reap(Process* p) {
    p->space->destroy();
    p->space = nullptr;
    if (!tell_tracer_of_exit(p))
        tell_parent_of_exit(p);
}

// Make p a zombie for its parent (or free it at once if the parent ignores
// SIGCHLD) and wake the parent.
void tell_parent_of_exit(Process* p) {
    bool no_zombie;
    {
        ParentGuard g(*p);
        Process& parent = g.parent();
        no_zombie = parent_wants_no_zombies(&parent);
        if (no_zombie)
            unlink_child(&parent, p);
        else
            p->state.store(user::ProcState::Zombie, std::memory_order_relaxed);
        // SIGCHLD before the tree lock goes (as Linux, under tasklist_lock):
        // a waiter that finds the zombie finds the signal already sent, so
        // it never arrives after the wait, when the parent may block it.
        const int status = p->exit_status;
        const bool killed = status & 0x7f;
        user::send_signal(&parent, kSigChld,
                          {killed ? user::kCldKilled : user::kCldExited, p->pid,
                           killed ? status & 0x7f : status >> 8 & 0xff});
        // release: a waiter that sees the new generation also sees the state.
        parent.wait_gen.fetch_add(1, std::memory_order_release);
        g.unlock_tree();
        parent.child_wait.wake_all();
    }
    if (no_zombie)
        release_process(p);
}

} // namespace kernel::proc
