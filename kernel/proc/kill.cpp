// kill, tkill, tgkill: find the targets through the RCU pid table (no global
// lock: a group or "everyone" is a walk of the table under RCU, each target
// signalled under its own siglock).
#include "kernel/proc/proc.h"
#include "kernel/user/errno.h"
#include "kernel/user/signal.h"

namespace kernel::proc {
namespace {

using namespace user;

struct GroupKill {
    enum Scope { Group, Everyone } scope;
    int pgid;
    int sig;
    const Process* sender;
    SigSource from;
    int found = 0;
};

void visit(Process* p, void* arg) {
    auto& k = *static_cast<GroupKill*>(arg);
    // Zombies count as found (Linux: they stay in their group until reaped);
    // send_signal discards what an exiting process would get.
    if (k.scope == GroupKill::Group) {
        if (p->pgid.load(std::memory_order_relaxed) != k.pgid)
            return;
    } else if (p->pid == 1 || p == k.sender) { // kill(-1): all but init and the caller
        return;
    }
    k.found++;
    send_signal(p, k.sig, k.from);
}

} // namespace

long kill(long pid, long sig) {
    if (sig < 0 || sig > kSignals)
        return -kEINVAL;
    if (pid == INT32_MIN)
        return -kESRCH; // -pid would overflow: no such group
    Process* me = current_process();
    const SigSource from{kSiUser, me->pid, 0};
    KernelRcu::ReadGuard rd(rcu()); // targets cannot be freed while we look
    if (pid > 0) {
        Process* p = pid_lookup(static_cast<int>(pid));
        if (!p)
            return -kESRCH;
        send_signal(p, static_cast<int>(sig), from); // everyone is root: no EPERM
        return 0;
    }
    GroupKill k{pid == -1 ? GroupKill::Everyone : GroupKill::Group,
                pid == 0 ? me->pgid.load(std::memory_order_relaxed) : static_cast<int>(-pid),
                static_cast<int>(sig), me, from};
    for_each_process(visit, &k);
    return k.found ? 0 : -kESRCH;
}

// tkill (tgid -1) and tgkill: one thread, found by its number (and its
// process's, for tgkill) under RCU; the signal pends in that thread.
long tgkill(long tgid, long tid, long sig) {
    if (sig < 0 || sig > kSignals || tid <= 0 || tgid == 0 || tgid < -1)
        return -kEINVAL;
    KernelRcu::ReadGuard rd(rcu()); // a thread found stays valid (freed after a grace period)
    UserThread* t = find_thread(static_cast<int>(tgid), static_cast<int>(tid));
    if (!t)
        return -kESRCH;
    if (sig)
        send_thread_signal(t, static_cast<int>(sig), {kSiTkill, current_process()->pid, 0});
    return 0;
}

} // namespace kernel::proc
