#include "kernel/watchdog.h"

#include <atomic>

#include "arch/cpu.h"
#include "arch/time.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/sched/sched.h"
#include "smp/percpu.h"

namespace kernel {
namespace {

constexpr uint64_t kDefaultSelftestSeconds = 20;
constexpr uint64_t kCheckEveryNs = 1'000'000'000ul;

std::atomic<uint64_t> threshold_ns{0}; // 0: off (also before watchdog_init)
std::atomic<uint64_t> last_tick_ns[smp::kMaxCpus];
std::atomic<uint64_t> next_check_ns{0};
std::atomic<bool> checking{false};
// The last total of context switches seen, and when it last changed.
uint64_t last_switches = 0;  // under `checking`
uint64_t switches_since = 0; // under `checking`

uint64_t total_switches() {
    uint64_t sum = 0;
    for (uint32_t c = 0; c < cpus_enumerated(); c++)
        sum += sched::stats_for(c).switches;
    return sum;
}

void check(uint64_t now, uint64_t limit) {
    const uint32_t me = arch::this_cpu_id();
    for (uint32_t c = 0; c < cpus_enumerated(); c++) {
        const uint64_t last = last_tick_ns[c].load(std::memory_order_relaxed);
        if (c == me || last == 0 || now <= last)
            continue;
        if (now - last > limit)
            panic("watchdog: cpu %u stuck: no timer tick for %lu s (seen from cpu %u)", c,
                  (now - last) / 1'000'000'000ul, me);
    }
    const uint64_t switches = total_switches();
    if (switches != last_switches || switches_since == 0) {
        last_switches = switches;
        switches_since = now;
    } else if (now - switches_since > limit) {
        for (uint32_t c = 0; c < cpus_enumerated(); c++) {
            const sched::Stats s = sched::stats_for(c);
            kprintf("watchdog: cpu %u: %lu switches, %lu ticks, %lu pulled, %lu ipis sent, %lu "
                    "received\n",
                    c, s.switches, s.ticks, s.pulled, s.ipis_sent, s.ipis_received);
        }
        panic("watchdog: no progress: no context switch on any CPU for %lu s",
              (now - switches_since) / 1'000'000'000ul);
    }
}

} // namespace

void watchdog_init() {
    const uint64_t fallback = cmdline::has("test") ? kDefaultSelftestSeconds : 0;
    const uint64_t s = cmdline::number("watchdog_s", fallback);
    if (s)
        kinfo("watchdog: lockup detector armed, %lu s\n", s);
    const uint64_t now = arch::monotonic_ns();
    // A CPU online that has not ticked yet counts from now: one that never
    // ticks (stuck from the start) is caught too.
    for (uint32_t c = 0; c < cpus_enumerated(); c++) {
        uint64_t never = 0;
        if (cpu_block(c).online.load(std::memory_order_acquire))
            last_tick_ns[c].compare_exchange_strong(never, now, std::memory_order_relaxed);
    }
    next_check_ns.store(now + kCheckEveryNs, std::memory_order_relaxed);
    threshold_ns.store(s * 1'000'000'000ul, std::memory_order_release);
}

uint64_t watchdog_seconds() {
    return threshold_ns.load(std::memory_order_relaxed) / 1'000'000'000ul;
}

void watchdog_tick() {
    const uint64_t now = arch::monotonic_ns();
    last_tick_ns[arch::this_cpu_id()].store(now, std::memory_order_relaxed);
    const uint64_t limit = threshold_ns.load(std::memory_order_acquire);
    if (!limit || panic_in_progress())
        return;
    uint64_t due = next_check_ns.load(std::memory_order_relaxed);
    if (now < due || !next_check_ns.compare_exchange_strong(due, now + kCheckEveryNs))
        return; // not yet, or another CPU checks this round
    if (checking.exchange(true, std::memory_order_acquire))
        return;
    check(now, limit);
    checking.store(false, std::memory_order_release);
}

} // namespace kernel
