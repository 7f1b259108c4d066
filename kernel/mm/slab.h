// kernel/mm/slab.h: object caches for fixed-size kernel objects (process, thread, pid nodes,
// page-table pages, kernel stacks), with per-CPU magazines in front of a locked slab layer.
//
// Design (Bonwick & Adams, "Magazines and Vmem", USENIX 2001):
//   CPU layer    each CPU has a `loaded` and a `previous` magazine (a stack of up to `rounds`
//                object pointers). alloc pops from loaded; free pushes onto loaded. If loaded is
//                empty (alloc) or full (free) and previous is full (alloc) or empty (free), the
//                two are swapped. Both paths touch only this CPU's state under a PreemptGuard.
//                Invariant (checked): `previous` is always either full or empty (or absent), so
//                a swap always yields a magazine that can serve the request.
//   depot        one lock, two lists: full magazines and empty magazines. A CPU that misses on
//                both its magazines exchanges a whole magazine: alloc gives its empty previous
//                and takes a full one; free gives its full previous and takes an empty one. One
//                lock acquisition moves `rounds` objects, so the lock rate falls with the
//                magazine size.
//   slab layer   SlabPool (slab_pool.h): when the depot has no full magazine, alloc fills the
//                loaded magazine half full from the slabs in one batch (a UMA-style bucket fill,
//                which Bonwick's design leaves to per-object calls); when no empty magazine can
//                be had, free returns the object to its slab.
// Magazines themselves come from a small bare SlabPool owned by the cache (no recursion).
//
// Not (yet) done from the paper: the depot's working-set reaping (reap() here flushes the whole
// depot) and run-time magazine resizing under contention.
//
// Debug limits: the slab layer stops on a foreign pointer, a misaligned one, or a free past a
// slab's allocated count; a double free of an object that is still parked in a magazine is not
// detected (it would need a per-object state word or a magazine scan).
//
// Remote frees: an object freed on another CPU goes into the freeing CPU's magazines, exactly
// like a local free; objects have no home CPU (same policy as page_cache.h).
//
// Accounting: live = allocs - frees (per-CPU counters, written by their owners); objects parked
// in magazines = slab objects in use - live. After drain_all_quiescent() (or drain_local() on
// every CPU) and reap(), a cache whose users freed everything holds no slab and no page.
//
// Synchronisation table:
//   alloc / free / drain_local / reap        any CPUs concurrently
//   drain_cpu(c) / drain_all_quiescent       only while no CPU uses this cache (tests, shutdown);
//                                            the kernel cross-calls drain_local instead
//   stats / cpu_stats                        any CPU, racy snapshot (exact when quiescent)
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/mm/mm_common.h"
#include "kernel/mm/mm_stats.h"
#include "kernel/mm/slab_pool.h"
#include "lockfree/cache.h"

namespace scythe::mm {

template <Platform P, BasicLock Lock, PageSource Source, class Guard = typename P::PreemptGuard>
class SlabCache {
public:
    static constexpr std::uint32_t kMaxRounds = 30; // a magazine is 256 bytes

    // rounds == 0 picks a magazine size from the object size (bigger objects, fewer rounds).
    SlabCache(Source& src, const char* name, std::size_t size,
              std::size_t align = alignof(std::max_align_t), std::uint32_t rounds = 0) noexcept
        : name_(name), objects_(src, size, align), mags_(src, sizeof(Magazine), alignof(Magazine)),
          rounds_(rounds != 0 ? rounds : default_rounds(size)) {
        SCYTHE_MM_VERIFY(P, rounds_ >= 1 && rounds_ <= kMaxRounds);
        node_.cache = this;
        node_.read = [](const void* c) { return static_cast<const SlabCache*>(c)->stats(); };
    }

    // The cache must be quiescent and its users must have freed everything.
    ~SlabCache() {
        drain_all_quiescent();
        reap();
    }
    SlabCache(const SlabCache&) = delete;
    SlabCache& operator=(const SlabCache&) = delete;

