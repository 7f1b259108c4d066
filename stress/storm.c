/* storm: the fork -> exit -> wait storm, as users run it on Scythe and on Linux.
 *
 *   storm [--workers N] [--seconds S] [--depth D] [--orphans]
 *
 * N worker processes (default 1) each loop for S seconds (default 2, may be
 * fractional): fork; the child _exits with a known code; the worker
 * waitpid()s that child and checks the pid and the whole status word. With
 * --depth D each cycle is a chain: the child forks its own child and waits
 * for it, D levels deep (a cycle is then D forks, exits and waits). With
 * --orphans the last child of the chain forks a grandchild and exits without
 * waiting; the grandchild waits until it has been reparented (getppid()
 * changes, to init) and exits, so init has to reap it.
 *
 * Workers start together (they block on a pipe the top process closes),
 * then report their counts through a pipe. The top process prints
 *
 *   STORM worker=I cycles=C rate=R/s elapsed_ms=T eagain=A errors=E    (one per worker)
 *   STORM workers=N seconds=S cycles=C rate=R/s depth=D orphans=0|1 elapsed_ms=T eagain=A errors=E result=ok|FAIL
 *
 * and exits 0 only if every status was right and no unexpected errno was
 * seen. fork failing with EAGAIN or ENOMEM is retried and counted (eagain=),
 * not an error: the process limit is a legitimate answer under a storm.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "common.h" // user/common.h

struct report {
	uint32_t worker;
	uint32_t errors;
	uint64_t cycles;
	uint64_t elapsed_ns;
	uint64_t eagain;
};

static unsigned depth = 1;
static int orphans;
static uint64_t eagain_count;

/* Exit codes of chain members that saw a failure (good codes are < 0x80 in
 * chain mode, any byte in the plain mode where no member can fail). */
#define CHAIN_FAIL_FORK 0xf1
#define CHAIN_FAIL_WAIT 0xf2
#define CHAIN_FAIL_STATUS 0xf3

