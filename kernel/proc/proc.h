// The lifecycle's steps, as the system calls use them (kernel/proc/*.cpp).
#pragma once

#include "kernel/proc/lifecycle.h"

namespace kernel::proc {

Process* init_process();
void set_init_process(Process* p);

// The children list of `parent`; caller holds tree_lock(*parent).
void link_child(Process* parent, Process* child);
void unlink_child(Process* parent, Process* child);

// The child's pid, or -EAGAIN / -ENOMEM. vfork: the parent sleeps until the
// child execs or exits (release_vfork_parent).
long fork(bool vfork = false);
void release_vfork_parent(Process* child);
// exit's hand-over of p's children (reparent.cpp): to the nearest living
// ancestor marked PR_SET_CHILD_SUBREAPER, else init; then POSIX's orphaned
// process groups: a group this exit orphans that has a stopped member gets
// SIGHUP then SIGCONT.
void reparent_children(Process* p);
[[noreturn]] void exit1(Process* p, int wait_status);
// wait4: pid > 0, -1, 0, < -1; options as Linux; status and rusage user pointers.
long wait4(long pid, uintptr_t status, uint64_t options, uintptr_t rusage);
// waitid: siginfo and (Linux's fifth argument) rusage user pointers.
long waitid(uint64_t idtype, long id, uintptr_t info, uint64_t options, uintptr_t rusage);
long setpgid(long pid, long pgid);
long getpgid(long pid);
long kill(long pid, long sig);
long setsid();
long getsid(long pid);
long tgkill(long tgid, long tid, long sig);

// Every process in the pid table (zombies included), in no order. The
// caller holds an RCU read section; fn must not block.
void for_each_process(void (*fn)(Process*, void*), void* arg);

// Job control (jobctl.cpp): a child tells its parent it stopped (by `sig`)
// or continued: the report waits for the parent's wait (WUNTRACED,
// WCONTINUED), the parent's waiters wake, and the parent gets SIGCHLD
// unless its SIGCHLD action has SA_NOCLDSTOP.
enum class JobEvent { Stopped, Continued };
void report_job_event(Process* child, JobEvent event, int sig);

// Tracers (ptrace.cpp; ARCHITECTURE.md, "Tracers").
// ptrace(2): TRACEME, ATTACH, CONT, DETACH, KILL with Linux's errors.
long ptrace(long request, long pid, uint64_t data);
// The tracee's thread t dequeued sig: stop for the tracer. 1: stopped and
// reported (sleep until trace_stopped clears, then leave_trace_stop); 0:
// another thread is in the process's ptrace stop (wait for trace_owner to
// clear, then try again); -1: not traced (act on sig as usual).
int report_trace_stop(Process* p, user::UserThread* t, int sig);
// The end of the stop (resumed, released, or killed): the signal to act on
// now (0: none).
int leave_trace_stop(Process* p);
// The reaper, before the parent hears: a tracer that is not the parent is
// told first (true; the parent is told by the tracer's wait or its exit).
bool tell_tracer_of_exit(Process* p);
// exit1: p's tracees go free (a stopped one runs on, a zombie goes to its parent).
void release_tracees(Process* p);
// Off tracer's list, untraced; caller holds tree_lock(*tracer).
void unlink_tracee(Process* tracer, Process* c);
// The parent's half of a reap (exit.cpp): a zombie for its wait (or freed at
// once if it ignores SIGCHLD), SIGCHLD, and its waiters woken.
void tell_parent_of_exit(Process* p);

// "lifecycle: ..." counters for the leak check at power-off (waits for
// pending RCU frees first).
void report_counts();

} // namespace kernel::proc
