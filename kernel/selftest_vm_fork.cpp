// test=vm, last phase: fork under fire. A worker thread pinned to every CPU
// runs in one "parent" address space and keeps writing its own slot of each
// page of an anonymous region, checking that its previous write is still
// there, while the test thread clones the parent copy-on-write and destroys
// the clone over and over. Every clone write-protects pages the workers are
// writing, so each round is a shootdown to every worker's CPU followed by a
// burst of copy-on-write faults (copies while the clone lives, in-place
// reuse after it is gone). A lost write, a stale writable TLB entry left
// behind, or a deadlock between a shootdown and a fault shows up here.
#include <atomic>

#include "arch/cpu.h"
#include "arch/mmu.h"
#include "arch/time.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/sched/sched.h"
#include "kernel/vm/address_space.h"
#include "kernel/vm/page_ref.h"

namespace kernel {
namespace {

using vm::AddressSpace;

constexpr int kPages = 8;
constexpr uint32_t kMaxWorkers = 64; // workers beyond this many CPUs are not started
constexpr uintptr_t kBase = 0x40000000;
constexpr uint32_t kMaxRounds = 400;
constexpr uint64_t kRunNs = 1'500'000'000; // stop cloning after this long

struct ForkStress {
    AddressSpace* parent = nullptr;
    std::atomic<bool> stop{false};
    std::atomic<uint32_t> started{0};
    std::atomic<uint32_t> done{0};
    std::atomic<uint32_t> lost_writes{0};
    std::atomic<uint64_t> progress[smp::kMaxCpus]; // iterations each worker completed
};
ForkStress fs;

volatile uint64_t* slot(uintptr_t page_base, uint32_t worker) {
    return reinterpret_cast<volatile uint64_t*>(page_base + worker * sizeof(uint64_t));
}

// Iteration k finds k in each of its slots and leaves k + 1 there.
void worker(void* arg) {
    const auto me = uint32_t(reinterpret_cast<uintptr_t>(arg));
    vm::activate(fs.parent);
    fs.started.fetch_add(1, std::memory_order_release);
    uint64_t value = 0;
    while (!fs.stop.load(std::memory_order_relaxed)) {
        for (int p = 0; p < kPages; p++) {
            volatile uint64_t* s = slot(kBase + p * vm::kPageSize, me);
            if (*s != value && fs.lost_writes.fetch_add(1) < 4)
                kprintf("selftest vm: worker %u page %d holds %lu, wrote %lu\n", me, p, *s, value);
            *s = value + 1;
        }
        value++;
        // release: the test thread reads the slots of a clone after this.
        fs.progress[me].store(value, std::memory_order_release);
    }
    vm::activate(nullptr);
    fs.done.fetch_add(1, std::memory_order_release);
}

bool wait_count(std::atomic<uint32_t>& c, uint32_t n) {
    const uint64_t deadline = arch::monotonic_ns() + 10'000'000'000ull;
    while (c.load(std::memory_order_acquire) < n && arch::monotonic_ns() < deadline)
        sched::yield();
    return c.load() >= n;
}

} // namespace

// Returns the number of failed checks (0: ok).
int selftest_vm_fork() {
    const uint32_t n = cpus_online() < kMaxWorkers ? cpus_online() : kMaxWorkers;
    fs.parent = AddressSpace::create();
    if (!fs.parent || !fs.parent->map_anonymous(kBase, kPages * vm::kPageSize,
                                                arch::kProtRead | arch::kProtWrite)) {
        kprintf("selftest vm: concurrent fork: no address space: FAILED\n");
        return 1;
    }
    uint64_t faults_before[4] = {};
    for (uint32_t c = 0; c < n; c++) {
        const vm::FaultStats f = vm::fault_stats(c);
        faults_before[0] += f.zero_fills;
        faults_before[1] += f.cow_copies;
        faults_before[2] += f.cow_reuses;
        faults_before[3] += f.spurious;
    }
    for (uint32_t c = 0; c < n; c++) {
        if (!sched::spawn(worker, reinterpret_cast<void*>(uintptr_t(c)),
                          {.name = "vm_fork", .cpu = c, .pinned = true})) {
            kprintf("selftest vm: concurrent fork: spawn failed: FAILED\n");
            fs.stop.store(true);
            return 1;
        }
    }
    int failures = 0;
    if (!wait_count(fs.started, n))
        failures++;

    // Clone, check the clone's snapshot is plausible, destroy it; repeat.
    uint32_t rounds = 0, implausible = 0, changed = 0;
    const uint64_t start = arch::monotonic_ns();
    while (rounds < kMaxRounds && arch::monotonic_ns() - start < kRunNs) {
        uint64_t lo[smp::kMaxCpus];
        for (uint32_t w = 0; w < n; w++)
            lo[w] = fs.progress[w].load(std::memory_order_acquire);
        AddressSpace* child = fs.parent->clone_cow();
        if (!child) {
            failures++;
            break;
        }
        uint64_t seen[kPages][kMaxWorkers] = {};
        volatile uint64_t* pages[kPages] = {};
        for (int p = 0; p < kPages; p++) {
            uint64_t pa = 0;
            if (!child->translate(kBase + p * vm::kPageSize, &pa))
                continue; // not touched yet when cloned
            pages[p] = static_cast<volatile uint64_t*>(arch::phys_to_virt(pa));
            for (uint32_t w = 0; w < n; w++) {
                // At least what was complete before the clone, at most one
                // iteration past what is complete now.
                const uint64_t v = seen[p][w] = pages[p][w];
                const uint64_t hi = fs.progress[w].load(std::memory_order_acquire) + 1;
                if ((v < lo[w] || v > hi) && implausible++ < 4)
                    kprintf("selftest vm: clone %u page %d worker %u: %lu not in [%lu, %lu]\n",
                            rounds, p, w, v, lo[w], hi);
            }
        }
        // Nobody runs the clone, so its pages must not change: a worker
        // writing through a writable TLB entry that survived the clone would.
        const uint64_t settle = arch::monotonic_ns() + 2'000'000;
        while (arch::monotonic_ns() < settle)
            arch::cpu_relax();
        for (int p = 0; p < kPages; p++)
            for (uint32_t w = 0; pages[p] && w < n; w++)
                if (pages[p][w] != seen[p][w] && changed++ < 4)
                    kprintf("selftest vm: clone %u page %d worker %u changed %lu -> %lu\n", rounds,
                            p, w, seen[p][w], pages[p][w]);
        child->destroy();
        rounds++;
        if (rounds % 8 == 0)
            sched::yield();
    }
    const uint64_t ms = (arch::monotonic_ns() - start) / 1'000'000;
    fs.stop.store(true, std::memory_order_relaxed);
    if (!wait_count(fs.done, n))
        failures++;

    uint64_t iterations = 0;
    for (uint32_t w = 0; w < n; w++)
        iterations += fs.progress[w].load();
    bool unshared = true;
    for (int p = 0; p < kPages; p++) {
        uint64_t pa = 0;
        if (fs.parent->translate(kBase + p * vm::kPageSize, &pa))
            unshared = unshared && vm::page_ref_count(pa / vm::kPageSize) == 1;
    }
    uint64_t faults[4] = {};
    for (uint32_t c = 0; c < n; c++) {
        const vm::FaultStats f = vm::fault_stats(c);
        faults[0] += f.zero_fills;
        faults[1] += f.cow_copies;
        faults[2] += f.cow_reuses;
        faults[3] += f.spurious;
    }
    fs.parent->destroy();
    failures += implausible + changed + fs.lost_writes.load() + !unshared + (rounds == 0);
    kprintf("selftest vm: concurrent fork: %s (%u workers, %u clones in %lu ms, %lu worker "
            "iterations, %u lost writes, %u implausible and %u changed clone values; faults: %lu "
            "zero fill, "
            "%lu cow copy, %lu cow reuse, %lu spurious)\n",
            failures ? "FAILED" : "ok", n, rounds, ms, iterations, fs.lost_writes.load(),
            implausible, changed, faults[0] - faults_before[0], faults[1] - faults_before[1],
            faults[2] - faults_before[2], faults[3] - faults_before[3]);
    return failures;
}

} // namespace kernel
