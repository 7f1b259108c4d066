// Wait queues: sleep until a condition holds, woken by whoever makes it true.
//
// The condition is evaluated with the queue's lock held, and a waker takes
// the same lock to wake, so "make it true, then wake_*()" is never missed:
// either the sleeper sees the new value, or it is already queued when the
// waker looks. Wakers on any CPU; a sleeper on another CPU is queued back on
// its own CPU, which gets a reschedule IPI (sched::wake_up).
#pragma once

#include <stddef.h>

#include "arch/cpu.h"
#include "kernel/sched/lock_stats.h"
#include "kernel/sched/thread.h"

namespace kernel::sched {

extern LockClass wait_queue_class;

class WaitQueue {
public:
    WaitQueue() : lock_(wait_queue_class) {}
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

    // Returns once cond() (called under the queue's lock, interrupts off)
    // is true. Must not be called with preemption disabled.
    template <typename Cond>
    void wait_until(Cond&& cond) {
        const arch::IrqState irq = arch::irq_save();
        lock_.lock();
        while (!cond())
            sleep_locked();
        lock_.unlock();
        arch::irq_restore(irq);
    }

    bool wake_one();   // the longest sleeper; false if none
    size_t wake_all(); // how many were woken

private:
    void sleep_locked(); // queue the caller, drop the lock, switch, retake it

    StatSpinLock lock_;
    Thread* head_ = nullptr; // under lock_
    Thread* tail_ = nullptr;
};

} // namespace kernel::sched
