#!/usr/bin/env python3
"""Cross-checks gaq (Java, float32) against the PyTorch mirror in gaq_torch.py.

    /usr/bin/python3 tools/torch-reference/check_agreement.py MODEL.safetensors NPZ [--frames N] [--first K]
        [--java PATH] [--jar PATH] [--tol 1e-4] [--verbose]

Runs org.gaq.tools.ReferenceDump (energies, forces, training loss and its gradient for every
parameter on one batch of frames), computes the same in torch float64 and float32, prints a table
and exits 1 if gaq and torch float64 disagree by more than --tol (relative, see below).

Comparison (err = max |a - b| over the quantity, b = torch float64):
  * forces, loss: err / max|b| <= tol.
  * energies: err / max|E| <= tol and err <= 16 float32 ulp of max|E|. Both gaq and this mirror add the
    per-element shifts (thousands of eV) in float64 to a float32 interaction energy, so the error relative
    to the spread of the batch (E - mean E, printed) is small too.
  * loss gradients, per parameter: err / max(max|b|, 1e-3 x the largest gradient of any parameter) (the floor
    only matters for layers.0.vector_mix.weight, whose true gradient is exactly 0: v = 0 in the first layer)
    must be <= tol, or, where float32 itself cannot reach tol (for a well-trained model the loss is a sum of
    small residuals and its gradient a cancellation), no more than twice torch float32's own error. Run for
    the training loss (w_E = 0.01, w_F = 0.99) and for a force-only loss (w_E = 0, w_F = 1).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gaq_torch as gt  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def find_java(explicit):
    if explicit:
        return explicit
    script = os.path.join(REPO, "scripts", "find-jdk25.sh")
    out = subprocess.run(["bash", "-c", f'source "{script}" && gaq_find_jdk25 && printf %s "$GAQ_JAVA"'],
                         capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout:
        sys.exit("no JDK 25 found (pass --java):\n" + out.stderr)
    return out.stdout


def run_java(java, jar, model, npz, first, count, out, w_e, w_f):
    cmd = [java, "-Dgaq.threads=1", "--add-modules", "jdk.incubator.vector", "-cp", jar,
           "org.gaq.tools.ReferenceDump", model, npz, str(first), str(count), out, repr(w_e), repr(w_f)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("ReferenceDump failed:\n" + " ".join(cmd) + "\n" + r.stdout + r.stderr)
    return r.stdout.strip()


def torch_side(model_path, g, dtype, w_e, w_f):
    model = gt.GaqModel.load(model_path, dtype)
    e, f = model.predict(g, create_graph=True)
    loss = gt.loss_fn(model, g, e, f, w_e, w_f)
    names, params = zip(*model.parameter_list())
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    out = {"energies": e.detach().double().numpy() + model.shifts(g), "forces": f.detach().double().numpy(),
           "loss": np.array([loss.item()])}
    for n, p, gr in zip(names, params, grads):
        out["grad." + n] = np.zeros(p.shape) if gr is None else gr.double().numpy()
    return out


def rel(a, b, floor=0.0):
    a = np.asarray(a, np.float64); b = np.asarray(b, np.float64)
    return np.abs(a - b).max() / max(np.abs(b).max(), floor)


def print_table(title, rows):
    print(f"\n{title}")
    hdr = ("quantity", "relative to", "gaq vs t64", "t32 vs t64", "gaq vs t32", "asserted")
    w0 = max(len(r[0]) for r in rows + [hdr]); w1 = max(len(r[1]) for r in rows + [hdr])
    print(f"{hdr[0]:<{w0}}  {hdr[1]:<{w1}}  {hdr[2]:>10}  {hdr[3]:>10}  {hdr[4]:>10}  {hdr[5]}")
    for r_ in rows:
        print(f"{r_[0]:<{w0}}  {r_[1]:<{w1}}  {r_[2]:>10.2e}  {r_[3]:>10.2e}  {r_[4]:>10.2e}  {r_[5]}")


def check(args, java_bin, g, w_e, w_f, full, failures):
    """One ReferenceDump run against torch f64 and f32 with loss weights (w_e, w_f); returns table rows."""
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "ref.safetensors")
        print(run_java(java_bin, args.jar, args.model, args.npz, args.first, args.frames, dump, w_e, w_f))
        java, _ = gt.read_safetensors(dump)
    # The graph must be the one Java built.
    assert np.array_equal(g["center"], java["center"]) and np.array_equal(g["neighbor"], java["neighbor"]), "graphs differ"
    assert np.array_equal(g["positions"], java["positions"]), "positions differ"
    t64 = torch_side(args.model, g, torch.float64, w_e, w_f)
    t32 = torch_side(args.model, g, torch.float32, w_e, w_f)
    tol = args.tol
    rows = []

    def row(name, scale_desc, v, limit, which):
        """which: 0 asserts gaq vs t64, 2 asserts gaq vs t32, None: information only."""
        if which is None:
            rows.append((name, scale_desc, *v, "info"))
            return
        ok = v[which] <= limit
        rows.append((name, scale_desc, *v, ("vs t64" if which == 0 else "vs t32") + (" ok" if ok else " FAIL")))
        if not ok:
            failures.append(f"{name} (w_E={w_e}, w_F={w_f})")

    def three(key, f=lambda x: x, floor=0.0):
        return (rel(f(java[key]), f(t64[key]), floor), rel(f(t32[key]), f(t64[key]), floor),
                rel(f(java[key]), f(t32[key]), floor))

    if full:
        E64 = t64["energies"]
        ulp = float(np.spacing(np.float32(np.abs(E64).max())))
        row("energies", "max|E|", three("energies"), tol, 0)
        row("energies, abs err in float32 ulp", f"ulp {ulp:.2e} eV",
            tuple(v * np.abs(E64).max() / ulp for v in three("energies")), 16, 0)
        c = lambda x: x - x.mean()
        row("energies - mean", f"spread {np.abs(c(E64)).max():.3g} eV", three("energies", c), tol, None)
        row("forces", "max|F|", three("forces"), tol, 0)
    row("loss", "|loss|", three("loss"), tol, 0)

    grad_names = [k for k in t64 if k.startswith("grad.")]
    floor = 1e-3 * max(np.abs(t64[k]).max() for k in grad_names)
    which = 0   # every gradient against float64 (see limit below)
    per = {k: three(k, floor=floor) for k in grad_names}
    if args.verbose:
        for k in grad_names:
            row(k, "own max", per[k], tol, which)
    worst64 = max(grad_names, key=lambda k: per[k][0])
    worst32 = max(grad_names, key=lambda k: per[k][2])
    # vs t64, a gradient may miss tol only where float32 itself cannot reach it (a well-trained model's
    # force residuals are small differences): then gaq must be within 2x of torch float32's own error.
    limit = lambda k: tol if which == 2 else max(tol, 2 * per[k][1])
    for k in grad_names:  # every parameter is asserted, the table shows the worst
        if per[k][which] > limit(k) and not args.verbose:
            failures.append(f"{k} (w_E={w_e}, w_F={w_f})")
    rows.append((f"grad, worst of {len(grad_names)} vs t64", worst64[5:], *per[worst64], "info" if which else
                 ("vs t64 ok" if per[worst64][0] <= limit(worst64) else "vs t64 FAIL")))
    rows.append((f"grad, worst of {len(grad_names)} vs t32", worst32[5:], *per[worst32],
                 ("vs t32 " if which else "vs t64 ") + ("ok" if per[worst32][which] <= limit(worst32) else "FAIL")))
    cat = lambda d: np.concatenate([d[k].ravel() for k in grad_names])
    v = (rel(cat(java), cat(t64)), rel(cat(t32), cat(t64)), rel(cat(java), cat(t32)))
    row("grad, all parameters together", "max|grad|", v, tol, which)
    return rows, t64, java


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model"); ap.add_argument("npz")
    ap.add_argument("--frames", type=int, default=4); ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--java"); ap.add_argument("--jar", default=os.path.join(REPO, "target", "gaq.jar"),
                    help="gaq.jar, or a class path holding gaq's classes (the JUnit test passes its own)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--verbose", action="store_true", help="one row per parameter gradient")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if os.pathsep not in args.jar and not os.path.exists(args.jar):   # --jar may also be a class path
        sys.exit(f"{args.jar} not found: build with mvn -q -B package -DskipTests")
    java_bin = find_java(args.java)

    rc = json.loads(gt.read_safetensors(args.model)[1]["config"])["cutoff"]
    z, r, e, f = gt.read_rmd17(args.npz)
    frames = [(z, r[k], e[k], f[k]) for k in range(args.first, args.first + args.frames)]
    g = gt.batch(frames, rc)
    failures = []
    rows1, t64, java = check(args, java_bin, g, 0.01, 0.99, True, failures)
    rows2, _, _ = check(args, java_bin, g, 0.0, 1.0, False, failures)

    print(f"\n{args.frames} frame(s) from {os.path.basename(args.npz)} (first {args.first}), "
          f"{len(g['z'])} atoms, {len(g['center'])} edges; training loss {t64['loss'][0]:.8g} (torch f64), "
          f"{java['loss'][0]:.8g} (gaq); torch {torch.__version__}; tolerance {args.tol:g}")
    print_table("training loss (w_E = 0.01, w_F = 0.99):", rows1)
    print_table("force-only loss (w_E = 0, w_F = 1):", rows2)
    if failures:
        print(f"\nDISAGREEMENT in {len(failures)} quantities: {', '.join(failures[:10])}")
        sys.exit(1)
    print("\nall quantities agree")


if __name__ == "__main__":
    main()
