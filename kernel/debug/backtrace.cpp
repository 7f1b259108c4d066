#include "kernel/debug/backtrace.h"

#include "arch/mmu.h"
#include "kernel/console.h"
#include "kernel/debug/symbols.h"

namespace kernel {
namespace {

constexpr int kMaxFrames = 32;
// Frames are in the upper (kernel) half; anything else ends the walk.
constexpr uintptr_t kKernelHalf = 0xffff800000000000ul;

void print_frame(int index, uintptr_t pc, bool is_return_address) {
    Symbol sym;
    // A return address may be one past the call's function (a noreturn call
    // at its end), so look up pc - 1 and print pc itself.
    const uintptr_t lookup = is_return_address ? pc - 1 : pc;
    if (symbolize(lookup, &sym))
        kprintf(" #%d %p %s+0x%lx\n", index, reinterpret_cast<void*>(pc), sym.name,
                sym.offset + (pc - lookup));
    else
        kprintf(" #%d %p ?\n", index, reinterpret_cast<void*>(pc));
}

bool readable_frame(uintptr_t fp) {
    return fp >= kKernelHalf && (fp & 7) == 0 && arch::is_mapped(fp) && arch::is_mapped(fp + 8);
}

// Prints the return addresses of the frames from fp outwards.
void walk(int first_index, uintptr_t fp) {
    for (int i = first_index; i < kMaxFrames; i++) {
        if (!readable_frame(fp))
            return;
        const auto* frame = reinterpret_cast<const uintptr_t*>(fp);
        const uintptr_t next_fp = frame[0];
        const uintptr_t ret = frame[1];
        if (ret == 0)
            return;
        print_frame(i, ret, true);
        // Stacks grow down, so callers' frames are at higher addresses; a
        // frame pointer that goes backwards is corrupt (or a stack switch).
        if (next_fp <= fp)
            return;
        fp = next_fp;
    }
}

} // namespace

void print_backtrace(uintptr_t pc, uintptr_t fp, bool pc_is_return_address) {
    print_frame(0, pc, pc_is_return_address);
    walk(1, fp);
}

__attribute__((noinline)) void print_backtrace_here() {
    const auto fp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    // Frame #0 is our caller (the return address into it).
    walk(0, fp);
}

} // namespace kernel
