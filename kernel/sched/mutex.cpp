#include "kernel/sched/mutex.h"

#include "arch/cpu.h"
#include "kernel/panic.h"
#include "kernel/sched/sched.h"

namespace kernel::sched {

bool Mutex::try_lock() {
    uint32_t expected = 0;
    // acquire: pairs with the release exchange in unlock().
    if (!state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                        std::memory_order_relaxed))
        return false;
    owner_.store(current(), std::memory_order_relaxed);
    class_.count_acquire();
    return true;
}

void Mutex::lock() {
    uint32_t expected = 0;
    if (state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        owner_.store(current(), std::memory_order_relaxed);
        class_.count_acquire();
        return;
    }
    if (owner_.load(std::memory_order_relaxed) == current())
        panic("mutex: recursive lock");
    const uint64_t start = arch::cycle_counter();
    // seq_cst: this exchange and unlock()'s must be totally ordered with the
    // wait queue lock that wake_one() takes after unlock()'s exchange.
    waiters_.wait_until([this] { return state_.exchange(2, std::memory_order_seq_cst) == 0; });
    owner_.store(current(), std::memory_order_relaxed);
    class_.count_contended(arch::cycle_counter() - start);
}

void Mutex::unlock() {
    owner_.store(nullptr, std::memory_order_relaxed);
    if (state_.exchange(0, std::memory_order_seq_cst) == 2)
        waiters_.wake_one();
}

bool Mutex::holding() const {
    return state_.load(std::memory_order_relaxed) != 0 &&
           owner_.load(std::memory_order_relaxed) == current();
}

} // namespace kernel::sched
