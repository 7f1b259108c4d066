// Per-CPU GDT and TSS, and the shared IDT.
#pragma once

#include <stdint.h>

namespace x86 {

// Interrupt Stack Table slots (TSS.ist[n-1]): these exceptions always switch
// to a known-good stack, so a kernel stack overflow (double fault) or an NMI
// arriving at a bad moment is still reported.
enum IstSlot : uint8_t { kIstNone = 0, kIstDoubleFault = 1, kIstNmi = 2, kIstMachineCheck = 3 };
inline constexpr int kIstSlots = 3;
inline constexpr uint64_t kIstStackSize = 8192;

struct [[gnu::packed]] Tss {
    uint32_t reserved0;
    uint64_t rsp[3]; // stacks for entry from rings 0-2 (rsp[0]: from user mode, later)
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base; // past the limit: no I/O permission bitmap
};

struct alignas(64) CpuDescriptors {
    uint64_t gdt[8];
    Tss tss;
};

// Fills this CPU's GDT and TSS (with the given IST stack tops), loads both,
// and reloads CS/DS/ES/SS. FS and GS selectors are left null: their bases are MSRs.
void load_cpu_descriptors(CpuDescriptors& d, const uint64_t (&ist_tops)[kIstSlots]);
// The stack an interrupt or exception from user mode switches to on this CPU
// (TSS.rsp[0]). Interrupts off.
void set_this_cpu_rsp0(uint64_t top);

void idt_init(); // once, on the boot CPU
void idt_load(); // on every CPU

} // namespace x86
