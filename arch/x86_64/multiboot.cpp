// Multiboot v1 information -> kernel::BootInfo. Everything is copied out:
// the loader's structures live in low memory the kernel reuses later.
// Layout: Multiboot Specification 0.6.96, section 3.3.
#include "multiboot.h"

#include "arch/mmu.h"
#include "kernel/lib/string.h"
#include "layout.h"

extern "C" char __image_start[], __image_end[];

namespace x86 {
namespace {

struct [[gnu::packed]] Info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};

struct [[gnu::packed]] MmapEntry {
    uint32_t size; // of the rest of the entry (not counting this field)
    uint64_t base;
    uint64_t length;
    uint32_t type; // 1 = usable RAM
};

struct [[gnu::packed]] Module {
    uint32_t start, end;
    uint32_t string;
    uint32_t reserved;
};

enum : uint32_t { kHasCmdline = 1 << 2, kHasModules = 1 << 3, kHasMmap = 1 << 6 };

template <typename T>
const T* low(uint32_t phys) {
    // The boot page tables map the first 1 GiB at the direct map base, which
    // is where loaders put these structures.
    return static_cast<const T*>(arch::phys_to_virt(phys));
}

} // namespace

bool parse_multiboot(uint32_t magic, uint32_t info_phys, kernel::BootInfo& out) {
    if (magic != kMultibootLoaderMagic)
        return false;
    const Info* mb = low<Info>(info_phys);
    out.kernel_start = reinterpret_cast<uintptr_t>(__image_start) - KERNEL_VMA;
    out.kernel_end = reinterpret_cast<uintptr_t>(__image_end) - KERNEL_VMA;

    if (mb->flags & kHasCmdline)
        strlcpy(out.cmdline, low<char>(mb->cmdline), sizeof out.cmdline);

    if (mb->flags & kHasMmap) {
        for (uint32_t off = 0; off < mb->mmap_length;) {
            const MmapEntry* e = low<MmapEntry>(mb->mmap_addr + off);
            if (e->type == 1 && e->length && out.ram_count < kernel::BootInfo::kMaxRanges) {
                out.ram[out.ram_count++] = {e->base, e->length};
                if (e->base + e->length > out.phys_top)
                    out.phys_top = e->base + e->length;
            }
            off += e->size + sizeof e->size;
        }
    } else {
        // No map: the two classic ranges (below 640 KiB, above 1 MiB).
        out.ram[out.ram_count++] = {0, uint64_t(mb->mem_lower) << 10};
        out.ram[out.ram_count++] = {0x100000, uint64_t(mb->mem_upper) << 10};
        out.phys_top = 0x100000 + (uint64_t(mb->mem_upper) << 10);
    }

    if (mb->flags & kHasModules) {
        const Module* mods = low<Module>(mb->mods_addr);
        for (uint32_t i = 0; i < mb->mods_count && out.module_count < kernel::BootInfo::kMaxModules;
             i++) {
            kernel::BootModule& m = out.modules[out.module_count++];
            m.start = mods[i].start;
            m.end = mods[i].end;
            strlcpy(m.name, mods[i].string ? low<char>(mods[i].string) : "", sizeof m.name);
        }
    }
    return true;
}

} // namespace x86
