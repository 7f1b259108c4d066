// Leaving the machine. kernel/power.h prints the harness's line first.
#pragma once

namespace arch {

// Exit with `status`: under QEMU's isa-debug-exit (port 0xf4) QEMU exits with
// (status << 1) | 1; without it, ACPI S5 soft-off; failing that, halt.
[[noreturn]] void power_off(int status);

} // namespace arch
