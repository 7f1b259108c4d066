// Threads of a process (OpenBSD's EXIT_THREAD vs EXIT_NORMAL, Linux's
// thread groups): clone(CLONE_THREAD), exit of one thread, exit_group and
// fatal signals, and execve's "every other thread ends first".
//
// Locks: the process's siglock guards its thread list, live_threads and the
// group-exit state; nothing global. A thread that ends folds its CPU time
// into the process, leaves the list and parks on its CPU's dead-thread
// queue like any kernel thread; the LAST one to end runs the process's exit
// (exit1), so teardown never races a thread still running in the address
// space. A clone()d UserThread is freed a grace period after it ends
// (signal senders find threads under RCU), and its tid number with it.
#include "arch/cpu.h"
#include "arch/fpu.h"
#include "arch/user_frame.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/proc.h"
#include "kernel/sched/sched.h"
#include "kernel/user/errno.h"
#include "kernel/user/futex.h"
#include "kernel/user/process.h"
#include "kernel/user/rusage.h"
#include "kernel/user/signal.h"
#include "kernel/user/uaccess.h"
#include "kernel/vm/address_space.h"

#include <new>

namespace kernel::user {
namespace {

constexpr uint64_t kCloneVm = 0x100, kCloneFs = 0x200, kCloneFiles = 0x400, kCloneSighand = 0x800,
                   kCloneThread = 0x10000, kCloneSysvsem = 0x40000, kCloneSettls = 0x80000,
                   kCloneParentSettid = 0x100000, kCloneChildCleartid = 0x200000,
                   kCloneDetached = 0x400000, kCloneChildSettid = 0x1000000;
// What a thread must share (Linux: CLONE_THREAD needs SIGHAND, SIGHAND needs VM).
constexpr uint64_t kThreadMust = kCloneVm | kCloneSighand | kCloneThread;
constexpr uint64_t kThreadMay = kThreadMust | kCloneFs | kCloneFiles | kCloneSysvsem |
                                kCloneSettls | kCloneParentSettid | kCloneChildCleartid |
                                kCloneDetached | kCloneChildSettid;

void link_thread(Process* p, UserThread* t) { // under siglock
    t->prev = nullptr;
    t->next = p->threads;
    if (p->threads)
        p->threads->prev = t;
    p->threads = t;
}

void unlink_thread(Process* p, UserThread* t) { // under siglock
    if (t->prev)
        t->prev->next = t->next;
    else
        p->threads = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->next = t->prev = nullptr;
}

// A clone()d thread's memory and number (never started, or a grace period
// after it ended).
void free_thread(UserThread* t) {
    if (t->owns_tid)
        proc::pid_free(t->tid);
    t->~UserThread();
    kfree(t);
}

void free_thread_rcu(scythe::lf::RcuHead* h) {
    free_thread(
        reinterpret_cast<UserThread*>(reinterpret_cast<char*>(h) - offsetof(UserThread, rcu)));
}

// Tells every other thread of p to end (a thread-directed SIGKILL). Caller
// holds siglock.
void kill_other_threads(Process* p, UserThread* me) {
    for (UserThread* t = p->threads; t; t = t->next)
        if (t != me)
            signal_thread_locked(t, kSigKill, SigSource{kSiKernel, 0, 0});
}

} // namespace

long clone_thread(uint64_t flags, uintptr_t stack, uintptr_t parent_tid, uintptr_t child_tid,
                  uint64_t tls) {
    if ((flags & kThreadMust) != kThreadMust || (flags & ~(kThreadMay | 0xff)) || (flags & 0xff))
        return -kEINVAL; // a thread shares memory and handlers, and sends no exit signal
    if ((flags & kCloneSettls) && tls >= arch::kUserSpaceEnd)
        return -kEPERM;
    UserThread* me = current_thread();
    Process* p = me->process;
    const int tid = proc::alloc_pid();
    if (!tid)
        return -kEAGAIN;
    void* mem = kzalloc(sizeof(UserThread));
    if (!mem) {
        proc::pid_free(tid);
        return -kENOMEM;
    }
    UserThread* t = new (mem) UserThread;
    t->process = p;
    t->tid = tid;
    t->owns_tid = true;
    t->forked = true;
    t->sigmask.store(me->sigmask.load(std::memory_order_relaxed), std::memory_order_relaxed);
    t->fs_base = (flags & kCloneSettls) ? tls : me->fs_base;
    t->clear_child_tid = (flags & kCloneChildCleartid) ? child_tid : 0;
    arch::fpu_save(t->fpu); // the kernel never touches the FPU: these are the caller's registers
    arch::copy_syscall_frame(t->user_frame, sched::current()->stack.top, 0);
    arch::set_frame_stack(t->user_frame, stack);
    // Linux stores the tid before the thread can run (both land in our space).
    if ((flags & kCloneParentSettid) && put_user(parent_tid, static_cast<int32_t>(tid)) < 0) {
        free_thread(t);
        return -kEFAULT;
    }
    if (flags & kCloneChildSettid)
        put_user(child_tid, static_cast<int32_t>(tid));
    bool refused;
    {
        smp::IrqSpinGuard g(p->siglock);
        // Exiting or exec'ing: no new thread (the pending SIGKILL ends us).
        refused = p->group_exit || p->group_leader_exec;
        if (!refused) {
            link_thread(p, t);
            p->live_threads.fetch_add(1, std::memory_order_relaxed);
        }
    }
    if (refused || !start_user_thread(t)) {
        if (!refused) {
            smp::IrqSpinGuard g(p->siglock);
            unlink_thread(p, t);
            p->live_threads.fetch_sub(1, std::memory_order_relaxed);
        }
        free_thread(t);
        return refused ? -kERestartNoIntr : -kENOMEM;
    }
    return tid;
}

void thread_exit(int wait_status) {
    UserThread* me = current_thread();
    Process* p = me->process;
    // CLONE_CHILD_CLEARTID: zero the word and wake one waiter (pthread_join).
    if (me->clear_child_tid && put_user(me->clear_child_tid, int32_t{0}) == 0)
        futex_wake_one(me->clear_child_tid);
    bool last, exec_waits;
    int status;
    {
        smp::IrqSpinGuard g(p->siglock);
        unlink_thread(p, me);
        me->exiting = true;
        me->sleeping_on = nullptr;
        p->self.add(thread_usage_now());
        last = p->live_threads.fetch_sub(1, std::memory_order_relaxed) == 1;
        status = p->group_exit ? p->group_exit_status : wait_status;
        exec_waits = p->group_leader_exec && p->live_threads.load(std::memory_order_relaxed) == 1;
    }
    if (last) {
        // Its kernel thread still runs on this UserThread until it parks:
        // the process's own RCU free takes it along, long after.
        if (me != &p->main_thread)
            p->last_clone = me;
        last_thread_exit(p, status);
    }
    if (exec_waits)
        p->threads_gone.wake_all();
    // Off the address space: the last thread's exit1 may free it any time now.
    arch::irq_disable();
    vm::activate(nullptr);
    sched::current()->fpu = nullptr;
    if (me != &p->main_thread) // the main thread's memory goes with its process
        proc::rcu().call_rcu(&me->rcu, free_thread_rcu);
    sched::exit_thread();
}

void group_exit(int wait_status) {
    UserThread* me = current_thread();
    Process* p = me->process;
    {
        smp::IrqSpinGuard g(p->siglock);
        if (!p->group_exit) {
            p->group_exit = true;
            p->group_exit_status = wait_status;
        }
        kill_other_threads(p, me);
        p->stopped.store(false, std::memory_order_relaxed); // stopped threads must run to end
    }
    p->stop_wait.wake_all();
    thread_exit(wait_status);
}

bool become_single_threaded() {
    UserThread* me = current_thread();
    Process* p = me->process;
    {
        smp::IrqSpinGuard g(p->siglock);
        if (p->group_exit)
            return false;
        if (p->live_threads.load(std::memory_order_relaxed) == 1)
            return true;
        p->group_leader_exec = me;
        kill_other_threads(p, me);
    }
    p->threads_gone.wait_until(
        [p] { return p->live_threads.load(std::memory_order_relaxed) == 1 || p->group_exit; });
    bool ok;
    {
        smp::IrqSpinGuard g(p->siglock);
        p->group_leader_exec = nullptr;
        ok = !p->group_exit;
    }
    // Linux: the exec'ing thread takes over the process's number.
    if (ok && me->tid != p->pid) {
        const int old = me->tid;
        me->tid = p->pid;
        me->owns_tid = false;
        proc::pid_free(old);
    }
    return ok;
}

namespace {

struct ThreadSearch {
    int tid;
    UserThread* found = nullptr;
};

void search_process(Process* p, void* arg) {
    auto& s = *static_cast<ThreadSearch*>(arg);
    if (s.found)
        return;
    smp::IrqSpinGuard g(p->siglock);
    for (UserThread* t = p->threads; t; t = t->next)
        if (t->tid == s.tid)
            s.found = t;
}

} // namespace

UserThread* find_thread(int tgid, int tid) {
    ThreadSearch s{tid};
    if (tgid > 0) {
        if (Process* p = proc::pid_lookup(tgid))
            search_process(p, &s);
        return s.found;
    }
    // The caller's own process first, then the process numbered tid (its
    // main thread), then every process (a rare call: tkill of a stranger).
    search_process(current_process(), &s);
    if (!s.found)
        if (Process* p = proc::pid_lookup(tid))
            search_process(p, &s);
    if (!s.found)
        proc::for_each_process(search_process, &s);
    return s.found;
}

} // namespace kernel::user
