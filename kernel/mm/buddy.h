// kernel/mm/buddy.h: a binary buddy allocator over physical page frame numbers.
//
// What: blocks of 2^order pages (order 0..MaxOrder), naturally aligned in the physical address
// space (a block's first pfn is a multiple of 2^order), with one free list per order. alloc()
// takes the smallest free block that fits and splits it; free() merges a block with its buddy
// (pfn ^ 2^order) for as long as the buddy is a free block of the same order.
//
// Where it sits: the slow, shared layer. The common order-0 traffic goes through the per-CPU
// page caches (page_cache.h), which talk to this allocator only in batches (alloc_batch /
// free_batch: one lock acquisition per batch). Larger blocks (kernel stacks, slabs of big
// objects) come straight from here.
//
// Metadata: one PageFrame per page in a caller-provided array covering the pfn span
// [base_pfn, base_pfn + count). Holes in the span (MMIO, firmware) are never added and so are
// never merged across: a buddy outside the span, or not a free block head of the same order,
// stops the merge. Several physical ranges are handled by calling add_range once per range.
//
// Init order: construct (every frame "absent"), reserve() what must never be handed out
// (kernel image, the PageFrame array itself, boot structures), add_range() each usable range.
// reserve() may also be called after add_range: it carves the page out of its free block.
//
// Failure: alloc returns kNoPfn when no block of that order is free (or order > MaxOrder);
// free of a pfn that is not an allocated block head of that order is a broken invariant and
// stops via Platform::assert_fail (double free, wrong order, foreign pfn).
//
// Synchronisation table (Lock: the kernel's spinlock, a std::mutex on the host):
//   alloc / free / alloc_batch / free_batch / reserve / add_range   any CPUs concurrently (lock)
//   free_pages / total_pages / free_blocks / stats                  any CPU, racy snapshot
//   check_invariants                                                 any CPU (takes the lock)
//   frame(pfn)                                                       no synchronisation: the
//        buddy writes PageFrame::flags/order/links only under its lock and only for pages it
//        owns (free, or being allocated/freed); owner_flags and refcount belong to the layer
//        that holds the page.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kernel/mm/mm_common.h"

namespace scythe::mm {

// Per-page metadata. 24 bytes; the kernel allocates count * sizeof(PageFrame) at boot.
struct PageFrame {
    // Buddy-owned (written under the buddy lock).
    PageFrame* next = nullptr; // free-list links, valid while kFree
    PageFrame* prev = nullptr;
    std::uint8_t order = 0; // order of the block this frame heads (free or allocated)
    std::uint8_t flags = 0; // kPresent | kFree | kAllocated | kReserved
    // Owned by the layer holding the page (page cache: kCached; later: slab, page table, COW).
    std::uint8_t owner_flags = 0;
    std::uint8_t pad_ = 0;
    // Reference count for copy-on-write sharing (address-space layer). The buddy sets it to 1
    // on the head of an allocated block and to 0 when the block is freed; it never reads it.
    std::atomic<std::uint32_t> refcount{0};

    static constexpr std::uint8_t kPresent = 1;   // usable RAM added by add_range
    static constexpr std::uint8_t kFree = 2;      // head of a block on a buddy free list
    static constexpr std::uint8_t kAllocated = 4; // head of a block handed out by alloc
    static constexpr std::uint8_t kReserved = 8;  // never handed out

    static constexpr std::uint8_t kOwnerCached = 1; // sits in a per-CPU page cache
};

struct BuddyStats {
    std::uint64_t total_pages;
    std::uint64_t free_pages;
    std::uint64_t allocs;        // successful block allocations (a batch counts each page)
    std::uint64_t frees;         // block frees
    std::uint64_t failures;      // allocs that returned kNoPfn
    std::uint64_t lock_acquires; // how often the lock was taken (batches take it once)
};

template <Platform P, BasicLock Lock, unsigned MaxOrder = 10>
class BuddyAllocator {
public:
    static constexpr unsigned kMaxOrder = MaxOrder;
    static_assert(MaxOrder < 32);

