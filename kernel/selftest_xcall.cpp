// test=xcall: every online CPU cross-calls every other one, singly (waiting
// and not) and by broadcast, while all the others do the same. Each call
// counts into a (target, sender) cell and checks it runs on its target; at the
// end every cell must hold exactly the number of calls its sender made.
#include <atomic>

#include "arch/cpu.h"
#include "arch/time.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lf_platform.h"
#include "kernel/xcall.h"

namespace kernel {
namespace {

// Rounds of single calls per (sender, target), half of them async, scaled so
// the whole test makes about kTotalCalls calls: TCG vCPUs on a loaded host
// take milliseconds per IPI round trip.
constexpr uint32_t kTotalCalls = 4000;
constexpr uint32_t kBroadcastEvery = 4; // rounds between xcall_others calls

struct Cell {
    std::atomic<uint64_t> count{0};
};

struct XcallTest {
    uint32_t cpus = 0;
    uint32_t rounds = 0;
    Cell* cells = nullptr; // [target * cpus + sender]
    std::atomic<uint32_t> finished{0};
    std::atomic<uint32_t> misplaced{0}; // calls that ran on the wrong CPU
};
XcallTest test;

void count_call(void* arg) {
    Cell* cell = static_cast<Cell*>(arg);
    const uint32_t target = uint32_t(cell - test.cells) / test.cpus;
    if (target != arch::this_cpu_id())
        test.misplaced.fetch_add(1, std::memory_order_relaxed);
    cell->count.fetch_add(1, std::memory_order_relaxed);
}

// A broadcast cannot carry a per-target argument: the target finds its cell.
void count_broadcast(void* arg) {
    const uint32_t sender = uint32_t(reinterpret_cast<uintptr_t>(arg));
    test.cells[arch::this_cpu_id() * test.cpus + sender].count.fetch_add(1,
                                                                         std::memory_order_relaxed);
}

void body(void*) {
    const uint32_t me = arch::this_cpu_id();
    for (uint32_t round = 0; round < test.rounds; round++) {
        const XcallWait wait = round % 2 ? XcallWait::Yes : XcallWait::No;
        for (uint32_t t = 0; t < test.cpus; t++)
            if (t != me)
                xcall_one(t, count_call, &test.cells[t * test.cpus + me], wait);
        if (round % kBroadcastEvery == 0)
            xcall_others(count_broadcast, reinterpret_cast<void*>(uintptr_t(me)), XcallWait::Yes);
    }
    // The last round waited: a slot's earlier async call finished before it.
    test.finished.fetch_add(1, std::memory_order_release);
}

} // namespace

int selftest_xcall() {
    // Pinned: the test's own part and its per-CPU state (RCU online, page
    // cache drained here) must stay on this CPU; the scheduler's load
    // balancer could otherwise move this thread while it waits.
    LfPlatform::PreemptGuard pin;
    const uint32_t n = cpus_enumerated();
    if (cpus_online() != n) {
        kprintf("selftest xcall: only %u of %u CPUs online\n", cpus_online(), n);
        return 1;
    }
    test.cpus = n;
    const uint32_t pairs = n > 1 ? n * (n - 1) : 1;
    test.rounds = kTotalCalls / pairs < 4 ? 4 : kTotalCalls / pairs > 40 ? 40 : kTotalCalls / pairs;
    test.rounds += test.rounds % 2; // even: the last round waits
    test.cells = new Cell[n * n];
    const uint64_t start = arch::monotonic_ns();
    // The others run the body inside a cross-call (interrupts off: their
    // waits poll their own queues); this CPU runs it directly.
    xcall_others(body, nullptr, XcallWait::No);
    body(nullptr);
    const uint64_t deadline = start + 30'000'000'000ull;
    // acquire: pairs with each body's release increment.
    while (test.finished.load(std::memory_order_acquire) < n && arch::monotonic_ns() < deadline)
        xcall_poll();
    const uint64_t ms = (arch::monotonic_ns() - start) / 1'000'000;

    uint32_t bad = 0;
    const uint64_t expected = test.rounds + (test.rounds + kBroadcastEvery - 1) / kBroadcastEvery;
    for (uint32_t t = 0; t < n; t++)
        for (uint32_t s = 0; s < n; s++) {
            const uint64_t got = test.cells[t * n + s].count.load(std::memory_order_relaxed);
            if (s != t && got != expected && bad++ < 8)
                kprintf("selftest xcall: cpu %u ran %lu calls from cpu %u, expected %lu\n", t, got,
                        s, expected);
        }
    uint64_t sent = 0, ipis = 0, handled = 0;
    for (uint32_t i = 0; i < n; i++) {
        const XcallStats st = xcall_stats(i);
        sent += st.sent;
        ipis += st.ipis;
        handled += st.handled;
    }
    const bool ok = test.finished.load() == n && bad == 0 && test.misplaced.load() == 0;
    kprintf("selftest xcall: %u CPUs, %lu requests (%lu handled, %lu IPIs) in %lu ms, "
            "%u wrong counts, %u misplaced\n",
            n, sent, handled, ipis, ms, bad, test.misplaced.load());
    kprintf("selftest xcall: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

} // namespace kernel
