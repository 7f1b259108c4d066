// Per-thread CPU time: user time runs from a return to user mode to the next
// entry into the kernel; system time is everything else the thread spends on
// a CPU (system calls, faults, interrupts that land while it runs). Each
// charge point reads the cycle counter once and adds the interval since the
// thread's stamp to one bucket (Thread::times); no lock, no shared line.
//
// Charge points: the arch calls enter_from_user() first thing on an entry
// from ring 3 (system call, interrupt, exception) and return_to_user() last
// thing before going back; the scheduler charges the outgoing thread at a
// switch (switch_out) and restamps the incoming one in the switch tail
// (switch_in). A thread's times are read by itself only (getrusage, exit).
#pragma once

#include <stdint.h>

#include "kernel/sched/thread.h"

namespace kernel::sched::cputime {

void enter_from_user(); // the interval just ended was user time
void return_to_user();  // the interval just ended was system time

// The scheduler, interrupts off: prev leaves its CPU (system time; a
// voluntary switch if it sleeps, involuntary if still runnable), next
// starts its interval.
void switch_out(Thread* prev);
void switch_in(Thread* next);

void minor_fault(); // the VM resolved a page fault for the running thread

// The calling thread's times, its running interval charged first (as
// system time: it is in the kernel to ask).
CpuTimes now();

// Another thread's times as last charged (getrusage of a threaded process).
CpuTimes of(const Thread* t);

uint64_t to_ns(uint64_t cycles);

} // namespace kernel::sched::cputime
