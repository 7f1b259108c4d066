// RCU: read-side cost, call_rcu throughput, synchronize_rcu latency.
//
// Names: BM_<Family>/<impl>/<case>/real_time/threads:N
//   impl: scythe (lockfree/rcu.h, QSBR, threads are HostPlatform CPUs),
//         urcu_qsbr (liburcu urcu-qsbr),
//         ref_plain_load (no RCU at all: the floor a read side can reach)
//   BM_RcuRead/<impl>/{idle,updater}: read_lock + acquire load of a global
//       pointer + read through it + read_unlock. "updater": a background
//       thread replaces the pointer every ~20 us and frees the old object with
//       call_rcu. Items = read-side sections.
//   BM_CallRcu/<impl>/alloc_free: each thread allocates an object and
//       call_rcu()s its free, at most kInFlight pending per thread (beyond
//       that it reports quiescent states and yields until its callbacks ran),
//       so the rate includes grace periods and callback invocation.
//       Items = call_rcu calls.
//   BM_RcuSync/<impl>/{idle,reader}: every thread calls synchronize_rcu in
//       a loop; "reader": one background reader thread (online throughout)
//       runs read sections and reports a quiescent state every 64 of them.
//       One, not more: on two host cores, more spinning readers than cores
//       left free turn the figure into the scheduler's wake-up latency.
//       Items = synchronize calls (threads / items/s = latency of one call).
// Benchmark threads are online from their first batch to their last, with a
// quiescent state between batches (bench_common.h: qsbr_batches).
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "lockfree/host/platform.h"
#include "lockfree/rcu.h"
#include "urcu_qsbr.h"

namespace {

using namespace scythe::bench;
namespace lf = scythe::lf;

// ---------------------------------------------------------------------------
// Flavours. Each provides: Thread (RAII registration; online, offline,
// quiescent), read_lock/read_unlock, Obj (with its rcu head and a pointer to
// a pending-callback counter), retire(Obj*) (free after a grace period,
// decrementing *pending), synchronize(), barrier().

struct ScytheRcu {
    static inline lf::Rcu<lf::HostPlatform> rcu;

    struct Thread {
        lf::HostCpu cpu; // a host thread plays a CPU
        void online() { rcu.online(); }
        void offline() { rcu.offline(); }
        void quiescent() { rcu.quiescent_state(); }
    };
    struct Obj {
        uint64_t v;
        std::atomic<int64_t>* pending;
        lf::RcuHead rh;
    };
    static void read_lock() { rcu.read_lock(); }
    static void read_unlock() { rcu.read_unlock(); }
    static void retire(Obj* o) { rcu.call_rcu(&o->rh, free_obj); }
    static void synchronize() { rcu.synchronize(); }
    static void barrier() {
        // barrier() must run on a CPU slot (Setup/Teardown run on the main thread).
        if (lf::HostPlatform::is_registered()) {
            rcu.barrier();
        } else {
            lf::HostCpu cpu;
            rcu.barrier();
        }
    }

private:
    static void free_obj(lf::RcuHead* h) {
        Obj* o = reinterpret_cast<Obj*>(reinterpret_cast<char*>(h) - offsetof(Obj, rh));
        if (o->pending)
            o->pending->fetch_sub(1, std::memory_order_relaxed);
        delete o;
    }
};

struct UrcuQsbr {
    using Thread = UrcuQsbrThread;
    struct Obj {
        uint64_t v;
        std::atomic<int64_t>* pending;
        rcu_head rh;
    };
    static void read_lock() { urcu_qsbr_read_lock(); }
    static void read_unlock() { urcu_qsbr_read_unlock(); }
    static void retire(Obj* o) { urcu_qsbr_call_rcu(&o->rh, free_obj); }
    static void synchronize() { urcu_qsbr_synchronize_rcu(); }
    static void barrier() { urcu_qsbr_barrier(); }

private:
    static void free_obj(rcu_head* h) {
        Obj* o = reinterpret_cast<Obj*>(reinterpret_cast<char*>(h) - offsetof(Obj, rh));
        if (o->pending)
            o->pending->fetch_sub(1, std::memory_order_relaxed);
        delete o;
    }
};

// No RCU: the read side a plain load gives (only for BM_RcuRead/idle).
struct RefPlainLoad {
    struct Thread {
        void online() {}
        void offline() {}
        void quiescent() {}
    };
    struct Obj {
        uint64_t v;
        std::atomic<int64_t>* pending;
        struct {
        } rh; // no reclamation: never retired
    };
    static void read_lock() {}
    static void read_unlock() {}
};

// ---------------------------------------------------------------------------
// Read side.

constexpr benchmark::IterationCount kReadBatch = 4096;

template <class F>
struct ReadBench {
    using Obj = typename F::Obj;
    static inline std::atomic<Obj*> gp{nullptr};
    static inline std::thread* updater = nullptr;
    static inline std::atomic<bool> stop{false};

    static void setup_idle(const benchmark::State&) { gp.store(new Obj{42, nullptr, {}}); }
    static void teardown_idle(const benchmark::State&) { delete gp.exchange(nullptr); }

