/* lifecycle_basics: fork -> exit -> wait, the part Scythe supports without signal delivery.
 *
 * A differential test program: the same binary runs on Linux (the oracle) and on Scythe, and
 * the deterministic lines below must be identical (scripts/differential.py). No test here needs
 * a signal to be delivered to another process, a handler, EINTR, stop/continue or threads;
 * children are kept alive by blocking on a pipe (never by sleeping) and released by closing it.
 *
 *   TEST <name> ok
 *   TEST <name> FAIL <first failed expectation: no pids, no addresses, no timings>
 *   TEST <name> skip <why>
 *   LIFECYCLE_BASICS tests=N passed=P failed=F skipped=S
 *
 * Options:
 *   --only a,b,c    run only these tests (the others print "TEST <name> skip (not selected)")
 *   --skip a,b      run all but these
 *   --list          print the test names, one per line, and exit
 *   --exec-child PPID CODE   (internal: the execve test's image) exit CODE if getppid() == PPID
 *
 * Exit status 0 only if nothing failed. Every test reaps every child it creates, except
 * orphan_reparent, whose grandchild is left to init (pid 1) on purpose.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"

#define SELF "/bin/lifecycle_basics"

static void test_fork_return(void)
{
	begin("fork_return");
	int fds[2];
	if (pipe(fds) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		end();
		return;
	}
	pid_t parent = getpid();
	pid_t p = fork();
	if (p == 0) {
		/* Child: fork returned 0; tell the parent who we are. */
		pid_t me = getpid();
		close(fds[0]);
		write_full(fds[1], &me, sizeof me);
		_exit(me != parent && me > 0 ? 0 : 1);
	}
	close(fds[1]);
	EXPECT(p > 0, "fork returned %s in the parent, errno %d", p == 0 ? "0" : "-1", errno);
	pid_t seen = -1;
	EXPECT(read_full(fds[0], &seen, sizeof seen) == 0, "no pid from the child");
	close(fds[0]);
	EXPECT(seen == p, "fork's return in the parent is not the child's getpid()");
	EXPECT(getpid() == parent, "the parent's pid changed");
	expect_wait("reap", p, 0, p, 0, 0);
	end();
}

static void test_getppid(void)
{
	begin("getppid_child");
	pid_t parent = getpid();
	pid_t p = fork();
	if (p == 0)
		_exit(getppid() == parent ? 0 : 1);
	expect_wait("child's getppid() is the parent (exit 0)", p, 0, p, 0, 0);
	end();
}

static void test_fork_cow(void)
{
	begin("fork_copy_on_write");
	static volatile int shared_looking = 1;
	volatile char stack_buf[64];
	memset((void *)stack_buf, 'p', sizeof stack_buf);
	char *heap = malloc(8192);
	memset(heap, 'h', 8192);
	pid_t p = fork();
	if (p == 0) {
		int ok = shared_looking == 1 && stack_buf[10] == 'p' && heap[4096] == 'h';
		shared_looking = 2;
		stack_buf[10] = 'c';
		heap[4096] = 'c';
		ok = ok && shared_looking == 2 && stack_buf[10] == 'c' && heap[4096] == 'c';
		_exit(ok ? 0 : 1);
	}
	expect_wait("child sees the parent's memory and writes its own copy (exit 0)", p, 0, p, 0, 0);
	EXPECT(shared_looking == 1, "the child's write to a global reached the parent");
	EXPECT(stack_buf[10] == 'p', "the child's write to the stack reached the parent");
	EXPECT(heap[4096] == 'h', "the child's write to the heap reached the parent");
	free(heap);
	end();
}

