#include "kernel/sched/waitq.h"

#include "kernel/sched/sched.h"

namespace kernel::sched {

LockClass wait_queue_class("wait_queue");

void WaitQueue::sleep_locked() {
    Thread* me = current();
    me->wait_next = nullptr;
    (tail_ ? tail_->wait_next : head_) = me;
    tail_ = me;
    // Sleeping before the lock is dropped: a waker that finds us queued
    // finds us Sleeping (or, if we have not switched yet, makes us Runnable
    // again and schedule() keeps us running).
    me->state.store(ThreadState::Sleeping, std::memory_order_relaxed);
    lock_.unlock();
    schedule(); // interrupts are still off: nothing preempts us in between
    lock_.lock();
}

// Both wakers detach sleepers under the lock and wake them after dropping
// it, so the IPIs are not sent with the lock held. A detached sleeper stays
// Sleeping (nothing else can wake it) until wake_up(), so it cannot return
// from sleep_locked() and go away before that.

bool WaitQueue::wake_one() {
    const arch::IrqState irq = arch::irq_save();
    lock_.lock();
    Thread* t = head_;
    if (t) {
        head_ = t->wait_next;
        if (!head_)
            tail_ = nullptr;
        t->wait_next = nullptr;
    }
    lock_.unlock();
    if (t)
        wake_up(t);
    arch::irq_restore(irq);
    return t != nullptr;
}

size_t WaitQueue::wake_all() {
    const arch::IrqState irq = arch::irq_save();
    lock_.lock();
    Thread* t = head_;
    head_ = tail_ = nullptr;
    lock_.unlock();
    size_t n = 0;
    while (t) {
        Thread* next = t->wait_next; // read first: once woken, t may sleep again and relink
        t->wait_next = nullptr;
        wake_up(t);
        t = next;
        n++;
    }
    arch::irq_restore(irq);
    return n;
}

} // namespace kernel::sched
