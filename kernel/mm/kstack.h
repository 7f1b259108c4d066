// Kernel stacks with a guard: each stack is mapped in its own slot of the
// stack area with one unmapped page below it, so an overflow faults (the
// double-fault handler runs on its own IST stack and reports it) instead of
// silently corrupting whatever lies below.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace kernel::mm {

struct KernelStack {
    uintptr_t bottom; // lowest mapped byte (the guard page is just below)
    uintptr_t top;    // initial stack pointer (exclusive end)
};

// Returns {0, 0} when out of memory or stack area.
KernelStack alloc_kernel_stack(size_t bytes);

} // namespace kernel::mm
