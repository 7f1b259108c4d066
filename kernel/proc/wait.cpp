// dowait: the caller scans its OWN children list under its own tree lock
// and sleeps on its OWN wait queue; a generation counter sampled before the
// scan closes the gap between "nothing found" and "asleep" (DragonFly).
// Linux semantics (kernel/exit.c): a found zombie is reaped before its
// status is stored, so a bad status pointer gives EFAULT with the child gone.
#include <limits.h>
#include <stddef.h>

#include "kernel/proc/proc.h"
#include "kernel/user/errno.h"
#include "kernel/user/rusage.h"
#include "kernel/user/signal.h"
#include "kernel/user/uaccess.h"

namespace kernel::proc {
namespace {

using namespace user;

constexpr uint64_t kWNoHang = 1, kWUntraced = 2, kWExited = 4, kWContinued = 8;
constexpr uint64_t kWNoWait = 0x01000000;
constexpr uint64_t kWNoThread = 0x20000000, kWAll = 0x40000000, kWClone = 0x80000000;

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
    int code; // waitid's si_code: CLD_EXITED, CLD_KILLED, CLD_STOPPED, CLD_CONTINUED
    RusageLite usage;
};

struct Want {
    bool exited, stopped, continued, nohang, nowait;
};

// A stop or continue report of child c that `want` asks for, taken under
// tree_lock(*me) (cleared unless nowait). False if none.
bool take_job_report(Process* c, const Want& want, Found* out) {
    if (want.stopped && c->stop_report) {
        *out = {c->pid, c->stop_report, kCldStopped, {}};
        if (!want.nowait)
            c->stop_report = 0;
        return true;
    }
    if (want.continued && c->cont_report) {
        *out = {c->pid, 0xffff, kCldContinued, {}};
        if (!want.nowait)
            c->cont_report = false;
        return true;
    }
    return false;
}

Found exit_of(const Process* c) {
    const int status = c->exit_status;
    RusageLite usage = c->self;
    usage.add(c->children_total);
    return {c->pid, status, (status & 0x7f) ? kCldKilled : kCldExited, usage};
}

// The caller's tracees (tree_lock(*me) held), as Linux's ptrace_do_wait: a
// ptrace stop is reported with or without WUNTRACED (taking it also takes
// its signal: CONT must name one to deliver it); an exit the parent has not
// heard of yet is the tracer's first: it is detached here (*told: the
// parent is to be told next) unless nowait. Tracees that are also children
// are reaped by the children scan.
bool scan_tracees(Process* me, const Match& match, const Want& want, Found* out, Process** told,
                  bool* any) {
    for (Process* c = me->tracees; c; c = c->trace_next) {
        if (!match(c))
            continue;
        *any = true;
        if (c->trace_report) {
            *out = {c->pid, c->trace_report, kCldTrapped, {}};
            if (!want.nowait)
                c->trace_report = c->trace_sig = 0;
            return true;
        }
        if (c->trace_zombie && want.exited) {
            *out = exit_of(c);
            if (!want.nowait) {
                c->trace_zombie = false;
                unlink_tracee(me, c);
                *told = c;
            }
            return true;
        }
    }
    return false;
}

// 1: found (a zombie is reaped unless nowait), 0: WNOHANG and nothing yet,
// or -errno (-ERESTARTSYS when a signal interrupts the sleep).
long dowait(Process* me, Match match, const Want& want, Found* out) {
    for (;;) {
        // acquire: pairs with the reaper's release increment.
        const uint32_t gen = me->wait_gen.load(std::memory_order_acquire);
        Process* zombie = nullptr;
        Process* traced_exit = nullptr;
        bool any = false, reported = false;
        {
            smp::IrqSpinGuard g(tree_lock(*me));
            reported = me->tracees && scan_tracees(me, match, want, out, &traced_exit, &any);
            for (Process* c = me->children; c && !reported; c = c->sib_next) {
                if (!match(c))
                    continue;
                any = true;
                if (want.exited && c->state.load(std::memory_order_relaxed) == ProcState::Zombie) {
                    zombie = c;
                    if (!want.nowait)
                        unlink_child(me, c);
                    break;
                }
                if (take_job_report(c, want, out)) {
                    reported = true;
                    break;
                }
            }
        }
        if (traced_exit)
            tell_parent_of_exit(traced_exit); // now the parent may reap it (Linux, MINIX)
        if (reported)
            return 1;
        if (zombie) {
            *out = exit_of(zombie);
            if (!want.nowait) {
                me->children_total.add(out->usage); // only me touches my own totals
                release_process(zombie);
            }
            return 1;
        }
        if (!any)
            return -kECHILD;
        if (want.nohang)
            return 0;
        if (!wait_interruptible(me->child_wait, [&] {
                return me->wait_gen.load(std::memory_order_acquire) != gen;
            }))
            return -kERestartSys;
    }
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
    const Want want{true, (options & kWUntraced) != 0, (options & kWContinued) != 0,
                    (options & kWNoHang) != 0, false};
    const long r = dowait(me, m, want, &f);
    if (r <= 0)
        return r;
    if (status && put_user(status, f.status) < 0)
        return -kEFAULT;
    if (ru && put_rusage(ru, f.usage) < 0)
        return -kEFAULT;
    return f.pid;
}

long waitid(uint64_t idtype, long id, uintptr_t info, uint64_t options, uintptr_t ru) {
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
    Found f;
    const Want want{(options & kWExited) != 0, (options & kWUntraced) != 0,
                    (options & kWContinued) != 0, (options & kWNoHang) != 0,
                    (options & kWNoWait) != 0};
    const long r = dowait(me, m, want, &f);
    if (r < 0)
        return r;
    if (r == 1 && ru && put_rusage(ru, f.usage) < 0)
        return -kEFAULT;
    if (!info)
        return 0;
    // siginfo_t for SIGCHLD: signo, errno, code, then pid, uid, status. Linux
    // writes just these (si_utime and si_stime stay as they were), and zeros
    // when WNOHANG found nothing.
    struct {
        int32_t signo, err, code, pad;
        int32_t pid, uid, status;
    } si{};
    if (r == 1) {
        si.signo = kSigChld;
        si.code = f.code;
        si.pid = f.pid;
        switch (f.code) {
        case kCldExited:
            si.status = (f.status >> 8) & 0xff;
            break;
        case kCldKilled:
            si.status = f.status & 0x7f;
            break;
        case kCldStopped:
        case kCldTrapped:
            si.status = (f.status >> 8) & 0xff;
            break;
        default:
            si.status = kSigCont;
        }
    }
    constexpr size_t kHead = offsetof(decltype(si), pad), kFields = offsetof(decltype(si), pid);
    if (copy_to_user(info, &si, kHead) < 0 ||
        copy_to_user(info + kFields, &si.pid, sizeof si - kFields) < 0)
        return -kEFAULT;
    return 0;
}

} // namespace kernel::proc
