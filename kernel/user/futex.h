// futex(2) (futex.cpp), and the one wakeup the kernel itself performs: a
// thread's exit clears its clear_child_tid word and wakes one waiter there
// (how pthread_join learns that a thread is gone).
#pragma once

#include <stdint.h>

#include "kernel/user/syscalls.h"

namespace kernel::user {

long futex_wake_one(uintptr_t uaddr); // woken count, or -errno

} // namespace kernel::user
