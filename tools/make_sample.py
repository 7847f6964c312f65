#!/usr/bin/env python3
"""Makes data/bhive-sample.csv: a seeded, stratified sample of the shared BHive blocks.

Strata are source families (openblas-dgemm -> openblas, gzip-compress -> gzip,
eigen-matmat -> eigen; a block found in several applications counts in the
family of its first-listed source). Each family gets a quota proportional to the
square root of its size (so small applications are not drowned by tensorflow
and clang's unattributed blocks), at least MIN_PER_FAMILY. Within a family,
blocks are ranked by sha256(seed:hex): same seed and input, same bytes out.

Usage: tools/make_sample.py [--input ../shared/data/bhive-blocks.csv]
                            [--output data/bhive-sample.csv] [--size 4000] [--seed 1]
                            [--exclude data/bhive-sample.csv]
"""
import argparse, collections, csv, hashlib, math, os, sys, tempfile

MIN_PER_FAMILY = 100


def family(sources: str) -> str:
    first = sources.split(";")[0]
    for prefix in ("openblas", "eigen", "gzip"):
        if first.startswith(prefix + "-"):
            return prefix
    return first


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--input", default=os.path.join(here, "..", "..", "shared", "data", "bhive-blocks.csv"))
    ap.add_argument("--output", default=os.path.join(here, "..", "data", "bhive-sample.csv"))
    ap.add_argument("--size", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--exclude", action="append", default=[],
                    help="a CSV whose blocks (first column) are never chosen, e.g. the shipped sample for a held-out set")
    args = ap.parse_args()

    excluded = set()
    for path in args.exclude:
        with open(path, newline="") as f:
            excluded.update(row[0] for row in csv.reader(f))

    by_family = collections.defaultdict(list)
    with open(args.input, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames[:3] != ["hex", "sources", "may_alias"]:
            sys.exit(f"{args.input}:1: expected header hex,sources,may_alias")
        for row in reader:
            if row["hex"] in excluded:
                continue
            by_family[family(row["sources"])].append(row)

    weights = {k: math.sqrt(len(v)) for k, v in by_family.items()}
    total_w = sum(weights.values())
    quota = {k: min(len(by_family[k]), max(MIN_PER_FAMILY, round(args.size * w / total_w)))
             for k, w in weights.items()}

    def rank(row):
        return hashlib.sha256(f"{args.seed}:{row['hex']}".encode()).hexdigest()

    chosen = []
    for k in sorted(by_family):
        chosen += sorted(by_family[k], key=rank)[: quota[k]]
    chosen.sort(key=rank)  # interleave families, deterministically

    out_dir = os.path.dirname(os.path.abspath(args.output))
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".sample.")
    with os.fdopen(fd, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["hex", "sources", "may_alias"])
        for row in chosen:
            w.writerow([row["hex"], row["sources"], row["may_alias"]])
    os.replace(tmp, args.output)
    counts = collections.Counter(family(r["sources"]) for r in chosen)
    print(f"{args.output}: {len(chosen)} blocks from {len(counts)} families: "
          + ", ".join(f"{k} {n}" for k, n in counts.most_common()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
