// User address spaces: the user half of a 4-level page table per space, the
// kernel half shared by all (arch/mmu.h says why copying it once suffices).
//
// Pages: map() hands the space one reference to a page from mm::alloc_page;
// unmap() and destroy() drop it, and the page is freed when its last
// reference goes (page_ref.h). clone_cow() makes a fork-ready copy: every
// present private page is shared by both spaces with one more reference,
// writable ones become read-only with the PTE's copy-on-write bit, and the
// first write in either space breaks the share in the page-fault handler
// (copy if still shared, else just make it writable again).
//
// Regions: map_anonymous() declares a range whose pages are zero-filled on
// first touch (a minimal list of vm areas, enough for brk/mmap later);
// unmap() and protect() cut and re-protect regions as munmap and mprotect do.
//
// Page-table pages count their live entries (page_ref.h) and are freed as
// soon as they become empty, so unmapping everything returns every page.
//
// Locking: one spinlock per space (interrupts off) over its tables and
// regions; a TLB shootdown completes before the lock is released (tlb.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/pte.h"
#include "kernel/vm/fault.h"
#include "kernel/vm/tlb.h"
#include "smp/spinlock.h"

namespace kernel::vm {

inline constexpr size_t kPageSize = 4096;

class AddressSpace {
public:
    // A space with an empty user half; nullptr when out of memory.
    static AddressSpace* create();
    // Frees every user page reference, page-table page and region, then the
    // space itself. No thread may run in it any more; CPUs that still have it
    // loaded lazily are switched away first (unload_everywhere, tlb.h).
    void destroy();

    // Maps one page; the space takes the caller's reference to `pa` (its
    // count becomes 1). False if va is not a page-aligned user address, is
    // already mapped, or a page table cannot be allocated: the caller keeps
    // its page then. prot 0 (PROT_NONE) keeps the page with no access.
    bool map(uintptr_t va, uint64_t pa, unsigned prot);
    // Drops the pages of [va, va+len) (absent ones are skipped), frees
    // emptied tables and removes the range from the regions; one shootdown
    // round per 128 released pages. False (nothing changed) for a bad range
    // or when splitting a region needs memory it cannot get.
    bool unmap(uintptr_t va, size_t len = kPageSize);
    // Sets the protection of [va, va+len): present pages and regions. False
    // (nothing changed) as for unmap.
    bool protect(uintptr_t va, size_t len, unsigned prot);
    // The physical address behind va (and its protection as the space sees
    // it: a copy-on-write page counts as writable, PROT_NONE is 0). False if
    // no page is mapped there.
    bool translate(uintptr_t va, uint64_t* pa, unsigned* prot = nullptr);

    // Declares [va, va+len) as anonymous memory, zero-filled on demand.
    bool map_anonymous(uintptr_t va, size_t len, unsigned prot);

    // The fork-ready copy (see above); nullptr when out of memory, with this
    // space unchanged but for pages now marked copy-on-write.
    AddressSpace* clone_cow();

    // Whether va lies in a mapped region (a fault there that the VM cannot
    // resolve is an access violation, SEGV_ACCERR; elsewhere SEGV_MAPERR).
    bool in_region(uintptr_t va);

    // A fault at va in this space: true if it was resolved (zero fill,
    // copy-on-write break, or a stale TLB entry) and the access can retry.
    bool handle_fault(uintptr_t va, bool write);

    uint64_t root_phys() const { return root_; }
    CpuMask& cpus() { return cpus_; }
    // Pages this space owns right now (tests): user page references, tables.
    size_t mapped_pages() const { return mapped_pages_; }
    size_t table_pages() const { return table_pages_; }
    size_t region_count() const;
    // kmalloc size of one region (each is its own allocation): leak ledgers account for them.
    static size_t region_object_size();

private:
    struct Region {
        uintptr_t start, end;
        unsigned prot;
        Region* next;
    };
    // The tables on va's path, root first: table[level], level 0 the leaf table.
    struct Path {
        uint64_t table[arch::kPageTableLevels];
        int missing = 0; // when a walk without create fails: the level lacking an entry
    };

    AddressSpace() = default;
    ~AddressSpace() = default;

    arch::pte_t* walk(uintptr_t va, Path& path, bool create);
    void clear_leaf(uintptr_t va, Path& path, TlbBatch& batch);
    const Region* region_at(uintptr_t va) const;
    bool split_region_at(uintptr_t va);
    bool copy_tables(AddressSpace& child, uint64_t table, int level, uintptr_t base,
                     TlbBatch& batch);
    void free_tables(uint64_t table, int level);

    smp::SpinLock lock_;
    uint64_t root_ = 0;
    Region* regions_ = nullptr;
    size_t mapped_pages_ = 0;
    size_t table_pages_ = 0; // besides the root
    CpuMask cpus_;
};

} // namespace kernel::vm
