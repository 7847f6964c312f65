#!/usr/bin/env python3
"""How much of a program `surrogate optimize` can reach (issue 17, BENCHMARKS.md 30 and 35).

For each binary, its blocks as `surrogate disasm` splits them (terminating
branches dropped, as optimize sees them), counted by length and by the shapes
whose rewrites measured faster on a host (section 30): an `addq $n, %rsp`
before a pop, a push before a `subq $n, %rsp`, a nop beside other
instructions. Prints one markdown row per binary, shares of its blocks.

  tools/block_census.py /usr/bin/git /usr/bin/bash [--surrogate build/bin/surrogate]
"""
import argparse
import re
import subprocess

SHAPES = ("add+pop", "push+sub", "nop")


def blocks(text):
    block = []
    for line in text.splitlines():
        if line.startswith("#"):
            if block:
                yield block
            block = []
        elif line.strip():
            block.append(line.split())
    if block:
        yield block


def shapes(block):
    found = set()
    ops = [ins[0] for ins in block]
    for k, ins in enumerate(block):
        text = " ".join(ins)
        if re.match(r"addq \$\d+, %rsp$", text) and any(op == "popq" for op in ops[k + 1:]):
            found.add("add+pop")
        if re.match(r"subq \$\d+, %rsp$", text) and any(op == "pushq" for op in ops[:k]):
            found.add("push+sub")
        if ins[0].startswith("nop") and len(block) > 1:
            found.add("nop")
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binaries", nargs="+")
    p.add_argument("--surrogate", default="build/bin/surrogate")
    a = p.parse_args()
    print("| binary | blocks | 1 instruction | 2 | 3 or more | " + " | ".join(SHAPES) + " | any shape |")
    print("|:---|" + "---:|" * (5 + len(SHAPES)))
    for binary in a.binaries:
        text = subprocess.run([a.surrogate, "disasm", binary], check=True, capture_output=True, text=True).stdout
        n = 0
        length = [0, 0, 0]
        count = dict.fromkeys(SHAPES + ("any",), 0)
        for block in blocks(text):
            n += 1
            length[min(len(block), 3) - 1] += 1
            found = shapes(block)
            for s in found:
                count[s] += 1
            count["any"] += bool(found)
        share = lambda k: f"{100 * k / n:.1f}%"
        cells = [binary.rsplit("/", 1)[-1], f"{n:,}"] + [share(k) for k in length]
        cells += [share(count[s]) for s in SHAPES + ("any",)]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
