#!/usr/bin/env python3
"""Repeatability of two `surrogate measure` outputs (hex,throughput CSVs).

Prints coverage of each run, how many blocks both measured, and the relative
difference |a - b| / ((a + b) / 2) over those: median, p90, p99, and the share
within 1% / 5%. Blocks under --floor cycles/100 iterations in both runs are
compared on an absolute scale instead (relative error is meaningless near 0).

--by-speed: the ratio run 1 / run 2 (median, p10, p90) per class of run 2's
value (cycles per 100 iterations), to see whether one run is slow on fast
blocks only (other load contending for dispatch or ports) or on all.

Usage: tools/compare_runs.py RUN1.csv RUN2.csv [--floor 5] [--worst 10] [--by-speed]
"""
import argparse, csv, statistics, sys


def load(path):
    with open(path, newline="") as f:
        return {row["hex"]: (float(row["throughput"]) if row["throughput"] else None) for row in csv.DictReader(f)}


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--floor", type=float, default=5.0)
    ap.add_argument("--worst", type=int, default=0)
    ap.add_argument("--by-speed", action="store_true")
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    keys = [k for k in a if k in b]
    for name, run in (("run 1", a), ("run 2", b)):
        measured = sum(1 for k in keys if run[k] is not None)
        print(f"{name}: measured {measured}/{len(keys)} = {100.0 * measured / len(keys):.2f}%")
    both = [k for k in keys if a[k] is not None and b[k] is not None]
    rel, small = [], []
    for k in both:
        x, y = a[k], b[k]
        if max(x, y) < args.floor:
            small.append(abs(x - y))
        else:
            rel.append((abs(x - y) / ((x + y) / 2), k))
    r = [v for v, _ in rel]
    print(f"both measured: {len(both)}; relative difference over {len(r)} blocks >= {args.floor}: "
          f"median {100 * statistics.median(r):.3f}%, p90 {100 * quantile(r, 0.9):.3f}%, "
          f"p99 {100 * quantile(r, 0.99):.3f}%, within 1%: {100.0 * sum(v <= 0.01 for v in r) / len(r):.1f}%, "
          f"within 5%: {100.0 * sum(v <= 0.05 for v in r) / len(r):.1f}%")
    if small:
        print(f"{len(small)} blocks under {args.floor}: median absolute difference {statistics.median(small):.3f}")
    if args.by_speed:
        classes = ((0, 100), (100, 300), (300, 1000), (1000, float("inf")))
        for lo, hi in classes:
            ratios = [a[k] / b[k] for k in both if lo <= b[k] < hi and b[k] > 0]
            if ratios:
                print(f"  run 2 in [{lo}, {hi}): {len(ratios)} blocks, ratio run 1 / run 2 median "
                      f"{statistics.median(ratios):.3f}, p10 {quantile(ratios, 0.1):.3f}, p90 {quantile(ratios, 0.9):.3f}")
    for v, k in sorted(rel, reverse=True)[: args.worst]:
        print(f"  {100 * v:7.2f}%  {a[k]:10.2f} {b[k]:10.2f}  {k}")


if __name__ == "__main__":
    sys.exit(main())
