// Shared helpers for the host benchmarks (bench/*.cc). Not part of the kernel.
//
// Naming convention (scripts/bench_host.py groups by it):
//   BM_<Family>/<impl>/<case...>[/real_time]/threads:N
// <impl> "scythe" is ours; every other impl is a baseline, except impls named
// "ref_*", which are reference points (e.g. a plain load) shown but never
// counted as the "best baseline". All figures are items/s summed over threads:
// span_items_per_second (see SpanClock), next to GB's own items_per_second.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "lockfree/rcu_hash.h" // hash_mix64

namespace scythe::bench {

// Thread counts of every benchmark: 1, 2, 4, 8, 16 (more threads than the two
// host cores on purpose: the kernel runs more vCPUs than host cores too).
inline benchmark::internal::Benchmark* threads_1_to_16(benchmark::internal::Benchmark* b) {
    return b->ThreadRange(1, 16)->UseRealTime();
}

// xorshift64*: cheap per-thread key stream, no shared state.
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {
        if (s == 0)
            s = 1;
    }
    uint64_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 0x2545F4914F6CDD1Dull;
    }
    // Uniform in [0, n) (Lemire's multiply-shift; bias irrelevant here).
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }
};

// murmur3 fmix64, the pid hash's own mixer: the hash every table under test
// is given (where it takes one).
inline uint64_t mix64(uint64_t k) {
    return scythe::lf::hash_mix64(k);
}

// Google Benchmark's standard main, after the caller registered its benchmarks.
inline int run_benchmarks(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

inline std::string name(const std::string& family, const std::string& impl,
                        const std::string& rest) {
    return "BM_" + family + "/" + impl + (rest.empty() ? "" : "/" + rest);
}

// Aggregate throughput over the wall-clock span of the whole run.
// Google Benchmark's own items_per_second (kIsRate) divides the summed items by
// the *average* per-thread time, and each thread stops its timer before the
// end barrier. With more threads than cores, threads that got a core early
// finish early, the average is shorter than the run, and the rate is inflated
// (up to threads/cores times on short runs). Here every thread measures from
// its first batch (just after the start barrier) to just after the loop (just
// after the end barrier, i.e. when the last thread finished), so all threads
// measure about the same span, and the summed per-thread rates are
// total items / span. Reported as "span_items_per_second"; GB's
// items_per_second is kept next to it.
class SpanClock {
public:
    void started() {
        if (!started_) {
            started_ = true;
            t0_ = std::chrono::steady_clock::now();
        }
    }
    void finish(benchmark::State& st, benchmark::IterationCount items) {
        const auto t1 = std::chrono::steady_clock::now();
        const double secs = std::chrono::duration<double>(t1 - t0_).count();
        st.SetItemsProcessed(items);
        st.counters["span_items_per_second"] =
            benchmark::Counter(started_ && secs > 0 ? static_cast<double>(items) / secs : 0.0);
    }

private:
    bool started_ = false;
    std::chrono::steady_clock::time_point t0_{};
};

// QSBR-safe loop. Google Benchmark ends each thread's loop at a barrier; a QSBR
// reader that waits there while online blocks any grace period another thread
// is waiting for (deadlock). So the thread comes online at its first batch,
// reports a quiescent state after every batch (as a kernel CPU would at its
// context switches), and goes offline at the end of its last batch, before
// the end barrier. (Going offline after every batch would be simpler, but our
// RCU hands an offline CPU's pending callbacks to a global orphan list: that
// is the rare idle path, not the one to measure.)
// R provides online()/offline()/quiescent(); body(n) runs n operations.
template <class R, class Body>
void qsbr_batches(benchmark::State& st, R& r, benchmark::IterationCount batch, Body&& body) {
    SpanClock span;
    bool online = false;
    while (st.KeepRunningBatch(batch)) {
        if (!online) {
            span.started();
            r.online();
            online = true;
        }
        body(batch);
        // After KeepRunningBatch returned true, iterations() counts this batch
        // and reaches max_iterations exactly when no batch follows (GB 1.7.1:
        // iterations() = max_iterations - remaining + batch_leftover).
        if (st.iterations() >= st.max_iterations) {
            r.offline();
            online = false;
        } else {
            r.quiescent();
        }
    }
    if (online)
        r.offline(); // not reached unless the run was cut short
    span.finish(st, st.iterations());
}

} // namespace scythe::bench
