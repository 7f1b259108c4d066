/* rusage: self-checking tests of CPU-time accounting and resource usage: wait4's and waitid's
 * rusage of the child reaped, getrusage (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD), times(),
 * the CPU-time clocks, and the fold of a child's waited-for descendants into its waiter's
 * children total (OpenBSD's ps_cru, Linux's cutime).
 *
 * Compared line for line with Linux (scripts/differential.py), so every compared line is
 * deterministic: TEST <name> ok | FAIL ... | skip ..., then "RUSAGE tests=N ...". Timings only
 * ever appear in "rusage: note ..." lines, which are not compared. Thresholds are generous (a
 * loaded host under TCG): a spin that must burn CPU spins until the CPU-time clock says so, never
 * for a wall-clock time, and every bound leaves a factor of two or more.
 *
 * Options: --only a,b | --skip a,b | --list (check.h). Every test reaps the children it
 * creates, except orphan_not_counted's grandchild, which init reaps.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>

#include "check.h"

#define MS 1000000ull

static volatile uint64_t sink;

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

/* Burns `ms` of this process's CPU time in user mode: arithmetic in chunks, the clock read
 * between chunks (a system call, but a small share of each chunk). */
static void spin_user(uint64_t ms)
{
	const uint64_t start = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	while (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - start < ms * MS)
		for (int i = 0; i < 20000; i++)
			sink += (uint64_t)i * 7;
}

/* Burns `ms` of CPU time mostly in cheap system calls. */
static void spin_syscalls(uint64_t ms)
{
	const uint64_t start = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	while (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - start < ms * MS)
		for (int i = 0; i < 1000; i++)
			syscall(SYS_getppid);
}

static long raw_getrusage(long who, void *ru)
{
	return syscall(SYS_getrusage, who, ru);
}

static uint64_t self_cpu_ns(int who)
{
	struct rusage ru;
	if (raw_getrusage(who, &ru) < 0)
		return 0;
	return tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
}

/* Forks a child that runs fn(arg) and exits 0; the parent waits with wait4 and gets its rusage.
 * Returns 0 if the child was reaped with status 0. */
static int run_child(void (*fn)(uint64_t), uint64_t arg, struct rusage *ru)
{
	pid_t p = fork();
	if (p == 0) {
		fn(arg);
		_exit(0);
	}
	if (p < 0) {
		EXPECT(0, "fork: errno %d", errno);
		return -1;
	}
	int st = -1;
	memset(ru, 0, sizeof *ru);
	long r = sys_wait4(p, &st, 0, ru);
	EXPECT(r == p && st == 0, "wait4: %ld status 0x%x errno %d", r, st, errno);
	return r == p && st == 0 ? 0 : -1;
}

static void note_ru(const char *what, const struct rusage *ru)
{
	say("rusage: note %s utime %lu ms stime %lu ms minflt %ld nvcsw %ld nivcsw %ld", what,
	    (unsigned long)(tv_ns(ru->ru_utime) / MS), (unsigned long)(tv_ns(ru->ru_stime) / MS),
	    ru->ru_minflt, ru->ru_nvcsw, ru->ru_nivcsw);
}

/* A child that spins 300 ms of CPU in user mode: wait4 reports it as user time, and its system
 * time is small beside it. */
static void test_child_user_time(void)
{
	begin("child_user_time");
	struct rusage ru;
	if (run_child(spin_user, 300, &ru) == 0) {
		note_ru("child_user_time", &ru);
		const uint64_t u = tv_ns(ru.ru_utime), s = tv_ns(ru.ru_stime);
		EXPECT(u >= 200 * MS, "utime %lu ms, expected >= 200", (unsigned long)(u / MS));
		EXPECT(s * 4 <= u, "stime %lu ms not small beside utime %lu ms", (unsigned long)(s / MS),
		       (unsigned long)(u / MS));
		EXPECT(u + s < 10000 * MS, "utime + stime %lu ms, absurd", (unsigned long)((u + s) / MS));
	}
	end();
}

/* A child that spends 300 ms of CPU in getppid calls: a real share of it is system time. */
static void test_child_system_time(void)
{
	begin("child_system_time");
	struct rusage ru;
	if (run_child(spin_syscalls, 300, &ru) == 0) {
		note_ru("child_system_time", &ru);
		const uint64_t u = tv_ns(ru.ru_utime), s = tv_ns(ru.ru_stime);
		EXPECT(u + s >= 200 * MS, "utime + stime %lu ms, expected >= 200", (unsigned long)((u + s) / MS));
		EXPECT(s * 10 >= u + s, "stime %lu ms, expected >= 10%% of %lu ms", (unsigned long)(s / MS),
		       (unsigned long)((u + s) / MS));
	}
	end();
}

