#!/usr/bin/env python3
"""The memory-layout study (issue 11 item 4): how much does BHive's choice of
one address for every register change measured throughput, and which ground
truth does llvm-mca agree with?

Inputs: the same blocks measured with `surrogate measure --memory shared` and
`--memory distinct`, optionally a second shared run (the floor: run-to-run
difference with nothing changed) and llvm-mca predictions (`surrogate simulate`
output). Blocks are grouped by what their memory operands do (from
`surrogate disasm`, AT&T syntax): none, loads only, stores without loads,
loads and stores; and for loads-and-stores, whether they use one base register
or several.

With a second run of a layout, only blocks whose two runs agree within 5%
are compared. Prints, per group: blocks, median and p90 of distinct/shared, share with
|ratio - 1| > 10%, and each layout's MAPE and Kendall tau against llvm-mca.

Usage: tools/memory_layout_study.py --surrogate build/bin/surrogate SHARED.csv DISTINCT.csv
       [--shared2 SHARED_RUN2.csv] [--distinct2 DISTINCT_RUN2.csv] [--mca MCA.csv] [--worst 10]
"""
import argparse, csv, re, statistics, subprocess, sys


def load(path, column="throughput"):
    with open(path, newline="") as f:
        return {r["hex"]: float(r[column]) for r in csv.DictReader(f) if r.get(column)}


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def kendall_tau(xs, ys):
    # O(n^2) tau-a over at most 3,000 pairs' worth of points; enough for a study.
    n, s = len(xs), 0
    for i in range(n):
        for j in range(i + 1, n):
            d = (xs[i] - xs[j]) * (ys[i] - ys[j])
            s += (d > 0) - (d < 0)
    return 2.0 * s / (n * (n - 1)) if n > 1 else float("nan")


MEM = re.compile(r"(?:%[a-z]s:)?-?(?:0x[0-9a-f]+|\d+)?\((%[a-z0-9]+)?(?:,%[a-z0-9]+)?(?:,\d)?\)")


def memory_kind(text):
    """'none' | 'loads' | 'stores' | 'loads+stores, one base' | 'loads+stores, several bases'."""
    loads = stores = 0
    bases = set()
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        mnemonic, _, operands = line.partition(" ")
        mnemonic = mnemonic.strip()
        if mnemonic.startswith(("lea", "nop", "prefetch")):
            continue
        if mnemonic.startswith("push"):
            stores += 1
            bases.add("%rsp")
        if mnemonic.startswith("pop"):
            loads += 1
            bases.add("%rsp")
        ops = [o.strip() for o in re.split(r",(?![^()]*\))", operands) if o.strip()]
        for i, op in enumerate(ops):
            m = MEM.search(op)
            if not m:
                continue
            bases.add(m.group(1) or "abs")
            last = i == len(ops) - 1
            if last and len(ops) > 1 and not mnemonic.startswith(("cmp", "test", "bt")):
                stores += 1
                if not mnemonic.startswith("mov"):
                    loads += 1  # read-modify-write
            else:
                loads += 1
                if len(ops) == 1 and mnemonic.startswith(("inc", "dec", "neg", "not", "set", "shl", "shr", "sar",
                                                          "rol", "ror")):
                    stores += 1
    if not loads and not stores:
        return "none"
    if not stores:
        return "loads only"
    if not loads:
        return "stores, no loads"
    return "loads+stores, one base" if len(bases) == 1 else "loads+stores, several bases"


def disassemble(surrogate, hexes):
    p = subprocess.run([surrogate, "disasm", "-"], input="hex\n" + "\n".join(hexes) + "\n", capture_output=True,
                       text=True, check=True)
    blocks = p.stdout.strip("\n").split("\n\n")
    if len(blocks) != len(hexes):
        sys.exit(f"disasm gave {len(blocks)} blocks for {len(hexes)}")
    return dict(zip(hexes, blocks))


def mape(pred, truth):
    return 100.0 * statistics.fmean(abs(p - t) / t for p, t in zip(pred, truth))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("shared")
    ap.add_argument("distinct")
    ap.add_argument("--shared2")
    ap.add_argument("--distinct2")
    ap.add_argument("--mca")
    ap.add_argument("--surrogate", default="build/bin/surrogate")
    ap.add_argument("--worst", type=int, default=0)
    args = ap.parse_args()
    shared, distinct = load(args.shared), load(args.distinct)
    shared2 = load(args.shared2) if args.shared2 else {}
    distinct2 = load(args.distinct2) if args.distinct2 else {}
    mca = load(args.mca) if args.mca else {}
    keys = [k for k in shared if k in distinct and shared[k] > 0 and distinct[k] > 0]
    # With a second run of a layout, a block counts only where its two runs
    # agree within 5% (a burst of a disturbed batch is not a layout effect).
    dropped = 0
    for second, first in ((shared2, shared), (distinct2, distinct)):
        if second:
            kept = [k for k in keys if k in second and second[k] > 0 and abs(second[k] / first[k] - 1) <= 0.05]
            dropped += len(keys) - len(kept)
            keys = kept
    if dropped:
        print(f"{dropped} blocks left out: their two runs of one layout differ by more than 5%\n")
    if args.mca:
        keys = [k for k in keys if k in mca]
    text = disassemble(args.surrogate, keys)
    groups = {}
    for k in keys:
        groups.setdefault(memory_kind(text[k]), []).append(k)
    order = ["none", "loads only", "stores, no loads", "loads+stores, one base", "loads+stores, several bases"]
    header = "| memory operands | blocks | distinct/shared median | p10 | p90 | >10% apart |"
    if shared2:
        header += " shared run 2 vs 1 >10% apart |"
    if distinct2:
        header += " distinct run 2 vs 1 >10% apart |"
    if mca:
        header += " llvm-mca MAPE vs shared | vs distinct | tau vs shared | vs distinct |"
    print(header)
    print("|" + "|".join([":---"] + ["---:"] * (header.count("|") - 2)) + "|")
    for name in order + ["all"]:
        ks = keys if name == "all" else groups.get(name, [])
        if not ks:
            continue
        ratio = [distinct[k] / shared[k] for k in ks]
        row = (f"| {name} | {len(ks):,} | {statistics.median(ratio):.3f} | {quantile(ratio, 0.1):.3f} | "
               f"{quantile(ratio, 0.9):.3f} | {100.0 * sum(abs(r - 1) > 0.1 for r in ratio) / len(ks):.1f}% |")
        if shared2:
            row += f" {100.0 * sum(abs(shared2[k] / shared[k] - 1) > 0.1 for k in ks) / len(ks):.1f}% |"
        if distinct2:
            row += f" {100.0 * sum(abs(distinct2[k] / distinct[k] - 1) > 0.1 for k in ks) / len(ks):.1f}% |"
        if mca:
            m = [mca[k] for k in ks]
            s = [shared[k] for k in ks]
            d = [distinct[k] for k in ks]
            row += (f" {mape(m, s):.1f}% | {mape(m, d):.1f}% | {kendall_tau(m, s):.3f} | "
                    f"{kendall_tau(m, d):.3f} |")
        print(row)
    if args.worst:
        print(f"\nlargest distinct/shared differences (cycles per 100 iterations):")
        for k in sorted(keys, key=lambda k: -abs(distinct[k] / shared[k] - 1))[:args.worst]:
            line = f"  shared {shared[k]:.0f} distinct {distinct[k]:.0f}"
            if mca:
                line += f" llvm-mca {mca[k]:.0f}"
            print(line + ": " + "; ".join(text[k].splitlines()))


if __name__ == "__main__":
    main()
