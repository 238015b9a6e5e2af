#!/usr/bin/env python3
"""Single-thread PyTorch float32 timings of the gaq model (gaq_torch.py), to set beside
org.gaq.tools.ReferenceBench:

    /usr/bin/python3 tools/torch-reference/bench_torch.py MODEL.safetensors [--data DIR] [--reps 30]
        [--warmup 3] [--threads 1] [--json]

Cases (graphs built once, outside the timed region; the same in ReferenceBench):
  * E+F of one ethanol (9 atoms) and of one aspirin (21 atoms): forward, then forces = -dE/dR
    (no graph of the graph).
  * one training step on 8 ethanol frames: forward, forces with create_graph, the training loss
    (w_E = 0.01, w_F = 0.99), backward into the parameters, torch.optim.Adam step.
Every case is warmed up for --warmup seconds first; then each is warmed again for a third of that
and measured: at least --reps repetitions (and at least 2 s);
median and p10-p90 in ms.

BLAS: Debian's python3-torch is built with BLAS_INFO=generic and calls whatever libblas.so.3 resolves to;
on a fresh Debian that is the unoptimised reference BLAS (matmuls then take ~70% of the time). For a
fair comparison, run with OpenBLAS without touching the system alternatives:
    apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas-local
    LD_LIBRARY_PATH=/tmp/openblas-local/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 bench_torch.py ...
The BLAS actually loaded is printed.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gaq_torch as gt  # noqa: E402


def loaded_blas():
    """The BLAS shared library this process mapped (Debian's torch uses whatever libblas.so.3 resolves to)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "/" in line and "blas" in line.split()[-1].rsplit("/", 1)[-1]}
        return ", ".join(sorted(libs)) or "unknown"
    except OSError:
        return "unknown"


def timed(fn, warmup, reps):
    end = time.perf_counter() + warmup
    while time.perf_counter() < end:
        fn()
    ms = []
    measure_end = time.perf_counter() + 2.0
    while len(ms) < reps or (time.perf_counter() < measure_end and len(ms) < 10000):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
    a = np.array(ms)
    return dict(median_ms=float(np.median(a)), p10_ms=float(np.percentile(a, 10)),
                p90_ms=float(np.percentile(a, 90)), reps=len(a))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    repo = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--data", default=os.environ.get("GAQ_DATA_DIR", os.path.join(repo, "..", "shared", "data")) + "/rmd17",
                    help="folder with the rMD17 npz files (default: $GAQ_DATA_DIR/rmd17, else ../shared/data/rmd17)")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    model = gt.GaqModel.load(args.model, torch.float32)
    eth = gt.read_rmd17(os.path.join(args.data, "rmd17_ethanol_train_01.npz"))
    asp = gt.read_rmd17(os.path.join(args.data, "rmd17_aspirin_train_01.npz"))
    frame = lambda d, k: (d[0], d[1][k], d[2][k], d[3][k])
    g_eth = gt.batch([frame(eth, 0)], model.rc)
    g_asp = gt.batch([frame(asp, 0)], model.rc)
    g8 = gt.batch([frame(eth, k) for k in range(8)], model.rc)
    params = [p for _, p in model.parameter_list()]
    opt = torch.optim.Adam(params, lr=1e-7, betas=(0.9, 0.999), eps=1e-8)

    def ef(g):
        return lambda: model.predict(g, create_graph=False)[1]

    def train_step():
        opt.zero_grad(set_to_none=True)
        e, f = model.predict(g8, create_graph=True)
        loss = gt.loss_fn(model, g8, e, f, 0.01, 0.99)
        loss.backward()
        opt.step()

    cases = [("E+F ethanol (9 atoms)", ef(g_eth)), ("E+F aspirin (21 atoms)", ef(g_asp)),
             ("train step, 8 ethanol", train_step)]
    for _, fn in cases:  # warm every case first, as ReferenceBench does
        end = time.perf_counter() + args.warmup
        while time.perf_counter() < end:
            fn()
    results = [dict(case=name, **timed(fn, args.warmup / 3, args.reps)) for name, fn in cases]
    if args.json:
        print(json.dumps(dict(implementation="torch", torch=torch.__version__, threads=args.threads,
                              dtype="float32", blas=loaded_blas(), results=results)))
        return
    print(f"torch {torch.__version__} float32, {args.threads} thread(s), BLAS {loaded_blas()}")
    print(f"{'case':<26} {'median ms':>10} {'p10 ms':>10} {'p90 ms':>10} {'reps':>6}")
    for r in results:
        print(f"{r['case']:<26} {r['median_ms']:>10.3f} {r['p10_ms']:>10.3f} {r['p90_ms']:>10.3f} {r['reps']:>6}")


if __name__ == "__main__":
    main()
