// A user process: a thread group of UserThreads, each a kernel thread that
// enters user mode and comes back for system calls and faults (threads:
// kernel/user/thread.cpp). Its lifecycle (fork, exit, reap, wait) lives in
// kernel/proc/; ARCHITECTURE.md's tables "The exit -> reap -> wait path" and
// "Threads" list each step with its locks.
#pragma once

#include <atomic>
#include <stddef.h>
#include <stdint.h>

#include "arch/fpu.h"
#include "arch/signal.h"
#include "arch/user_frame.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/waitq.h"
#include "kernel/vm/address_space.h"
#include "lockfree/dead_list.h"
#include "lockfree/rcu.h"
#include "lockfree/rcu_hash.h"
#include "smp/spinlock.h"

namespace kernel::user {

struct SigAction { // Linux's struct k_sigaction as rt_sigaction passes it
    uint64_t handler, flags, restorer, mask;
};
inline constexpr int kSignals = 64;
inline constexpr int kMaxFds = 32;
// Signals a new process discards when sent: SIGCHLD, SIGURG, SIGWINCH (SIG_DFL ignores them).
inline constexpr uint64_t kDefaultIgnored =
    (uint64_t(1) << 16) | (uint64_t(1) << 22) | (uint64_t(1) << 27);

struct File; // kernel/user/file.h

// Who sent a pending signal, for its siginfo (everyone is uid 0).
struct SigSource {
    int32_t code = 0; // SI_USER (0), CLD_* for SIGCHLD, a fault's code (SEGV_MAPERR, ...)
    int32_t pid = 0;
    int32_t status = 0; // SIGCHLD: exit code or signal
    uint64_t addr = 0;  // a fault's si_addr
};

// What getrusage and wait4 report in struct rusage (only what is tracked;
// kernel/user/rusage.h).
struct RusageLite {
    uint64_t utime_ns = 0, stime_ns = 0;
    uint64_t minflt = 0, nvcsw = 0, nivcsw = 0;
    void add(const RusageLite& o) {
        utime_ns += o.utime_ns;
        stime_ns += o.stime_ns;
        minflt += o.minflt;
        nvcsw += o.nvcsw;
        nivcsw += o.nivcsw;
    }
};

enum class ProcState : uint8_t {
    Live,   // running (or its thread is still on the way out)
    Zombie, // reaped by a reaper: only the exit status is left for wait
};

struct Process;
extern sched::LockClass process_mm_class; // Process::mm_lock

// One user thread of a process (clone with CLONE_THREAD makes more): a
// kernel thread that enters user mode. The main thread is embedded in its
// Process; the others are allocated by clone and freed a grace period after
// they exit. Fields marked "own" are touched only by the thread itself.
struct UserThread {
    Process* process = nullptr;
    int tid = 0;
    bool owns_tid = false;            // a clone()d thread's own number (freed with it), not the pid
    sched::Thread* kthread = nullptr; // set when it first runs
    // How it starts: from `user_frame` (fork, clone) or at entry/initial_sp.
    bool forked = false;
    uintptr_t entry = 0, initial_sp = 0;

    // Signals: the blocked set and the thread-directed pending set (tkill,
    // tgkill); process-directed ones pend in the Process. Under the
    // process's siglock for senders; own for the mask.
    std::atomic<uint64_t> sigmask{0};
    std::atomic<uint64_t> sig_pending{0};
    sched::WaitQueue* sleeping_on = nullptr; // under siglock: an interruptible sleep's queue
    uint64_t trace_pass = 0;    // own: signals a tracer resumed with: no second ptrace stop
    uint64_t saved_sigmask = 0; // own: rt_sigsuspend's mask to restore
    bool restore_sigmask = false;
    bool exiting = false;       // under siglock: off the thread list
    UserThread* next = nullptr; // the process's thread list, under siglock
    UserThread* prev = nullptr;

