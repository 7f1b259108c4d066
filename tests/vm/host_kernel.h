// The kernel services kernel/vm needs, played by the host test: a page
// allocator over an arena (with failure injection and double-free checks),
// kmalloc on malloc, one CPU, no cross-calls.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace vm_host {

inline constexpr size_t kArenaPages = 8192; // 32 MiB of "RAM"

void reset();                               // arena and allocator to their initial state
void fail_after(long n);                    // the n+1-th page allocation from now fails; -1: never
uint64_t allocated_pages();                 // single pages handed out and not yet freed
uint64_t kernel_half_marker(unsigned slot); // what init_user_root copies into `slot`

} // namespace vm_host
