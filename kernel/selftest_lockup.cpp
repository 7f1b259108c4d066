// test=lockup: the last CPU spins forever with interrupts off. The lockup
// watchdog (kernel/watchdog.h) must panic naming that CPU, and the panic's
// NMI must show it in selftest_lockup_spin. Meanwhile CPU 0 keeps switching
// between two threads, so only the stuck CPU's heartbeat is stale.
#include <atomic>

#include "arch/cpu.h"
#include "arch/time.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/sched/sched.h"
#include "kernel/watchdog.h"

namespace kernel {
namespace {

std::atomic<bool> spinning{false};

extern "C" __attribute__((noinline)) void selftest_lockup_spin(void*) {
    arch::irq_disable();
    spinning.store(true);
    for (;;)
        arch::cpu_relax();
}

void yielder(void*) {
    for (;;)
        sched::yield();
}

} // namespace

int selftest_lockup() {
    const uint32_t target = cpus_enumerated() - 1;
    if (target == 0 || !cpu_block(target).online.load()) {
        kprintf("selftest lockup: needs a second CPU online\n");
        return 1;
    }
    if (!watchdog_seconds()) {
        kprintf("selftest lockup: the watchdog is off (watchdog_s=0)\n");
        return 1;
    }
    sched::spawn(yielder, nullptr, {.name = "yielder", .cpu = 0, .pinned = true});
    sched::spawn(selftest_lockup_spin, nullptr, {.name = "lockup", .cpu = target, .pinned = true});
    kprintf(
        "selftest lockup: cpu %u spins with interrupts off; the watchdog (%lu s) must catch it\n",
        target, watchdog_seconds());
    const uint64_t deadline =
        arch::monotonic_ns() + (3 * watchdog_seconds() + 10) * 1'000'000'000ull;
    while (arch::monotonic_ns() < deadline)
        sched::yield();
    kprintf("selftest lockup: no watchdog panic (cpu %u spinning: %d): FAILED\n", target,
            int(spinning.load()));
    return 1;
}

} // namespace kernel
