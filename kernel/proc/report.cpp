// The leak check printed at power-off: after a storm only init is left, so
// every other process, pid, file and thread stack must have come back
// (report_counts), and every page and slab object (the ledger below).
//
// The baseline is taken the first time init forks, in init's own fork system
// call before anything is allocated: only init exists then, as it must again
// at power-off (processes=1), where the second ledger is taken in init's own
// reboot or exit, after the RCU barrier. Both times every CPU first gives
// back its page cache and magazines (a cross-call), empty slabs go back to
// the buddy and every exited thread's stack must be back in the stack pool.
//
// What legitimately stays allocated is counted, not tolerated:
//  - thread stacks: the pool keeps every stack it ever made (unmapping needs
//    a shootdown), plus the kernel-half page tables mapping them (never
//    freed): fresh stack pages and new kernel table pages are added back;
//  - init's own memory: its address space's pages and page tables (stack or
//    brk growth, copy-on-write breaks) and its regions (kmalloc objects of
//    one known size class, AddressSpace::region_object_size());
//  - the pid hash keeps the size of its peak: it is resized back to its
//    baseline order first (only init exists, so nothing races the resize);
//  - slab pages: a slab kept by one long-lived object is fragmentation, not
//    a leak, so pages are checked as free + held by slabs, and objects
//    exactly, per cache.
// Open files must be as many as at the baseline (a pipe buffer is a page).
#include <atomic>

#include "arch/mmu.h"
#include "arch/time.h"
#include "kernel/console.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/kmem.h"
#include "kernel/mm/pmm.h"
#include "kernel/proc/proc.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/stack_pool.h"
#include "kernel/user/file.h"
#include "kernel/vm/address_space.h"

namespace kernel::proc {
namespace {

constexpr int kMaxCaches = 32;
constexpr uint64_t kStackPages = sched::kThreadStackSize / 4096;

struct Ledger {
    uint64_t free_pages, slab_pages, stack_pages, kernel_table_pages, init_pages;
    uint64_t init_regions, files, processes, stacks_live;
    unsigned pid_order;
    int caches;
    const char* name[kMaxCaches];
    uint64_t live[kMaxCaches];
    uint64_t live_total;

