// User FPU/SSE state. The kernel itself is built general-regs-only, so the
// FPU registers always hold the state of the last user thread that ran on the
// CPU; the scheduler saves it eagerly when such a thread is switched out and
// restores it when the thread is switched back (x86-64: fxsave/fxrstor).
#pragma once

#include <stddef.h>

namespace arch {

inline constexpr size_t kFpuStateSize = 512; // x86-64: the legacy FXSAVE area
inline constexpr size_t kFpuStateAlign = 16;

void fpu_save(void* area);          // area: kFpuStateSize bytes, kFpuStateAlign aligned
void fpu_restore(const void* area); // loads what fpu_save stored (or fpu_init_state)
void fpu_init_state(void* area);    // the state a fresh program starts with

} // namespace arch
