// The leak check printed at power-off: after a storm only init is left, so
// every other process, pid, file and thread stack must have come back.
#include "kernel/console.h"
#include "kernel/mm/pmm.h"
#include "kernel/proc/proc.h"
#include "kernel/sched/stack_pool.h"
#include "kernel/user/file.h"

namespace kernel::proc {

void report_counts() {
    rcu().barrier(); // frees pending a grace period are done after this
    const Counts c = counts();
    const sched::StackCounts s = sched::stack_counts();
    kprintf("lifecycle: %s design: %lu forks, %lu reaped; live: processes=%lu pids=%lu files=%lu "
            "stacks=%lu; free pages %lu\n",
            mode_name(), c.forks, c.reaped, c.processes, c.pids, user::live_files(), s.live,
            mm::free_page_count());
}

} // namespace kernel::proc
