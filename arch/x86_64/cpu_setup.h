// Per-CPU arch state: descriptor tables and IST stacks for every CPU.
#pragma once

#include <stdint.h>

#include "descriptors.h"

namespace x86 {

// Loads GDT/TSS (with `ist_tops`) and the IDT on the calling CPU.
void setup_this_cpu(uint32_t cpu, const uint64_t (&ist_tops)[kIstSlots]);

} // namespace x86
