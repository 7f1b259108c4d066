// arch::power_off: QEMU's isa-debug-exit first (the test harness reads the
// status), then ACPI S5 soft-off from the FADT, then a halt.
#include "arch/power.h"
#include "arch/cpu.h"
#include "arch/time.h"
#include "kernel/acpi/acpi.h"
#include "kernel/console.h"
#include "x86.h"

namespace arch {

void power_off(int status) {
    irq_disable();
    // isa-debug-exit,iobase=0xf4,iosize=4: QEMU exits at once with
    // (status << 1) | 1. Without the device the write goes nowhere.
    x86::outl(0xf4, uint32_t(status));

    const kernel::acpi::Info& acpi = kernel::acpi::info();
    if (acpi.pm1a_cnt && acpi.have_s5) {
        constexpr uint16_t kSciEnabled = 1 << 0;
        if (!(x86::inw(uint16_t(acpi.pm1a_cnt)) & kSciEnabled) && acpi.smi_cmd &&
            acpi.acpi_enable) {
            // Hand the chipset from SMM to ACPI mode first.
            x86::outb(uint16_t(acpi.smi_cmd), acpi.acpi_enable);
            for (int i = 0; i < 300 && !(x86::inw(uint16_t(acpi.pm1a_cnt)) & kSciEnabled); i++)
                delay_us(1000);
        }
        constexpr uint16_t kSleepEnable = 1 << 13;
        x86::outw(uint16_t(acpi.pm1a_cnt), uint16_t((acpi.slp_typ_a << 10) | kSleepEnable));
        delay_us(100000);
    }
    kernel::kprintf("scythe: power off failed (no debug-exit device, no ACPI S5): halting\n");
    halt_forever();
}

} // namespace arch
