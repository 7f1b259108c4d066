// The kernel command line (QEMU -append, GRUB's multiboot line).
//
// Words are separated by spaces: `key=value` or a bare `flag`. A word the
// kernel does not know is reported once at boot and otherwise ignored. The
// first word is skipped when it is the image path that Multiboot loaders put
// there (no '=' and not a known option).
//
// Options:
//   console=ttyS0        boot console; COM1 is the only one (other values warn)
//   quiet                only the summary, warnings and errors on the console
//   test=NAME            run a boot self-test instead of the normal end of boot:
//                          panic  panic from a chain of functions (checks backtraces)
//                          fault  read an unmapped address (checks the page-fault report)
//                          ipi    the boot CPU sends an IPI to every other; all must answer
//                          heap   kmalloc/kfree and new/delete over all size classes
//                          overflow  overflow the stack into its guard page (double fault)
//                          ap_panic  the last CPU panics in an IPI handler; the others stop
//                          lockup  the last CPU spins with interrupts off; the watchdog
//                                  must panic naming it (kernel/watchdog.h)
//   maxcpus=N            bring up at most N CPUs, the boot CPU included
//   smp_timeout_ms=N     how long the boot CPU waits for the others (default 10000)
//   nox2apic             use xAPIC (MMIO) even when the CPU offers x2APIC
//   init=PATH, rdinit=PATH  the initramfs program to run as pid 1 (default /init);
//                        other words go to it as Linux passes them (kernel/user/init_args.h)
//   lifecycle=scalable|seed  the process lifecycle design (kernel/proc/lifecycle.h):
//                        scalable (default) has no global lock on fork -> exit -> reap ->
//                        wait; seed is the OpenBSD-2017-shaped baseline (one global lock,
//                        one dead list, one reaper) kept to measure against
//   watchdog_s=N         lockup watchdog (kernel/watchdog.h): panic with every CPU's
//                        backtrace when a CPU has not ticked, or no CPU has switched
//                        threads, for N seconds; 0 turns it off. Default 20 with test=,
//                        off otherwise
//   pid_max=N            pids wrap around below N (301 .. 4194304, default 32768, as
//                        Linux's kernel.pid_max); kernel/proc/pid_alloc.h
//   fail_fork=N          debugging: every Nth fork by a process other than init fails
//                        with ENOMEM at its process, address-space or thread step in turn
#pragma once

#include <stdint.h>

namespace kernel::cmdline {

void parse(const char* text);          // copies text
void report_problems();                // unknown words (each once), unsupported values
const char* raw();                     // the whole line as received
bool is_kernel_word(const char* word); // its key is one of the options above (init's args skip it)

// "key=value" -> "value"; bare "key" -> ""; absent -> nullptr. Last one wins.
const char* value(const char* key);
bool has(const char* key);
uint64_t number(const char* key, uint64_t fallback); // fallback when absent or not a number
bool equals(const char* key, const char* expected);

} // namespace kernel::cmdline
