// Backtraces by frame pointers (every kernel function keeps one: see
// cmake/ScytheKernelFlags.cmake). Lines look like
//    #0 0xffffffff80101234 some_function+0x12
#pragma once

#include <stdint.h>

namespace kernel {

// From an explicit frame: pc is frame #0, fp the frame pointer at that pc.
// pc is either where a trap hit (exact) or a return address (the call may be
// the last instruction of its function, so it is looked up as pc - 1).
void print_backtrace(uintptr_t pc, uintptr_t fp, bool pc_is_return_address);
// From the caller of print_backtrace_here.
void print_backtrace_here();

} // namespace kernel
