// Helpers for the lockfree/ list, queue, counter and refcount tests (host only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <latch>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lockfree/host/platform.h"

namespace scythe::lf::test {

// Runs body(index) on n threads, each registered as a CPU (HostCpu), all released together by a
// latch so they really overlap. Joins before returning.
inline void run_cpus(std::size_t n, const std::function<void(std::size_t)>& body) {
    std::latch start(static_cast<std::ptrdiff_t>(n));
    std::vector<std::thread> threads;
    threads.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            HostCpu cpu;
            start.arrive_and_wait();
            body(i);
        });
    }
    for (auto& t : threads)
        t.join();
}

// Small deterministic PRNG (xorshift64*), one per thread.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
    std::uint64_t next() {
        s_ ^= s_ >> 12;
        s_ ^= s_ << 25;
        s_ ^= s_ >> 27;
        return s_ * 0x2545F4914F6CDD1Dull;
    }
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }

private:
    std::uint64_t s_;
};

// Death tests run in a re-executed child ("threadsafe"): safe with the threads gtest and TSan own.
inline void threadsafe_death_tests() {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
}

} // namespace scythe::lf::test
