#!/usr/bin/env python3
"""Boot a kernel in QEMU under a timeout and judge the run from its serial log.

Used by `./scythe boot|run` (interactive: the console is streamed) and by the
ctest boot tests (quiet: only a verdict, plus the log tail on failure).

A run passes only if ALL of these hold (STYLE.md: exit code AND sentinel):
  * QEMU ended before --timeout;
  * the kernel's exit status (through isa-debug-exit) equals --expect-status;
  * every --expect regex matched some line of the serial log;
  * no --forbid regex matched (by default: panics, BUG and WARNING lines,
    unless --expect-status says a panic is the point of the run).

isa-debug-exit turns the value S the kernel writes to port 0xf4 into QEMU's
exit code (S << 1) | 1. A QEMU exit code of 0 means QEMU stopped some other
way (e.g. ACPI power-off), which carries no status: it counts as status None.
"""
import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time

DEFAULT_FORBID = [r"PANIC", r"\bBUG:", r"\bWARNING:", r"EXCEPTION", r"PAGE FAULT"]
PANIC_STATUS = 3


def qemu_command(args):
    cmd = [
        args.qemu,
        "-machine", "q35" if args.machine == "q35" else "pc",
        "-cpu", args.cpu,
        "-smp", str(args.cpus),
        "-m", args.mem,
        "-display", "none",
        "-monitor", "none",
        "-serial", "stdio",
        "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
        "-kernel", args.kernel,
    ]
    if args.accel == "kvm":
        cmd += ["-accel", "kvm"]
    else:
        cmd += ["-accel", "tcg,thread=multi"]
    if args.append:
        cmd += ["-append", args.append]
    if args.initrd:
        cmd += ["-initrd", args.initrd]
    if args.gdb:
        cmd += ["-s", "-S"]
    cmd += args.qemu_arg
    return cmd


def decode_status(returncode):
    """Kernel status from QEMU's exit code, or None when there is none."""
    if returncode is None or returncode <= 0 or returncode % 2 == 0:
        return None
    return (returncode - 1) >> 1


def tail(lines, n):
    return "".join(lines[-n:]) if lines else "(no serial output)\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel", required=True)
    p.add_argument("--cpus", type=int, default=8)
    p.add_argument("--mem", default="512M")
    p.add_argument("--append", default="")
    p.add_argument("--initrd", default="")
    p.add_argument("--accel", choices=["tcg", "kvm"], default="tcg")
    p.add_argument("--cpu", default=os.environ.get("SCYTHE_QEMU_CPU", "max"))
    p.add_argument("--machine", choices=["pc", "q35"], default="pc")
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--qemu-arg", action="append", default=[], help="extra QEMU argument (repeatable)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds before QEMU is killed")
    p.add_argument("--expect", action="append", default=[], help="regex that must appear (repeatable)")
    p.add_argument("--forbid", action="append", default=None, help="regex that must not appear (repeatable)")
    p.add_argument("--expect-status", type=int, default=0, help="kernel exit status required (panic = 3)")
    p.add_argument("--log", default="", help="write the serial log here")
    p.add_argument("--quiet", action="store_true", help="do not stream the console")
    p.add_argument("--tail", type=int, default=40, help="log lines shown on failure")
    p.add_argument("--gdb", action="store_true", help="start paused with the gdb stub on :1234")
    p.add_argument("--name", default="", help="label used in the verdict line")
    args = p.parse_args()

    if not os.path.exists(args.kernel):
        sys.exit(f"qemu_run: kernel image not found: {args.kernel} (build it first: ./scythe build)")
    forbid = args.forbid
    if forbid is None:
        forbid = [] if args.expect_status == PANIC_STATUS else DEFAULT_FORBID
    cmd = qemu_command(args)
    name = args.name or os.path.basename(args.kernel)
    if not args.quiet:
        print("qemu_run: " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr, flush=True)

    lines = []
    start = time.monotonic()
    interactive = (not args.quiet) and sys.stdin.isatty()
    proc = subprocess.Popen(
        cmd,
        stdin=None if interactive else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=not interactive,
    )

    def pump():
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").replace("\r", "")
            lines.append(line)
            if not args.quiet:
                sys.stdout.write(line)
                sys.stdout.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL) if not interactive else proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()
    except KeyboardInterrupt:
        proc.kill()
        proc.wait()
        reader.join(timeout=2)
        sys.exit(130)
    reader.join(timeout=5)
    elapsed = time.monotonic() - start

    if args.log:
        with open(args.log, "w") as f:
            f.writelines(lines)

    text = "".join(lines)
    status = decode_status(proc.returncode)
    problems = []
    if timed_out:
        problems.append(f"timed out after {args.timeout:.0f} s (QEMU killed)")
    elif status != args.expect_status:
        got = "none (QEMU exit code %d)" % proc.returncode if status is None else str(status)
        problems.append(f"kernel exit status {got}, expected {args.expect_status}")
    for rx in args.expect:
        if not re.search(rx, text, re.MULTILINE):
            problems.append(f"expected output not seen: /{rx}/")
    for rx in forbid:
        m = re.search(rx, text, re.MULTILINE)
        if m:
            line = text[text.rfind("\n", 0, m.start()) + 1 : text.find("\n", m.end())]
            problems.append(f"forbidden output /{rx}/: {line.strip()}")

    if problems:
        print(f"FAIL {name} ({elapsed:.1f} s):", file=sys.stderr)
        for pr in problems:
            print(f"  - {pr}", file=sys.stderr)
        print(f"  command: {' '.join(shlex.quote(c) for c in cmd)}", file=sys.stderr)
        print(f"--- serial log, last {args.tail} lines ---", file=sys.stderr)
        sys.stderr.write(tail(lines, args.tail))
        print("--- end of serial log ---", file=sys.stderr)
        sys.exit(1)
    print(f"PASS {name} ({elapsed:.1f} s, kernel status {status})", file=sys.stderr)


if __name__ == "__main__":
    main()
