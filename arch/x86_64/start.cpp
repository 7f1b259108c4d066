// The boot CPU's first C++: per-CPU register, console, descriptor tables,
// boot information; then the portable kernel_main.
#include "apic.h"
#include "arch/console.h"
#include "arch/smp.h"
#include "cpu_setup.h"
#include "kernel/boot_info.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "multiboot.h"
#include "paging.h"
#include "smp/percpu.h"
#include "traps.h"
#include "x86.h"

extern "C" char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];
extern "C" void (*__init_array_start[])(), (*__init_array_end[])();

namespace x86 {
namespace {

// The boot CPU's IST stacks are static (no allocator yet when the first
// exception could happen), each with a guard page mmu_init leaves unmapped.
struct alignas(4096) GuardedStack {
    char guard[4096];
    char stack[kIstStackSize];
};
GuardedStack boot_ist_stacks[kIstSlots];

CpuDescriptors descriptors[smp::kMaxCpus];
kernel::BootInfo boot_info;

void mask_legacy_pics() {
    // Remap the two 8259s to vectors 0x20-0x2f (so a spurious IRQ cannot
    // look like an exception), then mask every line: the APIC takes over.
    constexpr uint16_t kMasterCmd = 0x20, kMasterData = 0x21, kSlaveCmd = 0xa0, kSlaveData = 0xa1;
    outb(kMasterCmd, 0x11); // ICW1: initialise, ICW4 follows
    outb(kSlaveCmd, 0x11);
    outb(kMasterData, kVectorPicBase);
    outb(kSlaveData, kVectorPicBase + 8);
    outb(kMasterData, 4); // slave on IRQ2
    outb(kSlaveData, 2);
    outb(kMasterData, 1); // 8086 mode
    outb(kSlaveData, 1);
    outb(kMasterData, 0xff);
    outb(kSlaveData, 0xff);
}

} // namespace

void setup_this_cpu(uint32_t cpu, const uint64_t (&ist_tops)[kIstSlots]) {
    load_cpu_descriptors(descriptors[cpu], ist_tops);
    idt_load();
}

} // namespace x86

namespace arch {

void interrupts_init(bool allow_x2apic) {
    x86::mask_legacy_pics();
    x86::apic_init_boot_cpu(allow_x2apic);
}

const char* interrupt_controller_mode() {
    return x86::apic_x2_mode() ? "x2APIC" : "xAPIC";
}

uint32_t this_cpu_hw_id() {
    return x86::apic_id();
}

} // namespace arch

extern "C" [[noreturn]] void x86_64_boot_main(uint32_t magic, uint32_t info_phys) {
    using namespace x86;
    // this_cpu() must work before anything can print or take a lock.
    wrmsr(kMsrGsBase, reinterpret_cast<uint64_t>(kernel::boot_cpu_block()));
    arch::console_init();
    for (auto* ctor = __init_array_start; ctor != __init_array_end; ctor++)
        (*ctor)();

    uint64_t ist_tops[kIstSlots];
    for (int i = 0; i < kIstSlots; i++) {
        ist_tops[i] = reinterpret_cast<uint64_t>(boot_ist_stacks[i].stack + kIstStackSize);
        register_image_guard_page(reinterpret_cast<uintptr_t>(boot_ist_stacks[i].guard));
    }
    register_image_guard_page(reinterpret_cast<uintptr_t>(boot_stack_guard));
    idt_init();
    setup_this_cpu(0, ist_tops);

    kernel::Cpu& cpu = kernel::this_cpu();
    cpu.stack_bottom = reinterpret_cast<uintptr_t>(boot_stack_bottom);
    cpu.stack_top = reinterpret_cast<uintptr_t>(boot_stack_top);

    if (!parse_multiboot(magic, info_phys, boot_info)) {
        kernel::kprintf("scythe: not started by a Multiboot loader (magic %#x); stopping\n", magic);
        arch::halt_forever();
    }
    kernel::kernel_main(boot_info);
}