/* RUSAGE_CHILDREN grows by what wait4 reported for the child it reaped, and not before. */
static void test_children_total(void)
{
	begin("children_total");
	const uint64_t before = self_cpu_ns(RUSAGE_CHILDREN);
	pid_t p = fork();
	if (p == 0) {
		spin_user(200);
		_exit(0);
	}
	/* Not waited for yet: the child's time is not ours. WNOWAIT waits for the zombie. */
	siginfo_t si;
	long r = syscall(SYS_waitid, P_PID, p, &si, WEXITED | WNOWAIT, NULL);
	EXPECT(r == 0, "waitid(WNOWAIT): %ld errno %d", r, errno);
	const uint64_t zombie = self_cpu_ns(RUSAGE_CHILDREN);
	EXPECT(zombie == before, "RUSAGE_CHILDREN moved by %lu ms before the wait",
	       (unsigned long)((zombie - before) / MS));
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	r = sys_wait4(p, NULL, 0, &ru);
	EXPECT(r == p, "wait4: %ld errno %d", r, errno);
	const uint64_t child = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
	const uint64_t after = self_cpu_ns(RUSAGE_CHILDREN);
	say("rusage: note children_total child %lu ms, RUSAGE_CHILDREN +%lu ms", (unsigned long)(child / MS),
	    (unsigned long)((after - before) / MS));
	EXPECT(child >= 150 * MS, "child's time %lu ms, expected >= 150", (unsigned long)(child / MS));
	EXPECT(after - before + 10 * MS >= child && after - before <= child + 10 * MS,
	       "RUSAGE_CHILDREN grew %lu ms, the child used %lu ms", (unsigned long)((after - before) / MS),
	       (unsigned long)(child / MS));
	end();
}

/* A child whose own child (waited for by it) spins: the grandchild's time reaches us through the
 * child's children total, both in wait4's rusage and in RUSAGE_CHILDREN. */
static void waits_for_spinner(uint64_t ms)
{
	struct rusage ru;
	pid_t g = fork();
	if (g == 0) {
		spin_user(ms);
		_exit(0);
	}
	if (g < 0 || sys_wait4(g, NULL, 0, &ru) != g)
		_exit(1);
	_exit(0);
}

static void test_grandchild_counts(void)
{
	begin("grandchild_counts");
	const uint64_t before = self_cpu_ns(RUSAGE_CHILDREN);
	struct rusage ru;
	if (run_child(waits_for_spinner, 300, &ru) == 0) {
		note_ru("grandchild_counts", &ru);
		const uint64_t u = tv_ns(ru.ru_utime);
		const uint64_t grew = self_cpu_ns(RUSAGE_CHILDREN) - before;
		EXPECT(u >= 200 * MS, "child's utime %lu ms: the grandchild's 300 ms are missing",
		       (unsigned long)(u / MS));
		EXPECT(grew >= 200 * MS, "RUSAGE_CHILDREN grew %lu ms, expected >= 200", (unsigned long)(grew / MS));
	}
	end();
}

/* A grandchild its parent never waits for (reparented to init as a zombie) counts for no one of
 * ours. */
static void leaves_spinner(uint64_t ms)
{
	pid_t g = fork();
	if (g == 0) {
		spin_user(ms);
		_exit(0);
	}
	siginfo_t si;
	if (g < 0 || syscall(SYS_waitid, P_PID, g, &si, WEXITED | WNOWAIT, NULL) != 0)
		_exit(1);
	_exit(0); /* the zombie grandchild goes to init */
}

static void test_orphan_not_counted(void)
{
	begin("orphan_not_counted");
	struct rusage ru;
	if (run_child(leaves_spinner, 300, &ru) == 0) {
		note_ru("orphan_not_counted", &ru);
		const uint64_t t = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
		EXPECT(t < 100 * MS, "child's time %lu ms includes the grandchild it never waited for",
		       (unsigned long)(t / MS));
	}
	end();
}

