/* job_control: sessions, process groups, vfork, subreapers and orphaned
 * process groups, compared line by line with Linux (the differential
 * harness). Deterministic lines only:
 *
 *   TEST <name> ok | FAIL <what> | skip <why>
 *   JOB_CONTROL tests=N passed=P failed=F skipped=S
 *
 * Options as every check.h program (--only, --skip, --list), plus one used
 * by the tests themselves: `--block-on-fd N` reads fd N until end of file,
 * then exits 0 (a program a child execs, so that it has "performed exec").
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_setsid(void)
{
	begin("setsid_getsid");
	int fds[2];
	if (pipe(fds) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		end();
		return;
	}
	pid_t p = fork();
	if (p == 0) {
		close(fds[0]);
		int r[6];
		r[0] = getsid(0) == getsid(getppid()); /* inherited */
		r[1] = setsid() == getpid();
		r[2] = getsid(0) == getpid() && getpgrp() == getpid();
		errno = 0;
		r[3] = setsid() == -1 && errno == EPERM; /* already a group (and session) leader */
		errno = 0;
		r[4] = getsid(0x3ffffff0) == -1 && errno == ESRCH;
		errno = 0;
		r[5] = setpgid(0, 0) == -1 && errno == EPERM; /* a session leader keeps its group */
		write_full(fds[1], r, sizeof r);
		_exit(0);
	}
	close(fds[1]);
	int r[6] = {0};
	EXPECT(read_full(fds[0], r, sizeof r) == 0, "no report from the child");
	static const char *what[6] = {"session inherited", "setsid returns the pid", "new session and group",
				      "second setsid EPERM", "getsid(unused) ESRCH", "leader's setpgid EPERM"};
	for (int i = 0; i < 6; i++)
		EXPECT(r[i], "%s", what[i]);
	close(fds[0]);
	expect_wait("reap", p, 0, p, 0, 0);

	/* A group leader cannot start a session: its group would be left behind. */
	p = fork();
	if (p == 0) {
		setpgid(0, 0);
		_exit(setsid() == -1 && errno == EPERM ? 0 : 1);
	}
	expect_wait("a group leader's setsid fails EPERM", p, 0, p, 0, 0);
	end();
}

static void test_setpgid_errors(void)
{
	begin("setpgid_errors");
	errno = 0;
	EXPECT(setpgid(0, -1) == -1 && errno == EINVAL, "negative pgid: errno %d", errno);
	errno = 0;
	EXPECT(setpgid(getppid(), 0) == -1 && errno == ESRCH, "the parent: errno %d", errno);
	errno = 0;
	EXPECT(setpgid(0x3ffffff0, 0) == -1 && errno == ESRCH, "unused pid: errno %d", errno);
	int wfd = -1;
	pid_t c = spawn_blocked(0, &wfd);
	errno = 0;
	EXPECT(setpgid(c, 0x3ffffff0) == -1 && errno == EPERM, "no such group in the session: errno %d", errno);
	EXPECT(setpgid(c, c) == 0 && getpgid(c) == c, "child into its own group");
	EXPECT(setpgid(c, getpgrp()) == 0 && getpgid(c) == getpgrp(), "child back into ours");
	close(wfd);
	expect_wait("reap", c, 0, c, 0, 0);

	/* A child in another session. */
	int fds[2];
	pipe(fds);
	c = fork();
	if (c == 0) {
		close(fds[1]);
		setsid();
		char ch;
		read(fds[0], &ch, 1);
		_exit(0);
	}
	close(fds[0]);
	while (getsid(c) != c)
		sched_yield();
	errno = 0;
	EXPECT(setpgid(c, getpgrp()) == -1 && errno == EPERM, "child in another session: errno %d", errno);
	close(fds[1]);
	expect_wait("reap", c, 0, c, 0, 0);

	/* A child that has performed execve. */
	pipe(fds);
	c = fork();
	if (c == 0) {
		close(fds[1]);
		char fd[16];
		snprintf(fd, sizeof fd, "%d", fds[0]);
		char *argv[] = {check_self, "--block-on-fd", fd, NULL};
		execv(check_self, argv);
		_exit(127);
	}
	close(fds[0]);
	/* Until it has exec'd, setpgid succeeds; afterwards EACCES. */
	int r;
	long deadline = now_ms() + 20000;
	while ((r = setpgid(c, c)) == 0 && now_ms() < deadline)
		sched_yield();
	EXPECT(r == -1 && errno == EACCES, "after execve: %d errno %d", r, errno);
	close(fds[1]);
	expect_wait("reap the exec'd child", c, 0, c, 0, 0);
	end();
}

