// test=mm: pages and heap objects allocated on every CPU at once, each CPU
// tagging what it got; then every CPU checks and frees its neighbour's (remote
// frees land in the freeing CPU's caches). Finally every CPU drains its page
// cache and magazines (cross-calls) and the buddy's free pages and every
// slab cache's live objects must be back where they were before the test.
#include <atomic>

#include "arch/cpu.h"
#include "arch/mmu.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lf_platform.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/kmem.h"
#include "kernel/mm/pmm.h"
#include "kernel/xcall.h"

namespace kernel {
namespace {

constexpr uint32_t kPagesPerCpu = 64;
constexpr uint32_t kObjectsPerCpu = 384;
constexpr uint32_t kChurn = 256; // extra local new/delete pairs per CPU
constexpr size_t kSizes[] = {1, 8, 24, 40, 100, 200, 500, 1000, 2000, 3000, 6000};
constexpr uint32_t kSizeCount = sizeof(kSizes) / sizeof(kSizes[0]);
constexpr int kMaxCaches = 16;

struct MmTest {
    uint32_t cpus = 0;
    uint64_t* pages = nullptr; // [cpu * kPagesPerCpu + i], physical
    void** objects = nullptr;  // [cpu * kObjectsPerCpu + i]
    std::atomic<uint64_t> errors{0};
};
MmTest t;

uint64_t page_tag(uint32_t cpu, uint32_t i) {
    return 0x9a9e000000000000ull | uint64_t(cpu) << 32 | i;
}
unsigned char object_tag(uint32_t cpu, uint32_t i) {
    return static_cast<unsigned char>(cpu * 31 + i * 7 + 1);
}

void allocate_body(void*) {
    const uint32_t me = arch::this_cpu_id();
    uint64_t errors = 0;
    for (uint32_t i = 0; i < kPagesPerCpu; i++) {
        const uint64_t phys = mm::alloc_page();
        if (!phys) {
            errors++;
            continue;
        }
        auto* words = static_cast<uint64_t*>(arch::phys_to_virt(phys));
        words[0] = words[mm::kPageSize / 8 - 1] = page_tag(me, i);
        t.pages[me * kPagesPerCpu + i] = phys;
    }
    for (uint32_t i = 0; i < kObjectsPerCpu; i++) {
        const size_t size = kSizes[i % kSizeCount];
        auto* bytes = static_cast<unsigned char*>(kmalloc(size));
        if (!bytes) {
            errors++;
            continue;
        }
        bytes[0] = bytes[size - 1] = object_tag(me, i);
        t.objects[me * kObjectsPerCpu + i] = bytes;
    }
    for (uint32_t i = 0; i < kChurn; i++)
        delete[] new uint64_t[i % 300 + 1];
    t.errors.fetch_add(errors, std::memory_order_relaxed);
}

// Checks and frees the neighbour's pages and objects: nothing was handed to
// two CPUs (the tags survived) and remote frees work.
void free_body(void*) {
    const uint32_t owner = (arch::this_cpu_id() + 1) % t.cpus;
    uint64_t errors = 0;
    for (uint32_t i = 0; i < kPagesPerCpu; i++) {
        const uint64_t phys = t.pages[owner * kPagesPerCpu + i];
        if (!phys)
            continue;
        const auto* words = static_cast<const uint64_t*>(arch::phys_to_virt(phys));
        if (words[0] != page_tag(owner, i) || words[mm::kPageSize / 8 - 1] != page_tag(owner, i))
            errors++;
        mm::free_page(phys);
    }
    for (uint32_t i = 0; i < kObjectsPerCpu; i++) {
        auto* bytes = static_cast<unsigned char*>(t.objects[owner * kObjectsPerCpu + i]);
        if (!bytes)
            continue;
        const size_t size = kSizes[i % kSizeCount];
        if (bytes[0] != object_tag(owner, i) || bytes[size - 1] != object_tag(owner, i))
            errors++;
        kfree(bytes);
    }
    t.errors.fetch_add(errors, std::memory_order_relaxed);
}

struct Snapshot {
    uint64_t free_pages = 0, cached_pages = 0;
    uint64_t live[kMaxCaches] = {};
    int caches = 0;
};

Snapshot snapshot() {
    Snapshot s;
    s.free_pages = mm::buddy().free_pages();
    s.cached_pages = mm::page_cache().cached_pages();
    mm::cache_registry().for_each([&s](const scythe::mm::CacheStats& c) {
        if (s.caches < kMaxCaches)
            s.live[s.caches++] = c.live;
    });
    return s;
}

uint64_t live_total(const Snapshot& s) {
    uint64_t sum = 0;
    for (int i = 0; i < s.caches; i++)
        sum += s.live[i];
    return sum;
}

} // namespace

int selftest_mm() {
    // Pinned: the test's own part and its per-CPU state (RCU online, page
    // cache drained here) must stay on this CPU; the scheduler's load
    // balancer could otherwise move this thread while it waits.
    LfPlatform::PreemptGuard pin;
    const uint32_t n = cpus_enumerated();
    if (cpus_online() != n) {
        kprintf("selftest mm: only %u of %u CPUs online\n", cpus_online(), n);
        return 1;
    }
    t.cpus = n;
    t.pages = new uint64_t[n * kPagesPerCpu]();
    t.objects = new void*[n * kObjectsPerCpu]();
    mm::drain_all_caches();
    const Snapshot before = snapshot();

    xcall_all(allocate_body, nullptr, XcallWait::Yes);
    const uint64_t held = before.free_pages - mm::free_page_count();
    xcall_all(free_body, nullptr, XcallWait::Yes);
    mm::drain_all_caches();
    const Snapshot after = snapshot();

    bool live_ok = after.caches == before.caches;
    for (int i = 0; live_ok && i < after.caches; i++)
        live_ok = after.live[i] == before.live[i];
    const bool ok = t.errors.load() == 0 && live_ok && after.free_pages == before.free_pages &&
                    after.cached_pages == 0;
    mm::print_stats();
    kprintf("selftest mm: %u CPUs took %u pages and %u objects (%lu pages at the peak), freed "
            "remotely, %lu errors\n",
            n, n * kPagesPerCpu, n * kObjectsPerCpu, held, t.errors.load());
    kprintf("selftest mm: free pages %lu before, %lu after; live objects %lu before, %lu after; "
            "%lu pages still cached\n",
            before.free_pages, after.free_pages, live_total(before), live_total(after),
            after.cached_pages);
    kprintf("selftest mm: %s\n", ok ? "ok" : "FAILED");
    delete[] t.pages;
    delete[] t.objects;
    return ok ? 0 : 1;
}

} // namespace kernel
