// lockfree/rcu_hash.h: RcuHashTable, an RCU-protected intrusive hash table (pid -> process).
//
// What: lookups run under the RCU read side, take no lock and write nothing shared (acquire
// loads along one chain); insert/remove lock one bucket; removed nodes are handed back to the
// caller, who reclaims them after a grace period; the table grows and shrinks while readers run.
//
// Design: a split-ordered list (Shalev & Shavit; liburcu's rculfhash uses the same order), with a
// lock per bucket instead of CAS. All nodes live on ONE singly linked list sorted by the
// bit-reversed hash ("split order"); bucket b is a sentinel node on that list at key reverse(b),
// and its chain is the run of nodes up to the next sentinel. Doubling the table inserts the
// sentinel of bucket b + 2^order inside bucket b's run, which splits it exactly (the nodes whose
// next hash bit is set already sit after that point). So a resize never moves a node: readers
// are never disturbed, nodes have one link, and no grace period is needed to grow. Shrinking
// unlinks the top level's sentinels (merging runs back) and waits one grace period before the
// level's memory goes back to the allocator.
//   Sort keys: a node's key is reverse(hash) | 1 (odd), a sentinel's is reverse(b) (even), so a
//   sentinel sorts before every node of its bucket (the hash loses its top bit; bucket indices
//   use the low bits, so nothing is lost for them).
//   Sentinels come in levels (rculfhash's "order" allocation): level 0 is bucket 0 (embedded),
//   level L >= 1 holds buckets [2^(L-1), 2^L), one allocation per level, so growing allocates
//   only the new half and existing sentinels never move.
//   Locking: a run of regular nodes is owned by the nearest live sentinel before it; any change
//   inside a run (link, unlink, split, merge) holds that sentinel's lock. An updater finds the
//   owner with a lock-free walk, locks it, and re-checks that it is still the owner (not removed
//   by a shrink, no newer sentinel before the key); if not, it retries. Locks are only held for
//   a walk of one run, never across a grace period.
//
// Compared with rculfhash: same split order and level allocation, but updates lock a bucket
// instead of CAS plus logical-removal flags, so removal is a single store and there is no
// "help the remover" path; resize is done by the caller (resize()/auto_resize()), not by a
// call_rcu worker. Compared with a Triplett/McKenney/Walpole relativistic (unzip) table: no
// grace period per unzip step, and updates continue during a resize. Compared with oneTBB's
// concurrent_hash_map: no lock and no shared write on lookup, deferred reclamation.
// When not to use: when readers cannot be in an RCU read-side section; for ordered iteration.
//
// Reclamation contract: remove() unlinks the node and returns it; readers may still be
// traversing it. The caller must neither free nor re-insert it until a grace period has passed
// (call_rcu on an RcuHead in the object, or synchronize()). Destroying the table does not free
// nodes.
//
// Synchronisation table (all callers are online RCU CPUs; T must derive from RcuHashNode<Atom>):
//   lookup / for_each_in_bucket / for_each   inside a read-side section; concurrent with all.
//   insert / remove                   outside or inside a read-side section; concurrent with
//                                     all (lock one bucket; they take their own read section).
//   resize / auto_resize / grow / shrink   outside any read-side section, may block (shrink
//                                     waits for a grace period); concurrent with lookups and
//                                     updates; concurrent resizes: all but one return false.
//   size                              anyone; approximate while updates run (per-CPU counter).
//   ~RcuHashTable                     caller-serialised: no concurrent use; table must be empty
//                                     or the caller reclaims its nodes itself.
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "lockfree/percpu_counter.h"
#include "lockfree/platform.h"
#include "lockfree/rcu.h"
#include "lockfree/spin.h"

