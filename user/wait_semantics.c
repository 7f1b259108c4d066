/* wait_semantics: self-checking tests of fork/exit/wait semantics.
 *
 * The first differential test: the same binary runs on Linux (the oracle) and
 * on Scythe, and the two outputs must be identical. Every line is
 * deterministic (no pids, no timings):
 *
 *   TEST <name> ok
 *   TEST <name> FAIL <what went wrong>
 *   TEST <name> skip <why>
 *   WAIT_SEMANTICS tests=N passed=P failed=F skipped=S
 *
 * Options (init passes wait_semantics.only=a,b as --only a,b):
 *   --only a,b,c   run only these tests; the others print "TEST <name> skip (not selected)"
 *   --skip a,b     run all but these (printed the same way)
 *   --list         print the test names (as in their TEST lines) and exit
 * A name that is no test's is an error (exit 2). Skipped tests count in tests= and skipped=.
 *
 * Exit status 0 only if nothing failed. Every test reaps every child it
 * creates, so init sees no orphans from here except in orphan_reparent.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"

static long sys_waitid(int idtype, pid_t id, siginfo_t *si, int options)
{
	long r;
	do
		r = syscall(SYS_waitid, idtype, id, si, options, NULL);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Wait (without reaping) until `pid` is a zombie. */
static void await_zombie(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	long r = sys_waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	EXPECT(r == 0 && si.si_pid == pid, "waitid(WNOWAIT) to await a zombie: %ld errno %d", r, errno);
}

static void test_exit_codes(void)
{
	begin("exit_codes");
	static const int codes[] = {0, 1, 42, 127, 255, 256, 257};
	for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		pid_t p = spawn_exit(codes[i]);
		int st = -1;
		long r = sys_wait4(p, &st, 0, NULL);
		EXPECT(r == p && st == ((codes[i] & 0xff) << 8), "_exit(%d): wait returned %s, status 0x%x", codes[i],
		       r == p ? "the child" : "something else", st);
		EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == (codes[i] & 0xff) && !WIFSIGNALED(st) && !WIFSTOPPED(st),
		       "_exit(%d): macros disagree on 0x%x", codes[i], st);
	}
	end();
}

static void test_signal_status(void)
{
	begin("signal_status");
	static const int sigs[] = {SIGKILL, SIGTERM, SIGUSR1, SIGINT};
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		pid_t p = fork();
		if (p == 0) {
			kill(getpid(), sigs[i]);
			_exit(99);
		}
		int st = -1;
		long r = sys_wait4(p, &st, 0, NULL);
		EXPECT(r == p && st == sigs[i], "signal %d: status 0x%x", sigs[i], st);
		EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i] && !WIFEXITED(st), "signal %d: macros on 0x%x",
		       sigs[i], st);
	}
	/* A signal sent by the parent to a blocked child. */
	int wfd;
	pid_t p = spawn_blocked(0, &wfd);
	kill(p, SIGKILL);
	expect_wait("killed by parent", p, 0, p, 0, SIGKILL);
	close(wfd);
	end();
}

static void test_pid_specific(void)
{
	begin("wait_pid_specific");
	pid_t a = spawn_exit(1), b = spawn_exit(2);
	await_zombie(a);
	await_zombie(b);
	expect_wait("waitpid(b) with a also a zombie", b, 0, b, 0, 2 << 8);
	expect_wait("waitpid(a)", a, 0, a, 0, 1 << 8);
	expect_wait("waitpid(a) again", a, 0, -1, ECHILD, 0);
	end();
}

static void test_pid_any(void)
{
	begin("wait_any");
	pid_t p[3];
	int seen[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++)
		p[i] = spawn_exit(10 + i);
	for (int n = 0; n < 3; n++) {
		int st = -1;
		long r = sys_wait4(-1, &st, 0, NULL);
		int which = -1;
		for (int i = 0; i < 3; i++)
			if (r == p[i])
				which = i;
		EXPECT(which >= 0, "waitpid(-1) returned %s, errno %d", r < 0 ? "-1" : "a stranger", errno);
		if (which < 0)
			break;
		EXPECT(!seen[which], "child %d reported twice", which);
		EXPECT(st == (10 + which) << 8, "child %d: status 0x%x", which, st);
		seen[which] = 1;
	}
	expect_wait("waitpid(-1) after all reaped", -1, 0, -1, ECHILD, 0);
	end();
}

