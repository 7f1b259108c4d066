// Dead-process hand-off: N producer threads (exiting processes, one per CPU)
// hand elements to one reaper thread that takes them all and consumes them.
//
// Names: BM_DeadHandoff/<impl>/<mode>/real_time/threads:N   (N = producers)
//   impl: scythe (lockfree/dead_list.h: CAS push, one-exchange take_all),
//         urcu_lfstack (cds_lfs_push + __cds_lfs_pop_all),
//         urcu_wfcqueue (cds_wfcq_enqueue + __cds_wfcq_splice_blocking),
//         tbb_queue (oneTBB concurrent_queue push + try_pop),
//         mutex_list (std::mutex + intrusive singly linked list)
//   mode: single  - each element handed off on its own
//         batch16 - a producer hands off chains of 16 (a CPU draining its
//                   local dead-thread queue); impls with a batch operation
//                   use it (scythe push_chain, wfcqueue splice of a local
//                   queue, mutex_list one lock hold), the others (lfstack,
//                   tbb_queue) push the 16 one by one.
// The reaper is a background thread (started in Setup, stopped in Teardown):
// take everything, walk it, mark each element consumed. Each producer owns a
// ring of kRing elements and reuses one only after the reaper consumed it, so
// at most kRing elements per producer are in flight: the throughput is the
// rate of elements handed off AND consumed (backpressure), not just pushes.
// Items/s = elements per second, all producers summed.
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <oneapi/tbb/concurrent_queue.h>

#include "bench_common.h"
#include "lockfree/dead_list.h"

// wfcqueue's fast paths inline (_LGPL_SOURCE); lfstack's static inlines do
// not compile as C++ (transparent union), so it is included without them and
// called through the exported functions with an explicit cds_lfs_stack_ptr_t.
#define _LGPL_SOURCE
#include <urcu/wfcqueue.h>
#undef _LGPL_SOURCE
#include <urcu/lfstack.h>

namespace {

using namespace scythe::bench;

constexpr size_t kRing = 1024; // elements in flight per producer at most
constexpr size_t kChain = 16;  // batch16 chain length

// One element handed off: a hook of the structure under test, then the
// consumed flag the producer waits on before reusing it. A cache line each,
// as a process structure would be.
template <class Hook>
struct alignas(64) Item {
    Hook hook; // first member: Item* and Hook* convert by reinterpret_cast
    std::atomic<uint32_t> consumed{1};
    static Item* of(Hook* h) { return reinterpret_cast<Item*>(h); }
};

inline void consume(std::atomic<uint32_t>& flag) {
    flag.store(1, std::memory_order_release); // pairs with the producer's acquire
}

// ---------------------------------------------------------------------------
// Ours: lockfree/dead_list.h.
class ScytheDeadList {
public:
    struct alignas(64) I {
        scythe::lf::DeadListHook<I> hook;
        std::atomic<uint32_t> consumed{1};
    };
    void push(I* it) { list_.push(it); }
    void push_chain(I* const* its, size_t n) {
        // The chain is private until the CAS publishes it: relaxed links.
        for (size_t i = 0; i + 1 < n; ++i)
            its[i]->hook.next.store(its[i + 1], std::memory_order_relaxed);
        list_.push_chain(its[0], its[n - 1]);
    }
    size_t drain() {
        return list_.take_all().consume([](I* it) { consume(it->consumed); });
    }

private:
    alignas(64) scythe::lf::DeadList<&I::hook> list_;
};

// ---------------------------------------------------------------------------
class UrcuLfstack {
public:
    using Hook = cds_lfs_node;
    using I = Item<Hook>;
    UrcuLfstack() { __cds_lfs_init(&s_); }
    void push(I* it) {
        cds_lfs_node_init(&it->hook);
        cds_lfs_push(ptr(), &it->hook);
    }
    void push_chain(I* const* its, size_t n) {
        for (size_t i = 0; i < n; ++i)
            push(its[i]); // no batch push in lfstack
    }
    size_t drain() {
        cds_lfs_head* h = __cds_lfs_pop_all(ptr());
        if (!h)
            return 0;
        size_t n = 0;
        for (cds_lfs_node* node = &h->node; node;) {
            cds_lfs_node* next = node->next; // read before the producer may reuse it
            consume(I::of(node)->consumed);
            node = next;
            ++n;
        }
        return n;
    }

private:
    cds_lfs_stack_ptr_t ptr() {
        cds_lfs_stack_ptr_t p;
        p._s = &s_;
        return p;
    }
    alignas(64) __cds_lfs_stack s_;
};

// ---------------------------------------------------------------------------
class UrcuWfcqueue {
public:
    using Hook = cds_wfcq_node;
    using I = Item<Hook>;
    UrcuWfcqueue() { __cds_wfcq_init(&head_, &tail_); }
    void push(I* it) {
        cds_wfcq_node_init(&it->hook);
        cds_wfcq_enqueue(__cds_wfcq_head_cast(&head_), &tail_, &it->hook);
    }
    void push_chain(I* const* its, size_t n) {
        // Build a private queue, then splice it in with one exchange on the tail.
        __cds_wfcq_head lh;
        cds_wfcq_tail lt;
        __cds_wfcq_init(&lh, &lt);
        for (size_t i = 0; i < n; ++i) {
            cds_wfcq_node_init(&its[i]->hook);
            cds_wfcq_enqueue(__cds_wfcq_head_cast(&lh), &lt, &its[i]->hook);
        }
        __cds_wfcq_splice_blocking(__cds_wfcq_head_cast(&head_), &tail_, __cds_wfcq_head_cast(&lh),
                                   &lt);
    }
    size_t drain() {
        // Only the reaper dequeues/splices from the shared queue: no lock needed.
        __cds_wfcq_head lh;
        cds_wfcq_tail lt;
        __cds_wfcq_init(&lh, &lt);
        if (__cds_wfcq_splice_blocking(__cds_wfcq_head_cast(&lh), &lt, __cds_wfcq_head_cast(&head_),
                                       &tail_) == CDS_WFCQ_RET_SRC_EMPTY)
            return 0;
        size_t n = 0;
        cds_wfcq_node* node = __cds_wfcq_first_blocking(__cds_wfcq_head_cast(&lh), &lt);
        while (node) {
            cds_wfcq_node* next = __cds_wfcq_next_blocking(__cds_wfcq_head_cast(&lh), &lt, node);
            consume(I::of(node)->consumed);
            node = next;
            ++n;
        }
        return n;
    }

private:
    alignas(64) __cds_wfcq_head head_; // reaper side
    alignas(64) cds_wfcq_tail tail_;   // producers' side
};

// ---------------------------------------------------------------------------
class TbbQueue {
public:
    struct Hook {};
    using I = Item<Hook>;
    void push(I* it) { q_.push(it); }
    void push_chain(I* const* its, size_t n) {
        for (size_t i = 0; i < n; ++i)
            q_.push(its[i]); // no batch push
    }
    size_t drain() {
        size_t n = 0;
        for (I* it = nullptr; q_.try_pop(it); ++n)
            consume(it->consumed);
        return n;
    }

private:
    oneapi::tbb::concurrent_queue<I*> q_;
};

// ---------------------------------------------------------------------------
class MutexList {
public:
    struct Hook {
        Hook* next;
    };
    using I = Item<Hook>;
    void push(I* it) {
        std::lock_guard lk(mu_);
        it->hook.next = head_;
        head_ = &it->hook;
    }
    void push_chain(I* const* its, size_t n) {
        for (size_t i = 0; i + 1 < n; ++i)
            its[i]->hook.next = &its[i + 1]->hook;
        std::lock_guard lk(mu_);
        its[n - 1]->hook.next = head_;
        head_ = &its[0]->hook;
    }
    size_t drain() {
        Hook* h;
        {
            std::lock_guard lk(mu_);
            h = head_;
            head_ = nullptr;
        }
        size_t n = 0;
        while (h) {
            Hook* next = h->next;
            consume(I::of(h)->consumed);
            h = next;
            ++n;
        }
        return n;
    }

private:
    std::mutex mu_;
    Hook* head_ = nullptr;
};

// ---------------------------------------------------------------------------
// Per-thread hooks for structures that need the thread to be a CPU (ours).
struct NoCpu {};

template <class Q, class Cpu = NoCpu>
struct Handoff {
    using I = typename Q::I;
    static inline Q* q = nullptr;
    static inline std::thread* reaper = nullptr;
    static inline std::atomic<bool> stop{false};

