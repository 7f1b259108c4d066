// What the boot loader told us, in the kernel's own terms (the arch turns
// Multiboot's structures into this before anything else runs).
#pragma once

#include <stdint.h>

namespace kernel {

struct MemoryRange {
    uint64_t base;
    uint64_t length;
};

struct BootModule {
    uint64_t start; // physical, page aligned
    uint64_t end;   // physical, exclusive
    char name[64];  // the loader's string (QEMU: the -initrd file name and arguments)
};

struct BootInfo {
    static constexpr int kMaxRanges = 64;
    static constexpr int kMaxModules = 16;

    MemoryRange ram[kMaxRanges]; // usable RAM only
    int ram_count = 0;
    uint64_t phys_top = 0; // end of the highest usable RAM range
    BootModule modules[kMaxModules];
    int module_count = 0;
    char cmdline[512] = {};
    uint64_t kernel_start = 0; // physical [start, end) of the loaded image incl. bss
    uint64_t kernel_end = 0;
};

// The portable kernel's entry point, called on the boot CPU once the arch
// has a console, descriptor tables and this_cpu().
[[noreturn]] void kernel_main(const BootInfo& boot);

} // namespace kernel
