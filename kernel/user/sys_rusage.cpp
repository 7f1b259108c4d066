// getrusage, times and the usage a process accumulates (rusage.h).
#include "kernel/user/rusage.h"

#include "arch/time.h"
#include "kernel/sched/cputime.h"
#include "kernel/user/errno.h"
#include "kernel/user/syscalls.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {
namespace {

constexpr uint64_t kUserHz = 100; // clock_t ticks (Linux's USER_HZ on x86-64)
constexpr uint64_t kNsPerTick = 1'000'000'000 / kUserHz;
constexpr int64_t kRusageSelf = 0, kRusageChildren = -1, kRusageThread = 1;

} // namespace

RusageLite usage_of(const sched::CpuTimes& t) {
    RusageLite u;
    u.utime_ns = sched::cputime::to_ns(t.user);
    u.stime_ns = sched::cputime::to_ns(t.system);
    u.minflt = t.minflt;
    u.nvcsw = t.nvcsw;
    u.nivcsw = t.nivcsw;
    return u;
}

RusageLite thread_usage_now() {
    return usage_of(sched::cputime::now());
}

RusageLite process_usage_now(Process* p) {
    // The calling thread exactly; its siblings as last charged; the threads
    // that ended, folded in by thread_exit.
    const UserThread* me = current_thread();
    RusageLite u = thread_usage_now();
    smp::IrqSpinGuard g(p->siglock);
    u.add(p->self);
    for (const UserThread* t = p->threads; t; t = t->next)
        if (t != me && t->kthread)
            u.add(usage_of(sched::cputime::of(t->kthread)));
    return u;
}

long put_rusage(uintptr_t user, const RusageLite& u) {
    uint64_t r[18] = {}; // struct rusage: two timevals, then 14 longs from ru_maxrss
    r[0] = u.utime_ns / 1'000'000'000;
    r[1] = u.utime_ns % 1'000'000'000 / 1000;
    r[2] = u.stime_ns / 1'000'000'000;
    r[3] = u.stime_ns % 1'000'000'000 / 1000;
    r[4 + 4] = u.minflt;
    r[4 + 12] = u.nvcsw;
    r[4 + 13] = u.nivcsw;
    return copy_to_user(user, r, sizeof r);
}

long sys_getrusage(SyscallArgs a) {
    Process* me = current_process();
    RusageLite u;
    switch (static_cast<int64_t>(static_cast<int32_t>(a[0]))) {
    case kRusageSelf:
        u = process_usage_now(me);
        break;
    case kRusageChildren:
        u = me->children_total; // only this process's own thread writes it (wait)
        break;
    case kRusageThread:
        u = thread_usage_now();
        break;
    default:
        return -kEINVAL;
    }
    return put_rusage(a[1], u);
}

long sys_times(SyscallArgs a) {
    if (a[0]) {
        Process* me = current_process();
        const RusageLite self = process_usage_now(me);
        const uint64_t tms[4] = {self.utime_ns / kNsPerTick, self.stime_ns / kNsPerTick,
                                 me->children_total.utime_ns / kNsPerTick,
                                 me->children_total.stime_ns / kNsPerTick};
        if (copy_to_user(a[0], tms, sizeof tms) < 0)
            return -kEFAULT;
    }
    return static_cast<long>(arch::monotonic_ns() / kNsPerTick); // ticks since boot
}

} // namespace kernel::user
