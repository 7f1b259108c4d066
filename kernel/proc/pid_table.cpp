// pid -> process: the RCU hash from lockfree/ (lookups take no lock; an
// update locks one bucket). pid numbers: kernel/proc/pid_alloc.h, per-CPU
// batches that wrap around at pid_max (boot option, default 32768) and never
// hand out a number a process, a zombie or a live process's group still
// holds; the shared state is touched only when a CPU refills its batch or
// returns a batch of freed numbers. In the seed design every pid operation
// runs under the one global lock instead (seed.h), numbers one at a time.
#include <atomic>

#include "arch/mmu.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/pmm.h"
#include "kernel/panic.h"
#include "kernel/proc/lifecycle.h"
#include "kernel/proc/pid_alloc.h"
#include "kernel/proc/seed.h"
#include "lockfree/rcu_hash.h"

namespace kernel::proc {
namespace {

struct PidTraits {
    using Key = int;
    static int key(const Process& p) { return p.pid; }
    static uint64_t hash(int pid) { return scythe::lf::hash_mix64(static_cast<uint64_t>(pid)); }
};

struct KernelAlloc {
    void* allocate(size_t bytes, size_t) noexcept { return kmalloc(bytes); }
    void deallocate(void* p, size_t, size_t) noexcept { kfree(p); }
};

using PidHash = scythe::lf::RcuHashTable<Process, PidTraits, KernelRcu, KernelAlloc>;
alignas(PidHash) unsigned char table_storage[sizeof(PidHash)];
PidHash* table;

PidHash& hash() {
    if (!table) // first use is on the boot CPU, before any other CPU forks
        table = new (table_storage) PidHash(rcu(), KernelAlloc{}, 6);
    return *table;
}

using Pids = scythe::proc::PidAllocator<LfPlatform>;
Pids pids;
bool pids_ready = false;
// Numbers kept only as process groups or sessions: each is some live
// process's pgid or sid, so two per process at most.
int group_list[2 * kMaxProcesses + 64];

// Visits the process group (and session, where processes have one) of
// every process in the table, zombies included: the allocator's group check.
// Called pinned, under the allocator's lock.
template <class Proc, class Visit>
void visit_holders(Proc& p, Visit& visit) {
    visit(p.pgid.load(std::memory_order_relaxed));
    if constexpr (requires { p.sid; })
        visit(p.sid.load(std::memory_order_relaxed));
}

struct Groups {
    template <class Visit>
    void operator()(Visit&& visit) const {
        KernelRcu::ReadGuard rd(rcu());
        hash().for_each([&](Process& p) { visit_holders(p, visit); });
    }
};

Pids& pid_numbers() {
    if (!pids_ready) { // first use is spawning init, on the boot CPU before any fork
        const uint64_t want = cmdline::number("pid_max", kDefaultPidMax);
        const int pid_max = int(want < kMinPidMax   ? kMinPidMax
                                : want > kMaxPidMax ? kMaxPidMax
                                                    : want);
        if (want != uint64_t(pid_max))
            kprintf("lifecycle: pid_max=%lu out of range, using %d\n", want, pid_max);
        const size_t pages = (size_t(pid_max) + mm::kPageSize - 1) / mm::kPageSize;
        const uint64_t phys = mm::alloc_pages(pages); // zeroed: every number Free
        if (!phys)
            panic("lifecycle: no memory for %d pid numbers", pid_max);
        pids.init(static_cast<std::atomic<uint8_t>*>(arch::phys_to_virt(phys)), pid_max, group_list,
                  sizeof group_list / sizeof group_list[0], cpus_enumerated());
        pids_ready = true;
    }
    return pids;
}

} // namespace

int alloc_pid() {
    Pids& p = pid_numbers();
    if (mode() == Mode::Seed) {
        SeedGuard g;
        return p.alloc_unbatched(Groups{});
    }
    return p.alloc(Groups{});
}

void pid_free(int pid) {
    pid_numbers().free(pid, Groups{});
}

void pid_join_group(int pgid) {
    pid_numbers().join_group(pgid);
}

void pid_join_groups_of(Process* p) {
    auto join = [](int g) { pid_numbers().join_group(g); };
    visit_holders(*p, join);
}

PidNumberStats pid_number_stats() {
    const scythe::proc::PidStats s = pid_numbers().stats();
    return {s.pid_max, s.wraps,   uint64_t(s.free),
            s.groups,  s.dropped, uint64_t(pid_numbers().cached_numbers())};
}

void pid_insert(Process* p) {
    if (mode() == Mode::Seed) {
        SeedGuard g;
        hash().insert(p);
        return;
    }
    hash().insert(p);
    hash().auto_resize(); // at most one level per call; cheap when no resize is due
}

void pid_remove(Process* p) {
    if (mode() == Mode::Seed) {
        SeedGuard g;
        hash().remove(p);
        return;
    }
    hash().remove(p);
}

Process* pid_lookup(int pid) {
    if (mode() == Mode::Seed) {
        SeedGuard g;
        return hash().lookup(pid);
    }
    return hash().lookup(pid);
}

void for_each_process(void (*fn)(Process*, void*), void* arg) {
    hash().for_each([&](Process& p) { fn(&p, arg); });
}

unsigned pid_table_order() {
    return hash().order();
}

void pid_table_resize(unsigned order) {
    // Only from the leak check, where init is the only process: no update races the resize
    // (so the seed design's lock, which a shrink's grace period could not sleep under, is not
    // needed either).
    hash().resize(order);
}

uint64_t pid_count() {
    return hash().size();
}

} // namespace kernel::proc
