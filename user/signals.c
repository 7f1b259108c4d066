/* signals: self-checking tests of signal generation and delivery, compared
 * line by line with Linux (the differential harness). Every line is
 * deterministic; where a test needs a signal to land while the process
 * sleeps or computes, a "pinger" child keeps signalling until the test has
 * seen enough, so the outcome never depends on timing.
 *
 *   TEST <name> ok | FAIL <what> | skip <why>
 *   SIGNALS tests=N passed=P failed=F skipped=S
 *
 * Options as every check.h program: --only a,b  --skip a,b  --list
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

static volatile sig_atomic_t hits, order_pos;
static volatile int order[8];
static volatile siginfo_t last_info;
static volatile unsigned long mask_in_handler;

static void set_action(int sig, void (*fn)(int), int flags, const sigset_t *mask)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	if (mask)
		sa.sa_mask = *mask;
	EXPECT(sigaction(sig, &sa, NULL) == 0, "sigaction(%d): errno %d", sig, errno);
}

static void set_info_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	EXPECT(sigaction(sig, &sa, NULL) == 0, "sigaction(%d): errno %d", sig, errno);
}

static void reset(int sig)
{
	signal(sig, SIG_DFL);
}

/* Blocks `sig`; the previous mask goes to *old. */
static void block_one(int sig, sigset_t *old)
{
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, sig);
	sigprocmask(SIG_BLOCK, &m, old);
}

static unsigned long current_mask(void)
{
	sigset_t s;
	sigprocmask(SIG_BLOCK, NULL, &s);
	unsigned long m = 0;
	for (int i = 1; i < 64; i++)
		if (sigismember(&s, i))
			m |= 1ul << (i - 1);
	return m;
}

static void on_hit(int sig)
{
	(void)sig;
	hits++;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	memcpy((void *)&last_info, si, sizeof *si);
	hits++;
}

