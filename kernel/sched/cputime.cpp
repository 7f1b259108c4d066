// Per-thread CPU time accounting (cputime.h).
#include "kernel/sched/cputime.h"

#include "arch/cpu.h"
#include "arch/time.h"
#include "kernel/sched/sched.h"

namespace kernel::sched::cputime {
namespace {

// Adds the interval since t's stamp to *bucket and restarts it. Interrupts
// off: a preemption between reading and writing the stamp would charge the
// same interval twice. The counter is read on whichever CPU t runs; a thread
// that migrated may see it a little behind the stamp (unsynchronised TSCs):
// charge nothing then rather than wrap.
void charge(Thread* t, uint64_t CpuTimes::*bucket) {
    const uint64_t now = arch::cycle_counter();
    CpuTimes& c = t->times;
    if (now > c.stamp)
        c.*bucket += now - c.stamp;
    c.stamp = now;
}

void charge_current(uint64_t CpuTimes::*bucket) {
    const arch::IrqState irq = arch::irq_save();
    if (Thread* t = current())
        charge(t, bucket);
    arch::irq_restore(irq);
}

} // namespace

void enter_from_user() {
    charge_current(&CpuTimes::user);
}

void return_to_user() {
    charge_current(&CpuTimes::system);
}

void switch_out(Thread* prev) {
    charge(prev, &CpuTimes::system);
    switch (prev->state.load(std::memory_order_relaxed)) {
    case ThreadState::Sleeping:
        prev->times.nvcsw++;
        break;
    case ThreadState::Runnable:
        prev->times.nivcsw++; // preempted or yielded (Linux counts sched_yield here too)
        break;
    default:
        break; // exiting
    }
}

void switch_in(Thread* next) {
    next->times.stamp = arch::cycle_counter();
}

void minor_fault() {
    const arch::IrqState irq = arch::irq_save();
    if (Thread* t = current())
        t->times.minflt++;
    arch::irq_restore(irq);
}

CpuTimes now() {
    const arch::IrqState irq = arch::irq_save();
    Thread* t = current();
    charge(t, &CpuTimes::system);
    const CpuTimes c = t->times;
    arch::irq_restore(irq);
    return c;
}

CpuTimes of(const Thread* t) {
    // Another thread's counters, as last charged: plain 64-bit fields that
    // only t writes, so a reader on another CPU sees each one whole.
    CpuTimes c;
    c.user = __atomic_load_n(&t->times.user, __ATOMIC_RELAXED);
    c.system = __atomic_load_n(&t->times.system, __ATOMIC_RELAXED);
    c.minflt = __atomic_load_n(&t->times.minflt, __ATOMIC_RELAXED);
    c.nvcsw = __atomic_load_n(&t->times.nvcsw, __ATOMIC_RELAXED);
    c.nivcsw = __atomic_load_n(&t->times.nivcsw, __ATOMIC_RELAXED);
    return c;
}

uint64_t to_ns(uint64_t cycles) {
    const uint64_t hz = arch::cycles_per_second();
    // Split so cycles * 1e9 cannot overflow.
    return cycles / hz * 1'000'000'000ull + cycles % hz * 1'000'000'000ull / hz;
}

} // namespace kernel::sched::cputime