    static void reap() {
        [[maybe_unused]] Cpu cpu;
        while (!stop.load(std::memory_order_acquire)) {
            if (q->drain() == 0)
                std::this_thread::yield();
        }
        while (q->drain() != 0) {
        }
    }
    static void setup(const benchmark::State&) {
        q = new Q();
        stop.store(false);
        reaper = new std::thread(reap);
    }
    static void teardown(const benchmark::State&) {
        stop.store(true, std::memory_order_release);
        reaper->join();
        delete reaper;
        delete q;
        q = nullptr;
    }

    // Next element of the ring, once the reaper has consumed its last use.
    static I* take(std::unique_ptr<I[]>& ring, size_t& i) {
        I* it = &ring[i++ % kRing];
        while (it->consumed.load(std::memory_order_acquire) == 0)
            std::this_thread::yield();
        it->consumed.store(0, std::memory_order_relaxed);
        return it;
    }

    static void run(benchmark::State& st, size_t chain) {
        [[maybe_unused]] Cpu cpu;
        std::unique_ptr<I[]> ring(new I[kRing]);
        size_t i = 0;
        I* batch[kChain];
        SpanClock span;
        while (st.KeepRunningBatch(static_cast<benchmark::IterationCount>(kChain))) {
            span.started();
            if (chain == 1) {
                for (size_t k = 0; k < kChain; ++k)
                    q->push(take(ring, i));
            } else {
                for (size_t k = 0; k < kChain; ++k)
                    batch[k] = take(ring, i);
                q->push_chain(batch, kChain);
            }
        }
        span.finish(st, st.iterations());
        // The ring dies with this thread: wait until the reaper is done with it.
        for (size_t k = 0; k < kRing; ++k)
            while (ring[k].consumed.load(std::memory_order_acquire) == 0)
                std::this_thread::yield();
    }
};

template <class Q, class Cpu = NoCpu>
void register_impl(const char* impl) {
    using B = Handoff<Q, Cpu>;
    for (size_t chain : {size_t{1}, kChain}) {
        const std::string n = name("DeadHandoff", impl, chain == 1 ? "single" : "batch16");
        threads_1_to_16(benchmark::RegisterBenchmark(
                            n.c_str(), [chain](benchmark::State& st) { B::run(st, chain); }))
            ->Setup(B::setup)
            ->Teardown(B::teardown);
    }
}

} // namespace

int main(int argc, char** argv) {
    register_impl<ScytheDeadList>("scythe");
    register_impl<UrcuLfstack>("urcu_lfstack");
    register_impl<UrcuWfcqueue>("urcu_wfcqueue");
    register_impl<TbbQueue>("tbb_queue");
    register_impl<MutexList>("mutex_list");
    return run_benchmarks(argc, argv);
}
