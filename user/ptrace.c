/* ptrace: tracers compared line by line with Linux (the differential harness).
 * PTRACE_TRACEME, ATTACH, CONT, DETACH, KILL; signal-delivery stops seen by the
 * tracer's wait without WUNTRACED; a tracer that is not the parent hears of an
 * exit first and the parent reaps afterwards; a tracer's exit releases its
 * tracees; the error codes. Deterministic lines only:
 *
 *   TEST <name> ok | FAIL <what> | skip <why>
 *   PTRACE tests=N passed=P failed=F skipped=S
 *
 * Every hand-over between processes is a pipe or a wait: no sleeps. The
 * option `--exit N` (a program a traced child execs) exits with status N.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"


/* Raw ptrace: the kernel's result and errno, no libc peek handling. */
static long pt(long req, pid_t pid, long data)
{
	errno = 0;
	return syscall(SYS_ptrace, req, pid, 0L, data);
}

#define STOPPED(sig) (((sig) << 8) | 0x7f)
#define EXITED(code) ((code) << 8)

static int usr1_seen;
static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen = 1;
}

/* A child that becomes its parent's tracee and sends itself `sig` with the
 * disposition `handler`, then exits `code` (+ 1 if on_usr1 ran): returned
 * once the tracer (we) saw its signal-delivery stop, without WUNTRACED. */
static pid_t spawn_stopped(int sig, void (*handler)(int), int code)
{
	pid_t p = fork();
	if (p == 0) {
		signal(sig, handler);
		if (pt(PTRACE_TRACEME, 0, 0) != 0)
			_exit(10);
		kill(getpid(), sig);
		_exit(code + usr1_seen);
	}
	expect_wait("the tracer sees the signal-delivery stop", p, 0, p, 0, STOPPED(sig));
	return p;
}

/* A child that blocks reading its pipe until the write end closes, then exits
 * `code`; with `traceme` it first becomes its parent's tracee. Reports "ready"
 * on the pipe *rfd before blocking. */
static pid_t spawn_reader(int code, int traceme, int *wfd, int *rfd)
{
	int in[2], out[2];
	if (pipe(in) < 0 || pipe(out) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		return -1;
	}
	pid_t p = fork();
	if (p == 0) {
		close(in[1]);
		close(out[0]);
		char c = traceme ? (pt(PTRACE_TRACEME, 0, 0) == 0 ? 'y' : 'n') : 'y';
		write_full(out[1], &c, 1);
		close(out[1]);
		for (;;) {
			ssize_t r = read(in[0], &c, 1);
			if (r == 0 || (r < 0 && errno != EINTR))
				break;
		}
		_exit(code);
	}
	close(in[0]);
	close(out[1]);
	*wfd = in[1];
	*rfd = out[0];
	char c = 0;
	EXPECT(read_full(out[0], &c, 1) == 0 && c == 'y', "child not ready (%c)", c ? c : '0');
	return p;
}

/* TRACEME, then a signal to itself: the tracer (the parent) sees the stop
 * without WUNTRACED; CONT with 0 suppresses the signal, CONT with it delivers it. */
static void test_traceme_signal(void)
{
	begin("traceme_signal_stop");
	for (int deliver = 0; deliver < 2; deliver++) {
		pid_t p = spawn_stopped(SIGUSR1, on_usr1, 1);
		EXPECT(pt(PTRACE_CONT, p, deliver ? SIGUSR1 : 0) == 0, "CONT: errno %d", errno);
		expect_wait(deliver ? "CONT with SIGUSR1 runs the handler" : "CONT with 0 suppresses it", p, 0, p,
			    0, EXITED(deliver ? 2 : 1));
	}
	end();
}

static void test_cont_delivers_fatal(void)
{
	begin("cont_delivers_sigterm");
	pid_t p = spawn_stopped(SIGTERM, SIG_DFL, 3);
	/* A ptrace stop is not a zombie: WNOHANG finds nothing more to report. */
	expect_wait("the stop is reported once", p, WNOHANG, 0, 0, 0);
	EXPECT(pt(PTRACE_CONT, p, SIGTERM) == 0, "CONT: errno %d", errno);
	expect_wait("the tracee dies of SIGTERM", p, 0, p, 0, SIGTERM);
	end();
}

