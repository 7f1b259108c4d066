// Scheduler self-tests, run by kernel/selftest.cpp as test=NAME. Each prints
// one line ending in ": ok" or ": FAILED" and returns 0 on success.
#pragma once

namespace kernel::sched {

int test_kthreads(); // create/exit thousands of threads on all CPUs; every stack comes back
int test_waitq();    // ping-pong across CPUs on wait queues, round trips counted
int test_preempt();  // two CPU-bound threads on one CPU both progress (the tick preempts)
int test_mutex();    // threads on all CPUs contend for one sleeping mutex; lock statistics

} // namespace kernel::sched