static void test_exit_status(void)
{
	begin("exit_status");
	static const int codes[] = {0, 1, 42, 255};
	for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		pid_t p = spawn_exit(codes[i]);
		int st = -1;
		long r = sys_wait4(p, &st, 0, NULL);
		EXPECT(r == p, "_exit(%d): wait returned %s, errno %d", codes[i], r < 0 ? "-1" : "another pid", errno);
		EXPECT(st == codes[i] << 8, "_exit(%d): status 0x%x", codes[i], st);
		EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == codes[i] && !WIFSIGNALED(st) && !WIFSTOPPED(st),
		       "_exit(%d): macros disagree on 0x%x", codes[i], st);
	}
	/* exit (not exit_group) of a single-threaded process, and a code above 255. */
	pid_t p = fork();
	if (p == 0)
		syscall(SYS_exit, 7);
	expect_wait("SYS_exit(7)", p, 0, p, 0, 7 << 8);
	p = spawn_exit(256 + 3);
	expect_wait("_exit(259) keeps the low byte", p, 0, p, 0, 3 << 8);
	/* NULL status pointer: the child is reaped, nothing stored. */
	p = spawn_exit(5);
	errno = 0;
	EXPECT(sys_wait4(p, NULL, 0, NULL) == p, "wait4(pid, NULL): errno %d", errno);
	expect_wait("reaped by the NULL-status wait", p, WNOHANG, -1, ECHILD, 0);
	end();
}

static void test_wait_pid(void)
{
	begin("wait_pid");
	int wa, wb;
	pid_t a = spawn_blocked(11, &wa), b = spawn_blocked(12, &wb);
	close(wb);
	expect_wait("wait4(b) while a is alive", b, 0, b, 0, 12 << 8);
	expect_wait("wait4(b) again", b, WNOHANG, -1, ECHILD, 0);
	expect_wait("a still running", a, WNOHANG, 0, 0, 0);
	close(wa);
	expect_wait("wait4(a)", a, 0, a, 0, 11 << 8);
	/* Both zombies: the one named is the one reaped. */
	a = spawn_exit(21);
	b = spawn_exit(22);
	expect_wait("wait4(b) with two zombies", b, 0, b, 0, 22 << 8);
	expect_wait("wait4(a) with one zombie", a, 0, a, 0, 21 << 8);
	expect_wait("none left", -1, WNOHANG, -1, ECHILD, 0);
	end();
}

static void test_wait_any(void)
{
	begin("wait_any");
	pid_t p[4];
	int seen[4] = {0};
	for (int i = 0; i < 4; i++)
		p[i] = spawn_exit(30 + i);
	for (int n = 0; n < 4; n++) {
		int st = -1;
		long r = sys_wait4(-1, &st, 0, NULL);
		int which = -1;
		for (int i = 0; i < 4; i++)
			if (r == p[i])
				which = i;
		EXPECT(which >= 0, "wait4(-1) returned %s, errno %d", r < 0 ? "-1" : "a stranger", errno);
		if (which < 0)
			break;
		EXPECT(!seen[which], "child %d reported twice", which);
		EXPECT(st == (30 + which) << 8, "child %d: status 0x%x", which, st);
		seen[which] = 1;
	}
	expect_wait("wait4(-1) after all reaped", -1, 0, -1, ECHILD, 0);
	end();
}

/* Linux starts init in process group 0 and session 0 (the kernel's own), and init's children
 * inherit them unless they call setpgid/setsid. */
static void test_init_pgrp(void)
{
	begin("init_pgrp_zero");
	if (getppid() != 1) {
		skip_why = "(not a child of init)";
		end();
		return;
	}
	errno = 0;
	EXPECT(getpgrp() == getpgid(1), "our group is not init's (inherited): errno %d", errno);
	EXPECT(getpgid(1) == 0, "init's process group is %s, expected 0", getpgid(1) == 1 ? "1" : "not 0");
	EXPECT(getpgrp() == 0, "getpgrp() in init's child is %s, expected 0", getpgrp() == 1 ? "1" : "not 0");
	end();
}

