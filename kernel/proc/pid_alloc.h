// kernel/proc/pid_alloc.h: pid numbers that wrap around at pid_max and are never handed out
// while anything still holds them, from per-CPU batches. Header-only and freestanding,
// parameterised on a Platform (lockfree/platform.h), so tests/proc runs it on the host.
//
// What holds a number: the process with that pid, from alloc() until free() (the kernel frees a
// process's number in its RCU callback, a grace period after the pid left the hash, so nobody
// can still be looking at the old process by that number), and a process group or session
// while any process in the table (zombies included) has it as its pgid or sid: a group
// outlives its leader. "Group" below means either.
//
// Design. One byte of state per number: Free, Held, or Checking.
//  - alloc(): the CPU's batch (up to kBatch numbers) first, touching nothing shared. An empty
//    batch is refilled under the one shared lock: scan cyclically from the cursor for Free
//    numbers, mark them Held. Past pid_max the cursor wraps to kReserved (Linux's
//    RESERVED_PIDS: low numbers are not recycled; to 1 when pid_max <= 2 * kReserved) and
//    stats().wraps counts it.
//  - free(): the number goes to the CPU's freed buffer, not straight back: it may still be a
//    process group. A full buffer (or the next refill) is flushed under the lock: its numbers,
//    and the numbers kept earlier as groups, become Checking; groups(visit) then visits every
//    live process's pgid and sid, and a Checking number seen there goes back to Held; the rest
//    become Free. Numbers still in use as groups are listed and checked again at the next flush.
//  - join_group(g): a process entered group g by fork (the child is published in the pid
//    table first). If g is being checked right now, it is kept (Checking -> Held).
//  - When numbers run short, batches and the freed-buffer threshold shrink (free numbers
//    / 4 per CPU, at least 1), so few numbers sit idle in per-CPU buffers; alloc() returns 0
//    only when the scan found nothing (fork then fails with EAGAIN, as Linux's alloc_pid).
//
// Why join_group closes the race with a flush (the scan is not a snapshot): fork publishes the
// child, then fence(seq_cst), then a CAS on state[g]; the flush marks Checking, then
// fence(seq_cst), then scans. By the fences, either the scan sees the child (g -> Held) or the
// CAS reads Checking or a later value. A later Free would need the flush to have finished its
// scan, but the parent (pgid g, in the table throughout its own fork) is visited unless it is
// gone by then, and it can only be gone after its fork returned, i.e. after the CAS. So the CAS
// finds Checking and keeps the number. setpgid() into an existing group also calls join_group
// after storing the new pgid, but nothing forces its CAS before the check ends: if the group's
// only other member is reaped and the whole check runs between setpgid's "the group exists"
// and its CAS, the number can be freed under the joiner (a window of a few instructions
// against a reap plus a full scan; closing it needs setpgid and the check to share a lock).
//
// Synchronisation table:
//   alloc / free           any CPU, pinned (they take P::IrqGuard); the shared lock only to
//                          refill or flush
//   alloc_unbatched        any CPU (the seed design: one number per call under the shared lock)
//   join_group             any CPU, after the joining process is visible to groups()
//   init                   once, before any other call
//   groups(visit)          called under the shared lock, pinned: visits the pgid and sid of
//                          every process in the table, concurrently with forks and exits; must
//                          not block
//   stats                  any CPU; a racy snapshot
//   cached_numbers         caller-serialised (nothing allocates or frees meanwhile)
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "lockfree/percpu.h"
#include "lockfree/platform.h"
#include "lockfree/spin.h"

namespace scythe::proc {

struct PidStats {
    int pid_max;
    std::uint64_t wraps;   // times the cursor went past pid_max
    std::int64_t free;     // numbers Free (some below kReserved are not reached after a wrap)
    std::size_t groups;    // numbers kept only as process groups
    std::uint64_t scans;   // group checks (flushes that had numbers to check)
    std::uint64_t dropped; // numbers kept forever because the group list was full (never expected)
};

template <lf::Platform P>
class PidAllocator {
public:
    static constexpr int kBatch = 64;     // numbers a CPU takes per refill (fewer when short)
    static constexpr int kReserved = 300; // after a wrap the cursor restarts here (Linux)
    static constexpr int kMinPidMax = 64; // smaller makes no sense with batches
    static constexpr std::uint8_t kFree = 0, kHeld = 1, kChecking = 2;

