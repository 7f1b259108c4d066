// kernel/vm on the host: AddressSpace against a model of what every space
// should map, under random operations (map, unmap, protect, anonymous
// regions, clone_cow, writes and reads through the fault handler, destroy),
// plus clone_cow failing at every allocation. Every page must come back.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "arch/mmu.h"
#include "arch/pte.h"
#include "host_kernel.h"
#include "kernel/mm/pmm.h"
#include "kernel/vm/address_space.h"
#include "kernel/vm/page_ref.h"

namespace {

using kernel::vm::AddressSpace;
constexpr uint64_t kPage = kernel::vm::kPageSize;
constexpr unsigned kRW = arch::kProtRead | arch::kProtWrite;

uint64_t& word(uint64_t phys) {
    return *static_cast<uint64_t*>(arch::phys_to_virt(phys));
}

class VmTest : public ::testing::Test {
protected:
    void SetUp() override {
        vm_host::reset();
        kernel::vm::init();
    }
    void TearDown() override { EXPECT_EQ(vm_host::allocated_pages(), 0u); }
};

TEST_F(VmTest, KernelHalfIsCopied) {
    AddressSpace* s = AddressSpace::create();
    ASSERT_NE(s, nullptr);
    const auto* root = static_cast<const arch::pte_t*>(arch::phys_to_virt(s->root_phys()));
    for (unsigned i = 0; i < arch::kPteEntries; i++)
        ASSERT_EQ(root[i], i < arch::kUserRootEntries ? 0 : vm_host::kernel_half_marker(i));
    s->destroy();
}

TEST_F(VmTest, TablesAreFreedWhenEmpty) {
    AddressSpace* s = AddressSpace::create();
    // Three pages whose paths share nothing below the root.
    const uintptr_t va[] = {0x1000, uintptr_t(1) << 39, (uintptr_t(1) << 47) - kPage};
    for (uintptr_t v : va)
        ASSERT_TRUE(s->map(v, kernel::mm::alloc_page(), kRW));
    EXPECT_EQ(s->table_pages(), 9u);
    EXPECT_EQ(vm_host::allocated_pages(), 1 + 9 + 3u);
    ASSERT_TRUE(s->unmap(va[1]));
    EXPECT_EQ(s->table_pages(), 6u);
    ASSERT_TRUE(s->unmap(0, uintptr_t(1) << 47)); // everything, skipping absent tables
    EXPECT_EQ(s->table_pages(), 0u);
    EXPECT_EQ(s->mapped_pages(), 0u);
    EXPECT_EQ(vm_host::allocated_pages(), 1u);            // the root
    EXPECT_FALSE(s->map(uintptr_t(1) << 47, kPage, kRW)); // kernel half
    EXPECT_FALSE(s->unmap(0x1001));                       // unaligned
    s->destroy();
}

// Fork failing part-way: whatever allocation fails, the parent keeps its
// contents and everything is returned.
TEST_F(VmTest, CloneFailsCleanlyAtEveryAllocation) {
    AddressSpace* parent = AddressSpace::create();
    const uintptr_t va[] = {0x400000, 0x401000, 0x40000000, uintptr_t(3) << 39};
    for (int i = 0; i < 4; i++) {
        const uint64_t p = kernel::mm::alloc_page();
        word(p) = 100 + i;
        ASSERT_TRUE(parent->map(va[i], p, kRW));
    }
    const uint64_t baseline = vm_host::allocated_pages();
    for (long fail = 0;; fail++) {
        vm_host::fail_after(fail);
        AddressSpace* child = parent->clone_cow();
        vm_host::fail_after(-1);
        if (child) {
            EXPECT_GT(fail, 4); // a root and 4+ tables at least
            child->destroy();
            break;
        }
        EXPECT_EQ(vm_host::allocated_pages(), baseline) << "after failing allocation " << fail;
        for (int i = 0; i < 4; i++) {
            uint64_t pa = 0;
            ASSERT_TRUE(parent->translate(va[i], &pa));
            EXPECT_EQ(word(pa), uint64_t(100 + i));
            EXPECT_EQ(kernel::vm::page_ref_count(pa / kPage), 1u);
            // Left copy-on-write: the write fault finds it unshared.
            EXPECT_TRUE(parent->handle_fault(va[i], true));
        }
    }
    parent->destroy();
}

// ---- random operations against a model ---------------------------------

struct PageModel {
    uint64_t value;
    unsigned prot; // 0 (PROT_NONE), read, or read-write
};
struct SpaceModel {
    AddressSpace* space;
    std::map<uintptr_t, PageModel> pages;
    std::map<uintptr_t, unsigned> anon; // pages inside anonymous regions -> prot
};

class RandomOps {
public:
    explicit RandomOps(uint32_t seed) : rng_(seed) {}

    void run(int ops) {
        spaces_.push_back({AddressSpace::create(), {}, {}});
        for (int i = 0; i < ops; i++) {
            step();
            if (i % 64 == 0)
                check_all();
            if (::testing::Test::HasFailure())
                return;
        }
        check_all();
        for (SpaceModel& m : spaces_)
            m.space->destroy();
    }

private:
    // Pages spread over several tables at every level.
    uintptr_t pick_va() {
        return (uintptr_t(rnd(3)) << 39) | (uintptr_t(rnd(2)) << 30) | (uintptr_t(rnd(3)) << 21) |
               (uintptr_t(rnd(8)) << 12);
    }
    uint32_t rnd(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }
    unsigned pick_prot() {
        const uint32_t r = rnd(8);
        return r == 0 ? 0u : r < 3 ? arch::kProtRead : kRW;
    }