    uint64_t pages() const {
        return free_pages + slab_pages + stack_pages + kernel_table_pages + init_pages;
    }
};

Ledger baseline;
std::atomic<bool> baseline_taken{false};
std::atomic<bool> baseline_claimed{false};

// The last threads to exit on each CPU are freed when their CPU switches
// away: wait (bounded) until the stacks in use are as many as at the baseline.
void wait_for_stacks(uint64_t target) {
    const uint64_t deadline = arch::monotonic_ns() + 5'000'000'000ull;
    while (sched::stack_counts().live > target && arch::monotonic_ns() < deadline)
        sched::yield();
}

Ledger take_ledger() {
    rcu().barrier(); // processes and their pids freed after a grace period are gone
    mm::drain_all_caches();
    Ledger l{};
    Process* init = init_process();
    l.free_pages = mm::free_page_count();
    l.stack_pages = sched::stack_counts().created * kStackPages;
    l.stacks_live = sched::stack_counts().live;
    l.kernel_table_pages = arch::kernel_table_pages();
    // The caller is init, in a system call: nothing else touches its space.
    l.init_pages = init->space->mapped_pages() + init->space->table_pages() + 1; // + root
    l.init_regions = init->space->region_count();
    l.files = user::live_files();
    l.processes = counts().processes;
    l.pid_order = pid_table_order();
    mm::cache_registry().for_each([&l](const scythe::mm::CacheStats& c) {
        if (l.caches < kMaxCaches) {
            l.name[l.caches] = c.name;
            l.live[l.caches++] = c.live;
        }
        l.live_total += c.live;
        l.slab_pages += c.pages;
    });
    return l;
}

} // namespace

void report_counts() {
    rcu().barrier(); // frees pending a grace period are done after this
    const Counts c = counts();
    const sched::StackCounts s = sched::stack_counts();
    kprintf("lifecycle: %s design: %lu forks, %lu reaped; live: processes=%lu pids=%lu files=%lu "
            "stacks=%lu; free pages %lu\n",
            mode_name(), c.forks, c.reaped, c.processes, c.pids, user::live_files(), s.live,
            mm::free_page_count());
    const PidNumberStats n = pid_number_stats();
    kprintf("lifecycle: pids: pid_max %d, wrapped %lu times, %lu numbers free, %lu kept as "
            "process groups, %lu lost\n",
            n.pid_max, n.wraps, n.free, n.groups, n.dropped);
    leak_check_report();
}

void leak_baseline_on_init_fork() {
    if (baseline_claimed.load(std::memory_order_relaxed))
        return;
    Process* me = user::current_process();
    if (!me || me != init_process() || baseline_claimed.exchange(true))
        return;
    baseline = take_ledger();
    baseline_taken.store(true, std::memory_order_release);
}

void leak_check_report() {
    if (!baseline_taken.load(std::memory_order_acquire)) {
        kprintf("lifecycle: leak check: no baseline (init never forked)\n");
        return;
    }
    Process* me = user::current_process();
    if (!me || me != init_process()) {
        kprintf("lifecycle: leak check FAILED: not called by init\n");
        return;
    }
    const Counts c = counts();
    if (c.processes != baseline.processes || c.pids != 1) {
        kprintf("lifecycle: leak check FAILED: %lu processes and %lu pids left (baseline %lu)\n",
                c.processes, c.pids, baseline.processes);
        return;
    }
    wait_for_stacks(baseline.stacks_live);
    pid_table_resize(baseline.pid_order);
    const Ledger now = take_ledger();

    // The first problem found is named in the FAILED line.
    char why[160] = "";
#define LEAK_FAIL(...)                                                                             \
    do {                                                                                           \
        if (!why[0])                                                                               \
            format(why, sizeof why, __VA_ARGS__);                                                  \
    } while (0)

    // Pages: what came back plus what is known to stay.
    const uint64_t new_stack = now.stack_pages - baseline.stack_pages;
    const uint64_t new_tables = now.kernel_table_pages - baseline.kernel_table_pages;
    if (now.pages() != baseline.pages())
        LEAK_FAIL("pages: %ld unaccounted", int64_t(baseline.pages()) - int64_t(now.pages()));

    // Objects: every cache as before, but for init's regions in theirs.
    const char* region_cache = kmalloc_cache_name(vm::AddressSpace::region_object_size());
    const int64_t region_growth = int64_t(now.init_regions) - int64_t(baseline.init_regions);
    bool objects_ok = now.caches == baseline.caches;
    if (!objects_ok)
        LEAK_FAIL("objects: %d slab caches, %d at the baseline", now.caches, baseline.caches);
    for (int i = 0; objects_ok && i < now.caches; i++) {
        const bool regions_here = region_cache && strcmp(now.name[i], region_cache) == 0;
        const int64_t expected = int64_t(baseline.live[i]) + (regions_here ? region_growth : 0);
        if (int64_t(now.live[i]) != expected) {
            objects_ok = false;
            LEAK_FAIL("cache %s has %lu live objects, %ld expected (%lu at the baseline)",
                      now.name[i], now.live[i], expected, baseline.live[i]);
        }
    }
    const uint64_t objects_expected = uint64_t(int64_t(baseline.live_total) + region_growth);
    if (now.files != baseline.files)
        LEAK_FAIL("files: %lu open, %lu at the baseline", now.files, baseline.files);
    if (now.stacks_live != baseline.stacks_live)
        LEAK_FAIL("thread stacks: %lu in use, %lu at the baseline", now.stacks_live,
                  baseline.stacks_live);
    // pid numbers: every one is free, cached in a CPU's batch or freed buffer, kept as a
    // group, or in use (only init's now): a fork that failed part-way must give its back.
    const PidNumberStats n = pid_number_stats();
    const uint64_t numbers = n.free + n.cached + n.groups + c.pids;
    if (numbers != uint64_t(n.pid_max - 1))
        LEAK_FAIL("pid numbers: %ld of %d unaccounted", int64_t(n.pid_max - 1) - int64_t(numbers),
                  n.pid_max - 1);

    kprintf("lifecycle: leak ledger: free pages %lu -> %lu, slab pages %lu -> %lu, %lu new stack "
            "pages, %lu new kernel table pages, init's pages %ld -> %ld, regions %ld -> %ld\n",
            baseline.free_pages, now.free_pages, baseline.slab_pages, now.slab_pages, new_stack,
            new_tables, baseline.init_pages, now.init_pages, baseline.init_regions,
            now.init_regions);
#undef LEAK_FAIL
    if (!why[0])
        kprintf("lifecycle: leak check: pages ok (%lu -> %lu), objects ok (%lu -> %lu), pid "
                "numbers ok (%lu free, %lu cached, %lu groups, %lu in use)\n",
                baseline.pages(), now.pages(), objects_expected, now.live_total, n.free, n.cached,
                n.groups, c.pids);
    else
        kprintf("lifecycle: leak check FAILED: %s (pages %lu -> %lu, objects %lu -> %lu)\n", why,
                baseline.pages(), now.pages(), objects_expected, now.live_total);
}

} // namespace kernel::proc
