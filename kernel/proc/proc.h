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

// "lifecycle: ..." counters for the leak check at power-off (waits for
// pending RCU frees first).
void report_counts();

} // namespace kernel::proc