static void test_wait_pgrp(void)
{
	begin("wait_pgrp");
	/* Our own group first, so that -getpgrp() names it (in init's group 0 it would mean "ours"). */
	errno = 0;
	EXPECT(setpgid(0, 0) == 0, "setpgid(0, 0): errno %d", errno);
	EXPECT(getpgrp() == getpid() && getpgid(0) == getpid(), "not a group leader after setpgid(0, 0)");
	int wfd;
	pid_t other = spawn_blocked(13, &wfd);
	/* The child sets no group itself: the parent's setpgid happens before any wait below. */
	errno = 0;
	EXPECT(setpgid(other, other) == 0, "setpgid(child, child): errno %d", errno);
	EXPECT(getpgid(other) == other, "getpgid(child) is not the child's pid after setpgid");
	EXPECT(getpgid(0) == getpgrp() && getpgrp() != other, "our group changed");
	pid_t mine = spawn_exit(14);
	expect_wait("wait4(0) picks the child in our group", 0, 0, mine, 0, 14 << 8);
	expect_wait("wait4(0, WNOHANG) with only another group's child", 0, WNOHANG, -1, ECHILD, 0);
	expect_wait("wait4(-pgid, WNOHANG) on its live child", -other, WNOHANG, 0, 0, 0);
	expect_wait("wait4(-our pgrp, WNOHANG)", -getpgrp(), WNOHANG, -1, ECHILD, 0);
	expect_wait("wait4(-unused pgid, WNOHANG)", -0x3ffffff0, WNOHANG, -1, ECHILD, 0);
	close(wfd);
	expect_wait("wait4(-pgid)", -other, 0, other, 0, 13 << 8);
	/* A group of two, both reaped through the group. */
	int w1, w2;
	pid_t g1 = spawn_blocked(15, &w1), g2 = spawn_blocked(16, &w2);
	errno = 0;
	EXPECT(setpgid(g1, g1) == 0 && setpgid(g2, g1) == 0, "setpgid into one group: errno %d", errno);
	close(w2);
	expect_wait("wait4(-group) gets the second member", -g1, 0, g2, 0, 16 << 8);
	close(w1);
	expect_wait("wait4(-group) gets the leader", -g1, 0, g1, 0, 15 << 8);
	expect_wait("wait4(-group) when empty", -g1, 0, -1, ECHILD, 0);
	end();
}

static void test_wnohang(void)
{
	begin("wnohang");
	int wfd;
	pid_t p = spawn_blocked(4, &wfd);
	expect_wait("WNOHANG on a live child", p, WNOHANG, 0, 0, 0);
	expect_wait("WNOHANG, pid -1, live child", -1, WNOHANG, 0, 0, 0);
	expect_wait("WNOHANG, pid 0, live child", 0, WNOHANG, 0, 0, 0);
	close(wfd);
	expect_wait("blocking wait after release", p, 0, p, 0, 4 << 8);
	expect_wait("WNOHANG with no children", -1, WNOHANG, -1, ECHILD, 0);
	end();
}

static void test_echild_none(void)
{
	begin("echild_no_children");
	expect_wait("pid -1", -1, 0, -1, ECHILD, 0);
	expect_wait("pid 0", 0, 0, -1, ECHILD, 0);
	expect_wait("pid -1 WNOHANG", -1, WNOHANG, -1, ECHILD, 0);
	expect_wait("our own pgrp", -getpgrp(), 0, -1, ECHILD, 0);
	end();
}

