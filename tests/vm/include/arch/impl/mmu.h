// Host bodies for arch/mmu.h in kernel/vm tests: "physical memory" is an
// arena allocated by the test (host_kernel.cc), physical address = offset.
#pragma once

namespace arch {

inline unsigned char* host_phys_base = nullptr;

inline void* phys_to_virt(uint64_t phys) {
    return host_phys_base + phys;
}
inline uint64_t virt_to_phys(const void* p) {
    return uint64_t(static_cast<const unsigned char*>(p) - host_phys_base);
}

} // namespace arch