    // An object of at least `size` bytes at the cache's alignment, or nullptr when the page
    // source is exhausted.
    void* alloc() noexcept {
        [[maybe_unused]] Guard g;
        Cpu& c = cpus_[P::cpu_id()].value;
        void* obj = alloc_pinned(c);
        if (obj != nullptr)
            c.allocs.add();
        return obj;
    }

    void free(void* obj) noexcept {
        [[maybe_unused]] Guard g;
        Cpu& c = cpus_[P::cpu_id()].value;
        c.frees.add();
        free_pinned(c, obj);
    }

    // Flushes the calling CPU's magazines to the slab layer.
    void drain_local() noexcept {
        [[maybe_unused]] Guard g;
        drain_cpu(P::cpu_id());
    }
    // Caller guarantees no CPU uses cache state of `cpu` meanwhile (see the table at the top).
    void drain_cpu(std::size_t cpu) noexcept {
        Cpu& c = cpus_[cpu].value;
        flush(c.loaded);
        flush(c.prev);
        c.loaded = c.prev = nullptr;
    }
    void drain_all_quiescent() noexcept {
        for (std::size_t i = 0; i < P::kMaxCpus; ++i)
            drain_cpu(i);
    }

    // Empties the depot into the slab layer and returns every empty slab (object and magazine
    // slabs) to the page source. Returns the number of pages given back.
    std::size_t reap() noexcept {
        Magazine* full;
        Magazine* empty;
        {
            LockGuard<Lock> g(depot_lock_);
            full = full_;
            empty = empty_;
            full_ = empty_ = nullptr;
            nfull_.set(0);
            nempty_.set(0);
        }
        while (full != nullptr) {
            Magazine* next = full->next;
            flush(full);
            full = next;
        }
        while (empty != nullptr) {
            Magazine* next = empty->next;
            flush(empty);
            empty = next;
        }
        return objects_.reap() + mags_.reap();
    }

    CacheCpuStats cpu_stats(std::size_t cpu) const noexcept {
        const Cpu& c = cpus_[cpu].value;
        return {c.allocs.get(), c.frees.get(), c.hits.get(), c.misses.get()};
    }

    CacheStats stats() const noexcept {
        std::uint64_t allocs = 0, frees = 0, hits = 0, misses = 0;
        for (const auto& pc : cpus_) {
            allocs += pc.value.allocs.get();
            frees += pc.value.frees.get();
            hits += pc.value.hits.get();
            misses += pc.value.misses.get();
        }
        std::uint64_t live = allocs > frees ? allocs - frees : 0;
        std::uint64_t inuse = objects_.inuse();
        return {name_,
                objects_.object_size(),
                objects_.slab_bytes(),
                objects_.slabs(),
                objects_.pages() + mags_.pages(),
                objects_.capacity(),
                live,
                inuse > live ? inuse - live : 0,
                objects_.capacity() - inuse,
                hits,
                misses,
                nfull_.get(),
                nempty_.get(),
                mags_.inuse()};
    }

    CacheStatsNode& stats_node() noexcept { return node_; }
    const char* name() const noexcept { return name_; }
    std::size_t object_size() const noexcept { return objects_.object_size(); }
    std::uint32_t rounds() const noexcept { return rounds_; }
    std::size_t objects_per_slab() const noexcept { return objects_.objects_per_slab(); }

private:
    struct Magazine {
        Magazine* next;
        std::uint32_t count;
        std::uint32_t pad_;
        void* rounds[kMaxRounds];
    };
    static_assert(sizeof(Magazine) == 256);

    // Touched only by the owning CPU (counters are read racily by stats()).
    struct Cpu {
        Magazine* loaded = nullptr;
        Magazine* prev = nullptr;
        Counter allocs, frees, hits, misses;
    };

    static constexpr std::uint32_t default_rounds(std::size_t size) noexcept {
        return size <= 256 ? 30 : size <= 1024 ? 16 : size <= 4096 ? 8 : 4;
    }

