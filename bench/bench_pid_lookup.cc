// pid -> process lookup under read-mostly mixes.
//
// Names: BM_PidLookup/<impl>/<mix>/<keys>/real_time/threads:N
//   impl: scythe (RcuHash + our QSBR RCU), urcu_rculfhash (liburcu rculfhash,
//         urcu-qsbr flavour), tbb_chm (oneTBB concurrent_hash_map),
//         shared_mutex_map (std::unordered_map under std::shared_mutex)
//   mix:  lookup/update percentages: 100_0, 90_10, 50_50
//   keys: 1024 or 65536 pids (1..keys), every table pre-sized to one bucket
//         per key (no resize while timing), all hashing with mix64.
// An update is remove + reinsert of the same pid with a fresh node; the RCU
// tables free the old node through call_rcu, the others free it at once.
// Items/s = operations (lookups + updates) per second, all threads summed.
#include <mutex>
#include <new>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include <oneapi/tbb/concurrent_hash_map.h>

#include "bench_common.h"
#include "lockfree/host/platform.h"
#include "lockfree/intrusive.h"
#include "lockfree/rcu.h"
#include "lockfree/rcu_hash.h"
#include "urcu_qsbr.h"
#include <urcu/rculfhash.h>

namespace {

using namespace scythe::bench;

struct Payload {
    uint64_t pid;
    uint64_t data; // what a reader "uses" from the process it found
};

// A thread context for tables that need no RCU registration.
struct NoRcu {
    void online() {}
    void offline() {}
    void quiescent() {}
};

// ---------------------------------------------------------------------------
// Ours: lockfree/rcu_hash.h over lockfree/rcu.h; threads are HostPlatform CPUs.
namespace lf = scythe::lf;
using HostRcu = lf::Rcu<lf::HostPlatform>;
HostRcu g_rcu;

class ScytheHash {
public:
    struct Node : lf::RcuHashNode<> {
        Payload p;
        lf::RcuHead rh;
    };
    struct Traits {
        using Key = uint64_t;
        static Key key(const Node& n) { return n.p.pid; }
        static uint64_t hash(const Key& k) { return mix64(k); }
    };
    struct Alloc {
        void* allocate(size_t bytes, size_t align) noexcept {
            return ::operator new(bytes, std::align_val_t(align), std::nothrow);
        }
        void deallocate(void* p, size_t, size_t align) noexcept {
            ::operator delete(p, std::align_val_t(align));
        }
    };
    using Table = lf::RcuHashTable<Node, Traits, HostRcu, Alloc>;

    struct Thread {
        lf::HostCpu cpu; // a host thread plays a CPU
        void online() { g_rcu.online(); }
        void offline() { g_rcu.offline(); }
        void quiescent() { g_rcu.quiescent_state(); }
    };

    explicit ScytheHash(uint32_t keys) {
        unsigned order = 0;
        while ((uint32_t{1} << order) < keys)
            ++order;
        table_ = new Table(g_rcu, Alloc{}, order); // pre-sized: one bucket per key
        lf::HostCpu self;                          // insert pins and counts per CPU
        for (uint64_t pid = 1; pid <= keys; ++pid)
            insert(pid);
    }
    ~ScytheHash() {
        // No reader is left. Let pending call_rcu callbacks free the removed
        // nodes, then free what is still linked (the table does not own nodes).
        lf::HostCpu self;
        g_rcu.barrier();
        std::vector<Node*> left;
        g_rcu.read_lock();
        table_->for_each([&](Node& n) { left.push_back(&n); });
        g_rcu.read_unlock();
        delete table_;
        for (Node* n : left)
            delete n;
    }

    uint64_t lookup(Thread&, uint64_t pid) {
        uint64_t r = 0;
        g_rcu.read_lock();
        if (Node* n = table_->lookup(pid))
            r = n->p.data;
        g_rcu.read_unlock();
        return r;
    }

