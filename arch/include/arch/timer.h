// The per-CPU scheduler tick and the reschedule IPI.
//
// The arch calls back into the scheduler (kernel/sched/sched.h) from its
// interrupt handlers: sched::on_timer_tick() for each tick,
// sched::on_reschedule_ipi() for each reschedule IPI, then
// sched::preempt_on_interrupt_exit() on the way out of either.
#pragma once

#include <stdint.h>

namespace arch {

// Measures the tick source against the calibrated cycle counter
// (arch/time.h). Boot CPU, once, after time_init() and interrupts_init().
void timer_calibrate();
uint64_t timer_source_hz(); // what timer_calibrate() measured

// Starts a periodic tick of `hz` interrupts per second on the calling CPU.
void timer_start_this_cpu(uint32_t hz);

// Asks `cpu` to look at its run queue (a wakeup or a new thread queued there).
void send_reschedule_ipi(uint32_t cpu);

} // namespace arch
