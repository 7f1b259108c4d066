#include "paging.h"

#include "arch/mmu.h"
#include "kernel/console.h"
#include "kernel/mm/pmm.h"
#include "kernel/panic.h"
#include "layout.h"
#include "smp/spinlock.h"
#include "x86.h"

extern "C" char __image_start[], __rw_start[], __image_end[];

namespace x86 {
namespace {

constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kWritable = 1ull << 1;
constexpr uint64_t kWriteThrough = 1ull << 3;
constexpr uint64_t kCacheDisable = 1ull << 4;
constexpr uint64_t kLarge = 1ull << 7; // 2 MiB in a PD entry, 1 GiB in a PDPT entry
constexpr uint64_t kGlobal = 1ull << 8;
constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;
constexpr uint64_t k2MiB = 2ull << 20;

uint64_t pml4_phys = 0;
uint64_t ram_end = 0;     // arch::ram_top()
smp::SpinLock lock;       // serialises page-table updates (there are few, all at boot for now)
uint64_t table_pages = 0; // taken by walk_create, under lock: leak checks account for them
uintptr_t guard_pages[8];
int guard_page_count = 0;
uintptr_t next_mmio = MMIO_AREA_BASE;
smp::SpinLock mmio_lock;

uint64_t* table(uint64_t phys) {
    return static_cast<uint64_t*>(arch::phys_to_virt(phys));
}

int index(uintptr_t va, int level) {
    return int((va >> (12 + 9 * level)) & 511);
}

// The entry for va at `level` (0 = PT), creating tables down to it.
// Caller holds the lock. nullptr when out of memory or a large page is in the way.
uint64_t* walk_create(uintptr_t va, int level) {
    uint64_t* t = table(pml4_phys);
    for (int l = 3; l > level; l--) {
        uint64_t& e = t[index(va, l)];
        if (!(e & kPresent)) {
            const uint64_t page = kernel::mm::alloc_page();
            if (!page)
                return nullptr;
            table_pages++;
            e = page | kPresent | kWritable;
        } else if (e & kLarge) {
            return nullptr;
        }
        t = table(e & kAddrMask);
    }
    return &t[index(va, level)];
}

bool is_guard(uintptr_t va) {
    for (int i = 0; i < guard_page_count; i++)
        if (guard_pages[i] == va)
            return true;
    return false;
}

} // namespace

void register_image_guard_page(uintptr_t va) {
    if (guard_page_count < 8)
        guard_pages[guard_page_count++] = va;
}

uint64_t kernel_pml4_phys() {
    return pml4_phys;
}

} // namespace x86

namespace arch {

using namespace x86;

void mmu_init(uint64_t phys_top) {
    ram_end = phys_top;
    pml4_phys = kernel::mm::alloc_page();
    if (!pml4_phys)
        kernel::panic("mmu: no page for the PML4");

    // Direct map: all of physical memory, at least the 4 GiB that hold the
    // firmware tables and device registers, with 2 MiB pages.
    const uint64_t top = phys_top > (4ull << 30) ? phys_top : (4ull << 30);
    for (uint64_t pa = 0; pa < top; pa += k2MiB) {
        uint64_t* e = walk_create(DIRECT_MAP_BASE + pa, 1);
        if (!e)
            kernel::panic("mmu: out of memory building the direct map");
        *e = pa | kPresent | kWritable | kLarge | kGlobal;
    }

    // The image, 4 KiB at a time: text and rodata read-only, the rest
    // writable, guard pages absent.
    const auto start = reinterpret_cast<uintptr_t>(__image_start);
    const auto rw = reinterpret_cast<uintptr_t>(__rw_start);
    const auto end = reinterpret_cast<uintptr_t>(__image_end);
    for (uintptr_t va = start & ~0xfffull; va < end; va += 4096) {
        if (is_guard(va))
            continue;
        uint64_t* e = walk_create(va, 0);
        if (!e)
            kernel::panic("mmu: out of memory mapping the kernel");
        *e = (va - KERNEL_VMA) | kPresent | kGlobal | (va >= rw ? kWritable : 0);
    }

    // Top-level entries for the stack and MMIO areas exist from now on, so
    // every copy of the upper half (the AP trampoline's) sees later mappings.
    walk_create(KSTACK_AREA_BASE, 2);
    walk_create(MMIO_AREA_BASE, 2);

    x86::write_cr3(pml4_phys);
    kernel::kinfo("mmu: kernel page tables on, direct map of %lu MiB\n", top >> 20);
}

bool map_page(uintptr_t va, uint64_t pa, unsigned flags) {
    smp::IrqSpinGuard guard(lock);
    uint64_t* e = walk_create(va, 0);
    if (!e)
        return false;
    *e = (pa & kAddrMask) | kPresent | (flags & kMapWrite ? kWritable : 0) |
         (flags & kMapNoCache ? kCacheDisable | kWriteThrough : 0);
    x86::invlpg(va);
    return true;
}

void unmap_page(uintptr_t va) {
    smp::IrqSpinGuard guard(lock);
    uint64_t* e = walk_create(va, 0);
    if (e)
        *e = 0;
    // Local flush only: nothing unmaps a page another CPU may have cached yet
    // (TLB shootdown arrives with the kernel-core issue).
    x86::invlpg(va);
}

bool is_mapped(uintptr_t va) {
    if (!pml4_phys) // still on the boot tables: the first 1 GiB, three times
        return (va >= KERNEL_VMA && va < KERNEL_VMA + (1ull << 30)) ||
               (va >= DIRECT_MAP_BASE && va < DIRECT_MAP_BASE + (1ull << 30));
    const uint64_t* t = table(pml4_phys);
    for (int l = 3; l >= 0; l--) {
        const uint64_t e = t[index(va, l)];
        if (!(e & kPresent))
            return false;
        if (l == 0 || (e & kLarge))
            return true;
        t = table(e & kAddrMask);
    }
    return true;
}

void* map_mmio(uint64_t phys, size_t size) {
    const uint64_t first = phys & ~0xfffull;
    const uint64_t pages = (phys + size - first + 4095) / 4096;
    uintptr_t va;
    {
        smp::IrqSpinGuard guard(mmio_lock);
        va = next_mmio;
        next_mmio += pages * 4096;
    }
    for (uint64_t i = 0; i < pages; i++)
        if (!map_page(va + i * 4096, first + i * 4096, kMapWrite | kMapNoCache))
            kernel::panic("mmu: cannot map device registers at %#lx", phys);
    return reinterpret_cast<void*>(va + (phys - first));
}

uint64_t ram_top() {
    return ram_end;
}

uint64_t kernel_table_pages() {
    smp::IrqSpinGuard guard(lock);
    return table_pages;
}

uintptr_t kernel_stack_area_base() {
    return KSTACK_AREA_BASE;
}
size_t kernel_stack_area_size() {
    return 512ull << 30;
} // one PML4 slot

} // namespace arch