namespace scythe::lf {

// The intrusive hook. A node's so_key is written before it is published and does not change
// while it is linked.
template <template <class> class Atom = std::atomic>
struct RcuHashNode {
    Atom<RcuHashNode*> next{nullptr};
    std::uint64_t so_key = 0;
};

// Memory for bucket levels: the kernel passes its heap, tests pass a tracking allocator.
template <class A>
concept HashAllocator = requires(A a, void* p, std::size_t n) {
    { a.allocate(n, n) }
    noexcept->std::same_as<void*>; // (bytes, align); nullptr on failure
    { a.deallocate(p, n, n) }
    noexcept;
};

// Traits: using Key = ...; static Key key(const T&); static std::uint64_t hash(const Key&).
template <class Tr, class T>
concept HashTraits = requires(const T& t, const typename Tr::Key& k) {
    { Tr::key(t) } -> std::convertible_to<typename Tr::Key>;
    { Tr::hash(k) } -> std::convertible_to<std::uint64_t>;
    { Tr::key(t) == k } -> std::convertible_to<bool>;
};

// A cheap, good 64-bit mixer (the murmur3 finaliser), for integer keys like pids.
constexpr std::uint64_t hash_mix64(std::uint64_t x) noexcept {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

constexpr std::uint64_t bit_reverse64(std::uint64_t x) noexcept {
    x = ((x >> 1) & 0x5555555555555555ULL) | ((x & 0x5555555555555555ULL) << 1);
    x = ((x >> 2) & 0x3333333333333333ULL) | ((x & 0x3333333333333333ULL) << 2);
    x = ((x >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((x & 0x0f0f0f0f0f0f0f0fULL) << 4);
    return __builtin_bswap64(x);
}

template <class T, class Traits, class Rcu, HashAllocator Alloc,
          template <class> class Atom = std::atomic>
requires HashTraits<Traits, T> && std::derived_from<T, RcuHashNode<Atom>>
class RcuHashTable {
    using P = typename Rcu::platform_type;
    using Node = RcuHashNode<Atom>;
    using Lock = TicketLock<P, Atom>;
    using Key = typename Traits::Key;

public:
    static constexpr unsigned kMaxOrder = 30; // up to 2^30 buckets
    // auto_resize keeps the average run between these (nodes per bucket).
    static constexpr std::size_t kGrowLoad = 2;
    static constexpr std::size_t kShrinkDivisor = 8; // shrink below 1/8 node per bucket

    RcuHashTable(Rcu& rcu, Alloc alloc, unsigned initial_order = 0) noexcept
        : rcu_(rcu), alloc_(alloc), order_(0) {
        sentinel0_.so_key = 0;
        for (auto& l : levels_)
            l.store(nullptr, std::memory_order_relaxed);
        if (initial_order > 0)
            grow_to(initial_order);
    }
    ~RcuHashTable() {
        // Caller-serialised: no readers left, so no grace period is needed.
        for (unsigned l = order_.load(std::memory_order_relaxed); l >= 1; --l)
            free_level(l);
    }
    RcuHashTable(const RcuHashTable&) = delete;
    RcuHashTable& operator=(const RcuHashTable&) = delete;

    // ---- read side (caller is inside an RCU read-side section) -------------------------------
    T* lookup(const Key& key) const noexcept {
        const std::uint64_t h = Traits::hash(key);
        const std::uint64_t so = regular_key(h);
        for (const Node* n = first_after(bucket_sentinel(h)); n != nullptr; n = next_of(n)) {
            if (n->so_key > so)
                break; // sorted: past where the key would be
            if (n->so_key == so && Traits::key(*static_cast<const T*>(n)) == key)
                return const_cast<T*>(static_cast<const T*>(n));
        }
        return nullptr;
    }

    // Visit every node of bucket `b` (of bucket_count() as read now), in split order.
    template <class F>
    void for_each_in_bucket(std::size_t b, F&& f) const noexcept {
        const unsigned o = order_.load(std::memory_order_acquire);
        const std::uint64_t mask = (std::uint64_t{1} << o) - 1;
        const std::uint64_t prefix = bit_reverse64(b & mask);
        for (const Node* n = first_after(sentinel(b & mask)); n != nullptr; n = next_of(n)) {
            // A run ends where the top `o` bits of the split-order key change; sentinels of buckets
            // added by a concurrent grow may sit inside it and are skipped.
            if (o != 0 && ((n->so_key ^ prefix) >> (64 - o)) != 0)
                break;
            if (is_regular(n))
                f(*const_cast<T*>(static_cast<const T*>(n)));
        }
    }

    // Visit every node of the table.
    template <class F>
    void for_each(F&& f) const noexcept {
        for (const Node* n = first_after(&sentinel0_); n != nullptr; n = next_of(n))
            if (is_regular(n))
                f(*const_cast<T*>(static_cast<const T*>(n)));
    }

    std::size_t bucket_of(const Key& key) const noexcept {
        return Traits::hash(key) &
               ((std::uint64_t{1} << order_.load(std::memory_order_acquire)) - 1);
    }
    std::size_t bucket_count() const noexcept {
        return std::size_t{1} << order_.load(std::memory_order_acquire);
    }
    std::size_t size() const noexcept { return static_cast<std::size_t>(count_.sum_clamped()); }

    // ---- updates ------------------------------------------------------------------------------
    // Link `node`; false (node untouched) if a node with an equal key is present.
    bool insert(T* node) noexcept {
        const Key key = Traits::key(*node);
        const std::uint64_t so = regular_key(Traits::hash(key));
        node->so_key = so;
        [[maybe_unused]]
        typename P::PreemptGuard pin;     // bucket locks are held pinned; per-CPU size counter
        typename Rcu::ReadGuard rd(rcu_); // the walks below follow nodes others may unlink
        const LockedPosition at =
            locked_find(so, [&](Node* n) { return Traits::key(*static_cast<T*>(n)) == key; });
        if (at.found) {
            unlock(at.owner);
            return false;
        }
        // relaxed: the node is not reachable yet; the release store below publishes it.
        node->next.store(at.cur, std::memory_order_relaxed);
        // release: pairs with the acquire loads in next_of()/first_after() of every reader.
        at.pred->next.store(node, std::memory_order_release);
        count_.inc(pin);
        unlock(at.owner);
        return true;
    }

    // Unlink the node with `key` and return it (reclaim after a grace period), or nullptr.
    T* remove(const Key& key) noexcept {
        const std::uint64_t so = regular_key(Traits::hash(key));
        return unlink_if(so, [&](Node* n) { return Traits::key(*static_cast<T*>(n)) == key; });
    }

    // Unlink this very node; false if it is not in the table.
    bool remove(T* node) noexcept {
        return unlink_if(node->so_key, [&](Node* n) { return n == node; }) != nullptr;
    }

    // ---- resizing (outside read-side sections; may wait for a grace period) -------------------
    // Grow or shrink one level at a time to 2^order buckets. False if another resize is running
    // or memory ran out (the table stays valid at whatever order it reached).
    bool resize(unsigned order) noexcept {
        if (order > kMaxOrder)
            order = kMaxOrder;
        if (!resize_lock_.try_lock())
            return false;
        bool ok = true;
        while (ok && order_.load(std::memory_order_relaxed) < order)
            ok = grow_one();
        while (ok && order_.load(std::memory_order_relaxed) > order)
            shrink_one();
        resize_lock_.unlock();
        return ok;
    }

    // Resize by the load factor (one level per call). Returns true if it changed the order.
    bool auto_resize() noexcept {
        const std::size_t n = size();
        const unsigned o = order_.load(std::memory_order_relaxed);
        const std::size_t buckets = std::size_t{1} << o;
        if (n > buckets * kGrowLoad && o < kMaxOrder)
            return resize(o + 1);
        if (o > 0 && n < buckets / kShrinkDivisor)
            return resize(o - 1);
        return false;
    }

    unsigned order() const noexcept { return order_.load(std::memory_order_relaxed); }

private:
    struct BucketLock {
        Lock lock;
        bool removed = false; // set under the lock by shrink: this sentinel is no longer an owner
    };

    static constexpr bool is_regular(const Node* n) noexcept { return (n->so_key & 1) != 0; }
    static constexpr std::uint64_t regular_key(std::uint64_t h) noexcept {
        return bit_reverse64(h) | 1;
    }
    static constexpr std::size_t level_of(std::size_t b) noexcept {
        return b == 0 ? 0 : 64 - static_cast<std::size_t>(__builtin_clzll(b));
    }
    static constexpr std::size_t level_size(std::size_t l) noexcept {
        return l == 0 ? 1 : std::size_t{1} << (l - 1);
    }
    static constexpr std::size_t level_bytes(std::size_t l) noexcept {
        return level_size(l) * (sizeof(Node) + sizeof(BucketLock));
    }
    static constexpr std::size_t kLevelAlign = alignof(Node) > alignof(BucketLock)
                                                   ? alignof(Node)
                                                   : alignof(BucketLock);
    static_assert(sizeof(Node) % alignof(BucketLock) == 0);

    // acquire: pairs with the release stores that link nodes (insert, grow) and unlink them.
    static Node* next_of(const Node* n) noexcept { return n->next.load(std::memory_order_acquire); }
    static Node* first_after(const Node* s) noexcept { return next_of(s); }

    // Sentinel of bucket b; its level is published (levels_ before order_, and before the
    // sentinel is linked).
    Node* sentinel(std::size_t b) const noexcept {
        if (b == 0)
            return const_cast<Node*>(&sentinel0_);
        const std::size_t l = level_of(b);
        // acquire: pairs with the release store in grow_one().
        auto* base = static_cast<Node*>(levels_[l].load(std::memory_order_acquire));
        return base + (b - level_size(l));
    }
    BucketLock& lock_of(const Node* s) const noexcept {
        if (s == &sentinel0_)
            return const_cast<BucketLock&>(lock0_);
        const std::size_t b = bit_reverse64(s->so_key);
        const std::size_t l = level_of(b);
        auto* base = static_cast<Node*>(levels_[l].load(std::memory_order_acquire));
        return reinterpret_cast<BucketLock*>(base + level_size(l))[b - level_size(l)];
    }

    const Node* bucket_sentinel(std::uint64_t h) const noexcept {
        // acquire: pairs with the release store of order_ in grow_one(): the new level is visible.
        const unsigned o = order_.load(std::memory_order_acquire);
        return sentinel(h & ((std::uint64_t{1} << o) - 1));
    }

    // Find the sentinel that owns the run where `so` belongs, lock it, check it still does.
    // Returns it locked. Caller is pinned and in a read-side section.
    Node* lock_owner(std::uint64_t so) noexcept {
        for (;;) {
            Node* owner = const_cast<Node*>(bucket_sentinel(so_to_hash(so)));
            for (Node* n = next_of(owner); n != nullptr && n->so_key < so; n = next_of(n))
                if (!is_regular(n))
                    owner = n;
            BucketLock& bl = lock_of(owner);
            bl.lock.lock();
            if (!bl.removed)
                return owner;
            bl.lock.unlock();
        }
    }
    void unlock(Node* owner) noexcept { lock_of(owner).lock.unlock(); }
    // The hash bits a bucket index uses are the low ones; recover them from a split-order key.
    static std::uint64_t so_to_hash(std::uint64_t so) noexcept { return bit_reverse64(so); }

    // Where `so` goes in its bucket's run, with the run's owner locked: the
    // first node past `so`, or (found) the node with key `so` that match()
    // accepts, with its predecessor. Walks again when a concurrent grow split
    // the run (a sentinel appears inside it). The caller unlocks at.owner.
    struct LockedPosition {
        Node* owner;
        Node* pred;
        Node* cur;
        bool found;
    };
    template <class Match>
    LockedPosition locked_find(std::uint64_t so, Match match) noexcept {
        for (;;) {
            Node* owner = lock_owner(so);
            Node* pred = owner;
            Node* cur = next_of(owner);
            bool split = false;
            while (cur != nullptr && cur->so_key <= so) {
                if (!is_regular(cur)) {
                    split = true;
                    break;
                }
                if (cur->so_key == so && match(cur))
                    return {owner, pred, cur, true};
                pred = cur;
                cur = next_of(cur);
            }
            if (!split)
                return {owner, pred, cur, false};
            unlock(owner);
        }
    }

    template <class Match>
    T* unlink_if(std::uint64_t so, Match match) noexcept {
        [[maybe_unused]] typename P::PreemptGuard pin;
        typename Rcu::ReadGuard rd(rcu_);
        const LockedPosition at = locked_find(so, match);
        if (at.found) {
            // release: pairs with readers' acquire loads (they reach the successor through pred,
            // and its contents were published to us by our acquire load of cur->next).
            at.pred->next.store(next_of(at.cur), std::memory_order_release);
            count_.dec(pin);
        }
        unlock(at.owner);
        return at.found ? static_cast<T*>(at.cur) : nullptr; // cur->next stays valid for readers
    }

    // Constructor only: nothing runs concurrently, so no locks and no read-side section (the
    // table may be built before any CPU slot exists).
    void grow_to(unsigned order) noexcept {
        while (order_.load(std::memory_order_relaxed) < order && grow_one(false)) {
        }
    }

    // Add level o+1: sentinels for buckets [2^o, 2^(o+1)), each linked inside its parent's run.
    bool grow_one(bool concurrent = true) noexcept {
        const unsigned o = order_.load(std::memory_order_relaxed);
        if (o >= kMaxOrder)
            return false;
        const std::size_t l = o + 1;
        void* mem = alloc_.allocate(level_bytes(l), kLevelAlign);
        if (mem == nullptr)
            return false;
        const std::size_t n = level_size(l);
        auto* s = static_cast<Node*>(mem);
        auto* locks = reinterpret_cast<BucketLock*>(s + n);
        for (std::size_t i = 0; i < n; ++i) {
            new (&s[i]) Node;
            s[i].so_key = bit_reverse64(n + i);
            new (&locks[i]) BucketLock;
        }
        // release: pairs with the acquire loads in sentinel()/lock_of(): initialised level.
        levels_[l].store(mem, std::memory_order_release);
        for (std::size_t i = 0; i < n; ++i) {
            Node* parent = sentinel(i); // bucket i < 2^o: live, and its run holds no sentinel
            BucketLock& pl = lock_of(parent);
            // Sentinels are never freed while linked, and we only walk parent's run under its lock,
            // so no read-side section is needed; pinned because a spin lock is held.
            [[maybe_unused]] typename P::PreemptGuard pin;
            if (concurrent)
                pl.lock.lock();
            Node* pred = parent;
            Node* cur = next_of(parent);
            while (cur != nullptr && cur->so_key < s[i].so_key) {
                pred = cur;
                cur = next_of(cur);
            }
            // relaxed: not reachable yet; the release store below publishes it.
            s[i].next.store(cur, std::memory_order_relaxed);
            // release: pairs with readers' acquire loads.
            pred->next.store(&s[i], std::memory_order_release);
            if (concurrent)
                pl.lock.unlock();
        }
        // release: pairs with the acquire load in bucket_sentinel().
        order_.store(o + 1, std::memory_order_release);
        return true;
    }

    // Remove level o: publish order o-1, unlink the level's sentinels (merging each run into its
    // parent's), wait for a grace period, free the level.
    void shrink_one() noexcept {
        const unsigned o = order_.load(std::memory_order_relaxed);
        const std::size_t l = o;
        const std::size_t n = level_size(l);
        // release: lock holders that find a sentinel removed re-read order_ and see o-1.
        order_.store(o - 1, std::memory_order_release);
        {
            auto* s = static_cast<Node*>(levels_[l].load(std::memory_order_relaxed));
            for (std::size_t i = 0; i < n; ++i) {
                Node* parent = sentinel(i);
                BucketLock& pl = lock_of(parent);
                BucketLock& cl = lock_of(&s[i]);
                [[maybe_unused]] typename P::PreemptGuard pin; // spin locks are held pinned
                pl.lock.lock(); // lock order: parent, then child (updaters hold one lock only)
                cl.lock.lock();
                cl.removed = true;
                Node* pred = parent;
                Node* cur = next_of(parent);
                while (cur != &s[i]) {
                    pred = cur;
                    cur = next_of(cur);
                }
                // release: pairs with readers' acquire loads.
                pred->next.store(next_of(&s[i]), std::memory_order_release);
                cl.lock.unlock();
                pl.lock.unlock();
            }
        }
        // Readers and updaters may still be on (or spinning on the lock of) an unlinked sentinel.
        rcu_.synchronize();
        free_level(l);
    }

    void free_level(std::size_t l) noexcept {
        void* mem = levels_[l].load(std::memory_order_relaxed);
        if (mem == nullptr)
            return;
        levels_[l].store(nullptr, std::memory_order_relaxed);
        auto* s = static_cast<Node*>(mem);
        auto* locks = reinterpret_cast<BucketLock*>(s + level_size(l));
        for (std::size_t i = 0; i < level_size(l); ++i) {
            locks[i].~BucketLock();
            s[i].~Node();
        }
        alloc_.deallocate(mem, level_bytes(l), kLevelAlign);
    }

    Rcu& rcu_;
    Alloc alloc_;
    Atom<unsigned> order_;
    Node sentinel0_;
    BucketLock lock0_;
    Lock resize_lock_;
    Atom<void*> levels_[kMaxOrder + 1];
    PerCpuCounter<P, Atom> count_;
};

} // namespace scythe::lf
