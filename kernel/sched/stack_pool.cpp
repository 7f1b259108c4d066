#include "kernel/sched/stack_pool.h"

#include <atomic>

#include "arch/cpu.h"
#include "kernel/mm/kstack.h"
#include "kernel/sched/lock_stats.h"
#include "smp/percpu.h"

namespace kernel::sched {
namespace {

constexpr uint32_t kCacheDepth = 8;

// A free stack holds its own list link at its bottom.
struct FreeStack {
    FreeStack* next;
};

struct Cache {
    FreeStack* head = nullptr;
    uint32_t count = 0;
};

smp::PerCpu<Cache> caches; // touched by its CPU only, with interrupts off
LockClass pool_class("stack_pool");
StatSpinLock pool_lock(pool_class);
FreeStack* pool = nullptr; // under pool_lock

std::atomic<uint64_t> live{0}, freed{0}, created{0};

Stack from_node(FreeStack* n) {
    const uintptr_t bottom = reinterpret_cast<uintptr_t>(n);
    return {bottom, bottom + kThreadStackSize};
}

} // namespace

Stack alloc_stack() {
    FreeStack* n = nullptr;
    {
        const arch::IrqState irq = arch::irq_save();
        Cache& c = caches.local();
        if (c.head) {
            n = c.head;
            c.head = n->next;
            c.count--;
        } else {
            pool_lock.lock();
            if (pool) {
                n = pool;
                pool = n->next;
            }
            pool_lock.unlock();
        }
        arch::irq_restore(irq);
    }
    Stack s{0, 0};
    if (n) {
        s = from_node(n);
    } else {
        const mm::KernelStack k = mm::alloc_kernel_stack(kThreadStackSize);
        if (!k.top)
            return s;
        created.fetch_add(1, std::memory_order_relaxed);
        s = {k.bottom, k.top};
    }
    live.fetch_add(1, std::memory_order_relaxed);
    return s;
}

void free_stack(Stack s) {
    auto* n = reinterpret_cast<FreeStack*>(s.bottom);
    const arch::IrqState irq = arch::irq_save();
    Cache& c = caches.local();
    if (c.count < kCacheDepth) {
        n->next = c.head;
        c.head = n;
        c.count++;
    } else {
        pool_lock.lock();
        n->next = pool;
        pool = n;
        pool_lock.unlock();
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
