// kernel/mm/mm_common.h: small pieces shared by the scalable allocators (buddy.h, page_cache.h,
// slab.h): the page-frame-number type, the lock guard, the per-CPU counter cell, and the
// Platform concept they are parameterised on.
//
// Freestanding C++20: the kernel and the host tests include these headers unchanged.
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "lockfree/platform.h"

namespace scythe::mm {

// The allocators take the lockfree/ Platform (lockfree/platform.h): cpu_id(), max_cpus(),
// kMaxCpus, PreemptGuard, IrqGuard, assert_fail. The kernel passes its arch platform, the host
// tests pass scythe::lf::HostPlatform (threads play CPUs).
template <class P>
concept Platform = lf::Platform<P>;

// A lock the allocator is parameterised on: the kernel's ticket spinlock (interrupt-safe variant
// if allocations may happen in interrupt context), a std::mutex on the host.
template <class L>
concept BasicLock = requires(L& l) {
    l.lock();
    l.unlock();
};

template <BasicLock L>
class [[nodiscard]] LockGuard {
public:
    explicit LockGuard(L& l) noexcept : l_(l) { l_.lock(); }
    ~LockGuard() { l_.unlock(); }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    L& l_;
};

// Physical page frame number (physical address >> kPageShift).
using pfn_t = std::uint64_t;
inline constexpr pfn_t kNoPfn = std::numeric_limits<pfn_t>::max(); // "no page": exhaustion

inline constexpr unsigned kPageShift = 12;
inline constexpr std::size_t kPageSize = std::size_t{1} << kPageShift;

// A statistics counter with one writer (the owning CPU, or the holder of a lock) and racy
// readers on any CPU. The writer does load+store, not an RMW: no lock prefix on the hot path.
// Relaxed is enough: readers want a recent value, not an ordering with other memory.
class Counter {
public:
    void add(std::uint64_t n = 1) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void sub(std::uint64_t n = 1) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
    }
    void set(std::uint64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
    std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

#define SCYTHE_MM_VERIFY(P, expr) SCYTHE_LF_VERIFY(P, expr)

} // namespace scythe::mm
