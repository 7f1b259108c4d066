// RCU: read-side cost, call_rcu throughput, synchronize_rcu latency.
//
// Names: BM_<Family>/<impl>/<case>/real_time/threads:N
//   impl: scythe (lockfree/rcu.h, QSBR), urcu_qsbr (liburcu urcu-qsbr),
//         ref_plain_load (no RCU at all: the floor a read side can reach)
//   BM_RcuRead/<impl>/{idle,updater}: read_lock + acquire load of a global
//       pointer + read through it + read_unlock. "updater": a background
//       thread replaces the pointer every ~20 us and frees the old object with
//       call_rcu. Items = read-side sections.
//   BM_CallRcu/<impl>/alloc_free: each thread allocates an object and
//       call_rcu()s its free, at most kInFlight pending per thread (the thread
//       waits for its callbacks beyond that, so the rate includes the grace
//       periods and the callback invocations). Items = call_rcu calls.
//   BM_RcuSync/<impl>/{idle,readers2}: every thread calls synchronize_rcu in
//       a loop; "readers2": two background reader threads run read sections
//       and report a quiescent state every 64 of them. Items = synchronize
//       calls (1 / items/s per thread = latency).
// Threads are QSBR readers online only inside a batch (see bench_common.h).
#include <atomic>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "urcu_qsbr.h"

namespace {

using namespace scythe::bench;

// ---------------------------------------------------------------------------
// Flavours. Each provides: Thread (RAII registration, online/offline/quiescent),
// read_lock/read_unlock, Obj (with an rcu head), retire(Obj*, counter) that
// frees it after a grace period and decrements the counter, synchronize(),
// barrier().

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
  // A thread waiting for its callbacks: they run on liburcu's call_rcu
  // thread, which only needs this thread offline.
  static void let_callbacks_run(Thread&) { std::this_thread::yield(); }

 private:
  static void free_obj(rcu_head* h) {
    Obj* o = reinterpret_cast<Obj*>(reinterpret_cast<char*>(h) - offsetof(Obj, rh));
    if (o->pending) o->pending->fetch_sub(1, std::memory_order_relaxed);
    delete o;
  }
};

// No RCU: the read side a plain load gives (only for BM_RcuRead/idle).
struct RefPlainLoad {
  struct Thread {
    void online() {}
    void offline() {}
  };
  struct Obj {
    uint64_t v;
    std::atomic<int64_t>* pending;
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

  static void setup_idle(const benchmark::State&) { gp.store(new Obj{42, nullptr}); }
  static void teardown_idle(const benchmark::State&) { delete gp.exchange(nullptr); }

  static void update_loop() {
    typename F::Thread self;
    uint64_t v = 0;
    while (!stop.load(std::memory_order_acquire)) {
      self.online();
      Obj* old = gp.exchange(new Obj{++v, nullptr}, std::memory_order_acq_rel);
      F::retire(old);
      self.offline();
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
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
        // acquire: pairs with the publishing exchange (a plain mov on x86,
        // like rcu_dereference).
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
    SpanClock span;
    while (st.KeepRunningBatch(kCallBatch)) {
      span.started();
      self.online();
      for (benchmark::IterationCount i = 0; i < kCallBatch; ++i) {
        pending.fetch_add(1, std::memory_order_relaxed);
        F::retire(new Obj{static_cast<uint64_t>(i), &pending, {}});
      }
      self.offline();
      while (pending.load(std::memory_order_relaxed) > kInFlight) F::let_callbacks_run(self);
    }
    span.finish(st, st.iterations());
    // `pending` lives on this stack: wait for every callback that names it.
    while (pending.load(std::memory_order_acquire) > 0) F::let_callbacks_run(self);
  }
};

// ---------------------------------------------------------------------------
// synchronize_rcu latency.

template <class F>
struct SyncBench {
  using Obj = typename F::Obj;
  static inline std::vector<std::thread>* readers = nullptr;
  static inline std::atomic<bool> stop{false};
  static inline std::atomic<Obj*> gp{nullptr};

  static void read_loop() {
    typename F::Thread self;
    uint64_t sink = 0;
    // Online throughout, a quiescent state every 64 sections (the kernel's
    // pattern: quiescent at context switch), offline only to leave.
    self.online();
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
    readers = new std::vector<std::thread>();
    for (int i = 0; i < Readers; ++i) readers->emplace_back(read_loop);
  }
  static void teardown(const benchmark::State&) {
    stop.store(true, std::memory_order_release);
    for (auto& t : *readers) t.join();
    delete readers;
    delete gp.exchange(nullptr);
  }
  static void run(benchmark::State& st) {
    typename F::Thread self;  // registered, offline: an updater between batches
    SpanClock span;
    while (st.KeepRunningBatch(1)) {
      span.started();
      F::synchronize();
    }
    span.finish(st, st.iterations());
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
  threads_1_to_16(benchmark::RegisterBenchmark(name("CallRcu", impl, "alloc_free").c_str(), C::run))
      ->Teardown(C::teardown);
  using S = SyncBench<F>;
  threads_1_to_16(benchmark::RegisterBenchmark(name("RcuSync", impl, "idle").c_str(), S::run))
      ->Setup(S::template setup<0>)
      ->Teardown(S::teardown);
  threads_1_to_16(benchmark::RegisterBenchmark(name("RcuSync", impl, "readers2").c_str(), S::run))
      ->Setup(S::template setup<2>)
      ->Teardown(S::teardown);
}

}  // namespace

int main(int argc, char** argv) {
  register_rcu_flavour<UrcuQsbr>("urcu_qsbr");
  {
    using R = ReadBench<RefPlainLoad>;
    threads_1_to_16(benchmark::RegisterBenchmark(name("RcuRead", "ref_plain_load", "idle").c_str(), R::run))
        ->Setup(R::setup_idle)
        ->Teardown(R::teardown_idle);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
