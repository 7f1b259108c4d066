// Stress: per-CPU dead-thread queues handing off to a shared DeadList. 14 CPU threads park
// "dead threads" in small batches and either free them locally (drain) or hand the batch to the
// reapers (drain_to); 2 reaper threads sleep on an Event until the list is non-empty (woken only
// on the empty -> non-empty transition that push_chain reports). Leftovers on each CPU's queue are
// collected after the CPUs go offline. Invariants: every node is freed exactly once, by exactly
// one path; local drains are FIFO; no wake-up is lost (a lost one hangs the test: ctest timeout).
#include "lockfree/percpu_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "lists_test_util.h"
#include "lockfree/host/platform.h"
#include "lockfree/platform.h"

namespace scythe::lf {
namespace {

using P = HostPlatform;

struct Thread {
    std::uint32_t id = 0;
    std::uint32_t cpu = 0;   // plain: written by the dying CPU before parking
    std::uint64_t check = 0; // plain: f(id), read by whoever frees it
    DeadListHook<Thread> dead;
};
using Queues = PerCpuDeadQueue<&Thread::dead, P>;
using List = DeadList<&Thread::dead>;

TEST(PerCpuQueueStress, HandOffLosesNothing) {
    constexpr std::size_t kCpus = 14, kReapers = 2;
    constexpr std::uint32_t kPerCpu = 50000;
    constexpr std::uint32_t kTotal = kCpus * kPerCpu;
    std::vector<Thread> threads(kTotal);
    std::vector<std::atomic<std::uint8_t>> freed(kTotal);
    std::atomic<std::uint32_t> freed_local{0}, freed_reaper{0};
    std::atomic<std::size_t> cpus_done{0};
    std::atomic<std::uint64_t> errors{0};
    std::vector<std::size_t> cpu_of(kCpus);
    Queues queues;
    List dead;
    Event<P> work;

    auto free_one = [&](Thread* t) {
        if (t->check != t->id * 0x9E3779B97F4A7C15ull)
            errors.fetch_add(1, std::memory_order_relaxed);
        if (freed[t->id].fetch_add(1, std::memory_order_relaxed) != 0)
            errors.fetch_add(1, std::memory_order_relaxed);
    };

    test::run_cpus(kCpus + kReapers, [&](std::size_t i) {
        if (i >= kCpus) { // reaper
            for (;;) {
                work.wait_until([&] {
                    return !dead.empty() || cpus_done.load(std::memory_order_acquire) == kCpus;
                });
                std::size_t n = dead.take_all().consume(free_one);
                freed_reaper.fetch_add(static_cast<std::uint32_t>(n), std::memory_order_relaxed);
                if (n == 0 && cpus_done.load(std::memory_order_acquire) == kCpus && dead.empty())
                    return;
            }
        }
        cpu_of[i] = P::cpu_id();
        test::Rng rng(i);
        std::uint32_t next = static_cast<std::uint32_t>(i) * kPerCpu;
        const std::uint32_t end = next + kPerCpu;
        while (next < end) {
            P::PreemptGuard g; // pinned: this thread "is" its CPU
            auto q = queues.local(g);
            std::uint32_t batch = 1 + rng.below(6);
            for (std::uint32_t k = 0; k < batch && next < end; ++k, ++next) {
                Thread& t = threads[next];
                t.id = next;
                t.cpu = static_cast<std::uint32_t>(P::cpu_id());
                t.check = next * 0x9E3779B97F4A7C15ull;
                q.park(&t);
            }
            if (next == end)
                break; // leave the last batch parked: collected when the CPU is offline
            switch (rng.below(3)) {
            case 0: { // the next thread's switch tail frees them here, in park order
                std::uint32_t prev = 0;
                bool first = true;
                std::size_t n = q.drain([&](Thread* t) {
                    if (!first && t->id != prev + 1)
                        errors.fetch_add(1, std::memory_order_relaxed);
                    first = false;
                    prev = t->id;
                    free_one(t);
                });
                freed_local.fetch_add(static_cast<std::uint32_t>(n), std::memory_order_relaxed);
                break;
            }
            case 1: { // teardown may block: hand the batch to the reapers
                HandOff h = q.drain_to(dead);
                if (h.list_was_empty)
                    work.notify_all();
                break;
            }
            default: // keep them parked a while longer
                break;
            }
        }
        if (cpus_done.fetch_add(1, std::memory_order_acq_rel) + 1 == kCpus)
            work.notify_all();
    });

    // Every CPU thread is offline now: collect what they left parked.
    std::uint32_t offline = 0;
    for (std::size_t c : cpu_of)
        offline += static_cast<std::uint32_t>(queues.unsafe_drain_offline_to(c, dead).count);
    std::uint32_t late = static_cast<std::uint32_t>(dead.take_all().consume(free_one));
    EXPECT_EQ(late, offline);
    EXPECT_GT(offline, 0u);
    EXPECT_EQ(errors.load(), 0u);
    EXPECT_EQ(freed_local.load() + freed_reaper.load() + late, kTotal);
    for (std::uint32_t k = 0; k < kTotal; ++k)
        ASSERT_EQ(freed[k].load(), 1) << "thread " << k;
}

} // namespace
} // namespace scythe::lf
