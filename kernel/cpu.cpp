#include "kernel/cpu.h"

#include "arch/smp.h"
#include "arch/time.h"
#include "kernel/acpi/acpi.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/sched/sched.h"

namespace kernel {
namespace {

Cpu cpus[smp::kMaxCpus];
uint32_t enumerated = 1;
std::atomic<uint32_t> online_count{0};

void mark_online(Cpu& cpu) {
    cpu.online.store(true, std::memory_order_release);
    // release: the CPU's set-up is complete before the boot CPU counts it.
    online_count.fetch_add(1, std::memory_order_release);
}

} // namespace

Cpu& cpu_block(uint32_t index) {
    return cpus[index];
}
uint32_t cpus_enumerated() {
    return enumerated;
}
uint32_t cpus_online() {
    return online_count.load(std::memory_order_acquire);
}

arch::CpuBlockHeader* boot_cpu_block() {
    for (uint32_t i = 0; i < smp::kMaxCpus; i++) {
        cpus[i].self = &cpus[i];
        cpus[i].id = i;
    }
    return &cpus[0];
}

void smp_init() {
    const uint32_t boot_hw_id = arch::this_cpu_hw_id();
    cpus[0].hw_id = boot_hw_id;
    mark_online(cpus[0]);

    // The boot CPU is index 0 whatever its place in the MADT; the others
    // follow in MADT order. maxcpus= caps the count.
    const acpi::Info& firmware = acpi::info();
    const uint64_t max_cpus = cmdline::number("maxcpus", smp::kMaxCpus);
    uint32_t count = 1;
    for (uint32_t i = 0; i < firmware.cpu_count; i++) {
        const uint32_t hw_id = firmware.cpus[i].apic_id;
        if (hw_id == boot_hw_id)
            continue;
        if (count >= smp::kMaxCpus || count >= max_cpus) {
            kprintf("smp: ignoring CPU with APIC id %u (limit %lu)\n", hw_id,
                    count >= smp::kMaxCpus ? uint64_t(smp::kMaxCpus) : max_cpus);
            continue;
        }
        cpus[count++].hw_id = hw_id;
    }
    enumerated = firmware.cpu_count ? count : 1;

    const uint64_t start = arch::monotonic_ns();
    if (enumerated > 1)
        arch::start_secondary_cpus(enumerated);
    const uint64_t timeout_ns = cmdline::number("smp_timeout_ms", 10000) * 1'000'000ull;
    while (cpus_online() < enumerated && arch::monotonic_ns() - start < timeout_ns)
        arch::cpu_relax();
    const uint64_t elapsed_ms = (arch::monotonic_ns() - start) / 1'000'000ull;

    // One pass decides who made it, so the summary agrees with the list
    // even if a late CPU arrives while we print.
    uint32_t arrived = 1;
    for (uint32_t i = 1; i < enumerated; i++) {
        if (cpus[i].online.load(std::memory_order_acquire))
            arrived++;
        else
            kprintf("smp: cpu %u (APIC id %u) did not come online\n", i, cpus[i].hw_id);
    }
    kprintf("smp: %u of %u CPUs online in %lu ms\n", arrived, enumerated, elapsed_ms);
}

void secondary_cpu_main() {
    mark_online(this_cpu());
    idle_loop();
}

void idle_loop() {
    sched::run_idle_thread(); // this boot context becomes the CPU's idle thread
}

} // namespace kernel
