// ACPI tables the kernel reads at boot: the MADT (which CPUs exist and their
// APIC ids) and the FADT (how to soft-off the machine when there is no
// debug-exit device). Tables are read through the direct map.
#pragma once

#include <stdint.h>

#include "smp/percpu.h"

namespace kernel::acpi {

struct CpuEntry {
    uint32_t apic_id;
    uint32_t uid; // ACPI processor UID
};

struct Info {
    bool found = false; // an RSDP with a valid checksum was found
    uint64_t lapic_phys = 0xfee00000;
    CpuEntry cpus[smp::kMaxCpus];
    uint32_t cpu_count = 0; // enabled CPUs only
    uint32_t cpus_disabled = 0;
    // FADT soft-off: write (slp_typ_a << 10) | SLP_EN to pm1a_cnt.
    uint32_t pm1a_cnt = 0;
    uint32_t smi_cmd = 0;
    uint8_t acpi_enable = 0;
    uint16_t slp_typ_a = 0;
    bool have_s5 = false;
};

// Finds the RSDP (EBDA, then the BIOS area 0xe0000-0xfffff), walks the
// XSDT (or RSDT) and parses the MADT and FADT. Reports what it finds.
void init();
const Info& info();

} // namespace kernel::acpi
