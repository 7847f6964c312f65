#!/usr/bin/env python3
"""Where a run wrote blocks far above their quiet figures, whether their b
runs carried it: per block, the clean repetitions' (L_b / L_a) / (b / a)
from the run's trace. Both loops of a block pay the same cost per iteration
around it, so that ratio is at most 1 when every copy costs the same;
`surrogate measure` (v17) flags a repetition over 1.1.

    SURROGATE_MEASURE_TRACE=1 surrogate measure blocks.csv -o RUN.csv 2> RUN.trace
    python3 tools/trace_unrolling.py QUIET.csv RUN.csv RUN.trace
"""
import argparse
import csv

BOUND = 1.10  # 1 + Options::unrolling_excess


def figures(path):
    return {r["hex"]: float(r["throughput"]) for r in csv.DictReader(open(path)) if r["throughput"]}


def quantiles(v):
    v = sorted(v)
    return ", ".join(f"{v[int(q * len(v))]:.3f}" for q in (0.01, 0.1, 0.5, 0.9, 0.99)) if v else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("quiet", help="a run made in quiet minutes (hex,throughput)")
    ap.add_argument("run", help="the run to look at (hex,throughput)")
    ap.add_argument("trace", help="that run's trace (SURROGATE_MEASURE_TRACE=1, stderr)")
    ap.add_argument("--factor", type=float, default=1.5, help="how far above the quiet figure counts (1.5)")
    args = ap.parse_args()
    quiet, run = figures(args.quiet), figures(args.run)
    far = {h for h, v in run.items() if quiet.get(h, 0) >= 5 and v > args.factor * quiet[h]}
    ratios = {}
    others = []
    for line in open(args.trace):
        f = line.rstrip("\n").split(",")
        if f[0] != "repetition" or len(f) < 16 or f[15] != "clean":
            continue
        ua, ub, la, lb = float(f[4]), float(f[5]), float(f[12]), float(f[13])
        if la <= 0:
            continue
        r = (lb / la) / (ub / ua)
        if f[2] in far:
            ratios.setdefault(f[2], []).append(r)
        else:
            others.append(r)
    mine = [r for v in ratios.values() for r in v]
    print(f"blocks over {args.factor}x their quiet figure: {len(far)}; with every clean repetition over {BOUND}: "
          f"{sum(1 for v in ratios.values() if min(v) > BOUND)}, with none: "
          f"{sum(1 for v in ratios.values() if max(v) <= BOUND)}")
    print(f"  their clean repetitions: {len(mine)}, (L_b/L_a)/(b/a) p1, p10, p50, p90, p99: {quantiles(mine)}")
    print(f"other blocks' clean repetitions: {len(others)}, {quantiles(others)}, "
          f"over {BOUND}: {100 * sum(r > BOUND for r in others) / max(1, len(others)):.1f}%")


if __name__ == "__main__":
    main()
