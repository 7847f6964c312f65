#!/usr/bin/env python3
"""Draws N distinct measured blocks (hex,throughput,sources) from `surrogate measure`
outputs, with a fixed seed: the input of issue 15's unseen-host check (adapt from
20,000 blocks measured on a host no shipped model has seen).

Usage: tools/sample_measured.py OUT.csv MEASURED.csv... [--size N]
Rows without a throughput (unmeasurable, disturbed) are skipped; the first
occurrence of a hex wins."""
import csv, random, sys
args = [a for a in sys.argv[1:] if not a.startswith('--size')]
size = 20000
for a in sys.argv[1:]:
    if a.startswith('--size='):
        size = int(a.split('=', 1)[1])
out, inputs = args[0], args[1:]
rows = []
for path in inputs:
    for r in csv.DictReader(open(path)):
        if r['throughput']:
            rows.append((r['hex'], r['throughput'], r.get('sources', '')))
seen = set(); uniq = []
for r in rows:
    if r[0] not in seen:
        seen.add(r[0]); uniq.append(r)
random.Random(20261201).shuffle(uniq)
with open(out, 'w', newline='') as f:
    w = csv.writer(f); w.writerow(['hex', 'throughput', 'sources'])
    for r in uniq[:size]: w.writerow(r)
print(f'{len(uniq)} measured distinct rows; wrote {min(size, len(uniq))} to {out}')
