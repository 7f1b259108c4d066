#include "kernel/mm/pmm.h"

#include "arch/mmu.h"
#include "kernel/console.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "smp/spinlock.h"

namespace kernel::mm {
namespace {

constexpr uint64_t kLowMemoryEnd = 0x100000; // real-mode area, BIOS, AP trampoline

smp::SpinLock lock;
uint64_t* bitmap = nullptr; // bit set = page in use (or not RAM)
size_t page_count = 0;      // pages covered by the bitmap
size_t free_count = 0;
size_t ram_pages = 0;
size_t search_hint = 0; // lowest page that may be free

bool used(size_t page) {
    return bitmap[page / 64] & (1ull << (page % 64));
}
void set_used(size_t page) {
    bitmap[page / 64] |= 1ull << (page % 64);
}
void set_free(size_t page) {
    bitmap[page / 64] &= ~(1ull << (page % 64));
}

uint64_t page_up(uint64_t a) {
    return (a + kPageSize - 1) & ~(kPageSize - 1);
}
uint64_t page_down(uint64_t a) {
    return a & ~(kPageSize - 1);
}

void reserve(uint64_t start, uint64_t end) {
    for (uint64_t p = page_down(start) / kPageSize; p < page_up(end) / kPageSize && p < page_count;
         p++) {
        if (!used(p)) {
            set_used(p);
            free_count--;
        }
    }
}

} // namespace

void pmm_init(const BootInfo& boot) {
    uint64_t top = 0;
    for (int i = 0; i < boot.ram_count; i++)
        if (boot.ram[i].base + boot.ram[i].length > top)
            top = boot.ram[i].base + boot.ram[i].length;
    page_count = page_down(top) / kPageSize;
    const size_t bitmap_bytes = page_up((page_count + 63) / 64 * 8);

    // Place the bitmap in the first RAM range above the kernel and modules
    // that holds it (the boot page tables map the first 1 GiB).
    uint64_t floor = boot.kernel_end;
    for (int m = 0; m < boot.module_count; m++)
        if (boot.modules[m].end > floor)
            floor = boot.modules[m].end;
    uint64_t bitmap_phys = 0;
    for (int i = 0; i < boot.ram_count && !bitmap_phys; i++) {
        const uint64_t start = page_up(boot.ram[i].base > floor ? boot.ram[i].base : floor);
        const uint64_t end = page_down(boot.ram[i].base + boot.ram[i].length);
        if (start < end && end - start >= bitmap_bytes && start + bitmap_bytes <= (1ull << 30))
            bitmap_phys = start;
    }
    if (!bitmap_phys)
        panic("pmm: no room for a %zu-byte page bitmap", bitmap_bytes);
    bitmap = static_cast<uint64_t*>(arch::phys_to_virt(bitmap_phys));
    memset(bitmap, 0xff, bitmap_bytes); // everything in use until proven RAM

    for (int i = 0; i < boot.ram_count; i++) {
        const uint64_t first = page_up(boot.ram[i].base) / kPageSize;
        const uint64_t last = page_down(boot.ram[i].base + boot.ram[i].length) / kPageSize;
        for (uint64_t p = first; p < last && p < page_count; p++) {
            if (used(p)) {
                set_free(p);
                free_count++;
                ram_pages++;
            }
        }
    }
    reserve(0, kLowMemoryEnd);
    reserve(boot.kernel_start, boot.kernel_end);
    for (int m = 0; m < boot.module_count; m++)
        reserve(boot.modules[m].start, boot.modules[m].end);
    reserve(bitmap_phys, bitmap_phys + bitmap_bytes);
    kinfo("pmm: %zu MiB RAM, %zu MiB free, bitmap at %#lx\n", ram_pages * kPageSize >> 20,
          free_count * kPageSize >> 20, bitmap_phys);
}

uint64_t alloc_pages(size_t count) {
    uint64_t phys = 0;
    {
        smp::IrqSpinGuard guard(lock);
        size_t run = 0;
        for (size_t p = search_hint; p < page_count; p++) {
            run = used(p) ? 0 : run + 1;
            if (run == count) {
                const size_t first = p + 1 - count;
                for (size_t q = first; q <= p; q++)
                    set_used(q);
                free_count -= count;
                if (first == search_hint)
                    search_hint = p + 1;
                phys = uint64_t(first) * kPageSize;
                break;
            }
        }
    }
    if (phys)
        memset(arch::phys_to_virt(phys), 0, count * kPageSize);
    return phys;
}

void free_pages(uint64_t phys, size_t count) {
    smp::IrqSpinGuard guard(lock);
    const size_t first = phys / kPageSize;
    for (size_t p = first; p < first + count; p++) {
        if (!used(p))
            panic("pmm: double free of page %#lx", uint64_t(p) * kPageSize);
        set_free(p);
    }
    free_count += count;
    if (first < search_hint)
        search_hint = first;
}

size_t free_page_count() {
    return free_count;
}
size_t total_page_count() {
    return ram_pages;
}

} // namespace kernel::mm
