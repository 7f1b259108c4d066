// x86-64 instructions the arch code needs: port I/O, MSRs, CPUID, control
// registers. Private to arch/x86_64/ (portable code uses arch/include/arch/).
#pragma once

#include <stdint.h>

namespace x86 {

inline void outb(uint16_t port, uint8_t v) {
    asm volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
inline void outw(uint16_t port, uint16_t v) {
    asm volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
inline void outl(uint16_t port, uint32_t v) {
    asm volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
inline uint8_t inb(uint16_t port) {
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline uint16_t inw(uint16_t port) {
    uint16_t v;
    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

inline constexpr uint32_t kMsrApicBase = 0x1b;
inline constexpr uint32_t kMsrEfer = 0xc0000080;
inline constexpr uint32_t kMsrFsBase = 0xc0000100;
inline constexpr uint32_t kMsrGsBase = 0xc0000101;
inline constexpr uint32_t kMsrKernelGsBase = 0xc0000102;

inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t(hi) << 32) | lo;
}
inline void wrmsr(uint32_t msr, uint64_t v) {
    asm volatile("wrmsr" ::"c"(msr), "a"(uint32_t(v)), "d"(uint32_t(v >> 32)) : "memory");
}

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0) {
    CpuidResult r;
    asm volatile("cpuid"
                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                 : "a"(leaf), "c"(subleaf));
    return r;
}

inline uint64_t read_cr2() {
    uint64_t v;
    asm volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
inline uint64_t read_cr3() {
    uint64_t v;
    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
inline void write_cr3(uint64_t v) {
    asm volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}
inline uint64_t read_cr0() {
    uint64_t v;
    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
inline uint64_t read_cr4() {
    uint64_t v;
    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}
inline void invlpg(uintptr_t va) {
    asm volatile("invlpg (%0)" ::"r"(va) : "memory");
}

// This CPU's initial APIC id, from CPUID (works before the APIC is enabled).
inline uint32_t cpuid_apic_id() {
    if (cpuid(0).eax >= 0xb && cpuid(0xb).ebx != 0)
        return cpuid(0xb).edx; // full 32-bit x2APIC id
    return cpuid(1).ebx >> 24;
}

} // namespace x86
