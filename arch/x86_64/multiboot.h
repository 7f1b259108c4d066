#pragma once

#include <stdint.h>

#include "kernel/boot_info.h"

namespace x86 {

inline constexpr uint32_t kMultibootLoaderMagic = 0x2badb002; // in EAX at entry

// false when the magic is wrong (not started by a Multiboot loader).
bool parse_multiboot(uint32_t magic, uint32_t info_phys, kernel::BootInfo& out);

} // namespace x86
