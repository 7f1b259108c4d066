// One IDT shared by all CPUs (the handlers are the same everywhere; what
// differs per CPU, the IST stacks, lives in each CPU's TSS).
#include "descriptors.h"
#include "layout.h"

extern "C" char isr_stubs[]; // isr.S: 256 stubs, 16 bytes apart

namespace x86 {
namespace {

struct [[gnu::packed]] Gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type; // 0x8e: present, DPL0, 64-bit interrupt gate (IF cleared on entry)
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(Gate) == 16);

alignas(64) Gate idt[256];

struct [[gnu::packed]] Pointer {
    uint16_t limit;
    uint64_t base;
};

} // namespace

void idt_init() {
    for (int v = 0; v < 256; v++) {
        const uint64_t handler = reinterpret_cast<uint64_t>(isr_stubs + 16 * v);
        uint8_t ist = kIstNone;
        if (v == 8)
            ist = kIstDoubleFault;
        else if (v == 2)
            ist = kIstNmi;
        else if (v == 18)
            ist = kIstMachineCheck;
        idt[v] = Gate{uint16_t(handler),       SEL_KCODE, ist, 0x8e, uint16_t(handler >> 16),
                      uint32_t(handler >> 32), 0};
    }
}

void idt_load() {
    const Pointer idtr{sizeof idt - 1, reinterpret_cast<uint64_t>(idt)};
    asm volatile("lidt %0" ::"m"(idtr) : "memory");
}

} // namespace x86