    void step() {
        SpaceModel& m = spaces_[rnd(uint32_t(spaces_.size()))];
        const uintptr_t va = pick_va();
        const size_t len = (1 + rnd(4)) * kPage;
        switch (rnd(10)) {
        case 0: { // map a fresh page
            const uint64_t p = kernel::mm::alloc_page();
            ASSERT_NE(p, 0u);
            word(p) = ++next_value_;
            const unsigned prot = pick_prot();
            const bool ok = m.space->map(va, p, prot);
            ASSERT_EQ(ok, !m.pages.count(va));
            if (ok)
                m.pages[va] = {next_value_, prot};
            else
                kernel::mm::free_page(p);
            break;
        }
        case 1: // unmap a range
            ASSERT_TRUE(m.space->unmap(va, len));
            for (uintptr_t v = va; v < va + len; v += kPage) {
                m.pages.erase(v);
                m.anon.erase(v);
            }
            break;
        case 2: { // protect a range
            const unsigned prot = pick_prot();
            ASSERT_TRUE(m.space->protect(va, len, prot));
            for (uintptr_t v = va; v < va + len; v += kPage) {
                if (auto it = m.pages.find(v); it != m.pages.end())
                    it->second.prot = prot;
                if (auto it = m.anon.find(v); it != m.anon.end())
                    it->second = prot;
            }
            break;
        }
        case 3: { // an anonymous region
            const unsigned prot = pick_prot();
            bool overlaps = false;
            for (uintptr_t v = va; v < va + len; v += kPage)
                overlaps = overlaps || m.anon.count(v);
            ASSERT_EQ(m.space->map_anonymous(va, len, prot), !overlaps);
            if (!overlaps)
                for (uintptr_t v = va; v < va + len; v += kPage)
                    m.anon[v] = prot;
            break;
        }
        case 4:
            if (spaces_.size() < 4) {
                SpaceModel child = m; // pages and regions, copied
                child.space = m.space->clone_cow();
                ASSERT_NE(child.space, nullptr);
                spaces_.push_back(child);
            }
            break;
        case 5:
            if (spaces_.size() > 1) {
                const size_t i = rnd(uint32_t(spaces_.size()));
                spaces_[i].space->destroy();
                spaces_.erase(spaces_.begin() + long(i));
            }
            break;
        case 6:
        case 7:
            write(m, va);
            break;
        default:
            read(m, va);
            break;
        }
    }

    // What a CPU does for a store: fault if needed, then write.
    void write(SpaceModel& m, uintptr_t va) {
        auto page = m.pages.find(va);
        const auto region = m.anon.find(va);
        const unsigned prot = page != m.pages.end()    ? page->second.prot
                              : region != m.anon.end() ? region->second
                                                       : 0u;
        const bool allowed = prot & arch::kProtWrite;
        ASSERT_EQ(m.space->handle_fault(va + 8, true), allowed) << std::hex << va;
        if (!allowed)
            return;
        if (page == m.pages.end()) // zero-filled just now
            page = m.pages.emplace(va, PageModel{0, prot}).first;
        uint64_t pa = 0;
        ASSERT_TRUE(m.space->translate(va, &pa));
        ASSERT_EQ(kernel::vm::page_ref_count(pa / kPage), 1u) << "writing a shared page";
        word(pa) = page->second.value = ++next_value_;
    }

    void read(SpaceModel& m, uintptr_t va) {
        auto page = m.pages.find(va);
        if (page != m.pages.end() && page->second.prot == 0) {
            ASSERT_FALSE(m.space->handle_fault(va, false)) << "read of a PROT_NONE page";
            return;
        }
        if (page == m.pages.end()) {
            const auto region = m.anon.find(va);
            const bool allowed = region != m.anon.end() && region->second != 0;
            ASSERT_EQ(m.space->handle_fault(va, false), allowed);
            if (!allowed)
                return;
            page = m.pages.emplace(va, PageModel{0, region->second}).first;
        }
        uint64_t pa = 0;
        ASSERT_TRUE(m.space->translate(va, &pa));
        ASSERT_EQ(word(pa), page->second.value);
    }

    void check_all() {
        uint64_t table_pages = 0;
        std::map<uint64_t, uint32_t> refs; // physical page -> mappings seen
        for (SpaceModel& m : spaces_) {
            ASSERT_EQ(m.space->mapped_pages(), m.pages.size());
            for (const auto& [va, page] : m.pages) {
                uint64_t pa = 0;
                unsigned prot = 0;
                ASSERT_TRUE(m.space->translate(va, &pa, &prot)) << std::hex << va;
                ASSERT_EQ(word(pa), page.value) << std::hex << va;
                ASSERT_EQ(prot & kRW, page.prot) << std::hex << va;
                refs[pa]++;
            }
            table_pages += 1 + m.space->table_pages();
        }
        for (const auto& [pa, n] : refs)
            ASSERT_EQ(kernel::vm::page_ref_count(pa / kPage), n);
        // Nothing else is allocated: every page is mapped or a table.
        ASSERT_EQ(vm_host::allocated_pages(), refs.size() + table_pages);
    }

    std::mt19937 rng_;
    std::vector<SpaceModel> spaces_;
    uint64_t next_value_ = 0;
};

TEST_F(VmTest, RandomOperationsMatchTheModel) {
    for (uint32_t seed = 1; seed <= 20; seed++) {
        SCOPED_TRACE(seed);
        RandomOps(seed).run(4000);
        ASSERT_EQ(vm_host::allocated_pages(), 0u);
        if (HasFailure())
            return;
    }
}

} // namespace
