// Sleeping on a word (futex-like), for lockfree/'s Platform::wait/wake_all.
//
// wait_on_word(word, old) sleeps while `word` holds `old`; wake_word(word)
// wakes every thread sleeping on it. Sleepers hash by the word's address
// into a fixed table of wait queues, so unrelated words may share a queue:
// a woken thread re-checks its own word and sleeps again if it has not
// changed. The check runs under the queue's lock and wake_word() takes that
// lock after the waker's store, so no wakeup is lost.
//
// A caller that cannot block (interrupts off, preemption disabled, the idle
// thread, no scheduler yet) does not sleep: wait_on_word() returns at once
// after a pause, and the caller's loop re-checks (a spurious return, which
// the Platform contract allows). wake_word() may be called from any context
// that holds no run-queue lock, interrupts on or off.
#pragma once

#include <atomic>
#include <stdint.h>

namespace kernel::sched {

void wait_on_word(std::atomic<uint32_t>& word, uint32_t old);
void wake_word(std::atomic<uint32_t>& word);

} // namespace kernel::sched
