// lockfree/percpu_counter.h: a counter split per CPU; add locally, sum on read.
//
// What: PerCpuCounter<P>: add(guard, delta) touches only the calling CPU's slot with a relaxed
// load and a relaxed store (no atomic RMW, no shared cache line); sum() adds up every slot.
// Use for statistics and "how many are alive" figures that are written on every fork/exit but
// read rarely (nr_threads, forks since boot, reaped count).
// When not: when a reader needs an exact value at an instant while writers run (sum() is not a
// snapshot: slots are read one by one), or to decide correctness (e.g. "is this the last one?":
// use refcount.h or one atomic).
//
// Synchronisation table:
//   add / inc / dec      owner CPU only, pinned by the guard. Not interrupt-safe: if IRQ handlers
//                        update the counter, every updater on that CPU must hold an IrqGuard.
//   sum, sum_clamped     any CPU, concurrent with add: each slot is read atomically, so the result
//                        is a sum of values each slot actually held, not a snapshot of all.
//   unsafe_reset         caller-serialised (no concurrent add or sum)
//
// Per-slot values may be negative (a thread forked on CPU 0 exits on CPU 1); only the sum means
// something. Slots are 64-bit: no overflow in practice.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "lockfree/percpu.h"
#include "lockfree/platform.h"

namespace scythe::lf {

template <Platform P, template <class> class Atom = std::atomic>
class PerCpuCounter {
public:
    using PreemptGuard = typename P::PreemptGuard;
    using IrqGuard = typename P::IrqGuard;

    void add(const PreemptGuard& g, std::int64_t delta) noexcept { bump(slots_.local(g), delta); }
    void add(const IrqGuard& g, std::int64_t delta) noexcept { bump(slots_.local(g), delta); }
    template <class G>
    void inc(const G& g) noexcept {
        add(g, 1);
    }
    template <class G>
    void dec(const G& g) noexcept {
        add(g, -1);
    }

    std::int64_t sum() const noexcept {
        std::int64_t total = 0;
        // relaxed: pairs with the relaxed stores in bump(); a statistic publishes nothing.
        slots_.for_each([&](std::size_t, const Atom<std::int64_t>& v) {
            total += v.load(std::memory_order_relaxed);
        });
        return total;
    }

    // sum() clamped at zero, for counts that are never negative in total but whose racy sum can be.
    std::int64_t sum_clamped() const noexcept {
        std::int64_t s = sum();
        return s < 0 ? 0 : s;
    }

    void unsafe_reset() noexcept {
        slots_.for_each(
            [](std::size_t, Atom<std::int64_t>& v) { v.store(0, std::memory_order_relaxed); });
    }

private:
    static void bump(Atom<std::int64_t>& v, std::int64_t delta) noexcept {
        // Owner-only read-modify-write as a relaxed load + relaxed store (two plain moves, no lock
        // prefix). relaxed: readers in sum() need each value atomically, not ordered with anything.
        v.store(v.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
    }

    PerCpu<Atom<std::int64_t>, P> slots_;
};

} // namespace scythe::lf