    void* alloc_pinned(Cpu& c) noexcept {
        if (c.loaded != nullptr && c.loaded->count > 0) {
            c.hits.add();
            return c.loaded->rounds[--c.loaded->count];
        }
        if (c.prev != nullptr && c.prev->count == rounds_) {
            swap(c);
            c.hits.add();
            return c.loaded->rounds[--c.loaded->count];
        }
        c.misses.add();
        SCYTHE_MM_VERIFY(P, c.prev == nullptr || c.prev->count == 0);
        {
            LockGuard<Lock> g(depot_lock_);
            if (full_ != nullptr) {
                Magazine* m = pop_locked(full_, nfull_);
                if (c.prev != nullptr)
                    push_locked(empty_, nempty_, c.prev);
                c.prev = c.loaded; // empty or absent
                c.loaded = m;
                return m->rounds[--m->count];
            }
        }
        // Depot has no full magazine: fill the loaded magazine from the slabs in one batch.
        if (c.loaded == nullptr)
            c.loaded = get_empty();
        if (c.loaded == nullptr)
            return objects_.alloc();
        Magazine* m = c.loaded;
        m->count = static_cast<std::uint32_t>(objects_.alloc_batch(m->rounds, (rounds_ + 1) / 2));
        return m->count > 0 ? m->rounds[--m->count] : nullptr;
    }

    void free_pinned(Cpu& c, void* obj) noexcept {
        if (c.loaded != nullptr && c.loaded->count < rounds_) {
            c.hits.add();
            c.loaded->rounds[c.loaded->count++] = obj;
            return;
        }
        if (c.prev != nullptr && c.prev->count == 0) {
            swap(c);
            c.hits.add();
            c.loaded->rounds[c.loaded->count++] = obj;
            return;
        }
        c.misses.add();
        SCYTHE_MM_VERIFY(P, c.prev == nullptr || c.prev->count == rounds_);
        Magazine* e = nullptr;
        { // common case: one depot acquisition trades the full previous for an empty magazine
            LockGuard<Lock> g(depot_lock_);
            if (empty_ != nullptr) {
                e = pop_locked(empty_, nempty_);
                if (c.prev != nullptr)
                    push_locked(full_, nfull_, c.prev);
            }
        }
        if (e == nullptr) {
            e = new_magazine();
            if (e == nullptr) { // no memory for a magazine: straight back to the slab
                objects_.free(obj);
                return;
            }
            if (c.prev != nullptr) {
                LockGuard<Lock> g(depot_lock_);
                push_locked(full_, nfull_, c.prev);
            }
        }
        c.prev = c.loaded; // full or absent
        c.loaded = e;
        e->rounds[e->count++] = obj;
    }

    static void swap(Cpu& c) noexcept {
        Magazine* t = c.loaded;
        c.loaded = c.prev;
        c.prev = t;
    }

    static void push_locked(Magazine*& head, Counter& n, Magazine* m) noexcept {
        m->next = head;
        head = m;
        n.add();
    }

    static Magazine* pop_locked(Magazine*& head, Counter& n) noexcept {
        Magazine* m = head;
        head = m->next;
        m->next = nullptr;
        n.sub();
        return m;
    }

    Magazine* new_magazine() noexcept {
        auto* m = static_cast<Magazine*>(mags_.alloc());
        if (m != nullptr) {
            m->next = nullptr;
            m->count = 0;
        }
        return m;
    }

    // An empty magazine from the depot, else a new one, else nullptr.
    Magazine* get_empty() noexcept {
        {
            LockGuard<Lock> g(depot_lock_);
            if (empty_ != nullptr)
                return pop_locked(empty_, nempty_);
        }
        return new_magazine();
    }

    // Returns a magazine's rounds to the slabs (one batch) and the magazine to its pool.
    void flush(Magazine* m) noexcept {
        if (m == nullptr)
            return;
        objects_.free_batch(m->rounds, m->count);
        m->count = 0;
        mags_.free(m);
    }

    const char* name_;
    SlabPool<P, Lock, Source> objects_;
    SlabPool<P, Lock, Source> mags_;
    const std::uint32_t rounds_;
    CacheStatsNode node_;
    Lock depot_lock_{};
    Magazine* full_ = nullptr;  // under depot_lock_
    Magazine* empty_ = nullptr; // under depot_lock_
    Counter nfull_, nempty_;    // written under depot_lock_
    lf::CacheAligned<Cpu> cpus_[P::kMaxCpus];
};

} // namespace scythe::mm
