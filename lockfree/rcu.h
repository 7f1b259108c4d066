// lockfree/rcu.h: RCU, quiescent-state-based (QSBR) flavour, templated on the Platform.
//
// What: readers run read-side sections that cost nothing (read_lock/read_unlock are a compiler
// barrier, plus a nesting counter in debug builds); updaters unpublish an object and free it
// only after a grace period, i.e. after every CPU has passed a quiescent state (a point where it
// holds no RCU-protected reference). The platform reports quiescent states: the kernel at
// context switch, idle and return to user; host threads by calling quiescent_state() themselves
// (like urcu-qsbr). A CPU may go offline (extended quiescent state: idle without a tick, a host
// thread that blocks or exits) so that it does not stall grace periods.
//
// When to use: read-mostly data reached through pointers (the pid hash), where readers must not
// write shared memory. When not: when a reader must block inside its section (QSBR readers
// cannot), or when memory must be reclaimed with a bound on how much is pending (use refcounts);
// or when the code that would report quiescent states cannot be guaranteed to run.
//
// How it works:
//   gp_       the grace-period sequence (starts at 1). Starting a grace period is one RMW
//             (fetch_add) on it. It is only ever modified by RMWs, so it forms one release
//             sequence: whoever reads value g synchronises with every increment up to g.
//   ctr[cpu]  per CPU, own cache line: 0 = offline (or quiet while waiting); otherwise the last
//             value of gp_ this CPU observed at a quiescent state.
//   A grace period g is complete once every CPU is offline or has ctr >= g. Detection is a scan
//   of all ctr (no lock, nothing written unless progress is made) and the result is kept in
//   completed_. Nobody runs a grace-period thread: whoever needs one (synchronize, barrier, a CPU
//   with pending callbacks at its quiescent state) scans; "whoever waits advances".
//   Callbacks: each CPU keeps three FIFO segments, Linux-segcblist style: next (queued, no
//   grace period yet), ready (waiting for target t2), wait (waiting for target t1 <= t2). One
//   fetch_add on gp_ closes a whole batch. Completed segments are invoked by the CPU that queued
//   them, from quiescent_state() or process_callbacks(). A CPU going offline hands its callbacks
//   to a global orphan list (under a ticket lock; rare) that any CPU's process_callbacks runs.
//   barrier() snapshots per-CPU queued counters and waits until each CPU's done counter (invoked
//   or handed over, in FIFO order) reaches it, then the same for the orphan list.
//
// Compared with liburcu (urcu-qsbr): the same reader protocol (a per-reader counter copied from
// a global one), but readers are CPU slots, not a registered-thread list under a mutex;
// synchronize needs no global mutex (concurrent callers share grace periods); call_rcu batches
// are per CPU and run by the queuing CPU instead of by call_rcu worker threads. Compared with
// Linux Tree RCU: no hierarchy of rcu_node bitmasks (a flat scan, fine up to a few dozen CPUs),
// no grace-period kthread, no forced quiescent states: a CPU that stays online without reporting
// stalls grace periods (detect that with a watchdog on gp_seq() vs gp_completed()).
//
// Memory ordering of the handshake (the model test checks it with Relacy):
//   updater:  unpublish (any order) ; t = gp_.fetch_add(1) [seq_cst]
//             ; scan: ctr[i].load [acquire, seq_cst by default] until all >= t or 0 ; free.
//   reader:   section loads ; quiescent: g = gp_.load [acquire] ; ctr.store(g) [release,
//             seq_cst by default].
//   A scan that sees ctr >= t synchronises with the reader's store (its section is over); the
//   reader's load of g >= t synchronised with the increment (the release sequence of gp_), so
//   its later sections cannot see the unpublished pointer. online() writes a non-zero sentinel
//   before an RMW on gp_, so a scan either sees it online or it saw the unpublishing.
//   No atomic_thread_fence anywhere (TSan does not model fences; GCC 12 warns): every edge is an
//   atomic operation, so TSan sees the same happens-before the proof uses.
//
// Driving it (kernel): each CPU calls online() once when it starts scheduling; the scheduler
// calls note_quiescent() at every context switch (a voluntary one, or a preemption outside any
// section: sections are non-preemptible, see ReadGuard); the idle loop calls process_callbacks()
// and then offline() before halting without a tick, online() after waking; return to user calls
// quiescent_state() (report + run callbacks). P::wake_all may be called from all of these
// (note_quiescent wakes synchronize() waiters), so the kernel's wake_all must be safe in the
// context-switch path with interrupts off (e.g. set a flag / defer to the wakee's CPU).
// Driving it (host): each thread registers a CPU slot (HostCpu), calls online(), reports
// quiescent_state() between sections, and calls offline() before it blocks on anything that is
// not synchronize()/barrier(), and before it exits.
//
// Synchronisation table ("this CPU" = the caller's CPU slot, P::cpu_id()):
//   read_lock / read_unlock       any CPU, concurrently with everything; no-op on the fast path.
//   quiescent_state / note_quiescent   this CPU only, outside any section; concurrent with all
//                                 other CPUs' operations.
//   online / offline              this CPU only, outside any section.
//   call_rcu                      this CPU (any context, including interrupts: IrqGuard); the
//                                 head must not be queued twice.
//   process_callbacks             this CPU, outside any section; not re-entered from callbacks.
//   synchronize / barrier         any CPU slot (online or not), outside any section; may block
//                                 (P::wait, no guard held); never from a callback.
//   stats (gp_seq, ...)           anyone; racy snapshots.
// Callbacks run with no lock held, pinned (PreemptGuard), outside any read-side section.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "lockfree/cache.h"
#include "lockfree/platform.h"
#include "lockfree/spin.h"

