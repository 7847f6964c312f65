#!/usr/bin/env python3
"""Measured speed-ups of `surrogate optimize`'s rewrites on this host (issue 17).

For every row of an optimize output whose rewrite differs from the original,
both blocks are measured with `surrogate measure` (original and rewrite next
to each other in one input, so they share the worker and its conditions) and
predicted with `surrogate predict`; prints one row per rewrite and a summary:
simulated (llvm-mca), predicted (surrogate) and measured speed-ups, each the
original's cycles over the rewrite's.

  tools/measure_rewrites.py OPT.csv --model models/haswell.srg [--surrogate build/bin/surrogate] [--out DIR]
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys


def read_rewrites(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["optimized_hex"] and r["optimized_hex"] != r["hex"] and r["optimized_cycles"]:
                rows.append(r)
    return rows


def run_tool(surrogate, args, out):
    result = subprocess.run([surrogate] + args + ["-o", out], stderr=subprocess.PIPE, text=True)
    if result.returncode not in (0, 1):  # 1: some block unmeasurable (reasons on stderr)
        sys.exit(f"{' '.join(args[:1])} failed ({result.returncode}): {result.stderr.strip().splitlines()[-1:]}")
    with open(out, newline="") as f:
        return [r["throughput"] for r in csv.DictReader(f)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("optimized", help="output CSV of surrogate optimize")
    p.add_argument("--model", required=True, help="the surrogate model optimize used")
    p.add_argument("--surrogate", default="build/bin/surrogate")
    p.add_argument("--out", default="build/measure-rewrites", help="directory for the measure/predict files")
    p.add_argument("--passes", default="3", help="measure --passes")
    a = p.parse_args()

    rows = read_rewrites(a.optimized)
    if not rows:
        print("no rewrites in", a.optimized)
        return
    os.makedirs(a.out, exist_ok=True)
    pairs = os.path.join(a.out, "pairs.hex")
    with open(pairs, "w") as f:
        for r in rows:
            f.write(r["hex"] + "\n" + r["optimized_hex"] + "\n")
    measured = run_tool(a.surrogate, ["measure", "--jobs", "1", "--passes", a.passes, pairs],
                        os.path.join(a.out, "measured.csv"))
    predicted = run_tool(a.surrogate, ["predict", "--model", a.model, pairs], os.path.join(a.out, "predicted.csv"))

    print("name_or_hex,simulated_speedup,predicted_speedup,measured_speedup,measured_cycles,measured_optimized_cycles")
    sim, pred, meas = [], [], []
    for i, r in enumerate(rows):
        s = float(r["cycles"]) / float(r["optimized_cycles"])
        pr = float(predicted[2 * i]) / float(predicted[2 * i + 1])
        m0, m1 = measured[2 * i], measured[2 * i + 1]
        m = float(m0) / float(m1) if m0 and m1 and float(m1) > 0 else None
        sim.append(s)
        pred.append(pr)
        if m is not None:
            meas.append(m)
        name = r.get("name") or r["hex"]
        print(f"{name},{s:.3f},{pr:.3f},{'' if m is None else f'{m:.3f}'},{m0},{m1}")
    print(f"# {len(rows)} rewrites; median speed-up simulated {statistics.median(sim):.3f}x, "
          f"predicted {statistics.median(pred):.3f}x, measured "
          + (f"{statistics.median(meas):.3f}x ({len(meas)} measurable)" if meas else "none measurable"),
          file=sys.stderr)


if __name__ == "__main__":
    main()
