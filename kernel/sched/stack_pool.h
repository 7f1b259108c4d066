// Kernel thread stacks: guarded stacks from kernel/mm/kstack, recycled.
//
// A freed stack stays mapped and goes back to its home CPU (the one that
// took it from kernel/mm): onto that CPU's cache, or from another CPU onto
// its lock-free list of returned stacks. No lock is shared between CPUs.
// Unmapping it would need a TLB shootdown
// on every CPU the thread ever ran on before the page could be reused; until
// then recycling mapped stacks is the safe way to give them back.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace kernel::sched {

inline constexpr size_t kThreadStackSize = 16384;

struct Stack {
    uintptr_t bottom; // lowest byte (a guard page lies below)
    uintptr_t top;    // initial stack pointer
    uint32_t home;    // the CPU it is given back to (stack_pool.cpp)
};

Stack alloc_stack(); // {0, 0} when out of memory
void free_stack(Stack s);

struct StackCounts {
    uint64_t live;    // handed out and not freed
    uint64_t freed;   // frees since boot
    uint64_t created; // fresh stacks taken from kernel/mm/kstack
};
StackCounts stack_counts();

} // namespace kernel::sched
