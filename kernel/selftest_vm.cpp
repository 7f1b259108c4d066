// test=vm: user address spaces (map/unmap/protect/translate with every page
// returned), copy-on-write after clone_cow (faults taken by kernel-mode
// writes through the user mapping, as fork's first writes will be), and TLB
// shootdown (only CPUs that loaded the space are interrupted, once per
// operation, and they see the new mapping afterwards).
#include <atomic>

#include "arch/cpu.h"
#include "arch/mmu.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/mm/kmem.h"
#include "kernel/mm/pmm.h"
#include "kernel/vm/address_space.h"
#include "kernel/vm/page_ref.h"
#include "kernel/xcall.h"

namespace kernel {
namespace {

using vm::AddressSpace;
constexpr unsigned kRW = arch::kProtRead | arch::kProtWrite;

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        failures++;
        kprintf("selftest vm: FAILED: %s\n", what);
    }
}

volatile uint64_t* at(uintptr_t va) {
    return reinterpret_cast<volatile uint64_t*>(va);
}
uint64_t* direct(uint64_t phys) {
    return static_cast<uint64_t*>(arch::phys_to_virt(phys));
}
// A page from the allocator holding `value` in its first word.
uint64_t page_with(uint64_t value) {
    const uint64_t p = mm::alloc_page();
    if (p)
        *direct(p) = value;
    return p;
}
// Free pages plus the pages slab caches hold: unchanged by a test that gives
// back everything it took, even when a heap size class had to grow on a CPU
// whose magazines were cold (the selftest thread may have migrated).
size_t unused_pages() {
    return mm::free_page_count() + mm::cache_registry().held_pages();
}
uint64_t pa_of(AddressSpace* s, uintptr_t va) {
    uint64_t pa = 0;
    return s->translate(va, &pa) ? pa : 0;
}

// One create/map/fault/destroy cycle, so the heap's size classes (which keep
// their pages) are warm before the tests count free pages.
void warm_up() {
    AddressSpace* s = AddressSpace::create();
    s->map_anonymous(0x10000000, vm::kPageSize, kRW);
    vm::activate(s);
    *at(0x10000000) = 1;
    vm::activate(nullptr);
    s->destroy();
}

void test_basic() {
    const size_t free_before = unused_pages();
    AddressSpace* s = AddressSpace::create();
    const uintptr_t a = 0x400000, b = a + vm::kPageSize, far = 0x7ffffffff000;
    const uint64_t pa = page_with(0xa), pb = page_with(0xb), pf = page_with(0xf);
    check(s->map(a, pa, kRW) && s->map(b, pb, arch::kProtRead) && s->map(far, pf, kRW), "map");
    check(!s->map(a, pb, kRW), "map over a mapped page is refused");
    check(!s->map(arch::kUserSpaceEnd, pb, kRW), "map in the kernel half is refused");
    check(s->table_pages() == 6, "two paths of three tables under the root");
    unsigned prot = 0;
    check(pa_of(s, a + 8) == pa + 8 && s->translate(a, nullptr, &prot) && (prot & arch::kProtWrite),
          "translate a writable page");
    check(s->translate(b, nullptr, &prot) && !(prot & arch::kProtWrite), "translate read-only");
    check(!s->translate(b + vm::kPageSize, nullptr), "translate an absent page");
    s->protect(a, 2 * vm::kPageSize, arch::kProtRead);
    check(s->translate(a, nullptr, &prot) && !(prot & arch::kProtWrite), "protect read-only");
    s->protect(a, vm::kPageSize, 0);
    check(s->translate(a, nullptr, &prot) && prot == 0 && !s->handle_fault(a, false),
          "PROT_NONE keeps the page, refuses access");
    s->protect(a, vm::kPageSize, kRW);
    check(s->translate(a, nullptr, &prot) && (prot & arch::kProtWrite), "protect writable");

    vm::activate(s);
    check(*at(a) == 0xa && *at(b) == 0xb && *at(far) == 0xf, "reads through the mappings");
    *at(a) = 0xaa;
    check(*direct(pa) == 0xaa, "a write lands in the mapped page");
    // Zero fill on demand: 16 pages, touched in kernel mode.
    const uintptr_t anon = 0x20000000;
    check(s->map_anonymous(anon, 16 * vm::kPageSize, kRW), "map_anonymous");
    for (int i = 0; i < 16; i++) {
        volatile uint64_t* p = at(anon + i * vm::kPageSize);
        if (*p != 0)
            check(false, "zero-filled page is not zero");
        *p = i;
    }
    check(s->mapped_pages() == 19, "16 zero-filled pages mapped");
    // Regions are cut and re-protected like munmap/mprotect.
    const size_t four = 4 * vm::kPageSize;
    unsigned p4 = 0, p3 = 0;
    check(s->protect(anon + four, four, arch::kProtRead) && s->region_count() == 3 &&
              s->translate(anon + four, nullptr, &p4) && !(p4 & arch::kProtWrite) &&
              s->translate(anon + four - vm::kPageSize, nullptr, &p3) && (p3 & arch::kProtWrite),
          "protect the middle of a region splits it");
    check(s->unmap(anon + 3 * four, four) && s->region_count() == 3 && s->mapped_pages() == 15,
          "unmap the end of a region trims it");
    check(s->unmap(anon + four, four) && s->region_count() == 2 && s->mapped_pages() == 11,
          "unmap a whole region removes it");
    check(s->map_anonymous(anon + four, four, kRW) && *at(anon + four + vm::kPageSize) == 0,
          "a fresh region in the hole zero-fills again");
    vm::activate(nullptr);

    s->unmap(far);
    check(s->table_pages() == 4, "the far path's tables freed (the anon range added one)");
    s->unmap(b);
    check(!s->translate(b, nullptr) && pa_of(s, a) == pa, "unmap one page, its neighbour stays");
    s->destroy();
    const size_t free_after = unused_pages();
    check(free_after == free_before, "destroy returns every page");
    kprintf("selftest vm: map/unmap/protect/translate/zero-fill: %s (unused pages %zu -> %zu)\n",
            failures ? "FAILED" : "ok", free_before, free_after);
}