/* Our own usage grows while we spin: RUSAGE_SELF, RUSAGE_THREAD and both CPU-time clocks. */
static void test_self_grows(void)
{
	begin("self_grows");
	struct rusage s0, t0, s1, t1;
	raw_getrusage(RUSAGE_SELF, &s0);
	raw_getrusage(RUSAGE_THREAD, &t0);
	const uint64_t pc0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), tc0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	spin_user(200);
	const uint64_t pc1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), tc1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	raw_getrusage(RUSAGE_SELF, &s1);
	raw_getrusage(RUSAGE_THREAD, &t1);
	const uint64_t su = tv_ns(s1.ru_utime) - tv_ns(s0.ru_utime);
	const uint64_t tu = tv_ns(t1.ru_utime) - tv_ns(t0.ru_utime);
	say("rusage: note self_grows self utime +%lu ms, thread utime +%lu ms, clocks +%lu/+%lu ms",
	    (unsigned long)(su / MS), (unsigned long)(tu / MS), (unsigned long)((pc1 - pc0) / MS),
	    (unsigned long)((tc1 - tc0) / MS));
	EXPECT(su >= 100 * MS, "RUSAGE_SELF utime grew %lu ms, expected >= 100", (unsigned long)(su / MS));
	EXPECT(tu >= 100 * MS, "RUSAGE_THREAD utime grew %lu ms, expected >= 100", (unsigned long)(tu / MS));
	EXPECT(pc1 - pc0 >= 200 * MS, "CLOCK_PROCESS_CPUTIME_ID grew %lu ms", (unsigned long)((pc1 - pc0) / MS));
	EXPECT(tc1 - tc0 >= 150 * MS, "CLOCK_THREAD_CPUTIME_ID grew %lu ms", (unsigned long)((tc1 - tc0) / MS));
	EXPECT(tv_ns(s1.ru_utime) + tv_ns(s1.ru_stime) + 20 * MS >= tv_ns(t1.ru_utime) + tv_ns(t1.ru_stime),
	       "RUSAGE_SELF below RUSAGE_THREAD");
	end();
}

/* getrusage's errors: an unknown `who` is EINVAL, a bad pointer EFAULT. */
static void test_bad_args(void)
{
	begin("bad_args");
	struct rusage ru;
	errno = 0;
	long r = raw_getrusage(5, &ru);
	EXPECT(r == -1 && errno == EINVAL, "getrusage(5): %ld errno %d", r, errno);
	errno = 0;
	r = raw_getrusage(-2, &ru);
	EXPECT(r == -1 && errno == EINVAL, "getrusage(-2): %ld errno %d", r, errno);
	errno = 0;
	r = raw_getrusage(RUSAGE_SELF, (void *)8);
	EXPECT(r == -1 && errno == EFAULT, "getrusage(SELF, 8): %ld errno %d", r, errno);
	errno = 0;
	r = raw_getrusage(RUSAGE_CHILDREN, (void *)-4096L);
	EXPECT(r == -1 && errno == EFAULT, "getrusage(CHILDREN, kernel address): %ld errno %d", r, errno);
	errno = 0;
	r = raw_getrusage(RUSAGE_THREAD, NULL);
	EXPECT(r == -1 && errno == EFAULT, "getrusage(THREAD, NULL): %ld errno %d", r, errno);
	errno = 0;
	r = syscall(SYS_times, (void *)8);
	EXPECT(r == -1 && errno == EFAULT, "times(8): %ld errno %d", r, errno);
	end();
}

/* times() agrees with getrusage (clock ticks of 1/100 s) and its return value moves forward. */
static void test_times_consistent(void)
{
	begin("times_consistent");
	EXPECT(sysconf(_SC_CLK_TCK) == 100, "_SC_CLK_TCK %ld", sysconf(_SC_CLK_TCK));
	spin_user(50);
	struct tms t;
	const long c0 = syscall(SYS_times, &t);
	const uint64_t self = self_cpu_ns(RUSAGE_SELF), children = self_cpu_ns(RUSAGE_CHILDREN);
	const uint64_t tself = (uint64_t)(t.tms_utime + t.tms_stime) * 10 * MS;
	const uint64_t tchildren = (uint64_t)(t.tms_cutime + t.tms_cstime) * 10 * MS;
	say("rusage: note times self %lu ms (getrusage %lu), children %lu ms (getrusage %lu)",
	    (unsigned long)(tself / MS), (unsigned long)(self / MS), (unsigned long)(tchildren / MS),
	    (unsigned long)(children / MS));
	EXPECT(c0 != -1, "times: errno %d", errno);
	EXPECT(tself <= self + 20 * MS && tself + 30 * MS >= self, "times self %lu ms, getrusage %lu ms",
	       (unsigned long)(tself / MS), (unsigned long)(self / MS));
	EXPECT(tchildren <= children + 20 * MS && tchildren + 30 * MS >= children,
	       "times children %lu ms, getrusage %lu ms", (unsigned long)(tchildren / MS),
	       (unsigned long)(children / MS));
	EXPECT(syscall(SYS_times, NULL) != -1, "times(NULL): errno %d", errno);
	/* Its return value counts ticks: 150 ms of spinning is at least 5 of them. */
	spin_user(150);
	const long c1 = syscall(SYS_times, NULL);
	EXPECT(c1 - c0 >= 5 && c1 - c0 < 100000, "times moved %ld ticks over a 150 ms spin", c1 - c0);
	end();
}

