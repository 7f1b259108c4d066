/* chaos: a storm that mixes the lifecycle with signals, so races between
 * them are exercised many times per second on every CPU:
 *
 *   kill_race     the parent kills a child (SIGKILL or SIGTERM) while the
 *                 child may be exiting on its own: the status is either
 *   exit_race     the child's exit code or the signal, nothing else; a child
 *                 with a handler is bombarded with SIGUSR1 while it exits
 *   stop_race     SIGSTOP / SIGCONT racing the child's exit and the parent's
 *                 waitpid(WUNTRACED | WCONTINUED): every report is a stop,
 *                 a continue or the final exit, and the exit always comes
 *   sigchld       children reaped from a SIGCHLD handler (waitpid(-1,
 *                 WNOHANG) in a loop) while the parent sleeps in sigsuspend
 *   orphans       chains whose middle members die first (some by SIGKILL),
 *                 leaving orphans of orphans for init to reap
 *   threads       a child with several threads (some ending on their own,
 *                 one calling exit) killed at a random moment: its status
 *                 is the exit code or the signal, and no thread outlives it
 *
 *   chaos [--workers N] [--seconds S]
 *
 * Each worker runs the scenarios round robin for S seconds and reports
 * through a pipe; the top process prints
 *   CHAOS worker=I rounds=R errors=E
 *   CHAOS workers=N seconds=S rounds=R kill_race=.. exit_race=.. stop_race=.. sigchld=.. orphans=.. errors=E result=ok|FAIL
 * Every scenario checks every status word it gets; any other value, or an
 * unexpected errno, is an error (printed once per worker). Nothing here
 * depends on timing for correctness: which side wins a race varies, what
 * the kernel reports must be one of the legal outcomes.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "common.h" /* user/common.h */

enum { KILL_RACE, EXIT_RACE, STOP_RACE, SIGCHLD_REAP, ORPHANS, THREADS, N_SCENARIOS };
static const char *const scenario_names[N_SCENARIOS] = {"kill_race", "exit_race", "stop_race", "sigchld",
							"orphans",   "threads"};

struct report {
	uint32_t worker, errors;
	uint64_t rounds[N_SCENARIOS];
};

static struct report rep;
static unsigned seed_state;

static unsigned rnd(unsigned n)
{
	seed_state = seed_state * 1103515245u + 12345u;
	return (seed_state >> 16) % n;
}

static void error(const char *fmt, int a, int b)
{
	if (!rep.errors)
		fdsay(1, "CHAOS error worker=%u: %s (0x%x, %d)", rep.worker, fmt, a, b);
	rep.errors++;
}

