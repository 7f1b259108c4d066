// Process groups and sessions (setpgid, getpgid, setsid, getsid) with
// Linux's errors. A group or session is named by its leader's pid and found
// by walking the RCU pid table (kill does the same): no global list, no
// global lock; these calls are rare next to fork and exit.
#include "kernel/proc/proc.h"
#include "kernel/user/errno.h"

namespace kernel::proc {
namespace {

using namespace user;

constexpr int kAnySession = -1;

struct GroupProbe {
    int pgid, sid;
    bool found = false;
};

// Is there a process in group `pgid` (of session `sid`, unless kAnySession)?
// Zombies count: they stay in their group until reaped, as in Linux.
bool group_exists(int pgid, int sid) {
    GroupProbe probe{pgid, sid};
    for_each_process(
        [](Process* p, void* arg) {
            auto& g = *static_cast<GroupProbe*>(arg);
            if (p->pgid.load(std::memory_order_relaxed) == g.pgid &&
                (g.sid == kAnySession || p->sid.load(std::memory_order_relaxed) == g.sid))
                g.found = true;
        },
        &probe);
    return probe.found;
}

bool is_child_of(const Process* c, const Process* me) {
    return c->parent.load(std::memory_order_relaxed) == me;
}

} // namespace

long setpgid(long pid, long pgid) {
    if (pgid < 0)
        return -kEINVAL;
    Process* me = current_process();
    KernelRcu::ReadGuard rd(rcu()); // the target and the group's members stay valid
    Process* target = pid == 0 || pid == me->pid ? me : pid_lookup(static_cast<int>(pid));
    if (!target || (target != me && !is_child_of(target, me)))
        return -kESRCH;
    const int new_pgid = pgid ? static_cast<int>(pgid) : target->pid;
    const int my_sid = me->sid.load(std::memory_order_relaxed);
    if (target != me) {
        if (target->sid.load(std::memory_order_relaxed) != my_sid)
            return -kEPERM;
        if (target->did_exec.load(std::memory_order_relaxed))
            return -kEACCES;
    }
    if (target->sid.load(std::memory_order_relaxed) == target->pid)
        return -kEPERM; // a session leader keeps its group
    if (new_pgid != target->pid && !group_exists(new_pgid, my_sid))
        return -kEPERM; // joining a group that is not in our session
    target->pgid.store(new_pgid, std::memory_order_relaxed);
    pid_join_group(new_pgid); // the number stays held while the group has members
    return 0;
}

long getpgid(long pid) {
    Process* me = current_process();
    if (pid == 0)
        return me->pgid.load(std::memory_order_relaxed);
    KernelRcu::ReadGuard rd(rcu()); // the process cannot be freed while we look
    Process* p = pid_lookup(static_cast<int>(pid));
    return p ? p->pgid.load(std::memory_order_relaxed) : -kESRCH;
}

long setsid() {
    Process* me = current_process();
    {
        KernelRcu::ReadGuard rd(rcu());
        if (group_exists(me->pid, kAnySession))
            return -kEPERM; // a group named by our pid exists: we would leave it behind
    }
    me->sid.store(me->pid, std::memory_order_relaxed);
    me->pgid.store(me->pid, std::memory_order_relaxed);
    return me->pid;
}

long getsid(long pid) {
    Process* me = current_process();
    if (pid == 0)
        return me->sid.load(std::memory_order_relaxed);
    KernelRcu::ReadGuard rd(rcu());
    Process* p = pid_lookup(static_cast<int>(pid));
    return p ? p->sid.load(std::memory_order_relaxed) : -kESRCH;
}

} // namespace kernel::proc