/* The tracee's own ignored signal still stops it: the tracer hears of it. */
static void test_ignored_signal_stops(void)
{
	begin("ignored_signal_stops");
	pid_t p = spawn_stopped(SIGUSR2, SIG_IGN, 4);
	EXPECT(pt(PTRACE_CONT, p, SIGUSR2) == 0, "CONT: errno %d", errno);
	expect_wait("delivered, still ignored", p, 0, p, 0, EXITED(4));
	end();
}

static void test_traceme_twice(void)
{
	begin("traceme_twice_eperm");
	pid_t p = fork();
	if (p == 0) {
		if (pt(PTRACE_TRACEME, 0, 0) != 0)
			_exit(10);
		_exit(pt(PTRACE_TRACEME, 0, 0) == -1 && errno == EPERM ? 0 : 11);
	}
	/* The tracer is the parent: one reap, as for any child. */
	expect_wait("exit of a tracee whose tracer is its parent", p, 0, p, 0, EXITED(0));
	expect_wait("reaped once", p, WNOHANG, -1, ECHILD, 0);
	end();
}

/* A traced exec stops with SIGTRAP after the new image is in. */
static void test_exec_sigtrap(void)
{
	begin("exec_sigtrap");
	pid_t p = fork();
	if (p == 0) {
		if (pt(PTRACE_TRACEME, 0, 0) != 0)
			_exit(10);
		char *argv[] = {check_self, "--exit", "7", NULL};
		execv(check_self, argv);
		_exit(12);
	}
	expect_wait("stop with SIGTRAP after execve", p, 0, p, 0, STOPPED(SIGTRAP));
	EXPECT(pt(PTRACE_CONT, p, 0) == 0, "CONT: errno %d", errno);
	expect_wait("the new image runs", p, 0, p, 0, EXITED(7));
	end();
}

static void test_errors(void)
{
	begin("errors");
	int wfd, rfd;
	pid_t p = spawn_reader(0, 1, &wfd, &rfd);
	if (p < 0) {
		end();
		return;
	}
	/* Traced by us but running (asleep in read): not in a ptrace stop. */
	EXPECT(pt(PTRACE_CONT, p, 0) == -1 && errno == ESRCH, "CONT on a running tracee: errno %d", errno);
	EXPECT(pt(PTRACE_DETACH, p, 0) == -1 && errno == ESRCH, "DETACH on a running tracee: errno %d",
	       errno);
	EXPECT(pt(0x4242, p, 0) == -1 && errno == ESRCH, "bad request on a running tracee: errno %d", errno);
	/* Someone else may not attach to a traced process. */
	pid_t q = fork();
	if (q == 0)
		_exit(pt(PTRACE_ATTACH, p, 0) == -1 && errno == EPERM ? 0 : 13);
	expect_wait("a second tracer's ATTACH fails EPERM", q, 0, q, 0, EXITED(0));
	EXPECT(pt(PTRACE_ATTACH, p, 0) == -1 && errno == EPERM, "ATTACH by its tracer: errno %d", errno);
	EXPECT(pt(PTRACE_ATTACH, getpid(), 0) == -1 && errno == EPERM, "ATTACH to itself: errno %d", errno);
	EXPECT(pt(PTRACE_ATTACH, 0x3ffffff0, 0) == -1 && errno == ESRCH, "ATTACH to no process: errno %d",
	       errno);
	EXPECT(pt(PTRACE_CONT, 0x3ffffff0, 0) == -1 && errno == ESRCH, "CONT to no process: errno %d", errno);
	close(wfd);
	close(rfd);
	expect_wait("the tracee exits", p, 0, p, 0, EXITED(0));

	/* A child that is not traced. */
	p = spawn_reader(0, 0, &wfd, &rfd);
	EXPECT(pt(PTRACE_CONT, p, 0) == -1 && errno == ESRCH, "CONT on a non-tracee: errno %d", errno);
	EXPECT(pt(PTRACE_KILL, p, 0) == -1 && errno == ESRCH, "KILL on a non-tracee: errno %d", errno);
	EXPECT(pt(PTRACE_DETACH, p, 0) == -1 && errno == ESRCH, "DETACH on a non-tracee: errno %d", errno);
	close(wfd);
	close(rfd);
	expect_wait("the child exits", p, 0, p, 0, EXITED(0));

	/* A stopped tracee: a bad request is EIO, as is a bad signal number. */
	p = spawn_stopped(SIGUSR1, on_usr1, 5);
	EXPECT(pt(0x4242, p, 0) == -1 && errno == EIO, "bad request on a stopped tracee: errno %d", errno);
	EXPECT(pt(PTRACE_CONT, p, 1000) == -1 && errno == EIO, "CONT with signal 1000: errno %d", errno);
	EXPECT(pt(PTRACE_CONT, p, 0) == 0, "CONT: errno %d", errno);
	expect_wait("suppressed SIGUSR1, the tracee exits", p, 0, p, 0, EXITED(5));
	end();
}

