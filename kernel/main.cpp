// The portable boot sequence, on the boot CPU. The arch has already set up
// the console, this CPU's descriptor tables and this_cpu().
#include "arch/cpu.h"
#include "arch/mmu.h"
#include "arch/smp.h"
#include "arch/time.h"
#include "kernel/acpi/acpi.h"
#include "kernel/boot_info.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lf_platform.h" // compiled here so the Platform check runs
#include "kernel/mm/pmm.h"
#include "kernel/power.h"
#include "kernel/sched/sched.h"
#include "kernel/selftest.h"
#include "kernel/user/run_init.h"
#include "kernel/watchdog.h"
#include "kernel/xcall.h"

namespace kernel {
namespace {

// Status when test=NAME names no test: distinct from pass (0) and panic (3).
constexpr int kUnknownTestStatus = 2;

void report_modules(const BootInfo& boot) {
    for (int i = 0; i < boot.module_count; i++)
        kinfo("boot: module %d at %#lx-%#lx '%s'\n", i, boot.modules[i].start, boot.modules[i].end,
              boot.modules[i].name);
}

void report_cpus() {
    kinfo("cpus: %s, TSC %lu MHz\n", arch::interrupt_controller_mode(),
          arch::cycles_per_second() / 1'000'000);
    for (uint32_t i = 0; i < cpus_enumerated(); i++) {
        const Cpu& c = cpu_block(i);
        kinfo("  cpu %u: APIC id %u, %s, stack %#lx-%#lx\n", i, c.hw_id,
              c.online.load() ? "online" : "OFFLINE", c.stack_bottom, c.stack_top);
    }
}

} // namespace

void kernel_main(const BootInfo& boot) {
    cmdline::parse(boot.cmdline);
    console_set_quiet(cmdline::has("quiet"));
    kinfo("scythe: booting on cpu %u, command line '%s'\n", arch::this_cpu_id(), cmdline::raw());

    mm::pmm_init(boot);
    arch::mmu_init(boot.phys_top);
    report_modules(boot);
    arch::time_init();
    acpi::init();
    arch::interrupts_init(!cmdline::has("nox2apic"));
    arch::irq_enable(); // nothing but IPIs can arrive: PICs masked, no timer yet
    sched::init();      // this context becomes thread "main"; CPU 0's tick starts
    user::early_init(); // the switch hook that user threads need, before other CPUs run

    smp_init();
    xcall_init();
    watchdog_init(); // every CPU ticks now
    report_cpus();

    int status = kPowerOk;
    if (const char* test = cmdline::value("test")) {
        if (!run_selftest(test, &status)) {
            kprintf("selftest: no test named '%s'\n", test);
            status = kUnknownTestStatus;
        }
    } else if (boot.module_count > 0) {
        status = user::run_init(boot); // returns only if init could not start
    }
    power_off(status);
}

} // namespace kernel
