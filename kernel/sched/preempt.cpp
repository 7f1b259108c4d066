#include "kernel/sched/preempt.h"

#include "arch/cpu.h"
#include "kernel/panic.h"
#include "kernel/sched/sched.h"
#include "smp/percpu.h"

namespace kernel::sched {
namespace {

smp::PerCpu<uint32_t> counts;
smp::PerCpu<bool> tick_hooks_deferred; // by defer_tick_hooks, this CPU only, interrupts off

} // namespace

void preempt_disable() {
    const arch::IrqState irq = arch::irq_save();
    counts.local()++;
    arch::irq_restore(irq);
}

void preempt_enable() {
    const arch::IrqState irq = arch::irq_save();
    uint32_t& count = counts.local();
    if (count == 0)
        panic("preempt_enable without preempt_disable");
    const bool preemptible = --count == 0 && irq;
    if (preemptible && tick_hooks_deferred.local()) {
        tick_hooks_deferred.local() = false;
        run_tick_hooks();
    }
    const bool switch_now = preemptible && resched_pending();
    arch::irq_restore(irq);
    if (switch_now)
        schedule();
}

void defer_tick_hooks() {
    tick_hooks_deferred.local() = true;
}

uint32_t preempt_count() {
    const arch::IrqState irq = arch::irq_save();
    const uint32_t count = counts.local();
    arch::irq_restore(irq);
    return count;
}

} // namespace kernel::sched
