#include "kernel/mm/kstack.h"

#include "arch/mmu.h"
#include "kernel/mm/pmm.h"
#include "smp/spinlock.h"

namespace kernel::mm {
namespace {

smp::SpinLock lock;
uintptr_t next_slot = 0; // bump allocator over the stack area; stacks are not freed yet

} // namespace

KernelStack alloc_kernel_stack(size_t bytes) {
    const size_t pages = (bytes + kPageSize - 1) / kPageSize;
    const size_t span = (pages + 1) * kPageSize; // + the guard page
    uintptr_t base;
    {
        smp::IrqSpinGuard guard(lock);
        if (!next_slot)
            next_slot = arch::kernel_stack_area_base();
        if (next_slot + span > arch::kernel_stack_area_base() + arch::kernel_stack_area_size())
            return {0, 0};
        base = next_slot;
        next_slot += span;
    }
    const uintptr_t bottom = base + kPageSize; // [base, bottom) stays unmapped: the guard
    for (size_t i = 0; i < pages; i++) {
        const uint64_t phys = alloc_page();
        if (!phys || !arch::map_page(bottom + i * kPageSize, phys, arch::kMapWrite))
            return {0, 0}; // leaks what was mapped: only happens when memory is gone
    }
    return {bottom, bottom + pages * kPageSize};
}

} // namespace kernel::mm
