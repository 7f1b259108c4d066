// The kernel's per-CPU block and the set of CPUs.
//
// Each CPU has one Cpu, reached with this_cpu() through the arch's per-CPU
// register (GS on x86-64). Index 0 is the boot CPU; the others are numbered
// in firmware (ACPI MADT) order. Fields written by other CPUs are atomics.
#pragma once

#include <atomic>
#include <stdint.h>

#include "arch/cpu.h"
#include "smp/percpu.h"

namespace kernel {

struct alignas(smp::kCacheLine) Cpu : arch::CpuBlockHeader {
    uint32_t hw_id = 0;         // APIC id
    uintptr_t stack_bottom = 0; // the stack it idles on (guard page below)
    uintptr_t stack_top = 0;
    std::atomic<bool> online{false};
    std::atomic<bool> stopped{false};   // acknowledged a panic stop
    std::atomic<uint64_t> test_ipis{0}; // Ipi::Test received
};

inline Cpu& this_cpu() {
    return *smp::this_cpu_block<Cpu>();
}
Cpu& cpu_block(uint32_t index);
uint32_t cpus_enumerated(); // from firmware, capped by maxcpus=
uint32_t cpus_online();

// Called by the arch on the boot CPU before anything else, so this_cpu()
// works from the first line of C++.
arch::CpuBlockHeader* boot_cpu_block();

// Enumerates CPUs (ACPI), starts the others and waits for them (bounded).
// Prints "smp: N of M CPUs online in T ms".
void smp_init();

// Where every CPU but the boot one enters the kernel proper, on its own
// stack with its arch state ready. Marks the CPU online and idles.
[[noreturn]] void secondary_cpu_main();

// Sleep until an interrupt, forever.
[[noreturn]] void idle_loop();

} // namespace kernel
