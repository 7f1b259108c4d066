/* /init for Scythe's initramfs images: pid 1 on Linux today, on Scythe later.
 *
 * Configuration comes from argv and the environment, as the kernel passes
 * its command line to init. Linux gives init every word it does not know:
 * `key=value` words go to the environment and bare words to argv, EXCEPT
 * words whose name contains a dot before any '=' (taken for module
 * parameters and dropped). Words after " -- " go to argv unchanged, dots and
 * all, so put init's options there:
 *
 *   console=ttyS0 quiet panic=-1 -- scythe.run=storm,wait_semantics storm.workers=4
 *
 * Words understood (from argv or environment alike):
 *   scythe.run=P1,P2,...  programs to run one after the other, /bin/P (or a path
 *                         containing '/'); default: storm
 *   scythe.bin=DIR        where programs live (default /bin)
 *   P.opt=value           passed to P as "--opt value"
 *   P.opt or P.opt=       passed to P as "--opt" (a flag)
 *   P.opt=v1:v2:v3        P runs once per value (the first such option only)
 * storm gets --workers <CPUs from sched_getaffinity> --seconds 2 unless given.
 * Any other word is ignored.
 *
 * init reaps every child, including orphans reparented to it, and prints
 *   INIT: run <path> <args...>
 *   INIT: <prog> exited status <code>        (or: status signal <n>)
 *   INIT: reaped <n> orphans
 *   INIT: done, <n> failures
 * then powers off with reboot(RB_POWER_OFF). A program counts as failed if it
 * exits non-zero, is killed, or cannot be executed. Nothing here needs /proc,
 * /dev or a mounted filesystem: fds 0-2 are the console the kernel opened;
 * only if fd 1 is not open does init open /dev/console (mounting devtmpfs on
 * /dev first if needed).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common.h"

#define MAX_WORDS 64
#define MAX_PROGS 16
#define MAX_ARGS 48

static const char *opts[MAX_WORDS]; /* "prog.opt" or "prog.opt=value" */
static int nopts;
static const char *run_list;
static const char *bindir = "/bin";
static unsigned long orphans_reaped;

static void take_word(const char *w)
{
	if (!strncmp(w, "scythe.run=", 11))
		run_list = w + 11;
	else if (!strncmp(w, "scythe.bin=", 11))
		bindir = w + 11;
	else if (!strncmp(w, "scythe.", 7))
		return; /* for the kernel */
	else if (strchr(w, '.') && (!strchr(w, '=') || strchr(w, '.') < strchr(w, '=')) && nopts < MAX_WORDS)
		opts[nopts++] = w;
}

static void console(void)
{
	if (write(1, "", 0) == 0)
		return;
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0) {
		mkdir("/dev", 0755);
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
	}
	if (fd < 0)
		return; /* nowhere to print; still run and power off */
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static unsigned cpu_count(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return 1;
	int n = CPU_COUNT(&set);
	return n > 0 ? (unsigned)n : 1;
}

/* Wait for `pid`, reaping (and counting) any orphan that turns up first. */
static int wait_for(pid_t pid, int *status)
{
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == pid) {
			*status = st;
			return 0;
		}
		orphans_reaped++;
	}
}