static void test_pgrp(void)
{
	begin("wait_pgrp");
	int wfd;
	pid_t other = spawn_blocked(3, &wfd);
	/* Both sides set the group: no race with the child. */
	EXPECT(setpgid(other, other) == 0 || errno == EACCES, "setpgid: errno %d", errno);
	pid_t mine = spawn_exit(7);
	expect_wait("waitpid(0) picks the child in our group", 0, 0, mine, 0, 7 << 8);
	expect_wait("waitpid(0, WNOHANG) with only another group's child", 0, WNOHANG, -1, ECHILD, 0);
	expect_wait("waitpid(-pgid, WNOHANG) on a live child", -other, WNOHANG, 0, 0, 0);
	expect_wait("waitpid(-our pgid, WNOHANG)", -getpgrp(), WNOHANG, -1, ECHILD, 0);
	close(wfd);
	expect_wait("waitpid(-pgid)", -other, 0, other, 0, 3 << 8);
	end();
}

static void test_wnohang(void)
{
	begin("wnohang");
	int wfd;
	pid_t p = spawn_blocked(4, &wfd);
	expect_wait("WNOHANG on a live child", p, WNOHANG, 0, 0, 0);
	expect_wait("WNOHANG, pid -1, live child", -1, WNOHANG, 0, 0, 0);
	close(wfd);
	expect_wait("blocking wait after release", p, 0, p, 0, 4 << 8);
	expect_wait("WNOHANG with no children", -1, WNOHANG, -1, ECHILD, 0);
	end();
}

static void test_echild(void)
{
	begin("echild");
	expect_wait("no children, pid -1", -1, 0, -1, ECHILD, 0);
	expect_wait("no children, pid 0", 0, 0, -1, ECHILD, 0);
	expect_wait("self", getpid(), 0, -1, ECHILD, 0);
	expect_wait("parent", getppid(), WNOHANG, -1, ECHILD, 0);
	expect_wait("pid 1", 1, WNOHANG, -1, ECHILD, 0);
	expect_wait("unused pid", 0x3ffffff0, WNOHANG, -1, ECHILD, 0);
	expect_wait("unused pgid", -0x3ffffff0, WNOHANG, -1, ECHILD, 0);
	expect_wait("INT_MIN", INT_MIN, WNOHANG, -1, ESRCH, 0);
	/* A grandchild is not a child. */
	int fds[2], wfd;
	if (pipe(fds) == 0) {
		pid_t c = fork();
		if (c == 0) {
			close(fds[0]);
			pid_t g = spawn_blocked(0, &wfd);
			write_full(fds[1], &g, sizeof g);
			sys_wait4(g, NULL, 0, NULL);
			_exit(0);
		}
		close(fds[1]);
		pid_t g = -1;
		read_full(fds[0], &g, sizeof g);
		close(fds[0]);
		expect_wait("grandchild", g, WNOHANG, -1, ECHILD, 0);
		kill(g, SIGKILL);
		expect_wait("child of the grandchild's parent", c, 0, c, 0, 0);
	}
	end();
}

static void test_einval(void)
{
	begin("einval_options");
	int wfd;
	pid_t p = spawn_blocked(5, &wfd);
	/* wait4 accepts WNOHANG|WUNTRACED|WCONTINUED|__WNOTHREAD|__WCLONE|__WALL only. */
	expect_wait("WEXITED", p, WEXITED, -1, EINVAL, 0);
	expect_wait("WNOWAIT", p, WNOWAIT, -1, EINVAL, 0);
	expect_wait("bit 0x10", p, 0x10, -1, EINVAL, 0);
	expect_wait("bit 0x100000", p, 0x100000, -1, EINVAL, 0);
	expect_wait("EINVAL beats ECHILD", 0x3ffffff0, 0x10, -1, EINVAL, 0);
	siginfo_t si;
	errno = 0;
	EXPECT(sys_waitid(P_PID, p, &si, 0) == -1 && errno == EINVAL, "waitid options 0: errno %d", errno);
	errno = 0;
	EXPECT(sys_waitid(P_PID, p, &si, WNOHANG) == -1 && errno == EINVAL, "waitid WNOHANG alone: errno %d", errno);
	errno = 0;
	EXPECT(sys_waitid(42, p, &si, WEXITED) == -1 && errno == EINVAL, "waitid idtype 42: errno %d", errno);
	errno = 0;
	EXPECT(sys_waitid(P_PID, p, &si, WEXITED | 0x10) == -1 && errno == EINVAL, "waitid bit 0x10: errno %d",
	       errno);
	errno = 0;
	EXPECT(sys_waitid(P_PID, 0, &si, WEXITED) == -1 && errno == EINVAL, "waitid P_PID 0: errno %d", errno);
	expect_wait("child untouched by the bad calls", p, WNOHANG, 0, 0, 0);
	close(wfd);
	expect_wait("reap", p, 0, p, 0, 5 << 8);
	end();
}