static void test_vfork(void)
{
	begin("vfork");
	long t0 = now_ms();
	pid_t p = vfork();
	if (p == 0) {
		/* Only system calls in a vfork child: it runs on the parent's stack on Linux. */
		static const struct timespec ts = {0, 100 * 1000 * 1000};
		syscall(SYS_nanosleep, &ts, NULL);
		_exit(7);
	}
	long waited = now_ms() - t0;
	EXPECT(p > 0, "vfork: errno %d", errno);
	EXPECT(waited >= 90, "the parent ran before the child exited");
	expect_wait("reap", p, 0, p, 0, 7 << 8);

	int fds[2];
	pipe(fds);
	p = vfork();
	if (p == 0) {
		close(fds[1]); /* the exec'd program must see end of file once we close ours */
		char fd[16];
		snprintf(fd, sizeof fd, "%d", fds[0]);
		char *argv[] = {check_self, "--block-on-fd", fd, NULL};
		execv(check_self, argv);
		_exit(127);
	}
	/* Back as soon as the child exec'd: it still blocks on the pipe. */
	expect_wait("after exec the child runs on", p, WNOHANG, 0, 0, 0);
	close(fds[0]);
	close(fds[1]);
	expect_wait("reap the exec'd child", p, 0, p, 0, 0);
	end();
}

static void test_subreaper(void)
{
	begin("subreaper");
	int fds[2];
	pipe(fds);
	pid_t p = fork();
	if (p == 0) {
		/* P: the subreaper. C exits and leaves G, which P adopts and reaps. */
		close(fds[0]);
		int r[4] = {0};
		int flag = -1;
		r[0] = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 && prctl(PR_GET_CHILD_SUBREAPER, &flag) == 0 && flag == 1;
		int gfds[2];
		pipe(gfds);
		pid_t c = fork();
		if (c == 0) {
			pid_t cp = getpid();
			pid_t g = fork();
			if (g == 0) {
				close(gfds[0]);
				while (getppid() == cp)
					sched_yield();
				pid_t pp = getppid();
				write_full(gfds[1], &pp, sizeof pp);
				_exit(5);
			}
			_exit(0);
		}
		close(gfds[1]);
		int st;
		r[1] = waitpid(c, &st, 0) == c && st == 0;
		pid_t pp = 0;
		read_full(gfds[0], &pp, sizeof pp);
		r[2] = pp == getpid(); /* adopted by the subreaper, not init */
		pid_t w = waitpid(-1, &st, 0);
		r[3] = w > 0 && st == 5 << 8; /* and reaped by it */
		write_full(fds[1], r, sizeof r);
		_exit(0);
	}
	close(fds[1]);
	int r[4] = {0};
	EXPECT(read_full(fds[0], r, sizeof r) == 0, "no report");
	EXPECT(r[0], "PR_SET/GET_CHILD_SUBREAPER");
	EXPECT(r[1], "middle child's exit");
	EXPECT(r[2], "the orphan was not adopted by the subreaper");
	EXPECT(r[3], "the subreaper did not reap the orphan");
	close(fds[0]);
	expect_wait("reap the subreaper", p, 0, p, 0, 0);
	end();
}

static int hup_fd = -1;
static void on_hup(int sig)
{
	(void)sig;
	write(hup_fd, "H", 1);
}

static void test_orphaned_pgrp(void)
{
	begin("orphaned_pgrp");
	int fds[2];
	pipe(fds);
	pid_t p = fork();
	if (p == 0) {
		/* P: a session leader whose child C, in its own group, stops; P exits,
		 * orphaning C's stopped group: C gets SIGHUP then SIGCONT. */
		close(fds[0]);
		setsid();
		pid_t c = fork();
		if (c == 0) {
			hup_fd = fds[1];
			signal(SIGHUP, on_hup);
			setpgid(0, 0);
			raise(SIGSTOP);
			write(fds[1], "C", 1); /* continued */
			_exit(0);
		}
		setpgid(c, c);
		int st;
		if (waitpid(c, &st, WUNTRACED) != c || !WIFSTOPPED(st))
			write(fds[1], "X", 1);
		_exit(0);
	}
	close(fds[1]);
	expect_wait("reap the session leader", p, 0, p, 0, 0);
	char got[8] = {0};
	size_t n = 0;
	while (n < sizeof got - 1 && read(fds[0], got + n, 1) == 1)
		n++;
	EXPECT(!strcmp(got, "HC"), "the orphaned group's stopped member reported \"%s\", expected \"HC\"", got);
	close(fds[0]);
	end();
}

static const struct check_test tests[] = {
	{"setsid_getsid", test_setsid},
	{"setpgid_errors", test_setpgid_errors},
	{"vfork", test_vfork},
	{"subreaper", test_subreaper},
	{"orphaned_pgrp", test_orphaned_pgrp},
};
#define N_TESTS (sizeof tests / sizeof tests[0])

int main(int argc, char **argv)
{
	/* Our own group (init's is 0 on Linux, which no setpgid can name). */
	setpgid(0, 0);
	return check_main("job_control", "JOB_CONTROL", tests, N_TESTS, argc, argv);
}
