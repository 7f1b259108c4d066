// lockfree/percpu_queue.h: per-CPU dead-thread queues.
//
// What: PerCpuDeadQueue<&Node::hook, P>: one FIFO of dead threads per CPU. A dying thread cannot
// free the stack it runs on, so it parks itself on its CPU's queue (park) and switches away; the
// same CPU later frees it (drain, from the next thread's switch tail or from idle), or hands the
// whole batch to a shared DeadList with one CAS (drain_to) when the teardown may block and belongs
// to a reaper. The fast path is owner-only: plain loads and stores (relaxed atomics on the links,
// which are plain moves), no atomic RMW, no shared cache line.
//
// The queue links nodes through the same DeadListHook as the DeadList it drains to, so a batch is
// spliced without relinking.
//
// Misuse from another CPU is ruled out by the interface: the only way to reach a queue is
// local(guard), which needs a live PreemptGuard or IrqGuard (proof that the caller is pinned) and
// returns a non-copyable, non-movable handle bound to the calling CPU; debug builds check on every
// operation that the caller is still that CPU. There is no remote accessor; the one exception,
// unsafe_drain_offline_to(), is for a CPU that is offline (hot-unplug, shutdown), when the caller
// serialises with it by construction.
//
// When not to use: if another CPU must add to the queue (use mpsc_queue.h or dead_list.h).
// Interrupts: if any IRQ handler parks or drains, every user on that CPU must hold an IrqGuard
// (the plain read-modify-write of head/tail is not interrupt-atomic).
//
// Synchronisation table:
//   Local::park / drain / drain_to / empty / size   owner CPU only (pinned by the guard); never
//                                                   concurrent with each other (one CPU)
//   drain_to                                        its push_chain is concurrent with any DeadList
//                                                   operation on other CPUs (see dead_list.h)
//   unsafe_drain_offline_to(cpu)                    caller-serialised: `cpu` must be offline
#pragma once

#include <cstddef>

#include "lockfree/dead_list.h"
#include "lockfree/percpu.h"
#include "lockfree/platform.h"

namespace scythe::lf {

struct HandOff {
    std::size_t count = 0;       // nodes handed over
    bool list_was_empty = false; // the DeadList was empty before: wake its consumer
};

template <auto Hook, Platform P>
class PerCpuDeadQueue {
public:
    using Node = typename MemberOf<Hook>::node_type;
    using Chain = DeadChain<Hook>;

private:
    // One CPU's FIFO: first_ .. last_, linked through Hook. Touched by its owner only.
    class Queue {
        friend class PerCpuDeadQueue;

        void park(Node* n) noexcept {
            // relaxed everywhere: owner-only data (plain moves); drain_to publishes with its CAS.
            (n->*Hook).next.store(nullptr, std::memory_order_relaxed);
            if (last_ == nullptr) {
                first_ = n;
            } else {
                (last_->*Hook).next.store(n, std::memory_order_relaxed);
            }
            last_ = n;
            ++count_;
        }

        Chain detach(Node*& last, std::size_t& count) noexcept {
            Chain c(first_);
            last = last_;
            count = count_;
            first_ = last_ = nullptr;
            count_ = 0;
            return c;
        }

        Node* first_ = nullptr;
        Node* last_ = nullptr;
        std::size_t count_ = 0;
    };

public:
    // This CPU's queue, for the lifetime of a guard. Non-copyable and non-movable: it cannot be
    // stored away or handed to another CPU.
    class Local {
    public:
        Local(const Local&) = delete;
        Local& operator=(const Local&) = delete;

        // Parks a node (a dead thread still running on its stack) at the tail.
        void park(Node* n) noexcept {
            check_owner();
            q_.park(n);
        }

        // Detaches every parked node and calls f(node) on each in park order; f may free the node.
        // Call after switching away from every parked thread. Returns how many.
        template <class F>
        std::size_t drain(F&& f) {
            check_owner();
            Node* last;
            std::size_t count;
            Chain c = q_.detach(last, count);
            c.consume(f);
            return count;
        }

        // Hands every parked node to `list` in one push_chain. take_all then returns the newest
        // batch first, each batch in park order. Returns the count and whether the list was empty
        // before.
        template <class Order>
        HandOff drain_to(DeadList<Hook, Order>& list) noexcept {
            check_owner();
            return PerCpuDeadQueue::hand_off(q_, list);
        }

        bool empty() const noexcept {
            check_owner();
            return q_.first_ == nullptr;
        }
        std::size_t size() const noexcept {
            check_owner();
            return q_.count_;
        }
        std::size_t cpu() const noexcept { return cpu_; }

    private:
        friend class PerCpuDeadQueue;
        Local(Queue& q, std::size_t cpu) noexcept : q_(q), cpu_(cpu) {}
        void check_owner() const noexcept { SCYTHE_LF_ASSERT(P, P::cpu_id() == cpu_); }

        Queue& q_;
        std::size_t cpu_;
    };

    PerCpuDeadQueue() = default;
    PerCpuDeadQueue(const PerCpuDeadQueue&) = delete;
    PerCpuDeadQueue& operator=(const PerCpuDeadQueue&) = delete;

    Local local(const typename P::PreemptGuard& g) noexcept {
        return Local(queues_.local(g), P::cpu_id());
    }
    Local local(const typename P::IrqGuard& g) noexcept {
        return Local(queues_.local(g), P::cpu_id());
    }

    // Caller-serialised: `cpu` is offline and nothing else touches its queue (hot-unplug, or
    // teardown in tests). Moves its nodes to `list`.
    template <class Order>
    HandOff unsafe_drain_offline_to(std::size_t cpu, DeadList<Hook, Order>& list) noexcept {
        return hand_off(queues_.remote(cpu), list);
    }

private:
    template <class Order>
    static HandOff hand_off(Queue& q, DeadList<Hook, Order>& list) noexcept {
        Node* last;
        std::size_t count;
        Chain c = q.detach(last, count);
        if (c.empty())
            return {};
        return {count, list.push_chain(c.front(), last)};
    }

    PerCpu<Queue, P> queues_;
};

} // namespace scythe::lf