static void test_kill(void)
{
	begin("ptrace_kill");
	pid_t p = spawn_stopped(SIGUSR1, on_usr1, 5);
	EXPECT(pt(PTRACE_KILL, p, 0) == 0, "KILL on a stopped tracee: errno %d", errno);
	expect_wait("killed in its stop", p, 0, p, 0, SIGKILL);

	int wfd, rfd;
	p = spawn_reader(0, 1, &wfd, &rfd);
	EXPECT(pt(PTRACE_KILL, p, 0) == 0, "KILL on a running tracee: errno %d", errno);
	expect_wait("killed while running", p, 0, p, 0, SIGKILL);
	close(wfd);
	close(rfd);
	end();
}

/* B attaches to its sibling A: B sees A's SIGSTOP stop (no WUNTRACED), DETACH
 * resumes A, B then has no child or tracee left; A's parent reaps A. */
static void test_attach_detach(void)
{
	begin("attach_sibling_detach");
	int wfd, rfd;
	pid_t a = spawn_reader(6, 0, &wfd, &rfd);
	pid_t b = fork();
	if (b == 0) {
		int st = 0;
		if (pt(PTRACE_ATTACH, a, 0) != 0)
			_exit(20);
		if (waitpid(a, &st, 0) != a || st != STOPPED(SIGSTOP))
			_exit(21);
		if (pt(PTRACE_DETACH, a, 0) != 0)
			_exit(22);
		if (pt(PTRACE_CONT, a, 0) != -1 || errno != ESRCH)
			_exit(23);
		if (waitpid(-1, &st, WNOHANG) != -1 || errno != ECHILD)
			_exit(24);
		_exit(0);
	}
	expect_wait("the tracer's checks", b, 0, b, 0, EXITED(0));
	close(wfd);
	close(rfd);
	expect_wait("the detached sibling runs on and exits", a, 0, a, 0, EXITED(6));
	end();
}

/* The tracer B is not A's parent: A's exit goes to B first (the parent sees
 * nothing), and the parent reaps A only after B has. */
static void test_tracer_hears_exit_first(void)
{
	begin("tracer_hears_exit_first");
	int wfd, rfd, go[2], told[2];
	if (pipe(go) < 0 || pipe(told) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		end();
		return;
	}
	pid_t a = spawn_reader(7, 0, &wfd, &rfd);
	pid_t b = fork();
	if (b == 0) {
		close(go[1]);
		close(told[0]);
		close(wfd);
		int st = 0;
		char c = 'y';
		if (pt(PTRACE_ATTACH, a, 0) != 0 || waitpid(a, &st, 0) != a || st != STOPPED(SIGSTOP) ||
		    pt(PTRACE_CONT, a, 0) != 0)
			c = 'a';
		write_full(told[1], &c, 1); /* attached and running again */
		siginfo_t si;
		memset(&si, 0, sizeof si);
		/* A is a zombie to us (not reaped: WNOWAIT). */
		if (c == 'y' && (waitid(P_PID, a, &si, WEXITED | WNOWAIT) != 0 || si.si_pid != a ||
				 si.si_code != CLD_EXITED || si.si_status != 7))
			c = 'w';
		write_full(told[1], &c, 1);
		char g;
		read_full(go[0], &g, 1); /* the parent has looked */
		if (waitpid(a, &st, 0) != a || st != EXITED(7))
			_exit(31);
		if (waitpid(a, &st, WNOHANG) != -1 || errno != ECHILD)
			_exit(32);
		_exit(c == 'y' ? 0 : 33);
	}
	close(go[0]);
	close(told[1]);
	char c = 0;
	EXPECT(read_full(told[0], &c, 1) == 0 && c == 'y', "tracer: attach failed (%c)", c);
	close(wfd); /* A exits */
	EXPECT(read_full(told[0], &c, 1) == 0 && c == 'y', "tracer: no zombie seen (%c)", c);
	expect_wait("the parent does not see the exit before the tracer", a, WNOHANG, 0, 0, 0);
	c = 'g';
	write_full(go[1], &c, 1);
	expect_wait("then the parent reaps", a, 0, a, 0, EXITED(7));
	expect_wait("the tracer's checks", b, 0, b, 0, EXITED(0));
	close(go[1]);
	close(told[0]);
	close(rfd);
	end();
}