    PidAllocator() = default;
    PidAllocator(const PidAllocator&) = delete;
    PidAllocator& operator=(const PidAllocator&) = delete;

    // state: pid_max zeroed bytes; group_list: room for the numbers kept as groups (at least
    // the process limit: each is some live process's pgid); cpus: CPUs that may allocate.
    // Numbers are 1 .. pid_max-1; the first alloc() returns 1.
    void init(std::atomic<std::uint8_t>* state, int pid_max, int* group_list,
              std::size_t group_capacity, std::size_t cpus) noexcept {
        state_ = state;
        pid_max_ = pid_max < kMinPidMax ? kMinPidMax : pid_max;
        floor_ = pid_max_ > 2 * kReserved ? kReserved : 1;
        groups_ = group_list;
        group_cap_ = group_capacity;
        cpus_ = cpus ? cpus : 1;
        cursor_ = 1;
        free_ = pid_max_ - 1;
        update_limits();
    }

    int pid_max() const noexcept { return pid_max_; }

    // A number Held for the caller, or 0 when none is free.
    template <class Groups>
    int alloc(Groups&& groups) noexcept {
        typename P::IrqGuard irq;
        Local& l = local_.local(irq);
        if (l.next == l.count) {
            lock_.lock();
            if (l.nfreed != 0 || ngroups_ != 0)
                flush_locked(l, groups);
            l.next = 0;
            l.count = take_locked(l.batch, batch_.load(std::memory_order_relaxed));
            lock_.unlock();
        }
        return l.next == l.count ? 0 : l.batch[l.next++];
    }

    // The seed design: one number per call, everything under the shared lock.
    template <class Groups>
    int alloc_unbatched(Groups&& groups) noexcept {
        typename P::IrqGuard irq;
        Local& l = local_.local(irq);
        lock_.lock();
        if (l.nfreed != 0 || ngroups_ != 0)
            flush_locked(l, groups);
        int pid = 0;
        take_locked(&pid, 1);
        lock_.unlock();
        return pid;
    }

    // pid's holder is gone for good; the number comes back once no group holds it either.
    template <class Groups>
    void free(int pid, Groups&& groups) noexcept {
        if (pid <= 0 || pid >= pid_max_)
            return;
        typename P::IrqGuard irq;
        Local& l = local_.local(irq);
        l.freed[l.nfreed++] = pid;
        // relaxed: only a threshold; refills update it under the lock.
        if (l.nfreed >= free_limit_.load(std::memory_order_relaxed) || l.nfreed == kBatch) {
            lock_.lock();
            flush_locked(l, groups);
            lock_.unlock();
        }
    }

    // A process joined group g and is already visible to groups(): see the header.
    void join_group(int g) noexcept {
        if (g <= 0 || g >= pid_max_)
            return;
        // Pairs with the fence in flush_locked (store Checking; fence; scan): either the scan
        // sees the new member, or this CAS reads Checking.
        fence_seq_cst();
        std::uint8_t expected = kChecking;
        state_[g].compare_exchange_strong(expected, kHeld, std::memory_order_relaxed);
    }

    // For tests: the number's state.
    std::uint8_t state_of(int pid) const noexcept {
        return state_[pid].load(std::memory_order_relaxed);
    }

    PidStats stats() const noexcept {
        return {pid_max_,
                wraps_.load(std::memory_order_relaxed),
                free_count_.load(std::memory_order_relaxed),
                ngroups_snapshot_.load(std::memory_order_relaxed),
                scans_.load(std::memory_order_relaxed),
                dropped_.load(std::memory_order_relaxed)};
    }

    // Numbers sitting in the CPUs' batches and freed buffers. Caller-serialised: only when no
    // CPU allocates or frees (a leak check: then Free + cached + groups + live pids must be
    // every number, pid_max - 1).
    std::int64_t cached_numbers() const noexcept {
        std::int64_t n = 0;
        local_.for_each([&n](std::size_t, const Local& l) { n += (l.count - l.next) + l.nfreed; });
        return n;
    }

private:
    struct Local {
        int batch[kBatch];
        int count = 0, next = 0;
        int freed[kBatch];
        int nfreed = 0;
    };

