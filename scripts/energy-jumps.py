#!/usr/bin/env python3
"""Per-step changes of the total energy in an NVE energy.csv logged every step (gaq md --log-every 1).

A smooth potential changes the total energy by O(dt^3) per step; a quantized one jumps where a rounded value
changes code. Prints the RMS and the largest |dE| per step (meV per atom) and the share of steps above 0.1 meV/atom.
Usage: scripts/energy-jumps.py RUN/energy.csv [atoms=9]
"""
import csv
import math
import sys

path = sys.argv[1]
atoms = int(sys.argv[2]) if len(sys.argv) > 2 else 9
with open(path) as f:
    rows = list(csv.DictReader(f))
steps = [int(r["step"]) for r in rows]
if any(b - a != 1 for a, b in zip(steps, steps[1:])):
    sys.exit(f"{path}: rows are not one step apart (run gaq md with --log-every 1)")
e = [float(r["total_eV"]) for r in rows]
d = [1000.0 * (b - a) / atoms for a, b in zip(e, e[1:])]
rms = math.sqrt(sum(x * x for x in d) / len(d))
big = sum(1 for x in d if abs(x) > 0.1)
print(f"{path}: {len(d)} steps, per-step |dE_total| RMS {rms:.4f} meV/atom, max {max(abs(x) for x in d):.3f} meV/atom, "
      f"{100.0 * big / len(d):.2f}% of steps above 0.1 meV/atom")