static void test_echild_nonchild(void)
{
	begin("echild_not_a_child");
	expect_wait("self", getpid(), 0, -1, ECHILD, 0);
	expect_wait("parent", getppid(), WNOHANG, -1, ECHILD, 0);
	expect_wait("pid 1", 1, WNOHANG, -1, ECHILD, 0);
	expect_wait("unused pid", 0x3ffffff0, WNOHANG, -1, ECHILD, 0);
	/* With a live child of our own, a stranger is still ECHILD (not 0). */
	int hold[2], rep[2];
	if (pipe(hold) < 0 || pipe(rep) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		end();
		return;
	}
	pid_t c = fork();
	if (c == 0) {
		close(rep[0]);
		pid_t g = fork();
		if (g == 0) {
			/* The grandchild: blocks until every write end of `hold` is closed. */
			char ch;
			close(hold[1]);
			close(rep[1]);
			while (read(hold[0], &ch, 1) > 0)
				;
			_exit(0);
		}
		close(hold[0]);
		close(hold[1]);
		write_full(rep[1], &g, sizeof g);
		close(rep[1]);
		int st = -1;
		_exit(g > 0 && sys_wait4(g, &st, 0, NULL) == g && st == 0 ? 0 : 1);
	}
	close(hold[0]);
	close(rep[1]);
	pid_t g = -1;
	EXPECT(read_full(rep[0], &g, sizeof g) == 0, "no grandchild pid from the child");
	close(rep[0]);
	expect_wait("grandchild", g, WNOHANG, -1, ECHILD, 0);
	expect_wait("grandchild, blocking", g, 0, -1, ECHILD, 0);
	expect_wait("our child is still running", c, WNOHANG, 0, 0, 0);
	close(hold[1]);
	expect_wait("the child reaped its own child (exit 0)", c, 0, c, 0, 0);
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
	expect_wait("WNOHANG|0x10", -1, WNOHANG | 0x10, -1, EINVAL, 0);
	expect_wait("EINVAL before ECHILD (not a child)", 0x3ffffff0, 0x10, -1, EINVAL, 0);
	expect_wait("child untouched by the bad calls", p, WNOHANG, 0, 0, 0);
	close(wfd);
	expect_wait("reap", p, 0, p, 0, 5 << 8);
	expect_wait("EINVAL before ECHILD (no children)", -1, 0x10, -1, EINVAL, 0);
	end();
}

static void test_efault(void)
{
	begin("efault_status");
	void *bad[] = {(void *)8, (void *)0xffffffff80000000ul, (void *)0x0000800000000000ul};
	for (unsigned i = 0; i < 3; i++) {
		pid_t p = spawn_exit(6);
		errno = 0;
		long r = sys_wait4(p, bad[i], 0, NULL);
		EXPECT(r == -1 && errno == EFAULT, "bad status pointer %u: returned %s errno %d", i,
		       r > 0 ? "a pid" : r == 0 ? "0" : "-1", errno);
		/* Linux reaps the child before it fails to store the status. */
		expect_wait("after EFAULT the child is gone", p, WNOHANG, -1, ECHILD, 0);
	}
	/* The same with pid -1 and a blocked child released afterwards. */
	int wfd;
	pid_t p = spawn_blocked(0, &wfd);
	errno = 0;
	long r = sys_wait4(p, (void *)8, WNOHANG, NULL);
	EXPECT(r == 0, "bad pointer, nothing to report: returned %s errno %d (expected 0: nothing is stored)",
	       r > 0 ? "a pid" : "-1", errno);
	close(wfd);
	errno = 0;
	r = sys_wait4(-1, (void *)8, 0, NULL);
	EXPECT(r == -1 && errno == EFAULT, "pid -1, bad status pointer: returned %s errno %d",
	       r > 0 ? "a pid" : r == 0 ? "0" : "-1", errno);
	expect_wait("after EFAULT (pid -1) the child is gone", -1, WNOHANG, -1, ECHILD, 0);
	end();
}

/* The orphan's parent becomes init. The grandchild checks getppid() only after its parent has
 * been reaped (then Linux has already reparented it), polling with sched_yield, bounded. */
