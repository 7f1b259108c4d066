#include "kernel/stats/counters.h"

#include <atomic>

#include "arch/cpu.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/mm/kmem.h"
#include "kernel/proc/lifecycle.h"
#include "kernel/sched/sched.h"
#include "kernel/vm/tlb.h"
#include "kernel/xcall.h"
#include "smp/percpu.h"

namespace kernel::stats {
namespace {

constexpr int kEvents = int(Event::Count);

struct Slots {
    std::atomic<uint64_t> v[kEvents] = {};
};
smp::PerCpu<Slots> slots; // each CPU writes only its own (a cache line of its own)

constexpr const char* kRowNames[] = {
    "context switches",         "timer ticks",
    "reschedule IPIs sent",     "reschedule IPIs received",
    "cross-call requests sent", "cross-call IPIs sent",
    "cross-call IPIs received", "cross-call requests served",
    "TLB shootdown rounds",     "TLB shootdowns received",
    "page cache hits",          "page cache misses",
};
static_assert(sizeof(kRowNames) / sizeof(kRowNames[0]) == size_t(Row::Count));

uint64_t own(Event e, uint32_t cpu) {
    // relaxed: a statistic; pairs with the relaxed store in count().
    return slots.on(cpu).v[int(e)].load(std::memory_order_relaxed);
}

} // namespace

void count(Event e) {
    const arch::IrqState irq = arch::irq_save(); // no handler on this CPU in between
    std::atomic<uint64_t>& slot = slots.local().v[int(e)];
    slot.store(slot.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    arch::irq_restore(irq);
}

const char* row_name(Row r) {
    return kRowNames[int(r)];
}

uint64_t on_cpu(Row r, uint32_t cpu) {
    switch (r) {
    case Row::ContextSwitches:
        return sched::stats_for(cpu).switches;
    case Row::Ticks:
        return sched::stats_for(cpu).ticks;
    case Row::ReschedIpiSent:
        return sched::stats_for(cpu).ipis_sent;
    case Row::ReschedIpiReceived:
        return sched::stats_for(cpu).ipis_received;
    case Row::CallRequestsSent:
        return xcall_stats(cpu).sent;
    case Row::CallIpiSent:
        return xcall_stats(cpu).ipis;
    case Row::CallIpiReceived:
        return own(Event::CallIpiReceived, cpu);
    case Row::CallRequestsServed:
        return xcall_stats(cpu).handled;
    case Row::ShootdownRounds:
        return vm::tlb_stats(cpu).rounds;
    case Row::ShootdownReceived:
        return vm::tlb_stats(cpu).received;
    case Row::PageCacheHits:
        return mm::page_cache().cpu_stats(cpu).hits;
    case Row::PageCacheMisses:
        return mm::page_cache().cpu_stats(cpu).misses;
    case Row::Count:
        break;
    }
    return 0;
}

uint64_t sum(Row r) {
    uint64_t total = 0;
    for (uint32_t c = 0; c < cpus_enumerated(); c++)
        total += on_cpu(r, c);
    return total;
}

Globals globals() {
    Globals g{};
    mm::cache_registry().for_each([&g](const scythe::mm::CacheStats& s) {
        g.slab_hits += s.hits;
        g.slab_misses += s.misses;
    });
    auto& rcu = proc::rcu();
    g.rcu_gp_started = rcu.gp_seq();
    g.rcu_gp_completed = rcu.gp_completed();
    g.rcu_callbacks_queued = rcu.callbacks_queued();
    g.rcu_callbacks_invoked = rcu.callbacks_invoked();
    return g;
}

void print() {
    const uint32_t n = cpus_enumerated();
    const Globals g = globals(); // before the console lock: it takes the cache registry's
    ConsoleGuard whole;          // the rows of one report stay together
    for (int r = 0; r < int(Row::Count); r++) {
        const Row row = Row(r);
        kprintf("stats: %s: total %lu;", row_name(row), sum(row));
        for (uint32_t c = 0; c < n; c++)
            kprintf(" cpu%u %lu%s", c, on_cpu(row, c), c + 1 < n ? "," : "\n");
    }
    kprintf("stats: slab magazines: %lu hits, %lu misses\n", g.slab_hits, g.slab_misses);
    kprintf("stats: rcu: %lu grace periods started, %lu completed; %lu callbacks queued, %lu "
            "invoked\n",
            g.rcu_gp_started, g.rcu_gp_completed, g.rcu_callbacks_queued, g.rcu_callbacks_invoked);
}

} // namespace kernel::stats
