// The local APIC, in x2APIC mode (MSRs) when the CPU offers it and xAPIC
// mode (MMIO) otherwise. Every CPU uses the mode the boot CPU chose.
#pragma once

#include <stdint.h>

namespace x86 {

// ICR delivery modes and flags (Intel SDM vol. 3, 11.6.1).
inline constexpr uint32_t kIcrFixed = 0x000;
inline constexpr uint32_t kIcrNmi = 0x400;
inline constexpr uint32_t kIcrInit = 0x500;
inline constexpr uint32_t kIcrStartup = 0x600;
inline constexpr uint32_t kIcrAssert = 1u << 14;
inline constexpr uint32_t kIcrAllButSelf = 3u << 18;

void apic_init_boot_cpu(bool allow_x2apic); // chooses the mode
void apic_init_this_cpu();                  // on every CPU (the boot CPU included)
bool apic_x2_mode();
uint32_t apic_id();
void apic_send(uint32_t dest_apic_id, uint32_t icr_low); // waits until the IPI is sent
void apic_eoi();
// Any local APIC register by its xAPIC offset (the timer uses these).
uint32_t apic_read_reg(uint32_t offset);
void apic_write_reg(uint32_t offset, uint32_t value);

} // namespace x86