namespace scythe::lf {

// Intrusive callback head, embedded in the object to be reclaimed (two words, like Linux's).
struct RcuHead {
    RcuHead* next = nullptr;
    void (*fn)(RcuHead*) = nullptr;
};

// Memory orders of the reader <-> grace-period-detector handshake. A policy only so that the
// Relacy model can show that weaker orders break it; production code uses the default.
struct RcuOrders {
    // Reader's report of a quiescent state (and of going offline). Release is what the proof
    // needs (pairs with `scan`); seq_cst because the waiter wake-up protocol (waiters_) is a
    // store-buffering pattern. It runs once per grace period per CPU, not per section.
    static constexpr std::memory_order report = std::memory_order_seq_cst;
    // Detector's load of a CPU's counter. Acquire is what the proof needs (pairs with `report`);
    // seq_cst for the wake-up protocol (a plain load on x86 anyway).
    static constexpr std::memory_order scan = std::memory_order_seq_cst;
};

// rcu_dereference / rcu_assign_pointer for an atomic pointer.
template <class A>
auto rcu_dereference(const A& p) noexcept {
    // acquire (in place of consume): pairs with the release store in rcu_assign_pointer, so the
    // pointee's initialisation is visible.
    return p.load(std::memory_order_acquire);
}
template <class A, class T>
void rcu_assign_pointer(A& p, T v) noexcept {
    // release: pairs with the acquire load in rcu_dereference.
    p.store(v, std::memory_order_release);
}

template <Platform P, template <class> class Atom = std::atomic, class Orders = RcuOrders>
class Rcu {
public:
    using platform_type = P;
    using Callback = void (*)(RcuHead*);

    constexpr Rcu() noexcept : gp_(1), waiters_(0), completed_(1), wake_seq_(0) {} // constinit-able
    Rcu(const Rcu&) = delete;
    Rcu& operator=(const Rcu&) = delete;