/* Reap what is left; give stragglers up to 10 s. Returns how many remain. */
static int drain(void)
{
	for (int tries = 0; tries < 1000; tries++) {
		int st;
		pid_t w;
		while ((w = waitpid(-1, &st, WNOHANG)) > 0)
			orphans_reaped++;
		if (w < 0 && errno == ECHILD)
			return 0;
		if (w < 0 && errno != EINTR)
			return -1;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return 1;
}

static int run_one(const char *prog, char **argv)
{
	static char *envp[] = {"HOME=/", "TERM=linux", "PATH=/bin", NULL};
	char line[400];
	size_t n = 0;
	for (int i = 0; argv[i] && n < sizeof line - 1; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", i ? " " : "", argv[i]);
	say("INIT: run %s", line);

	pid_t pid = fork();
	if (pid < 0) {
		say("INIT: %s: fork failed: %s", prog, strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execve(argv[0], argv, envp);
		say("INIT: %s: exec %s failed: %s", prog, argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	if (wait_for(pid, &st) < 0) {
		say("INIT: %s: wait failed: %s", prog, strerror(errno));
		return 1;
	}
	if (WIFEXITED(st)) {
		say("INIT: %s exited status %d", prog, WEXITSTATUS(st));
		return WEXITSTATUS(st) != 0;
	}
	if (WIFSIGNALED(st))
		say("INIT: %s exited status signal %d", prog, WTERMSIG(st));
	else
		say("INIT: %s exited status raw 0x%x", prog, st);
	return 1;
}

/* Build the argument lists of `prog` and run it (once per value of a swept option). */
static int run_prog(const char *prog, unsigned cpus)
{
	static char bufs[MAX_ARGS][256]; /* room for wait_semantics.only=<a long list> */
	char *argv[MAX_ARGS + 1];
	int argc = 0, nb = 0;
	size_t plen = strlen(prog);
	int have_workers = 0, have_seconds = 0;
	int sweep_arg = -1;
	const char *sweep_vals = NULL;

	if (strchr(prog, '/'))
		snprintf(bufs[nb], sizeof bufs[nb], "%s", prog);
	else
		snprintf(bufs[nb], sizeof bufs[nb], "%s/%s", bindir, prog);
	argv[argc++] = bufs[nb++];

	for (int i = 0; i < nopts && argc < MAX_ARGS - 6; i++) {
		const char *w = opts[i];
		if (strncmp(w, prog, plen) != 0 || w[plen] != '.')
			continue;
		const char *name = w + plen + 1;
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		snprintf(bufs[nb], sizeof bufs[nb], "--%.*s", (int)nlen, name);
		argv[argc++] = bufs[nb++];
		if (!strcmp(bufs[nb - 1], "--workers"))
			have_workers = 1;
		if (!strcmp(bufs[nb - 1], "--seconds"))
			have_seconds = 1;
		if (eq && eq[1]) {
			if (strchr(eq + 1, ':') && sweep_arg < 0) {
				sweep_arg = argc;
				sweep_vals = eq + 1;
			}
			snprintf(bufs[nb], sizeof bufs[nb], "%s", eq + 1);
			argv[argc++] = bufs[nb++];
		}
	}
	if (!strcmp(prog, "storm")) {
		if (!have_workers) {
			argv[argc++] = "--workers";
			snprintf(bufs[nb], sizeof bufs[nb], "%u", cpus);
			argv[argc++] = bufs[nb++];
		}
		if (!have_seconds) {
			argv[argc++] = "--seconds";
			argv[argc++] = "2";
		}
	}
	argv[argc] = NULL;

	if (sweep_arg < 0)
		return run_one(prog, argv);
	int failures = 0;
	char val[128];
	for (const char *v = sweep_vals; *v;) {
		size_t l = strcspn(v, ":");
		snprintf(val, sizeof val, "%.*s", (int)l, v);
		argv[sweep_arg] = val;
		failures += run_one(prog, argv);
		v += l;
		if (*v == ':')
			v++;
	}
	return failures;
}

int main(int argc, char **argv, char **envp)
{
	console();
	for (int i = 1; i < argc; i++)
		take_word(argv[i]);
	for (char **e = envp; e && *e; e++)
		take_word(*e);
	unsigned cpus = cpu_count();
	say("INIT: scythe init, pid %d, %u cpus", (int)getpid(), cpus);

	char list[256];
	snprintf(list, sizeof list, "%s", run_list && *run_list ? run_list : "storm");
	int failures = 0;
	char *save = NULL;
	for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
		failures += run_prog(p, cpus);

	int left = drain();
	say("INIT: reaped %lu orphans", orphans_reaped);
	if (left) {
		say("INIT: children still alive after 10 s");
		failures++;
	}
	say("INIT: done, %d failures", failures);
	if (getpid() == 1) {
		reboot(RB_POWER_OFF);
		say("INIT: reboot(RB_POWER_OFF) failed: %s", strerror(errno));
	}
	return failures ? 1 : 0;
}