static pid_t fork_retry(void)
{
	for (int tries = 0;; tries++) {
		pid_t p = fork();
		if (p >= 0 || (errno != EAGAIN && errno != ENOMEM) || tries >= 10000)
			return p;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

static pid_t wait_eintr(pid_t pid, int *st, int options)
{
	pid_t r;
	do
		r = waitpid(pid, st, options);
	while (r < 0 && errno == EINTR);
	return r;
}

/* A child that makes `spins` cheap system calls, then exits with `code`. */
static void __attribute__((noreturn)) busy_then_exit(unsigned spins, int code)
{
	for (unsigned i = 0; i < spins; i++)
		getppid();
	_exit(code);
}

static void kill_race(void)
{
	const int code = 1 + (int)rnd(100), sig = rnd(2) ? SIGKILL : SIGTERM;
	pid_t c = fork_retry();
	if (c == 0)
		busy_then_exit(rnd(200), code);
	if (c < 0)
		return error("fork", errno, 0);
	if (rnd(2))
		sched_yield();
	kill(c, sig);
	int st;
	if (wait_eintr(c, &st, 0) != c)
		return error("kill_race: waitpid", errno, 0);
	if (st != code << 8 && st != sig)
		error("kill_race: status", st, sig);
}

static volatile sig_atomic_t usr1_seen;
static void on_usr1(int s)
{
	(void)s;
	usr1_seen++;
}

static void exit_race(void)
{
	const int code = (int)rnd(120);
	pid_t c = fork_retry();
	if (c == 0) {
		signal(SIGUSR1, on_usr1);
		busy_then_exit(rnd(300), code);
	}
	if (c < 0)
		return error("fork", errno, 0);
	int st;
	pid_t r;
	/* Until the child is gone: signals to a live child, a zombie or a pid
	 * that still exists must all succeed (kill on a zombie is fine). */
	while ((r = wait_eintr(c, &st, WNOHANG)) == 0)
		if (kill(c, SIGUSR1) < 0)
			return error("exit_race: kill of an unreaped child", errno, 0);
	if (r != c)
		return error("exit_race: waitpid", errno, 0);
	/* The child may die of SIGUSR1 if it arrives before the handler is set. */
	if (st != code << 8 && st != SIGUSR1)
		error("exit_race: status", st, code);
}

static void stop_race(void)
{
	const int code = (int)rnd(120);
	pid_t c = fork_retry();
	if (c == 0)
		busy_then_exit(200 + rnd(400), code);
	if (c < 0)
		return error("fork", errno, 0);
	/* Each kill below produces exactly one report or none (the child may
	 * exit first), and a wait follows only a kill that can produce one,
	 * or the exit: so the loop never waits for an event that cannot come. */
	int stopped = 0, st;
	for (int round = 0;; round++) {
		if (stopped)
			kill(c, SIGCONT);
		else if (round < 8)
			kill(c, SIGSTOP);
		/* else: running, let it finish */
		pid_t r = wait_eintr(c, &st, WUNTRACED | WCONTINUED);
		if (r != c)
			return error("stop_race: waitpid", errno, 0);
		if (WIFSTOPPED(st)) {
			if (WSTOPSIG(st) != SIGSTOP || stopped)
				return error("stop_race: unexpected stop report", st, stopped);
			stopped = 1;
			continue;
		}
		if (WIFCONTINUED(st)) {
			if (!stopped)
				return error("stop_race: continue report while running", st, 0);
			stopped = 0;
			continue;
		}
		if (st != code << 8)
			error("stop_race: exit status", st, code);
		return;
	}
}

static volatile sig_atomic_t reaped, reap_errors;
static void on_chld(int s)
{
	(void)s;
	int saved = errno, st;
	pid_t r;
	while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
		if (st != 7 << 8)
			reap_errors++;
		reaped++;
	}
	errno = saved;
}

static void sigchld_reap(void)
{
	const int n = 1 + (int)rnd(6);
	sigset_t block, old, none;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct sigaction sa, prev;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, &prev);
	reaped = reap_errors = 0;
	for (int i = 0; i < n; i++) {
		pid_t c = fork_retry();
		if (c == 0)
			busy_then_exit(rnd(100), 7);
		if (c < 0) {
			error("fork", errno, 0);
			break;
		}
	}
	while (reaped < n)
		sigsuspend(&none);
	sigaction(SIGCHLD, &prev, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (reap_errors)
		error("sigchld: statuses", reap_errors, n);
}

/* A chain top -> mid -> leaf -> leaf2: mid dies first (exit or SIGKILL from
 * top), leaf and leaf2 become orphans of orphans and init reaps them. */
static void orphans(void)
{
	int fds[2];
	if (pipe(fds) < 0)
		return error("pipe", errno, 0);
	pid_t mid = fork_retry();
	if (mid == 0) {
		close(fds[0]);
		pid_t leaf = fork_retry();
		if (leaf == 0) {
			if (fork_retry() == 0)
				busy_then_exit(rnd(200), 0); /* leaf2 */
			busy_then_exit(rnd(100), 0);
		}
		write_full(fds[1], "m", 1); /* the leaves exist: the parent may kill us */
		for (;;)
			pause();
	}
	close(fds[1]);
	char c;
	if (mid < 0 || read_full(fds[0], &c, 1) < 0) {
		close(fds[0]);
		return error("orphans: mid never started", errno, 0);
	}
	close(fds[0]);
	const int sig = rnd(2) ? SIGKILL : SIGTERM;
	kill(mid, sig);
	int st;
	if (wait_eintr(mid, &st, 0) != mid || st != sig)
		error("orphans: mid's status", st, sig);
}

static void *thread_work(void *arg)
{
	unsigned spins = (unsigned)(uintptr_t)arg;
	for (unsigned i = 0; i < spins; i++)
		getppid();
	if (spins % 3 == 0)
		pthread_exit(NULL);
	return NULL;
}

static void *thread_exit_process(void *arg)
{
	unsigned spins = (unsigned)(uintptr_t)arg;
	for (unsigned i = 0; i < spins; i++)
		getppid();
	_exit(42); /* exit_group from a thread, racing the others and the parent's kill */
}

/* A threaded child killed (or not) at a random moment. */
static void threads(void)
{
	const unsigned n = 1 + rnd(4), spins = rnd(300), killer = rnd(3);
	pid_t c = fork_retry();
	if (c == 0) {
		pthread_t t;
		for (unsigned i = 0; i < n; i++)
			pthread_create(&t, NULL, thread_work, (void *)(uintptr_t)(spins + i));
		pthread_create(&t, NULL, thread_exit_process, (void *)(uintptr_t)spins);
		for (;;)
			pause();
	}
	if (c < 0)
		return error("fork", errno, 0);
	if (killer == 0)
		kill(c, SIGKILL);
	else if (killer == 1)
		kill(c, SIGTERM);
	int st;
	if (wait_eintr(c, &st, 0) != c)
		return error("threads: waitpid", errno, 0);
	if (st != 42 << 8 && st != SIGKILL && st != SIGTERM)
		error("threads: status", st, 0);
}

static int worker(unsigned idx, uint64_t run_ns, int go_fd, int report_fd)
{
	char c;
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;
	close(go_fd);
	rep.worker = idx;
	seed_state = 0x9e3779b9u * (idx + 1);
	uint64_t start = now_ns();
	for (unsigned i = 0; now_ns() - start < run_ns; i++) {
		const unsigned s = i % N_SCENARIOS;
		switch (s) {
		case KILL_RACE:
			kill_race();
			break;
		case EXIT_RACE:
			exit_race();
			break;
		case STOP_RACE:
			stop_race();
			break;
		case SIGCHLD_REAP:
			sigchld_reap();
			break;
		case ORPHANS:
			orphans();
			break;
		default:
			threads();
		}
		rep.rounds[s]++;
	}
	write_full(report_fd, &rep, sizeof rep);
	return rep.errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned workers = 2;
	double seconds = 2;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--workers"))
			workers = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
	}
	if (workers < 1 || workers > 256 || seconds <= 0 || (argc - 1) % 2) {
		say("usage: chaos [--workers N] [--seconds S]");
		return 2;
	}
	int go[2], rp[2];
	if (pipe(go) < 0 || pipe(rp) < 0)
		return 1;
	pid_t pids[256];
	for (unsigned w = 0; w < workers; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			close(go[1]);
			close(rp[0]);
			_exit(worker(w, (uint64_t)(seconds * 1e9), go[0], rp[1]));
		}
		if (pids[w] < 0) {
			say("CHAOS error: fork of worker %u: %s", w, strerror(errno));
			return 1;
		}
	}
	close(go[0]);
	close(rp[1]);
	close(go[1]);
	uint64_t total[N_SCENARIOS] = {0}, rounds = 0, errors = 0;
	unsigned got = 0;
	struct report r;
	while (got < workers && read_full(rp[0], &r, sizeof r) == 0) {
		uint64_t mine = 0;
		for (int s = 0; s < N_SCENARIOS; s++) {
			total[s] += r.rounds[s];
			mine += r.rounds[s];
		}
		say("CHAOS worker=%u rounds=%llu errors=%u", r.worker, (unsigned long long)mine, r.errors);
		rounds += mine;
		errors += r.errors;
		got++;
	}
	int failed = got < workers || errors;
	for (unsigned w = 0; w < workers; w++) {
		int st;
		if (wait_eintr(pids[w], &st, 0) != pids[w] || st != 0)
			failed = 1;
	}
	char line[256];
	int n = snprintf(line, sizeof line, "CHAOS workers=%u seconds=%g rounds=%llu", workers, seconds,
			 (unsigned long long)rounds);
	for (int s = 0; s < N_SCENARIOS; s++)
		n += snprintf(line + n, sizeof line - (size_t)n, " %s=%llu", scenario_names[s],
			      (unsigned long long)total[s]);
	say("%s errors=%llu result=%s", line, (unsigned long long)errors, failed ? "FAIL" : "ok");
	return failed;
}