    // frames[i] describes pfn base_pfn + i.
    BuddyAllocator(PageFrame* frames, pfn_t base_pfn, std::size_t count) noexcept
        : frames_(frames), base_(base_pfn), count_(count) {
        for (std::size_t i = 0; i < count; ++i) {
            frames_[i].next = frames_[i].prev = nullptr;
            frames_[i].order = 0;
            frames_[i].flags = 0;
            frames_[i].owner_flags = 0;
            frames_[i].refcount.store(0, std::memory_order_relaxed);
        }
    }
    BuddyAllocator(const BuddyAllocator&) = delete;
    BuddyAllocator& operator=(const BuddyAllocator&) = delete;

    // Adds usable RAM [pfn, pfn + n); reserved pages inside are skipped. The range may be
    // misaligned: it is cut into maximal naturally aligned blocks. Adding a page twice is a bug.
    void add_range(pfn_t pfn, std::size_t n) noexcept {
        SCYTHE_MM_VERIFY(P, in_span(pfn, n));
        LockGuard<Lock> g(lock_);
        lock_acquires_.add();
        pfn_t run = pfn;
        for (pfn_t p = pfn; p <= pfn + n; ++p) {
            bool usable = p < pfn + n && (frame(p).flags & PageFrame::kReserved) == 0;
            if (usable) {
                SCYTHE_MM_VERIFY(P, frame(p).flags == 0); // added twice?
                frame(p).flags = PageFrame::kPresent;
                continue;
            }
            add_run_locked(run, p);
            run = p + 1;
        }
    }

    // Marks [pfn, pfn + n) as never to be handed out. Pages not yet added are just marked; pages
    // already added must be free (they are carved out of their free blocks).
    void reserve(pfn_t pfn, std::size_t n) noexcept {
        SCYTHE_MM_VERIFY(P, in_span(pfn, n));
        LockGuard<Lock> g(lock_);
        lock_acquires_.add();
        for (pfn_t p = pfn; p < pfn + n; ++p) {
            PageFrame& f = frame(p);
            if (f.flags & PageFrame::kReserved)
                continue;
            if (f.flags & PageFrame::kPresent) {
                carve_locked(p);
                total_pages_.sub();
            }
            f.flags = PageFrame::kReserved;
        }
    }

    // A naturally aligned block of 2^order pages, or kNoPfn.
    pfn_t alloc(unsigned order = 0) noexcept {
        LockGuard<Lock> g(lock_);
        lock_acquires_.add();
        return alloc_locked(order);
    }

    void free(pfn_t pfn, unsigned order = 0) noexcept {
        LockGuard<Lock> g(lock_);
        lock_acquires_.add();
        free_locked(pfn, order);
    }

    // Up to `count` order-0 pages into out[]; returns how many (fewer only when memory runs out).
    // One lock acquisition for the whole batch.
    std::size_t alloc_batch(std::size_t count, pfn_t* out) noexcept {
        LockGuard<Lock> g(lock_);
        lock_acquires_.add();
        std::size_t i = 0;
        for (; i < count; ++i) {
            pfn_t p = alloc_locked(0);
            if (p == kNoPfn)
                break;
            out[i] = p;
        }
        return i;
    }

    // Frees `count` order-0 pages under one lock acquisition.
    void free_batch(const pfn_t* pfns, std::size_t count) noexcept {
        if (count == 0)
            return;
        LockGuard<Lock> g(lock_);
        lock_acquires_.add();
        for (std::size_t i = 0; i < count; ++i)
            free_locked(pfns[i], 0);
    }

