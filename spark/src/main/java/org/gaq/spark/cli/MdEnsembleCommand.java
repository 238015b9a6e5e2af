package org.gaq.spark.cli;

import org.apache.spark.sql.SparkSession;
import org.gaq.spark.EnsembleSettings;
import org.gaq.spark.MdEnsembleJob;
import org.gaq.spark.SparkSessions;
import org.gaq.spark.TrajectorySpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "md-ensemble", mixinStandardHelpOptions = true,
        description = {"N independent MD trajectories of one molecule, one Spark task each, run as gaq md runs them.",
                "Trajectory i starts from --start-frames[i mod F] at --temperatures[(i / F) mod T] with seed --first-seed + i.",
                "Writes out/trajectories (status, drift, mean temperature per trajectory), out/frames (sampled frames) and "
                        + "out/summary.json; a trajectory that blows up or fails is reported there, the others go on."})
public final class MdEnsembleCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "a gaq model file") Path model;
    @Option(names = "--structure", required = true, paramLabel = "SPEC", description = "start structures: extended-XYZ or .npz file, or rmd17:<molecule>")
    String structure;
    @Option(names = "--trajectories", defaultValue = "8", description = "how many (default: ${DEFAULT-VALUE})") int count;
    @Option(names = "--start-frames", split = ",", defaultValue = "0", description = "frames of --structure to start from (default: ${DEFAULT-VALUE})")
    int[] startFrames;
    @Option(names = "--temperatures", split = ",", defaultValue = "300", description = "K (default: ${DEFAULT-VALUE})") double[] temperatures;
    @Option(names = "--first-seed", defaultValue = "1", description = "seed of trajectory 0 (default: ${DEFAULT-VALUE})") long firstSeed;
    @Option(names = "--ensemble", defaultValue = "nve", description = "nve or langevin (default: ${DEFAULT-VALUE})") String ensemble;
    @Option(names = "--steps", defaultValue = "1000", description = "steps per trajectory (default: ${DEFAULT-VALUE})") long steps;
    @Option(names = "--dt", defaultValue = "0.5", description = "fs (default: ${DEFAULT-VALUE})") double dt;
    @Option(names = "--friction", defaultValue = "0.01", description = "Langevin friction, 1/fs (default: ${DEFAULT-VALUE})") double friction;
    @Option(names = "--log-every", defaultValue = "10", description = "steps between energy samples (default: ${DEFAULT-VALUE})") int logEvery;
    @Option(names = "--sample-every", defaultValue = "100", description = "steps between sampled frames (default: ${DEFAULT-VALUE})") int sampleEvery;
    @Option(names = "--max-force", defaultValue = "50", description = "eV/Å; a larger force is a blow-up (default: ${DEFAULT-VALUE})") double maxForce;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder (must be new or empty)") Path out;
    @Mixin SparkOptions spark;

    @Override
    public Integer call() throws Exception {
        var specs = TrajectorySpec.grid(count, startFrames, temperatures, firstSeed);
        var md = new EnsembleSettings(ensemble, dt, steps, friction, logEvery, sampleEvery, maxForce);
        try (SparkSession session = SparkSessions.start("gaq md-ensemble", spark.master)) {
            var s = MdEnsembleJob.run(session, new MdEnsembleJob.Settings(model, structure, spark.dataDir, specs, md, out));
            System.out.printf("%d trajectories × %d steps in %.1f s: %s%n", s.trajectories(), s.stepsEach(), s.seconds(), s.byStatus());
            if (s.driftsReported() > 0) {
                System.out.printf("drift reported for %d; mean |drift| %.4f, max |drift| %.4f meV/atom/ps%n", s.driftsReported(),
                        s.meanAbsDriftMeVPerAtomPerPs(), s.maxAbsDriftMeVPerAtomPerPs());
            }
            s.problems().forEach(p -> System.out.println("  " + p));
            System.out.println("-> " + out + " (trajectories/, frames/, summary.json)");
        }
        return 0;
    }
}