/* A child that sends `sig` to the parent every millisecond until killed. */
static pid_t start_pinger(int sig)
{
	pid_t parent = getpid();
	pid_t p = fork();
	if (p == 0) {
		for (;;) {
			kill(parent, sig);
			struct timespec ts = {0, 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	return p;
}

static void stop_pinger(pid_t p)
{
	kill(p, SIGKILL);
	expect_wait("reap the pinger", p, 0, p, 0, SIGKILL);
}

static void test_handler_siginfo(void)
{
	begin("handler_siginfo");
	hits = 0;
	set_info_action(SIGUSR1, on_info, 0);
	kill(getpid(), SIGUSR1);
	EXPECT(hits == 1, "handler ran %d times", (int)hits);
	EXPECT(last_info.si_signo == SIGUSR1 && last_info.si_code == SI_USER && last_info.si_pid == getpid() &&
	           last_info.si_uid == getuid(),
	       "siginfo: signo %d code %d pid %s", last_info.si_signo, last_info.si_code,
	       last_info.si_pid == getpid() ? "self" : "other");
	hits = 0;
	syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1);
	syscall(SYS_tkill, getpid(), SIGUSR1);
	EXPECT(hits == 2, "tgkill + tkill: handler ran %d times", (int)hits);
	errno = 0;
	EXPECT(syscall(SYS_tgkill, getpid(), 0x3ffffff0, SIGUSR1) == -1 && errno == ESRCH,
	       "tgkill(unused tid): errno %d", errno);
	reset(SIGUSR1);
	end();
}

static void on_usr1_record(int sig)
{
	order[order_pos++] = sig;
	mask_in_handler = current_mask();
	kill(getpid(), SIGUSR2); /* blocked by sa_mask: runs after this handler returns */
	order[order_pos++] = -sig;
}

static void on_usr2_record(int sig)
{
	order[order_pos++] = sig;
	order[order_pos++] = -sig;
}

static void test_mask_in_handler(void)
{
	begin("mask_in_handler");
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	order_pos = 0;
	unsigned long before = current_mask();
	set_action(SIGUSR1, on_usr1_record, 0, &m);
	set_action(SIGUSR2, on_usr2_record, 0, NULL);
	kill(getpid(), SIGUSR1);
	unsigned long want = (1ul << (SIGUSR1 - 1)) | (1ul << (SIGUSR2 - 1));
	EXPECT((mask_in_handler & want) == want, "in the handler USR1 and USR2 are not both blocked");
	EXPECT(order_pos == 4 && order[0] == SIGUSR1 && order[1] == -SIGUSR1 && order[2] == SIGUSR2 &&
	           order[3] == -SIGUSR2,
	       "order: %d events (%d %d %d %d)", (int)order_pos, order[0], order[1], order[2], order[3]);
	EXPECT(current_mask() == before, "the mask is not restored after the handlers");
	reset(SIGUSR1);
	reset(SIGUSR2);
	end();
}

static void on_nodefer(int sig)
{
	mask_in_handler = current_mask();
	hits++;
	(void)sig;
}

static void test_flags(void)
{
	begin("nodefer_resethand");
	hits = 0;
	set_action(SIGUSR1, on_nodefer, SA_NODEFER, NULL);
	kill(getpid(), SIGUSR1);
	EXPECT(hits == 1 && !(mask_in_handler & (1ul << (SIGUSR1 - 1))), "SA_NODEFER: USR1 blocked in its handler");
	set_action(SIGUSR1, on_nodefer, SA_RESETHAND, NULL);
	kill(getpid(), SIGUSR1);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	EXPECT(hits == 2 && now.sa_handler == SIG_DFL, "SA_RESETHAND: handler still installed after delivery");
	/* Default action after the reset: the next USR1 kills; check in a child. */
	pid_t p = fork();
	if (p == 0) {
		set_action(SIGUSR1, on_nodefer, SA_RESETHAND, NULL);
		kill(getpid(), SIGUSR1);
		kill(getpid(), SIGUSR1);
		_exit(0);
	}
	expect_wait("the second USR1 kills", p, 0, p, 0, SIGUSR1);
	reset(SIGUSR1);
	end();
}

static void test_block_pending(void)
{
	begin("block_pending");
	hits = 0;
	set_action(SIGUSR1, on_hit, 0, NULL);
	sigset_t old, pend;
	block_one(SIGUSR1, &old);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	EXPECT(hits == 0, "a blocked signal was delivered");
	sigpending(&pend);
	EXPECT(sigismember(&pend, SIGUSR1), "sigpending does not show USR1");
	sigprocmask(SIG_SETMASK, &old, NULL);
	EXPECT(hits == 1, "unblocking delivered %d times (standard signals do not queue)", (int)hits);
	sigpending(&pend);
	EXPECT(!sigismember(&pend, SIGUSR1), "USR1 still pending after delivery");
	/* Ignoring a pending signal discards it. */
	block_one(SIGUSR1, &old);
	kill(getpid(), SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	sigpending(&pend);
	EXPECT(!sigismember(&pend, SIGUSR1), "SIG_IGN did not discard the pending USR1");
	sigprocmask(SIG_SETMASK, &old, NULL);
	reset(SIGUSR1);
	end();
}

static void on_fp(int sig)
{
	/* Clobbers the SSE registers the interrupted code may be using. */
	volatile double a = sig * 1.25, b = 3.5;
	for (int i = 0; i < 16; i++)
		a = a * b - (double)i / 7.0;
	hits++;
}

static unsigned long compute(int n, double *out)
{
	unsigned long h = 1469598103934665603ul;
	double x = 0.5;
	for (int i = 0; i < n; i++) {
		h = (h ^ (unsigned long)i) * 1099511628211ul;
		x = x * 1.000001 + (double)(h & 0xff) / 256.0;
	}
	*out = x;
	return h;
}

static void test_registers_preserved(void)
{
	begin("registers_preserved");
	double want_x, got_x;
	unsigned long want = compute(200000, &want_x);
	hits = 0;
	set_action(SIGUSR1, on_fp, SA_RESTART, NULL);
	pid_t pinger = start_pinger(SIGUSR1);
	int rounds = 0, bad = 0;
	while (hits < 20 && rounds < 100000) {
		unsigned long got = compute(200000, &got_x);
		bad += got != want || got_x != want_x;
		rounds++;
	}
	stop_pinger(pinger);
	EXPECT(hits >= 20, "only %d signals in %d rounds", (int)hits, rounds);
	EXPECT(bad == 0, "%d of %d computations changed under signal handlers", bad, rounds);
	reset(SIGUSR1);
	end();
}

static void test_sa_restart(void)
{
	begin("sa_restart");
	int fds[2];
	if (pipe(fds) < 0) {
		EXPECT(0, "pipe: errno %d", errno);
		end();
		return;
	}
	hits = 0;
	set_action(SIGUSR1, on_hit, SA_RESTART, NULL);
	pid_t parent = getpid();
	pid_t p = fork();
	if (p == 0) {
		close(fds[0]);
		for (int i = 0; i < 20; i++) {
			kill(parent, SIGUSR1);
			struct timespec ts = {0, 2 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		write(fds[1], "x", 1);
		_exit(0);
	}
	close(fds[1]);
	char c = 0;
	errno = 0;
	long r = syscall(SYS_read, fds[0], &c, 1); /* raw: no libc retry */
	EXPECT(r == 1 && c == 'x', "read under SA_RESTART returned %ld errno %d", r, errno);
	EXPECT(hits >= 1, "no signal arrived");
	close(fds[0]);
	expect_wait("reap the sender", p, 0, p, 0, 0);
	reset(SIGUSR1);
	end();
}

static volatile int chld_code, chld_status, chld_from_child;
static pid_t chld_expect;
static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld_code = si->si_code;
	chld_status = si->si_status;
	chld_from_child = si->si_pid == chld_expect;
	hits++;
}

/* Waits (sigsuspend, SIGCHLD blocked otherwise) for one SIGCHLD and checks it. */
static void expect_sigchld(const char *what, int code, int status)
{
	sigset_t none;
	sigemptyset(&none);
	while (!hits)
		sigsuspend(&none);
	EXPECT(hits == 1 && chld_code == code && chld_status == status && chld_from_child,
	       "%s: %d signals, code %d status %d%s", what, (int)hits, chld_code, chld_status,
	       chld_from_child ? "" : ", not from the child");
	hits = 0;
}

static void test_sigchld_info(void)
{
	begin("sigchld_info");
	sigset_t old;
	block_one(SIGCHLD, &old);
	hits = 0;
	set_info_action(SIGCHLD, on_chld, 0);

	chld_expect = -1;
	pid_t p = chld_expect = spawn_exit(5);
	expect_sigchld("exit", CLD_EXITED, 5);
	expect_wait("reap the exited child", p, 0, p, 0, 5 << 8);

	int wfd;
	p = chld_expect = spawn_blocked(0, &wfd);
	kill(p, SIGTERM);
	expect_sigchld("killed", CLD_KILLED, SIGTERM);
	expect_wait("reap the killed child", p, 0, p, 0, SIGTERM);
	close(wfd);

	p = chld_expect = spawn_blocked(0, &wfd);
	kill(p, SIGSTOP);
	expect_sigchld("stopped", CLD_STOPPED, SIGSTOP);
	expect_wait("WUNTRACED", p, WUNTRACED, p, 0, 0x137f);
	kill(p, SIGCONT);
	expect_sigchld("continued", CLD_CONTINUED, SIGCONT);
	expect_wait("WCONTINUED", p, WCONTINUED, p, 0, 0xffff);
	close(wfd);
	expect_sigchld("exit after continue", CLD_EXITED, 0);
	expect_wait("reap", p, 0, p, 0, 0);

	/* SA_NOCLDSTOP: a stop sends nothing; the exit still does. */
	set_info_action(SIGCHLD, on_chld, SA_NOCLDSTOP);
	p = chld_expect = spawn_blocked(0, &wfd);
	kill(p, SIGSTOP);
	expect_wait("WUNTRACED with SA_NOCLDSTOP", p, WUNTRACED, p, 0, 0x137f);
	sigset_t pend;
	sigpending(&pend);
	EXPECT(!sigismember(&pend, SIGCHLD), "SA_NOCLDSTOP: SIGCHLD pending after a stop");
	kill(p, SIGKILL);
	expect_sigchld("killed while stopped", CLD_KILLED, SIGKILL);
	expect_wait("reap the stopped child killed", p, 0, p, 0, SIGKILL);
	close(wfd);

	reset(SIGCHLD);
	sigprocmask(SIG_SETMASK, &old, NULL);
	end();
}

static void test_sigpipe(void)
{
	begin("sigpipe");
	pid_t p = fork();
	if (p == 0) {
		int fds[2];
		pipe(fds);
		close(fds[0]);
		write(fds[1], "x", 1);
		_exit(0);
	}
	expect_wait("a write to a pipe with no reader kills", p, 0, p, 0, SIGPIPE);
	signal(SIGPIPE, SIG_IGN);
	int fds[2];
	if (pipe(fds) == 0) {
		close(fds[0]);
		errno = 0;
		EXPECT(write(fds[1], "x", 1) == -1 && errno == EPIPE, "SIGPIPE ignored: errno %d", errno);
		close(fds[1]);
	}
	reset(SIGPIPE);
	end();
}

static void test_default_ignore(void)
{
	begin("default_ignore");
	pid_t p = fork();
	if (p == 0) {
		kill(getpid(), SIGCHLD);
		kill(getpid(), SIGURG);
		kill(getpid(), SIGWINCH);
		kill(getpid(), SIGCONT);
		_exit(3);
	}
	expect_wait("CHLD, URG, WINCH, CONT do not kill", p, 0, p, 0, 3 << 8);
	static const int deadly[] = {SIGHUP, SIGINT, SIGQUIT, SIGALRM, SIGTERM, SIGUSR2, 40 /* a real-time signal */};
	for (unsigned i = 0; i < sizeof deadly / sizeof deadly[0]; i++) {
		p = fork();
		if (p == 0) {
			kill(getpid(), deadly[i]);
			_exit(0);
		}
		char what[48];
		snprintf(what, sizeof what, "signal %d kills", deadly[i]);
		expect_wait(what, p, 0, p, 0, deadly[i]);
	}
	end();
}

static void test_bad_args(void)
{
	begin("bad_args");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_hit;
	errno = 0;
	EXPECT(sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL, "catch SIGKILL: errno %d", errno);
	errno = 0;
	EXPECT(sigaction(SIGSTOP, &sa, NULL) == -1 && errno == EINVAL, "catch SIGSTOP: errno %d", errno);
	errno = 0;
	EXPECT(syscall(SYS_rt_sigaction, 0, &sa, NULL, 8) == -1 && errno == EINVAL, "signal 0: errno %d", errno);
	errno = 0;
	EXPECT(syscall(SYS_rt_sigaction, 65, &sa, NULL, 8) == -1 && errno == EINVAL, "signal 65: errno %d", errno);
	errno = 0;
	EXPECT(syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, 8) == -1 && errno == EFAULT,
	       "bad act pointer: errno %d", errno);
	errno = 0;
	EXPECT(syscall(SYS_rt_sigprocmask, 7, &sa.sa_mask, NULL, 8) == -1 && errno == EINVAL,
	       "sigprocmask how 7: errno %d", errno);
	errno = 0;
	EXPECT(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8) == -1 && errno == EFAULT,
	       "sigprocmask bad set: errno %d", errno);
	errno = 0;
	EXPECT(kill(getpid(), 65) == -1 && errno == EINVAL, "kill signal 65: errno %d", errno);
	errno = 0;
	EXPECT(kill(0x3ffffff0, 0) == -1 && errno == ESRCH, "kill unused pid: errno %d", errno);
	errno = 0;
	EXPECT(kill(-0x3ffffff0, SIGUSR1) == -1 && errno == ESRCH, "kill unused group: errno %d", errno);
	/* SIGKILL and SIGSTOP cannot be blocked. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	unsigned long m = current_mask();
	EXPECT(!(m & (1ul << (SIGKILL - 1))) && !(m & (1ul << (SIGSTOP - 1))), "SIGKILL or SIGSTOP blocked");
	sigprocmask(SIG_SETMASK, &old, NULL);
	end();
}

static void test_kill_group(void)
{
	begin("kill_group");
	int wfd[3];
	pid_t p[3];
	for (int i = 0; i < 3; i++) {
		p[i] = spawn_blocked(0, &wfd[i]);
		setpgid(p[i], p[0]); /* both sides: no race with the child */
	}
	EXPECT(kill(-p[0], 0) == 0, "kill(-pgid, 0): errno %d", errno);
	EXPECT(kill(-p[0], SIGTERM) == 0, "kill(-pgid, SIGTERM): errno %d", errno);
	for (int i = 0; i < 3; i++) {
		expect_wait("group member killed", p[i], 0, p[i], 0, SIGTERM);
		close(wfd[i]);
	}
	errno = 0;
	EXPECT(kill(-p[0], 0) == -1 && errno == ESRCH, "kill(empty group): errno %d", errno);
	end();
}

static void test_sigsuspend(void)
{
	begin("sigsuspend_pause");
	hits = 0;
	set_action(SIGUSR1, on_hit, 0, NULL);
	sigset_t old, none;
	block_one(SIGUSR1, &old);
	pid_t parent = getpid();
	pid_t p = fork();
	if (p == 0) {
		kill(parent, SIGUSR1);
		_exit(0);
	}
	sigemptyset(&none);
	errno = 0;
	int r = sigsuspend(&none);
	EXPECT(r == -1 && errno == EINTR && hits == 1, "sigsuspend: %d errno %d, %d signals", r, errno, (int)hits);
	EXPECT(current_mask() & (1ul << (SIGUSR1 - 1)), "sigsuspend did not restore the mask");
	expect_wait("reap", p, 0, p, 0, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);

	hits = 0;
	pid_t pinger = start_pinger(SIGUSR1);
	errno = 0;
	r = pause();
	EXPECT(r == -1 && errno == EINTR && hits >= 1, "pause: %d errno %d", r, errno);
	stop_pinger(pinger);
	reset(SIGUSR1);
	end();
}

static void test_nanosleep_eintr(void)
{
	begin("nanosleep_eintr");
	hits = 0;
	set_action(SIGUSR1, on_hit, SA_RESTART, NULL); /* nanosleep is never restarted */
	pid_t pinger = start_pinger(SIGUSR1);
	struct timespec ts = {30, 0}, rem = {-1, -1};
	errno = 0;
	int r = nanosleep(&ts, &rem);
	int e = errno;
	stop_pinger(pinger);
	EXPECT(r == -1 && e == EINTR && hits >= 1, "nanosleep: %d errno %d", r, e);
	EXPECT(rem.tv_sec >= 0 && rem.tv_sec <= 30 && rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000,
	       "rem not written sensibly");
	reset(SIGUSR1);
	end();
}

static sigjmp_buf fault_jmp;
static volatile int fault_sig, fault_code;
static volatile uintptr_t fault_addr;
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = (uintptr_t)si->si_addr;
	siglongjmp(fault_jmp, 1);
}

