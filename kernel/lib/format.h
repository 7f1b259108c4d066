// A small printf for the kernel: %d %i %u %x %X %p %s %c %% with the l / ll /
// z length modifiers, a field width, '0' padding, '-' left alignment, '#'
// (0x before hex) and a precision for strings (%.4s).
// No floating point (the kernel has no FPU state to use).
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace kernel {

// Like vsnprintf: writes at most size-1 characters and a terminating NUL,
// returns the number of characters written (not counting the NUL).
size_t vformat(char* buf, size_t size, const char* fmt, va_list args);
size_t format(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

} // namespace kernel