    // A seq_cst fence. ThreadSanitizer does not model fences (and GCC refuses them under
    // -fsanitize=thread), so there an acq_rel RMW on one shared word stands in: those RMWs are
    // totally ordered, so of two sides the later one reads from the earlier and sees its store,
    // the same guarantee. The kernel and the plain host build use the real fence.
    void fence_seq_cst() noexcept {
#if defined(__SANITIZE_THREAD__)
        fence_word_.fetch_add(0, std::memory_order_acq_rel);
#else
        std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
    }

    void set_state(int n, std::uint8_t s) noexcept {
        state_[n].store(s, std::memory_order_relaxed);
    }

    // Free numbers per CPU bound the batch and the freed-buffer threshold.
    void update_limits() noexcept {
        std::int64_t share = free_ / static_cast<std::int64_t>(4 * cpus_);
        const int n = share < 1 ? 1 : share > kBatch ? kBatch : static_cast<int>(share);
        batch_.store(n, std::memory_order_relaxed);
        free_limit_.store(n, std::memory_order_relaxed);
        free_count_.store(free_, std::memory_order_relaxed);
    }

    // Up to `want` Free numbers into out[], cyclically from the cursor. Lock held.
    int take_locked(int* out, int want) noexcept {
        int got = 0;
        for (int seen = 0; got < want && seen < pid_max_; seen++) {
            const int n = cursor_;
            if (++cursor_ >= pid_max_) {
                cursor_ = floor_;
                wraps_.store(wraps_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            }
            // Free -> Held happens only here, under the lock; join_group only touches Checking.
            if (state_[n].load(std::memory_order_relaxed) == kFree) {
                set_state(n, kHeld);
                out[got++] = n;
                free_--;
            }
        }
        update_limits();
        return got;
    }

    // Returns this CPU's freed numbers and re-checks the kept groups. Lock held.
    template <class Groups>
    void flush_locked(Local& l, Groups& groups) noexcept {
        for (int i = 0; i < l.nfreed; i++)
            set_state(l.freed[i], kChecking);
        for (std::size_t i = 0; i < ngroups_; i++)
            set_state(groups_[i], kChecking);
        // Pairs with join_group's fence (see there and the header).
        fence_seq_cst();
        groups([this](int g) {
            if (g > 0 && g < pid_max_ && state_[g].load(std::memory_order_relaxed) == kChecking)
                set_state(g, kHeld); // join_group may do the same: both store Held
        });
        scans_.store(scans_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        std::size_t kept = 0;
        auto settle = [&](int n) {
            std::uint8_t expected = kChecking;
            // acq_rel not needed: the only racing writer is join_group's CAS on the same byte.
            if (state_[n].compare_exchange_strong(expected, kFree, std::memory_order_relaxed)) {
                free_++;
            } else if (kept < group_cap_) {
                groups_[kept++] = n; // still some process's group: check again next time
            } else {
                dropped_.store(dropped_.load(std::memory_order_relaxed) + 1,
                               std::memory_order_relaxed);
            }
        };
        const std::size_t old_groups = ngroups_;
        for (std::size_t i = 0; i < old_groups; i++)
            settle(groups_[i]); // kept <= i: compacts in place
        for (int i = 0; i < l.nfreed; i++)
            settle(l.freed[i]);
        ngroups_ = kept;
        ngroups_snapshot_.store(kept, std::memory_order_relaxed);
        l.nfreed = 0;
        update_limits();
    }

    std::atomic<std::uint8_t>* state_ = nullptr;
    int pid_max_ = 0, floor_ = 1;
    std::size_t cpus_ = 1;
    lf::PerCpu<Local, P> local_;

    // Under lock_ (the atomics below are snapshots for the lock-free readers).
    lf::TicketLock<P> lock_;
    int cursor_ = 1;
    std::int64_t free_ = 0;
    int* groups_ = nullptr;
    std::size_t group_cap_ = 0, ngroups_ = 0;

    std::atomic<int> batch_{1}, free_limit_{1};
    std::atomic<std::int64_t> free_count_{0};
    std::atomic<std::size_t> ngroups_snapshot_{0};
    std::atomic<std::uint64_t> wraps_{0}, scans_{0}, dropped_{0};
#if defined(__SANITIZE_THREAD__)
    std::atomic<std::uint64_t> fence_word_{0};
#endif
};

} // namespace scythe::proc
