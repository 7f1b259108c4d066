/* fork_limit: fork at the process limit fails with EAGAIN, and nothing is lost on the way.
 *
 * Scythe-only (not a differential test): Scythe caps processes at kMaxProcesses (2048,
 * kernel/proc/lifecycle.h) for root too, while Linux lets root past RLIMIT_NPROC and stops
 * only at pid_max, threads-max or memory; the same binary on Linux would just run into --max.
 *
 *   TEST limit_eagain ok      children blocked on one pipe are forked until fork fails; it
 *                             must fail with EAGAIN after a plausible number of children
 *                             (at least 16, below --max); closing the pipe releases them all
 *                             and every one is reaped with status 0, then ECHILD
 *   TEST fork_after_limit ok  with everything reaped, fork works again (a child that exits at
 *                             once, one blocked on a pipe until released)
 *   TEST fork_enomem ok       60 forks, each child reaped at once: every failure is ENOMEM
 *                             and leaves nothing behind (ECHILD at the end); with
 *                             --expect-enomem at least 3 must fail (Scythe's fail_fork=N boot
 *                             option injects them: the process, space and thread steps in turn)
 *   FORK_LIMIT children=N     how many children the limit allowed (N varies with the kernel)
 *   FORK_LIMIT tests=N passed=P failed=F skipped=S
 *
 * Options: --max N (give up without EAGAIN after N children; default 8192), --expect-enomem,
 * and check.h's
 * --only / --skip / --list. The kernel's leak check at power-off then proves that the pages,
 * objects, pids and slots of the whole crowd came back (tests/boot: user_fork_limit_*).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/wait.h>

#include "check.h"

static long max_children = 8192;
static int expect_enomem;

static void test_limit(void)
{
	begin("limit_eagain");
	int fds[2];
	if (pipe(fds) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		end();
		return;
	}
	long n = 0;
	int err = 0;
	for (;;) {
		if (n >= max_children)
			break;
		pid_t p = fork();
		if (p == 0) {
			char c;
			close(fds[1]);
			for (;;) { /* until every write end is closed: EOF */
				ssize_t r = read(fds[0], &c, 1);
				if (r == 0 || (r < 0 && errno != EINTR))
					break;
			}
			_exit(0);
		}
		if (p < 0) {
			err = errno;
			break;
		}
		n++;
	}
	say("FORK_LIMIT children=%ld", n);
	EXPECT(err == EAGAIN, "fork after %ld children: %s (errno %d), expected EAGAIN",
	       n, err ? strerror(err) : "no failure", err);
	EXPECT(n >= 16, "only %ld children before the limit", n);
	close(fds[1]); /* every child sees EOF and exits 0 */
	close(fds[0]);
	long reaped = 0, bad = 0;
	for (;;) {
		int st;
		long r = sys_wait4(-1, &st, 0, NULL);
		if (r < 0)
			break;
		reaped++;
		bad += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	EXPECT(errno == ECHILD, "wait4 after the last child: errno %d, expected ECHILD", errno);
	EXPECT(reaped == n, "reaped %ld of %ld children", reaped, n);
	EXPECT(bad == 0, "%ld children did not exit with status 0", bad);
	end();
}

static void test_after(void)
{
	begin("fork_after_limit");
	pid_t q = spawn_exit(5);
	if (q > 0)
		expect_wait("a child that exits at once", q, 0, q, 0, 5 << 8);
	int wfd;
	pid_t p = spawn_blocked(7, &wfd); /* blocked until we close its pipe, as the crowd was */
	if (p > 0) {
		expect_wait("the child after the limit, still blocked", p, WNOHANG, 0, 0, 0);
		close(wfd);
		expect_wait("the child after the limit", p, 0, p, 0, 7 << 8);
	}
	expect_wait("no children left", -1, 0, -1, ECHILD, 0);
	end();
}

static void test_enomem(void)
{
	begin("fork_enomem");
	long ok = 0, enomem = 0, other = 0;
	int other_errno = 0;
	for (int i = 0; i < 60; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(3);
		if (p > 0) {
			ok++;
			expect_wait("a child between failures", p, 0, p, 0, 3 << 8);
		} else if (errno == ENOMEM) {
			enomem++;
		} else {
			other++;
			other_errno = errno;
		}
	}
	EXPECT(other == 0, "%ld forks failed with errno %d, not ENOMEM", other, other_errno);
	EXPECT(ok > 0, "no fork succeeded");
	EXPECT(!expect_enomem || enomem >= 3, "%ld of 60 forks failed with ENOMEM, expected at least 3",
	       enomem);
	expect_wait("no children left", -1, 0, -1, ECHILD, 0);
	end();
}

static const struct check_test tests[] = {
	{"fork_enomem", test_enomem},
	{"limit_eagain", test_limit},
	{"fork_after_limit", test_after},
};

int main(int argc, char **argv)
{
	int n = 1;
	for (int i = 1; i < argc; i++) { /* take ours, leave the rest to check_main */
		if (!strcmp(argv[i], "--max") && i + 1 < argc)
			max_children = atol(argv[++i]);
		else if (!strcmp(argv[i], "--expect-enomem"))
			expect_enomem = 1;
		else
			argv[n++] = argv[i];
	}
	return check_main("fork_limit", "FORK_LIMIT", tests, sizeof tests / sizeof tests[0], n, argv);
}
