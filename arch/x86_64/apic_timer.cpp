// The local APIC timer as the scheduler tick, and the reschedule IPI.
//
// The timer counts down at the APIC bus clock divided by 16; that clock is
// not architecturally known, so it is measured once against the TSC (itself
// calibrated against the PIT, tsc.cpp). All CPUs share the bus clock, so the
// boot CPU's measurement serves every CPU.
#include "apic.h"
#include "arch/cpu.h"
#include "arch/time.h"
#include "arch/timer.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "traps.h"

namespace x86 {
namespace {

constexpr uint32_t kLvtTimer = 0x320;
constexpr uint32_t kInitialCount = 0x380;
constexpr uint32_t kCurrentCount = 0x390;
constexpr uint32_t kDivideConfig = 0x3e0;

constexpr uint32_t kDivideBy16 = 0x3;
constexpr uint32_t kLvtMasked = 1u << 16;
constexpr uint32_t kLvtPeriodic = 1u << 17;

constexpr uint64_t kCalibrationUs = 10000;

uint64_t source_hz = 0;

uint64_t measure_once() {
    apic_write_reg(kDivideConfig, kDivideBy16);
    apic_write_reg(kLvtTimer, kLvtMasked | kVectorTimer); // one-shot, masked: count only
    const uint64_t tsc_start = arch::cycle_counter();
    apic_write_reg(kInitialCount, 0xffffffffu);
    arch::delay_us(kCalibrationUs);
    const uint32_t remaining = apic_read_reg(kCurrentCount);
    const uint64_t tsc_elapsed = arch::cycle_counter() - tsc_start;
    apic_write_reg(kInitialCount, 0);
    const uint64_t ticks = 0xffffffffu - remaining;
    return tsc_elapsed ? ticks * arch::cycles_per_second() / tsc_elapsed : 0;
}

} // namespace
} // namespace x86

namespace arch {

void timer_calibrate() {
    // The largest of a few runs would be wrong if a run were cut short; the
    // ratio of two counters read back to back does not depend on how long
    // the vCPU was descheduled, so the median of three is enough.
    const IrqState irq = irq_save();
    uint64_t runs[3];
    for (uint64_t& r : runs)
        r = x86::measure_once();
    irq_restore(irq);
    uint64_t lo = runs[0] < runs[1] ? runs[0] : runs[1];
    uint64_t hi = runs[0] < runs[1] ? runs[1] : runs[0];
    x86::source_hz = runs[2] < lo ? lo : (runs[2] > hi ? hi : runs[2]);
    if (!x86::source_hz)
        x86::source_hz = 62'500'000; // QEMU's 1 GHz bus / 16, should the measurement fail
    kernel::kinfo("timer: local APIC timer %lu kHz (bus clock / 16)\n", x86::source_hz / 1000);
}

uint64_t timer_source_hz() {
    return x86::source_hz;
}

void timer_start_this_cpu(uint32_t hz) {
    uint64_t count = x86::source_hz / hz;
    if (count == 0)
        count = 1;
    x86::apic_write_reg(x86::kDivideConfig, x86::kDivideBy16);
    x86::apic_write_reg(x86::kLvtTimer, x86::kLvtPeriodic | x86::kVectorTimer);
    x86::apic_write_reg(x86::kInitialCount, uint32_t(count)); // this write starts it
}

void send_reschedule_ipi(uint32_t cpu) {
    x86::apic_send(kernel::cpu_block(cpu).hw_id,
                   x86::kIcrFixed | x86::kIcrAssert | x86::kVectorReschedIpi);
}

} // namespace arch
