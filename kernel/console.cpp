#include "kernel/console.h"

#include "arch/console.h"
#include "arch/cpu.h"
#include "kernel/lib/format.h"
#include "smp/spinlock.h"

namespace kernel {
namespace {

smp::SpinLock console_lock;
bool quiet = false;
// Set by the panicking CPU: it takes the lock by force if need be.
volatile bool panic_mode = false;

// A bounded wait: in panic mode a stopped holder must not hang the report.
bool lock_console() {
    if (console_lock.holding())
        return false; // this CPU already holds it (ConsoleGuard)
    if (!panic_mode) {
        console_lock.lock();
        return true;
    }
    for (int i = 0; i < 1000000; i++) {
        if (console_lock.try_lock())
            return true;
        arch::cpu_relax();
    }
    return false; // give up waiting: write unlocked
}

void write_locked(const char* fmt, va_list args) {
    char buf[512];
    const size_t n = vformat(buf, sizeof buf, fmt, args);
    arch::console_write(buf, n);
}

} // namespace

ConsoleGuard::ConsoleGuard() : irq_(arch::irq_save()) {
    took_ = lock_console();
}

ConsoleGuard::~ConsoleGuard() {
    if (took_)
        console_lock.unlock();
    arch::irq_restore(irq_);
}

void kvprintf(const char* fmt, va_list args) {
    ConsoleGuard guard;
    write_locked(fmt, args);
}

void kprintf(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    kvprintf(fmt, args);
    va_end(args);
}

void kinfo(const char* fmt, ...) {
    if (quiet)
        return;
    va_list args;
    va_start(args, fmt);
    kvprintf(fmt, args);
    va_end(args);
}

void console_set_quiet(bool q) {
    quiet = q;
}

void console_enter_panic() {
    panic_mode = true;
}

} // namespace kernel
