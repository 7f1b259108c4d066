// Spinlocks for the kernel: a fair ticket lock and RAII guards.
//
// Contract:
//  - TicketLock is FIFO-fair: CPUs acquire in the order they took a ticket,
//    so no CPU starves under contention (a test-and-set lock can starve one).
//  - A lock that is also taken from interrupt context must be held with
//    interrupts off (IrqSpinGuard), or an interrupt on the holder's CPU would
//    spin forever on its own lock.
//  - holding() answers "does THIS CPU hold it?" for assertions; it is exact
//    only when asked by the CPU that may hold it (owner is written by the holder).
//  - Not recursive. Locking twice on one CPU deadlocks; assert_not_held() first
//    where that could happen.
#pragma once

#include <atomic>
#include <stdint.h>

#include "arch/cpu.h"
#include "smp/assert.h"

namespace smp {

class TicketLock {
public:
    constexpr TicketLock() = default;
    TicketLock(const TicketLock&) = delete;
    TicketLock& operator=(const TicketLock&) = delete;

    void lock() {
        // relaxed: taking a ticket orders nothing; the acquire load below does.
        const uint32_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
        // acquire pairs with the release in unlock(): the previous holder's
        // writes are visible once we see our number served.
        while (serving_.load(std::memory_order_acquire) != ticket)
            arch::cpu_relax();
        owner_.store(arch::this_cpu_id() + 1, std::memory_order_relaxed);
    }

    bool try_lock() {
        uint32_t serving = serving_.load(std::memory_order_relaxed);
        uint32_t expected = serving;
        // Only take a ticket if it would be served at once; acquire as in lock().
        if (!next_.compare_exchange_strong(expected, serving + 1, std::memory_order_acquire,
                                           std::memory_order_relaxed))
            return false;
        owner_.store(arch::this_cpu_id() + 1, std::memory_order_relaxed);
        return true;
    }

    void unlock() {
        SCYTHE_ASSERT(holding());
        owner_.store(0, std::memory_order_relaxed);
        // release pairs with the acquire in lock(): publishes the critical section.
        // Only the holder writes serving_, so a plain load + store is enough.
        serving_.store(serving_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    bool holding() const {
        return owner_.load(std::memory_order_relaxed) == arch::this_cpu_id() + 1 && is_locked();
    }
    bool is_locked() const {
        return next_.load(std::memory_order_relaxed) != serving_.load(std::memory_order_relaxed);
    }
    void assert_held() const { SCYTHE_ASSERT(holding()); }
    void assert_not_held() const { SCYTHE_ASSERT(!holding()); }

private:
    std::atomic<uint32_t> next_{0};    // next ticket to hand out
    std::atomic<uint32_t> serving_{0}; // ticket now allowed in
    std::atomic<uint32_t> owner_{0};   // holder's CPU id + 1, 0 when free (debug aid)
};

using SpinLock = TicketLock;

// Holds the lock for a scope; interrupts untouched (the lock is never taken
// from interrupt context, or the caller has already disabled them).
template <typename Lock = SpinLock>
class SpinGuard {
public:
    explicit SpinGuard(Lock& lock) : lock_(lock) { lock_.lock(); }
    ~SpinGuard() { lock_.unlock(); }
    SpinGuard(const SpinGuard&) = delete;
    SpinGuard& operator=(const SpinGuard&) = delete;

private:
    Lock& lock_;
};

// Disables interrupts, then holds the lock; undoes both in reverse order.
template <typename Lock = SpinLock>
class IrqSpinGuard {
public:
    explicit IrqSpinGuard(Lock& lock) : lock_(lock), irq_(arch::irq_save()) { lock_.lock(); }
    ~IrqSpinGuard() {
        lock_.unlock();
        arch::irq_restore(irq_);
    }
    IrqSpinGuard(const IrqSpinGuard&) = delete;
    IrqSpinGuard& operator=(const IrqSpinGuard&) = delete;

private:
    Lock& lock_;
    arch::IrqState irq_;
};

// Data that can only be reached with its lock held (interrupts off):
//   Protected<Queue> q;  q.with([](Queue& v) { v.push(x); });
template <typename T, typename Lock = SpinLock>
class Protected {
public:
    template <typename... Args>
    constexpr explicit Protected(Args&&... args) : value_(static_cast<Args&&>(args)...) {}

    template <typename F>
    decltype(auto) with(F&& f) {
        IrqSpinGuard<Lock> guard(lock_);
        return f(value_);
    }
    Lock& lock() { return lock_; }

private:
    Lock lock_;
    T value_;
};

} // namespace smp
