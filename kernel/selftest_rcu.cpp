// test=lockfree's RCU sub-tests: lockfree/rcu.h and lockfree/rcu_hash.h with
// the kernel platform on every CPU. There is no scheduler yet, so each test
// loop reports its own quiescent states, and a CPU that leaves the loop goes
// offline (extended quiescent state) so it stalls no grace period.
//
// Freed objects are poisoned and kept in a quarantine until the end of the
// test instead of going back to the heap: a reader that still sees one then
// sees the poison, not a recycled object that happens to look valid.
#include <atomic>
#include <type_traits>

#include "arch/cpu.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lf_platform.h"
#include "kernel/mm/heap.h"
#include "kernel/selftest_lockfree.h"
#include "kernel/xcall.h"
#include "lockfree/dead_list.h"
#include "lockfree/rcu.h"
#include "lockfree/rcu_hash.h"

namespace kernel {
namespace {

namespace lf = scythe::lf;
using TestRcu = lf::Rcu<LfPlatform>;

constexpr uint64_t kLive = 0x11fe11fe11fe11feULL;
constexpr uint64_t kDead = 0xdeaddeaddeaddeadULL;

TestRcu test_rcu;

// ---- rcu: readers on every CPU, updaters on every fourth ----------------------------------

constexpr uint32_t kReadIters = 2000;
constexpr uint32_t kUpdateEvery = 4;  // an updater replaces the object every 4th iteration
constexpr uint32_t kUpdaterEvery = 4; // CPUs 0, 4, 8, ... update

struct Guarded {
    lf::RcuHead head; // first: the callback casts back (standard layout)
    std::atomic<uint64_t> magic{kLive};
    uint64_t serial = 0;
    lf::DeadListHook<Guarded> quarantine;
};
static_assert(std::is_standard_layout_v<Guarded>);

struct RcuObjectsTest {
    std::atomic<Guarded*> current{nullptr};
    lf::DeadList<&Guarded::quarantine> quarantine;
    std::atomic<uint64_t> serials{0}, replaced{0}, retired{0}, reads{0}, bad_reads{0};
    std::atomic<uint32_t> arrived{0};
};
RcuObjectsTest ro;

void retire_guarded(lf::RcuHead* head) {
    auto* g = reinterpret_cast<Guarded*>(head);
    g->magic.store(kDead, std::memory_order_relaxed);
    ro.retired.fetch_add(1, std::memory_order_relaxed);
    ro.quarantine.push(g);
}

void replace_guarded() {
    auto* fresh = new Guarded;
    fresh->serial = ro.serials.fetch_add(1, std::memory_order_relaxed) + 1;
    // acq_rel: release publishes fresh (pairs with rcu_dereference); several
    // updaters race, so an exchange tells each which object it unpublished.
    Guarded* old = ro.current.exchange(fresh, std::memory_order_acq_rel);
    test_rcu.call_rcu(&old->head, retire_guarded);
    ro.replaced.fetch_add(1, std::memory_order_relaxed);
}

void rcu_objects_body(void*) {
    const bool updater = arch::this_cpu_id() % kUpdaterEvery == 0;
    uint64_t bad = 0;
    test_rcu.online();
    start_together(ro.arrived);
    for (uint32_t i = 0; i < kReadIters; i++) {
        test_rcu.read_lock();
        Guarded* g = lf::rcu_dereference(ro.current);
        // Hold the reference a while, looking again and again: a grace period that ended
        // too early would let the updater's callback poison it under us.
        for (int k = 0; k < 64; k++) {
            if (g->magic.load(std::memory_order_relaxed) != kLive) {
                bad++;
                break;
            }
        }
        test_rcu.read_unlock();
        if (updater && i % kUpdateEvery == 0)
            replace_guarded();
        test_rcu.quiescent_state();
    }
    test_rcu.offline(); // leftover callbacks go to the orphan list
    ro.reads.fetch_add(kReadIters, std::memory_order_relaxed);
    ro.bad_reads.fetch_add(bad, std::memory_order_relaxed);
}

template <class List, class F>
void drain_quarantine(List& list, F&& free_one) {
    list.take_all().consume(free_one);
}

} // namespace

bool selftest_rcu_objects() {
    auto* first = new Guarded;
    ro.current.store(first, std::memory_order_release);
    xcall_all(rcu_objects_body, nullptr, XcallWait::Yes);
    test_rcu.online();
    test_rcu.barrier(); // every callback queued so far has run
    test_rcu.offline();

    const uint64_t queued = test_rcu.callbacks_queued(), invoked = test_rcu.callbacks_invoked();
    const uint64_t gps = test_rcu.gp_completed();
    const bool ok = ro.bad_reads.load() == 0 && ro.retired.load() == ro.replaced.load() &&
                    queued == invoked && gps > 0;
    kprintf("selftest lockfree: rcu: %lu reads on %u CPUs, %lu bad, %lu replaced, %lu freed by "
            "call_rcu (%lu/%lu callbacks ran), %lu grace periods: %s\n",
            ro.reads.load(), cpus_online(), ro.bad_reads.load(), ro.replaced.load(),
            ro.retired.load(), invoked, queued, gps, ok ? "ok" : "FAILED");
    delete ro.current.exchange(nullptr);
    drain_quarantine(ro.quarantine, [](Guarded* g) { delete g; });
    return ok;
}

namespace {

// ---- rcu_hash: every CPU inserts, looks up and removes its own keys, and looks up its
// neighbour's, while CPU 0 resizes the table by its load ------------------------------------

// Keys per CPU: about kTotalKeys in all, at least kMinKeysPerCpu each. Kept
// small: the bucket locks (and the heap's) are FIFO ticket locks, and when
// TCG vCPUs outnumber host cores a waiter whose turn comes while its host
// thread is descheduled stalls every CPU behind it (a lock convoy); each
// hand-off can then cost a host time slice.
constexpr uint32_t kTotalKeys = 800;
constexpr uint32_t kMinKeysPerCpu = 32;
uint32_t keys_per_cpu = 0;
constexpr uint32_t kQuiescentEvery = 8;

struct Proc;
struct ProcRcu { // standard layout: the callback gets back to its Proc through `owner`
    lf::RcuHead head;
    Proc* owner;
};
struct Proc : lf::RcuHashNode<> {
    uint64_t pid = 0;
    std::atomic<uint64_t> magic{kLive};
    ProcRcu rh{{}, this};
    lf::DeadListHook<Proc> quarantine;
};

struct ProcTraits {
    using Key = uint64_t;
    static Key key(const Proc& p) { return p.pid; }
    static uint64_t hash(Key k) { return lf::hash_mix64(k); }
};

struct KernelAlloc {
    void* allocate(size_t bytes, size_t align) noexcept {
        return align <= 16 ? kmalloc(bytes) : nullptr; // kmalloc aligns to 16
    }
    void deallocate(void* p, size_t, size_t) noexcept { kfree(p); }
};

struct RcuHashTest {
    lf::RcuHashTable<Proc, ProcTraits, TestRcu, KernelAlloc> table{test_rcu, KernelAlloc{}};
    lf::DeadList<&Proc::quarantine> quarantine;
    std::atomic<uint64_t> inserted{0}, removed{0}, retired{0}, found_other{0}, errors{0};
    std::atomic<uint32_t> max_order{0};
    std::atomic<uint32_t> arrived{0};
};
RcuHashTest rh;

void retire_proc(lf::RcuHead* head) {
    Proc* p = reinterpret_cast<ProcRcu*>(head)->owner;
    p->magic.store(kDead, std::memory_order_relaxed);
    rh.retired.fetch_add(1, std::memory_order_relaxed);
    rh.quarantine.push(p);
}

uint64_t pid_of(uint32_t cpu, uint32_t i) {
    return uint64_t(cpu) * keys_per_cpu + i + 1;
}

enum class Expect { Present, Absent, Either };

// One lookup in its own read-side section; a node found must be intact.
uint64_t check_lookup(uint64_t pid, Expect expect) {
    test_rcu.read_lock();
    const Proc* p = rh.table.lookup(pid);
    uint64_t errors = 0;
    if (p && (p->pid != pid || p->magic.load(std::memory_order_relaxed) != kLive))
        errors++;
    if ((expect == Expect::Present && !p) || (expect == Expect::Absent && p))
        errors++;
    if (p && expect == Expect::Either)
        rh.found_other.fetch_add(1, std::memory_order_relaxed);
    test_rcu.read_unlock();
    return errors;
}

void between_steps(uint32_t i) {
    if (i % kQuiescentEvery)
        return;
    test_rcu.quiescent_state();
    if (arch::this_cpu_id() == 0) { // outside any section: a shrink waits for a grace period
        rh.table.auto_resize();
        if (rh.table.order() > rh.max_order.load(std::memory_order_relaxed))
            rh.max_order.store(rh.table.order(), std::memory_order_relaxed);
    }
}

void rcu_hash_body(void*) {
    const uint32_t me = arch::this_cpu_id();
    const uint32_t neighbour = (me + 1) % cpus_online();
    uint64_t errors = 0;
    test_rcu.online();
    start_together(rh.arrived);
    for (uint32_t i = 0; i < keys_per_cpu; i++) {
        auto* p = new Proc;
        p->pid = pid_of(me, i);
        if (!rh.table.insert(p))
            errors++;
        errors += check_lookup(pid_of(me, i), Expect::Present);
        errors += check_lookup(pid_of(neighbour, i), Expect::Either);
        between_steps(i);
    }
    rh.inserted.fetch_add(keys_per_cpu, std::memory_order_relaxed);
    for (uint32_t i = 0; i < keys_per_cpu; i++) {
        errors += check_lookup(pid_of(neighbour, i), Expect::Either);
        Proc* p = rh.table.remove(pid_of(me, i));
        if (!p) {
            errors++;
        } else {
            test_rcu.call_rcu(&p->rh.head, retire_proc);
            rh.removed.fetch_add(1, std::memory_order_relaxed);
        }
        errors += check_lookup(pid_of(me, i), Expect::Absent);
        between_steps(i);
    }
    test_rcu.offline();
    rh.errors.fetch_add(errors, std::memory_order_relaxed);
}

} // namespace

bool selftest_rcu_hash() {
    const uint32_t n = cpus_online();
    keys_per_cpu = kTotalKeys / n > kMinKeysPerCpu ? kTotalKeys / n : kMinKeysPerCpu;
    const uint64_t invoked_before = test_rcu.callbacks_invoked();
    xcall_all(rcu_hash_body, nullptr, XcallWait::Yes);
    test_rcu.online();
    test_rcu.barrier();
    uint64_t leftovers = 0; // every key is gone
    for (uint32_t c = 0; c < cpus_online(); c++)
        for (uint32_t i = 0; i < keys_per_cpu; i++)
            leftovers += check_lookup(pid_of(c, i), Expect::Absent);
    rh.table.resize(0); // back to one bucket: frees every level (after a grace period)
    test_rcu.offline();

    const uint64_t ran = test_rcu.callbacks_invoked() - invoked_before;
    const bool ok = rh.errors.load() == 0 && leftovers == 0 && rh.table.size() == 0 &&
                    rh.removed.load() == rh.inserted.load() &&
                    rh.retired.load() == rh.removed.load() && ran == rh.removed.load();
    kprintf("selftest lockfree: rcu_hash: %lu inserted and removed on %u CPUs, %lu neighbour hits, "
            "up to %u buckets, %lu errors, %lu left, %lu freed after grace periods: %s\n",
            rh.inserted.load(), cpus_online(), rh.found_other.load(), 1u << rh.max_order.load(),
            rh.errors.load(), leftovers + rh.table.size(), rh.retired.load(), ok ? "ok" : "FAILED");
    drain_quarantine(rh.quarantine, [](Proc* p) { delete p; });
    return ok;
}

} // namespace kernel
