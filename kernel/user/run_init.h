// Starting user space: the initramfs module, then /init (or init=) as pid 1.
#pragma once

#include "kernel/boot_info.h"

namespace kernel::user {

// Before smp_init: hooks that must exist before other CPUs schedule.
void early_init();

// Unpacks the first boot module as the initramfs and starts init with the
// command line's arguments. Does not return once init runs: the kernel powers
// off when init exits or calls reboot. Returns a power-off status if init
// could not be started.
int run_init(const BootInfo& boot);

} // namespace kernel::user
