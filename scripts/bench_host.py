#!/usr/bin/env python3
"""Run Scythe's host benchmarks and print one ratio table per benchmark family.

Usage:
  scripts/bench_host.py --build-dir build [--min-time 0.2] [--filter REGEX]
                        [--repetitions N] [--bench NAME ...] [--no-run] [--verbose]

Runs every benchmark binary <build>/bench/bench_* (or the --bench ones), with
  --benchmark_out=<build>/bench-results/<name>.json --benchmark_out_format=json
(+ --benchmark_min_time, --benchmark_filter), keeps that raw Google Benchmark
JSON (and the console output as <name>.log) under <build>/bench-results/, and
prints one table per family (also saved as <build>/bench-results/tables.md). --no-run only re-reads the JSON already there.

Benchmark naming (every bench/*.cc follows it; this script groups by it):
  BM_<Family>/<impl>/<case...>[/real_time][/threads:N]
e.g. BM_PidLookup/scythe/90_10/65536/real_time/threads:4.
  <impl> == "scythe"     ours
  <impl> starts "ref_"   a reference point (e.g. a plain load): shown, and ours
                         is compared with it, but it never counts as a baseline
  any other <impl>       a baseline (liburcu, oneTBB, std::mutex ...)
Rows are (case, threads); columns are items/s of each impl, then ours / best
baseline (and which one was best), then ours / each other impl. A ratio below
1.0 (ours slower) is marked with '*'. The rate read is the counter
span_items_per_second (total items / wall-clock span of the run, see
bench/bench_common.h) when present, else Google Benchmark's items_per_second.
With --repetitions N each cell is the median of the N repetitions.

Timings are noisy: read ratios within one run; never assert on them.
Exit status: 0 if every binary ran and no benchmark reported an error.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

OURS = "scythe"
NAME_NOISE = re.compile(r"^(real_time|manual_time|process_time|threads:\d+|min_time:.*|"
                        r"iterations:\d+|repeats:\d+|min_warmup_time:.*)$")


def find_binaries(bench_dir, wanted):
    if wanted:
        paths = [os.path.join(bench_dir, w) for w in wanted]
        missing = [p for p in paths if not os.access(p, os.X_OK)]
        if missing:
            sys.exit("bench_host.py: not built: " + ", ".join(missing))
        return paths
    if not os.path.isdir(bench_dir):
        sys.exit(f"bench_host.py: no {bench_dir} (build the host benchmarks first)")
    out = []
    for f in sorted(os.listdir(bench_dir)):
        p = os.path.join(bench_dir, f)
        if f.startswith("bench_") and os.path.isfile(p) and os.access(p, os.X_OK):
            out.append(p)
    if not out:
        sys.exit(f"bench_host.py: no bench_* binaries in {bench_dir}")
    return out


def run_binary(path, results_dir, args):
    name = os.path.basename(path)
    out_json = os.path.join(results_dir, name + ".json")
    out_log = os.path.join(results_dir, name + ".log")
    cmd = [path, f"--benchmark_out={out_json}", "--benchmark_out_format=json"]
    if args.min_time is not None:
        cmd.append(f"--benchmark_min_time={args.min_time}")
    if args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    if args.repetitions > 1:
        cmd.append(f"--benchmark_repetitions={args.repetitions}")
    print(f"== {name}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    start = time.monotonic()
    with open(out_log, "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            log.write(line)
            if args.verbose:
                sys.stderr.write(line)
        rc = proc.wait()
    print(f"   {name}: exit {rc} after {time.monotonic() - start:.1f} s (log {out_log})",
          file=sys.stderr, flush=True)
    return rc, out_json


def parse_name(full):
    parts = full.split("/")
    if len(parts) < 2 or not parts[0].startswith("BM_"):
        return None
    family = parts[0][3:]
    impl = parts[1]
    case = "/".join(p for p in parts[2:] if not NAME_NOISE.match(p)) or "-"
    return family, impl, case


def rate_of(b):
    for key in ("span_items_per_second", "items_per_second"):
        v = b.get(key)
        if isinstance(v, (int, float)) and v > 0:
            return float(v)
    return None


def load(json_path):
    """Returns (context, {family: {(case, threads): {impl: rate or 'ERR'}}}, case order, impl order)."""
    with open(json_path) as f:
        data = json.load(f)
    fams = {}
    case_order = {}
    impl_order = {}
    errors = []
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            continue
        parsed = parse_name(b.get("run_name") or b["name"])
        if parsed is None:
            continue
        family, impl, case = parsed
        threads = int(b.get("threads", 1))
        fam = fams.setdefault(family, {})
        case_order.setdefault(family, [])
        if case not in case_order[family]:
            case_order[family].append(case)
        impl_order.setdefault(family, [])
        if impl not in impl_order[family]:
            impl_order[family].append(impl)
        if b.get("error_occurred"):
            errors.append(f"{b['name']}: {b.get('error_message', 'error')}")
            fam.setdefault((case, threads), {})[impl] = "ERR"
            continue
        r = rate_of(b)
        if r is not None:
            cell = fam.setdefault((case, threads), {})
            if cell.get(impl) != "ERR":
                cell.setdefault(impl, []).append(r)
    for fam in fams.values():  # median over repetitions
        for cell in fam.values():
            for impl, v in cell.items():
                if isinstance(v, list):
                    v = sorted(v)
                    cell[impl] = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    return data.get("context", {}), fams, case_order, impl_order, errors


def human(v):
    if v == "ERR":
        return "ERR"
    if v is None:
        return "-"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= scale:
            return f"{v / scale:.3g}{suffix}" if v / scale < 100 else f"{v / scale:.0f}{suffix}"
    return f"{v:.3g}"


def ratio_cell(ours, other):
    if not isinstance(ours, float) or not isinstance(other, float):
        return "-"
    r = ours / other
    return f"{r:.2f}" + ("*" if r < 1.0 else "")


def order_impls(impls):
    ours = [i for i in impls if i == OURS]
    base = [i for i in impls if i != OURS and not i.startswith("ref_")]
    refs = [i for i in impls if i.startswith("ref_")]
    return ours, base, refs


def print_table(family, rows, cases, impls):
    ours_l, base, refs = order_impls(impls)
    cols = ["case", "threads"] + [f"{i} items/s" for i in ours_l + base + refs]
    if ours_l:
        cols += ["ours/best", "best baseline"] + [f"ours/{i}" for i in base + refs]
    table = []
    for case in cases:
        for threads in sorted(t for (c, t) in rows if c == case):
            cell = rows[(case, threads)]
            line = [case, str(threads)] + [human(cell.get(i)) for i in ours_l + base + refs]
            if ours_l:
                ours = cell.get(OURS)
                rated = [(cell[i], i) for i in base if isinstance(cell.get(i), float)]
                if rated:
                    best_v, best_i = max(rated)
                    line += [ratio_cell(ours, best_v), best_i]
                else:
                    line += ["-", "-"]
                line += [ratio_cell(ours, cell.get(i)) for i in base + refs]
            table.append(line)
    widths = [max(len(c), *(len(r[k]) for r in table)) if table else len(c)
              for k, c in enumerate(cols)]

    def fmt(r):
        return "| " + " | ".join(
            (v.ljust(w) if k < 2 else v.rjust(w)) for k, (v, w) in enumerate(zip(r, widths))) + " |"

    print(f"\n### {family}\n")
    print(fmt(cols))
    print("|" + "|".join(("-" * (w + 1) + ":" if k >= 2 else "-" * (w + 2))
                         for k, w in enumerate(widths)) + "|")
    for r in table:
        print(fmt(r))


# Issue 3's targets, checked on the measured figures (informational only: a
# timing is never a test). (family, description, row filter, baseline, min ratio)
TARGETS = [
    ("PidLookup", "pid lookup, 1-2 threads: >= rculfhash",
     lambda case, t: t in (1, 2), "urcu_rculfhash", 1.0),
    ("PidLookup", "pid lookup 90/10, 1-2 threads: >= 3x TBB concurrent_hash_map",
     lambda case, t: t in (1, 2) and case.startswith("90_10"), "tbb_chm", 3.0),
    ("DeadHandoff", "dead hand-off: >= liburcu lfstack at every thread count",
     lambda case, t: True, "urcu_lfstack", 1.0),
    ("RcuRead", "RCU read side: within noise (>= 0.9x) of urcu-qsbr",
     lambda case, t: True, "urcu_qsbr", 0.9),
]


def check_targets(all_fams):
    lines = []
    for family, desc, want, base, need in TARGETS:
        rows = all_fams.get(family)
        if not rows:
            continue
        misses, n = [], 0
        for (case, t), cell in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            ours, other = cell.get(OURS), cell.get(base)
            if not want(case, t) or not isinstance(ours, float) or not isinstance(other, float):
                continue
            n += 1
            if ours / other < need:
                misses.append(f"{case} t{t}: {ours / other:.2f}x")
        if n == 0:
            lines.append(f"  n/a    {desc} (no rows)")
        elif not misses:
            lines.append(f"  met    {desc} ({n} rows)")
        else:
            lines.append(f"  MISSED {desc}: {len(misses)} of {n} rows below "
                         f"{need:g}x: " + ", ".join(misses))
    return lines


def machine_line(ctx):
    caches = ", ".join(f"L{c.get('level')}{c.get('type', '')[0:1].lower()} {c.get('size', 0) // 1024}K"
                       for c in ctx.get("caches", []) if c.get("type") != "Instruction")
    load = ctx.get("load_avg")
    load_s = f", load {' '.join(f'{x:.1f}' for x in load)}" if load else ""
    return (f"{ctx.get('host_name', '?')}: {ctx.get('num_cpus', '?')} CPUs @ "
            f"{ctx.get('mhz_per_cpu', '?')} MHz ({caches}){load_s}; "
            f"{ctx.get('date', '?')}; Google Benchmark library built as "
            f"{ctx.get('library_build_type', '?')}")


class Tee:
    """Writes to stdout and to a file (the tables are kept next to the JSON)."""

    def __init__(self, path):
        self.out = sys.stdout
        self.file = open(path, "w")

    def write(self, s):
        self.out.write(s)
        self.file.write(s)

    def flush(self):
        self.out.flush()
        self.file.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build", help="CMake build directory (default: build)")
    ap.add_argument("--min-time", type=float, default=None,
                    help="seconds per benchmark (--benchmark_min_time); default: Google Benchmark's")
    ap.add_argument("--filter", default=None, help="--benchmark_filter regex")
    ap.add_argument("--repetitions", type=int, default=1,
                    help="--benchmark_repetitions; tables show the median (default 1)")
    ap.add_argument("--bench", action="append", default=[],
                    help="run only this binary (e.g. bench_rcu); repeatable")
    ap.add_argument("--no-run", action="store_true", help="print tables from existing JSON only")
    ap.add_argument("--verbose", action="store_true", help="stream the benchmarks' console output")
    args = ap.parse_args()

    build = os.path.abspath(args.build_dir)
    results_dir = os.path.join(build, "bench-results")
    os.makedirs(results_dir, exist_ok=True)
    bench_dir = os.path.join(build, "bench")

    failed = []
    jsons = []
    if args.no_run:
        names = args.bench or sorted(f[:-5] for f in os.listdir(results_dir) if f.endswith(".json"))
        jsons = [(n, os.path.join(results_dir, n + ".json")) for n in names]
    else:
        for path in find_binaries(bench_dir, args.bench):
            rc, out_json = run_binary(path, results_dir, args)
            name = os.path.basename(path)
            if rc != 0:
                failed.append(f"{name} exited {rc}")
            jsons.append((name, out_json))

    sys.stdout = Tee(os.path.join(results_dir, "tables.md"))
    print(f"# Scythe host benchmarks ({datetime.datetime.now().isoformat(timespec='seconds')})")
    print("\nItems/s summed over threads; ratio = ours (scythe) / other, '*' = below 1.0 "
          "(ours slower); best baseline excludes ref_* reference points.")
    ctx_printed = False
    all_fams = {}
    for name, path in jsons:
        if not os.path.exists(path):
            failed.append(f"{name}: no JSON at {path}")
            continue
        try:
            ctx, fams, case_order, impl_order, errors = load(path)
        except (OSError, ValueError) as e:
            failed.append(f"{name}: unreadable JSON ({e})")
            continue
        if not ctx_printed:
            print(f"\nMachine: {machine_line(ctx)}")
            ctx_printed = True
        print(f"\n## {name} (raw: {path})")
        for family, rows in fams.items():
            print_table(family, rows, case_order[family], impl_order[family])
            all_fams[family] = rows
        failed += [f"{name}: {e}" for e in errors]

    targets = check_targets(all_fams)
    if targets:
        print("\n## Targets (issue 3; informational, timings are never asserted)\n")
        print("\n".join(targets))

    if failed:
        print("\nFAILED:\n  " + "\n  ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
