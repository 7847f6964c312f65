#!/usr/bin/env python3
"""Replays `surrogate measure`'s window rules (recent_repetitions.h) over
traced runs. The stretch rule (v19, the default): per worker, the canaries
of its last WINDOW repetitions before a block (those whose calibration
held), as ratios to a baseline; a block pass is flagged when, with at least
half the window held, either median reads over TOLERANCE or both over
1 + (TOLERANCE - 1) / 2 (v21; v19-v20: either over 1.12). The code mode
rule (v20, --code-mode SHARE): per worker, of its last WINDOW repetitions
before a block whose calibration held and block run did not fault, the
share whose b run read over the unrolling ratio; a pass is flagged when,
with half the window held, it is over SHARE (the replay does not replace
the worker, as v20 does). Counts, among the passes of blocks whose quiet figure
is 5-150 cycles per 100 iterations, those read over 10% slow and those read
right, and how many flags each got; and, of the blocks each run wrote over
10% slow, how many had the pass that gave their figure flagged.

    SURROGATE_MEASURE_TRACE=1 surrogate measure blocks.csv -o RUN.csv 2> RUN.trace
    python3 tools/trace_stretch.py QUIET.csv RUN.trace [RUN2.trace ...]
    python3 tools/trace_stretch.py QUIET.csv RUN.trace [RUN2.trace ...] --tolerance 1.12 --no-joint   # v19-v20
    python3 tools/trace_stretch.py QUIET.csv RUN.trace [RUN2.trace ...] --code-mode 0.5

Each run's canary baseline is read from RUN.csv.meta.json beside its trace
(canary_baseline_cycles, this_run), or given for all with --baseline.

The runs' figures are read from each trace's RUN.csv beside it (where
there is none, the written blocks are not counted). Traces from
before v19 replay what v19 would have flagged; from v19 on, the flagged
passes are given up and their blocks measured again later.
"""
import argparse
import collections
import csv
import json
import os

# Verdicts after which a repetition's clock (and so its canaries in cycles) is not trusted.
UNTIMED = {"context switch", "calibration failed", "calibration drift", "clock band"}
# Verdicts before the unrolling check (the code mode rule's window leaves them out), and its own.
BEFORE_UNROLLING = {"context switch", "calibration failed", "block faulted"}
OVER_UNROLLING = "b run over b/a x a run"


def figures(path):
    return {r["hex"]: float(r["throughput"]) for r in csv.DictReader(open(path)) if r["throughput"]}


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def run_baseline(trace):
    with open(trace[: -len(".trace")] + ".csv.meta.json") as f:
        b = json.load(f)["method"]["canary_baseline_cycles"]["this_run"]
    return b["zero_idioms"], b["loads"]


def replay(trace, quiet, baseline, window, tolerance, joint, code_mode, counts):
    held = collections.defaultdict(lambda: collections.deque(maxlen=window))  # per worker PID
    current = collections.defaultdict(list)  # the block's own repetitions, added after it
    flagged_figures = collections.defaultdict(list)
    for line in open(trace):
        f = line.rstrip("\n").split(",")
        if f[0] == "repetition" and len(f) >= 16:
            if code_mode:
                if f[15] not in BEFORE_UNROLLING:
                    current[f[1]].append(f[15] == OVER_UNROLLING)
                continue
            zero, loads = float(f[10]), float(f[11])
            if zero > 0 and loads > 0 and f[15] not in UNTIMED:
                current[f[1]].append((zero / baseline[0], loads / baseline[1]))
        elif f[0] == "block" and len(f) >= 6:
            w = held[f[1]]
            if code_mode:
                flag = 2 * len(w) >= window and sum(w) > code_mode * len(w)
            else:
                flag = False
                if 2 * len(w) >= window:
                    mz, ml = (median([x[i] for x in w]) for i in (0, 1))
                    flag = mz > tolerance or ml > tolerance or (mz > joint and ml > joint)
            w.extend(current.pop(f[1], []))
            if not f[5] or float(f[5]) < 0:
                continue
            hex_, figure = f[2], float(f[5])
            flagged_figures[hex_].append((figure, flag))
            if 5 <= quiet.get(hex_, 0) < 150:
                kind = "slow" if figure > 1.1 * quiet[hex_] else "right"
                counts[kind] += 1
                counts[kind + " flagged"] += flag
    run_csv = trace[: -len(".trace")] + ".csv"
    if not os.path.exists(run_csv):  # the passes' counts only
        return
    run = figures(run_csv)
    for hex_, v in run.items():
        if 5 <= quiet.get(hex_, 0) < 150 and v > 1.1 * quiet[hex_]:
            counts["written slow"] += 1
            counts["written slow flagged"] += any(fl for t, fl in flagged_figures[hex_] if abs(t - v) < 0.006)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("quiet", help="a run made in quiet minutes (hex,throughput)")
    ap.add_argument("traces", nargs="+", help="traces (RUN.trace beside RUN.csv)")
    ap.add_argument("--baseline", nargs=2, type=float, metavar=("ZERO", "LOADS"),
                    help="the canaries' clean cost, cycles per iteration, for every trace (default: each run's "
                    "metadata, canary_baseline_cycles)")
    ap.add_argument("--code-mode", type=float, metavar="SHARE",
                    help="replay the code mode rule instead (Options::code_mode_share, 0.5)")
    ap.add_argument("--window", type=int, default=200, help="Options::stretch_repetitions (200)")
    ap.add_argument("--tolerance", type=float, default=1.06, help="Options::stretch_tolerance (1.06)")
    ap.add_argument("--no-joint", action="store_true",
                    help="either median over the tolerance only, not both over half its excess (v19-v20)")
    args = ap.parse_args()
    # RecentRepetitions::joint_tolerance; infinite: no joint bound.
    joint = float("inf") if args.no_joint else 1 + (args.tolerance - 1) / 2
    quiet = figures(args.quiet)
    total = collections.Counter()
    for t in args.traces:
        c = collections.Counter()
        baseline = args.baseline or (None if args.code_mode else run_baseline(t))
        replay(t, quiet, baseline, args.window, args.tolerance, joint, args.code_mode, c)
        total += c
        print(f"{t}: passes read >10% slow {c['slow']}, flagged {c['slow flagged']}; read right {c['right']}, "
              f"flagged {c['right flagged']}; written >10% slow {c['written slow']}, flagged "
              f"{c['written slow flagged']}")
    if len(args.traces) > 1:
        print(f"all: passes read >10% slow {total['slow']}, flagged {total['slow flagged']}; read right "
              f"{total['right']}, flagged {total['right flagged']} "
              f"({100 * total['right flagged'] / max(1, total['right']):.2f}%); written >10% slow "
              f"{total['written slow']}, flagged {total['written slow flagged']}")


if __name__ == "__main__":
    main()
