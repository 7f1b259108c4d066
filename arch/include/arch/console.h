// The boot console device (COM1 on PCs). Raw output only: kernel/console.h
// adds formatting and the lock that keeps CPUs' lines whole.
#pragma once

#include <stddef.h>

namespace arch {

void console_init();                              // program the device; safe to call once, early
void console_write(const char* text, size_t len); // blocking, polled, '\n' becomes "\r\n"

} // namespace arch