static void test_efault(void)
{
	begin("efault");
	void *bad[] = {(void *)8, (void *)0xffffffff80000000ul, (void *)0x0000800000000000ul};
	for (unsigned i = 0; i < 3; i++) {
		pid_t p = spawn_exit(6);
		await_zombie(p);
		errno = 0;
		long r = sys_wait4(p, bad[i], 0, NULL);
		EXPECT(r == -1 && errno == EFAULT, "bad status pointer %u: %ld errno %d", i, r, errno);
		/* Linux reaps the child before it fails to store the status. */
		expect_wait("after EFAULT the child is gone", p, WNOHANG, -1, ECHILD, 0);
	}
	pid_t p = spawn_exit(6);
	await_zombie(p);
	int st;
	errno = 0;
	long r = sys_wait4(p, &st, 0, (void *)8);
	EXPECT(r == -1 && errno == EFAULT, "bad rusage pointer: %ld errno %d", r, errno);
	expect_wait("after rusage EFAULT the child is gone", p, WNOHANG, -1, ECHILD, 0);

	int wfd;
	p = spawn_blocked(0, &wfd);
	errno = 0;
	r = sys_wait4(p, (void *)8, WNOHANG, NULL);
	EXPECT(r == 0, "bad pointer, nothing to report: %ld errno %d (expected 0: nothing is stored)", r, errno);
	close(wfd);
	expect_wait("reap", p, 0, p, 0, 0);

	p = spawn_exit(0);
	await_zombie(p);
	errno = 0;
	r = sys_waitid(P_PID, p, (void *)8, WEXITED);
	EXPECT(r == -1 && errno == EFAULT, "waitid bad siginfo: %ld errno %d", r, errno);
	expect_wait("after waitid EFAULT the child is gone", p, WNOHANG, -1, ECHILD, 0);
	end();
}

static void test_stop_continue(void)
{
	begin("stop_continue");
	int fds[2];
	if (pipe(fds) < 0) {
		EXPECT(0, "pipe");
		end();
		return;
	}
	pid_t p = fork();
	if (p == 0) {
		char c;
		close(fds[1]);
		kill(getpid(), SIGSTOP);
		while (read(fds[0], &c, 1) != 0)
			;
		_exit(8);
	}
	close(fds[0]);
	expect_wait("WUNTRACED sees the stop", p, WUNTRACED, p, 0, 0x137f);
	expect_wait("stop reported once", p, WUNTRACED | WNOHANG, 0, 0, 0);
	expect_wait("without WUNTRACED a stop is not reported", p, WNOHANG, 0, 0, 0);
	kill(p, SIGCONT);
	expect_wait("WCONTINUED sees the continue", p, WCONTINUED, p, 0, 0xffff);
	expect_wait("continue reported once", p, WCONTINUED | WNOHANG, 0, 0, 0);
	close(fds[1]);
	expect_wait("exit after continue", p, 0, p, 0, 8 << 8);
	end();
}

static void test_waitid(void)
{
	begin("waitid");
	siginfo_t si;
	pid_t p = spawn_exit(9);
	memset(&si, 0xff, sizeof si);
	long r = sys_waitid(P_PID, p, &si, WEXITED);
	EXPECT(r == 0 && si.si_pid == p && si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && si.si_status == 9 &&
	           si.si_uid == getuid(),
	       "exited: r=%ld signo=%d code=%d status=%d", r, si.si_signo, si.si_code, si.si_status);

	int wfd;
	p = spawn_blocked(0, &wfd);
	kill(p, SIGKILL);
	memset(&si, 0xff, sizeof si);
	r = sys_waitid(P_ALL, 0, &si, WEXITED);
	EXPECT(r == 0 && si.si_pid == p && si.si_signo == SIGCHLD && si.si_code == CLD_KILLED &&
	           si.si_status == SIGKILL,
	       "killed: r=%ld signo=%d code=%d status=%d", r, si.si_signo, si.si_code, si.si_status);
	close(wfd);

	p = spawn_blocked(0, &wfd);
	memset(&si, 0xff, sizeof si);
	r = sys_waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	EXPECT(r == 0 && si.si_pid == 0 && si.si_signo == 0, "WNOHANG, nothing: r=%ld pid=%s signo=%d", r,
	       si.si_pid ? "nonzero" : "0", si.si_signo);
	close(wfd);
	memset(&si, 0xff, sizeof si);
	r = sys_waitid(P_PGID, getpgrp(), &si, WEXITED);
	EXPECT(r == 0 && si.si_pid == p && si.si_code == CLD_EXITED && si.si_status == 0, "P_PGID: r=%ld code=%d",
	       r, si.si_code);

	p = spawn_exit(4);
	memset(&si, 0, sizeof si);
	r = sys_waitid(P_PID, p, &si, WEXITED | WNOWAIT);
	EXPECT(r == 0 && si.si_pid == p && si.si_status == 4, "WNOWAIT: r=%ld status=%d", r, si.si_status);
	expect_wait("still a zombie after WNOWAIT", p, 0, p, 0, 4 << 8);
	memset(&si, 0, sizeof si);
	errno = 0;
	r = sys_waitid(P_ALL, 0, &si, WEXITED);
	EXPECT(r == -1 && errno == ECHILD, "no children: r=%ld errno %d", r, errno);
	end();
}

