// A mutex that sleeps: contended lockers wait on a wait queue instead of
// spinning, so a holder may block (allocate, wait for I/O) while holding it.
//
// State word: 0 free, 1 locked, 2 locked and maybe contended (Drepper,
// "Futexes Are Tricky", mutex #2). A waiter sets 2 under the wait queue's
// lock before sleeping; unlock wakes only when it sees 2, so the uncontended
// path is one compare-exchange each way.
// Counts acquisitions, contended acquisitions and cycles waited in its LockClass.
#pragma once

#include <atomic>
#include <stdint.h>

#include "kernel/sched/lock_stats.h"
#include "kernel/sched/waitq.h"

namespace kernel::sched {

class Mutex {
public:
    explicit Mutex(LockClass& cls) : class_(cls) {}
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    void lock();
    bool try_lock();
    void unlock();
    bool holding() const; // held by the calling thread (for assertions)

private:
    std::atomic<uint32_t> state_{0};
    std::atomic<Thread*> owner_{nullptr}; // debug aid (relaxed): written by the holder only
    WaitQueue waiters_;
    LockClass& class_;
};

class MutexGuard {
public:
    explicit MutexGuard(Mutex& m) : m_(m) { m_.lock(); }
    ~MutexGuard() { m_.unlock(); }
    MutexGuard(const MutexGuard&) = delete;
    MutexGuard& operator=(const MutexGuard&) = delete;

private:
    Mutex& m_;
};

} // namespace kernel::sched
