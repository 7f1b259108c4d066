// Time for the kernel before there is a timer interrupt: a calibrated
// cycle counter. Good for timeouts and boot measurements, not for wall time.
#pragma once

#include <stdint.h>

namespace arch {

void time_init(); // calibrate the counter (boot CPU, early, takes ~10 ms)
uint64_t monotonic_ns();
void delay_us(uint64_t us);
uint64_t cycles_per_second();

} // namespace arch