    std::size_t free_pages() const noexcept { return free_pages_.get(); }
    std::size_t total_pages() const noexcept { return total_pages_.get(); }
    std::size_t free_blocks(unsigned order) const noexcept {
        return order <= MaxOrder ? nr_free_[order].get() : 0;
    }
    BuddyStats stats() const noexcept {
        return {total_pages_.get(), free_pages_.get(), allocs_.get(),
                frees_.get(),       failures_.get(),   lock_acquires_.get()};
    }

    bool contains(pfn_t pfn) const noexcept { return pfn >= base_ && pfn - base_ < count_; }
    PageFrame& frame(pfn_t pfn) noexcept { return frames_[pfn - base_]; }
    const PageFrame& frame(pfn_t pfn) const noexcept { return frames_[pfn - base_]; }
    pfn_t pfn_of(const PageFrame& f) const noexcept {
        return base_ + static_cast<pfn_t>(&f - frames_);
    }
    pfn_t base_pfn() const noexcept { return base_; }
    std::size_t span_pages() const noexcept { return count_; }

    // Walks every free list and the whole frame array under the lock: links consistent, blocks
    // aligned, inside present memory, not overlapping, no two free buddies left unmerged, and
    // the counters match. Returns false on the first violation (tests assert on it).
    bool check_invariants() noexcept {
        LockGuard<Lock> g(lock_);
        std::uint64_t free_total = 0;
        for (unsigned o = 0; o <= MaxOrder; ++o) {
            std::uint64_t n = 0;
            const PageFrame* prev = nullptr;
            for (PageFrame* f = heads_[o]; f != nullptr; prev = f, f = f->next) {
                pfn_t p = pfn_of(*f);
                if (f->prev != prev || f->order != o || (f->flags & PageFrame::kFree) == 0)
                    return false;
                if ((p & ((pfn_t{1} << o) - 1)) != 0 || !in_span(p, std::size_t{1} << o))
                    return false;
                if (o < MaxOrder) { // an unmerged free buddy means a missed coalesce
                    pfn_t b = p ^ (pfn_t{1} << o);
                    if (contains(b) && (frame(b).flags & PageFrame::kFree) && frame(b).order == o)
                        return false;
                }
                ++n;
                free_total += std::uint64_t{1} << o;
            }
            if (n != nr_free_[o].get())
                return false;
        }
        if (free_total != free_pages_.get())
            return false;
        // No free head inside another free block, and every page of a free block is present.
        for (std::size_t i = 0; i < count_;) {
            const PageFrame& f = frames_[i];
            if ((f.flags & PageFrame::kFree) == 0) {
                ++i;
                continue;
            }
            std::size_t len = std::size_t{1} << f.order;
            for (std::size_t j = i; j < i + len; ++j) {
                std::uint8_t fl = frames_[j].flags;
                if ((fl & PageFrame::kPresent) == 0 || (fl & PageFrame::kAllocated) != 0)
                    return false;
                if (j != i && (fl & PageFrame::kFree) != 0)
                    return false;
            }
            i += len;
        }
        return true;
    }

private:
    bool in_span(pfn_t pfn, std::size_t n) const noexcept {
        return pfn >= base_ && pfn - base_ <= count_ && n <= count_ - (pfn - base_);
    }

    void push(PageFrame& f, unsigned o) noexcept {
        f.order = static_cast<std::uint8_t>(o);
        f.flags = static_cast<std::uint8_t>(PageFrame::kPresent | PageFrame::kFree);
        f.prev = nullptr;
        f.next = heads_[o];
        if (heads_[o] != nullptr)
            heads_[o]->prev = &f;
        heads_[o] = &f;
        nr_free_[o].add();
    }

    void unlink(PageFrame& f, unsigned o) noexcept {
        if (f.prev != nullptr)
            f.prev->next = f.next;
        else
            heads_[o] = f.next;
        if (f.next != nullptr)
            f.next->prev = f.prev;
        f.next = f.prev = nullptr;
        f.flags = PageFrame::kPresent;
        nr_free_[o].sub();
    }

