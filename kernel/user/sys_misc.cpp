// Time, scheduling and the system: clocks count from boot (no RTC read yet),
// the CPU-time clocks read the caller's accounting (rusage.h), sleeps wait on
// the tick (sched::tick_queue) and yield through the last fraction of a tick.
#include "arch/time.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/lib/string.h"
#include "kernel/power.h"
#include "kernel/proc/proc.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/waitq.h"
#include "kernel/user/process.h"
#include "kernel/user/rusage.h"
#include "kernel/user/signal.h"
#include "kernel/user/syscall.h"
#include "kernel/user/syscalls.h"
#include "kernel/user/uaccess.h"

namespace kernel::user {
namespace {

struct Timespec {
    int64_t sec, nsec;
};
constexpr int64_t kNsPerSec = 1'000'000'000;
constexpr uint64_t kClockProcessCputime = 2, kClockThreadCputime = 3, kClockBoottime = 7;
constexpr uint64_t kTimerAbstime = 1;
constexpr uint64_t kTickNs = kNsPerSec / sched::kTickHz;

// Sleeps until the monotonic clock reaches `deadline_ns` or a signal is
// pending (false). There is no timer wheel yet: whole ticks are slept off
// the CPU on this CPU's tick queue (not CPU time for the sleeper), and the
// last fraction of a tick is spent yielding, for precision.
bool sleep_until(uint64_t deadline_ns) {
    const UserThread* t = current_thread();
    for (;;) {
        const uint64_t now = arch::monotonic_ns();
        if (now >= deadline_ns)
            return true;
        if (t && signal_pending(t))
            return false;
        if (deadline_ns - now <= kTickNs) {
            sched::yield();
            continue;
        }
        const bool woken = wait_interruptible(
            sched::tick_queue(), [&] { return arch::monotonic_ns() + kTickNs >= deadline_ns; });
        if (!woken)
            return false;
    }
}

// An interrupted relative sleep: the time left goes to *rem (if given), and
// the call fails EINTR if a handler runs, or starts over if none does (Linux
// resumes with the time left; a restart here sleeps the whole time again).
long interrupted_sleep(uintptr_t rem, uint64_t deadline_ns) {
    const uint64_t now = arch::monotonic_ns();
    const uint64_t left = deadline_ns > now ? deadline_ns - now : 0;
    const Timespec ts{static_cast<int64_t>(left / kNsPerSec),
                      static_cast<int64_t>(left % kNsPerSec)};
    if (rem && copy_to_user(rem, &ts, sizeof ts) < 0)
        return -kEFAULT;
    return -kERestartNoHand;
}

long read_timespec(uintptr_t user, uint64_t* ns) {
    Timespec ts;
    if (copy_from_user(&ts, user, sizeof ts) < 0)
        return -kEFAULT;
    if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= kNsPerSec)
        return -kEINVAL;
    *ns = static_cast<uint64_t>(ts.sec) * kNsPerSec + static_cast<uint64_t>(ts.nsec);
    return 0;
}

} // namespace

long sys_clock_gettime(SyscallArgs a) {
    // REALTIME, MONOTONIC, MONOTONIC_RAW, the COARSE ones and BOOTTIME all
    // read the one boot clock for now; the CPU-time clocks the caller's usage.
    if (a[0] > kClockBoottime)
        return -kEINVAL;
    uint64_t ns;
    if (a[0] == kClockProcessCputime || a[0] == kClockThreadCputime) {
        const RusageLite u = a[0] == kClockProcessCputime ? process_usage_now(current_process())
                                                          : thread_usage_now();
        ns = u.utime_ns + u.stime_ns;
    } else {
        ns = arch::monotonic_ns();
    }
    const Timespec ts{static_cast<int64_t>(ns / kNsPerSec), static_cast<int64_t>(ns % kNsPerSec)};
    return copy_to_user(a[1], &ts, sizeof ts);
}

long sys_nanosleep(SyscallArgs a) {
    uint64_t ns;
    if (long err = read_timespec(a[0], &ns); err < 0)
        return err;
    const uint64_t deadline = arch::monotonic_ns() + ns;
    if (!sleep_until(deadline))
        return interrupted_sleep(a[1], deadline);
    return 0; // *rem is left alone, as Linux does then
}

long sys_clock_nanosleep(SyscallArgs a) {
    if (a[0] > kClockBoottime)
        return -kEINVAL;
    uint64_t ns;
    if (long err = read_timespec(a[2], &ns); err < 0)
        return err;
    const bool absolute = a[1] & kTimerAbstime;
    const uint64_t deadline = absolute ? ns : arch::monotonic_ns() + ns;
    if (!sleep_until(deadline)) // an absolute sleep leaves rem alone
        return absolute ? -kERestartNoHand : interrupted_sleep(a[3], deadline);
    return 0;
}

long sys_sched_yield(SyscallArgs) {
    sched::yield();
    return 0;
}

long sys_sched_getaffinity(SyscallArgs a) {
    // Every online CPU; the size in bytes written, in whole longs, as Linux.
    const uint32_t n = cpus_enumerated();
    const size_t bytes = (n + 63) / 64 * 8;
    if (a[1] < bytes || a[1] % 8)
        return -kEINVAL;
    uint64_t words[smp::kMaxCpus / 64] = {};
    for (uint32_t i = 0; i < n; i++)
        if (cpu_block(i).online.load())
            words[i / 64] |= uint64_t(1) << (i % 64);
    if (copy_to_user(a[2], words, bytes) < 0)
        return -kEFAULT;
    return static_cast<long>(bytes);
}

long sys_uname(SyscallArgs a) {
    struct Utsname {
        char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
    };
    Utsname u = {};
    strlcpy(u.sysname, "Scythe", sizeof u.sysname);
    strlcpy(u.nodename, "scythe", sizeof u.nodename);
    strlcpy(u.release, "0.1", sizeof u.release);
    strlcpy(u.version, "#1 SMP", sizeof u.version);
    strlcpy(u.machine, "x86_64", sizeof u.machine);
    strlcpy(u.domainname, "(none)", sizeof u.domainname);
    return copy_to_user(a[0], &u, sizeof u);
}

long sys_reboot(SyscallArgs a) {
    constexpr uint64_t kMagic1 = 0xfee1dead, kMagic2 = 672274793;
    constexpr uint64_t kPowerOff = 0x4321fedc, kHalt = 0xcdef0123, kRestart = 0x01234567;
    constexpr uint64_t kMagic2a = 85072278, kMagic2b = 369367448, kMagic2c = 537993216;
    if (static_cast<uint32_t>(a[0]) != kMagic1 ||
        (a[1] != kMagic2 && a[1] != kMagic2a && a[1] != kMagic2b && a[1] != kMagic2c))
        return -kEINVAL;
    const uint32_t cmd = static_cast<uint32_t>(a[2]);
    if (cmd != kPowerOff && cmd != kHalt && cmd != kRestart)
        return -kEINVAL; // CAD on/off and the rest: not supported
    kprintf("user: reboot(%s) by pid %d\n", cmd == kRestart ? "RESTART" : "POWER_OFF",
            current_process()->pid);
    report_unimplemented();
    proc::report_counts();
    power_off(kPowerOk); // halt and restart power off too: QEMU's test harness wants an exit
}

} // namespace kernel::user