    // ---- read side -------------------------------------------------------------------------
    // A section must not contain a quiescent state: in the kernel, no voluntary context switch and
    // no preemption that reports one (hold preemption off in preemptible code: ReadGuard does).
    void read_lock() noexcept {
        if constexpr (kDebugChecks) {
            auto& c = *cbs_[P::cpu_id()];
            SCYTHE_LF_VERIFY(P, c.online); // an offline CPU's sections are not waited for
            ++c.nesting;
        }
        std::atomic_signal_fence(std::memory_order_seq_cst); // compiler barrier only
    }
    void read_unlock() noexcept {
        std::atomic_signal_fence(std::memory_order_seq_cst); // compiler barrier only
        if constexpr (kDebugChecks) {
            auto& c = *cbs_[P::cpu_id()];
            SCYTHE_LF_VERIFY(P, c.nesting > 0);
            --c.nesting;
        }
    }
    bool in_read_section() const noexcept { return cbs_[P::cpu_id()]->nesting > 0; } // debug only

    // Pinned (PreemptGuard) read-side section, for preemptible code.
    class [[nodiscard]] ReadGuard {
    public:
        explicit ReadGuard(Rcu& r) noexcept : rcu_(r) { rcu_.read_lock(); }
        ~ReadGuard() { rcu_.read_unlock(); }
        ReadGuard(const ReadGuard&) = delete;
        ReadGuard& operator=(const ReadGuard&) = delete;

    private:
        typename P::PreemptGuard pin_;
        Rcu& rcu_;
    };

    // ---- quiescent states ------------------------------------------------------------------
    // Report a quiescent state and run this CPU's completed callbacks.
    void quiescent_state() noexcept {
        note_quiescent();
        if (has_local_callbacks() || orphans_pending_.load(std::memory_order_relaxed))
            process_callbacks();
    }

    // Report only (for contexts that must not run callbacks, e.g. inside the scheduler).
    // Fast path: one load of gp_ (shared, read-mostly), one load of our own counter.
    void note_quiescent() noexcept {
        [[maybe_unused]] typename P::PreemptGuard pin;
        const std::size_t cpu = P::cpu_id();
        assert_not_in_section(cpu);
        auto& ctr = readers_[cpu]->ctr;
        // acquire: pairs with the seq_cst fetch_add in start_gp() (via the release sequence of
        // gp_): whatever an updater unpublished before starting grace period g is invisible to our
        // sections after we observe g.
        const std::uint64_t g = gp_.load(std::memory_order_acquire);
        // relaxed: our own counter, only we write it.
        const std::uint64_t c = ctr.load(std::memory_order_relaxed);
        if (c == g || !cbs_[cpu]->online)
            return; // offline: nothing to report
        report(ctr, g);
    }

    // Leave the extended quiescent state. Costs one RMW on gp_ (rare: idle exit, thread start).
    void online() noexcept {
        [[maybe_unused]] typename P::PreemptGuard pin;
        const std::size_t cpu = P::cpu_id();
        SCYTHE_LF_ASSERT(P, !cbs_[cpu]->online);
        cbs_[cpu]->online = true;
        rejoin(cpu);
    }

    // Enter the extended quiescent state: this CPU holds no references until online() and does
    // not stall grace periods. Its pending callbacks go to the orphan list (run by other CPUs).
    void offline() noexcept {
        [[maybe_unused]] typename P::PreemptGuard pin;
        const std::size_t cpu = P::cpu_id();
        assert_not_in_section(cpu);
        SCYTHE_LF_ASSERT(P, cbs_[cpu]->online);
        {
            [[maybe_unused]] typename P::IrqGuard irq;
            orphan_all(*cbs_[cpu]);
            cbs_[cpu]->online = false;
        }
        report(readers_[cpu]->ctr, kOffline);
    }

    bool is_online() const noexcept { return cbs_[P::cpu_id()]->online; }

    // RAII online..offline, for host threads.
    class [[nodiscard]] OnlineScope {
    public:
        explicit OnlineScope(Rcu& r) noexcept : rcu_(r) { rcu_.online(); }
        ~OnlineScope() { rcu_.offline(); }
        OnlineScope(const OnlineScope&) = delete;
        OnlineScope& operator=(const OnlineScope&) = delete;

    private:
        Rcu& rcu_;
    };