static void test_zombie(void)
{
	begin("zombie_until_waited");
	pid_t p = spawn_exit(0);
	await_zombie(p);
	errno = 0;
	EXPECT(kill(p, 0) == 0, "kill(zombie, 0): errno %d", errno);
	expect_wait("reap", p, 0, p, 0, 0);
	errno = 0;
	EXPECT(kill(p, 0) == -1 && errno == ESRCH, "kill(reaped, 0): errno %d", errno);
	end();
}

static void test_sigchld_ignored(void)
{
	begin("sigchld_ignored");
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGCHLD, &sa, &old);
	spawn_exit(1);
	spawn_exit(2);
	expect_wait("SIG_IGN: no zombies, wait ends with ECHILD", -1, 0, -1, ECHILD, 0);
	sigaction(SIGCHLD, &old, NULL);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, &old);
	spawn_exit(1);
	expect_wait("SA_NOCLDWAIT: no zombies", -1, 0, -1, ECHILD, 0);
	sigaction(SIGCHLD, &old, NULL);

	pid_t p = spawn_exit(3);
	expect_wait("SIG_DFL again: zombie kept", p, 0, p, 0, 3 << 8);
	end();
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void test_eintr(void)
{
	begin("eintr");
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1; /* no SA_RESTART */
	sigaction(SIGUSR1, &sa, &old);
	int wfd;
	pid_t blocked = spawn_blocked(0, &wfd);
	pid_t me = getpid();
	pid_t pinger = fork();
	if (pinger == 0) {
		/* Keep signalling until killed: the parent may not be asleep yet. */
		for (;;) {
			kill(me, SIGUSR1);
			struct timespec ts = {0, 20 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	int st;
	errno = 0;
	long r = syscall(SYS_wait4, blocked, &st, 0, NULL);
	EXPECT(r == -1 && errno == EINTR && got_usr1, "wait interrupted by a handled signal: %ld errno %d", r, errno);
	kill(pinger, SIGKILL);
	expect_wait("reap the pinger", pinger, 0, pinger, 0, SIGKILL);
	close(wfd);
	expect_wait("reap the blocked child", blocked, 0, blocked, 0, 0);
	sigaction(SIGUSR1, &old, NULL);
	end();
}

static void test_orphan(void)
{
	begin("orphan_reparent");
	if (getppid() != 1) {
		skip_why = "(not a child of init)";
		end();
		return;
	}
	int fds[2];
	if (pipe(fds) < 0) {
		EXPECT(0, "pipe");
		end();
		return;
	}
	pid_t c = fork();
	if (c == 0) {
		pid_t me = getpid();
		if (fork() == 0) {
			for (int i = 0; i < 5000 && getppid() == me; i++) {
				struct timespec ts = {0, 1000 * 1000};
				nanosleep(&ts, NULL);
			}
			pid_t pp = getppid();
			write_full(fds[1], &pp, sizeof pp);
			_exit(0);
		}
		_exit(0);
	}
	close(fds[1]);
	expect_wait("reap the middle child", c, 0, c, 0, 0);
	pid_t pp = -1;
	EXPECT(read_full(fds[0], &pp, sizeof pp) == 0, "no report from the grandchild");
	EXPECT(pp == 1, "orphan's parent is %s, expected init", pp == c ? "still the dead child" : "not pid 1");
	close(fds[0]);
	expect_wait("the orphan is not ours", -1, WNOHANG, -1, ECHILD, 0);
	end();
}

static const struct check_test tests[] = {
	{"exit_codes", test_exit_codes},
	{"signal_status", test_signal_status},
	{"wait_pid_specific", test_pid_specific},
	{"wait_any", test_pid_any},
	{"wait_pgrp", test_pgrp},
	{"wnohang", test_wnohang},
	{"echild", test_echild},
	{"einval_options", test_einval},
	{"efault", test_efault},
	{"stop_continue", test_stop_continue},
	{"waitid", test_waitid},
	{"zombie_until_waited", test_zombie},
	{"sigchld_ignored", test_sigchld_ignored},
	{"eintr", test_eintr},
	{"orphan_reparent", test_orphan},
};
#define N_TESTS (sizeof tests / sizeof tests[0])

int main(int argc, char **argv)
{
	return check_main("wait_semantics", "WAIT_SEMANTICS", tests, N_TESTS, argc, argv);
}
