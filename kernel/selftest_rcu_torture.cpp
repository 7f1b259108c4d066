// test=rcu: torture of the kernel's RCU (kernel/proc/kernel_rcu.cpp) with
// the quiescent states the scheduler reports (switch, tick, idle), in the
// spirit of Linux's rcutorture: readers check a magic word in objects that
// updaters replace and retire; a retired object is poisoned, and a reader
// that ever sees the poison has seen an object freed under it.
//
// Retired objects go to a quarantine (poisoned, not reused) until the end, so
// a stale pointer cannot meet a recycled object that looks valid again.
//
// Sub-tests (one line each): torture (pinned readers on every CPU, updaters
// with call_rcu and synchronize), churn (readers that exit and are recreated
// while grace periods must keep completing), idle (grace periods complete
// with every other CPU idle, checked with a deadline instead of hanging),
// barrier (every callback the test queued has run).
#include <atomic>
#include <new>
#include <stddef.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "arch/time.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lf_platform.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/lifecycle.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/waitq.h"
#include "kernel/xcall.h"
#include "lockfree/rcu.h"

namespace kernel {
namespace {

using proc::KernelRcu;
using proc::rcu;

constexpr uint32_t kMagic = 0x52435521;  // "RCU!"
constexpr uint32_t kPoison = 0xdead0bad; // written by the retiring callback
constexpr int kSlots = 16;
constexpr uint64_t kMaxReplacements = 30000; // bounds the quarantine (about 1.5 MiB)
constexpr uint64_t kPhaseMs = 1500;

struct Obj {
    std::atomic<uint32_t> magic{kMagic};
    uint32_t slot = 0;
    scythe::lf::RcuHead head;
    Obj* quarantine_next = nullptr;
};

struct Done { // counts finished threads; the test thread sleeps on it
    std::atomic<uint32_t> count{0};
    sched::WaitQueue wq;
    void signal() {
        count.fetch_add(1, std::memory_order_release);
        wq.wake_all();
    }
    void wait_for(uint32_t n) {
        wq.wait_until([&] { return count.load(std::memory_order_acquire) >= n; });
    }
};

struct Torture {
    std::atomic<Obj*> slots[kSlots] = {};
    std::atomic<bool> stop_readers{false}, stop_updaters{false};
    std::atomic<uint64_t> reads{0}, bad{0};
    std::atomic<uint64_t> replaced{0}, by_call_rcu{0}, by_synchronize{0}, callbacks_ran{0};
    std::atomic<uint64_t> alloc_failed{0};
    std::atomic<Obj*> quarantine{nullptr};
    Done readers_done, updaters_done;
} t;

uint64_t now_ms() {
    return arch::monotonic_ns() / 1'000'000;
}

Obj* new_obj(uint32_t slot) {
    void* mem = kmalloc(sizeof(Obj));
    if (!mem)
        return nullptr;
    Obj* o = new (mem) Obj;
    o->slot = slot;
    return o;
}

// Poison, then park: the memory is never handed out again during the test.
void retire(Obj* o) {
    o->magic.store(kPoison, std::memory_order_relaxed);
    Obj* head = t.quarantine.load(std::memory_order_relaxed);
    do
        o->quarantine_next = head;
    // release: the poison and the link are visible to the final drain.
    while (!t.quarantine.compare_exchange_weak(head, o, std::memory_order_release,
                                               std::memory_order_relaxed));
}

void retire_cb(scythe::lf::RcuHead* h) {
    Obj* o = reinterpret_cast<Obj*>(reinterpret_cast<char*>(h) - offsetof(Obj, head));
    retire(o);
    t.callbacks_ran.fetch_add(1, std::memory_order_relaxed);
}

// One read-side section over a few slots: each object must stay valid until
// the section ends, so it is checked on entry and again after a delay.
bool read_section(uint32_t seed) {
    bool ok = true;
    KernelRcu::ReadGuard rd(rcu());
    Obj* seen[4];
    for (int i = 0; i < 4; i++) {
        seen[i] = scythe::lf::rcu_dereference(t.slots[(seed + i * 5) % kSlots]);
        if (seen[i] && seen[i]->magic.load(std::memory_order_relaxed) != kMagic)
            ok = false;
    }
    for (int spin = 0; spin < 200; spin++)
        arch::cpu_relax(); // a section long enough for updaters to race with it
    for (Obj* o : seen)
        if (o && o->magic.load(std::memory_order_relaxed) != kMagic)
            ok = false;
    return ok;
}

// A reader: until told to stop (limit 0) or for `limit` sections.
void reader(void* arg) {
    const uint64_t limit = reinterpret_cast<uintptr_t>(arg);
    uint64_t reads = 0, bad = 0;
    uint32_t seed = arch::this_cpu_id() * 7919;
    while (limit ? reads < limit : !t.stop_readers.load(std::memory_order_relaxed)) {
        seed = seed * 1103515245 + 12345;
        bad += !read_section(seed >> 8);
        reads++;
    }
    t.reads.fetch_add(reads, std::memory_order_relaxed);
    t.bad.fetch_add(bad, std::memory_order_relaxed);
    t.readers_done.signal();
}

// An updater: replaces slots; fifteen in sixteen old objects go to call_rcu,
// the sixteenth is retired directly after synchronize().
void updater(void* arg) {
    uint32_t seed = uint32_t(reinterpret_cast<uintptr_t>(arg)) * 31 + 1;
    uint64_t round = 0;
    while (!t.stop_updaters.load(std::memory_order_relaxed)) {
        if (t.replaced.fetch_add(1, std::memory_order_relaxed) >= kMaxReplacements) {
            sched::yield(); // quarantine full: replace nothing more
            continue;
        }
        seed = seed * 1103515245 + 12345;
        const uint32_t slot = (seed >> 8) % kSlots;
        Obj* fresh = new_obj(slot);
        if (!fresh) {
            t.alloc_failed.fetch_add(1, std::memory_order_relaxed);
            break;
        }
        // acq_rel: release publishes fresh's magic (pairs with rcu_dereference);
        // acquire makes old's initialisation ours before we poison it.
        Obj* old = t.slots[slot].exchange(fresh, std::memory_order_acq_rel);
        if (!old)
            continue;
        // Synchronize sparingly: every waiter is woken by every CPU's report
        // (rcu.h's wake-up protocol), so many waiters on many vCPUs convoy on
        // one wait-queue lock under TCG.
        if (++round % 16 == 0) {
            rcu().synchronize();
            retire(old);
            t.by_synchronize.fetch_add(1, std::memory_order_relaxed);
        } else {
            rcu().call_rcu(&old->head, retire_cb);
            t.by_call_rcu.fetch_add(1, std::memory_order_relaxed);
        }
        if (round % 32 == 0)
            sched::yield(); // let pinned readers sharing this CPU run
    }
    t.updaters_done.signal();
}

bool spawn_pinned(void (*fn)(void*), void* arg, uint32_t cpu, const char* name) {
    return sched::spawn(fn, arg, {.name = name, .cpu = cpu, .pinned = true}) != nullptr;
}

// Yields (the test thread stays preemptible: its CPU keeps reporting) until
// `ms` have passed.
void pause_ms(uint64_t ms) {
    const uint64_t end = now_ms() + ms;
    while (now_ms() < end)
        sched::yield();
}

uint64_t gps() {
    return rcu().gp_completed();
}

// Waits for `n` finished threads, polling (the test thread stays
// preemptible) with a deadline: a stall is reported with the state of every
// CPU instead of hanging until the harness's timeout.
bool wait_count(Done& d, uint32_t n, const char* what) {
    const uint64_t deadline = now_ms() + 30000;
    while (d.count.load(std::memory_order_acquire) < n && now_ms() < deadline)
        sched::yield();
    if (d.count.load(std::memory_order_acquire) >= n)
        return true;
    kprintf("selftest rcu: waiting for %s: %u of %u done; grace period %lu started, %lu "
            "completed: FAILED\n",
            what, d.count.load(), n, rcu().gp_seq(), rcu().gp_completed());
    for (uint32_t c = 0; c < cpus_enumerated(); c++) {
        const sched::Stats s = sched::stats_for(c);
        kprintf("selftest rcu: cpu %u: %lu switches, %lu ticks\n", c, s.switches, s.ticks);
    }
    return false;
}

const char* verdict(bool ok) {
    return ok ? "ok" : "FAILED";
}

bool spawn_failed(const char* sub) {
    kprintf("selftest rcu: %s: spawn failed: FAILED\n", sub);
    return false;
}

// ---- sub-tests ------------------------------------------------------------

bool torture(uint32_t n, uint32_t updaters) {
    const uint64_t gp0 = gps(), reads0 = t.reads.load();
    const uint64_t start = now_ms();
    for (uint32_t c = 0; c < n; c++)
        if (!spawn_pinned(reader, nullptr, c, "rcu_reader"))
            return spawn_failed("torture");
    for (uint32_t u = 0; u < updaters; u++)
        if (!spawn_pinned(updater, reinterpret_cast<void*>(uintptr_t(u)), (u * 2 + 1) % n,
                          "rcu_updater"))
            return spawn_failed("torture");
    pause_ms(kPhaseMs);
    t.stop_readers.store(true);
    t.readers_done.wait_for(n);
    // Updaters keep running into the churn phase.
    const uint64_t gp = gps() - gp0;
    const bool ok = t.bad.load() == 0 && gp > 0 && t.alloc_failed.load() == 0;
    kprintf("selftest rcu: torture: %lu reads by %u pinned readers, %lu bad, %lu replaced by %u "
            "updaters (%lu via call_rcu), %lu grace periods in %lu ms: %s\n",
            t.reads.load() - reads0, n, t.bad.load(),
            t.by_call_rcu.load() + t.by_synchronize.load(), updaters, t.by_call_rcu.load(), gp,
            now_ms() - start, verdict(ok));
    return ok;
}

bool churn(uint32_t n, uint32_t updaters) {
    const uint32_t generations = 5;
    // The same number of sections per generation whatever the CPU count:
    // 16 vCPUs may share two host cores.
    const uintptr_t sections = n <= 4 ? 2000 : 8000 / n;
    const uint64_t gp0 = gps(), reads0 = t.reads.load();
    const uint64_t start = now_ms();
    uint64_t gp_min = ~0ull;
    uint32_t spawned = 0;
    const uint32_t base = t.readers_done.count.load();
    for (uint32_t g = 0; g < generations; g++) {
        // Short-lived readers, unpinned and placed by the scheduler: each one
        // exits after its sections, so CPUs go between busy and idle.
        // A grace period started with the generation must end with it, even
        // once the updaters have stopped replacing (quarantine full).
        const uint64_t before = gps(), cookie = rcu().start_poll();
        for (uint32_t c = 0; c < n; c++) {
            if (!sched::spawn(reader, reinterpret_cast<void*>(sections), {.name = "rcu_short"}))
                return spawn_failed("churn");
            spawned++;
        }
        if (!wait_count(t.readers_done, base + spawned, "churn readers"))
            return false;
        const uint64_t deadline = now_ms() + 15000;
        while (!rcu().poll(cookie) && now_ms() < deadline)
            sched::yield();
        const uint64_t made = gps() - before;
        gp_min = made < gp_min ? made : gp_min;
    }
    t.stop_updaters.store(true);
    if (!wait_count(t.updaters_done, updaters, "updaters"))
        return false;
    const uint64_t gp = gps() - gp0;
    const bool ok = t.bad.load() == 0 && gp_min > 0;
    kprintf("selftest rcu: churn: %u generations of %u readers that exit (%lu reads, %lu bad), "
            "%lu grace periods, at least %lu per generation, in %lu ms: %s\n",
            generations, n, t.reads.load() - reads0, t.bad.load(), gp, gp_min, now_ms() - start,
            verdict(ok));
    return ok;
}

// Every other CPU idle (no thread of the test left but this one): grace
// periods must still complete. Polled with a deadline, so a stall is a
// FAILED line rather than a hung test.
bool idle(uint32_t n) {
    constexpr int kRounds = 20;
    constexpr uint64_t kDeadlineMs = 15000;
    const uint64_t start = now_ms();
    int done = 0;
    for (; done < kRounds; done++) {
        const uint64_t cookie = rcu().start_poll();
        const uint64_t deadline = now_ms() + kDeadlineMs;
        while (!rcu().poll(cookie) && now_ms() < deadline)
            sched::yield();
        if (!rcu().poll(cookie))
            break;
    }
    kprintf("selftest rcu: idle: %d of %d grace periods with %u CPUs idle in %lu ms: %s\n", done,
            kRounds, n - 1, now_ms() - start, verdict(done == kRounds));
    return done == kRounds;
}

// Runs on every CPU (a cross-call): one callback queued there, so the
// barrier must wait for CPUs that are idle to run theirs.
void queue_here(void*) {
    if (Obj* o = new_obj(0)) {
        rcu().call_rcu(&o->head, retire_cb);
        t.by_call_rcu.fetch_add(1, std::memory_order_relaxed);
    } else {
        t.alloc_failed.fetch_add(1, std::memory_order_relaxed);
    }
}

bool barrier() {
    xcall_all(queue_here, nullptr, XcallWait::Yes);
    rcu().barrier();
    const uint64_t queued = t.by_call_rcu.load(), ran = t.callbacks_ran.load();
    uint64_t freed = 0;
    Obj* o = t.quarantine.exchange(nullptr, std::memory_order_acquire);
    uint64_t poisoned = 0;
    while (o) {
        Obj* next = o->quarantine_next;
        poisoned += o->magic.load(std::memory_order_relaxed) == kPoison;
        o->~Obj();
        kfree(o);
        freed++;
        o = next;
    }
    for (auto& s : t.slots) { // the live objects: nobody reads them any more
        if (Obj* live = s.exchange(nullptr)) {
            live->~Obj();
            kfree(live);
        }
    }
    const uint64_t retired = queued + t.by_synchronize.load();
    const bool ok =
        ran == queued && freed == retired && poisoned == freed && t.alloc_failed.load() == 0;
    kprintf("selftest rcu: barrier: %lu callbacks queued by the test (one from each CPU last), "
            "%lu ran; %lu retired objects freed, %lu poisoned; kernel RCU %lu of %lu callbacks "
            "ran, %lu grace periods: %s\n",
            queued, ran, freed, poisoned, rcu().callbacks_invoked(), rcu().callbacks_queued(),
            gps(), verdict(ok));
    return ok;
}

} // namespace

int selftest_rcu_torture() {
    const uint32_t n = cpus_online();
    const uint32_t updaters = n < 8 ? 1 : n / 8;
    bool ok = torture(n, updaters);
    ok = churn(n, updaters) && ok;
    ok = idle(n) && ok;
    ok = barrier() && ok;
    kprintf("selftest rcu: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

} // namespace kernel