/* A tracer that exits releases its tracees: a stopped one runs again (with
 * the stop's signal if the tracer never waited for the stop, as Linux: its
 * wait takes the signal); a zombie not yet reaped by the tracer goes to its
 * parent. */
static void test_tracer_exit(void)
{
	begin("tracer_exit_releases");
	for (int waited = 1; waited >= 0; waited--) {
		int wfd, rfd;
		pid_t a = spawn_reader(8, 0, &wfd, &rfd);
		pid_t b = fork();
		if (b == 0) {
			int st = 0;
			if (pt(PTRACE_ATTACH, a, 0) != 0)
				_exit(40);
			if (waited && (waitpid(a, &st, 0) != a || st != STOPPED(SIGSTOP)))
				_exit(41);
			_exit(0); /* A is (or is about to be) in its ptrace stop */
		}
		expect_wait("the tracer exits", b, 0, b, 0, EXITED(0));
		if (waited) {
			expect_wait("the released tracee runs", a, WNOHANG | WUNTRACED, 0, 0, 0);
		} else {
			expect_wait("the released tracee acts on its SIGSTOP", a, WUNTRACED, a, 0,
				    STOPPED(SIGSTOP));
			kill(a, SIGCONT);
		}
		close(wfd);
		close(rfd);
		expect_wait("and runs on to its exit", a, 0, a, 0, EXITED(8));
	}

	int wfd, rfd;
	pid_t a, b;
	/* Exited, not reaped by the tracer when it exits. */
	int go[2];
	if (pipe(go) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		end();
		return;
	}
	a = spawn_reader(9, 0, &wfd, &rfd);
	b = fork();
	if (b == 0) {
		close(go[0]);
		close(wfd);
		int st = 0;
		char c = 'y';
		if (pt(PTRACE_ATTACH, a, 0) != 0 || waitpid(a, &st, 0) != a || st != STOPPED(SIGSTOP) ||
		    pt(PTRACE_CONT, a, 0) != 0)
			c = 'a';
		write_full(go[1], &c, 1);
		siginfo_t si;
		memset(&si, 0, sizeof si);
		if (waitid(P_PID, a, &si, WEXITED | WNOWAIT) != 0 || si.si_pid != a)
			_exit(41);
		_exit(c == 'y' ? 0 : 42);
	}
	close(go[1]);
	char c = 0;
	EXPECT(read_full(go[0], &c, 1) == 0 && c == 'y', "tracer: attach failed (%c)", c);
	close(wfd);
	expect_wait("the tracer exits with the zombie unreaped", b, 0, b, 0, EXITED(0));
	expect_wait("the parent reaps the released zombie", a, 0, a, 0, EXITED(9));
	close(go[0]);
	close(rfd);
	end();
}

/* Reparenting does not change the tracer: S (a subreaper) traces its
 * grandchild A; A's parent M exits, A becomes S's child, and with tracer ==
 * parent one wait reaps it. */
