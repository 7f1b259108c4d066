// Kernel console: printf to the boot console, one lock so that lines from
// different CPUs never interleave.
//
// kprintf formats into a buffer first and writes it under the lock, so each
// call appears whole. A multi-line report (an exception dump) holds the lock
// for all its lines with ConsoleGuard; kprintf from the holding CPU then
// writes without re-locking.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace kernel {

void kprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char* fmt, va_list args);

// Informational boot messages: suppressed by the `quiet` command line flag.
void kinfo(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void console_set_quiet(bool quiet);

class ConsoleGuard {
public:
    ConsoleGuard();
    ~ConsoleGuard();
    ConsoleGuard(const ConsoleGuard&) = delete;
    ConsoleGuard& operator=(const ConsoleGuard&) = delete;

private:
    bool took_;
    unsigned long irq_;
};

// Panic: from now on this CPU writes without waiting for the lock for long
// (its holder may have been stopped mid-line and will never release it).
void console_enter_panic();

} // namespace kernel