    // ---- callbacks -------------------------------------------------------------------------
    // Queue fn(head) to run after a grace period that starts after this call. Per-CPU FIFO.
    void call_rcu(RcuHead* head, Callback fn) noexcept {
        head->fn = fn;
        head->next = nullptr;
        [[maybe_unused]] typename P::IrqGuard irq;
        auto& c = *cbs_[P::cpu_id()];
        if (!c.online) {
            // An offline CPU will not process callbacks: hand this one over at once.
            CbQueue one;
            one.push(head);
            bump(c.queued, 1);
            orphan_queue(one);
            bump(c.done, 1);
            return;
        }
        c.next.push(head);
        bump(c.queued, 1);
    }

    // Run this CPU's callbacks whose grace period has completed (scanning for completion if
    // needed), then any completed orphans. Returns the number invoked.
    std::size_t process_callbacks() noexcept {
        [[maybe_unused]] typename P::PreemptGuard pin;
        auto& c = *cbs_[P::cpu_id()];
        if (c.invoking)
            return 0; // called from inside a callback
        c.invoking = true;
        std::size_t total = 0;
        for (;;) {
            CbQueue done;
            {
                [[maybe_unused]]
                typename P::IrqGuard irq; // call_rcu from an interrupt touches c.next
                advance(c, done);
            }
            if (done.empty()) {
                if (c.wait.empty() || !scan(c.wait.target))
                    break;
                continue;
            }
            const std::uint64_t n = invoke(done);
            total += n;
            bump(c.invoked, n);
            bump(c.done, n);
            wake_waiters();
        }
        total += process_orphans();
        c.invoking = false;
        return total;
    }

    // ---- waiting ---------------------------------------------------------------------------
    // Wait until a grace period has elapsed: every section running when this was called is over.
    // The caller must not be in a section. It reports a quiescent state for its CPU each time it
    // wakes (so it never holds up its own grace period, and a newer one only until it is woken:
    // starting a grace period wakes waiters). Its CPU is not taken offline: in the kernel the CPU
    // runs other threads while this one sleeps, and their context switches report for it.
    void synchronize() noexcept {
        const std::uint64_t t = start_gp();
        wait_for([&] {
            note_quiescent();
            if (has_local_callbacks())
                process_callbacks();
            return scan(t);
        });
    }

    // rcu_barrier: wait until every callback queued (on any CPU) before this call has run.
    // Needs every online CPU to keep reporting quiescent states / processing callbacks.
    void barrier() noexcept {
        const std::size_t n = P::max_cpus();
        std::uint64_t snap[P::kMaxCpus];
        // acquire: pairs with the release in bump(queued): a call_rcu that happened before us is
        // counted.
        for (std::size_t i = 0; i < n; ++i)
            snap[i] = cbs_[i]->queued.load(std::memory_order_acquire);
        bool cpus_done = false;
        std::uint64_t orphan_snap = 0;
        wait_for([&] {
            note_quiescent(); // as in synchronize()
            process_callbacks();
            if (!cpus_done) {
                for (std::size_t i = 0; i < n; ++i) {
                    // seq_cst: pairs with bump(done) (release) and is the waiter side of the
                    // store-buffering wake-up protocol.
                    if (cbs_[i]->done.load(std::memory_order_seq_cst) < snap[i])
                        return false;
                }
                cpus_done = true;
                // Every pre-barrier callback is now invoked or in the orphan list; handing over
                // bumps orphan_queued_ before the CPU's done counter, so this load sees those
                // hand-overs.
                orphan_snap = orphans_->queued.load(std::memory_order_acquire);
            }
            return orphans_->invoked.load(std::memory_order_seq_cst) >= orphan_snap;
        });
    }

    // ---- polling (get_state_synchronize_rcu / poll_state_synchronize_rcu) ---------------------
    std::uint64_t start_poll() noexcept { return start_gp(); }
    bool poll(std::uint64_t cookie) noexcept { return scan(cookie); }

