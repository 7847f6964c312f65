#!/usr/bin/env python3
"""Compares ways of turning a block's clean repetitions into its figure, on the
very repetitions `surrogate measure` took (its trace), so every estimator sees
the same samples.

    SURROGATE_MEASURE_TRACE=1 surrogate measure blocks.csv -o A.csv 2> A.trace
    SURROGATE_MEASURE_TRACE=1 surrogate measure blocks.csv -o B.csv 2> B.trace
    python3 tools/trace_estimators.py A.trace B.trace        # agreement of two runs
    python3 tools/trace_estimators.py --truth ka.csv A.trace  # error against known answers

Per pass, from its clean repetitions (trace rows `repetition,...,clean`):
  recorded  the figure the run wrote for the pass (trace row `block`)
  minimum   (min2 L_b - min2 L_a) / ((b - a) M), min2 the larger of the
            lowest two runs within 2% of each other (measure v11-v15)
  floor     the same with the mean of the runs within 2% above the lower
            of that pair (measure v16, estimate.h confirmed_floor)
  plain     the same with the plain minimum
A block's figure is the lowest of its first two measured passes. Blocks
below 5 cycles per 100 iterations are left out (as tools/compare_runs.py).
"""
import argparse
import collections
import csv
import statistics

TOLERANCE = 0.02  # block_timer.cc kRunAgreement


def confirmed_minimum(v):
    v = sorted(v)
    for i in range(len(v) - 1):
        if v[i + 1] <= (1 + TOLERANCE) * v[i]:
            return v[i + 1]
    return None


def confirmed_floor(v):
    v = sorted(v)
    for i in range(len(v) - 1):
        if v[i + 1] <= (1 + TOLERANCE) * v[i]:
            band = [x for x in v if x <= (1 + TOLERANCE) * v[i]]
            return sum(band) / len(band)
    return None


def by_series(series):
    def estimate(reps):
        ua, ub, m = reps[0][:3]
        a = series([r[3] for r in reps])
        b = series([r[4] for r in reps])
        return None if a is None or b is None else (b - a) / ((ub - ua) * m) * 100
    return estimate


ESTIMATORS = {
    "recorded": None,
    "minimum": by_series(confirmed_minimum),
    "floor": by_series(confirmed_floor),
    "plain": by_series(min),
}


def passes_of(trace):
    """hex -> [(recorded figure, [(ua, ub, M, L_a, L_b) per clean repetition])]"""
    blocks = collections.defaultdict(list)
    open_passes = {}
    for line in open(trace):
        f = line.rstrip("\n").split(",")
        if f[0] == "repetition" and len(f) >= 16:
            key = (f[1], f[2])  # worker pid, hex
            if f[3] == "1" or key not in open_passes:
                open_passes[key] = []
            if f[15] == "clean":
                open_passes[key].append((int(f[4]), int(f[5]), int(f[6]), float(f[12]), float(f[13])))
        elif f[0] == "block" and len(f) >= 6:
            reps = open_passes.pop((f[1], f[2]), [])
            if f[5]:
                blocks[f[2]].append((float(f[5]), reps))
    return blocks


def figure(passes, estimator):
    values = []
    for recorded, reps in passes[:2]:
        v = recorded if estimator is None else (estimator(reps) if len(reps) >= 2 else None)
        if v is None:
            return None
        values.append(v)
    return min(values) if values else None


def summary(name, errors, signed=None):
    a = sorted(abs(e) for e in errors)
    line = f"{name:9s} blocks {len(a):6d}  |diff| median {a[len(a) // 2]:.3f}%  p90 {a[int(0.9 * len(a))]:.3f}%"
    if signed is not None:
        line += f"  signed median {statistics.median(signed):+.3f}%  worst {a[-1]:.2f}%"
    print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--truth", help="known answers (hex,truth): error of one trace against them")
    ap.add_argument("traces", nargs="+")
    args = ap.parse_args()
    if args.truth:
        truth = {r["hex"]: float(r["truth"]) for r in csv.DictReader(open(args.truth))}
        for trace in args.traces:
            blocks = passes_of(trace)
            print(trace)
            for name, est in ESTIMATORS.items():
                errors = []
                for h, t in truth.items():
                    v = figure(blocks[h], est) if t > 0 and h in blocks else None
                    if v:
                        errors.append((v - t) / t * 100)
                summary(name, errors, errors)
        return
    if len(args.traces) != 2:
        ap.error("two traces, or --truth and one or more")
    a, b = passes_of(args.traces[0]), passes_of(args.traces[1])
    common = [h for h in a if h in b and a[h][0][0] >= 5]
    for name, est in ESTIMATORS.items():
        diffs = []
        for h in common:
            x, y = figure(a[h], est), figure(b[h], est)
            if x and y and x > 0:
                diffs.append((y - x) / x * 100)
        summary(name, diffs)


if __name__ == "__main__":
    main()
