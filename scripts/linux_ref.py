#!/usr/bin/env python3
"""Run Scythe's user programs on Debian's Linux kernel (the oracle) in QEMU.

Boots the newest /boot/vmlinuz-* with the initramfs under the same QEMU flags
Scythe is booted with (scripts/qemu_run.py's command line), lets /init run
the programs, and prints the result lines (INIT:, STORM, TEST, WAIT_SEMANTICS).

  linux_ref.py --cpus 2 --run storm storm.workers=4 storm.seconds=2
  linux_ref.py --run wait_semantics --expect '^WAIT_SEMANTICS .* failed=0'

Words after the options (prog.opt=value) are init's options, put after " -- "
on the kernel command line: Linux drops dotted words before it as module
parameters. Exit status 0 only if QEMU powered off before --timeout and init
printed "INIT: done, 0 failures" (and every --expect matched); otherwise the
tail of the serial log is shown. Linux powers off through ACPI, so QEMU exits
0 and there is no isa-debug-exit status to check.

As a module: boot(...) returns a Result; storm_lines(lines) parses STORM lines.
"""
import argparse
import glob
import os
import re
import shlex
import subprocess
import sys
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import qemu_run  # noqa: E402  (same QEMU flags as Scythe's boots)

DEFAULT_INITRD = os.path.join(ROOT, "build", "user", "initramfs.cpio")
RESULT_RX = re.compile(r"^(INIT:|STORM|TEST |WAIT_SEMANTICS)")
DONE_RX = re.compile(r"^INIT: done, (\d+) failures", re.MULTILINE)


def find_kernel():
    def version_key(path):
        return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", path)]

    found = sorted(glob.glob("/boot/vmlinuz-*"), key=version_key)
    if not found:
        sys.exit("linux_ref: no /boot/vmlinuz-* found: install Debian's kernel: apt-get install linux-image-amd64")
    kernel = found[-1]
    if not os.access(kernel, os.R_OK):
        sys.exit(f"linux_ref: {kernel} is not readable (Debian makes it 0600): run as root or chmod a+r it")
    return kernel


def boot(initrd, cpus=2, words=(), timeout=120.0, kernel=None, accel="tcg", mem="512M", append=""):
    """Boot Linux with `initrd`; init's options `words` go after ' -- '."""
    kernel = kernel or find_kernel()
    if not os.path.exists(initrd):
        sys.exit(f"linux_ref: initramfs not found: {initrd} (build it: cmake --build <build> --target user-initramfs)")
    cmdline = "console=ttyS0 quiet panic=-1"
    if append:
        cmdline += " " + append
    if words:
        cmdline += " -- " + " ".join(words)
    ns = SimpleNamespace(
        qemu="qemu-system-x86_64", machine="pc", cpu=os.environ.get("SCYTHE_QEMU_CPU", "max"), cpus=cpus, mem=mem,
        kernel=kernel, accel=accel, append=cmdline, initrd=initrd, gdb=False, qemu_arg=[])
    cmd = qemu_run.qemu_command(ns)
    start = time.monotonic()
    timed_out = False
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc, timed_out = e.stdout or b"", None, True
    text = out.decode("utf-8", "replace").replace("\r", "")
    lines = text.splitlines()
    problems = []
    if timed_out:
        problems.append(f"timed out after {timeout:.0f} s (QEMU killed)")
    elif rc != 0:
        problems.append(f"QEMU exit code {rc} (expected 0: ACPI power-off)")
    m = DONE_RX.search(text)
    if not m:
        problems.append("init never printed 'INIT: done, N failures'")
    elif m.group(1) != "0":
        problems.append(f"init reported {m.group(1)} failures")
    return SimpleNamespace(ok=not problems, problems=problems, lines=lines, text=text, cmd=cmd,
                           elapsed=time.monotonic() - start, kernel=kernel)


def storm_lines(lines):
    """The STORM summary lines as dicts of their key=value fields (rate as int)."""
    out = []
    for line in lines:
        if line.startswith("STORM workers="):
            d = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
            d["rate"] = int(d["rate"].rstrip("/s"))
            out.append(d)
    return out


def report_failure(res, tail=40):
    print("FAIL linux_ref (%.1f s):" % res.elapsed, file=sys.stderr)
    for pr in res.problems:
        print(f"  - {pr}", file=sys.stderr)
    print("  command: " + " ".join(shlex.quote(c) for c in res.cmd), file=sys.stderr)
    print(f"--- serial log, last {tail} lines ---", file=sys.stderr)
    print("\n".join(res.lines[-tail:]) or "(no serial output)", file=sys.stderr)
    print("--- end of serial log ---", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("words", nargs="*", help="init options, e.g. storm.workers=4 storm.orphans")
    p.add_argument("--initrd", default=DEFAULT_INITRD)
    p.add_argument("--kernel", default=None, help="Linux image (default: newest /boot/vmlinuz-*)")
    p.add_argument("--cpus", type=int, default=2)
    p.add_argument("--mem", default="512M")
    p.add_argument("--accel", choices=["tcg", "kvm"], default="tcg")
    p.add_argument("--run", default="", help="programs for init, comma-separated (scythe.run=)")
    p.add_argument("--append", default="", help="extra kernel command-line words (before ' -- ')")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--expect", action="append", default=[], help="regex that must match a line (repeatable)")
    p.add_argument("--log", default="", help="write the whole serial log here")
    p.add_argument("-v", "--verbose", action="store_true", help="print the whole serial log")
    args = p.parse_args()

    words = ([f"scythe.run={args.run}"] if args.run else []) + args.words
    res = boot(args.initrd, args.cpus, words, args.timeout, args.kernel, args.accel, args.mem, args.append)
    if args.log:
        with open(args.log, "w") as f:
            f.write(res.text)
    for rx in args.expect:
        if not re.search(rx, res.text, re.MULTILINE):
            res.problems.append(f"expected output not seen: /{rx}/")
            res.ok = False
    for line in res.lines:
        if args.verbose or RESULT_RX.match(line):
            print(line)
    if not res.ok:
        report_failure(res)
        sys.exit(1)
    print(f"PASS linux_ref ({os.path.basename(res.kernel)}, {args.cpus} vCPUs, {res.elapsed:.1f} s)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