    void update(Thread&, uint64_t pid) {
        Node* old = table_->remove(pid);
        if (old == nullptr)
            return; // another updater owns this pid right now
        g_rcu.call_rcu(&old->rh, free_node);
        insert(pid);
    }

private:
    static void free_node(lf::RcuHead* h) { delete lf::owner_of<&Node::rh>(h); }
    void insert(uint64_t pid) {
        auto* n = new Node{};
        n->p = {pid, pid * 3};
        if (!table_->insert(n))
            delete n; // someone else reinserted it first
    }

    Table* table_;
};

// ---------------------------------------------------------------------------
// liburcu rculfhash, urcu-qsbr flavour.
class UrcuLfht {
public:
    struct Node {
        cds_lfht_node ln;
        Payload p;
        rcu_head rh;
    };
    using Thread = UrcuQsbrThread;

    explicit UrcuLfht(uint32_t keys) {
        unsigned long size = 1;
        while (size < keys)
            size <<= 1;
        // Fixed size (no CDS_LFHT_AUTO_RESIZE): nothing resizes while timing.
        ht_ = cds_lfht_new_flavor(size, size, 0, 0, &urcu_qsbr_flavor, nullptr);
        UrcuQsbrThread self; // cds_lfht_add wants a registered thread
        self.online();
        for (uint64_t pid = 1; pid <= keys; ++pid)
            insert(pid);
        self.offline();
    }
    ~UrcuLfht() {
        // No reader is left; free what is still in the table, then wait for the
        // call_rcu callbacks of removed nodes.
        cds_lfht_iter it;
        cds_lfht_first(ht_, &it);
        while (cds_lfht_node* n = cds_lfht_iter_get_node(&it)) {
            cds_lfht_next(ht_, &it);
            cds_lfht_del(ht_, n);
            delete node_of(n);
        }
        urcu_qsbr_barrier();
        cds_lfht_destroy(ht_, nullptr);
    }

    uint64_t lookup(Thread&, uint64_t pid) {
        uint64_t r = 0;
        urcu_qsbr_read_lock();
        cds_lfht_iter it;
        cds_lfht_lookup(ht_, mix64(pid), match, &pid, &it);
        if (cds_lfht_node* n = cds_lfht_iter_get_node(&it))
            r = node_of(n)->p.data;
        urcu_qsbr_read_unlock();
        return r;
    }

    void update(Thread&, uint64_t pid) {
        urcu_qsbr_read_lock();
        cds_lfht_iter it;
        cds_lfht_lookup(ht_, mix64(pid), match, &pid, &it);
        cds_lfht_node* n = cds_lfht_iter_get_node(&it);
        const bool removed = n && cds_lfht_del(ht_, n) == 0;
        urcu_qsbr_read_unlock();
        if (!removed)
            return; // another updater owns this pid right now
        urcu_qsbr_call_rcu(&node_of(n)->rh, free_node);
        insert(pid);
    }

private:
    static Node* node_of(cds_lfht_node* n) { return reinterpret_cast<Node*>(n); } // ln is first
    static int match(cds_lfht_node* n, const void* key) {
        return node_of(n)->p.pid == *static_cast<const uint64_t*>(key);
    }
    static void free_node(rcu_head* h) {
        delete reinterpret_cast<Node*>(reinterpret_cast<char*>(h) - offsetof(Node, rh));
    }
    void insert(uint64_t pid) {
        auto* nn = new Node{};
        cds_lfht_node_init(&nn->ln);
        nn->p = {pid, pid * 3};
        urcu_qsbr_read_lock();
        cds_lfht_node* got = cds_lfht_add_unique(ht_, mix64(pid), match, &pid, &nn->ln);
        urcu_qsbr_read_unlock();
        if (got != &nn->ln)
            delete nn; // someone else reinserted it first
    }