/* fork, retrying EAGAIN/ENOMEM for up to about 10 s (then it is an error). */
static pid_t fork_retry(void)
{
	for (int tries = 0;; tries++) {
		pid_t p = fork();
		if (p >= 0 || (errno != EAGAIN && errno != ENOMEM) || tries >= 10000)
			return p;
		eagain_count++;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

static pid_t waitpid_eintr(pid_t pid, int *status)
{
	pid_t r;
	do
		r = waitpid(pid, status, 0);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Body of chain member `level` (1 = the worker's child). Never returns. */
static void __attribute__((noreturn)) chain(unsigned level, int code)
{
	if (level < depth) {
		pid_t c = fork_retry();
		if (c < 0)
			_exit(CHAIN_FAIL_FORK);
		if (c == 0)
			chain(level + 1, code);
		int st;
		if (waitpid_eintr(c, &st) != c)
			_exit(CHAIN_FAIL_WAIT);
		if (st != (code << 8))
			_exit(WIFEXITED(st) && WEXITSTATUS(st) >= 0xf0 ? WEXITSTATUS(st) : CHAIN_FAIL_STATUS);
	} else if (orphans) {
		pid_t me = getpid();
		pid_t g = fork_retry();
		if (g < 0)
			_exit(CHAIN_FAIL_FORK);
		if (g == 0) {
			while (getppid() == me)
				sched_yield();
			_exit(0);
		}
	}
	_exit(code);
}

static int worker(unsigned idx, uint64_t run_ns, int go_fd, int report_fd)
{
	char c;
	/* Blocks until the top process closes the write end: everyone starts together. */
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;
	close(go_fd);

	int chained = depth > 1 || orphans;
	struct report r = {.worker = idx};
	uint64_t start = now_ns(), now = start;
	for (uint64_t i = 0; now - start < run_ns; i++) {
		int code = chained ? (int)(i & 0x7f) : (int)(i & 0xff);
		pid_t child = fork_retry();
		if (child < 0) {
			say("STORM error worker=%u: fork: errno=%d (%s)", idx, errno, strerror(errno));
			r.errors++;
			break;
		}
		if (child == 0) {
			if (chained)
				chain(1, code);
			_exit(code);
		}
		int st = -1;
		pid_t w = waitpid_eintr(child, &st);
		if (w != child) {
			say("STORM error worker=%u: waitpid(%d) returned %d errno=%d (%s)", idx, (int)child, (int)w,
			    errno, strerror(errno));
			r.errors++;
			break;
		}
		if (st != (code << 8)) {
			say("STORM error worker=%u: child status 0x%x, expected 0x%x (exited=%d code=%d signaled=%d sig=%d)",
			    idx, st, code << 8, WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFSIGNALED(st),
			    WIFSIGNALED(st) ? WTERMSIG(st) : -1);
			r.errors++;
			break;
		}
		r.cycles++;
		now = now_ns();
	}
	r.elapsed_ns = now_ns() - start;
	r.eagain = eagain_count;
	if (write_full(report_fd, &r, sizeof r) < 0)
		return 2;
	return r.errors ? 1 : 0;
}

static void usage(void)
{
	say("usage: storm [--workers N] [--seconds S] [--depth D] [--orphans]");
	_exit(2);
}

static unsigned long parse_uint(const char *s, unsigned long max)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		usage();
	return v;
}

/* Seconds as a decimal with up to 3 fractional digits, returned in ms. */
static uint64_t parse_ms(const char *s)
{
	uint64_t ms = 0;
	const char *p = s;
	if (!*p)
		usage();
	for (; *p >= '0' && *p <= '9'; p++)
		ms = ms * 10 + (uint64_t)(*p - '0');
	ms *= 1000;
	if (*p == '.') {
		uint64_t scale = 100;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			ms += scale * (uint64_t)(*p - '0');
	}
	if (*p || ms == 0 || ms > 3600 * 1000)
		usage();
	return ms;
}

/* Accepts "--opt value" and "--opt=value". */
static const char *optval(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		usage();
	return argv[++*i];
}

int main(int argc, char **argv)
{
	unsigned workers = 1;
	uint64_t ms = 2000;
	for (int i = 1; i < argc; i++) {
		const char *v;
		if ((v = optval(argc, argv, &i, "--workers")))
			workers = (unsigned)parse_uint(v, 4096);
		else if ((v = optval(argc, argv, &i, "--seconds")))
			ms = parse_ms(v);
		else if ((v = optval(argc, argv, &i, "--depth")))
			depth = (unsigned)parse_uint(v, 64);
		else if (!strcmp(argv[i], "--orphans"))
			orphans = 1;
		else
			usage();
	}
	if (workers == 0 || depth == 0)
		usage();

	int go[2], rep[2];
	if (pipe(go) < 0 || pipe(rep) < 0) {
		say("STORM error: pipe: %s", strerror(errno));
		return 1;
	}
	pid_t *pids = calloc(workers, sizeof *pids);
	if (!pids)
		return 1;
	int failed = 0;
	for (unsigned w = 0; w < workers; w++) {
		pid_t p = fork();
		if (p < 0) {
			say("STORM error: fork of worker %u: %s", w, strerror(errno));
			return 1;
		}
		if (p == 0) {
			close(go[1]);
			close(rep[0]);
			_exit(worker(w, ms * 1000000u, go[0], rep[1]));
		}
		pids[w] = p;
	}
	close(go[0]);
	close(rep[1]);
	close(go[1]); /* go */

	struct report *reps = calloc(workers, sizeof *reps);
	unsigned got = 0;
	while (got < workers) {
		struct report r;
		if (read_full(rep[0], &r, sizeof r) < 0)
			break;
		if (r.worker < workers)
			reps[r.worker] = r;
		got++;
	}
	if (got < workers) {
		say("STORM error: only %u of %u workers reported", got, workers);
		failed = 1;
	}
	for (unsigned w = 0; w < workers; w++) {
		int st;
		if (waitpid_eintr(pids[w], &st) != pids[w]) {
			say("STORM error: waitpid(worker %u): %s", w, strerror(errno));
			failed = 1;
		} else if (st != 0) {
			say("STORM error: worker %u status 0x%x", w, st);
			failed = 1;
		}
	}

	uint64_t cycles = 0, eagain = 0, errors = 0, max_ns = 1;
	for (unsigned w = 0; w < workers; w++) {
		const struct report *r = &reps[w];
		uint64_t ns = r->elapsed_ns ? r->elapsed_ns : 1;
		say("STORM worker=%u cycles=%llu rate=%llu/s elapsed_ms=%llu eagain=%llu errors=%u", w,
		    (unsigned long long)r->cycles, (unsigned long long)(r->cycles * 1000000000u / ns),
		    (unsigned long long)(ns / 1000000u), (unsigned long long)r->eagain, r->errors);
		cycles += r->cycles;
		eagain += r->eagain;
		errors += r->errors;
		if (ns > max_ns)
			max_ns = ns;
	}
	if (errors)
		failed = 1;
	char secs[32];
	snprintf(secs, sizeof secs, "%llu.%03llu", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));
	for (char *e = secs + strlen(secs) - 1; *e == '0' || *e == '.'; e--) {
		int dot = *e == '.';
		*e = '\0';
		if (dot)
			break;
	}
	say("STORM workers=%u seconds=%s cycles=%llu rate=%llu/s depth=%u orphans=%d elapsed_ms=%llu eagain=%llu "
	    "errors=%llu result=%s",
	    workers, secs, (unsigned long long)cycles, (unsigned long long)(cycles * 1000000000u / max_ns), depth,
	    orphans, (unsigned long long)(max_ns / 1000000u), (unsigned long long)eagain, (unsigned long long)errors,
	    failed ? "FAIL" : "ok");
	return failed;
}
