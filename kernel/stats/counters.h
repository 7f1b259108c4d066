// Per-CPU event counters, summed on demand (kernel::stats).
//
// Two kinds of rows, printed together by print():
//  - events counted here (Event): each CPU bumps its own slot with a relaxed
//    load and store (no RMW, no shared cache line; lockfree/percpu_counter.h's
//    scheme) with interrupts off, so a handler on the same CPU cannot lose an
//    update. Use for events no module counts already.
//  - events a module already counts per CPU for its own reasons (context
//    switches and reschedule IPIs in the run queues, cross-calls in xcall,
//    shootdowns in vm/tlb, page-cache and slab hits in mm, grace periods and
//    callbacks in the kernel RCU): read from there, not counted twice.
// Reads are racy snapshots: exact only when the system is quiet.
#pragma once

#include <stdint.h>

namespace kernel::stats {

enum class Event : uint8_t {
    CallIpiReceived, // Ipi::Call interrupts taken (requests served may be more: they coalesce)
    Count
};

// This CPU's slot; any context (interrupt handlers included).
void count(Event e);

// Every printed row, per CPU or summed. Row names are print()'s labels.
enum class Row : uint8_t {
    ContextSwitches,
    Ticks,
    ReschedIpiSent,
    ReschedIpiReceived,
    CallRequestsSent,
    CallIpiSent,
    CallIpiReceived,
    CallRequestsServed,
    ShootdownRounds,
    ShootdownReceived,
    PageCacheHits,
    PageCacheMisses,
    Count
};
const char* row_name(Row r);
uint64_t on_cpu(Row r, uint32_t cpu);
uint64_t sum(Row r);

// Global figures that have no per-CPU split (slab magazines are summed by
// their caches; RCU's grace periods are global by nature).
struct Globals {
    uint64_t slab_hits, slab_misses;
    uint64_t rcu_gp_started, rcu_gp_completed, rcu_callbacks_queued, rcu_callbacks_invoked;
};
Globals globals();

// One line per row ("stats: NAME: total T; cpu0 a, cpu1 b, ..."), then the globals.
void print();

} // namespace kernel::stats
