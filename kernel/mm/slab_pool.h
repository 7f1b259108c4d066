// kernel/mm/slab_pool.h: the slab layer: fixed-size objects carved from naturally aligned
// blocks of pages, under one lock. The object caches of slab.h put per-CPU magazines in front
// of it; it is also used bare for the magazines themselves.
//
// Layout: a slab is one block of 2^order pages obtained from the PageSource, aligned to its own
// size. The Slab header sits at the start of the block, objects follow at a stride rounded up to
// the alignment; a free object's first word links the slab's free list. Finding an object's
// slab is a mask of its address (hence the alignment requirement on the page source). The order
// is the smallest that wastes at most 1/8 of the slab (4 KiB page-aligned objects: 8 pages, 7
// objects); off-slab headers would avoid that waste and are not implemented.
//
// Slabs live on three lists (empty, partial, full). Allocation prefers partial slabs, keeping
// empty ones reclaimable; one empty slab is kept to damp grow/shrink thrash, the rest go back
// to the page source as soon as they empty. reap() returns every empty slab.
//
// Synchronisation table:
//   alloc / alloc_batch / free / free_batch / reap     any CPUs concurrently (Lock; the page
//                                                      source is called outside it)
//   counters (slabs, inuse, ...)                        any CPU, racy snapshot
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>

#include "kernel/mm/mm_common.h"

namespace scythe::mm {

// Where slabs come from. alloc_pages(order): 2^order pages aligned to (kPageSize << order), or
// nullptr. The kernel uses CachePageSource (page_source.h) over the per-CPU page cache and the
// direct map; the host tests use aligned_alloc.
template <class S>
concept PageSource = requires(S& s, void* p, unsigned order) {
    { s.alloc_pages(order) } -> std::same_as<void*>;
    s.free_pages(p, order);
};

template <Platform P, BasicLock Lock, PageSource Source>
class SlabPool {
public:
    static constexpr unsigned kMaxSlabOrder = 6;
    static constexpr std::uint32_t kKeepEmpty = 1;

    SlabPool(Source& src, std::size_t size, std::size_t align) noexcept : src_(src) {
        if (align < alignof(void*))
            align = alignof(void*);
        SCYTHE_MM_VERIFY(P, (align & (align - 1)) == 0);
        stride_ = round_up(size < sizeof(void*) ? sizeof(void*) : size, align);
        first_ = round_up(sizeof(Slab), align);
        bool found = false;
        for (unsigned o = 0; o <= kMaxSlabOrder && !found; ++o) {
            std::size_t bytes = kPageSize << o;
            if (bytes < first_ + stride_)
                continue;
            std::size_t cap = (bytes - first_) / stride_;
            if ((bytes - cap * stride_) * 8 <= bytes) {
                order_ = o;
                found = true;
            }
        }
        if (!found) { // accept more waste rather than fail
            order_ = kMaxSlabOrder;
            while (order_ > 0 && (kPageSize << (order_ - 1)) >= first_ + stride_)
                --order_;
        }
        slab_bytes_ = kPageSize << order_;
        SCYTHE_MM_VERIFY(P, slab_bytes_ >= first_ + stride_);
        per_slab_ = static_cast<std::uint32_t>((slab_bytes_ - first_) / stride_);
    }

    // Destroying a pool with live objects is a leak; empty slabs are returned.
    ~SlabPool() {
        SCYTHE_MM_VERIFY(P, inuse_.get() == 0);
        reap();
    }
    SlabPool(const SlabPool&) = delete;
    SlabPool& operator=(const SlabPool&) = delete;

    void* alloc() noexcept {
        void* p = nullptr;
        return alloc_batch(&p, 1) == 1 ? p : nullptr;
    }

    // Up to n objects into out[]; fewer only if the page source runs dry.
    std::size_t alloc_batch(void** out, std::size_t n) noexcept {
        std::size_t got = 0;
        for (;;) {
            {
                LockGuard<Lock> g(lock_);
                got += take_locked(out + got, n - got);
                if (got == n)
                    return got;
            }
            Slab* s = grow(); // outside the lock: the page source has locks of its own
            if (s == nullptr)
                return got;
            LockGuard<Lock> g(lock_);
            link(empty_, s);
            slabs_.add();
        }
    }

    void free(void* obj) noexcept { free_batch(&obj, 1); }

    void free_batch(void* const* objs, std::size_t n) noexcept {
        Slab* release = nullptr; // emptied slabs beyond kKeepEmpty, freed after unlocking
        {
            LockGuard<Lock> g(lock_);
            for (std::size_t i = 0; i < n; ++i) {
                Slab* s = slab_of(objs[i]);
                // A pointer from another cache, not at an object boundary, or a free beyond what
                // was allocated (double free of the slab's last object) stops here.
                SCYTHE_MM_VERIFY(P, s->owner == this && s->inuse > 0);
                SCYTHE_MM_VERIFY(P, is_object(s, objs[i]));
                *static_cast<void**>(objs[i]) = s->free;
                s->free = objs[i];
                --s->inuse;
                inuse_.sub();
                if (s->inuse == 0) {
                    unlink(s);
                    if (empty_.n >= kKeepEmpty) {
                        s->next = release;
                        release = s;
                        slabs_.sub();
                    } else {
                        link(empty_, s);
                    }
                } else if (s->list == &full_) {
                    unlink(s);
                    link(partial_, s);
                }
            }
        }
        while (release != nullptr) {
            Slab* next = release->next;
            give_back(release);
            release = next;
        }
    }

