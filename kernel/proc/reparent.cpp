// exit's hand-over of children (reparent_children) and POSIX's orphaned
// process groups. Locks: the dying process's and the new parent's tree
// locks (address order, TreeGuard2); ancestors and group members are read
// under RCU. Nothing global is locked.
#include "kernel/mm/heap.h"
#include "kernel/proc/proc.h"
#include "kernel/user/signal.h"

namespace kernel::proc {
namespace {

using user::ProcState;

// The nearest ancestor of p that adopts orphans and is not itself handing
// its children on, else init. Caller holds an RCU read section.
Process* find_reaper(Process* p) {
    Process* init = init_process();
    for (Process* a = p->parent.load(std::memory_order_acquire); a && a != init;
         a = a->parent.load(std::memory_order_acquire))
        if (a->child_subreaper.load(std::memory_order_relaxed) &&
            a->state.load(std::memory_order_relaxed) == ProcState::Live)
            return a;
    return init;
}

struct GroupScan {
    int pgid, sid;
    const Process* ignore; // the exiting process
    bool linked = false;   // a member's parent is outside the group, in its session
    bool stopped = false;  // a member is stopped
};

// POSIX: a group is orphaned when no member has a parent in another group
// of the same session. As Linux, members whose parent is init do not count.
void scan_member(Process* q, void* arg) {
    auto& g = *static_cast<GroupScan*>(arg);
    if (q->pgid.load(std::memory_order_relaxed) != g.pgid || q == g.ignore ||
        q->state.load(std::memory_order_relaxed) != ProcState::Live)
        return;
    g.stopped |= q->stopped.load(std::memory_order_relaxed);
    const Process* parent = q->parent.load(std::memory_order_acquire);
    if (parent == init_process() || parent == q)
        return;
    if (parent->pgid.load(std::memory_order_relaxed) != g.pgid &&
        parent->sid.load(std::memory_order_relaxed) == g.sid)
        g.linked = true;
}

void hangup_group(int pgid) {
    for_each_process(
        [](Process* q, void* arg) {
            if (q->pgid.load(std::memory_order_relaxed) != *static_cast<int*>(arg))
                return;
            const user::SigSource kernel{user::kSiKernel, 0, 0};
            user::send_signal(q, user::kSigHup, kernel);
            user::send_signal(q, user::kSigCont, kernel);
        },
        &pgid);
}

// Group pgid of session sid, orphaned now that `exiting` is gone, with a
// stopped member: SIGHUP, then SIGCONT, to every member.
void check_orphaned(int pgid, int sid, const Process* exiting) {
    GroupScan g{pgid, sid, exiting};
    for_each_process(scan_member, &g);
    if (!g.linked && g.stopped)
        hangup_group(pgid);
}

// The groups p's exit may orphan: its own (if p linked it to its session
// through its parent), and each child's group that p linked as their parent.
void orphaned_groups_after_exit(Process* p, const int* child_groups, int n) {
    if (!user::any_process_stopped())
        return; // no stopped member anywhere: nothing to hang up (the common case)
    KernelRcu::ReadGuard rd(rcu());
    const int pgid = p->pgid.load(std::memory_order_relaxed);
    const int sid = p->sid.load(std::memory_order_relaxed);
    const Process* parent = p->parent.load(std::memory_order_acquire);
    if (parent != init_process() && parent->pgid.load(std::memory_order_relaxed) != pgid &&
        parent->sid.load(std::memory_order_relaxed) == sid)
        check_orphaned(pgid, sid, p);
    for (int i = 0; i < n; i++)
        if (child_groups[i] != pgid)
            check_orphaned(child_groups[i], sid, p);
}

int count_children(Process* p) {
    smp::IrqSpinGuard g(tree_lock(*p));
    int n = 0;
    for (Process* c = p->children; c; c = c->sib_next)
        n++;
    return n;
}

} // namespace

void reparent_children(Process* p) {
    // The children's groups, for the orphan check: only this thread adds
    // children to p and it is exiting, so the count can only go down. A few
    // fit on the stack (no allocation on the common exit path); out of
    // memory, only p's own group is checked.
    constexpr int kOnStack = 8;
    int on_stack[kOnStack];
    const int most = count_children(p);
    int* groups = most <= kOnStack ? on_stack : static_cast<int*>(kmalloc(sizeof(int) * most));
    int ngroups = 0;
    for (bool moved = false; !moved;) {
        KernelRcu::ReadGuard rd(rcu()); // the ancestors we walk, and the reaper, stay valid
        Process* reaper = find_reaper(p);
        bool zombie = false;
        {
            TreeGuard2 g(*p, *reaper);
            if (reaper->orphans_moved)
                continue;            // it began exiting meanwhile: look further up
            p->orphans_moved = true; // no exiting descendant adopts into p any more
            while (Process* c = p->children) {
                unlink_child(p, c);
                c->parent.store(reaper, std::memory_order_release);
                link_child(reaper, c);
                zombie |= c->state.load(std::memory_order_relaxed) == ProcState::Zombie;
                const int cg = c->pgid.load(std::memory_order_relaxed);
                bool seen = !groups;
                for (int i = 0; i < ngroups && !seen; i++)
                    seen = groups[i] == cg;
                if (!seen && ngroups < most)
                    groups[ngroups++] = cg;
            }
            moved = true;
        }
        if (zombie) {
            reaper->wait_gen.fetch_add(1, std::memory_order_release);
            reaper->child_wait.wake_all();
        }
    }
    orphaned_groups_after_exit(p, groups, ngroups);
    if (groups != on_stack)
        kfree(groups);
}

} // namespace kernel::proc
