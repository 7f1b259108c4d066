/* check.h: the small test harness shared by the self-checking user programs
 * (lifecycle_basics, wait_semantics). Header-only: each program is one static
 * binary built from one .c file.
 *
 * Output, deterministic so that Scythe's and Linux's runs compare line by line:
 *   TEST <name> ok | FAIL <first failed expectation> | skip <why>
 *   <TAG> tests=N passed=P failed=F skipped=S
 *
 * Options every program gets from check_main():
 *   --only a,b,c   run only these tests; the others print "TEST <name> skip (not selected)"
 *   --skip a,b     run all but these (printed the same way)
 *   --list         print the test names and exit
 * A name that is no test's is an error (exit 2): a typo must not select nothing.
 */
#ifndef SCYTHE_USER_CHECK_H
#define SCYTHE_USER_CHECK_H

#include <stdlib.h>
#include <sys/syscall.h>

#include "common.h"

static int n_tests, n_pass, n_fail, n_skip;
static const char *cur_name;
static int cur_fail;
static char cur_msg[256];
static const char *skip_why; /* set by a test that cannot run here */

static void begin(const char *name)
{
	cur_name = name;
	cur_fail = 0;
	skip_why = NULL;
	n_tests++;
}

static void end(void)
{
	if (skip_why) {
		n_skip++;
		say("TEST %s skip %s", cur_name, skip_why);
	} else if (cur_fail) {
		n_fail++;
		say("TEST %s FAIL %s", cur_name, cur_msg);
	} else {
		n_pass++;
		say("TEST %s ok", cur_name);
	}
}

/* Record the first failed expectation of the current test. */
#define EXPECT(cond, ...)                                                        \
	do {                                                                     \
		if (!(cond) && !cur_fail) {                                      \
			cur_fail = 1;                                            \
			snprintf(cur_msg, sizeof cur_msg, __VA_ARGS__);         \
		}                                                                \
	} while (0)

/* Raw wait4: errno and status are the kernel's, with no libc wrapper in between. */
static long sys_wait4(pid_t pid, void *status, int options, void *ru)
{
	long r;
	do
		r = syscall(SYS_wait4, pid, status, options, ru);
	while (r < 0 && errno == EINTR);
	return r;
}

/* wait4(pid, options) must return `want` (> 0: that pid with status `want_status`; 0: nothing,
 * status untouched), or fail with `want_errno` when want < 0. */
__attribute__((unused)) static void expect_wait(const char *what, pid_t pid, int options, pid_t want, int want_errno, int want_status)
{
	int st = 0x5a5a5a5a;
	errno = 0;
	long r = sys_wait4(pid, &st, options, NULL);
	if (want < 0) {
		EXPECT(r == -1 && errno == want_errno, "%s: returned %s errno %d, expected -1 errno %d", what,
		       r > 0 ? "a pid" : r == 0 ? "0" : "-1", errno, want_errno);
		return;
	}
	EXPECT(r == want, "%s: returned %s (errno %d)", what,
	       r == 0 ? "0" : r < 0 ? "-1" : "another pid", errno);
	if (r == want && want > 0)
		EXPECT(st == want_status, "%s: status 0x%x, expected 0x%x", what, st, want_status);
	if (r == 0 && want == 0)
		EXPECT(st == 0x5a5a5a5a, "%s: returned 0 but wrote status 0x%x", what, st);
}

__attribute__((unused)) static pid_t spawn_exit(int code)
{
	pid_t p = fork();
	if (p == 0)
		_exit(code);
	if (p < 0)
		EXPECT(0, "fork: errno %d", errno);
	return p;
}

/* A child that exits with `code` once the write end of its pipe (*wfd) is closed: it stays
 * alive exactly as long as the test wants, with no sleeps. */
__attribute__((unused)) static pid_t spawn_blocked(int code, int *wfd)
{
	int fds[2];
	if (pipe(fds) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		return -1;
	}
	pid_t p = fork();
	if (p == 0) {
		char c;
		close(fds[1]);
		for (;;) {
			ssize_t r = read(fds[0], &c, 1);
			if (r == 0 || (r < 0 && errno != EINTR))
				break;
		}
		_exit(code);
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

struct check_test {
	const char *name;
	void (*fn)(void);
};

/* Is `name` in the comma-separated `list`? */
static int check_in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l == n && !strncmp(p, name, n))
			return 1;
		p += l;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Every name in `list` must be a test's. */
static int check_list(const char *prog, const struct check_test *tests, unsigned n, const char *list)
{
	for (const char *l = list; l && *l;) {
		size_t len = strcspn(l, ",");
		int known = 0;
		for (unsigned t = 0; t < n; t++)
			known |= strlen(tests[t].name) == len && !strncmp(tests[t].name, l, len);
		if (!known && len) {
			say("%s: no test named %.*s", prog, (int)len, l);
			return -1;
		}
		l += len;
		if (*l == ',')
			l++;
	}
	return 0;
}

/* The program's own path, for tests that execve it as a target (set by check_main). */
static char check_self[128];

/* Parse the options above, run the selected tests, print the summary line tagged `tag`.
 * Returns the program's exit status: 0 only if nothing failed. Two more forms make the
 * program an execve target for its own tests (check_self names it):
 *   --exit N          exit N at once
 *   --block-on-fd N   read fd N until end of file, then exit 0 */
static int check_main(const char *prog, const char *tag, const struct check_test *tests, unsigned n,
		      int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--exit"))
		return atoi(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--block-on-fd")) {
		char c;
		int fd = atoi(argv[2]);
		while (read(fd, &c, 1) > 0)
			;
		return 0;
	}
	if (argc > 0 && strchr(argv[0], '/'))
		snprintf(check_self, sizeof check_self, "%s", argv[0]);
	else
		snprintf(check_self, sizeof check_self, "/bin/%s", prog);
	const char *only = NULL, *skip = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--skip") && i + 1 < argc) {
			skip = argv[++i];
		} else if (!strcmp(argv[i], "--list")) {
			for (unsigned t = 0; t < n; t++)
				say("%s", tests[t].name);
			return 0;
		} else {
			say("%s: unknown argument %s (--only a,b | --skip a,b | --list)", prog, argv[i]);
			return 2;
		}
	}
	if (check_list(prog, tests, n, only) < 0 || check_list(prog, tests, n, skip) < 0)
		return 2;
	for (unsigned t = 0; t < n; t++) {
		if ((only && !check_in_list(only, tests[t].name)) ||
		    (skip && check_in_list(skip, tests[t].name))) {
			/* Printed the same on every kernel, so a partial run still compares equal. */
			begin(tests[t].name);
			skip_why = "(not selected)";
			end();
			continue;
		}
		tests[t].fn();
	}
	say("%s tests=%d passed=%d failed=%d skipped=%d", tag, n_tests, n_pass, n_fail, n_skip);
	return n_fail ? 1 : 0;
}

#endif
