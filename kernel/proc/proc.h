// The lifecycle's steps, as the system calls use them (kernel/proc/*.cpp).
#pragma once

#include "kernel/proc/lifecycle.h"

namespace kernel::proc {

Process* init_process();
void set_init_process(Process* p);

// The children list of `parent`; caller holds tree_lock(*parent).
void link_child(Process* parent, Process* child);
void unlink_child(Process* parent, Process* child);

long fork(); // the child's pid, or -EAGAIN / -ENOMEM
[[noreturn]] void exit1(Process* p, int wait_status);
// wait4: pid > 0, -1, 0, < -1; options as Linux; status and rusage user pointers.
long wait4(long pid, uintptr_t status, uint64_t options, uintptr_t rusage);
long waitid(uint64_t idtype, long id, uintptr_t info, uint64_t options);
long setpgid(long pid, long pgid);
long getpgid(long pid);
long kill(long pid, long sig);

// "lifecycle: ..." counters for the leak check at power-off (waits for
// pending RCU frees first).
void report_counts();

} // namespace kernel::proc
