// Loading a static x86-64 ELF executable into a fresh address space, with the
// initial stack Linux's execve builds (argc, argv, envp, auxv), so musl's
// static startup code runs unchanged.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/vm/address_space.h"

namespace kernel::user {

struct LoadedImage {
    vm::AddressSpace* space = nullptr;
    uintptr_t entry = 0;
    uintptr_t stack_pointer = 0; // points at argc
    uintptr_t brk = 0;           // first page above the highest segment
};

// argv and envp: NULL-terminated arrays of kernel strings. Returns 0 or a
// negative errno (ENOEXEC: not a static x86-64 executable; ENOMEM; E2BIG:
// arguments do not fit). On failure nothing is left allocated.
long load_elf(const uint8_t* file, size_t size, const char* path, const char* const* argv,
              const char* const* envp, LoadedImage* out);

// Where user stacks end and how much of the address space they may use.
inline constexpr uintptr_t kStackTop = 0x7ffffffff000;
inline constexpr size_t kStackSize = 8u << 20;

} // namespace kernel::user
