// The kernel's RCU: lockfree/rcu.h driven as its header asks. Every context
// switch and every idle-loop pass reports a quiescent state and runs this
// CPU's due callbacks (the idle loop wakes at every tick, so an idle CPU
// never stalls a grace period for more than one tick and need not go
// offline); so does every return to user mode. A CPU comes online the first
// time one of these runs on it. A tick that interrupts a preemptible
// thread (or the end of the non-preemptible section it interrupted) reports
// too, so a kernel thread that never switches does not stall grace periods.
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

// The tick interrupted a preemptible thread: outside any section (sections
// are non-preemptible), so a quiescent state, even for a kernel thread that
// never switches (alone on its CPU). Report only: callbacks wait for the
// next switch or idle pass rather than run in the interrupt.
void quiescent_at_tick() {
    if (kernel_rcu.is_online())
        kernel_rcu.note_quiescent();
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
    sched::add_tick_hook(quiescent_at_tick);
}

} // namespace kernel::proc
