#include "kernel/sched/stack_pool.h"

#include <atomic>

#include "arch/cpu.h"
#include "kernel/mm/kstack.h"
#include "smp/percpu.h"

namespace kernel::sched {
namespace {

// A free stack holds its own list link at its bottom.
struct FreeStack {
    FreeStack* next;
};

// Each stack belongs to the CPU that took it from kernel/mm (its home) and
// always goes back there, so no lock is shared between CPUs:
//   * freed on its home CPU: onto that CPU's cache (interrupts off, no lock);
//   * freed elsewhere: pushed onto the home CPU's `returned` list, a
//     lock-free stack with many pushers and one taker that only ever takes
//     the whole list (exchange), so there is no ABA;
//   * allocating: the local cache, else everything returned so far, else a
//     fresh stack from kernel/mm, homed here.
// A CPU creates a fresh stack only when all of its own are live or on their
// way back, so the stacks homed on it never exceed its peak of live ones.
//
// (Formerly the overflow went to one shared list under a ticket lock. Stacks
// are allocated on the creating CPU and freed on whichever CPU the thread
// exited on, so under a thread storm every spawn and every exit crossed that
// lock with interrupts off; with vCPUs overcommitted on the host, each
// hand-off of a ticket lock waits for the next waiter's vCPU to be scheduled,
// and the storm of test=kthreads collapsed into a convoy lasting a minute.)
struct alignas(smp::kCacheLine) Cache {
    FreeStack* head = nullptr;                 // this CPU only, interrupts off
    std::atomic<FreeStack*> returned{nullptr}; // pushed by other CPUs
};

smp::PerCpu<Cache> caches;

std::atomic<uint64_t> live{0}, freed{0}, created{0};

Stack from_node(FreeStack* n, uint32_t home) {
    const uintptr_t bottom = reinterpret_cast<uintptr_t>(n);
    return {bottom, bottom + kThreadStackSize, home};
}

} // namespace

Stack alloc_stack() {
    FreeStack* n = nullptr;
    uint32_t me;
    {
        const arch::IrqState irq = arch::irq_save();
        me = arch::this_cpu_id();
        Cache& c = caches.local();
        if (!c.head) // acquire: pairs with the pushers' release; their links are visible
            c.head = c.returned.exchange(nullptr, std::memory_order_acquire);
        if (c.head) {
            n = c.head;
            c.head = n->next;
        }
        arch::irq_restore(irq);
    }
    Stack s{0, 0, 0};
    if (n) {
        s = from_node(n, me);
    } else {
        const mm::KernelStack k = mm::alloc_kernel_stack(kThreadStackSize);
        if (!k.top)
            return s;
        created.fetch_add(1, std::memory_order_relaxed);
        s = {k.bottom, k.top, me};
    }
    live.fetch_add(1, std::memory_order_relaxed);
    return s;
}

void free_stack(Stack s) {
    auto* n = reinterpret_cast<FreeStack*>(s.bottom);
    const arch::IrqState irq = arch::irq_save();
    if (s.home == arch::this_cpu_id()) {
        Cache& c = caches.local();
        n->next = c.head;
        c.head = n;
    } else {
        std::atomic<FreeStack*>& list = caches.on(s.home).returned;
        FreeStack* head = list.load(std::memory_order_relaxed);
        do {
            n->next = head;
            // release: the link (and the stack's last use) before the taker sees it.
        } while (!list.compare_exchange_weak(head, n, std::memory_order_release,
                                             std::memory_order_relaxed));
    }
    arch::irq_restore(irq);
    live.fetch_sub(1, std::memory_order_relaxed);
    freed.fetch_add(1, std::memory_order_relaxed);
}

StackCounts stack_counts() {
    return {live.load(std::memory_order_relaxed), freed.load(std::memory_order_relaxed),
            created.load(std::memory_order_relaxed)};
}

} // namespace kernel::sched
