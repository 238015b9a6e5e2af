#!/usr/bin/env python3
"""Summarises a bench_peers.sh run: peers_table.py OUT_DIR (gaq.N.json, torch.N.json, *.acc.json).

Per (workload, case, implementation): median and p10-p90 of the thread CPU time of all repetitions of
all rounds pooled, the median wall time, and speed ratios taken within each round (other's median /
this median, so > 1 means this one is faster), reported as the median over rounds [min-max].
Prints Markdown tables."""
import glob
import json
import os
import sys

import numpy as np

NAMES = {"ethanol-fp32": "gaq FP32", "ethanol-gaq-w8a8.int": "gaq W8A8 int", "ethanol-gaq-w4a8.int": "gaq W4A8 int"}
ORDER = ["torch FP32", "torch dyn-int8", "torch dyn-int8 per-channel", "torch dyn-int8 (layers only)",
         "gaq FP32", "gaq W8A8 int", "gaq W4A8 int"]
REFS = ["torch dyn-int8", "torch FP32"]


def name(impl, model):
    return NAMES.get(model, ("gaq " + model) if impl == "gaq" else model)


def load(out):
    rounds = {}
    for path in sorted(glob.glob(os.path.join(out, "*.[0-9]*.json"))):
        r = int(path.rsplit(".", 2)[-2])
        d = json.load(open(path))
        for x in d["results"]:
            rounds.setdefault(r, {})[(x["workload"], x["case"], name(d["implementation"], x["model"]))] = x
    return rounds


def fmt(v):
    return f"{v:.2f}" if v < 100 else f"{v:.0f}"


def main():
    out = sys.argv[1]
    rounds = load(out)
    keys = []
    for rd in rounds.values():
        for k in rd:
            if k not in keys:
                keys.append(k)
    workloads = list(dict.fromkeys(k[0] for k in keys))
    meta = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "*.1.json")))]
    for m in meta:
        extra = (f", torch {m['torch']}, BLAS {os.path.basename(m['blas'].split(', ')[-1])}, quantized engine "
                 f"{m['quantized_engine']}") if m["implementation"] == "torch" else f", JDK {m.get('java')}"
        print(f"- {m['implementation']}: {m['threads']} thread{extra}")
        for k, v in m.get("forces_unsupported", {}).items():
            print(f"  - {k}: no forces (autograd: \"{v}\")")
    print(f"- {len(rounds)} rounds; CPU time = the calling thread's CPU time, pooled over rounds; "
          "ratios = other's median / this median within each round, median over rounds [min-max]\n")
    print("| workload | case | implementation | CPU median ms | p10-p90 | wall median ms | torch dyn-int8 / this | torch FP32 / this |")
    print("|---|---|---|---|---|---|---|---|")
    for w in workloads:
        for case in ("E", "E+F"):
            impls = sorted({k[2] for k in keys if k[0] == w and k[1] == case},
                           key=lambda s: ORDER.index(s) if s in ORDER else 99)
            for impl in impls:
                cpu = np.concatenate([rd[(w, case, impl)]["cpu_ms"] for rd in rounds.values() if (w, case, impl) in rd])
                wall = np.concatenate([rd[(w, case, impl)]["wall_ms"] for rd in rounds.values() if (w, case, impl) in rd])
                cols = []
                for ref in REFS:
                    ratios = [np.median(rd[(w, case, ref)]["cpu_ms"]) / np.median(rd[(w, case, impl)]["cpu_ms"])
                              for rd in rounds.values() if (w, case, ref) in rd and (w, case, impl) in rd]
                    cols.append("n/a" if not ratios or ref == impl else
                                f"{np.median(ratios):.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]")
                print(f"| {w} | {case} | {impl} | {fmt(np.median(cpu))} | {fmt(np.percentile(cpu, 10))}-"
                      f"{fmt(np.percentile(cpu, 90))} | {fmt(np.median(wall))} | {cols[0]} | {cols[1]} |")
    acc = []
    for path in sorted(glob.glob(os.path.join(out, "*.acc.json"))):
        d = json.load(open(path))
        acc += [(name(d["implementation"], a["model"]), a) for a in d["accuracy"]]
    if acc:
        print(f"\nAccuracy on the first {acc[0][1]['frames']} frames of rmd17_ethanol_test_01:\n")
        print("| implementation | energy MAE meV | force MAE meV/A |")
        print("|---|---|---|")
        for n, a in sorted(acc, key=lambda x: ORDER.index(x[0]) if x[0] in ORDER else 99):
            fm = a.get("force_mae_mev_per_a")
            print(f"| {n} | {a['energy_mae_mev']:.2f} | {'no forces' if fm is None else f'{fm:.2f}'} |")


if __name__ == "__main__":
    main()