    cds_lfht* ht_;
};

// ---------------------------------------------------------------------------
// oneTBB concurrent_hash_map (per-bucket reader-writer lock even on find).
struct Mix64HashCompare {
    static size_t hash(uint64_t k) { return mix64(k); }
    static bool equal(uint64_t a, uint64_t b) { return a == b; }
};

class TbbChm {
public:
    using Thread = NoRcu;
    explicit TbbChm(uint32_t keys) : map_(keys) {
        for (uint64_t pid = 1; pid <= keys; ++pid)
            map_.insert({pid, Payload{pid, pid * 3}});
    }
    uint64_t lookup(Thread&, uint64_t pid) {
        Map::const_accessor a;
        return map_.find(a, pid) ? a->second.data : 0;
    }
    void update(Thread&, uint64_t pid) {
        if (map_.erase(pid))
            map_.insert({pid, Payload{pid, pid * 3}});
    }

private:
    using Map = oneapi::tbb::concurrent_hash_map<uint64_t, Payload, Mix64HashCompare>;
    Map map_;
};

// ---------------------------------------------------------------------------
// std::unordered_map under one std::shared_mutex (the "global pid table lock").
class SharedMutexMap {
public:
    using Thread = NoRcu;
    explicit SharedMutexMap(uint32_t keys) {
        map_.reserve(keys);
        for (uint64_t pid = 1; pid <= keys; ++pid)
            map_.emplace(pid, Payload{pid, pid * 3});
    }
    uint64_t lookup(Thread&, uint64_t pid) {
        std::shared_lock lk(mu_);
        auto it = map_.find(pid);
        return it == map_.end() ? 0 : it->second.data;
    }
    void update(Thread&, uint64_t pid) {
        bool removed;
        {
            std::unique_lock lk(mu_);
            removed = map_.erase(pid) != 0;
        }
        if (!removed)
            return;
        std::unique_lock lk(mu_);
        map_.emplace(pid, Payload{pid, pid * 3});
    }

private:
    struct Hash {
        size_t operator()(uint64_t k) const { return mix64(k); }
    };
    std::shared_mutex mu_;
    std::unordered_map<uint64_t, Payload, Hash> map_;
};

// ---------------------------------------------------------------------------
// The benchmark body, one table per (impl, keys) run: built in Setup (before
// the threads start), destroyed in Teardown (after they have all finished).

constexpr benchmark::IterationCount kBatch = 256; // ops between quiescent states

template <class Table, uint32_t Keys>
struct PidBench {
    static inline Table* table = nullptr;
    static void setup(const benchmark::State&) { table = new Table(Keys); }
    static void teardown(const benchmark::State&) {
        delete table;
        table = nullptr;
    }
    static void run(benchmark::State& st, uint32_t update_pct) {
        typename Table::Thread self;
        Rng rng(static_cast<uint64_t>(st.thread_index()) + 1);
        const uint32_t update_below = update_pct * 65536 / 100; // compared with 16 random bits
        uint64_t sink = 0;
        qsbr_batches(st, self, kBatch, [&](benchmark::IterationCount n) {
            for (benchmark::IterationCount i = 0; i < n; ++i) {
                const uint64_t r = rng.next();
                const uint64_t pid = (((r >> 32) * Keys) >> 32) + 1;
                if ((r & 0xffff) < update_below)
                    table->update(self, pid);
                else
                    sink += table->lookup(self, pid);
            }
        });
        benchmark::DoNotOptimize(sink);
    }
};

template <class Table, uint32_t Keys>
void register_one(const char* impl, const char* mix, uint32_t update_pct) {
    using B = PidBench<Table, Keys>;
    const std::string n = name("PidLookup", impl, std::string(mix) + "/" + std::to_string(Keys));
    threads_1_to_16(benchmark::RegisterBenchmark(
                        n.c_str(), [update_pct](benchmark::State& st) { B::run(st, update_pct); }))
        ->Setup(B::setup)
        ->Teardown(B::teardown);
}

template <class Table>
void register_impl(const char* impl) {
    static constexpr struct {
        const char* name;
        uint32_t update_pct;
    } mixes[] = {{"100_0", 0}, {"90_10", 10}, {"50_50", 50}};
    for (const auto& m : mixes) {
        register_one<Table, 1024>(impl, m.name, m.update_pct);
        register_one<Table, 65536>(impl, m.name, m.update_pct);
    }
}

} // namespace

int main(int argc, char** argv) {
    register_impl<ScytheHash>("scythe");
    register_impl<UrcuLfht>("urcu_rculfhash");
    register_impl<TbbChm>("tbb_chm");
    register_impl<SharedMutexMap>("shared_mutex_map");
    return run_benchmarks(argc, argv);
}
