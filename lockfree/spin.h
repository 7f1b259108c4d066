// lockfree/spin.h: TicketLock, a tiny fair spin lock for short critical sections.
//
// What: a FIFO ticket lock (two counters: next ticket, now serving) plus an RAII guard that also
// pins the CPU (PreemptGuard) while the lock is held, as a kernel spin lock must.
// When to use: short, bounded critical sections that never block or wait for a grace period
// (one RCU hash bucket, the RCU orphan list). FIFO fairness keeps a hot bucket from starving
// one CPU.
// When not: anything that may sleep, or wait for RCU (a spinner does not report quiescent
// states, so waiting for a grace period with a spin lock held that an online CPU spins on is a
// deadlock). On an oversubscribed host a preempted ticket holder (or next-in-line waiter) stalls
// the whole queue until it runs again; host tests accept that, the kernel never preempts a
// holder. Compared with Linux's qspinlock: no MCS queue, so every waiter spins on the shared
// line; fine for the low contention it is used under here.
//
// Synchronisation table:
//   lock / try_lock / unlock     any CPUs concurrently; unlock only by the holder.
//   is_locked                    any CPU; a racy snapshot (assertions only).
#pragma once

#include <atomic>
#include <cstdint>

#include "lockfree/platform.h"

namespace scythe::lf {

template <Platform P, template <class> class Atom = std::atomic>
class TicketLock {
public:
    constexpr TicketLock() noexcept : next_(0), serving_(0) {}
    TicketLock(const TicketLock&) = delete;
    TicketLock& operator=(const TicketLock&) = delete;

    void lock() noexcept {
        // relaxed: taking a ticket orders nothing; the acquire load below does.
        const std::uint32_t me = next_.fetch_add(1, std::memory_order_relaxed);
        // acquire: pairs with the release store in unlock() of the previous holder.
        while (serving_.load(std::memory_order_acquire) != me)
            P::cpu_relax();
    }

    bool try_lock() noexcept {
        // acquire: pairs with the release store in unlock(); if the CAS below succeeds we hold the
        // ticket that is being served, so this load already synchronised with the last unlock.
        const std::uint32_t s = serving_.load(std::memory_order_acquire);
        std::uint32_t n = s;
        // relaxed: as in lock(); success means next_ == serving_ == s, i.e. nobody held the lock.
        return next_.compare_exchange_strong(n, s + 1, std::memory_order_relaxed,
                                             std::memory_order_relaxed);
    }

    void unlock() noexcept {
        // Only the holder writes serving_, so a plain read-modify-write is enough.
        const std::uint32_t s = serving_.load(std::memory_order_relaxed);
        // release: pairs with the acquire loads in lock()/try_lock() of the next holder.
        serving_.store(s + 1, std::memory_order_release);
    }

    bool is_locked() const noexcept {
        return next_.load(std::memory_order_relaxed) != serving_.load(std::memory_order_relaxed);
    }

private:
    Atom<std::uint32_t> next_;
    Atom<std::uint32_t> serving_;
};

// RAII: pinned (no preemption) and holding the lock.
template <class Lock, class PreemptGuard>
class [[nodiscard]] SpinGuard {
public:
    explicit SpinGuard(Lock& l) noexcept : lock_(l) { lock_.lock(); }
    ~SpinGuard() { lock_.unlock(); }
    SpinGuard(const SpinGuard&) = delete;
    SpinGuard& operator=(const SpinGuard&) = delete;

private:
    PreemptGuard pin_; // constructed first, destroyed last
    Lock& lock_;
};

} // namespace scythe::lf