/* CLOCK_PROCESS_CPUTIME_ID stands (nearly) still through a 200 ms sleep, which is a voluntary
 * context switch. */
static void test_sleep_is_not_cpu(void)
{
	begin("sleep_is_not_cpu");
	struct rusage r0, r1;
	raw_getrusage(RUSAGE_SELF, &r0);
	const uint64_t c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), w0 = now_ns();
	struct timespec ts = {0, 200 * MS};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	const uint64_t c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), w1 = now_ns();
	raw_getrusage(RUSAGE_SELF, &r1);
	say("rusage: note sleep 200 ms: wall %lu ms, CPU %lu ms, nvcsw +%ld",
	    (unsigned long)((w1 - w0) / MS), (unsigned long)((c1 - c0) / MS), r1.ru_nvcsw - r0.ru_nvcsw);
	EXPECT(w1 - w0 >= 200 * MS, "slept %lu ms", (unsigned long)((w1 - w0) / MS));
	EXPECT(c1 - c0 < 50 * MS, "a 200 ms sleep cost %lu ms of CPU", (unsigned long)((c1 - c0) / MS));
	EXPECT(r1.ru_nvcsw > r0.ru_nvcsw, "no voluntary context switch across a sleep");
	end();
}

/* Touching fresh anonymous pages is one minor fault each. */
static void test_minor_faults(void)
{
	begin("minor_faults");
	const size_t pages = 256;
	struct rusage r0, r1;
	char *m = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT(m != MAP_FAILED, "mmap: errno %d", errno);
	if (m != MAP_FAILED) {
		raw_getrusage(RUSAGE_SELF, &r0);
		for (size_t i = 0; i < pages; i++)
			m[i * 4096] = 1;
		raw_getrusage(RUSAGE_SELF, &r1);
		say("rusage: note minor_faults +%ld for %zu pages", r1.ru_minflt - r0.ru_minflt, pages);
		EXPECT(r1.ru_minflt - r0.ru_minflt >= (long)pages / 2, "minflt +%ld for %zu fresh pages",
		       r1.ru_minflt - r0.ru_minflt, pages);
		munmap(m, pages * 4096);
	}
	end();
}

/* waitid's fifth argument (Linux's, not POSIX's) is the reaped child's rusage; siginfo's si_utime
 * and si_stime are left alone; a bad rusage pointer is EFAULT with the child reaped. */
static void test_waitid_rusage(void)
{
	begin("waitid_rusage");
	pid_t p = fork();
	if (p == 0) {
		spin_user(150);
		_exit(0);
	}
	siginfo_t si;
	memset(&si, 0x5a, sizeof si);
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	long r = syscall(SYS_waitid, P_PID, p, &si, WEXITED, &ru);
	note_ru("waitid_rusage", &ru);
	EXPECT(r == 0 && si.si_pid == p && si.si_code == CLD_EXITED, "waitid: %ld errno %d", r, errno);
	EXPECT(tv_ns(ru.ru_utime) >= 100 * MS, "waitid's rusage utime %lu ms, expected >= 100",
	       (unsigned long)(tv_ns(ru.ru_utime) / MS));
	long untouched;
	memset(&untouched, 0x5a, sizeof untouched);
	EXPECT(si.si_utime == untouched && si.si_stime == untouched, "waitid wrote si_utime/si_stime");

	p = fork();
	if (p == 0)
		_exit(3);
	errno = 0;
	r = syscall(SYS_waitid, P_PID, p, &si, WEXITED, (void *)8);
	EXPECT(r == -1 && errno == EFAULT, "waitid with a bad rusage pointer: %ld errno %d", r, errno);
	expect_wait("after waitid's EFAULT the child is gone", p, WNOHANG, -1, ECHILD, 0);
	end();
}

static const struct check_test tests[] = {
	{"child_user_time", test_child_user_time},
	{"child_system_time", test_child_system_time},
	{"children_total", test_children_total},
	{"grandchild_counts", test_grandchild_counts},
	{"orphan_not_counted", test_orphan_not_counted},
	{"self_grows", test_self_grows},
	{"bad_args", test_bad_args},
	{"times_consistent", test_times_consistent},
	{"sleep_is_not_cpu", test_sleep_is_not_cpu},
	{"minor_faults", test_minor_faults},
	{"waitid_rusage", test_waitid_rusage},
};
#define N_TESTS (sizeof tests / sizeof tests[0])

int main(int argc, char **argv)
{
	return check_main("rusage", "RUSAGE", tests, N_TESTS, argc, argv);
}
