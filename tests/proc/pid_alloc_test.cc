// kernel/proc/pid_alloc.h on the host: threads play CPUs (lockfree/host/platform.h).
#include "kernel/proc/pid_alloc.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "lockfree/host/platform.h"

namespace scythe::proc {
namespace {

using P = lf::HostPlatform;
using Alloc = PidAllocator<P>;

// An allocator with its own state and group list.
struct Fixture {
    explicit Fixture(int pid_max, std::size_t cpus = 1)
        : state(static_cast<std::size_t>(pid_max)), groups(4096) {
        a.init(state.data(), pid_max, groups.data(), groups.size(), cpus);
    }
    std::vector<std::atomic<std::uint8_t>> state;
    std::vector<int> groups;
    Alloc a;
};

// Groups from a fixed set of pgids.
struct SetGroups {
    const std::set<int>* pgids;
    template <class V>
    void operator()(V&& visit) const {
        for (int g : *pgids)
            visit(g);
    }
};

TEST(PidAlloc, FirstNumbersCountUpFromOne) {
    lf::HostCpu cpu;
    Fixture f(1000);
    std::set<int> none;
    for (int i = 1; i <= 200; i++)
        EXPECT_EQ(f.a.alloc(SetGroups{&none}), i);
    EXPECT_EQ(f.a.stats().wraps, 0u);
}

TEST(PidAlloc, ExhaustedThenWrapsToReservedSkippingHeldNumbers) {
    lf::HostCpu cpu;
    constexpr int kMax = 1000; // > 2 * kReserved: wraps to 300
    Fixture f(kMax);
    std::set<int> none;
    for (int i = 1; i < kMax; i++)
        ASSERT_EQ(f.a.alloc(SetGroups{&none}), i);
    EXPECT_EQ(f.a.alloc(SetGroups{&none}), 0); // every number held
    // Free a low number (not reused after a wrap), two above the floor.
    f.a.free(5, SetGroups{&none});
    f.a.free(700, SetGroups{&none});
    f.a.free(301, SetGroups{&none});
    std::set<int> got;
    for (int i = 0; i < 2; i++)
        got.insert(f.a.alloc(SetGroups{&none}));
    EXPECT_EQ(got, (std::set<int>{301, 700}));
    EXPECT_EQ(f.a.alloc(SetGroups{&none}), 0);
    EXPECT_GE(f.a.stats().wraps, 1u);
    EXPECT_EQ(f.a.state_of(5), Alloc::kFree); // free, just below the floor
}

TEST(PidAlloc, SmallPidMaxWrapsManyTimes) {
    lf::HostCpu cpu;
    Fixture f(100); // < 2 * kReserved: wraps to 1
    std::set<int> none;
    std::set<int> live;
    int prev = 0, wraps_seen = 0;
    for (int i = 0; i < 2000; i++) {
        const int n = f.a.alloc(SetGroups{&none});
        ASSERT_GT(n, 0);
        ASSERT_LT(n, 100);
        ASSERT_TRUE(live.insert(n).second) << n << " handed out twice";
        if (n < prev)
            wraps_seen++;
        prev = n;
        if (live.size() > 10) { // keep ten alive, free the oldest-ish
            const int victim = *live.begin();
            live.erase(live.begin());
            f.a.free(victim, SetGroups{&none});
        }
    }
    EXPECT_GT(wraps_seen, 5);
    EXPECT_GT(f.a.stats().wraps, 5u);
}

TEST(PidAlloc, GroupKeepsItsNumberUntilItsLastMemberIsGone) {
    lf::HostCpu cpu;
    Fixture f(100);
    std::set<int> pgids;
    const int leader = f.a.alloc(SetGroups{&pgids});
    pgids.insert(leader); // a member (not modelled otherwise) has the leader's pid as pgid
    f.a.free(leader, SetGroups{&pgids}); // the leader is gone
    std::set<int> live;
    for (int i = 0; i < 1000; i++) {
        const int n = f.a.alloc(SetGroups{&pgids});
        ASSERT_GT(n, 0);
        ASSERT_NE(n, leader) << "a live group's number was handed out";
        f.a.free(n, SetGroups{&pgids});
    }
    EXPECT_EQ(f.a.stats().groups, 1u);
    pgids.clear(); // the last member left
    bool back = false;
    for (int i = 0; i < 1000 && !back; i++) {
        const int n = f.a.alloc(SetGroups{&pgids});
        back = n == leader;
        f.a.free(n, SetGroups{&pgids});
    }
    EXPECT_TRUE(back) << "the group's number never came back";
    EXPECT_EQ(f.a.stats().groups, 0u);
}

// A fork that publishes a member of the group while the number is being checked, and that the
// scan does not see (it walked past): join_group keeps the number.
TEST(PidAlloc, JoinDuringTheCheckKeepsTheNumber) {
    lf::HostCpu cpu;
    Fixture f(100);
    const int leader = f.a.alloc(SetGroups{nullptr});
    bool joined = false;
    auto racing_fork = [&](auto&&) {
        // Called by the flush with `leader` Checking: the child is published, then joins.
        EXPECT_EQ(f.a.state_of(leader), Alloc::kChecking);
        f.a.join_group(leader);
        joined = true;
    };
    f.a.free(leader, racing_fork);
    // A free flushes once its buffer reaches the threshold; force it with allocations.
    for (int i = 0; i < 300 && !joined; i++)
        f.a.free(f.a.alloc(racing_fork), racing_fork);
    ASSERT_TRUE(joined);
    EXPECT_EQ(f.a.state_of(leader), Alloc::kHeld);
    std::set<int> member_alive{leader};
    for (int i = 0; i < 500; i++) {
        const int n = f.a.alloc(SetGroups{&member_alive});
        ASSERT_NE(n, leader);
        f.a.free(n, SetGroups{&member_alive});
    }
}

// Threads play CPUs: each keeps a group alive without its leader for the whole run while its
// other processes cycle the numbers many times; every number handed out must belong to no live
// process and no live group.
TEST(PidAllocStress, NoLiveNumberIsHandedOut) {
    constexpr int kThreads = 8, kPidMax = 600, kRounds = 3000;
    Fixture f(kPidMax, kThreads);
    std::mutex table_lock; // the "pid table": live pids and live pgids
    std::vector<int> pid_live(kPidMax), pgid_members(kPidMax);
    auto groups = [&](auto&& visit) {
        std::lock_guard<std::mutex> g(table_lock);
        for (int n = 1; n < kPidMax; n++)
            if (pgid_members[n] > 0)
                visit(n);
    };
    std::atomic<int> bad{0}, failed_allocs{0};
    auto fork_into = [&](int pgid) {
        const int n = f.a.alloc(groups);
        if (n == 0) {
            failed_allocs++;
            return 0;
        }
        {
            std::lock_guard<std::mutex> g(table_lock);
            if (pid_live[n] || pgid_members[n])
                bad++;
            pid_live[n] = 1;
            pgid_members[pgid ? pgid : n]++; // a leader is in its own group
        }
        f.a.join_group(pgid ? pgid : n); // after publishing, as fork does
        return n;
    };
    auto exit_proc = [&](int n, int pgid) {
        {
            std::lock_guard<std::mutex> g(table_lock);
            pid_live[n] = 0;
            pgid_members[pgid]--;
        }
        f.a.free(n, groups);
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++) {
        threads.emplace_back([&] {
            lf::HostCpu cpu;
            // One group for the whole run: its leader exits at once, members are replaced
            // now and then (a live member forks the next), while short-lived processes in
            // groups of their own cycle the numbers around pid_max many times.
            const int leader = fork_into(0);
            ASSERT_NE(leader, 0);
            std::vector<int> members;
            for (int i = 0; i < 2; i++)
                members.push_back(fork_into(leader));
            exit_proc(leader, leader);
            for (int r = 0; r < kRounds; r++) {
                if (const int c = fork_into(0))
                    exit_proc(c, c);
                if (r % 16 == 0) {
                    members.push_back(fork_into(leader));
                    exit_proc(members.front(), leader);
                    members.erase(members.begin());
                }
            }
            for (int m : members)
                exit_proc(m, leader);
        });
    }
    for (auto& th : threads)
        th.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(failed_allocs.load(), 0);
}

} // namespace
} // namespace scythe::proc
