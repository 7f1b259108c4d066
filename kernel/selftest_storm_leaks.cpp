// test=kthread_leaks: test=kthreads' create/exit storm (kernel/sched), with
// the memory ledger around it: after the storm every CPU drains its page
// cache and magazines (a cross-call), and the free pages and every slab
// cache's live objects must be back to their values from before it.
//
// Two consumers keep pages on purpose, and are counted explicitly so the
// check stays exact: fresh thread stacks (the stack pool recycles stacks
// and never unmaps them: that would need a shootdown) and the kernel half's
// page tables that mapping those stacks created (never freed).
#include <stdint.h>

#include "arch/mmu.h"
#include "kernel/console.h"
#include "kernel/mm/kmem.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/selftest_sched.h"
#include "kernel/sched/stack_pool.h"

namespace kernel {
namespace {

constexpr int kMaxCaches = 32;
constexpr uint64_t kStackPages = sched::kThreadStackSize / 4096;

struct Ledger {
    uint64_t free_pages, cached_pages, stack_pages, table_pages;
    uint64_t live[kMaxCaches];
    uint64_t live_total;
    int caches;

    uint64_t accounted() const { return free_pages + stack_pages + table_pages; }
};

Ledger ledger() {
    Ledger l{};
    l.free_pages = mm::buddy().free_pages();
    l.cached_pages = mm::page_cache().cached_pages();
    l.stack_pages = sched::stack_counts().created * kStackPages;
    l.table_pages = arch::kernel_table_pages();
    mm::cache_registry().for_each([&l](const scythe::mm::CacheStats& c) {
        if (l.caches < kMaxCaches)
            l.live[l.caches++] = c.live;
        l.live_total += c.live;
    });
    return l;
}

} // namespace

int selftest_kthread_leaks() {
    mm::drain_all_caches();
    const Ledger before = ledger();
    const int storm = sched::test_kthreads(); // waits until every dead thread's stack is back
    mm::drain_all_caches();
    const Ledger after = ledger();

    bool live_ok = after.caches == before.caches;
    for (int i = 0; live_ok && i < after.caches; i++)
        live_ok = after.live[i] == before.live[i];
    const bool pages_ok = after.accounted() == before.accounted() && after.cached_pages == 0;
    const bool ok = storm == 0 && live_ok && pages_ok;
    kprintf("selftest kthread_leaks: free pages %lu -> %lu, %lu new stack pages, %lu new "
            "page-table pages: %lu pages unaccounted\n",
            before.free_pages, after.free_pages, after.stack_pages - before.stack_pages,
            after.table_pages - before.table_pages, before.accounted() - after.accounted());
    kprintf("selftest kthread_leaks: live objects %lu -> %lu in %d caches, %lu pages still "
            "cached: %s\n",
            before.live_total, after.live_total, after.caches, after.cached_pages,
            live_ok ? "all back" : "LEAKED");
    kprintf("selftest kthread_leaks: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

} // namespace kernel