    // ---- stats (racy snapshots) ------------------------------------------------------------
    std::uint64_t gp_seq() const noexcept { return gp_.load(std::memory_order_relaxed) - 1; }
    std::uint64_t gp_completed() const noexcept {
        return completed_.load(std::memory_order_relaxed) - 1;
    }
    std::uint64_t callbacks_queued() const noexcept {
        std::uint64_t s = 0;
        for (std::size_t i = 0; i < P::max_cpus(); ++i)
            s += cbs_[i]->queued.load(std::memory_order_relaxed);
        return s;
    }
    std::uint64_t callbacks_invoked() const noexcept {
        std::uint64_t s = orphans_->invoked.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < P::max_cpus(); ++i)
            s += cbs_[i]->invoked.load(std::memory_order_relaxed);
        return s;
    }

private:
    static constexpr std::uint64_t kOffline = 0;
    static constexpr std::uint64_t kJoining = 1; // online, gp not yet known (< any target)

    struct CbQueue {
        RcuHead* head = nullptr;
        RcuHead* tail = nullptr;
        std::uint64_t n = 0;
        std::uint64_t target = 0; // grace period this segment waits for (wait/ready only)
        bool empty() const noexcept { return head == nullptr; }
        void push(RcuHead* h) noexcept {
            h->next = nullptr;
            if (tail != nullptr)
                tail->next = h;
            else
                head = h;
            tail = h;
            ++n;
        }
        void append(CbQueue& o) noexcept { // o is left empty
            if (o.empty())
                return;
            if (tail != nullptr)
                tail->next = o.head;
            else
                head = o.head;
            tail = o.tail;
            n += o.n;
            o = CbQueue{};
        }
    };

    struct Reader {
        Atom<std::uint64_t> ctr{0}; // written by the owner, read by every scan
    };

    struct CpuCallbacks { // owner-only except the counters
        CbQueue wait, ready, next;
        Atom<std::uint64_t> queued{0};  // call_rcu count; read by barrier()
        Atom<std::uint64_t> done{0};    // invoked or handed over, FIFO; read by barrier()
        Atom<std::uint64_t> invoked{0}; // stats
        int nesting = 0;                // debug read-side nesting
        bool online = false;
        bool invoking = false;
    };

    struct Orphans {
        TicketLock<P, Atom> lock;
        CbQueue closed;                 // target fixed; invoked first
        CbQueue open;                   // hand-overs append here, raising its target
        Atom<std::uint64_t> queued{0};  // ever handed over
        Atom<std::uint64_t> invoked{0}; // ever invoked, FIFO
    };

