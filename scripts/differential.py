#!/usr/bin/env python3
"""Differential test: the same user programs on Scythe and on Debian's Linux (the oracle).

Boots Linux once and Scythe once per lifecycle mode, all with the same initramfs, the same QEMU
flags and vCPU count; /init runs the programs (scythe.run=P1,P2 plus init's P.opt=v words). From
each serial log it keeps the programs' deterministic result lines (--lines, repeatable; default:
TEST lines, the summary lines and hello_abi's checks) and fails on any difference, printing a
unified diff (Linux is the reference) and the serial log tail of the side that differs.

  differential.py --kernel-elf build/kernel/scythe.elf --initrd build/user/initramfs.cpio \\
                  --cpus 2 --modes scalable,seed --run lifecycle_basics
  differential.py ... --run wait_semantics wait_semantics.only=exit_codes,wait_any
  differential.py ... --run hello_abi --lines '^HELLO_ABI (?!start )'

A side fails (exit status 1, log tail shown) unless its boot is clean: Linux powers off through
ACPI before --timeout and init prints 'INIT: done, 0 failures'; Scythe the same, with kernel exit
status 0 and every vCPU online (linux_ref.boot and storm_compare.boot_scythe judge the boots).
A program line that differs between kernels (pids, addresses, timings) must not match --lines:
programs print deterministic lines for comparison.
"""
import argparse
import difflib
import os
import re
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "stress"))

import linux_ref  # noqa: E402
from storm_compare import boot_scythe  # noqa: E402

DEFAULT_LINES = [
    r"^TEST ",
    r"^[A-Z][A-Z_]+ tests=\d+ ",  # summary lines: WAIT_SEMANTICS, LIFECYCLE_BASICS, ...
    r"^HELLO_ABI (?!start )",  # 'HELLO_ABI start pid N' differs by design
    r"^INIT: \S+ exited status ",
]


def result_lines(lines, patterns):
    rx = [re.compile(p) for p in patterns]
    return [ln.rstrip() for ln in lines if any(r.search(ln) for r in rx)]


def show_tail(name, res, tail):
    print(f"--- {name}: serial log, last {tail} lines ---", file=sys.stderr)
    print("\n".join(res.lines[-tail:]) or "(no serial output)", file=sys.stderr)
    print("--- end of serial log ---", file=sys.stderr)


def boot(side, args, words):
    if side == "linux":
        return linux_ref.boot(args.initrd, args.cpus, words, args.timeout, args.linux_kernel, args.accel)
    return boot_scythe(args.kernel_elf, args.initrd, args.cpus, side, words, args.timeout, args.accel)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("words", nargs="*", help="init options, e.g. wait_semantics.only=a,b")
    p.add_argument("--kernel-elf", default=os.path.join(ROOT, "build", "kernel", "scythe.elf"),
                   help="Scythe's kernel ELF")
    p.add_argument("--initrd", default=linux_ref.DEFAULT_INITRD)
    p.add_argument("--linux-kernel", default=None, help="Linux image (default: newest /boot/vmlinuz-*)")
    p.add_argument("--run", required=True, help="programs for init, comma-separated (scythe.run=)")
    p.add_argument("--cpus", type=int, default=2)
    p.add_argument("--modes", default="scalable,seed",
                   help="Scythe lifecycle modes to compare with Linux, comma-separated (scalable, seed)")
    p.add_argument("--lines", action="append", default=None,
                   help="regex selecting the compared lines (repeatable; replaces the default set)")
    p.add_argument("--timeout", type=float, default=80.0, help="seconds per boot before QEMU is killed")
    p.add_argument("--accel", choices=["tcg", "kvm"], default="tcg")
    p.add_argument("--tail", type=int, default=30, help="serial log lines shown for a failing side")
    p.add_argument("--log-dir", default="", help="write each side's whole serial log here")
    p.add_argument("-v", "--verbose", action="store_true", help="print the compared lines")
    args = p.parse_args()

    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in ("scalable", "seed"):
            sys.exit(f"differential: unknown lifecycle mode '{m}' (scalable, seed)")
    if not modes:
        sys.exit("differential: no --modes")
    if not os.path.exists(args.kernel_elf):
        sys.exit(f"differential: Scythe kernel not found: {args.kernel_elf}")
    patterns = args.lines or DEFAULT_LINES
    words = [f"scythe.run={args.run}"] + args.words
    label = f"{args.run} {' '.join(args.words)}".strip() + f", {args.cpus} vCPUs"

    failed = False
    results = {}
    for side in ["linux"] + modes:
        name = "linux" if side == "linux" else f"scythe lifecycle={side}"
        print(f"differential: {label}: booting {name} ...", file=sys.stderr, flush=True)
        res = boot(side, args, words)
        results[side] = res
        if args.log_dir:
            os.makedirs(args.log_dir, exist_ok=True)
            with open(os.path.join(args.log_dir, f"{side}.log"), "w") as f:
                f.write(res.text)
        if not res.ok:
            print(f"FAIL differential: {name} boot ({res.elapsed:.1f} s):", file=sys.stderr)
            for pr in res.problems:
                print(f"  - {pr}", file=sys.stderr)
            print("  command: " + " ".join(shlex.quote(c) for c in res.cmd), file=sys.stderr)
            show_tail(name, res, args.tail)
            failed = True
        else:
            print(f"differential: {name}: clean boot, {res.elapsed:.1f} s", file=sys.stderr)

    ref = result_lines(results["linux"].lines, patterns)
    if not ref:
        print("FAIL differential: no compared lines in Linux's log (wrong --run or --lines?)", file=sys.stderr)
        failed = True
    if args.verbose:
        print("\n".join(ref))
    for m in modes:
        got = result_lines(results[m].lines, patterns)
        if got == ref:
            print(f"differential: scythe lifecycle={m}: {len(got)} lines identical to Linux's", file=sys.stderr)
            continue
        failed = True
        print(f"FAIL differential: scythe lifecycle={m} differs from Linux ({label}):", file=sys.stderr)
        sys.stderr.writelines(difflib.unified_diff([ln + "\n" for ln in ref], [ln + "\n" for ln in got],
                                                   fromfile="linux", tofile=f"scythe-{m}"))
        if results[m].ok:  # a failed boot's tail is already shown
            show_tail(f"scythe lifecycle={m}", results[m], args.tail)
    if failed:
        sys.exit(1)
    print(f"PASS differential: {label}: linux and {', '.join('scythe-' + m for m in modes)} agree on "
          f"{len(ref)} lines", file=sys.stderr)


if __name__ == "__main__":
    main()
