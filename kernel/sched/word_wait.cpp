#include "kernel/sched/word_wait.h"

#include "arch/cpu.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/waitq.h"

namespace kernel::sched {
namespace {

constexpr uintptr_t kBuckets = 64; // a power of two

WaitQueue buckets[kBuckets];

WaitQueue& bucket_for(const std::atomic<uint32_t>& word) {
    // Words are at least 4-byte aligned: drop those bits, fold the rest.
    const uintptr_t a = reinterpret_cast<uintptr_t>(&word) >> 2;
    return buckets[(a ^ (a >> 6) ^ (a >> 12)) & (kBuckets - 1)];
}

} // namespace

void wait_on_word(std::atomic<uint32_t>& word, uint32_t old) {
    if (!can_block()) {
        arch::cpu_relax();
        return;
    }
    // acquire: pairs with the waker's release store or RMW on the word.
    bucket_for(word).wait_until([&] { return word.load(std::memory_order_acquire) != old; });
}

void wake_word(std::atomic<uint32_t>& word) {
    bucket_for(word).wake_all();
}

} // namespace kernel::sched
