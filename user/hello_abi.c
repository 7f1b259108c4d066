/* hello_abi: the Linux x86-64 ABI a single process needs, self-checked.
 *
 * Runs as /init (init=/bin/hello_abi) or under init (scythe.run=hello_abi),
 * on Scythe and on Linux alike. Prints one line per check:
 *   HELLO_ABI <check> ok            or   HELLO_ABI <check> FAILED (<details>)
 * then "HELLO_ABI ok" (or "HELLO_ABI FAILED n") and exits 0 (1). As pid 1
 * it powers off with reboot(RB_POWER_OFF) instead of exiting.
 * Arguments and environment are echoed as "HELLO_ABI argv[i]=..." and
 * "HELLO_ABI env <key>" for keys starting with "hello". With the argument
 * "crash" it stores through a null pointer after the checks instead (the
 * kernel must kill it, not panic).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#include "common.h"

static int failures;

static void check(const char *name, int ok, const char *details)
{
	if (ok) {
		say("HELLO_ABI %s ok", name);
	} else {
		say("HELLO_ABI %s FAILED (%s, errno %d)", name, details, errno);
		failures++;
	}
}

/* write(2) straight through the syscall, so errno is the kernel's answer. */
static long raw_write(int fd, const void *buf, size_t n)
{
	return syscall(SYS_write, fd, buf, n);
}

static void check_write(void)
{
	check("write", raw_write(1, "HELLO_ABI write\n", 16) == 16, "short write");
	struct iovec iov[2] = {{"HELLO_ABI ", 10}, {"writev\n", 7}};
	check("writev", writev(1, iov, 2) == 17, "short writev");
	char c;
	check("read eof", read(0, &c, 1) == 0, "read(0) not 0");
	check("write bad fd", raw_write(7, "x", 1) == -1 && errno == EBADF, "not EBADF");
}

static void check_efault(void)
{
	errno = 0;
	check("efault low", raw_write(1, (void *)1, 5) == -1 && errno == EFAULT, "write((void*)1)");
	errno = 0;
	check("efault kernel", raw_write(1, (void *)0xffffffff80000000ul, 5) == -1 && errno == EFAULT,
	      "write(kernel half)");
	errno = 0;
	check("efault noncanonical",
	      raw_write(1, (void *)0x0000800000000000ul, 5) == -1 && errno == EFAULT,
	      "write(non-canonical)");
	errno = 0;
	check("efault clock", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8) == -1 &&
	                          errno == EFAULT, "clock_gettime(bad)");
	errno = 0;
	check("efault clock kernel",
	      syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)0xffff800000000000ul) == -1 &&
	          errno == EFAULT, "clock_gettime(kernel half)");
	/* A read-only page: the kernel must not write through it either. */
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = 0;
	check("efault readonly", ro != MAP_FAILED &&
	                             syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ro) == -1 &&
	                             errno == EFAULT, "clock_gettime(read-only page)");
	/* An unmapped page after a munmap. */
	char *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(gone, 4096);
	errno = 0;
	check("efault unmapped", raw_write(1, gone, 5) == -1 && errno == EFAULT, "write(unmapped)");
}

static void check_memory(void)
{
	/* The raw call: musl's sbrk refuses any non-zero increment. */
	char *start = (char *)syscall(SYS_brk, 0);
	char *end = (char *)syscall(SYS_brk, start + 64 * 1024);
	int ok = end == start + 64 * 1024;
	for (int i = 0; ok && i < 64 * 1024; i += 4096)
		ok = start[i] == 0 && ((start[i] = (char)i), 1);
	ok = ok && (char *)syscall(SYS_brk, start + 4096) == start + 4096;
	check("brk", ok && (char *)syscall(SYS_brk, 0) == start + 4096, "brk grow/shrink");

	size_t len = 1 << 20;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok = m != MAP_FAILED;
	unsigned long sum = 0;
	for (size_t i = 0; ok && i < len; i += 4096) {
		sum += m[i];
		m[i] = 1;
	}
	check("mmap", ok && sum == 0, "mmap anonymous zero-filled");
	check("mprotect", ok && mprotect(m, 4096, PROT_READ) == 0, "mprotect");
	check("munmap", ok && munmap(m, len) == 0, "munmap");

	void *big = malloc(3 << 20); /* musl takes this from mmap */
	char *small = malloc(100);   /* and this from brk */
	check("malloc", big && small && (memset(big, 7, 3 << 20), strcpy(small, "x"), 1), "malloc");
	free(big);
	free(small);
}

static void check_misc(void)
{
	check("getpid", getpid() > 0 && syscall(SYS_gettid) == getpid(), "getpid/gettid");
	struct timespec a, b;
	check("clock_gettime", clock_gettime(CLOCK_MONOTONIC, &a) == 0, "clock_gettime");
	struct timespec ts = {0, 20 * 1000 * 1000};
	check("nanosleep", nanosleep(&ts, NULL) == 0, "nanosleep");
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	check("clock advances", ms >= 20 && ms < 5000, "20 ms sleep");
	check("sched_yield", sched_yield() == 0, "sched_yield");
	cpu_set_t set;
	check("sched_getaffinity", sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 1,
	      "sched_getaffinity");
	struct utsname u;
	check("uname", uname(&u) == 0 && strcmp(u.machine, "x86_64") == 0, "uname");
	struct winsize ws;
	check("ioctl", ioctl(1, TIOCGWINSZ, &ws) == -1 && errno == ENOTTY, "TIOCGWINSZ not ENOTTY");
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	check("rt_sigprocmask", sigprocmask(SIG_BLOCK, &s, &old) == 0 &&
	                            sigprocmask(SIG_SETMASK, &old, NULL) == 0, "sigprocmask");
	check("rt_sigaction", signal(SIGCHLD, SIG_IGN) != SIG_ERR, "signal(SIGCHLD)");
	/* TLS works: errno lives in the thread block arch_prctl set up. */
	errno = 1234;
	check("tls", errno == 1234, "errno");
	errno = 0;
	check("enosys", syscall(333) == -1 && errno == ENOSYS, "unknown syscall");
}

int main(int argc, char **argv, char **envp)
{
	say("HELLO_ABI start pid %d", (int)getpid());
	for (int i = 0; i < argc; i++)
		say("HELLO_ABI argv[%d]=%s", i, argv[i]);
	for (char **e = envp; *e; e++)
		if (!strncmp(*e, "hello", 5))
			say("HELLO_ABI env %s", *e);
	check_write();
	check_efault();
	check_memory();
	check_misc();
	if (failures)
		say("HELLO_ABI FAILED %d", failures);
	else
		say("HELLO_ABI ok");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "crash")) {
			say("HELLO_ABI crashing");
			*(volatile int *)0 = 1;
		}
	}
	if (getpid() == 1) {
		reboot(RB_POWER_OFF);
		say("HELLO_ABI reboot failed: %s", strerror(errno));
	}
	return failures ? 1 : 0;
}
