// Unit tests for kernel/mm/buddy.h: split/merge, coalescing to the max order, misaligned and
// multiple ranges, reservations, exhaustion, batches, and broken-invariant detection.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "tests/mm/mm_test_support.h"

namespace scythe::mm::test {
namespace {

constexpr pfn_t kBase = Arena::kBasePfn;

struct BuddyFixture {
    explicit BuddyFixture(std::size_t pages) : frames(pages), buddy(frames.data(), kBase, pages) {}
    std::vector<PageFrame> frames;
    Buddy buddy;
};

TEST(Buddy, AllocAllFreeAllInRandomOrderCoalescesToMaxOrder) {
    BuddyFixture f(4096);
    f.buddy.add_range(kBase, 4096);
    EXPECT_EQ(f.buddy.total_pages(), 4096u);
    EXPECT_EQ(f.buddy.free_pages(), 4096u);
    EXPECT_EQ(f.buddy.free_blocks(Buddy::kMaxOrder), 4u);

    std::vector<pfn_t> got;
    std::set<pfn_t> seen;
    for (;;) {
        pfn_t p = f.buddy.alloc(0);
        if (p == kNoPfn)
            break;
        ASSERT_TRUE(f.buddy.contains(p));
        ASSERT_TRUE(seen.insert(p).second) << "pfn handed out twice: " << p;
        got.push_back(p);
    }
    EXPECT_EQ(got.size(), 4096u);
    EXPECT_EQ(f.buddy.free_pages(), 0u);
    EXPECT_EQ(f.buddy.stats().failures, 1u);
    ASSERT_TRUE(f.buddy.check_invariants());

    std::mt19937 rng(42);
    std::shuffle(got.begin(), got.end(), rng);
    for (std::size_t i = 0; i < got.size(); ++i) {
        f.buddy.free(got[i], 0);
        if (i % 512 == 0) {
            ASSERT_TRUE(f.buddy.check_invariants());
        }
    }
    EXPECT_EQ(f.buddy.free_pages(), 4096u);
    for (unsigned o = 0; o < Buddy::kMaxOrder; ++o)
        EXPECT_EQ(f.buddy.free_blocks(o), 0u) << o;
    EXPECT_EQ(f.buddy.free_blocks(Buddy::kMaxOrder), 4u);
    EXPECT_TRUE(f.buddy.check_invariants());
}

TEST(Buddy, MixedOrdersAreAlignedDisjointAndMergeBack) {
    BuddyFixture f(2048);
    f.buddy.add_range(kBase, 2048);
    std::mt19937 rng(7);
    std::vector<std::pair<pfn_t, unsigned>> live;
    std::vector<int> owner(2048, -1);
    for (int round = 0; round < 4; ++round) {
        for (int i = 0; i < 400; ++i) {
            unsigned order = rng() % 6;
            pfn_t p = f.buddy.alloc(order);
            if (p == kNoPfn)
                continue;
            ASSERT_EQ(p & ((pfn_t{1} << order) - 1), 0u) << "block not naturally aligned";
            for (pfn_t q = p; q < p + (pfn_t{1} << order); ++q) {
                ASSERT_EQ(owner[q - kBase], -1) << "overlapping blocks at " << q;
                owner[q - kBase] = static_cast<int>(live.size());
            }
            live.emplace_back(p, order);
        }
        // Free a random half.
        std::shuffle(live.begin(), live.end(), rng);
        std::size_t keep = live.size() / 2;
        for (std::size_t i = keep; i < live.size(); ++i) {
            auto [p, order] = live[i];
            for (pfn_t q = p; q < p + (pfn_t{1} << order); ++q)
                owner[q - kBase] = -1;
            f.buddy.free(p, order);
        }
        live.resize(keep);
        for (std::size_t i = 0; i < live.size(); ++i) { // re-index owners
            auto [p, order] = live[i];
            for (pfn_t q = p; q < p + (pfn_t{1} << order); ++q)
                owner[q - kBase] = static_cast<int>(i);
        }
        ASSERT_TRUE(f.buddy.check_invariants());
    }
    for (auto [p, order] : live)
        f.buddy.free(p, order);
    EXPECT_EQ(f.buddy.free_pages(), 2048u);
    EXPECT_EQ(f.buddy.free_blocks(Buddy::kMaxOrder), 2u);
    EXPECT_TRUE(f.buddy.check_invariants());
}

TEST(Buddy, MisalignedAndMultipleRanges) {
    // Span of 3000 frames; two usable ranges with odd edges and a hole between them.
    BuddyFixture f(3000);
    f.buddy.add_range(kBase + 3, 1000);    // [3, 1003)
    f.buddy.add_range(kBase + 1500, 1337); // [1500, 2837)
    EXPECT_EQ(f.buddy.total_pages(), 2337u);
    EXPECT_EQ(f.buddy.free_pages(), 2337u);
    ASSERT_TRUE(f.buddy.check_invariants());
    // [3, 1003) holds no aligned 1024-block; [1500, 2837) holds none either (2048 + 1024 > 2837).
    EXPECT_EQ(f.buddy.alloc(10), kNoPfn);
    pfn_t p9 = f.buddy.alloc(9);
    ASSERT_NE(p9, kNoPfn);
    EXPECT_EQ((p9 - kBase) % 512, 0u);
    f.buddy.free(p9, 9);

    std::vector<pfn_t> all;
    for (pfn_t p; (p = f.buddy.alloc(0)) != kNoPfn;) {
        pfn_t i = p - kBase;
        ASSERT_TRUE((i >= 3 && i < 1003) || (i >= 1500 && i < 2837)) << "page from a hole: " << i;
        all.push_back(p);
    }
    EXPECT_EQ(all.size(), 2337u);
    std::mt19937 rng(3);
    std::shuffle(all.begin(), all.end(), rng);
    f.buddy.free_batch(all.data(), all.size());
    EXPECT_EQ(f.buddy.free_pages(), 2337u);
    EXPECT_TRUE(f.buddy.check_invariants());
    // Adjacent ranges added separately merge across their boundary.
    BuddyFixture g(2048);
    g.buddy.add_range(kBase, 700);
    g.buddy.add_range(kBase + 700, 1348);
    EXPECT_EQ(g.buddy.free_blocks(Buddy::kMaxOrder), 2u);
    EXPECT_TRUE(g.buddy.check_invariants());
}

TEST(Buddy, ReserveBeforeAndAfterAdd) {
    BuddyFixture f(1024);
    f.buddy.reserve(kBase, 16); // e.g. the kernel image, before the range is added
    f.buddy.add_range(kBase, 1024);
    EXPECT_EQ(f.buddy.total_pages(), 1008u);
    f.buddy.reserve(kBase + 517, 3); // carved out of a free block after the add
    EXPECT_EQ(f.buddy.total_pages(), 1005u);
    EXPECT_EQ(f.buddy.free_pages(), 1005u);
    ASSERT_TRUE(f.buddy.check_invariants());
    std::vector<pfn_t> all;
    for (pfn_t p; (p = f.buddy.alloc(0)) != kNoPfn;) {
        pfn_t i = p - kBase;
        ASSERT_FALSE(i < 16 || (i >= 517 && i < 520)) << "reserved page handed out: " << i;
        all.push_back(p);
    }
    EXPECT_EQ(all.size(), 1005u);
    f.buddy.free_batch(all.data(), all.size());
    EXPECT_TRUE(f.buddy.check_invariants());
}

TEST(Buddy, ExhaustionIsAFailureValue) {
    BuddyFixture f(64);
    f.buddy.add_range(kBase, 64);
    EXPECT_EQ(f.buddy.alloc(Buddy::kMaxOrder + 1), kNoPfn); // beyond the max order
    EXPECT_EQ(f.buddy.alloc(7), kNoPfn);                    // bigger than all memory
    pfn_t a = f.buddy.alloc(6);
    ASSERT_NE(a, kNoPfn);
    EXPECT_EQ(f.buddy.alloc(0), kNoPfn);
    pfn_t out[8];
    EXPECT_EQ(f.buddy.alloc_batch(8, out), 0u);
    EXPECT_EQ(f.buddy.stats().failures, 4u);
    f.buddy.free(a, 6);
    EXPECT_EQ(f.buddy.alloc_batch(8, out), 8u);
    f.buddy.free_batch(out, 8);
    EXPECT_EQ(f.buddy.free_pages(), 64u);
    EXPECT_TRUE(f.buddy.check_invariants());
}

TEST(Buddy, BatchesTakeTheLockOnce) {
    BuddyFixture f(1024);
    f.buddy.add_range(kBase, 1024);
    auto before = f.buddy.stats().lock_acquires;
    std::vector<pfn_t> out(300);
    EXPECT_EQ(f.buddy.alloc_batch(out.size(), out.data()), 300u);
    EXPECT_EQ(f.buddy.stats().lock_acquires, before + 1);
    std::set<pfn_t> uniq(out.begin(), out.end());
    EXPECT_EQ(uniq.size(), 300u);
    f.buddy.free_batch(out.data(), out.size());
    EXPECT_EQ(f.buddy.stats().lock_acquires, before + 2);
    EXPECT_EQ(f.buddy.free_pages(), 1024u);
}

TEST(Buddy, PageFrameMetadata) {
    BuddyFixture f(64);
    f.buddy.add_range(kBase, 64);
    pfn_t p = f.buddy.alloc(2);
    const PageFrame& fr = f.buddy.frame(p);
    EXPECT_EQ(fr.order, 2);
    EXPECT_TRUE(fr.flags & PageFrame::kAllocated);
    EXPECT_EQ(fr.refcount.load(), 1u);
    EXPECT_EQ(f.buddy.pfn_of(fr), p);
    f.buddy.free(p, 2);
    EXPECT_EQ(fr.refcount.load(), 0u);
    EXPECT_FALSE(fr.flags & PageFrame::kAllocated);
}

TEST(BuddyDeathTest, DoubleFreeAndWrongOrderStop) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    BuddyFixture f(64);
    f.buddy.add_range(kBase, 64);
    pfn_t p = f.buddy.alloc(1);
    EXPECT_DEATH(f.buddy.free(p, 0), "assertion failed");
    f.buddy.free(p, 1);
    EXPECT_DEATH(f.buddy.free(p, 1), "assertion failed");
    EXPECT_DEATH(f.buddy.free(kBase + 1000, 0), "assertion failed");
}

} // namespace
} // namespace scythe::mm::test