void test_cow() {
    const int failed_before = failures;
    const size_t free_before = unused_pages();
    AddressSpace* parent = AddressSpace::create();
    constexpr int kPages = 4;
    const uintptr_t base = 0x600000, ro = 0x700000, anon = 0x800000;
    uint64_t orig[kPages];
    for (int i = 0; i < kPages; i++) {
        orig[i] = page_with(0x100 + i);
        parent->map(base + i * vm::kPageSize, orig[i], kRW);
    }
    const uint64_t ro_page = page_with(0x200);
    parent->map(ro, ro_page, arch::kProtRead);
    parent->map_anonymous(anon, 4 * vm::kPageSize, kRW);

    AddressSpace* child = parent->clone_cow();
    check(child != nullptr, "clone_cow");
    bool shared = true;
    for (int i = 0; i < kPages; i++)
        shared = shared && pa_of(child, base + i * vm::kPageSize) == orig[i] &&
                 vm::page_ref_count(orig[i] / vm::kPageSize) == 2;
    check(shared && vm::page_ref_count(ro_page / vm::kPageSize) == 2,
          "clone shares every page, refcount 2");

    // The child writes page 0: a fault in kernel mode, copied.
    vm::activate(child);
    *at(base) = 0xc0;
    const uint64_t copied = pa_of(child, base);
    check(copied != orig[0] && *at(base) == 0xc0, "child write: page copied");
    check(*direct(orig[0]) == 0x100, "parent's page unchanged");
    check(vm::page_ref_count(orig[0] / vm::kPageSize) == 1, "refcount back to 1");
    check(*at(anon) == 0 && pa_of(parent, anon) == 0, "child zero-fills its own anonymous page");

    // The parent writes page 0 (now unshared: made writable in place) and
    // page 1 (still shared: copied; the child's becomes the only reference).
    vm::activate(parent);
    *at(base) = 0xd0;
    check(pa_of(parent, base) == orig[0] && *direct(orig[0]) == 0xd0, "parent write, unshared");
    *at(base + vm::kPageSize) = 0xd1;
    check(pa_of(parent, base + vm::kPageSize) != orig[1] && *direct(orig[1]) == 0x101 &&
              vm::page_ref_count(orig[1] / vm::kPageSize) == 1,
          "parent write, shared: copied");
    check(*at(ro) == 0x200, "read-only page still readable");
    vm::activate(nullptr);

    child->destroy();
    check(vm::page_ref_count(orig[2] / vm::kPageSize) == 1, "child's references dropped");
    parent->destroy();
    const size_t free_after = unused_pages();
    check(free_after == free_before, "both destroyed: every page returned");
    kprintf("selftest vm: copy-on-write: %s (unused pages %zu -> %zu)\n",
            failures == failed_before ? "ok" : "FAILED", free_before, free_after);
}

// Shootdown: `loaders` CPUs load the space and read through it; this CPU
// (which never loads it) changes the mapping.
struct Shoot {
    AddressSpace* space;
    uintptr_t va;
    int pages;
    std::atomic<uint64_t> seen[smp::kMaxCpus];
};
Shoot shoot;

void load_and_read(void*) {
    vm::activate(shoot.space);
    uint64_t sum = 0;
    for (int i = 0; i < shoot.pages; i++)
        sum += *at(shoot.va + i * vm::kPageSize);
    shoot.seen[arch::this_cpu_id()].store(sum, std::memory_order_relaxed);
}
void unload(void*) {
    vm::activate(nullptr);
}
std::atomic<bool> still_active{true};
void note_active(void*) {
    still_active.store(vm::active_space() != nullptr);
}

uint64_t received(uint32_t cpu) {
    return vm::tlb_stats(cpu).received;
}

