// x86-64 bodies for arch/mmu.h: the direct map starts at PML4 slot 256.
#pragma once

namespace arch {

inline constexpr uintptr_t kDirectMapBase = 0xffff800000000000ul;

inline void* phys_to_virt(uint64_t phys) {
    return reinterpret_cast<void*>(kDirectMapBase + phys);
}
inline uint64_t virt_to_phys(const void* direct_mapped) {
    return reinterpret_cast<uintptr_t>(direct_mapped) - kDirectMapBase;
}

} // namespace arch
