// The seed design's one global lock (lifecycle=seed): the process tree, the
// pid table and the dead-process list all serialise on it, as OpenBSD 2017's
// deadproc mutex, pid table and process tree did (under the kernel lock).
#pragma once

#include "arch/cpu.h"
#include "kernel/proc/lifecycle.h"
#include "smp/spinlock.h"

namespace kernel::proc {

extern smp::SpinLock seed_lock;

class SeedGuard { // interrupts off while held
public:
    SeedGuard() : irq_(arch::irq_save()) { seed_lock.lock(); }
    ~SeedGuard() {
        seed_lock.unlock();
        arch::irq_restore(irq_);
    }
    SeedGuard(const SeedGuard&) = delete;
    SeedGuard& operator=(const SeedGuard&) = delete;

private:
    arch::IrqState irq_;
};

uint64_t pid_count();
void pid_remove(Process* p);
void register_rcu_hooks();

} // namespace kernel::proc
