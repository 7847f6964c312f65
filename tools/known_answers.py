#!/usr/bin/env python3
"""Known-answer blocks for `surrogate measure`, and the check of a measured file.

  tools/known_answers.py make OUT.csv        # 204 dependent chains, column truth
  tools/known_answers.py check OUT.csv MEASURED.csv

The blocks are dependent chains whose cost is architectural on every x86-64
core of the last 15 years: `add REG, rcx` (1 cycle each) x 2..13 and
`imul REG, REG` (3 cycles each) x 2..6, over 12 registers. Throughput is in
cycles per 100 iterations. `check` prints how many blocks were measured, the
median and worst relative error against the truth, and how many read more than
2% and 5% off (and how many of those low); it exits 1 when any measured block
is more than 5% off.
"""
import csv
import statistics
import sys

# name: (REX.B, register code)
REGISTERS = {'rbx': (0, 3), 'rdx': (0, 2), 'rsi': (0, 6), 'rdi': (0, 7), 'r8': (1, 0), 'r9': (1, 1),
             'r10': (1, 2), 'r11': (1, 3), 'r12': (1, 4), 'r13': (1, 5), 'r14': (1, 6), 'r15': (1, 7)}


def blocks():
    for ext, code in REGISTERS.values():
        add = bytes([0x48 | ext, 0x01, 0xC8 | code])  # add REG, rcx
        imul = bytes([0x48 | ext | ext << 2, 0x0F, 0xAF, 0xC0 | code << 3 | code])  # imul REG, REG
        for n in range(2, 14):
            yield (add * n).hex(), 100 * n
            if n <= 6:
                yield (imul * n).hex(), 300 * n


def make(out):
    with open(out, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['hex', 'truth'])
        for hex_, truth in blocks():
            w.writerow([hex_, truth])


def check(truth_csv, measured_csv):
    truth = {r['hex']: float(r['truth']) for r in csv.DictReader(open(truth_csv))}
    errors = []
    for r in csv.DictReader(open(measured_csv)):
        if r['hex'] in truth and r['throughput']:
            errors.append((float(r['throughput']) / truth[r['hex']] - 1, r['hex']))
    if not errors:
        print('no block measured')
        return 1
    size = [abs(e) for e, _ in errors]
    worst = max(errors, key=lambda e: abs(e[0]))
    print(f'measured {len(errors)} of {len(truth)}; |error| median {100 * statistics.median(size):.2f}%, '
          f'worst {100 * worst[0]:+.2f}% ({worst[1]}); over 2%: {sum(s > 0.02 for s in size)}, '
          f'over 5%: {sum(s > 0.05 for s in size)} ({sum(e < -0.05 for e, _ in errors)} low)')
    return 1 if max(size) > 0.05 else 0


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'make':
        make(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == 'check':
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
