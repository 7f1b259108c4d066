#include "apic.h"

#include "arch/cpu.h"
#include "arch/mmu.h"
#include "kernel/acpi/acpi.h"
#include "kernel/console.h"
#include "traps.h"
#include "x86.h"

namespace x86 {
namespace {

constexpr uint64_t kApicBaseEnable = 1ull << 11;
constexpr uint64_t kApicBaseX2 = 1ull << 10;

// xAPIC register offsets; the x2APIC MSR is 0x800 + offset / 16.
enum Reg : uint32_t {
    kId = 0x20,
    kTpr = 0x80,
    kEoi = 0xb0,
    kSpurious = 0xf0,
    kIcrLow = 0x300,
    kIcrHigh = 0x310,
};
constexpr uint32_t kIcrPending = 1u << 12; // xAPIC only: delivery status

bool x2 = false;
volatile uint32_t* mmio = nullptr;

uint32_t read(Reg r) {
    if (x2)
        return uint32_t(rdmsr(0x800 + r / 16));
    return mmio[r / 4];
}

void write(Reg r, uint32_t v) {
    if (x2)
        wrmsr(0x800 + r / 16, v);
    else
        mmio[r / 4] = v;
}

} // namespace

void apic_init_boot_cpu(bool allow_x2apic) {
    const bool offered = cpuid(1).ecx & (1u << 21);
    x2 = offered && allow_x2apic;
    if (!x2) {
        const uint64_t phys = kernel::acpi::info().lapic_phys;
        mmio = static_cast<volatile uint32_t*>(arch::map_mmio(phys, 4096));
    }
    kernel::kinfo("apic: %s mode (x2APIC %s)\n", x2 ? "x2APIC" : "xAPIC",
                  offered ? (allow_x2apic ? "offered" : "offered, disabled by nox2apic")
                          : "not offered");
    apic_init_this_cpu();
}

void apic_init_this_cpu() {
    uint64_t base = rdmsr(kMsrApicBase) | kApicBaseEnable;
    if (x2)
        base |= kApicBaseX2; // xAPIC -> x2APIC is a legal transition while enabled
    wrmsr(kMsrApicBase, base);
    write(kTpr, 0);                                // accept every priority
    write(kSpurious, kVectorSpurious | (1u << 8)); // software-enable the APIC
}

bool apic_x2_mode() {
    return x2;
}

uint32_t apic_id() {
    return x2 ? read(kId) : read(kId) >> 24;
}

void apic_send(uint32_t dest, uint32_t icr_low) {
    // The two xAPIC writes must not be split by an interrupt handler that
    // sends an IPI of its own.
    const arch::IrqState irq = arch::irq_save();
    if (x2) {
        // One 64-bit write; x2APIC has no delivery-pending bit to wait for.
        wrmsr(0x830, (uint64_t(dest) << 32) | icr_low);
        arch::irq_restore(irq);
        return;
    }
    write(kIcrHigh, dest << 24);
    write(kIcrLow, icr_low); // this write sends
    while (read(kIcrLow) & kIcrPending)
        arch::cpu_relax();
    arch::irq_restore(irq);
}

void apic_eoi() {
    write(kEoi, 0);
}

uint32_t apic_read_reg(uint32_t offset) {
    return read(Reg(offset));
}

void apic_write_reg(uint32_t offset, uint32_t value) {
    write(Reg(offset), value);
}

} // namespace x86
