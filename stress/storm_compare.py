#!/usr/bin/env python3
"""The fork/exit/wait storm on Scythe (both lifecycle designs) and on Linux, side by side.

For each vCPU count: one boot of Scythe with lifecycle=scalable, one with lifecycle=seed and one
of Debian's Linux kernel, all with the same initramfs and QEMU flags; /init runs the storm once
per worker count (storm.workers=1:2:4:...). Prints one table per vCPU count: cycles/s per worker
count for each kernel and the ratios scalable/seed and scalable/Linux, and the best of each.

  storm_compare.py --kernel-elf build/kernel/scythe.elf --initrd build/user/initramfs.cpio
                   [--cpus 8] [--workers 1,4,8,16] [--seconds 2] [--kernels scalable,seed,linux]

A boot fails (exit status 1, serial log tail shown) unless it powers off cleanly, every vCPU came
online (Scythe) and init reports 'INIT: done, 0 failures'. Timings are noisy on a shared 2-core
host: read the ratios, which come from one run, not the absolute figures.
"""
import argparse
import os
import re
import subprocess
import sys
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))

import linux_ref  # noqa: E402
import qemu_run  # noqa: E402

DONE_RX = re.compile(r"^INIT: done, (\d+) failures", re.MULTILINE)


def boot_scythe(elf, initrd, cpus, lifecycle, words, timeout, accel):
    """Boot Scythe; returns the same shape as linux_ref.boot()."""
    append = f"console=ttyS0 lifecycle={lifecycle} -- " + " ".join(words)
    ns = SimpleNamespace(qemu="qemu-system-x86_64", machine="pc",
                         cpu=os.environ.get("SCYTHE_QEMU_CPU", "max"), cpus=cpus, mem="512M",
                         kernel=elf, accel=accel, append=append, initrd=initrd, gdb=False,
                         qemu_arg=[])
    cmd = qemu_run.qemu_command(ns)
    start = time.monotonic()
    problems = []
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = e.stdout or b"", None
        problems.append(f"timed out after {timeout:.0f} s (QEMU killed)")
    text = out.decode("utf-8", "replace").replace("\r", "")
    status = qemu_run.decode_status(rc)
    if rc is not None and status != 0:
        problems.append(f"kernel exit status {status} (QEMU exit code {rc}), expected 0")
    if not re.search(rf"^smp: {cpus} of {cpus} CPUs online", text, re.MULTILINE):
        problems.append(f"not every vCPU came online (expected 'smp: {cpus} of {cpus} CPUs online')")
    m = DONE_RX.search(text)
    if not m:
        problems.append("init never printed 'INIT: done, N failures'")
    elif m.group(1) != "0":
        problems.append(f"init reported {m.group(1)} failures")
    for bad in ("PANIC", "EXCEPTION"):
        if bad in text:
            problems.append(f"'{bad}' in the serial log")
    return SimpleNamespace(ok=not problems, problems=problems, lines=text.splitlines(), text=text,
                           cmd=cmd, elapsed=time.monotonic() - start, kernel=elf)


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel-elf", required=True, help="Scythe's kernel ELF")
    p.add_argument("--initrd", required=True)
    p.add_argument("--cpus", default="8", help="comma-separated vCPU counts")
    p.add_argument("--workers", default="", help="comma-separated worker counts "
                   "(default: 1, cpus/2, cpus, 2*cpus)")
    p.add_argument("--seconds", default="2")
    p.add_argument("--kernels", default="scalable,seed,linux",
                   help="which of scalable, seed, linux to run")
    p.add_argument("--accel", choices=["tcg", "kvm"], default="tcg")
    args = p.parse_args()

    kernels = [k for k in args.kernels.split(",") if k]
    for k in kernels:
        if k not in ("scalable", "seed", "linux"):
            sys.exit(f"storm_compare: unknown kernel '{k}' (scalable, seed, linux)")
    failed = False
    for cpus in [int(c) for c in args.cpus.split(",")]:
        if args.workers:
            workers = [int(w) for w in args.workers.split(",")]
        else:
            workers = sorted({1, max(1, cpus // 2), cpus, 2 * cpus})
        words = ["scythe.run=storm", "storm.workers=" + ":".join(map(str, workers)),
                 "storm.seconds=" + args.seconds]
        timeout = 90 + len(workers) * (float(args.seconds) + 3) * 3
        rates = {}
        for k in kernels:
            print(f"storm: {k}, {cpus} vCPUs, workers {','.join(map(str, workers))} ...",
                  file=sys.stderr, flush=True)
            if k == "linux":
                res = linux_ref.boot(args.initrd, cpus, words, timeout, None, args.accel)
            else:
                res = boot_scythe(args.kernel_elf, args.initrd, cpus, k, words, timeout,
                                  args.accel)
            if k != "linux":
                for line in res.lines:
                    if line.startswith("smp: "):
                        print(f"storm: {k}: {line}", file=sys.stderr, flush=True)
            if not res.ok:
                linux_ref.report_failure(res, tail=25)
                failed = True
            rates[k] = {int(s["workers"]): s["rate"] for s in linux_ref.storm_lines(res.lines)}

        print(f"\nfork/exit/wait storm, {cpus} vCPUs, {args.seconds} s per run, cycles/s "
              f"(host load average {os.getloadavg()[0]:.1f})")
        head = ["workers"] + kernels
        if "scalable" in kernels and "seed" in kernels:
            head.append("scalable/seed")
        if "scalable" in kernels and "linux" in kernels:
            head.append("scalable/linux")
        print(" | ".join(f"{h:>14}" for h in head))
        print("-|-".join("-" * 14 for _ in head))
        rows = [(str(w), {k: rates[k].get(w) for k in kernels}) for w in workers]
        rows.append(("best", {k: max(rates[k].values(), default=None) for k in kernels}))
        for label, r in rows:
            cells = [label] + [str(r[k]) if r[k] is not None else "-" for k in kernels]
            if "scalable/seed" in head:
                cells.append(ratio(r.get("scalable"), r.get("seed")))
            if "scalable/linux" in head:
                cells.append(ratio(r.get("scalable"), r.get("linux")))
            print(" | ".join(f"{c:>14}" for c in cells))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
