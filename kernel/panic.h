// panic: the kernel cannot go on. Prints
//    PANIC on cpu N: <cause>
//     #0 0xffffffff80101234 function+0x12
//     ...
// stops every other CPU (NMI; each prints its RIP and backtrace first), then powers off with
// kPanicStatus (QEMU's isa-debug-exit turns it into exit code 7).
#pragma once

#include <stdarg.h>
#include <stdint.h>

namespace kernel {

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// From a trap: the backtrace starts at the trapping instruction.
[[noreturn]] void panic_at(uintptr_t pc, uintptr_t fp, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

// For the NMI handler: another CPU has panicked and wants this one stopped.
bool panic_in_progress();
[[noreturn]] void panic_stop_this_cpu();
// The NMI handler's version: prints "NMI on cpu N: stopped at RIP=..." and
// the backtrace from the interrupted frame, when the panicking CPU gives it
// its turn (one CPU at a time, in CPU order), then stops.
[[noreturn]] void panic_nmi_stop(uintptr_t pc, uintptr_t fp, bool irqs_were_on);

} // namespace kernel
