// The kernel's implementation of lockfree/'s Platform concept
// (lockfree/platform.h): what the lock-free structures need from the kernel.
//
// PreemptGuard raises the scheduler's preempt counter (kernel/sched/preempt.h):
// no switch on this CPU while it lives. wait() sleeps on a wait queue hashed
// by the word's address (kernel/sched/word_wait.h) when the caller may block
// and returns after a pause otherwise; wake_all() wakes that queue, from any
// context that holds no run-queue lock (the scheduler's switch-tail and idle
// hooks hold none).
#pragma once

#include <atomic>
#include <stddef.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/sched/preempt.h"
#include "kernel/sched/word_wait.h"
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

    static void wait(std::atomic<uint32_t>& word, uint32_t old) { sched::wait_on_word(word, old); }
    static void wake_all(std::atomic<uint32_t>& word) { sched::wake_word(word); }
};

static_assert(scythe::lf::Platform<LfPlatform>);

} // namespace kernel
