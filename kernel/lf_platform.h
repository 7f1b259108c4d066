// The kernel's implementation of lockfree/'s Platform concept
// (lockfree/platform.h): what the lock-free structures need from the kernel.
//
// PreemptGuard raises the scheduler's preempt counter (kernel/sched/preempt.h):
// no switch on this CPU while it lives. wait() yields the CPU between checks
// of the word when the caller may block (so the thread that will change it
// can run here), and spins otherwise; wake_all() has nothing to do. A real
// sleep (a wait queue hashed by address) needs wake_all() to be callable
// from the context-switch path without the run-queue lock, so it waits for
// where RCU's quiescent-state hook lands.
#pragma once

#include <atomic>
#include <stddef.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/sched/preempt.h"
#include "kernel/sched/sched.h"
#include "lockfree/platform.h"
#include "smp/percpu.h"

namespace kernel {

struct LfPlatform {
    static constexpr size_t kMaxCpus = smp::kMaxCpus;
    static size_t max_cpus() noexcept { return cpus_enumerated(); }
    static size_t cpu_id() noexcept { return arch::this_cpu_id(); }
    static void cpu_relax() noexcept { arch::cpu_relax(); }

    class PreemptGuard {
    public:
        PreemptGuard() { sched::preempt_disable(); }
        ~PreemptGuard() { sched::preempt_enable(); }
        PreemptGuard(const PreemptGuard&) = delete;
        PreemptGuard& operator=(const PreemptGuard&) = delete;
    };

    class IrqGuard {
    public:
        IrqGuard() : saved_(arch::irq_save()) {}
        ~IrqGuard() { arch::irq_restore(saved_); }
        IrqGuard(const IrqGuard&) = delete;
        IrqGuard& operator=(const IrqGuard&) = delete;

    private:
        arch::IrqState saved_;
    };

    [[noreturn]] static void assert_fail(const char* expr, const char* file, int line) {
        panic("lockfree assertion failed: %s at %s:%d", expr, file, line);
    }

    static void wait(std::atomic<uint32_t>& word, uint32_t old) {
        // acquire: pairs with the waker's release (see lf::Event).
        while (word.load(std::memory_order_acquire) == old) {
            if (sched::can_block())
                sched::yield();
            else
                arch::cpu_relax();
        }
    }
    static void wake_all(std::atomic<uint32_t>&) {}
};

static_assert(scythe::lf::Platform<LfPlatform>);

} // namespace kernel
