#!/usr/bin/env python3
"""PyTorch FP32 and PyTorch dynamic int8 (torch.ao.quantization.quantize_dynamic) on the gaq model
(gaq_torch.py), single thread: the torch side of bench_peers.sh (issue #5), to set beside
org.gaq.tools.PeerBench.

    /usr/bin/python3 tools/torch-reference/bench_torch_int8.py MODEL.safetensors [--data RMD17_DIR]
        [--warmup 3] [--seconds 2] [--reps 20] [--threads 1] [--accuracy FRAMES] [--no-timing]

Variants:
  * torch FP32           GaqModel as check_agreement.py uses it (x @ W + b).
  * torch dyn-int8       GaqModel.use_linear_modules(), then
                         quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8): every weight
                         product (7 per layer and the 2 of the energy head) becomes a dynamically
                         quantized Linear (int8 weights per tensor, activations quantized per call).
  * torch dyn-int8 per-channel
                         the same with per_channel_dynamic_qconfig (one weight scale per output channel,
                         as gaq W8A8 has).
  * torch dyn-int8 (layers only)
                         the same with the energy head left in FP32, i.e. the products gaq W8A8 quantizes.
Workloads (as PeerBench): frame 0 of ethanol (9 atoms), frame 0 of aspirin (21 atoms), frames 0-63 of
ethanol as one batch, graphs built outside the timed region. Cases: "E" (energies under
torch.inference_mode) and "E+F" (forces = -dE/dR by autograd). A dynamically quantized Linear has no
backward in torch 1.13 (its output does not require grad), so "E+F" of the int8 variants is attempted
once and its error recorded instead of a timing.

Timing: every (variant, case) warmed for --warmup seconds in all, then case by case with the variants
interleaved, >= --reps repetitions and >= --seconds each; wall (perf_counter) and the thread's CPU
time (thread_time) of each repetition, in ms. Accuracy: energy MAE (meV) on the first FRAMES frames of
rmd17_ethanol_test_01, in batches of 50; force MAE (meV/A) where forces exist. Output: one JSON object.

BLAS: see bench_torch.py (Debian's torch uses whatever libblas.so.3 resolves to; run it with OpenBLAS
through LD_LIBRARY_PATH for a fair FP32 number). The quantized Linear runs on the 'onednn' or 'qnnpack'
engine (Debian's build has no fbgemm); the engine used is printed.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gaq_torch as gt  # noqa: E402
from bench_torch import loaded_blas  # noqa: E402

warnings.filterwarnings("ignore", message="scatter_reduce")


def variants(path):
    fp32 = gt.GaqModel.load(path, torch.float32)
    int8 = torch.ao.quantization.quantize_dynamic(
        gt.GaqModel.load(path, torch.float32).use_linear_modules(), {torch.nn.Linear}, dtype=torch.qint8)
    layers = gt.GaqModel.load(path, torch.float32).use_linear_modules()
    spec = {f"linears.{w.replace('.', '/')}": torch.ao.quantization.default_dynamic_qconfig
            for w, _ in gt.weight_products(layers.L) if w.startswith("layers.")}
    int8_layers = torch.ao.quantization.quantize_dynamic(layers, spec, dtype=torch.qint8)
    per_channel = torch.ao.quantization.quantize_dynamic(
        gt.GaqModel.load(path, torch.float32).use_linear_modules(),
        {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}, dtype=torch.qint8)
    return [("torch FP32", fp32), ("torch dyn-int8", int8), ("torch dyn-int8 per-channel", per_channel),
            ("torch dyn-int8 (layers only)", int8_layers)]


def energies(model, g):
    with torch.inference_mode():
        return model.energies(g, torch.tensor(g["positions"], dtype=torch.float32))


def forces_error(model, g):
    """None if E+F works, else the error message."""
    try:
        model.predict(g, create_graph=False)
        return None
    except RuntimeError as e:
        return str(e).splitlines()[0]


def warm(fn, seconds):
    end = time.perf_counter() + seconds
    fn()
    while time.perf_counter() < end:
        fn()


def measure(fn, warmup, seconds, reps):
    warm(fn, warmup)
    wall, cpu = [], []
    end = time.perf_counter() + seconds
    while len(wall) < reps or (time.perf_counter() < end and len(wall) < 10000):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        t1, c1 = time.perf_counter(), time.thread_time()
        wall.append(round((t1 - t0) * 1e3, 4))
        cpu.append(round((c1 - c0) * 1e3, 4))
    return wall, cpu


def accuracy(model, test, frames, with_forces):
    z, r, e, f = test
    e_err, f_err = [], []
    for start in range(0, frames, 50):
        ks = range(start, min(frames, start + 50))
        g = gt.batch([(z, r[k], e[k], f[k]) for k in ks], model.rc)
        pred = energies(model, g).double().numpy() + model.shifts(g)
        e_err.append(np.abs(pred - g["energies"]))
        if with_forces:
            _, fp = model.predict(g)
            f_err.append(np.abs(fp.detach().double().numpy() - g["forces"]).ravel())
    out = dict(energy_mae_mev=float(np.concatenate(e_err).mean() * 1e3), frames=frames)
    out["force_mae_mev_per_a"] = float(np.concatenate(f_err).mean() * 1e3) if with_forces else None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    repo = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--data", default=os.environ.get("GAQ_DATA_DIR", os.path.join(repo, "..", "shared", "data")) + "/rmd17")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--accuracy", type=int, default=0, metavar="FRAMES")
    ap.add_argument("--no-timing", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    models = variants(args.model)
    eth = gt.read_rmd17(os.path.join(args.data, "rmd17_ethanol_train_01.npz"))
    asp = gt.read_rmd17(os.path.join(args.data, "rmd17_aspirin_train_01.npz"))
    frame = lambda d, k: (d[0], d[1][k], d[2][k], d[3][k])
    rc = models[0][1].rc
    workloads = [("ethanol, 1 molecule (9 atoms)", gt.batch([frame(eth, 0)], rc), 1),
                 ("aspirin, 1 molecule (21 atoms)", gt.batch([frame(asp, 0)], rc), 1),
                 ("ethanol, batch of 64", gt.batch([frame(eth, k) for k in range(64)], rc), 64)]
    unsupported = {name: forces_error(m, workloads[0][1]) for name, m in models}
    results = []
    if not args.no_timing:
        jobs = []
        for wname, g, mols in workloads:
            for kind in ("E", "E+F"):
                for name, m in models:
                    if kind == "E+F" and unsupported[name]:
                        continue
                    fn = (lambda m=m, g=g: energies(m, g)) if kind == "E" else (lambda m=m, g=g: m.predict(g)[1])
                    jobs.append((name, wname, mols, kind, fn))
        for j in jobs:
            warm(j[4], args.warmup / len(jobs))
        for name, wname, mols, kind, fn in jobs:
            wall, cpu = measure(fn, args.warmup / 3 / len(models), args.seconds, args.reps)
            results.append(dict(model=name, workload=wname, molecules=mols, case=kind, reps=len(wall),
                                wall_ms=wall, cpu_ms=cpu))
    acc = []
    if args.accuracy > 0:
        test = gt.read_rmd17(os.path.join(args.data, "rmd17_ethanol_test_01.npz"))
        n = min(args.accuracy, len(test[1]))
        for name, m in models:
            acc.append(dict(model=name, **accuracy(m, test, n, not unsupported[name])))
    print(json.dumps(dict(implementation="torch", torch=torch.__version__, threads=args.threads,
                          blas=loaded_blas(), quantized_engine=torch.backends.quantized.engine,
                          forces_unsupported={k: v for k, v in unsupported.items() if v},
                          results=results, accuracy=acc)))


if __name__ == "__main__":
    main()