    static void update_loop() {
        typename F::Thread self;
        self.online();
        uint64_t v = 0;
        while (!stop.load(std::memory_order_acquire)) {
            // release (acq_rel): publishes the new object (rcu_assign_pointer).
            F::retire(gp.exchange(new Obj{++v, nullptr, {}}, std::memory_order_acq_rel));
            self.quiescent();
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
        self.offline();
    }
    static void setup_updater(const benchmark::State& st) {
        setup_idle(st);
        stop.store(false);
        updater = new std::thread(update_loop);
    }
    static void teardown_updater(const benchmark::State& st) {
        stop.store(true, std::memory_order_release);
        updater->join();
        delete updater;
        F::barrier();
        teardown_idle(st);
    }

    static void run(benchmark::State& st) {
        typename F::Thread self;
        uint64_t sink = 0;
        qsbr_batches(st, self, kReadBatch, [&](benchmark::IterationCount n) {
            for (benchmark::IterationCount i = 0; i < n; ++i) {
                F::read_lock();
                // acquire: pairs with the publishing exchange (rcu_dereference; a
                // plain mov on x86).
                sink += gp.load(std::memory_order_acquire)->v;
                F::read_unlock();
            }
        });
        benchmark::DoNotOptimize(sink);
    }
};

// ---------------------------------------------------------------------------
// call_rcu throughput.

constexpr benchmark::IterationCount kCallBatch = 256;
constexpr int64_t kInFlight = 1 << 16;

template <class F>
struct CallRcuBench {
    using Obj = typename F::Obj;
    static void teardown(const benchmark::State&) { F::barrier(); }
    static void run(benchmark::State& st) {
        typename F::Thread self;
        std::atomic<int64_t> pending{0};
        qsbr_batches(st, self, kCallBatch, [&](benchmark::IterationCount n) {
            for (benchmark::IterationCount i = 0; i < n; ++i) {
                pending.fetch_add(1, std::memory_order_relaxed);
                F::retire(new Obj{static_cast<uint64_t>(i), &pending, {}});
            }
            // Backpressure: let grace periods end and callbacks run (liburcu's
            // call_rcu thread; ours run on this CPU from quiescent_state()).
            while (pending.load(std::memory_order_relaxed) > kInFlight) {
                self.quiescent();
                std::this_thread::yield();
            }
        });
        // `pending` lives on this stack: wait for every callback that names it.
        F::barrier();
        while (pending.load(std::memory_order_acquire) > 0)
            std::this_thread::yield();
    }
};

// ---------------------------------------------------------------------------
// synchronize_rcu latency.

template <class F>
struct SyncBench {
    using Obj = typename F::Obj;
    static inline std::vector<std::thread>* readers = nullptr;
    static inline std::atomic<bool> stop{false};
    static inline std::atomic<int> readers_online{0};
    static inline std::atomic<Obj*> gp{nullptr};

    static void read_loop() {
        typename F::Thread self;
        uint64_t sink = 0;
        // Online throughout, a quiescent state every 64 sections (the kernel's
        // pattern: quiescent at context switch), offline only to leave.
        self.online();
        readers_online.fetch_add(1, std::memory_order_release);
        while (!stop.load(std::memory_order_acquire)) {
            for (int i = 0; i < 64; ++i) {
                F::read_lock();
                sink += gp.load(std::memory_order_acquire)->v;
                F::read_unlock();
            }
            self.quiescent();
        }
        self.offline();
        benchmark::DoNotOptimize(sink);
    }
    template <int Readers>
    static void setup(const benchmark::State&) {
        gp.store(new Obj{7, nullptr, {}});
        stop.store(false);
        readers_online.store(0);
        readers = new std::vector<std::thread>();
        for (int i = 0; i < Readers; ++i)
            readers->emplace_back(read_loop);
        // Time only with the readers online (else the first, reader-less trial
        // makes Google Benchmark pick far too many iterations).
        while (readers_online.load(std::memory_order_acquire) < Readers)
            std::this_thread::yield();
    }
    static void teardown(const benchmark::State&) {
        stop.store(true, std::memory_order_release);
        for (auto& t : *readers)
            t.join();
        delete readers;
        delete gp.exchange(nullptr);
    }
    static void run(benchmark::State& st) {
        typename F::Thread self;
        qsbr_batches(st, self, 1, [&](benchmark::IterationCount) { F::synchronize(); });
    }
};

// ---------------------------------------------------------------------------

template <class F>
void register_rcu_flavour(const char* impl) {
    using R = ReadBench<F>;
    threads_1_to_16(benchmark::RegisterBenchmark(name("RcuRead", impl, "idle").c_str(), R::run))
        ->Setup(R::setup_idle)
        ->Teardown(R::teardown_idle);
    threads_1_to_16(benchmark::RegisterBenchmark(name("RcuRead", impl, "updater").c_str(), R::run))
        ->Setup(R::setup_updater)
        ->Teardown(R::teardown_updater);
    using C = CallRcuBench<F>;
    threads_1_to_16(
        benchmark::RegisterBenchmark(name("CallRcu", impl, "alloc_free").c_str(), C::run))
        ->Teardown(C::teardown);
    using S = SyncBench<F>;
    threads_1_to_16(benchmark::RegisterBenchmark(name("RcuSync", impl, "idle").c_str(), S::run))
        ->Setup(S::template setup<0>)
        ->Teardown(S::teardown);
    threads_1_to_16(benchmark::RegisterBenchmark(name("RcuSync", impl, "reader").c_str(), S::run))
        ->Setup(S::template setup<1>)
        ->Teardown(S::teardown);
}

} // namespace

int main(int argc, char** argv) {
    register_rcu_flavour<ScytheRcu>("scythe");
    register_rcu_flavour<UrcuQsbr>("urcu_qsbr");
    {
        using R = ReadBench<RefPlainLoad>;
        threads_1_to_16(
            benchmark::RegisterBenchmark(name("RcuRead", "ref_plain_load", "idle").c_str(), R::run))
            ->Setup(R::setup_idle)
            ->Teardown(R::teardown_idle);
    }
    return run_benchmarks(argc, argv);
}
