#include "kernel/vm/page_ref.h"

#include <atomic>

#include "arch/mmu.h"
#include "kernel/console.h"
#include "kernel/mm/pmm.h"
#include "kernel/panic.h"
#include "smp/spinlock.h"

namespace kernel::vm {
namespace {

std::atomic<std::atomic<uint32_t>*> counts{nullptr};
pfn_t count_span = 0;
smp::SpinLock init_lock;

std::atomic<uint32_t>& slot(pfn_t pfn) {
    if (pfn >= count_span)
        panic("vm: page frame %#lx beyond the count array (%#lx frames)", pfn, count_span);
    return counts.load(std::memory_order_relaxed)[pfn];
}

} // namespace

void init() {
    // acquire: pairs with the release store below, so a CPU that sees the
    // pointer sees the zeroed array.
    if (counts.load(std::memory_order_acquire))
        return;
    smp::IrqSpinGuard guard(init_lock);
    if (counts.load(std::memory_order_relaxed))
        return;
    const pfn_t span = (arch::ram_top() + mm::kPageSize - 1) / mm::kPageSize;
    const size_t pages = (span * sizeof(uint32_t) + mm::kPageSize - 1) / mm::kPageSize;
    const uint64_t phys = mm::alloc_pages(pages); // zeroed
    if (!phys)
        panic("vm: no %zu pages for the page counts", pages);
    count_span = span;
    counts.store(static_cast<std::atomic<uint32_t>*>(arch::phys_to_virt(phys)),
                 std::memory_order_release);
    kinfo("vm: page counts for %lu frames in %zu pages\n", span, pages);
}

void page_ref_set(pfn_t pfn, uint32_t count) {
    slot(pfn).store(count, std::memory_order_relaxed);
}

uint32_t page_ref_get(pfn_t pfn) {
    // relaxed: taking a reference needs an existing one (held under a lock
    // that orders everything around it), as with any refcount.
    return slot(pfn).fetch_add(1, std::memory_order_relaxed) + 1;
}

uint32_t page_ref_put(pfn_t pfn) {
    // acq_rel: the put that reaches 0 frees the page, so it must see every
    // other owner's writes to it (their release puts) before reusing it.
    const uint32_t old = slot(pfn).fetch_sub(1, std::memory_order_acq_rel);
    if (old == 0)
        panic("vm: reference count underflow on frame %#lx", pfn);
    return old - 1;
}

uint32_t page_ref_count(pfn_t pfn) {
    return slot(pfn).load(std::memory_order_acquire);
}

uint32_t table_entries_add(pfn_t pfn, int delta) {
    return slot(pfn).fetch_add(uint32_t(delta), std::memory_order_relaxed) + uint32_t(delta);
}

} // namespace kernel::vm