    // Owner-only (or lock-held) counter bump. Release at least: pairs with the loads in
    // barrier(); seq_cst as the waker half of the wake-up protocol (wake_waiters follows).
    static void bump(Atom<std::uint64_t>& a, std::uint64_t n) noexcept {
        a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_seq_cst);
    }

    void assert_not_in_section([[maybe_unused]] std::size_t cpu) const noexcept {
        SCYTHE_LF_ASSERT(P, cbs_[cpu]->nesting == 0);
    }

    bool has_local_callbacks() const noexcept {
        [[maybe_unused]] typename P::PreemptGuard pin;
        const auto& c = *cbs_[P::cpu_id()];
        return !c.wait.empty() || !c.ready.empty() || !c.next.empty();
    }

    std::uint64_t start_gp() noexcept {
        // seq_cst RMW: everything the caller unpublished before this point is released to every
        // CPU whose quiescent state observes this value or a later one (gp_ is RMW-only, so later
        // values continue this release sequence).
        const std::uint64_t t = gp_.fetch_add(1, std::memory_order_seq_cst) + 1;
        // A waiter asleep in wait_for() holds a stale counter for its CPU: wake it to refresh it,
        // or this new grace period would wait for its next wake-up.
        wake_waiters();
        return t;
    }

    // Publish a new value of this CPU's counter, then wake waiters if any.
    void report(Atom<std::uint64_t>& ctr, std::uint64_t v) noexcept {
        // Orders::report (release at least): pairs with the Orders::scan load in scan(): the
        // sections this CPU ran before this point happen before the scanner's frees.
        ctr.store(v, Orders::report);
        wake_waiters();
    }

    void wake_waiters() noexcept {
        // seq_cst: store-buffering pair with waiters_.fetch_add in wait_for(): either we see the
        // waiter, or its next check sees our store.
        if (waiters_.load(std::memory_order_seq_cst) != 0) {
            // release: pairs with the acquire load of wake_seq_ in wait_for().
            wake_seq_.fetch_add(1, std::memory_order_release);
            P::wake_all(wake_seq_);
        }
    }

    // Become visible to scans again after an extended quiescent state.
    void rejoin(std::size_t cpu) noexcept {
        auto& ctr = readers_[cpu]->ctr;
        // relaxed: published by the acq_rel RMW just below. A scan whose snapshot of gp_ is at or
        // after that RMW in gp_'s modification order synchronises with it and so reads kJoining or
        // later (never the old 0); a scan that read an earlier gp_ value checks an older target,
        // whose unpublishing our RMW (acquire) made visible to us.
        ctr.store(kJoining, std::memory_order_relaxed);
        // acq_rel RMW (adds 0): joins gp_'s release sequence both ways; see above.
        const std::uint64_t g = gp_.fetch_add(0, std::memory_order_acq_rel);
        report(ctr, g);
    }

    // True once grace period `target` has completed; scans all CPUs if needed.
    bool scan(std::uint64_t target) noexcept {
        // acquire: pairs with the release CAS below (by us or another scanner).
        std::uint64_t done = completed_.load(std::memory_order_acquire);
        if (done >= target)
            return true;
        // Snapshot gp_ first. acquire: synchronises with every RMW on gp_ up to this value,
        // including a rejoin()'s, whose kJoining store we then cannot miss.
        std::uint64_t m = gp_.load(std::memory_order_acquire);
        const std::size_t n = P::max_cpus();
        for (std::size_t i = 0; i < n; ++i) {
            // Orders::scan (acquire at least): pairs with report(): that CPU's sections up to its
            // report happen before whatever we free.
            const std::uint64_t c = readers_[i]->ctr.load(Orders::scan);
            if (c != kOffline && c < m)
                m = c;
            if (m < target)
                return false; // cannot complete `target`: stop early
        }
        // release: publishes the readers' reports (acquired above) to whoever acquires completed_.
        while (done < m && !completed_.compare_exchange_weak(done, m, std::memory_order_acq_rel,
                                                             std::memory_order_acquire)) {
        }
        return true;
    }

    // Move completed segments to `out`, promote, and close `next` (one gp per batch).
    void advance(CpuCallbacks& c, CbQueue& out) noexcept {
        // acquire: pairs with the release CAS in scan().
        const std::uint64_t comp = completed_.load(std::memory_order_acquire);
        for (;;) {
            if (!c.wait.empty() && comp >= c.wait.target)
                out.append(c.wait);
            if (c.wait.empty() && !c.ready.empty()) {
                c.wait = c.ready;
                c.ready = CbQueue{};
                continue;
            }
            if (c.ready.empty() && !c.next.empty()) {
                c.ready = c.next;
                c.next = CbQueue{};
                c.ready.target = start_gp();
                continue;
            }
            return;
        }
    }

    static std::uint64_t invoke(CbQueue& q) noexcept {
        std::uint64_t n = 0;
        for (RcuHead* h = q.head; h != nullptr;) {
            RcuHead* next = h->next; // read before fn frees h
            h->fn(h);
            h = next;
            ++n;
        }
        q = CbQueue{};
        return n;
    }

    // Hand all of c's callbacks to the orphan list (caller holds IrqGuard, c is this CPU's).
    void orphan_all(CpuCallbacks& c) noexcept {
        CbQueue all;
        all.append(c.wait);
        all.append(c.ready);
        all.append(c.next);
        if (all.empty())
            return;
        const std::uint64_t n = all.n;
        orphan_queue(all);
        bump(c.done, n); // after orphans_->queued: see barrier()
    }

    void orphan_queue(CbQueue& q) noexcept {
        // A fresh grace period covers every callback in q (all were queued before it started).
        const std::uint64_t t = start_gp();
        auto& o = *orphans_;
        SpinGuard<TicketLock<P, Atom>, typename P::PreemptGuard> g(o.lock);
        const std::uint64_t n = q.n;
        o.open.append(q);
        o.open.target = t; // t is newer than any target already there
        if (o.closed.empty()) {
            o.closed = o.open;
            o.open = CbQueue{};
        }
        bump(o.queued, n);
        // relaxed: a hint for quiescent_state(); the lock orders the lists themselves.
        orphans_pending_.store(true, std::memory_order_relaxed);
    }

    std::size_t process_orphans() noexcept {
        if (!orphans_pending_.load(std::memory_order_relaxed))
            return 0;
        auto& o = *orphans_;
        std::size_t total = 0;
        for (;;) {
            CbQueue run;
            std::uint64_t need = 0;
            {
                SpinGuard<TicketLock<P, Atom>, typename P::PreemptGuard> g(o.lock);
                // Only one CPU runs orphans at a time, to keep them FIFO for barrier(): the runner
                // holds `running` (under the lock) until its batch's invoked count is published.
                if (o.closed.empty() || orphan_running_)
                    return total;
                // acquire: pairs with the release CAS in scan().
                if (completed_.load(std::memory_order_acquire) >= o.closed.target) {
                    run = o.closed;
                    o.closed = o.open;
                    o.open = CbQueue{};
                    if (o.closed.empty())
                        orphans_pending_.store(false, std::memory_order_relaxed);
                    orphan_running_ = true;
                } else {
                    need = o.closed.target;
                }
            }
            if (need != 0) {
                if (!scan(need))
                    return total;
                continue;
            }
            const std::uint64_t n = invoke(run);
            total += n;
            {
                SpinGuard<TicketLock<P, Atom>, typename P::PreemptGuard> g(o.lock);
                bump(o.invoked, n);
                orphan_running_ = false;
            }
            wake_waiters();
        }
    }

    template <class Pred>
    void wait_for(Pred&& pred) noexcept {
        // seq_cst: the waiter half of the store-buffering pair with wake_waiters().
        waiters_.fetch_add(1, std::memory_order_seq_cst);
        // A platform may ask for a bounded spin before blocking (P::kSpinBeforeBlock): a grace
        // period with no long readers ends in microseconds, a sleep costs a context switch.
        unsigned spins = 0;
        constexpr unsigned kSpins = [] {
            if constexpr (requires { P::kSpinBeforeBlock; })
                return static_cast<unsigned>(P::kSpinBeforeBlock);
            else
                return 0u;
        }();
        for (;;) {
            // acquire: pairs with the release fetch_add in wake_waiters().
            const std::uint32_t s = wake_seq_.load(std::memory_order_acquire);
            if (pred())
                break;
            if (spins < kSpins) {
                ++spins;
                P::cpu_relax();
                continue;
            }
            P::wait(wake_seq_, s);
        }
        // relaxed: a stale non-zero only costs a spurious wake-up.
        waiters_.fetch_sub(1, std::memory_order_relaxed);
    }

    // Hot, read-mostly line: every quiescent state loads gp_; scans load completed_.
    alignas(kCacheLine) Atom<std::uint64_t> gp_;
    Atom<std::uint32_t> waiters_;
    Atom<bool> orphans_pending_{false};
    Atom<std::uint64_t> completed_;
    alignas(kCacheLine) Atom<std::uint32_t> wake_seq_;
    bool orphan_running_ = false; // under orphans_->lock
    CacheAligned<Orphans> orphans_;
    CacheAligned<Reader> readers_[P::kMaxCpus];
    CacheAligned<CpuCallbacks> cbs_[P::kMaxCpus];
};

} // namespace scythe::lf
