#!/usr/bin/env python3
"""A block's passes in traced `measure` runs (SURROGATE_MEASURE_TRACE=1).

For each trace: how many blocks had their passes from two worker processes
and from two CPUs (the trace's `block` and `worker` lines). With
--estimators, replays how the passes become one figure, for the blocks whose
measured passes all lie within 5% of the fastest: the fastest (measure v15
to v22), their mean (v23), the mean of those within 2% of the fastest; and
reports, per estimator, how consecutive traces agree (median, p90, p99 of
the relative difference, share over 2%; blocks of 5 cycles per 100
iterations and more) and, with --truth (tools/known_answers.py's
hex,truth file), the signed median, median absolute and worst error.

  python3 tools/trace_passes.py v1.trace v2.trace ...
  python3 tools/trace_passes.py --estimators v1.trace v2.trace ...
  python3 tools/trace_passes.py --estimators --truth ka.csv ka1.trace ka2.trace
"""
import argparse
import collections
import csv
import statistics

GAP, AGREEMENT = 0.05, 0.02  # kTwoModeGap, kModeAgreement


def read_trace(path):
    """(block hex -> [(pid, throughput or None)], pid -> cpu)"""
    passes, cpu = collections.defaultdict(list), {}
    with open(path) as f:
        for line in f:
            x = line.rstrip("\n").split(",")
            if x[0] == "block" and len(x) >= 6:
                passes[x[2]].append((x[1], float(x[5]) if x[5] else None))
            elif x[0] == "worker" and len(x) >= 3:
                cpu[x[1]] = x[2]
    return passes, cpu


ESTIMATORS = {
    "fastest": lambda v: min(v),
    "mean": lambda v: sum(v) / len(v),
    "mean within 2%": lambda v: statistics.mean([x for x in v if x <= (1 + AGREEMENT) * min(v)]),
}


def figures(passes, estimator):
    out = {}
    for h, p in passes.items():
        v = [t for _, t in p if t is not None]
        if len(v) >= 2 and max(v) <= (1 + GAP) * min(v):
            out[h] = ESTIMATORS[estimator](v)
    return out


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--estimators", action="store_true", help="replay the pass estimators")
    ap.add_argument("--truth", help="hex,truth file (tools/known_answers.py make)")
    a = ap.parse_args()
    runs = []
    for path in a.traces:
        passes, cpu = read_trace(path)
        n = len(passes)
        procs = sum(1 for p in passes.values() if len({pid for pid, _ in p}) >= 2)
        cpus = sum(1 for p in passes.values() if len({cpu.get(pid, "?") for pid, _ in p} - {"?"}) >= 2)
        print(f"{path}: {n} blocks; passes from two processes {100 * procs / max(n, 1):.1f}%, "
              f"from two CPUs {100 * cpus / max(n, 1):.1f}% ({len(cpu)} workers)")
        runs.append(passes)
    if not a.estimators:
        return
    truth = {}
    if a.truth:
        with open(a.truth) as f:
            truth = {r["hex"]: float(r["truth"]) for r in csv.DictReader(f)}
    for name in ESTIMATORS:
        figs = [figures(p, name) for p in runs]
        for i in range(len(figs) - 1):
            x, y = figs[i], figs[i + 1]
            d = [abs(y[h] / x[h] - 1) for h in x if h in y and x[h] >= 5]
            if d:
                print(f"{name}: traces {i + 1} and {i + 2}: {len(d)} blocks, median {100 * statistics.median(d):.3f}%, "
                      f"p90 {100 * quantile(d, 0.9):.3f}%, p99 {100 * quantile(d, 0.99):.3f}%, "
                      f"over 2% {100 * sum(v > 0.02 for v in d) / len(d):.1f}%")
        for i, f in enumerate(figs):
            e = [f[h] / truth[h] - 1 for h in f if h in truth]
            if e:
                print(f"{name}: trace {i + 1} against the truth: {len(e)} blocks, signed median "
                      f"{100 * statistics.median(e):+.3f}%, median |error| {100 * statistics.median(map(abs, e)):.3f}%, "
                      f"worst {100 * max(e, key=abs):+.2f}%")


if __name__ == "__main__":
    main()
