// pid -> process: the RCU hash from lockfree/ (lookups take no lock; an
// update locks one bucket), pid numbers from per-CPU batches of a global
// counter (one shared RMW per kBatch forks). In the seed design every pid
// operation runs under the one global lock instead (lifecycle_seed.cpp).
#include <atomic>

#include "kernel/mm/heap.h"
#include "kernel/proc/lifecycle.h"
#include "kernel/proc/seed.h"
#include "lockfree/rcu_hash.h"
#include "smp/percpu.h"

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

constexpr int kBatch = 64;
std::atomic<int> next_batch{1}; // pid 1 is the first pid handed out: init
struct PidBatch {
    int next = 0, end = 0;
};
smp::PerCpu<PidBatch> batches;
int seed_next_pid = 1; // under the seed lock

PidHash& hash() {
    if (!table) // first use is on the boot CPU, before any other CPU forks
        table = new (table_storage) PidHash(rcu(), KernelAlloc{}, 6);
    return *table;
}

} // namespace

int alloc_pid() {
    if (mode() == Mode::Seed) {
        SeedGuard g;
        return seed_next_pid++;
    }
    LfPlatform::IrqGuard irq; // this CPU's batch
    PidBatch& b = batches.local();
    if (b.next == b.end) {
        b.next = next_batch.fetch_add(kBatch, std::memory_order_relaxed);
        b.end = b.next + kBatch;
    }
    return b.next++;
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