static void test_orphan(void)
{
	begin("orphan_reparent");
	if (getpid() == 1) {
		skip_why = "(running as init)";
		end();
		return;
	}
	int go[2], rep[2];
	if (pipe(go) < 0 || pipe(rep) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		end();
		return;
	}
	pid_t c = fork();
	if (c == 0) {
		pid_t me = getpid();
		int ready[2];
		if (pipe(ready) < 0)
			_exit(1);
		pid_t g = fork();
		if (g == 0) {
			char ch;
			close(go[1]);
			close(rep[0]);
			close(ready[0]);
			pid_t before = getppid();
			close(ready[1]); /* the middle child exits only after this */
			while (read(go[0], &ch, 1) > 0)
				;
			pid_t pp = getppid();
			for (int i = 0; i < 100000 && pp != 1; i++) {
				sched_yield();
				pp = getppid();
			}
			int report[2] = {before == me, pp == 1 ? 1 : pp == me ? 2 : 3};
			write_full(rep[1], report, sizeof report);
			_exit(0);
		}
		close(ready[1]);
		char ch;
		while (read(ready[0], &ch, 1) > 0)
			;
		_exit(g > 0 ? 0 : 1);
	}
	close(go[0]);
	close(rep[1]);
	expect_wait("reap the middle child", c, 0, c, 0, 0);
	close(go[1]); /* now the grandchild looks */
	int report[2] = {-1, -1};
	EXPECT(read_full(rep[0], report, sizeof report) == 0, "no report from the grandchild");
	close(rep[0]);
	EXPECT(report[0] == 1, "before its parent exited, the grandchild's getppid() was not its parent");
	EXPECT(report[1] == 1, "orphan's getppid() is %s, expected 1",
	       report[1] == 2 ? "still the dead parent" : "neither 1 nor the dead parent");
	expect_wait("the orphan is not ours", -1, WNOHANG, -1, ECHILD, 0);
	end();
}

static void test_many_children(void)
{
	begin("many_children");
	enum { N = 24 };
	pid_t p[N];
	for (int i = 0; i < N; i++)
		p[i] = spawn_exit(100 + i);
	/* Reverse order, by pid. */
	for (int i = N - 1; i >= 0; i--) {
		char what[64];
		snprintf(what, sizeof what, "wait4(child %d)", i);
		expect_wait(what, p[i], 0, p[i], 0, (100 + i) << 8);
	}
	/* Interleaved: odd ones by pid while even ones are zombies too, then the rest by -1. */
	for (int i = 0; i < N; i++)
		p[i] = spawn_exit(50 + i);
	for (int i = 1; i < N; i += 2) {
		char what[64];
		snprintf(what, sizeof what, "wait4(odd child %d)", i);
		expect_wait(what, p[i], 0, p[i], 0, (50 + i) << 8);
	}
	int seen[N] = {0};
	for (int n = 0; n < N / 2; n++) {
		int st = -1;
		long r = sys_wait4(-1, &st, 0, NULL);
		int which = -1;
		for (int i = 0; i < N; i += 2)
			if (r == p[i])
				which = i;
		EXPECT(which >= 0, "wait4(-1) returned %s, errno %d", r < 0 ? "-1" : "not an even child", errno);
		if (which < 0)
			break;
		EXPECT(!seen[which], "child %d reported twice", which);
		EXPECT(st == (50 + which) << 8, "child %d: status 0x%x", which, st);
		seen[which] = 1;
	}
	expect_wait("all reaped", -1, 0, -1, ECHILD, 0);
	end();
}

