#!/usr/bin/env python3
"""Fork/exit/wait storm on Linux at several vCPU and worker counts.

One boot per vCPU count; init runs the storm once per worker count
(storm.workers=1:2:4:...). Prints a table: cycles/s for every worker count and
the best worker count per vCPU count. This is the Linux column of the
Scythe / seed / Linux comparison. Timings are noisy on a shared 2-core host:
compare within one run.

  storm_sweep.py [--cpus 1,2,4,8] [--workers 1,2,4,8,16] [--seconds 2] [--orphans] [--depth D]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))

import linux_ref


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--initrd", default=linux_ref.DEFAULT_INITRD)
    p.add_argument("--kernel", default=None)
    p.add_argument("--cpus", default="1,2,4,8")
    p.add_argument("--workers", default="1,2,4,8,16")
    p.add_argument("--seconds", default="2")
    p.add_argument("--depth", type=int, default=1)
    p.add_argument("--orphans", action="store_true")
    p.add_argument("--accel", choices=["tcg", "kvm"], default="tcg")
    args = p.parse_args()

    cpus_list = [int(c) for c in args.cpus.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    words = ["scythe.run=storm", "storm.workers=" + ":".join(map(str, workers)), "storm.seconds=" + args.seconds]
    if args.depth != 1:
        words.append(f"storm.depth={args.depth}")
    if args.orphans:
        words.append("storm.orphans")
    # Boot (~5-10 s) + every run + slack for slow TCG at many vCPUs.
    timeout = 60 + len(workers) * (float(args.seconds) + 3) * 2

    load0 = os.getloadavg()[0]
    rows, failed = [], False
    for cpus in cpus_list:
        res = linux_ref.boot(args.initrd, cpus, words, timeout, args.kernel, args.accel)
        got = {int(s["workers"]): s["rate"] for s in linux_ref.storm_lines(res.lines)}
        if not res.ok:
            linux_ref.report_failure(res, tail=15)
            failed = True
        rows.append((cpus, got))
        best = max(got.items(), key=lambda kv: kv[1]) if got else (0, 0)
        print(f"  {cpus} vCPUs: " + " ".join(f"w{w}={r}" for w, r in sorted(got.items())) +
              f"  best w{best[0]}={best[1]}/s ({res.elapsed:.0f} s)", file=sys.stderr, flush=True)

    mode = "orphans" if args.orphans else "plain"
    print(f"Linux storm ({mode}, depth {args.depth}, {args.seconds} s per run), cycles/s; "
          f"host load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end")
    print("vCPUs | " + " | ".join(f"w={w:<3}" for w in workers) + " | best workers | best cycles/s")
    print("------|" + "|".join("-------" for _ in workers) + "|--------------|--------------")
    for cpus, got in rows:
        cells = " | ".join(f"{got.get(w, '-'):>5}" for w in workers)
        best = max(got.items(), key=lambda kv: kv[1]) if got else ("-", "-")
        print(f"{cpus:>5} | {cells} | {best[0]:>12} | {best[1]:>13}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