static volatile int zero;

/* Runs `what` with handlers for the fault signals; records what arrived. */
static void catch_fault(void (*what)(void))
{
	fault_sig = fault_code = 0;
	fault_addr = 0;
	if (sigsetjmp(fault_jmp, 1) == 0)
		what();
}
static void write_null16(void)
{
	volatile int *volatile p = (volatile int *)16; /* through a variable: no bounds warning */
	*p = 1;
}
static char *ro_page;
static void write_readonly(void)
{
	*(volatile char *)ro_page = 1;
}
static void divide_by_zero(void)
{
	/* A real idiv: the compiler would turn 1 / x into compares. */
	int lo = 1, hi = 0, d = zero;
	__asm__ volatile("idivl %2" : "+a"(lo), "+d"(hi) : "r"(d));
}
static void illegal_instruction(void)
{
	__asm__ volatile("ud2");
}

static void test_faults(void)
{
	begin("fault_signals");
	static const int sigs[] = {SIGSEGV, SIGFPE, SIGILL};
	for (unsigned i = 0; i < 3; i++)
		set_info_action(sigs[i], on_fault, 0);
	catch_fault(write_null16);
	EXPECT(fault_sig == SIGSEGV && fault_code == SEGV_MAPERR && fault_addr == 16,
	       "write to 16: signal %d code %d addr %s", fault_sig, fault_code, fault_addr == 16 ? "16" : "other");
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	catch_fault(write_readonly);
	EXPECT(fault_sig == SIGSEGV && fault_code == SEGV_ACCERR && fault_addr == (uintptr_t)ro_page,
	       "write to a read-only page: signal %d code %d", fault_sig, fault_code);
	munmap(ro_page, 4096);
	catch_fault(divide_by_zero);
	EXPECT(fault_sig == SIGFPE && fault_code == FPE_INTDIV, "divide by zero: signal %d code %d", fault_sig,
	       fault_code);
	catch_fault(illegal_instruction);
	EXPECT(fault_sig == SIGILL && fault_code == ILL_ILLOPN, "ud2: signal %d code %d", fault_sig, fault_code);
	for (unsigned i = 0; i < 3; i++)
		reset(sigs[i]);
	/* No handler, a blocked or an ignored one: the process dies of the signal. */
	pid_t p = fork();
	if (p == 0)
		divide_by_zero();
	expect_wait("unhandled divide by zero", p, 0, p, 0, SIGFPE);
	p = fork();
	if (p == 0) {
		set_info_action(SIGSEGV, on_fault, 0);
		sigset_t m;
		block_one(SIGSEGV, &m);
		write_null16();
		_exit(0);
	}
	expect_wait("blocked SIGSEGV still kills", p, 0, p, 0, SIGSEGV);
	p = fork();
	if (p == 0) {
		signal(SIGILL, SIG_IGN);
		illegal_instruction();
		_exit(0);
	}
	expect_wait("ignored SIGILL still kills", p, 0, p, 0, SIGILL);
	end();
}

