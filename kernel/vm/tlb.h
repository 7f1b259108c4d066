// TLB shootdown for user address spaces.
//
// Each address space keeps the set of CPUs that may cache its translations
// (Linux's mm_cpumask): a CPU adds itself when it loads the address space
// and stays in the set after switching away (loading another root flushed
// its user entries anyway, no PCIDs). The set is trimmed lazily: a CPU that
// receives a shootdown for an address space it no longer runs removes itself,
// so the next operation skips it.
//
// An operation that removes or downgrades translations (unmap, protect,
// copy-on-write marking, breaking a share) records the pages in a TlbBatch
// while it edits the tables under the address space's lock, then, still
// under the lock, finish() flushes them locally (invlpg) and sends ONE
// cross-call round to the other CPUs in the set, waiting for all of them.
// Pages and page tables the operation freed are released only then: until
// every CPU has flushed, one of them may still write through a stale entry.
// Upgrades (read-only -> writable, absent -> present) need no shootdown: a
// stale entry only causes a spurious fault, which the fault handler absorbs.
//
// Why under the lock (as Linux flushes under the page-table lock, and fork
// under mmap_lock): clone_cow write-protects pages that other CPUs may still
// write through stale writable entries. If a fault could break the share
// before those entries are gone, it would copy the page and a late write
// would land in the old one and be lost. Holding the lock until the round
// completes keeps every copy-on-write break after it. A CPU waiting for the
// lock (interrupts off) keeps serving cross-calls, so it still answers the
// holder's shootdown (address_space.cpp, SpaceGuard).
//
// Ordering: the table edits are plain stores followed by a seq_cst fence
// before the set is read; activate() adds the CPU with a seq_cst RMW before
// loading CR3. Either the shooter sees the new CPU, or that CPU's table walks
// come after the edits (Dekker-style; the flush or the walk sees them). A
// shooter must not skip a CPU in the set because its `active` looks like
// another space: that CPU may be between adding itself and loading CR3, its
// walks racing the edits; only the CPU itself may decide (and trim).
#pragma once

#include <atomic>
#include <stdint.h>

#include "kernel/xcall.h"
#include "smp/percpu.h"

namespace kernel::vm {

class AddressSpace;

// The CPUs that may hold translations of one address space.
class CpuMask {
public:
    void add(uint32_t cpu) {
        // seq_cst: ordered before the CR3 load that follows (see above).
        words_[cpu / 64].fetch_or(uint64_t(1) << (cpu % 64), std::memory_order_seq_cst);
    }
    void remove(uint32_t cpu) {
        words_[cpu / 64].fetch_and(~(uint64_t(1) << (cpu % 64)), std::memory_order_relaxed);
    }
    bool has(uint32_t cpu) const {
        return words_[cpu / 64].load(std::memory_order_relaxed) >> (cpu % 64) & 1;
    }
    // The set minus `except`, after a seq_cst fence; false when empty.
    bool others(uint32_t except, CpuSet* out) const;

private:
    std::atomic<uint64_t> words_[smp::kMaxCpus / 64] = {};
};

// Invalidations and deferred frees of one operation on one address space.
class TlbBatch {
public:
    explicit TlbBatch(AddressSpace& space) : space_(space) {}
    ~TlbBatch() { finish(); }
    TlbBatch(const TlbBatch&) = delete;
    TlbBatch& operator=(const TlbBatch&) = delete;

    void flush_page(uintptr_t va);
    // After the flush: drop one reference to a user page (freeing it at
    // zero), or free a page-table page.
    void put_page(uint64_t phys);
    void free_table(uint64_t phys);
    // An operation releasing many pages stops editing when fewer than
    // `needed` slots remain, calls finish() and goes on: one round per
    // kMaxReleases pages.
    bool release_room(uint32_t needed) const { return kMaxReleases - releases_ >= needed; }

    // Local flush, one shootdown round if other CPUs may cache the space,
    // then the releases. Safe to call more than once (and with nothing to do).
    void finish();

private:
    friend void shootdown_on_cpu(void* batch);
    static constexpr uint32_t kMaxPages = 32; // beyond this, flush the whole user TLB
    static constexpr uint32_t kMaxReleases = 128;

    AddressSpace& space_;
    uintptr_t pages_[kMaxPages];
    uint32_t page_count_ = 0;
    bool flush_all_ = false;
    uint64_t releases_phys_[kMaxReleases]; // bit 0 set: a page-table page
    uint32_t releases_ = 0;
};

// Loads `space` on this CPU and records the CPU in its set. nullptr loads
// the kernel's root (the CPU stays in the old space's set until trimmed).
// Cross-call functions must not touch user memory: a CPU serves them while
// it waits for a space's lock, or holding one while it waits for a shootdown.
void activate(AddressSpace* space);
AddressSpace* active_space(); // this CPU's, or nullptr
bool active_anywhere(const AddressSpace& space);
// Every CPU that still has `space` loaded (lazily: its last thread there has
// left, no root was loaded since) loads the kernel root instead and leaves
// the set: this CPU directly, the others in one cross-call round (none if no
// other CPU still has it loaded). For teardown (AddressSpace::destroy calls
// it): no thread may run in the space.
void unload_everywhere(AddressSpace& space);

struct TlbStats {
    uint64_t rounds;   // shootdown rounds this CPU started (each one cross-call round)
    uint64_t targets;  // CPUs those rounds interrupted
    uint64_t received; // shootdowns this CPU handled for others
    uint64_t trimmed;  // of which: it no longer ran the space and left its set
};
TlbStats tlb_stats(uint32_t cpu);

} // namespace kernel::vm