void test_shootdown() {
    const int failed_before = failures;
    const size_t free_before = unused_pages();
    const uint32_t me = arch::this_cpu_id(), n = cpus_online();
    // Loaders: up to two CPUs other than this one; the rest must stay quiet.
    uint32_t loaders[2];
    uint32_t nloaders = 0;
    for (uint32_t c = 0; c < n && nloaders < 2; c++)
        if (c != me && cpu_block(c).online.load())
            loaders[nloaders++] = c;
    auto run_on_loaders = [&](XcallFn fn) {
        for (uint32_t i = 0; i < nloaders; i++)
            xcall_one(loaders[i], fn, nullptr, XcallWait::Yes);
        if (nloaders == 0)
            fn(nullptr); // one CPU: the same checks, without IPIs
    };
    uint64_t before[smp::kMaxCpus];
    auto snapshot = [&] {
        for (uint32_t c = 0; c < n; c++)
            before[c] = received(c);
    };
    // Every loader in `expect` got exactly `rounds` shootdowns; nobody else any.
    auto check_ipis = [&](uint64_t rounds, uint32_t expect_mask, const char* what) {
        bool ok = true;
        for (uint32_t c = 0; c < n; c++) {
            uint64_t want = 0;
            for (uint32_t i = 0; i < nloaders; i++)
                if (loaders[i] == c && (expect_mask >> i & 1))
                    want = rounds;
            if (received(c) - before[c] != want) {
                kprintf("selftest vm: cpu %u received %lu shootdowns, expected %lu\n", c,
                        received(c) - before[c], want);
                ok = false;
            }
        }
        check(ok, what);
    };

    AddressSpace* s = AddressSpace::create();
    const uintptr_t x = 0x900000;
    constexpr int kPages = 8;
    for (int i = 0; i < kPages; i++)
        s->map(x + i * vm::kPageSize, page_with(1), kRW);
    shoot.space = s;
    shoot.va = x;
    shoot.pages = kPages;
    run_on_loaders(load_and_read);
    for (uint32_t i = 0; i < nloaders; i++)
        check(shoot.seen[loaders[i]].load() == kPages, "loaders read the first pages");

    // Remap one page to another page: the loaders must see the new one.
    const uint64_t rounds_before = vm::tlb_stats(me).rounds;
    snapshot();
    s->unmap(x);
    s->map(x, page_with(100), kRW);
    check_ipis(1, 3, "one shootdown per loader for the remap, none elsewhere");
    run_on_loaders(load_and_read);
    for (uint32_t i = 0; i < nloaders; i++)
        check(shoot.seen[loaders[i]].load() == 100 + kPages - 1, "loaders see the new page");

    // Unmapping all eight pages is one round, not eight; then remap them.
    snapshot();
    s->unmap(x, kPages * vm::kPageSize);
    check_ipis(1, 3, "one shootdown for an eight-page unmap");
    check(s->table_pages() == 0 && s->mapped_pages() == 0, "every table freed");
    for (int i = 0; i < kPages; i++)
        s->map(x + i * vm::kPageSize, page_with(2), kRW);
    run_on_loaders(load_and_read);
    for (uint32_t i = 0; i < nloaders; i++)
        check(shoot.seen[loaders[i]].load() == 2 * kPages, "loaders see the remapped range");

    // Lazy trimming: the second loader switches away; the next operation
    // still interrupts it once (it leaves the set), the one after does not.
    if (nloaders == 2) {
        xcall_one(loaders[1], unload, nullptr, XcallWait::Yes);
        snapshot();
        s->protect(x, kPages * vm::kPageSize, arch::kProtRead);
        check_ipis(1, 3, "protect: both loaders interrupted, the idle one trims itself");
        snapshot();
        s->protect(x, kPages * vm::kPageSize, kRW);
        s->protect(x, kPages * vm::kPageSize, arch::kProtRead);
        check_ipis(1, 1, "after trimming only the active loader is interrupted");
        check(!s->cpus().has(loaders[1]), "the idle loader left the set");
    }
    const uint64_t rounds = vm::tlb_stats(me).rounds - rounds_before;

    // The first loader still has the space loaded: destroy switches it away.
    for (uint32_t i = 1; i < nloaders; i++)
        xcall_one(loaders[i], unload, nullptr, XcallWait::Yes);
    s->destroy();
    if (nloaders > 0)
        xcall_one(loaders[0], note_active, nullptr, XcallWait::Yes);
    check(nloaders == 0 || !still_active.load(), "destroy unloads a lazily loaded space");
    const size_t free_after = unused_pages();
    check(free_after == free_before, "every page returned");
    uint32_t quiet = 0;
    for (uint32_t c = 0; c < n; c++)
        quiet +=
            c != me && !(nloaders > 0 && c == loaders[0]) && !(nloaders > 1 && c == loaders[1]);
    kprintf("selftest vm: tlb shootdown: %s (%u loaders, %u CPUs never interrupted, %lu rounds, "
            "unused pages %zu -> %zu)\n",
            failures == failed_before ? "ok" : "FAILED", nloaders, quiet, rounds, free_before,
            free_after);
}

} // namespace

int selftest_vm_fork(); // kernel/selftest_vm_fork.cpp

int selftest_vm() {
    vm::init();
    warm_up();
    test_basic();
    test_cow();
    test_shootdown();
    failures += selftest_vm_fork();
    kprintf("selftest vm: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}

} // namespace kernel
