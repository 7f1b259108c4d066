// lockfree/dead_list.h: intrusive multi-producer list with take-all (a Treiber stack without pop).
//
// What: DeadList<&Node::hook> collects nodes from any number of CPUs: push() is one CAS,
// push_chain() splices a pre-linked chain in one CAS, and a consumer takes everything at once with
// take_all() (one exchange) and walks the returned chain privately. Used for dead processes
// handed to reapers, and for a CPU's dead-thread queue handed over in one batch
// (percpu_queue.h).
//
// Why no single-node pop: pop on a Treiber stack reads head->next and CASes head, which is
// ABA-prone (the head can be popped, freed, reused and pushed again between the read and the CAS).
// push never dereferences the old head (it only stores it into the new node), and take_all swaps
// the head with nullptr, so no operation here can suffer ABA: no tags, no hazard pointers, no RCU
// needed.
//
// When to use: many producers, consumers that are happy with a batch in LIFO order (call
// Chain::reverse() for oldest first) . When not: FIFO across producers at item granularity
// (use mpsc_queue.h), or several consumers that must share items one by one.
//
// Synchronisation table (any number of threads/CPUs per column):
//   push / push_chain   concurrent with push, push_chain, take_all, empty
//   take_all            concurrent with everything (several take_all callers each get a disjoint
//                       part: whatever was pushed between their exchanges)
//   empty               a racy hint: may be stale by the time the caller acts on it
//   Chain (the result of take_all, or a chain the caller builds) is owned by one thread: not
//   thread-safe, no atomics needed beyond the relaxed hook loads.
//
// Memory ordering: each successful push CAS is a release RMW; all of them form one release
// sequence on head_ (RMWs continue it), so the acquire exchange in take_all synchronises with every
// push whose node it returns: everything a producer wrote to a node before pushing it is visible to
// the consumer after take_all. Weakening either side is a real race (tests/lockfree/model_*.cc).
//
// A node must not be on two lists (or twice on one) at the same time; a node may be pushed again
// after the consumer took it.
#pragma once

#include <atomic>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "lockfree/intrusive.h"

namespace scythe::lf {

// Embed one per list the node may be on. The link is an atomic (relaxed loads and stores compile
// to plain moves) so that model checkers see every access to it.
template <class Node, template <class> class Atom = std::atomic>
struct DeadListHook {
    Atom<Node*> next{nullptr};
};

// A privately owned singly linked chain of nodes threaded through Hook. Not thread-safe.
template <auto Hook>
class DeadChain {
public:
    using Node = typename MemberOf<Hook>::node_type;

    DeadChain() = default;
    explicit DeadChain(Node* first) noexcept : first_(first) {}

    bool empty() const noexcept { return first_ == nullptr; }
    Node* front() const noexcept { return first_; }

    static Node* next_of(Node* n) noexcept {
        // relaxed: the chain is private; its links were published by take_all's acquire exchange
        // (or were written by this thread).
        return (n->*Hook).next.load(std::memory_order_relaxed);
    }

    Node* pop_front() noexcept {
        Node* n = first_;
        if (n != nullptr)
            first_ = next_of(n);
        return n;
    }

    void push_front(Node* n) noexcept {
        (n->*Hook).next.store(first_, std::memory_order_relaxed); // private chain
        first_ = n;
    }

    // Calls f(node) for each node, reading the link before the call: f may free or re-push the
    // node.
    template <class F>
    std::size_t consume(F&& f) noexcept(noexcept(f(static_cast<Node*>(nullptr)))) {
        std::size_t count = 0;
        while (Node* n = pop_front()) {
            f(n);
            ++count;
        }
        return count;
    }

    // Reverses in place: take_all returns newest first; reverse() gives push order (per producer).
    void reverse() noexcept {
        Node* prev = nullptr;
        while (Node* n = pop_front()) {
            (n->*Hook).next.store(prev, std::memory_order_relaxed); // private chain
            prev = n;
        }
        first_ = prev;
    }

    std::size_t size() const noexcept {
        std::size_t count = 0;
        for (Node* n = first_; n != nullptr; n = next_of(n))
            ++count;
        return count;
    }

    // Walks without consuming; f must not free or relink nodes.
    template <class F>
    void for_each(F&& f) const {
        for (Node* n = first_; n != nullptr; n = next_of(n))
            f(n);
    }

private:
    Node* first_ = nullptr;
};

// The orderings the algorithm needs. A parameter only so that model checks can inject a broken
// one and prove the model notices (tests/lockfree/model_dead_list.cc); never override otherwise.
struct DeadListOrder {
    static constexpr std::memory_order push = std::memory_order_release;
    static constexpr std::memory_order take_all = std::memory_order_acquire;
};

template <auto Hook, class Order = DeadListOrder>
class DeadList {
public:
    using Node = typename MemberOf<Hook>::node_type;
    using Chain = DeadChain<Hook>;

    DeadList() = default;
    DeadList(const DeadList&) = delete;
    DeadList& operator=(const DeadList&) = delete;

    // Pushes one node. Returns true if the list was empty just before (the caller may wake a
    // sleeping consumer only on that transition). Lock-free; never dereferences the old head.
    bool push(Node* n) noexcept { return push_chain(n, n); }

    // Splices the chain first -> ... -> last (linked through Hook by the caller, last's link is
    // overwritten) in one CAS. Returns true if the list was empty just before.
    bool push_chain(Node* first, Node* last) noexcept {
        // relaxed: only a guess for the CAS, which validates it; the old head is never
        // dereferenced.
        Node* old = head_.load(std::memory_order_relaxed);
        do {
            // relaxed: published by the release CAS below.
            (last->*Hook).next.store(old, std::memory_order_relaxed);
            // release on success: pairs with the acquire exchange in take_all (publishes the
            // chain's links and the nodes' contents). relaxed on failure: we only retry with the
            // new value.
        } while (!head_.compare_exchange_weak(old, first, kPushOrder, std::memory_order_relaxed));
        return old == nullptr;
    }

    // Takes every node pushed so far, newest first. Wait-free (one exchange).
    Chain take_all() noexcept {
        // acquire: pairs with the release CAS of every push/push_chain whose nodes we take (they
        // form one release sequence on head_).
        return Chain(head_.exchange(nullptr, kTakeOrder));
    }

    // Racy hint. relaxed: nothing is read through the result.
    bool empty() const noexcept { return head_.load(std::memory_order_relaxed) == nullptr; }

private:
    // The head is the same atomic type as the hook's link (std::atomic, or a model checker's).
    using HeadAtom = decltype(std::declval<typename MemberOf<Hook>::hook_type&>().next);

    static constexpr std::memory_order kPushOrder = Order::push;
    static constexpr std::memory_order kTakeOrder = Order::take_all;

    HeadAtom head_{nullptr};
};

} // namespace scythe::lf
