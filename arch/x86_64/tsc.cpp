// arch/time.h on x86-64: the TSC, calibrated once against PIT channel 2
// (whose 1.193182 MHz input is fixed on every PC and in QEMU).
#include "arch/cpu.h"
#include "arch/time.h"

#include "kernel/console.h"
#include "x86.h"

namespace arch {
namespace {

constexpr uint64_t kPitHz = 1193182;
constexpr uint64_t kCalibrationMs = 20;

uint64_t tsc_hz = 1'000'000'000; // a guess until calibrated
uint64_t tsc_at_boot = 0;

uint64_t rdtsc() {
    return cycle_counter();
}

uint64_t measure_once() {
    // Channel 2 gate on, speaker off; mode 0 (interrupt on terminal count):
    // OUT2 (port 0x61 bit 5) goes high when the count reaches zero.
    x86::outb(0x61, uint8_t((x86::inb(0x61) & ~0x02) | 0x01));
    x86::outb(0x43, 0xb0); // channel 2, lobyte/hibyte, mode 0, binary
    const uint16_t count = uint16_t(kPitHz * kCalibrationMs / 1000);
    x86::outb(0x42, uint8_t(count));
    x86::outb(0x42, uint8_t(count >> 8));
    const uint64_t start = rdtsc();
    for (uint64_t spins = 0; !(x86::inb(0x61) & 0x20); spins++)
        if (spins > 100'000'000)
            return 0; // no PIT
    return (rdtsc() - start) * 1000 / kCalibrationMs;
}

} // namespace

void time_init() {
    tsc_at_boot = rdtsc();
    // The smallest of a few runs: a run can only be lengthened (the vCPU
    // descheduled by the host), never shortened.
    uint64_t best = 0;
    for (int i = 0; i < 3; i++) {
        const uint64_t hz = measure_once();
        if (hz && (!best || hz < best))
            best = hz;
    }
    if (best)
        tsc_hz = best;
    kernel::kinfo("time: TSC %lu.%03lu MHz%s\n", tsc_hz / 1'000'000, tsc_hz / 1000 % 1000,
                  best ? "" : " (PIT missing: guessed)");
}

uint64_t cycles_per_second() {
    return tsc_hz;
}

uint64_t monotonic_ns() {
    const uint64_t cycles = rdtsc() - tsc_at_boot;
    // Split to avoid overflowing cycles * 1e9 (which would after ~18 s at 1 GHz).
    return cycles / tsc_hz * 1'000'000'000ull + (cycles % tsc_hz) * 1'000'000'000ull / tsc_hz;
}

void delay_us(uint64_t us) {
    const uint64_t end = rdtsc() + tsc_hz / 1'000'000 * us;
    while (rdtsc() < end)
        cpu_relax();
}

} // namespace arch