    uint64_t alt_sp = 0, alt_size = 0; // own: sigaltstack (size 0: none)
    uint64_t fs_base = 0;              // own: thread pointer (arch_prctl ARCH_SET_FS, CLONE_SETTLS)
    uintptr_t clear_child_tid = 0;     // own: set_tid_address, CLONE_CHILD_CLEARTID
    scythe::lf::RcuHead rcu{};         // a clone()d thread is freed a grace period after it exits
    alignas(16) uint8_t user_frame[arch::kUserFrameSize] = {};
    alignas(arch::kFpuStateAlign) uint8_t fpu[arch::kFpuStateSize] = {};
};

struct ProcessRcu { // standard layout: the RCU callback gets back to its process
    scythe::lf::RcuHead head;
    Process* owner;
};

struct Process : scythe::lf::RcuHashNode<> {
    Process() {
        main_thread.process = this;
        threads = &main_thread;
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    int pid = 0;
    std::atomic<int> pgid{0};              // process group: pid of its leader
    std::atomic<Process*> parent{nullptr}; // changes only under the tree locks (reparenting)
    char name[32] = {};
    std::atomic<int> sid{0};                  // session: pid of its leader
    std::atomic<bool> did_exec{false};        // since fork (setpgid's EACCES)
    std::atomic<bool> child_subreaper{false}; // prctl(PR_SET_CHILD_SUBREAPER): adopts orphans
    // vfork: the child names its sleeping parent until it execs or exits.
    std::atomic<Process*> vfork_parent{nullptr};
    std::atomic<bool> vfork_pending{false}; // in the parent
    sched::WaitQueue vfork_wait;            // the parent sleeps here
    vm::AddressSpace* space = nullptr;

    // The process tree, under proc::tree_lock(*this) (its own lock, or the
    // seed design's global one): the children list and each child's state.
    smp::SpinLock lock;
    Process* children = nullptr;
    Process* sib_next = nullptr; // in the parent's children list
    Process* sib_prev = nullptr;
    bool orphans_moved = false; // exit moved the children away: adopt no more
    std::atomic<ProcState> state{ProcState::Live};
    int exit_status = 0;       // Linux wait status, written before the process is dead-listed
    RusageLite self;           // its exited threads' usage (exit1 folds the last one in)
    RusageLite children_total; // folded in by its own wait from reaped children

    // Waiting for children: a waiter samples wait_gen, scans, and sleeps until
    // it changes; whoever changes a child's state bumps it and wakes (DragonFly).
    std::atomic<uint32_t> wait_gen{0};
    sched::WaitQueue child_wait;

    // Job control (kernel/proc/jobctl.cpp): what the parent's wait has not
    // been told yet, under tree_lock(*parent) like `state`.
    int stop_report = 0;      // wait status of an unreported stop, or 0
    bool cont_report = false; // an unreported continue

    // Tracing (kernel/proc/ptrace.cpp). `tracer` changes only under
    // tree_lock(*tracer) (attach: a CAS from null, so two tracers cannot both
    // win); the tracer's `tracees` list and each tracee's stop state below are
    // under that same lock, so the tracer's wait needs no other lock.
    std::atomic<Process*> tracer{nullptr};
    Process* tracees = nullptr; // the processes this one traces
    Process* trace_next = nullptr;
    Process* trace_prev = nullptr;
    bool tracees_released = false;          // its exit released them: attach no more
    std::atomic<bool> trace_stopped{false}; // in a ptrace stop until the tracer resumes it
    int trace_report = 0;                   // wait status of an unreported ptrace stop, or 0
    int trace_sig = 0;                      // Linux's exit_code: the signal the stop resumes with
    bool trace_zombie = false; // exited, the tracer (not the parent) not yet told by its wait
    std::atomic<UserThread*> trace_owner{nullptr}; // the thread in the ptrace stop

    scythe::lf::DeadListHook<Process> dead_hook; // dead-process list -> reaper
    ProcessRcu rcu{{}, this};                    // freed a grace period after leaving the pid hash

    // Signals and threads (kernel/user/signal.cpp, kernel/user/thread.cpp).
    // siglock guards the thread list, the actions, the senders' bookkeeping
    // and the group exit; the pending and ignored sets are atomics the
    // threads also read without it.
    smp::SpinLock siglock;
    std::atomic<uint64_t> sig_pending{0}; // process-directed (kill)
    std::atomic<uint64_t> sig_ignored{
        kDefaultIgnored};              // disposition "ignore": senders discard them
    std::atomic<bool> stopped{false};  // set and cleared under siglock
    bool sig_dead = false;             // under siglock: the last thread is exiting
    sched::WaitQueue stop_wait;        // where a stopped process's threads sleep
    SigSource sig_from[kSignals] = {}; // under siglock: who sent each pending signal
    SigAction actions[kSignals] = {};  // written under siglock (shared by all threads)

    UserThread main_thread;                  // the thread fork or spawn starts
    UserThread* threads = nullptr;           // live threads, under siglock
    std::atomic<int> live_threads{1};        // threads that have not finished exiting
    bool group_exit = false;                 // under siglock: exit_group or a fatal signal
    int group_exit_status = 0;               // under siglock: its wait status
    UserThread* group_leader_exec = nullptr; // under siglock: an execve waiting for the others
    sched::WaitQueue threads_gone;           // execve sleeps here until it is the only thread
    UserThread* last_clone = nullptr;        // a clone()d last thread: freed with the process

    // Memory layout, under mm_lock (threads share it; mapping may sleep).
    sched::Mutex mm_lock{process_mm_class};
    uintptr_t brk_start = 0, brk = 0; // program break: [brk_start, page_up(brk)) is mapped
    uintptr_t mmap_floor = 0;         // mmap hands out addresses top-down below this
    // Files, under fd_lock (threads share the table).
    smp::SpinLock fd_lock;
    File* fds[kMaxFds] = {};
};

// The user thread running here and its process, or nullptr in a kernel thread.
UserThread* current_thread();
Process* current_process();

// Loads the executable at `path` from the initramfs and starts it as a new
// process with the given NULL-terminated argv and envp. Returns the pid or a
// negative errno.
long spawn_process(const char* path, const char* const* argv, const char* const* envp);

// mmap hands out addresses below this, top-down (Linux's mmap_base is
// similar: just under the stack's reserved range).
inline constexpr uintptr_t kMmapTop = 0x7f0000000000;

// execve's two halves: replace the calling process's image (0 or -errno; on
// an error the old image is intact), then drop into the new one.
long exec_image(const char* path, const char* const* argv, const char* const* envp);
[[noreturn]] void enter_new_image();

// Starts a user thread (its process fully built: space, files; the thread's
// frame or entry point set). False when out of memory.
bool start_user_thread(UserThread* ut);

// Ends the calling process (every thread: exit_group) with a Linux wait
// status (exit code << 8, or the signal number).
[[noreturn]] void exit_process(int wait_status);
// The last thread's way out (thread.cpp calls it): when the process is
// init, the kernel reports the status and powers off, as Linux panics when
// init dies; otherwise exit1.
[[noreturn]] void last_thread_exit(Process* p, int wait_status);

// Threads (thread.cpp).
// clone(CLONE_THREAD | CLONE_VM | CLONE_SIGHAND | ...): a new thread of the
// caller's process, starting on `stack` with the caller's registers (rax 0).
long clone_thread(uint64_t flags, uintptr_t stack, uintptr_t parent_tid, uintptr_t child_tid,
                  uint64_t tls);
// exit(2): the calling thread ends; the last one to end ends the process.
[[noreturn]] void thread_exit(int wait_status);
// exit_group(2) and fatal signals: every thread ends, the process with
// `wait_status` (the first group exit's status wins).
[[noreturn]] void group_exit(int wait_status);
// execve: every other thread of the caller's process ends first. False if a
// group exit overtook it (the caller is then on its way out too).
bool become_single_threaded();
// The live thread numbered tid (of process tgid when tgid > 0), or nullptr.
// The caller holds an RCU read section while it uses the result.
UserThread* find_thread(int tgid, int tid);

// Once on the boot CPU before smp_init: the scheduler's switch hook that
// loads a user thread's address space, entry stack and thread pointer.
void process_init();
// On every CPU before the first process: the arch's user-mode state.
void user_mode_init_all_cpus();

} // namespace kernel::user
