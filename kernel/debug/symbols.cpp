#include "kernel/debug/symbols.h"

// Emitted by kernel/debug/gen_ksyms.sh into the .ksyms section.
extern "C" {
extern const uint64_t ksym_count;
extern const uint64_t ksym_addrs[];        // ascending
extern const uint32_t ksym_name_offsets[]; // into ksym_names
extern const char ksym_names[];
extern const char __text_end[];
}

namespace kernel {

size_t symbol_count() {
    return ksym_count;
}

bool symbolize(uintptr_t addr, Symbol* out) {
    const uint64_t n = ksym_count;
    if (n == 0 || addr < ksym_addrs[0] || addr >= reinterpret_cast<uintptr_t>(__text_end))
        return false;
    // Last symbol whose address is <= addr.
    uint64_t lo = 0, hi = n;
    while (hi - lo > 1) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (ksym_addrs[mid] <= addr)
            lo = mid;
        else
            hi = mid;
    }
    out->name = ksym_names + ksym_name_offsets[lo];
    out->offset = addr - ksym_addrs[lo];
    return true;
}

} // namespace kernel
