// Starting and signalling other CPUs. The kernel enumerates CPUs (ACPI) and
// gives each a dense index; the arch starts them and delivers IPIs.
//
// A started CPU runs its arch set-up, then calls kernel::secondary_cpu_main()
// on its own stack (kernel/cpu.h) and never returns.
#pragma once

#include <stdint.h>

namespace arch {

// Legacy interrupt controllers masked, this CPU's interrupt controller on.
void interrupts_init(bool allow_x2apic);
const char* interrupt_controller_mode(); // e.g. "x2APIC" or "xAPIC"
uint32_t this_cpu_hw_id();               // hardware id of the calling CPU (APIC id)

// Starts CPUs 1..count-1 (indices into kernel::cpu_block) at once and returns
// without waiting; kernel code waits for them with its own timeout.
void start_secondary_cpus(uint32_t count);

enum class Ipi {
    Test, // counted by the receiver (test=ipi)
    Call, // cross-call requests queued (kernel/xcall.h): run kernel::on_call_ipi()
};
void send_ipi(uint32_t cpu, Ipi kind);

// Interrupts every other CPU with an NMI (which reaches CPUs with interrupts
// off); used by panic to stop the machine.
void nmi_other_cpus();

} // namespace arch
