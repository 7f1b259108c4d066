// x86-64 user-mode internals shared by the trap handlers.
#pragma once

#include "traps.h"

namespace x86 {

// A fault at a uaccess.S instruction: points RIP at its fixup, true. False if
// the RIP is not a user-access instruction.
bool uaccess_fixup(TrapFrame& f);
bool uaccess_rip(uint64_t rip);

} // namespace x86