static void test_pipe(void)
{
	begin("pipe_parent_child");
	static const char msg[] = "a line from the child\n";
	int up[2], down[2];
	if (pipe(up) < 0 || pipe(down) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		end();
		return;
	}
	pid_t p = fork();
	if (p == 0) {
		close(up[0]);
		close(down[1]);
		/* Read everything the parent sends (until EOF), answer with a message and the count. */
		char buf[256];
		size_t total = 0;
		for (;;) {
			ssize_t r = read(down[0], buf, sizeof buf);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			total += (size_t)r;
		}
		write_full(up[1], msg, sizeof msg - 1);
		_exit(total == 3000 ? 0 : 1);
	}
	close(up[1]);
	close(down[0]);
	char block[1000];
	memset(block, 'x', sizeof block);
	for (int i = 0; i < 3; i++)
		EXPECT(write_full(down[1], block, sizeof block) == 0, "write to the child: errno %d", errno);
	close(down[1]);
	char got[128];
	size_t n = 0;
	ssize_t r;
	while ((r = read(up[0], got + n, sizeof got - 1 - n)) > 0)
		n += (size_t)r;
	EXPECT(r == 0, "read from the child ended with -1, errno %d", errno);
	got[n] = 0;
	EXPECT(n == sizeof msg - 1 && memcmp(got, msg, n) == 0, "read %zu bytes, not the child's message", n);
	expect_wait("the child counted 3000 bytes (exit 0)", p, 0, p, 0, 0);
	EXPECT(read(up[0], got, 1) == 0, "read after the child is reaped: not EOF");
	close(up[0]);
	/* EOF only once the last writer exits: a child holding the write end, released by exit. */
	int q[2];
	if (pipe(q) == 0) {
		int wfd;
		pid_t holder = spawn_blocked(0, &wfd); /* holds q[1] too, until it exits */
		close(q[1]);
		errno = 0;
		EXPECT(write(wfd, "", 0) == 0, "zero-length write to a pipe: errno %d", errno);
		close(wfd);
		char c;
		EXPECT(read(q[0], &c, 1) == 0, "no EOF after the last writer exited");
		expect_wait("reap the holder", holder, 0, holder, 0, 0);
		close(q[0]);
	}
	/* Writing to a pipe with no reader (SIGPIPE, EPIPE): user/signals.c, test "sigpipe". */
	end();
}

static void test_execve(void)
{
	begin("execve_child");
	char ppid[32];
	snprintf(ppid, sizeof ppid, "%d", (int)getpid());
	pid_t p = fork();
	if (p == 0) {
		char *argv[] = {SELF, "--exec-child", ppid, "77", NULL};
		char *envp[] = {"LIFECYCLE_BASICS=1", NULL};
		execve(SELF, argv, envp);
		_exit(100 + (errno & 0x7f));
	}
	expect_wait("exec'd image exits 77 (same pid, same parent)", p, 0, p, 0, 77 << 8);

	p = fork();
	if (p == 0) {
		char *argv[] = {"/bin/no_such_program", NULL};
		char *envp[] = {NULL};
		execve(argv[0], argv, envp);
		_exit(errno == ENOENT ? 3 : 4);
	}
	expect_wait("execve of a missing file fails with ENOENT in the child (exit 3)", p, 0, p, 0, 3 << 8);

	p = vfork();
	if (p == 0) {
		char *argv[] = {SELF, "--exec-child", ppid, "78", NULL};
		char *envp[] = {NULL};
		execve(SELF, argv, envp);
		_exit(127);
	}
	expect_wait("vfork + execve, exit 78", p, 0, p, 0, 78 << 8);
	end();
}

static const struct check_test tests[] = {
	{"fork_return", test_fork_return},
	{"getppid_child", test_getppid},
	{"init_pgrp_zero", test_init_pgrp},
	{"fork_copy_on_write", test_fork_cow},
	{"exit_status", test_exit_status},
	{"wait_pid", test_wait_pid},
	{"wait_any", test_wait_any},
	{"wait_pgrp", test_wait_pgrp},
	{"wnohang", test_wnohang},
	{"echild_no_children", test_echild_none},
	{"echild_not_a_child", test_echild_nonchild},
	{"einval_options", test_einval},
	{"efault_status", test_efault},
	{"orphan_reparent", test_orphan},
	{"many_children", test_many_children},
	{"pipe_parent_child", test_pipe},
	{"execve_child", test_execve},
};

int main(int argc, char **argv)
{
	/* The execve test's image: same pid as the forked child, same parent. */
	if (argc == 4 && !strcmp(argv[1], "--exec-child"))
		return getppid() == atoi(argv[2]) ? atoi(argv[3]) : 1;
	return check_main("lifecycle_basics", "LIFECYCLE_BASICS", tests, sizeof tests / sizeof tests[0], argc,
			  argv);
}
