/**
 * Molecular dynamics with a gaq model as the force field: {@link org.gaq.md.VelocityVerlet} (NVE),
 * {@link org.gaq.md.LangevinBaoab} (NVT), Maxwell–Boltzmann starts, energy-drift analysis and the
 * {@link org.gaq.md.Simulation} driver (trajectory, energy log, checkpoints, blow-up detection).
 *
 * <p>Units throughout: positions Å, velocities Å/fs, time fs, masses amu, energies eV, forces eV/Å.
 * Equations are in docs/md.md.
 */
package org.gaq.md;