    pfn_t alloc_locked(unsigned order) noexcept {
        unsigned o = order;
        while (o <= MaxOrder && heads_[o] == nullptr)
            ++o;
        if (o > MaxOrder) { // also order > MaxOrder
            failures_.add();
            return kNoPfn;
        }
        PageFrame& head = *heads_[o];
        unlink(head, o);
        pfn_t pfn = pfn_of(head);
        while (o > order) { // split: keep the lower half, free the upper half
            --o;
            push(frame(pfn + (pfn_t{1} << o)), o);
        }
        head.order = static_cast<std::uint8_t>(order);
        head.flags = PageFrame::kPresent | PageFrame::kAllocated;
        head.refcount.store(1, std::memory_order_relaxed);
        free_pages_.sub(std::uint64_t{1} << order);
        allocs_.add();
        return pfn;
    }

    void free_locked(pfn_t pfn, unsigned order) noexcept {
        SCYTHE_MM_VERIFY(P, order <= MaxOrder && contains(pfn));
        PageFrame& f = frame(pfn);
        // A double free, a free with the wrong order or of a page never allocated stops here.
        SCYTHE_MM_VERIFY(P, (f.flags & PageFrame::kAllocated) != 0 && f.order == order);
        f.flags = PageFrame::kPresent;
        f.refcount.store(0, std::memory_order_relaxed);
        free_pages_.add(std::uint64_t{1} << order);
        frees_.add();
        insert_merge_locked(pfn, order);
    }

    // Puts the free block [pfn, pfn + 2^order) on the lists, merging with free buddies.
    void insert_merge_locked(pfn_t pfn, unsigned order) noexcept {
        unsigned o = order;
        while (o < MaxOrder) {
            pfn_t b = pfn ^ (pfn_t{1} << o);
            if (!contains(b))
                break;
            PageFrame& bf = frame(b);
            if ((bf.flags & PageFrame::kFree) == 0 || bf.order != o)
                break;
            unlink(bf, o);
            pfn = pfn < b ? pfn : b;
            ++o;
        }
        push(frame(pfn), o);
    }

    // Frees the present run [s, e) as maximal naturally aligned blocks.
    void add_run_locked(pfn_t s, pfn_t e) noexcept {
        while (s < e) {
            unsigned o = 0;
            while (o < MaxOrder && (s & ((pfn_t{2} << o) - 1)) == 0 && s + (pfn_t{2} << o) <= e)
                ++o;
            free_pages_.add(std::uint64_t{1} << o);
            total_pages_.add(std::uint64_t{1} << o);
            insert_merge_locked(s, o);
            s += pfn_t{1} << o;
        }
    }

    // Takes the single free page `pfn` out of the free block that contains it.
    void carve_locked(pfn_t pfn) noexcept {
        unsigned k = 0;
        pfn_t h = pfn;
        for (;; ++k) {
            SCYTHE_MM_VERIFY(P, k <= MaxOrder); // reserve() of a page that is allocated
            h = pfn & ~((pfn_t{1} << k) - 1);
            if (contains(h) && (frame(h).flags & PageFrame::kFree) && frame(h).order >= k)
                break;
        }
        k = frame(h).order;
        unlink(frame(h), k);
        while (k > 0) { // split, freeing the half that does not hold pfn
            --k;
            pfn_t upper = h + (pfn_t{1} << k);
            if (pfn >= upper) {
                push(frame(h), k);
                h = upper;
            } else {
                push(frame(upper), k);
            }
        }
        free_pages_.sub();
    }

    PageFrame* frames_;
    pfn_t base_;
    std::size_t count_;
    Lock lock_{};
    PageFrame* heads_[MaxOrder + 1]{};
    Counter nr_free_[MaxOrder + 1]{};
    Counter free_pages_;
    Counter total_pages_;
    Counter allocs_;
    Counter frees_;
    Counter failures_;
    Counter lock_acquires_;
};

} // namespace scythe::mm
