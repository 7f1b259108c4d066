// lockfree/percpu.h: PerCpu<T, P>, one T per CPU, each on its own cache line(s).
//
// What: a fixed array of P::kMaxCpus cache-aligned slots. The CPU that owns a slot reaches it with
// local(guard): the guard argument is the proof that the caller is pinned (no migration between
// reading cpu_id() and using the slot). Other CPUs reach a slot only through remote(cpu) or
// for_each, meant for read-mostly or summing uses where T itself is safe to read concurrently
// (atomics), or for caller-serialised cases (CPU offline, init).
// When to use: data written mostly by its own CPU (counters, caches, queues). When not: data that
// other CPUs write often (the line would bounce anyway: use one shared structure).
//
// Synchronisation table:
//   local(guard)           owner CPU only, while the guard lives (debug builds check cpu_id())
//   remote(cpu), for_each  any CPU; only safe if T's members are atomics read with the orderings
//                          T documents, or if the caller serialises with the owner
//   Relaxed/plain accesses to the owner's slot need no ordering against other CPUs: only the owner
//   touches it; T decides what is shared.
#pragma once

#include <cstddef>

#include "lockfree/cache.h"
#include "lockfree/platform.h"

namespace scythe::lf {

template <class T, Platform P>
class PerCpu {
public:
    using PreemptGuard = typename P::PreemptGuard;
    using IrqGuard = typename P::IrqGuard;

    PerCpu() = default;
    PerCpu(const PerCpu&) = delete;
    PerCpu& operator=(const PerCpu&) = delete;

    // The calling CPU's slot. The guard must be alive for as long as the reference is used.
    T& local(const PreemptGuard&) noexcept { return slot(P::cpu_id()); }
    T& local(const IrqGuard&) noexcept { return slot(P::cpu_id()); }

    // Another CPU's slot: see the synchronisation table.
    T& remote(std::size_t cpu) noexcept { return slot(cpu); }
    const T& remote(std::size_t cpu) const noexcept {
        SCYTHE_LF_ASSERT(P, cpu < P::max_cpus());
        return slots_[cpu].value;
    }

    // f(cpu, T&) for every CPU slot in use (0 .. max_cpus()-1).
    template <class F>
    void for_each(F&& f) {
        for (std::size_t cpu = 0; cpu < P::max_cpus(); ++cpu)
            f(cpu, slots_[cpu].value);
    }
    template <class F>
    void for_each(F&& f) const {
        for (std::size_t cpu = 0; cpu < P::max_cpus(); ++cpu)
            f(cpu, slots_[cpu].value);
    }

private:
    T& slot(std::size_t cpu) noexcept {
        SCYTHE_LF_ASSERT(P, cpu < P::max_cpus());
        return slots_[cpu].value;
    }

    static_assert(P::kMaxCpus > 0);
    CacheAligned<T> slots_[P::kMaxCpus]{};
};

} // namespace scythe::lf
