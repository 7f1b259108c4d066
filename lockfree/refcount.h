// lockfree/refcount.h: a reference count whose last put is race-free.
//
// What: RefCount<P>: get() / put() / try_get(). put() returns true exactly once, for the reference
// that drops the count to zero, and that caller may then destroy the object: the acq_rel decrement
// makes every other holder's accesses (all before their own put) happen before the destruction.
// try_get() fails on zero: it is the way to take a reference to an object found under RCU (the
// object's memory is still valid, but it may already be dying).
// Misuse (get or put on a dead count, too many references) is a memory-safety bug: it is checked
// always (SCYTHE_LF_VERIFY, not only in debug builds) and reported through P::assert_fail.
// The count saturates at kMax and is a 32-bit word so it fits next to other fields.
// When not: for counts that are only statistics (percpu_counter.h), or hot objects shared by all
// CPUs where the count line would bounce (prefer per-CPU or RCU-only lifetimes there).
//
// Synchronisation table: every operation may run concurrently with every other, on any CPU,
// except unsafe_set() (caller-serialised: initialisation or reuse of a dead object).
#pragma once

#include <atomic>
#include <cstdint>

#include "lockfree/platform.h"

namespace scythe::lf {

template <Platform P, template <class> class Atom = std::atomic>
class RefCount {
public:
    static constexpr std::uint32_t kMax = 0x7fff'ffffu;

    explicit RefCount(std::uint32_t initial = 1) noexcept : count_(initial) {}
    RefCount(const RefCount&) = delete;
    RefCount& operator=(const RefCount&) = delete;

    // Takes another reference; the caller must already hold one (the count is > 0).
    void get() noexcept {
        // relaxed: the caller's existing reference keeps the object alive; nothing is published.
        std::uint32_t old = count_.fetch_add(1, std::memory_order_relaxed);
        SCYTHE_LF_VERIFY(P, old != 0);   // get on a dead object: use after free
        SCYTHE_LF_VERIFY(P, old < kMax); // leak or wrap-around
    }

    // Takes a reference unless the count is already zero (object dying). For lookups that found the
    // object without holding a reference (under RCU, or a lock that does not pin it).
    [[nodiscard]] bool try_get() noexcept {
        // relaxed: only a first guess for the CAS.
        std::uint32_t v = count_.load(std::memory_order_relaxed);
        do {
            if (v == 0)
                return false;
            SCYTHE_LF_VERIFY(P, v < kMax);
            // acquire on success: pairs with the release of unsafe_set()/construction publishing
            // the object (for memory reused as the same type, e.g. a type-stable cache), so the new
            // owner's initialisation is visible. relaxed on failure: we retry with the fresh value.
        } while (!count_.compare_exchange_weak(v, v + 1, std::memory_order_acquire,
                                               std::memory_order_relaxed));
        return true;
    }

    // Drops a reference. Returns true for the last one: the caller now owns the object alone and
    // may destroy it.
    [[nodiscard]] bool put() noexcept {
        // acq_rel: release so this holder's accesses to the object happen before the destruction;
        // acquire (useful to the last putter) so it sees every other holder's accesses before it
        // destroys. Pairs with the fetch_sub of every other put.
        std::uint32_t old = count_.fetch_sub(1, std::memory_order_acq_rel);
        SCYTHE_LF_VERIFY(P, old != 0); // underflow: more puts than gets
        return old == 1;
    }

    // A racy hint (debugging, assertions like "at least one reference").
    std::uint32_t read() const noexcept {
        return count_.load(std::memory_order_relaxed); // relaxed: a hint, publishes nothing
    }

    // Caller-serialised: (re)initialise the count of an object no one else references.
    void unsafe_set(std::uint32_t v) noexcept {
        // release: pairs with try_get()'s acquire CAS (an RCU reader finding reused memory).
        count_.store(v, std::memory_order_release);
    }

private:
    Atom<std::uint32_t> count_;
};

} // namespace scythe::lf
