// The lockup watchdog: turns a hang into a report instead of a silent timeout.
//
// Every CPU's timer tick records when it ticked (its heartbeat). About once a
// second one ticking CPU looks at everyone:
//   * a CPU whose heartbeat is older than N seconds is stuck (spinning with
//     interrupts off, or not returning from an interrupt): panic
//     "watchdog: cpu C stuck: no timer tick for S s";
//   * no context switch on any CPU for N seconds (every thread blocked or
//     spinning, e.g. a lost wakeup or a deadlock with interrupts on): panic
//     "watchdog: no progress: no context switch on any CPU for S s".
// The panic NMIs every other CPU, and each prints its RIP and backtrace
// (kernel/panic.h) before stopping, so the stuck CPU is seen where it spins.
// N is `watchdog_s=N` on the command line; 0 turns it off. Default: 20 s
// when a self-test runs (test=), off otherwise. The detector runs on another
// CPU's tick, so a CPU spinning with interrupts off is still caught.
#pragma once

#include <stdint.h>

namespace kernel {

// Boot CPU, after smp_init (every CPU's tick runs): reads watchdog_s= and arms.
void watchdog_init();
// From the timer interrupt, every CPU, interrupts off.
void watchdog_tick();
// The configured threshold in seconds (0: off).
uint64_t watchdog_seconds();

} // namespace kernel
