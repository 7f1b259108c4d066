// The kernel's RCU: lockfree/rcu.h driven as its header asks. Every context
// switch and every idle-loop pass reports a quiescent state and runs this
// CPU's due callbacks (the idle loop wakes at every tick, so an idle CPU
// never stalls a grace period for more than one tick and need not go
// offline); so does every return to user mode. A CPU comes online the first
// time one of these runs on it.
#include "kernel/lf_platform.h"
#include "kernel/proc/lifecycle.h"
#include "kernel/sched/sched.h"

namespace kernel::proc {
namespace {

constinit KernelRcu kernel_rcu;

void quiescent_here() { // interrupts off
    if (!kernel_rcu.is_online())
        kernel_rcu.online();
    kernel_rcu.quiescent_state();
}

} // namespace

KernelRcu& rcu() {
    return kernel_rcu;
}

void rcu_quiescent_on_return_to_user() {
    LfPlatform::IrqGuard irq; // this CPU's slot: no migration in between
    quiescent_here();
}

void register_rcu_hooks() {
    sched::add_switch_hook(quiescent_here);
    sched::add_idle_hook(quiescent_here);
}

} // namespace kernel::proc
