// Cross-calls: run a function on another CPU (one, a set, all others, all),
// waiting for it to finish or not. Used for TLB shootdown, draining per-CPU
// caches, wake-ups and tests.
//
// How: every CPU owns a lock-free MPSC request queue (lockfree/mpsc_queue.h).
// A sender pushes a request and sends an Ipi::Call unless one is already on
// its way; the target's handler drains the queue with interrupts off. No
// global lock anywhere: the send path is one exchange on the target's queue
// plus one on its "IPI pending" flag.
//
// Requests are preallocated per (sender, target) pair, like Linux's per-CPU
// call_single_data: a sender reuses its slot for a target once the target has
// finished the previous call in it, so an asynchronous call never allocates
// and a flood of them is throttled per pair instead of exhausting memory.
//
// Rules:
//  - Functions run in interrupt context on the target: interrupts off, short,
//    no sleeping. They may send asynchronous cross-calls; they may wait for
//    one too (waiting polls the caller's own queue, so two CPUs waiting on
//    each other both make progress), but keep that for tests.
//  - The calling CPU itself is never interrupted for its own request: the
//    "all" variants run the function locally, directly (interrupts off).
//  - Only CPUs that are online are called; the others are skipped.
//  - A long loop on a CPU with interrupts off should call xcall_poll() so it
//    still serves requests (e.g. a self-test body itself run by a cross-call).
#pragma once

#include <stdint.h>

#include "smp/percpu.h"

namespace kernel {

using XcallFn = void (*)(void* arg);

enum class XcallWait : bool { No, Yes };

// A set of CPU indices (kernel::cpu_block numbering).
class CpuSet {
public:
    void add(uint32_t cpu) { words_[cpu / 64] |= uint64_t(1) << (cpu % 64); }
    void remove(uint32_t cpu) { words_[cpu / 64] &= ~(uint64_t(1) << (cpu % 64)); }
    bool has(uint32_t cpu) const { return words_[cpu / 64] >> (cpu % 64) & 1; }

private:
    uint64_t words_[smp::kMaxCpus / 64] = {};
};

// Allocates the request slots; after smp_init (needs the CPU count).
void xcall_init();

// Runs fn(arg) on `cpu` (directly if it is the caller's). Returns false if
// that CPU is not online (nothing ran).
bool xcall_one(uint32_t cpu, XcallFn fn, void* arg, XcallWait wait);
// Runs fn(arg) on every online CPU in `cpus` (the caller's too, if in it).
void xcall_set(const CpuSet& cpus, XcallFn fn, void* arg, XcallWait wait);
// Every online CPU but the caller.
void xcall_others(XcallFn fn, void* arg, XcallWait wait);
// Every online CPU, the caller included (it runs fn first, then waits).
void xcall_all(XcallFn fn, void* arg, XcallWait wait);

// Serves the caller's pending requests now; for long interrupts-off loops.
void xcall_poll();

// Counters for tests and statistics (racy snapshots).
struct XcallStats {
    uint64_t sent;    // requests queued by this CPU for others
    uint64_t ipis;    // IPIs it sent (fewer than `sent` when they coalesce)
    uint64_t handled; // requests it ran for others
};
XcallStats xcall_stats(uint32_t cpu);

// The arch's handler for Ipi::Call.
void on_call_ipi();

} // namespace kernel
