#include "kernel/vm/address_space.h"

#include <atomic>
#include <new>

#include "arch/cpu.h"
#include "arch/mmu.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/pmm.h"
#include "kernel/panic.h"
#include "kernel/vm/page_ref.h"
#include "kernel/xcall.h"
#include "smp/percpu.h"

namespace kernel::vm {
namespace {

using arch::pte_t;
constexpr int kRoot = arch::kPageTableLevels - 1;

pte_t* table_of(uint64_t phys) {
    return static_cast<pte_t*>(arch::phys_to_virt(phys));
}
pfn_t pfn_of(uint64_t phys) {
    return phys / kPageSize;
}
bool user_range(uintptr_t va, size_t len) {
    return va % kPageSize == 0 && len % kPageSize == 0 && va < arch::kUserSpaceEnd &&
           len <= arch::kUserSpaceEnd - va;
}
struct alignas(smp::kCacheLine) FaultCounters {
    std::atomic<uint64_t> zero_fills{0}, cow_copies{0}, cow_reuses{0}, spurious{0};
};
FaultCounters fault_counters[smp::kMaxCpus];

void count(std::atomic<uint64_t> FaultCounters::*which) {
    (fault_counters[arch::this_cpu_id()].*which).fetch_add(1, std::memory_order_relaxed);
}

// The space's lock, with interrupts off. A CPU waiting for it keeps serving
// cross-calls: the holder may be waiting for this CPU to flush its TLB (a
// shootdown is always finished before the lock is released, see tlb.h).
class SpaceGuard {
public:
    explicit SpaceGuard(smp::SpinLock& lock) : lock_(lock), irq_(arch::irq_save()) {
        while (!lock_.try_lock()) {
            xcall_poll();
            arch::cpu_relax();
        }
    }
    ~SpaceGuard() {
        lock_.unlock();
        arch::irq_restore(irq_);
    }
    SpaceGuard(const SpaceGuard&) = delete;
    SpaceGuard& operator=(const SpaceGuard&) = delete;

private:
    smp::SpinLock& lock_;
    const arch::IrqState irq_;
};

// Bytes of address space one entry of a `level` table covers.
uintptr_t entry_span(int level) {
    return uintptr_t(kPageSize) << (9 * level);
}

} // namespace

AddressSpace* AddressSpace::create() {
    init();
    void* mem = kmalloc(sizeof(AddressSpace));
    if (!mem)
        return nullptr;
    const uint64_t root = mm::alloc_page(); // zeroed: an empty user half
    if (!root) {
        kfree(mem);
        return nullptr;
    }
    arch::init_user_root(arch::phys_to_virt(root));
    page_ref_set(pfn_of(root), 0); // live entries of the user half
    auto* space = new (mem) AddressSpace;
    space->root_ = root;
    return space;
}

void AddressSpace::destroy() {
    // CPUs where it is still loaded lazily switch to the kernel root; every
    // other CPU that ever loaded it has loaded another root since, which
    // dropped its user translations (no PCIDs): no shootdown needed after.
    unload_everywhere(*this);
    if (active_anywhere(*this))
        panic("vm: destroying an address space that a CPU loaded again");
    free_tables(root_, kRoot);
    mm::free_page(root_);
    while (Region* r = regions_) {
        regions_ = r->next;
        kfree(r);
    }
    this->~AddressSpace();
    kfree(this);
}

// Every table below `table` (a `level` table) and every page reference.
void AddressSpace::free_tables(uint64_t table, int level) {
    pte_t* t = table_of(table);
    const unsigned n = level == kRoot ? arch::kUserRootEntries : arch::kPteEntries;
    for (unsigned i = 0; i < n; i++) {
        if (!arch::pte_mapped(t[i]))
            continue;
        const uint64_t phys = arch::pte_phys(t[i]);
        if (level > 0) {
            free_tables(phys, level - 1);
            mm::free_page(phys);
        } else if (page_ref_put(pfn_of(phys)) == 0) {
            mm::free_page(phys);
        }
        t[i] = 0;
    }
}

// The leaf entry for va, creating the tables on the way if asked. nullptr
// if a table is missing (path.missing says at which level) or out of
// memory. Tables created before an allocation failure stay, empty, until
// destroy(). Caller holds the lock.
pte_t* AddressSpace::walk(uintptr_t va, Path& path, bool create) {
    path.table[kRoot] = root_;
    for (int level = kRoot; level > 0; level--) {
        pte_t& e = table_of(path.table[level])[arch::pt_index(va, level)];
        if (!arch::pte_present(e)) {
            path.missing = level;
            if (!create)
                return nullptr;
            const uint64_t t = mm::alloc_page(); // zeroed: no entries
            if (!t)
                return nullptr;
            page_ref_set(pfn_of(t), 0);
            e = arch::pte_table(t);
            table_entries_add(pfn_of(path.table[level]), 1);
            table_pages_++;
        }
        path.table[level - 1] = arch::pte_phys(e);
    }
    return &table_of(path.table[0])[arch::pt_index(va, 0)];
}

// Removes va's (present) page and every table that becomes empty. The page
// reference and the tables are released by the batch, after the flush.
void AddressSpace::clear_leaf(uintptr_t va, Path& path, TlbBatch& batch) {
    pte_t& e = table_of(path.table[0])[arch::pt_index(va, 0)];
    batch.put_page(arch::pte_phys(e));
    batch.flush_page(va);
    e = 0;
    mapped_pages_--;
    for (int level = 0;; level++) {
        if (table_entries_add(pfn_of(path.table[level]), -1) != 0 || level == kRoot)
            return;
        table_of(path.table[level + 1])[arch::pt_index(va, level + 1)] = 0;
        batch.free_table(path.table[level]);
        table_pages_--;
    }
}

bool AddressSpace::map(uintptr_t va, uint64_t pa, unsigned prot) {
    if (!user_range(va, kPageSize) || pa % kPageSize)
        return false;
    SpaceGuard guard(lock_);
    Path path;
    pte_t* e = walk(va, path, true);
    if (!e || arch::pte_mapped(*e))
        return false;
    page_ref_set(pfn_of(pa), 1);
    // Absent -> present needs no flush: x86 never caches absent entries.
    *e = arch::pte_page(pa, prot);
    table_entries_add(pfn_of(path.table[0]), 1);
    mapped_pages_++;
    return true;
}

bool AddressSpace::unmap(uintptr_t va, size_t len) {
    if (!user_range(va, len))
        return false;
    const uintptr_t end = va + len;
    {
        SpaceGuard guard(lock_);
        if (!split_region_at(va) || !split_region_at(end))
            return false;
        for (Region** link = &regions_; *link;) {
            Region* r = *link;
            if (r->start >= va && r->end <= end) {
                *link = r->next;
                kfree(r);
            } else {
                link = &r->next;
            }
        }
    }
    while (va < end) {
        TlbBatch batch(*this);
        {
            SpaceGuard guard(lock_);
            // A page releases itself and at most its kRoot tables.
            while (va < end && batch.release_room(kRoot + 1)) {
                Path path;
                pte_t* e = walk(va, path, false);
                if (!e) { // skip everything the missing table would cover
                    const uintptr_t span = entry_span(path.missing);
                    const uintptr_t next = (va & ~(span - 1)) + span;
                    va = next < end && next > va ? next : end;
                    continue;
                }
                if (arch::pte_mapped(*e))
                    clear_leaf(va, path, batch);
                va += kPageSize;
            }
            batch.finish(); // under the lock: see tlb.h
        }
    }
    return true;
}

bool AddressSpace::protect(uintptr_t va, size_t len, unsigned prot) {
    if (!user_range(va, len))
        return false;
    TlbBatch batch(*this);
    {
        SpaceGuard guard(lock_);
        if (!split_region_at(va) || !split_region_at(va + len))
            return false;
        for (Region* r = regions_; r; r = r->next)
            if (r->start >= va && r->end <= va + len)
                r->prot = prot;
        for (const uintptr_t end = va + len; va < end; va += kPageSize) {
            Path path;
            pte_t* e = walk(va, path, false);
            if (!e || !arch::pte_mapped(*e))
                continue;
            const pte_t old = *e;
            // A shared page stays read-only in hardware; the write it now
            // allows breaks the share first.
            const bool share =
                (prot & arch::kProtWrite) &&
                (arch::pte_cow(old) || page_ref_count(pfn_of(arch::pte_phys(old))) > 1);
            const pte_t now =
                share ? arch::pte_set_cow(arch::pte_set_prot(old, prot & ~arch::kProtWrite), true)
                      : arch::pte_set_cow(arch::pte_set_prot(old, prot), false);
            if (now == old)
                continue;
            *e = now;
            if ((arch::pte_prot(old) & ~arch::pte_prot(now)) != 0)
                batch.flush_page(va); // a right was taken away: no CPU may keep it
        }
        batch.finish();
    }
    return true;
}

bool AddressSpace::translate(uintptr_t va, uint64_t* pa, unsigned* prot) {
    if (va >= arch::kUserSpaceEnd)
        return false;
    SpaceGuard guard(lock_);
    Path path;
    const pte_t* e = walk(va & ~(kPageSize - 1), path, false);
    if (!e || !arch::pte_mapped(*e))
        return false;
    if (pa)
        *pa = arch::pte_phys(*e) + (va & (kPageSize - 1));
    if (prot)
        *prot = arch::pte_prot(*e) | (arch::pte_cow(*e) ? arch::kProtWrite : 0u);
    return true;
}

bool AddressSpace::map_anonymous(uintptr_t va, size_t len, unsigned prot) {
    if (!user_range(va, len) || len == 0)
        return false;
    auto* r = static_cast<Region*>(kmalloc(sizeof(Region)));
    if (!r)
        return false;
    *r = Region{va, va + len, prot, nullptr};
    SpaceGuard guard(lock_);
    for (const Region* o = regions_; o; o = o->next) {
        if (o->start < r->end && r->start < o->end) {
            kfree(r);
            return false; // overlapping regions are not supported
        }
    }
    r->next = regions_;
    regions_ = r;
    return true;
}

// Makes va a region boundary: a region strictly containing it becomes two.
// False when out of memory. Caller holds the lock.
bool AddressSpace::split_region_at(uintptr_t va) {
    for (Region* r = regions_; r; r = r->next) {
        if (va <= r->start || va >= r->end)
            continue;
        auto* tail = static_cast<Region*>(kmalloc(sizeof(Region)));
        if (!tail)
            return false;
        *tail = Region{va, r->end, r->prot, r->next};
        r->end = va;
        r->next = tail;
        return true;
    }
    return true;
}

size_t AddressSpace::region_object_size() {
    return sizeof(Region);
}

size_t AddressSpace::region_count() const {
    size_t n = 0;
    for (const Region* r = regions_; r; r = r->next)
        n++;
    return n;
}

bool AddressSpace::in_region(uintptr_t va) {
    SpaceGuard guard(lock_); // serves cross-calls while it waits, as every user of the lock
    return region_at(va) != nullptr;
}

const AddressSpace::Region* AddressSpace::region_at(uintptr_t va) const {
    for (const Region* r = regions_; r; r = r->next)
        if (va >= r->start && va < r->end)
            return r;
    return nullptr;
}

// Shares every present page under `table` with the child (see the header).
bool AddressSpace::copy_tables(AddressSpace& child, uint64_t table, int level, uintptr_t base,
                               TlbBatch& batch) {
    pte_t* t = table_of(table);
    const unsigned n = level == kRoot ? arch::kUserRootEntries : arch::kPteEntries;
    for (unsigned i = 0; i < n; i++) {
        if (!arch::pte_mapped(t[i]))
            continue;
        const uintptr_t va = base + i * entry_span(level);
        if (level > 0) {
            if (!copy_tables(child, arch::pte_phys(t[i]), level - 1, va, batch))
                return false;
            continue;
        }
        if (arch::pte_prot(t[i]) & arch::kProtWrite) {
            t[i] = arch::pte_set_cow(
                arch::pte_set_prot(t[i], arch::pte_prot(t[i]) & ~arch::kProtWrite), true);
            batch.flush_page(va); // the parent may run on other CPUs, writing
        }
        Path path;
        pte_t* e = child.walk(va, path, true);
        if (!e)
            return false;
        page_ref_get(pfn_of(arch::pte_phys(t[i])));
        *e = t[i];
        table_entries_add(pfn_of(path.table[0]), 1);
        child.mapped_pages_++;
    }
    return true;
}

AddressSpace* AddressSpace::clone_cow() {
    AddressSpace* child = create();
    if (!child)
        return nullptr;
    bool ok = true;
    {
        TlbBatch batch(*this);
        {
            SpaceGuard guard(lock_);
            Region** tail = &child->regions_;
            for (const Region* r = regions_; r && ok; r = r->next) {
                auto* copy = static_cast<Region*>(kmalloc(sizeof(Region)));
                if (!copy) {
                    ok = false;
                    break;
                }
                *copy = Region{r->start, r->end, r->prot, nullptr};
                *tail = copy;
                tail = &copy->next;
            }
            // The child is not visible to anyone yet: its tables need no lock.
            ok = ok && copy_tables(*child, root_, kRoot, 0, batch);
            // Under the lock: until every CPU has dropped its writable entries
            // no fault may copy a page they could still write (tlb.h).
            batch.finish();
        }
    }
    if (!ok) {
        // Pages already marked copy-on-write here stay so: the next write
        // finds them unshared and just makes them writable again.
        child->destroy();
        return nullptr;
    }
    return child;
}

bool AddressSpace::handle_fault(uintptr_t addr, bool write) {
    const uintptr_t va = addr & ~(kPageSize - 1);
    bool handled = false;
    TlbBatch batch(*this);
    {
        SpaceGuard guard(lock_);
        Path path;
        pte_t* e = walk(va, path, false);
        if (e && !arch::pte_present(*e) && arch::pte_mapped(*e)) {
            // PROT_NONE: the page stays, no access is allowed.
        } else if (e && arch::pte_present(*e)) {
            const unsigned prot = arch::pte_prot(*e);
            if (!write || (prot & arch::kProtWrite)) {
                // Our TLB held an older, weaker entry (an upgrade needs no
                // shootdown, so other CPUs land here): drop it and retry.
                arch::flush_tlb_page(va);
                count(&FaultCounters::spurious);
                handled = true;
            } else if (arch::pte_cow(*e)) {
                const uint64_t old = arch::pte_phys(*e);
                if (page_ref_count(pfn_of(old)) == 1) {
                    // The other sharers are gone: the page is ours again.
                    *e = arch::pte_set_cow(arch::pte_set_prot(*e, prot | arch::kProtWrite), false);
                    arch::flush_tlb_page(va);
                    count(&FaultCounters::cow_reuses);
                    handled = true;
                } else if (const uint64_t copy = mm::alloc_page()) {
                    memcpy(arch::phys_to_virt(copy), arch::phys_to_virt(old), kPageSize);
                    page_ref_set(pfn_of(copy), 1);
                    *e = arch::pte_page(copy, prot | arch::kProtWrite);
                    // Other CPUs of this space may still read the old page.
                    batch.flush_page(va);
                    batch.put_page(old);
                    count(&FaultCounters::cow_copies);
                    handled = true;
                }
            }
        } else if (const Region* r = region_at(va)) {
            if (write ? (r->prot & arch::kProtWrite) != 0 : r->prot != 0) {
                const uint64_t page = mm::alloc_page(); // zeroed
                pte_t* leaf = page ? walk(va, path, true) : nullptr;
                if (leaf) {
                    page_ref_set(pfn_of(page), 1);
                    *leaf = arch::pte_page(page, r->prot);
                    table_entries_add(pfn_of(path.table[0]), 1);
                    mapped_pages_++;
                    count(&FaultCounters::zero_fills);
                    handled = true;
                } else if (page) {
                    mm::free_page(page);
                }
            }
        }
        batch.finish();
    }
    return handled;
}

bool handle_page_fault(uintptr_t addr, uint64_t error_code) {
    // A reserved bit set in an entry is a bug in the tables, never ours to retry.
    if (addr >= arch::kUserSpaceEnd || arch::fault_was_reserved_bit(error_code))
        return false;
    AddressSpace* space = active_space();
    if (!space)
        return false;
    return space->handle_fault(addr, arch::fault_was_write(error_code));
}

} // namespace kernel::vm

namespace kernel::vm {

FaultStats fault_stats(uint32_t cpu) {
    const FaultCounters& c = fault_counters[cpu];
    return {c.zero_fills.load(), c.cow_copies.load(), c.cow_reuses.load(), c.spurious.load()};
}

} // namespace kernel::vm
