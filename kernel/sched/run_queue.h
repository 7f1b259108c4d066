// One CPU's run queue: a FIFO of runnable threads under its own lock, the
// thread running there, and its idle thread. Internal to the scheduler.
#pragma once

#include <atomic>
#include <stdint.h>

#include "kernel/sched/lock_stats.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/waitq.h"

namespace kernel::sched {

extern LockClass run_queue_class;

struct RunQueue {
    RunQueue() : lock(run_queue_class) {}

    // Held across a context switch: the thread switching in releases it in
    // its switch tail, so no other CPU sees a thread half switched out.
    StatSpinLock lock;
    Thread* head = nullptr; // queued threads, oldest first (under lock)
    Thread* tail = nullptr;
    Thread* current = nullptr; // under lock
    Thread* idle = nullptr;
    // Read without the lock by balancers and placement: a hint.
    std::atomic<uint32_t> queued{0};
    std::atomic<uint32_t> movable{0};      // queued and not pinned: what a balancer could take
    std::atomic<bool> ready{false};        // its CPU runs the scheduler
    std::atomic<bool> need_resched{false}; // switch at the next chance
    uint32_t place_cursor = 0;             // place_new_thread(), this CPU only
    WaitQueue tick_waiters;                // tick_queue(): woken at every tick

    // switches, ticks and freed are written only by this CPU with interrupts off (bump_local);
    // stats read them from anywhere.
    std::atomic<uint64_t> switches{0}, ticks{0}, pulled{0}, spawned{0}, freed{0};
    std::atomic<uint64_t> ipis_sent{0}, ipis_received{0}; // reschedule IPIs

    // Single-writer counter: a relaxed load and store, no locked RMW on the switch/tick paths.
    static void bump_local(std::atomic<uint64_t>& c, uint64_t n = 1) {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    void push(Thread* t) { // under lock
        t->run_next = nullptr;
        if (tail)
            tail->run_next = t;
        else
            head = t;
        tail = t;
        queued.store(queued.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        if (!t->pinned)
            movable.store(movable.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    Thread* pop() { // under lock
        return unlink(nullptr, head);
    }
    // The oldest thread the balancer may move, or nullptr.
    Thread* pop_movable() { // under lock
        Thread* prev = nullptr;
        for (Thread* t = head; t; prev = t, t = t->run_next)
            if (!t->pinned)
                return unlink(prev, t);
        return nullptr;
    }

private:
    Thread* unlink(Thread* prev, Thread* t) {
        if (!t)
            return nullptr;
        (prev ? prev->run_next : head) = t->run_next;
        if (tail == t)
            tail = prev;
        t->run_next = nullptr;
        queued.store(queued.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
        if (!t->pinned)
            movable.store(movable.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
        return t;
    }
};

} // namespace kernel::sched
