#!/usr/bin/env python3
"""Velocity-Verlet MD in ASE with gaq as the force engine, over the i-PI socket protocol.

ASE is the server (SocketIOCalculator on a UNIX socket); gaq is the client, started by ASE through
`launch_client` once the socket exists. Every frame's positions and the energy and forces ASE
received are written at full float64 precision, so a test can re-evaluate the model on exactly those
positions (src/test/java/org/gaq/serve/AseSocketIntegrationTest.java does).

    python3 tools/ase-client/ase_md_with_gaq.py --structure ethanol.xyz --out md.txt \
        -- ./gaq drive models/ethanol-fp32.safetensors --structure ethanol.xyz

The command after `--` starts gaq; this script appends `--unix NAME`. Without one it runs
`./gaq drive MODEL --structure STRUCTURE` from the repository root (--model, default the committed
ethanol model).

Output (--out): a first line `ase_units Bohr B Hartree H` (ASE's constants, which gaq must match),
then one block per frame: a line `frame K energy E` (eV), then one line per atom `x y z fx fy fz`
(Å, eV/Å), all printed with repr(), i.e. exactly.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np
from ase import units
from ase.calculators.socketio import SocketIOCalculator
from ase.io import read
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from ase.md.verlet import VelocityVerlet

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--structure", required=True, help="start geometry, any file ase.io.read understands")
    p.add_argument("--out", required=True, help="where to write every frame's positions and forces")
    p.add_argument("--socket", default=f"gaq-ase-{os.getpid()}", help="UNIX socket name (-> /tmp/ipi_NAME)")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--dt", type=float, default=0.5, help="time step, fs")
    p.add_argument("--temperature", type=float, default=300.0, help="initial Maxwell-Boltzmann temperature, K")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--model", default=os.path.join(REPO, "models", "ethanol-fp32.safetensors"))
    p.add_argument("--timeout", type=float, default=120.0, help="ASE's socket timeout, s (a dead client must not hang us)")
    p.add_argument("client", nargs=argparse.REMAINDER, help="-- COMMAND that starts gaq drive (gets --unix NAME appended)")
    args = p.parse_args()
    client = args.client[1:] if args.client[:1] == ["--"] else args.client
    if not client:
        client = [os.path.join(REPO, "gaq"), "drive", args.model, "--structure", args.structure]

    atoms = read(args.structure)
    atoms.calc = None
    atoms.pbc = False
    atoms.cell[:] = 0.0   # an isolated molecule: ASE then sends an all-zero cell
    MaxwellBoltzmannDistribution(atoms, temperature_K=args.temperature, rng=np.random.default_rng(args.seed))
    Stationary(atoms)

    def launch(atoms, properties=None, port=None, unixsocket=None):
        return subprocess.Popen(client + ["--unix", unixsocket])

    frames = []

    def record():
        frames.append((atoms.get_positions().copy(), atoms.get_potential_energy(), atoms.get_forces().copy(),
                       atoms.get_kinetic_energy()))

    t0 = time.perf_counter()
    with SocketIOCalculator(unixsocket=args.socket, launch_client=launch, timeout=args.timeout) as calc:
        atoms.calc = calc
        dyn = VelocityVerlet(atoms, timestep=args.dt * units.fs)
        dyn.attach(record, interval=1)
        dyn.run(args.steps)
    elapsed = time.perf_counter() - t0   # includes gaq's start-up and its exit (ASE waits for the process)

    with open(args.out, "w") as f:
        f.write(f"ase_units Bohr {units.Bohr!r} Hartree {units.Hartree!r}\n")
        for k, (r, e, forces, _) in enumerate(frames):
            f.write(f"frame {k} energy {e!r}\n")
            for x, fx in zip(r, forces):
                f.write(" ".join(repr(float(v)) for v in (*x, *fx)) + "\n")

    total = [e + kin for (_, e, _, kin) in frames]
    print(f"ase_md_with_gaq: {len(frames)} frames, {args.steps} Velocity-Verlet steps of {args.dt} fs in {elapsed:.2f} s; "
          f"total energy drift {total[-1] - total[0]:+.2e} eV (max excursion {max(total) - min(total):.2e} eV)")


if __name__ == "__main__":
    sys.exit(main())
