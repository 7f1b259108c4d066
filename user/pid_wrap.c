/* pid_wrap: pids wrap around, and a number still in use is never handed out again.
 *
 * Meant for a kernel booted with a small pid_max (Scythe: pid_max=400 on the command line;
 * Linux: /proc/sys/kernel/pid_max), so that --forks N (default 1000) short-lived children
 * go around the pid space more than once.
 *
 *   TEST group_outlives_leader ok  a group whose leader has exited and been reaped keeps its
 *                                  number while a member lives: none of the N children gets
 *                                  the leader's pid (nor a live member's), and wait4(-pgid)
 *                                  still finds the member
 *   TEST pids_wrap ok              among the N children some pid is lower than the one before
 *                                  (the numbers wrapped), and no child got a live process's pid
 *   PID_WRAP tests=N passed=P failed=F skipped=S
 *
 * Options: --forks N, and check.h's --only / --skip / --list.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/wait.h>

#include "check.h"

static long forks = 1000;
static int wrapped;

/* spawn_blocked, but the child also closes `other` (another child's write end), so that
 * closing `other` in the parent alone releases that child. */
static pid_t spawn_blocked_closing(int *wfd, int other)
{
	int fds[2];
	if (pipe(fds) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		return -1;
	}
	pid_t p = fork();
	if (p == 0) {
		char c;
		close(other);
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(fds[0]);
	if (p < 0) {
		EXPECT(0, "fork: errno %d", errno);
		close(fds[1]);
		return -1;
	}
	*wfd = fds[1];
	return p;
}

static void test_group(void)
{
	begin("group_outlives_leader");
	int lfd, mfd;
	pid_t leader = spawn_blocked(0, &lfd);
	if (leader < 0) {
		end();
		return;
	}
	EXPECT(setpgid(leader, leader) == 0, "setpgid(leader, leader): errno %d", errno);
	pid_t member = spawn_blocked_closing(&mfd, lfd);
	if (member < 0) {
		close(lfd);
		sys_wait4(leader, NULL, 0, NULL);
		end();
		return;
	}
	EXPECT(setpgid(member, leader) == 0, "setpgid(member, leader): errno %d", errno);
	close(lfd);
	expect_wait("the leader", leader, 0, leader, 0, 0);
	EXPECT(getpgid(member) == leader, "the member's group is not the old leader's pid");

	pid_t prev = 0;
	long same_leader = 0, same_member = 0;
	for (long i = 0; i < forks; i++) {
		pid_t p = spawn_exit(0);
		if (p < 0)
			break;
		same_leader += p == leader;
		same_member += p == member;
		if (prev && p < prev)
			wrapped = 1;
		prev = p;
		int st;
		if (sys_wait4(p, &st, 0, NULL) != p)
			EXPECT(0, "wait4 of child %ld: errno %d", i, errno);
	}
	EXPECT(same_leader == 0, "%ld children got the number of a group with a live member", same_leader);
	EXPECT(same_member == 0, "%ld children got a live process's pid", same_member);
	expect_wait("group still has the member", -leader, WNOHANG, 0, 0, 0);
	close(mfd);
	expect_wait("the member, by its group", -leader, 0, member, 0, 0);
	end();
}

static void test_wrapped(void)
{
	begin("pids_wrap");
	EXPECT(wrapped, "no pid was lower than the one before it in %ld forks: raise --forks or "
			"lower pid_max", forks);
	end();
}

static const struct check_test tests[] = {
	{"group_outlives_leader", test_group},
	{"pids_wrap", test_wrapped},
};

int main(int argc, char **argv)
{
	int n = 1;
	for (int i = 1; i < argc; i++) { /* take --forks, leave the rest to check_main */
		if (!strcmp(argv[i], "--forks") && i + 1 < argc)
			forks = atol(argv[++i]);
		else
			argv[n++] = argv[i];
	}
	return check_main("pid_wrap", "PID_WRAP", tests, sizeof tests / sizeof tests[0], n, argv);
}
