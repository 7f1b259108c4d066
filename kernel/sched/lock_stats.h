// Lock statistics per lock class: the raw material for profiling scalability.
//
// A LockClass names a family of locks (every run queue lock is one class,
// every wait queue lock another) and counts, per CPU so that counting writes
// no shared cache line: acquisitions, contended acquisitions (the lock was
// not free at the first try) and the cycles spent spinning or sleeping for
// it. Classes register themselves at construction (static storage only);
// print_lock_stats() sums the CPUs and prints one line per class.
//
// StatSpinLock wraps the smp/ ticket lock with a class; the uncontended path
// costs one try_lock and one relaxed per-CPU increment. kernel::sched::Mutex
// takes a class too.
#pragma once

#include <atomic>
#include <stdint.h>

#include "arch/cpu.h"
#include "smp/percpu.h"
#include "smp/spinlock.h"

namespace kernel::sched {

class LockClass {
public:
    explicit LockClass(const char* name); // registers the class: static storage only
    LockClass(const LockClass&) = delete;
    LockClass& operator=(const LockClass&) = delete;

    void count_acquire() { slot().acquisitions.fetch_add(1, std::memory_order_relaxed); }
    void count_contended(uint64_t cycles) {
        Counters& c = slot();
        c.acquisitions.fetch_add(1, std::memory_order_relaxed);
        c.contended.fetch_add(1, std::memory_order_relaxed);
        c.wait_cycles.fetch_add(cycles, std::memory_order_relaxed);
    }

    struct Totals {
        uint64_t acquisitions, contended, wait_cycles;
    };
    Totals totals() const;
    const char* name() const { return name_; }
    LockClass* next() const { return next_; }

private:
    // Atomics although each CPU writes mostly its own slot: a thread
    // preempted between reading its CPU id and counting may land on another.
    struct Counters {
        std::atomic<uint64_t> acquisitions{0};
        std::atomic<uint64_t> contended{0};
        std::atomic<uint64_t> wait_cycles{0};
    };
    Counters& slot() { return counters_.on(arch::this_cpu_id()); }

    const char* name_;
    LockClass* next_ = nullptr;
    smp::PerCpu<Counters> counters_;
};

// Prints "lockstat <class>: N acquisitions, C contended, W wait cycles (avg A)"
// for every class that was used.
void print_lock_stats();

class StatSpinLock {
public:
    explicit StatSpinLock(LockClass& cls) : class_(cls) {}

    void lock() {
        if (lock_.try_lock()) {
            class_.count_acquire();
            return;
        }
        const uint64_t start = arch::cycle_counter();
        lock_.lock();
        class_.count_contended(arch::cycle_counter() - start);
    }
    bool try_lock() {
        if (!lock_.try_lock())
            return false;
        class_.count_acquire();
        return true;
    }
    void unlock() { lock_.unlock(); }
    bool holding() const { return lock_.holding(); }

private:
    smp::TicketLock lock_;
    LockClass& class_;
};

} // namespace kernel::sched
