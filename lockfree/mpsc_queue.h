// lockfree/mpsc_queue.h: intrusive multi-producer single-consumer FIFO (Dmitry Vyukov's design).
//
// What: MpscQueue<&Node::hook>: any number of CPUs push, one consumer pops, FIFO. push is
// wait-free: one exchange on the tail, then one store linking the previous node. There is a stub
// node inside the queue so it is never structurally empty. Used where order matters: cross-CPU
// wake-ups, remote frees returned to the owning CPU's allocator, deferred work for one CPU.
//
// The price of a wait-free push: between a producer's exchange and its link store the chain is cut,
// and the consumer cannot see past that point. pop() then reports kBusy ("a producer is mid-push,
// retry"), not kEmpty. In the kernel push with preemption (and interrupts, if IRQ handlers push)
// disabled so the window is a few instructions; pop_spin() spins over it. Nodes behind the cut are
// not lost: they become visible as soon as the producer's link store lands.
//
// When to use: FIFO hand-off to one consumer. When not: several consumers (use a lock or per-
// consumer queues), or when the consumer wants a whole batch and does not care about order
// (dead_list.h: one exchange takes everything, no busy state).
//
// Synchronisation table:
//   push         any number of CPUs concurrently, concurrent with pop/pop_spin/empty
//   pop, pop_spin, empty   the single consumer only (caller-serialised among consumers)
//
// Memory ordering: the link store (release) pairs with the consumer's acquire load of `next`, so a
// popped node's contents written before push are visible to the consumer. The exchange is acq_rel:
// release so the next producer sees this node's next = nullptr initialisation before it links
// this node; acquire so this producer's link store into `prev` is ordered after prev's own
// initialisation (otherwise the initialisation could overwrite the link and lose the node).
//
// A node must not be pushed again before it has been popped.
#pragma once

#include <atomic>
#include <cstddef>

#include "lockfree/cache.h"
#include "lockfree/intrusive.h"
#include "lockfree/platform.h"

namespace scythe::lf {

template <template <class> class Atom = std::atomic>
struct MpscHook {
    Atom<MpscHook*> next{nullptr};
};

enum class MpscStatus { kOk, kEmpty, kBusy };

template <class Node>
struct MpscPop {
    Node* node; // non-null iff status == kOk
    MpscStatus status;
};

// See dead_list.h's DeadListOrder: a parameter only so model checks can inject a broken ordering.
struct MpscOrder {
    static constexpr std::memory_order exchange = std::memory_order_acq_rel;
    static constexpr std::memory_order link = std::memory_order_release;
    static constexpr std::memory_order read_next = std::memory_order_acquire;
};

template <auto Hook, class Order = MpscOrder>
class MpscQueue {
public:
    using Node = typename MemberOf<Hook>::node_type;
    using H = typename MemberOf<Hook>::hook_type;

    MpscQueue() noexcept : head_(&stub_), tail_(&stub_) {}
    MpscQueue(const MpscQueue&) = delete;
    MpscQueue& operator=(const MpscQueue&) = delete;

    // Wait-free. Any CPU.
    void push(Node* n) noexcept { push_hook(&(n->*Hook)); }

    // Single consumer. Returns the oldest node, or kEmpty, or kBusy (a producer is between its two
    // stores: retry later; nothing is lost).
    MpscPop<Node> pop() noexcept {
        H* tail = tail_;
        H* next = tail->next.load(Order::read_next); // pairs with the link store in push_hook
        if (tail == &stub_) {
            if (next == nullptr)
                return {nullptr, nothing_status()};
            tail_ = next; // skip the stub
            tail = next;
            next = tail->next.load(Order::read_next); // pairs with push_hook's link store
        }
        if (next != nullptr) {
            tail_ = next;
            return {owner_of<Hook>(tail), MpscStatus::kOk};
        }
        // `tail` is the last linked node. If producers have moved head_ past it, one is mid-push.
        // relaxed: a stale value only makes us answer kBusy or re-push the stub, both safe; the
        // exchange in push_hook below reads the latest head anyway.
        if (tail != head_.load(std::memory_order_relaxed))
            return {nullptr, MpscStatus::kBusy};
        // `tail` is the only node: put the stub behind it so it can be detached.
        push_hook(&stub_);
        next = tail->next.load(Order::read_next); // pairs with push_hook's link store
        if (next != nullptr) {
            tail_ = next;
            return {owner_of<Hook>(tail), MpscStatus::kOk};
        }
        return {nullptr, MpscStatus::kBusy}; // a producer slipped in before the stub: mid-push
    }

    // Single consumer. Pops, spinning while a producer is mid-push; nullptr only when empty.
    template <Platform P>
    Node* pop_spin() noexcept {
        for (;;) {
            MpscPop<Node> r = pop();
            if (r.status != MpscStatus::kBusy)
                return r.node;
            P::cpu_relax();
        }
    }

    // Single consumer. A hint: true if nothing is queued or being pushed right now.
    bool empty() const noexcept {
        // acquire/relaxed as in pop(); a concurrent push may make the answer stale at once.
        return tail_ == &stub_ && stub_.next.load(Order::read_next) == nullptr &&
               head_.load(std::memory_order_relaxed) == &stub_;
    }

private:
    void push_hook(H* h) noexcept {
        // relaxed: published to the next producer by our exchange (release part).
        h->next.store(nullptr, std::memory_order_relaxed);
        // acq_rel: see the header comment (pairs with the previous and the next producer's
        // exchange).
        H* prev = head_.exchange(h, Order::exchange);
        // release: pairs with the consumer's acquire load of prev->next in pop().
        prev->next.store(h, Order::link);
    }

    MpscStatus nothing_status() const noexcept {
        // The stub is last-linked; if head_ moved past it a producer is mid-push.
        return head_.load(std::memory_order_relaxed) == &stub_ ? MpscStatus::kEmpty
                                                               : MpscStatus::kBusy;
    }

    // Producers' side (the newest node) and the consumer's side on separate lines.
    alignas(kCacheLine) decltype(H::next) head_;
    alignas(kCacheLine) H* tail_; // consumer-private
    H stub_;
};

} // namespace scythe::lf
