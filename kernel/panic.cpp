#include "kernel/panic.h"

#include <atomic>

#include "arch/cpu.h"
#include "arch/smp.h"
#include "arch/time.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/debug/backtrace.h"
#include "kernel/power.h"

namespace kernel {
namespace {

constexpr int kNobody = -1;
// The CPU that reports; every other one that panics meanwhile just stops.
std::atomic<int> panic_cpu{kNobody};
std::atomic<uint32_t> cpus_stopped{0};
// Whose turn it is to print its backtrace on the NMI (one CPU at a time).
std::atomic<int> report_turn{kNobody};

// Waits (bounded) for `cpu` to acknowledge the stop.
bool wait_stopped(uint32_t cpu, uint64_t ns) {
    const uint64_t deadline = arch::monotonic_ns() + ns;
    while (!cpu_block(cpu).stopped.load(std::memory_order_acquire)) {
        if (arch::monotonic_ns() >= deadline)
            return false;
        arch::cpu_relax();
    }
    return true;
}

[[noreturn]] void vpanic(uintptr_t pc, uintptr_t fp, bool pc_is_return, const char* fmt,
                         va_list args) {
    arch::irq_disable();
    const int me = int(arch::this_cpu_id());
    int expected = kNobody;
    // acq_rel: the winner's state (console mode) is seen by losers that stop.
    if (!panic_cpu.compare_exchange_strong(expected, me, std::memory_order_acq_rel)) {
        if (expected != me)
            panic_stop_this_cpu(); // someone else is already reporting
        // A panic while panicking (a fault in the report itself): say so and go.
        kprintf("PANIC on cpu %d: recursive panic: ", me);
        kvprintf(fmt, args);
        kprintf("\n");
        power_off(kPanicStatus);
    }
    console_enter_panic();
    {
        ConsoleGuard whole_report;
        kprintf("PANIC on cpu %d: ", me);
        kvprintf(fmt, args);
        kprintf("\n");
        print_backtrace(pc, fp, pc_is_return);
    }
    // Stop the others so nothing runs on after the report. Each one, in
    // CPU order, prints where the NMI found it and its backtrace, then stops
    // (panic_nmi_stop); a CPU that does not answer in time is named and
    // skipped (a CPU that never started cannot answer).
    const uint32_t others = cpus_online() > 0 ? cpus_online() - 1 : 0;
    if (others) {
        arch::nmi_other_cpus();
        uint32_t silent = 0;
        for (uint32_t c = 0; c < cpus_enumerated(); c++) {
            if (int(c) == me || !cpu_block(c).online.load(std::memory_order_acquire))
                continue;
            report_turn.store(int(c), std::memory_order_release);
            if (!wait_stopped(c, 2'000'000'000ull)) {
                kprintf("panic: cpu %u did not answer the NMI\n", c);
                silent++;
            }
        }
        report_turn.store(kNobody, std::memory_order_release);
        if (silent)
            kprintf("panic: %u of %u other CPUs did not stop\n", silent, others);
    }
    power_off(kPanicStatus);
}

} // namespace

void panic(const char* fmt, ...) {
    // Start the trace at our caller: its return address and its frame.
    const auto* frame = static_cast<const uintptr_t*>(__builtin_frame_address(0));
    va_list args;
    va_start(args, fmt);
    vpanic(frame[1], frame[0], true, fmt, args);
}

void panic_at(uintptr_t pc, uintptr_t fp, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vpanic(pc, fp, false, fmt, args);
}

bool panic_in_progress() {
    return panic_cpu.load(std::memory_order_acquire) != kNobody;
}

void panic_stop_this_cpu() {
    arch::irq_disable();
    Cpu& cpu = this_cpu();
    if (!cpu.stopped.exchange(true, std::memory_order_acq_rel))
        cpus_stopped.fetch_add(1, std::memory_order_release); // pairs with the wait in vpanic
    arch::halt_forever();
}

void panic_nmi_stop(uintptr_t pc, uintptr_t fp, bool irqs_were_on) {
    arch::irq_disable();
    const int me = int(arch::this_cpu_id());
    Cpu& cpu = this_cpu();
    if (!cpu.stopped.load(std::memory_order_acquire) && panic_cpu.load() != me) {
        // Bounded: if the reporter is gone (powering off) just stop.
        const uint64_t deadline = arch::monotonic_ns() + 60'000'000'000ull;
        while (report_turn.load(std::memory_order_acquire) != me && arch::monotonic_ns() < deadline)
            arch::cpu_relax();
        ConsoleGuard whole_report;
        kprintf("NMI on cpu %d: stopped at RIP=%016lx, interrupts %s\n", me, pc,
                irqs_were_on ? "on" : "off");
        print_backtrace(pc, fp, false);
    }
    panic_stop_this_cpu();
}

} // namespace kernel

// Failed SCYTHE_ASSERT in smp/ or lockfree/ code.
extern "C" void scythe_assert_fail(const char* expr, const char* file, int line) {
    kernel::panic("assertion failed: %s at %s:%d", expr, file, line);
}
