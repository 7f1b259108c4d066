// lockfree/host/platform.h: HostPlatform, the Platform (lockfree/platform.h) for host tests and
// benchmarks. Host-only (uses <cstdio>, <cstdlib>): the kernel never includes it.
//
// Threads play CPUs. A thread becomes "CPU n" by registering (HostCpu RAII, or
// register_thread()/unregister_thread()); ids come from a dense slot allocator (lowest free slot),
// so N registered threads hold ids 0..N-1 when none has left. A thread keeps its id until it
// unregisters: threads never migrate, so cpu_id() is stable with or without a guard.
// Calling cpu_id() from an unregistered thread is a bug and fails the assertion hook.
//
// Guards do not stop the host scheduler (they cannot); they only keep a per-thread nesting count
// so debug checks can ask "is this thread pinned?" (preempt_depth(), irq_depth()).
//
// wait/wake use C++20 std::atomic::wait/notify_all (a futex on Linux).
//
// cpu_relax() yields the host CPU every kYieldEvery calls: a kernel never preempts a spinlock
// holder, but the host scheduler does, and with more threads than cores a FIFO (ticket) lock
// whose holder or next-in-line was preempted would otherwise make every waiter behind it spin
// away a whole timeslice (benchmarks with 16 threads on 2 cores collapsed by 100x without it).
//
// assert_fail prints and aborts, unless a test installed a handler (set_assert_handler) that
// does not return, e.g. one that throws so a test can expect the failure in-process.
//
// Synchronisation table:
//   register_thread / unregister_thread / HostCpu   any threads concurrently (CAS on the slot)
//   cpu_id / guards / preempt_depth / irq_depth      calling thread only (thread-local state)
//   cpu_online(i), online_count()                    any thread; a racy snapshot
//   set_assert_handler                               before threads start (plain store)
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <sched.h>

#include "lockfree/platform.h"

namespace scythe::lf {

namespace host_detail {
struct alignas(64) Slot {
    std::atomic<bool> used{false};
};
struct Tls {
    int slot = -1;
    int preempt_depth = 0;
    int irq_depth = 0;
    unsigned relax_count = 0;
};
} // namespace host_detail

class HostPlatform {
public:
    static constexpr std::size_t kMaxCpus = 64;

    static std::size_t max_cpus() noexcept { return kMaxCpus; }

    static std::size_t cpu_id() noexcept {
        if (tls_.slot < 0) [[unlikely]]
            assert_fail("thread registered as a CPU (HostCpu)", __FILE__, __LINE__);
        return static_cast<std::size_t>(tls_.slot);
    }

    static constexpr unsigned kYieldEvery = 64;

    // Spins for cpu_relax-based loops before lockfree/ blocks in wait() (see Rcu::wait_for):
    // a grace period usually ends within microseconds; a futex sleep costs a timeslice.
    static constexpr unsigned kSpinBeforeBlock = 128;

    static void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if (++tls_.relax_count % kYieldEvery == 0)
            sched_yield();
    }

    // Claims the lowest free CPU slot for the calling thread. Returns its id.
    static std::size_t register_thread() noexcept {
        if (tls_.slot >= 0)
            assert_fail("thread registered twice", __FILE__, __LINE__);
        for (std::size_t i = 0; i < kMaxCpus; ++i) {
            bool expected = false;
            // acquire: pairs with the release store in unregister_thread, so the previous owner's
            // writes to this CPU's per-CPU data are visible to the new owner.
            if (!slots_[i].used.load(std::memory_order_relaxed) &&
                slots_[i].used.compare_exchange_strong(expected, true, std::memory_order_acquire,
                                                       std::memory_order_relaxed)) {
                tls_.slot = static_cast<int>(i);
                return i;
            }
        }
        assert_fail("more host threads registered than HostPlatform::kMaxCpus", __FILE__, __LINE__);
    }

    static void unregister_thread() noexcept {
        if (tls_.slot < 0)
            assert_fail("unregister of an unregistered thread", __FILE__, __LINE__);
        if (tls_.preempt_depth != 0 || tls_.irq_depth != 0)
            assert_fail("unregister with a guard held", __FILE__, __LINE__);
        // release: pairs with the acquire CAS in register_thread (hand-over of per-CPU data).
        slots_[static_cast<std::size_t>(tls_.slot)].used.store(false, std::memory_order_release);
        tls_.slot = -1;
    }

    static bool is_registered() noexcept {
        return tls_.slot >= 0;
    }

    // Racy snapshots for code that scans all CPUs (e.g. RCU may skip offline slots).
    static bool cpu_online(std::size_t id) noexcept {
        // acquire: pairs with the acquire CAS / release store above.
        return id < kMaxCpus && slots_[id].used.load(std::memory_order_acquire);
    }
    static std::size_t online_count() noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i < kMaxCpus; ++i)
            n += cpu_online(i) ? 1 : 0;
        return n;
    }

    class PreemptGuard {
    public:
        PreemptGuard() noexcept { ++tls_.preempt_depth; }
        ~PreemptGuard() { --tls_.preempt_depth; }
        PreemptGuard(const PreemptGuard&) = delete;
        PreemptGuard& operator=(const PreemptGuard&) = delete;
    };

    class IrqGuard {
    public:
        IrqGuard() noexcept { ++tls_.irq_depth; }
        ~IrqGuard() { --tls_.irq_depth; }
        IrqGuard(const IrqGuard&) = delete;
        IrqGuard& operator=(const IrqGuard&) = delete;
    };

    static int preempt_depth() noexcept {
        return tls_.preempt_depth + tls_.irq_depth;
    }
    static int irq_depth() noexcept {
        return tls_.irq_depth;
    }

    using AssertHandler = void (*)(const char* expr, const char* file, int line);
    static void set_assert_handler(AssertHandler h) noexcept {
        handler_ = h;
    }

    [[noreturn]] static void assert_fail(const char* expr, const char* file, int line) {
        if (handler_ != nullptr)
            handler_(expr, file, line); // may throw (host tests)
        std::fprintf(stderr, "%s:%d: scythe::lf assertion failed: %s\n", file, line, expr);
        std::fflush(stderr);
        std::abort();
    }

    static void wait(std::atomic<std::uint32_t>& word, std::uint32_t old) {
        if (tls_.preempt_depth != 0 || tls_.irq_depth != 0)
            assert_fail("HostPlatform::wait with a guard held", __FILE__, __LINE__);
        // seq_cst (default): the value check and the block are atomic w.r.t. notify_all.
        word.wait(old);
    }

    static void wake_all(std::atomic<std::uint32_t>& word) {
        word.notify_all();
    }

private:
    using Slot = host_detail::Slot;
    using Tls = host_detail::Tls;

    static inline Slot slots_[kMaxCpus]{};
    static inline thread_local Tls tls_{};
    static inline AssertHandler handler_ = nullptr;
};

static_assert(Platform<HostPlatform>);

// RAII registration of the calling thread as a CPU for its lifetime.
class HostCpu {
public:
    HostCpu() noexcept : id_(HostPlatform::register_thread()) {}
    ~HostCpu() { HostPlatform::unregister_thread(); }
    HostCpu(const HostCpu&) = delete;
    HostCpu& operator=(const HostCpu&) = delete;
    std::size_t id() const noexcept { return id_; }

private:
    std::size_t id_;
};

} // namespace scythe::lf