static char alt_mem[64 * 1024] __attribute__((aligned(16)));
static volatile int on_alt, alt_flags_inside, eperm_inside;
static void on_usr1_where(int sig)
{
	(void)sig;
	char here;
	on_alt = &here >= alt_mem && &here < alt_mem + sizeof alt_mem;
	stack_t now;
	sigaltstack(NULL, &now);
	alt_flags_inside = now.ss_flags;
	stack_t again = {.ss_sp = alt_mem, .ss_size = sizeof alt_mem, .ss_flags = 0};
	errno = 0;
	eperm_inside = sigaltstack(&again, NULL) == -1 && errno == EPERM;
}

static void test_sigaltstack(void)
{
	begin("sigaltstack");
	stack_t old, ss = {.ss_sp = alt_mem, .ss_size = sizeof alt_mem, .ss_flags = 0};
	EXPECT(sigaltstack(NULL, &old) == 0 && old.ss_flags == SS_DISABLE, "initially: flags %d", old.ss_flags);
	EXPECT(sigaltstack(&ss, NULL) == 0, "set: errno %d", errno);
	set_action(SIGUSR1, on_usr1_where, SA_ONSTACK, NULL);
	kill(getpid(), SIGUSR1);
	EXPECT(on_alt, "SA_ONSTACK handler not on the alternate stack");
	EXPECT(alt_flags_inside == SS_ONSTACK, "inside: flags %d, expected SS_ONSTACK", alt_flags_inside);
	EXPECT(eperm_inside, "changing it while on it did not fail EPERM");
	set_action(SIGUSR1, on_usr1_where, 0, NULL);
	kill(getpid(), SIGUSR1);
	EXPECT(!on_alt && alt_flags_inside == 0, "handler without SA_ONSTACK: on %d flags %d", on_alt,
	       alt_flags_inside);
	stack_t small = {.ss_sp = alt_mem, .ss_size = 1024, .ss_flags = 0};
	errno = 0;
	EXPECT(sigaltstack(&small, NULL) == -1 && errno == ENOMEM, "1 KiB stack: errno %d", errno);
	stack_t bad = {.ss_sp = alt_mem, .ss_size = sizeof alt_mem, .ss_flags = 12345};
	errno = 0;
	EXPECT(sigaltstack(&bad, NULL) == -1 && errno == EINVAL, "bad flags: errno %d", errno);
	stack_t off = {.ss_flags = SS_DISABLE};
	EXPECT(sigaltstack(&off, &old) == 0 && old.ss_sp == alt_mem && old.ss_size == sizeof alt_mem,
	       "disable: old stack not reported");
	set_action(SIGUSR1, on_usr1_where, SA_ONSTACK, NULL);
	kill(getpid(), SIGUSR1);
	EXPECT(!on_alt, "SA_ONSTACK with the stack disabled ran on it");
	reset(SIGUSR1);
	end();
}

static const struct check_test tests[] = {
	{"handler_siginfo", test_handler_siginfo},
	{"mask_in_handler", test_mask_in_handler},
	{"nodefer_resethand", test_flags},
	{"block_pending", test_block_pending},
	{"registers_preserved", test_registers_preserved},
	{"sa_restart", test_sa_restart},
	{"sigchld_info", test_sigchld_info},
	{"sigpipe", test_sigpipe},
	{"default_ignore", test_default_ignore},
	{"bad_args", test_bad_args},
	{"kill_group", test_kill_group},
	{"sigsuspend_pause", test_sigsuspend},
	{"nanosleep_eintr", test_nanosleep_eintr},
	{"fault_signals", test_faults},
	{"sigaltstack", test_sigaltstack},
};
#define N_TESTS (sizeof tests / sizeof tests[0])

int main(int argc, char **argv)
{
	return check_main("signals", "SIGNALS", tests, N_TESTS, argc, argv);
}
