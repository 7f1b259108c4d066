#include "descriptors.h"

#include "arch/cpu.h"
#include "layout.h"
#include "smp/percpu.h"

namespace x86 {
namespace {

// Flat descriptors: in long mode base and limit are ignored for code/data;
// what matters is the type, DPL and the L (64-bit) bit.
constexpr uint64_t kKernelCode64 = 0x00af9b000000ffff; // P, DPL0, code, L, accessed
constexpr uint64_t kKernelData = 0x00cf93000000ffff;   // P, DPL0, data, writable
constexpr uint64_t kUserCode32 = 0x00cffb000000ffff;   // DPL3, for sysret's layout
constexpr uint64_t kUserData = 0x00cff3000000ffff;
constexpr uint64_t kUserCode64 = 0x00affb000000ffff;

// Each CPU's TSS, for set_this_cpu_rsp0 (GS base is set before the tables load).
Tss* cpu_tss[smp::kMaxCpus];

struct [[gnu::packed]] Pointer {
    uint16_t limit;
    uint64_t base;
};

} // namespace

void load_cpu_descriptors(CpuDescriptors& d, const uint64_t (&ist_tops)[kIstSlots]) {
    d.tss = {};
    for (int i = 0; i < kIstSlots; i++)
        d.tss.ist[i] = ist_tops[i];
    d.tss.iomap_base = sizeof(Tss);

    d.gdt[0] = 0;
    d.gdt[SEL_KCODE / 8] = kKernelCode64;
    d.gdt[SEL_KDATA / 8] = kKernelData;
    d.gdt[SEL_UCODE32 / 8] = kUserCode32;
    d.gdt[SEL_UDATA / 8] = kUserData;
    d.gdt[SEL_UCODE64 / 8] = kUserCode64;
    // A 64-bit TSS descriptor takes two slots: base split over both.
    const uint64_t base = reinterpret_cast<uint64_t>(&d.tss);
    const uint64_t limit = sizeof(Tss) - 1;
    d.gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                         (uint64_t(0x89) << 40) | // present, type 9: available 64-bit TSS
                         (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    d.gdt[SEL_TSS / 8 + 1] = base >> 32;

    const Pointer gdtr{sizeof d.gdt - 1, reinterpret_cast<uint64_t>(d.gdt)};
    asm volatile("lgdt %0" ::"m"(gdtr) : "memory");
    // Reload CS with a far return, then the data segments.
    asm volatile("pushq %[code]\n\t"
                 "leaq 1f(%%rip), %%rax\n\t"
                 "pushq %%rax\n\t"
                 "lretq\n"
                 "1:\n\t"
                 "movw %w[data], %%ax\n\t"
                 "movw %%ax, %%ds\n\t"
                 "movw %%ax, %%es\n\t"
                 "movw %%ax, %%ss"
                 :
                 : [code] "i"(SEL_KCODE), [data] "i"(SEL_KDATA)
                 : "rax", "memory");
    asm volatile("ltr %w0" ::"r"(uint16_t(SEL_TSS)));
    cpu_tss[arch::this_cpu_id()] = &d.tss;
}

void set_this_cpu_rsp0(uint64_t top) {
    cpu_tss[arch::this_cpu_id()]->rsp[0] = top;
}

} // namespace x86
