// dowait: the caller scans its OWN children list under its own tree lock
// and sleeps on its OWN wait queue; a generation counter sampled before the
// scan closes the gap between "nothing found" and "asleep" (DragonFly).
// Linux semantics (kernel/exit.c): a found zombie is reaped before its
// status is stored, so a bad status pointer gives EFAULT with the child gone.
#include <limits.h>

#include "kernel/proc/proc.h"
#include "kernel/user/errno.h"
#include "kernel/user/uaccess.h"

namespace kernel::proc {
namespace {

using namespace user;

constexpr uint64_t kWNoHang = 1, kWUntraced = 2, kWExited = 4, kWContinued = 8;
constexpr uint64_t kWNoWait = 0x01000000;
constexpr uint64_t kWNoThread = 0x20000000, kWAll = 0x40000000, kWClone = 0x80000000;
constexpr int kSigChld = 17;
constexpr int kCldExited = 1, kCldKilled = 2;

struct Match {
    enum Kind { Any, Pid, Pgid } kind;
    int id;
    bool operator()(const Process* c) const {
        switch (kind) {
        case Pid:
            return c->pid == id;
        case Pgid:
            return c->pgid.load(std::memory_order_relaxed) == id;
        default:
            return true;
        }
    }
};

struct Found {
    int pid, status;
    RusageLite usage;
};

// 1: found (reaped unless nowait), 0: WNOHANG and nothing yet, or -errno.
long dowait(Process* me, Match match, bool nohang, bool nowait, Found* out) {
    for (;;) {
        // acquire: pairs with the reaper's release increment.
        const uint32_t gen = me->wait_gen.load(std::memory_order_acquire);
        Process* zombie = nullptr;
        bool any = false;
        {
            smp::IrqSpinGuard g(tree_lock(*me));
            for (Process* c = me->children; c; c = c->sib_next) {
                if (!match(c))
                    continue;
                any = true;
                if (c->state.load(std::memory_order_relaxed) == ProcState::Zombie) {
                    zombie = c;
                    if (!nowait)
                        unlink_child(me, c);
                    break;
                }
            }
        }
        if (zombie) {
            out->pid = zombie->pid;
            out->status = zombie->exit_status;
            out->usage = zombie->self;
            out->usage.add(zombie->children_total);
            if (!nowait) {
                me->children_total.add(out->usage); // only me touches my own totals
                release_process(zombie);
            }
            return 1;
        }
        if (!any)
            return -kECHILD;
        if (nohang)
            return 0;
        me->child_wait.wait_until(
            [&] { return me->wait_gen.load(std::memory_order_acquire) != gen; });
    }
}

long put_rusage(uintptr_t ru, const RusageLite& u) {
    uint64_t r[18] = {}; // struct rusage: two timevals, then 14 longs
    r[0] = u.utime_ns / 1000000000;
    r[1] = u.utime_ns % 1000000000 / 1000;
    r[2] = u.stime_ns / 1000000000;
    r[3] = u.stime_ns % 1000000000 / 1000;
    r[4 + 4] = u.minflt;
    r[4 + 12] = u.nvcsw;
    return copy_to_user(ru, r, sizeof r);
}

} // namespace

long wait4(long pid, uintptr_t status, uint64_t options, uintptr_t ru) {
    if (options & ~(kWNoHang | kWUntraced | kWContinued | kWNoThread | kWAll | kWClone))
        return -kEINVAL;
    if (pid == INT_MIN)
        return -kESRCH; // Linux: -INT_MIN names no group
    Process* me = current_process();
    Match m{Match::Any, 0};
    if (pid > 0)
        m = {Match::Pid, static_cast<int>(pid)};
    else if (pid == 0)
        m = {Match::Pgid, me->pgid.load(std::memory_order_relaxed)};
    else if (pid < -1)
        m = {Match::Pgid, static_cast<int>(-pid)};
    Found f;
    const long r = dowait(me, m, options & kWNoHang, false, &f);
    if (r <= 0)
        return r;
    if (status && put_user(status, f.status) < 0)
        return -kEFAULT;
    if (ru && put_rusage(ru, f.usage) < 0)
        return -kEFAULT;
    return f.pid;
}

long waitid(uint64_t idtype, long id, uintptr_t info, uint64_t options) {
    constexpr uint64_t kPAll = 0, kPPid = 1, kPPgid = 2;
    if (options &
        ~(kWNoHang | kWUntraced | kWExited | kWContinued | kWNoWait | kWNoThread | kWAll | kWClone))
        return -kEINVAL;
    if (!(options & (kWExited | kWUntraced | kWContinued)))
        return -kEINVAL;
    Process* me = current_process();
    Match m{Match::Any, 0};
    switch (idtype) {
    case kPAll:
        break;
    case kPPid:
        if (id <= 0)
            return -kEINVAL;
        m = {Match::Pid, static_cast<int>(id)};
        break;
    case kPPgid:
        if (id < 0)
            return -kEINVAL;
        m = {Match::Pgid, id ? static_cast<int>(id) : me->pgid.load(std::memory_order_relaxed)};
        break;
    default:
        return -kEINVAL;
    }
    if (!(options & kWExited)) // only exits are reported so far: nothing else ever comes
        return (options & kWNoHang) ? 0 : -kECHILD;
    Found f;
    const long r = dowait(me, m, options & kWNoHang, options & kWNoWait, &f);
    if (r < 0)
        return r;
    if (!info)
        return 0;
    // siginfo_t for SIGCHLD: signo, errno, code, then pid, uid, status, utime, stime.
    struct {
        int32_t signo, err, code, pad;
        int32_t pid, uid, status, pad2;
        int64_t utime, stime;
    } si{};
    if (r == 1) {
        const bool killed = (f.status & 0x7f) != 0;
        si.signo = kSigChld;
        si.code = killed ? kCldKilled : kCldExited;
        si.pid = f.pid;
        si.status = killed ? f.status & 0x7f : (f.status >> 8) & 0xff;
        si.utime = static_cast<int64_t>(f.usage.utime_ns / 10000000); // clock ticks (100 Hz)
        si.stime = static_cast<int64_t>(f.usage.stime_ns / 10000000);
    }
    if (copy_to_user(info, &si, sizeof si) < 0)
        return -kEFAULT;
    return 0;
}

long setpgid(long pid, long pgid) {
    Process* me = current_process();
    if (pgid < 0)
        return -kEINVAL;
    if (pid == 0 || pid == me->pid) {
        me->pgid.store(pgid ? static_cast<int>(pgid) : me->pid, std::memory_order_relaxed);
        return 0;
    }
    smp::IrqSpinGuard g(tree_lock(*me)); // only our own children
    for (Process* c = me->children; c; c = c->sib_next) {
        if (c->pid == pid) {
            c->pgid.store(pgid ? static_cast<int>(pgid) : c->pid, std::memory_order_relaxed);
            return 0;
        }
    }
    return -kESRCH;
}

long getpgid(long pid) {
    Process* me = current_process();
    if (pid == 0)
        return me->pgid.load(std::memory_order_relaxed);
    KernelRcu::ReadGuard rd(rcu()); // the process cannot be freed while we look
    Process* p = pid_lookup(static_cast<int>(pid));
    return p ? p->pgid.load(std::memory_order_relaxed) : -kESRCH;
}

// Signals are not delivered yet: kill checks existence (sig 0) and lets a
// process end itself with a signal whose default action terminates it.
long kill(long pid, long sig) {
    if (sig < 0 || sig > kSignals)
        return -kEINVAL;
    Process* me = current_process();
    if (pid == me->pid || pid == 0) {
        if (sig == 0)
            return 0;
        const uint64_t h = me->actions[sig - 1].handler;
        constexpr int kSigChldN = 17, kSigCont = 18, kSigStop = 19, kSigTstp = 20, kSigTtin = 21,
                      kSigTtou = 22, kSigUrg = 23, kSigWinch = 28;
        if (sig == 9 ||
            (h == 0 && sig != kSigChldN && sig != kSigCont && sig != kSigStop && sig != kSigTstp &&
             sig != kSigTtin && sig != kSigTtou && sig != kSigUrg && sig != kSigWinch))
            exit1(me, static_cast<int>(sig));
        return -kENOSYS;
    }
    if (pid <= 0)
        return -kENOSYS;
    KernelRcu::ReadGuard rd(rcu());
    Process* p = pid_lookup(static_cast<int>(pid));
    if (!p)
        return -kESRCH;
    return sig == 0 ? 0 : -kENOSYS;
}

} // namespace kernel::proc