    // Returns every empty slab to the page source; the number of pages returned.
    std::size_t reap() noexcept {
        Slab* release = nullptr;
        std::size_t n = 0;
        {
            LockGuard<Lock> g(lock_);
            while (empty_.head != nullptr) {
                Slab* s = empty_.head;
                unlink(s);
                s->next = release;
                release = s;
                slabs_.sub();
                ++n;
            }
        }
        while (release != nullptr) {
            Slab* next = release->next;
            give_back(release);
            release = next;
        }
        return n << order_;
    }

    std::size_t object_size() const noexcept { return stride_; }
    std::size_t slab_bytes() const noexcept { return slab_bytes_; }
    unsigned order() const noexcept { return order_; }
    std::uint32_t objects_per_slab() const noexcept { return per_slab_; }
    std::uint64_t slabs() const noexcept { return slabs_.get(); }
    std::uint64_t pages() const noexcept { return slabs_.get() << order_; }
    std::uint64_t inuse() const noexcept { return inuse_.get(); }
    std::uint64_t capacity() const noexcept { return slabs_.get() * per_slab_; }

private:
    struct Slab;
    struct List {
        Slab* head = nullptr;
        std::uint32_t n = 0;
    };
    struct Slab {
        Slab* next;
        Slab* prev;
        List* list;
        void* free; // free objects, linked through their first word
        const SlabPool* owner;
        std::uint32_t inuse;
    };

    static constexpr std::size_t round_up(std::size_t v, std::size_t a) noexcept {
        return (v + a - 1) & ~(a - 1);
    }

    Slab* slab_of(void* obj) const noexcept {
        return reinterpret_cast<Slab*>(reinterpret_cast<std::uintptr_t>(obj) & ~(slab_bytes_ - 1));
    }
    bool is_object(Slab* s, void* obj) const noexcept {
        std::uintptr_t off =
            reinterpret_cast<std::uintptr_t>(obj) - reinterpret_cast<std::uintptr_t>(s) - first_;
        return off < per_slab_ * stride_ && off % stride_ == 0;
    }

    void link(List& l, Slab* s) noexcept {
        s->list = &l;
        s->prev = nullptr;
        s->next = l.head;
        if (l.head != nullptr)
            l.head->prev = s;
        l.head = s;
        ++l.n;
    }
    void unlink(Slab* s) noexcept {
        List& l = *s->list;
        if (s->prev != nullptr)
            s->prev->next = s->next;
        else
            l.head = s->next;
        if (s->next != nullptr)
            s->next->prev = s->prev;
        s->list = nullptr;
        --l.n;
    }

    std::size_t take_locked(void** out, std::size_t n) noexcept {
        std::size_t got = 0;
        while (got < n) {
            Slab* s = partial_.head != nullptr ? partial_.head : empty_.head;
            if (s == nullptr)
                break;
            while (got < n && s->free != nullptr) {
                void* obj = s->free;
                s->free = *static_cast<void**>(obj);
                out[got++] = obj;
                ++s->inuse;
            }
            unlink(s);
            link(s->free == nullptr ? full_ : partial_, s);
        }
        inuse_.add(got);
        return got;
    }

    Slab* grow() noexcept {
        void* block = src_.alloc_pages(order_);
        if (block == nullptr)
            return nullptr;
        SCYTHE_MM_VERIFY(P, (reinterpret_cast<std::uintptr_t>(block) & (slab_bytes_ - 1)) == 0);
        Slab* s = static_cast<Slab*>(block);
        s->next = s->prev = nullptr;
        s->list = nullptr;
        s->owner = this;
        s->inuse = 0;
        // Link objects so that the lowest address is handed out first.
        char* base = static_cast<char*>(block) + first_;
        void* head = nullptr;
        for (std::uint32_t i = per_slab_; i-- > 0;) {
            void* obj = base + i * stride_;
            *static_cast<void**>(obj) = head;
            head = obj;
        }
        s->free = head;
        return s;
    }

    void give_back(Slab* s) noexcept {
        s->owner = nullptr; // a stale pointer into a returned slab fails the owner check
        src_.free_pages(s, order_);
    }

    Source& src_;
    std::size_t stride_ = 0;
    std::size_t first_ = 0;
    std::size_t slab_bytes_ = 0;
    unsigned order_ = 0;
    std::uint32_t per_slab_ = 0;
    Lock lock_{};
    List empty_, partial_, full_;
    Counter slabs_; // written under lock_
    Counter inuse_; // written under lock_
};

} // namespace scythe::mm