static void test_reparent_keeps_tracer(void)
{
	begin("reparent_keeps_tracer");
	pid_t s = fork();
	if (s == 0) {
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
			_exit(50);
		int m2s[2], die[2], a_pipe[2];
		if (pipe(m2s) < 0 || pipe(die) < 0 || pipe(a_pipe) < 0)
			_exit(51);
		pid_t m = fork();
		if (m == 0) {
			close(m2s[0]);
			close(die[1]);
			pid_t a = fork();
			if (a == 0) {
				char c;
				close(a_pipe[1]);
				while (read(a_pipe[0], &c, 1) != 0)
					;
				_exit(11);
			}
			write_full(m2s[1], &a, sizeof a);
			char c;
			read(die[0], &c, 1);
			_exit(0);
		}
		close(m2s[1]);
		close(die[0]);
		close(a_pipe[0]);
		pid_t a = 0;
		int st = 0;
		if (read_full(m2s[0], &a, sizeof a) != 0)
			_exit(52);
		if (pt(PTRACE_ATTACH, a, 0) != 0 || waitpid(a, &st, 0) != a || st != STOPPED(SIGSTOP) ||
		    pt(PTRACE_CONT, a, 0) != 0)
			_exit(53);
		close(die[1]); /* M exits: A comes to us */
		if (waitpid(m, &st, 0) != m || st != EXITED(0))
			_exit(54);
		close(a_pipe[1]);
		if (waitpid(a, &st, 0) != a || st != EXITED(11))
			_exit(55);
		if (waitpid(-1, &st, WNOHANG) != -1 || errno != ECHILD)
			_exit(56);
		_exit(0);
	}
	expect_wait("the subreaper-tracer's checks", s, 0, s, 0, EXITED(0));
	end();
}

static void *block_on_fd(void *arg)
{
	char c;
	while (read((int)(intptr_t)arg, &c, 1) > 0)
		;
	return NULL;
}

/* A tracee with a second thread (blocked in read): the thread that takes the
 * signal (raise: thread-directed, the traced main thread) stops, the tracer
 * resumes it with the signal, or PTRACE_KILL ends every thread. */
static void test_threaded_tracee(void)
{
	begin("threaded_tracee");
	for (int kill_it = 0; kill_it < 2; kill_it++) {
		pid_t p = fork();
		if (p == 0) {
			int fds[2];
			pthread_t th;
			signal(SIGUSR1, on_usr1);
			if (pipe(fds) < 0 || pthread_create(&th, NULL, block_on_fd, (void *)(intptr_t)fds[0]) != 0)
				_exit(10);
			if (pt(PTRACE_TRACEME, 0, 0) != 0)
				_exit(11);
			raise(SIGUSR1);
			close(fds[1]);
			pthread_join(th, NULL);
			_exit(usr1_seen ? 1 : 2);
		}
		expect_wait("the thread that took the signal stops", p, 0, p, 0, STOPPED(SIGUSR1));
		if (kill_it) {
			EXPECT(pt(PTRACE_KILL, p, 0) == 0, "KILL: errno %d", errno);
			expect_wait("every thread ends", p, 0, p, 0, SIGKILL);
		} else {
			EXPECT(pt(PTRACE_CONT, p, SIGUSR1) == 0, "CONT: errno %d", errno);
			expect_wait("the handler ran, the other thread joined", p, 0, p, 0, EXITED(1));
		}
	}
	end();
}

/* Linux lets root attach to init (pid 1): it stops like any tracee. */
static void test_attach_init(void)
{
	begin("attach_init");
	pid_t b = fork();
	if (b == 0) {
		int st = 0;
		long r = pt(PTRACE_ATTACH, 1, 0);
		if (r != 0)
			_exit(errno == EPERM ? 60 : 61);
		if (waitpid(1, &st, 0) != 1 || st != STOPPED(SIGSTOP))
			_exit(62);
		_exit(pt(PTRACE_DETACH, 1, 0) == 0 ? 0 : 63);
	}
	expect_wait("ATTACH, stop and DETACH of init", b, 0, b, 0, EXITED(0));
	end();
}

static const struct check_test tests[] = {
	{"traceme_signal_stop", test_traceme_signal},
	{"cont_delivers_sigterm", test_cont_delivers_fatal},
	{"ignored_signal_stops", test_ignored_signal_stops},
	{"traceme_twice_eperm", test_traceme_twice},
	{"exec_sigtrap", test_exec_sigtrap},
	{"errors", test_errors},
	{"ptrace_kill", test_kill},
	{"attach_sibling_detach", test_attach_detach},
	{"tracer_hears_exit_first", test_tracer_hears_exit_first},
	{"tracer_exit_releases", test_tracer_exit},
	{"reparent_keeps_tracer", test_reparent_keeps_tracer},
	{"threaded_tracee", test_threaded_tracee},
	{"attach_init", test_attach_init},
};
#define N_TESTS (sizeof tests / sizeof tests[0])

int main(int argc, char **argv)
{
	return check_main("ptrace", "PTRACE", tests, N_TESTS, argc, argv);
}
