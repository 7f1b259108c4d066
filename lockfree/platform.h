// lockfree/platform.h: what every lockfree/ structure needs from its environment.
//
// What: the `Platform` concept. Structures take the platform as a template parameter (never an
// #ifdef): the kernel passes its own implementation (arch code: GS-relative cpu id, cli/sti,
// preempt counter, pause), the host tests pass HostPlatform (lockfree/host/platform.h), where
// threads play CPUs, and model checks pass a tiny platform of their own.
// Keep it small: a kernel implementation is a few dozen lines.
//
// Required members of a Platform P (all static):
//   P::kMaxCpus                 compile-time capacity of per-CPU arrays (std::size_t)
//   P::max_cpus()    noexcept   number of CPU slots in use; fixed after init, <= kMaxCpus.
//                               Ids are dense: 0 <= cpu_id() < max_cpus().
//   P::cpu_id()      noexcept   id of the calling CPU. Stable only while pinned (a PreemptGuard
//                               or IrqGuard is held); otherwise only a hint.
//   P::cpu_relax()   noexcept   spin-wait hint (x86 `pause`).
//   P::PreemptGuard             RAII, non-copyable: no migration and no preemption while alive.
//                               Nests. Having one (`const PreemptGuard&`) is the proof of being
//                               pinned that per-CPU accessors ask for.
//   P::IrqGuard                 RAII, non-copyable: local interrupts off (and so pinned) while
//                               alive; restores the previous state. Nests.
//   P::assert_fail(expr, file, line)  [[noreturn]] report a broken invariant and stop.
//   P::wait(word, old)          block while `word` holds `old` (futex-like; may return
//                               spuriously; callers re-check in a loop). Must not be called
//                               with a guard held.
//   P::wake_all(word)           wake every waiter blocked in wait(word, ...).
//
// On top of wait/wake this header gives Event, an event count: wait_until(pred) / notify_all()
// with no lost wake-ups, for "sleep until the reaper list is non-empty"-style waits.
//
// Synchronisation table: platform functions are callable from any CPU concurrently. Guards are
// per-CPU (a guard belongs to the CPU/thread that made it and is destroyed there).
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace scythe::lf {

template <class P>
concept Platform = requires(const char* s, int line, std::atomic<std::uint32_t>& word,
                            std::uint32_t old) {
    { P::kMaxCpus } -> std::convertible_to<std::size_t>;
    { P::max_cpus() }
    noexcept->std::convertible_to<std::size_t>;
    { P::cpu_id() }
    noexcept->std::convertible_to<std::size_t>;
    { P::cpu_relax() }
    noexcept;
    {P::assert_fail(s, s, line)};
    {P::wait(word, old)};
    {P::wake_all(word)};
    typename P::PreemptGuard;
    typename P::IrqGuard;
    requires std::default_initializable<typename P::PreemptGuard>;
    requires std::default_initializable<typename P::IrqGuard>;
    requires !std::copy_constructible<typename P::PreemptGuard>;
    requires !std::copy_constructible<typename P::IrqGuard>;
};

// Debug checks (per-CPU slot index in range, owner CPU of a per-CPU queue handle) are on unless
// NDEBUG is defined; SCYTHE_LF_DEBUG=0/1 overrides. Invariants whose violation would corrupt
// memory (refcount underflow/saturation) use SCYTHE_LF_VERIFY, which is always on.
#ifndef SCYTHE_LF_DEBUG
#ifdef NDEBUG
#define SCYTHE_LF_DEBUG 0
#else
#define SCYTHE_LF_DEBUG 1
#endif
#endif

inline constexpr bool kDebugChecks = SCYTHE_LF_DEBUG != 0;

#define SCYTHE_LF_VERIFY(P, expr)                                                                  \
    do {                                                                                           \
        if (!(expr)) [[unlikely]]                                                                  \
            P::assert_fail(#expr, __FILE__, __LINE__);                                             \
    } while (0)

#define SCYTHE_LF_ASSERT(P, expr)                                                                  \
    do {                                                                                           \
        if constexpr (::scythe::lf::kDebugChecks)                                                  \
            SCYTHE_LF_VERIFY(P, expr);                                                             \
    } while (0)

// Event count: a waiter sleeps until a predicate on some other shared state holds; a waker
// changes that state, then calls notify_all(). No wake-up is lost: the waiter snapshots seq_
// before evaluating the predicate, and P::wait returns at once if seq_ moved since.
//
//   waiter: for (;;) { s = seq_.load(acquire); if (pred()) return; P::wait(seq_, s); }
//   waker:  <make pred true>; seq_.fetch_add(1, release); P::wake_all(seq_);
//
// If the waiter's load of seq_ reads the waker's increment, acquire/release makes the waker's
// state change visible to pred(). If it reads an older value, the increment comes later in seq_'s
// modification order, so P::wait(seq_, s) sees a different value (or is woken) and the loop
// re-checks.
//
// Synchronisation: wait_until and notify_all may run concurrently from any number of CPUs.
template <Platform P>
class Event {
public:
    template <class Pred>
    void wait_until(Pred&& pred) {
        for (;;) {
            // acquire: pairs with the release fetch_add in notify_all.
            std::uint32_t s = seq_.load(std::memory_order_acquire);
            if (pred())
                return;
            P::wait(seq_, s);
        }
    }

    void notify_all() noexcept {
        // release: pairs with the acquire load in wait_until, publishing the state change.
        seq_.fetch_add(1, std::memory_order_release);
        P::wake_all(seq_);
    }

private:
    std::atomic<std::uint32_t> seq_{0};
};

} // namespace scythe::lf
