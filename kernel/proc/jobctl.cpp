// Stop and continue, as the parent sees them (OpenBSD's proc_stop/ptsignal,
// Linux's do_notify_parent_cldstop): the report lives in the child under its
// parent's tree lock, where wait looks for zombies, so the parent's wait
// needs no other lock.
#include "kernel/proc/proc.h"
#include "kernel/user/signal.h"

namespace kernel::proc {

void report_job_event(Process* child, JobEvent event, int sig) {
    ParentGuard g(*child);
    Process& parent = g.parent();
    if (event == JobEvent::Stopped) {
        child->stop_report = (sig << 8) | 0x7f;
        child->cont_report = false;
    } else {
        child->cont_report = true;
        child->stop_report = 0;
    }
    // SIGCHLD before the tree lock goes: a waiter that takes the report
    // finds the signal already sent (lock order: tree lock, then siglock).
    const bool quiet = user::get_action(&parent, user::kSigChld).flags & user::kSaNoCldStop;
    if (!quiet)
        user::send_signal(&parent, user::kSigChld,
                          {event == JobEvent::Stopped ? user::kCldStopped : user::kCldContinued,
                           child->pid, sig});
    parent.wait_gen.fetch_add(1, std::memory_order_release);
    g.unlock_tree();
    parent.child_wait.wake_all();
}

} // namespace kernel::proc
