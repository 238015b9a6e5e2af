package org.gaq.tools;

import org.gaq.modelfile.ModelFile;
import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.data.Rmd17Reader;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.tensor.kernels.Parallel;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Java side of tools/torch-reference/bench_peers.sh (issue #5: gaq W8A8 against PyTorch dynamic
 * int8): energy-only and energy + forces latency of one or more gaq model files (FP32 checkpoint,
 * fake-quantized, or integer {@code .int.safetensors}), and their accuracy on rMD17 ethanol test frames.
 *
 * <pre>
 *   PeerBench MODEL [MODEL ...] --data RMD17_DIR [--warmup S] [--seconds S] [--reps N] [--threads T]
 *             [--accuracy FRAMES] [--no-timing]
 * </pre>
 *
 * Workloads, the same as bench_torch_int8.py: frame 0 of rmd17_ethanol_train_01 (9 atoms), frame 0 of
 * rmd17_aspirin_train_01 (21 atoms), frames 0–63 of ethanol as one batch. Cases: "E" (energies only,
 * nothing recorded for a backward: {@link EquivariantTransformer#predictEnergies}) and "E+F" (forces by
 * autograd, no graph of the graph). Graphs are built outside the timed region. Every (model, case) is
 * first warmed for {@code --warmup} seconds in all; then, case by case with the models interleaved,
 * each is measured for ≥ reps repetitions and ≥ {@code --seconds}. Both the wall time and the calling
 * thread's CPU time of every repetition are reported (ms). Accuracy: energy and force MAE (meV, meV/Å)
 * over the first FRAMES frames of rmd17_ethanol_test_01. Output: one JSON object on stdout.
 */
public final class PeerBench {
    private PeerBench() {}

    private static final ThreadMXBean CLOCK = ManagementFactory.getThreadMXBean();

    /** One timed (model, workload, case). */
    record Job(String model, String workload, int molecules, String kind, Runnable body) {}

    public static void main(String[] args) throws Exception {
        List<Path> models = new ArrayList<>();
        Path data = null;
        double warmup = 3, seconds = 2;
        int reps = 20, threads = 1, accuracyFrames = 0;
        boolean timing = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--accuracy" -> accuracyFrames = Integer.parseInt(args[++i]);
                case "--no-timing" -> timing = false;
                default -> {
                    if (args[i].startsWith("--")) throw new IllegalArgumentException("unknown option " + args[i]);
                    models.add(Path.of(args[i]));
                }
            }
        }
        if (models.isEmpty() || data == null) {
            System.err.println("usage: PeerBench MODEL [MODEL ...] --data RMD17_DIR [--warmup S] [--seconds S] [--reps N] "
                    + "[--threads T] [--accuracy FRAMES] [--no-timing]");
            System.exit(2);
        }
        Parallel.setThreads(threads);
        List<EquivariantTransformer> loaded = new ArrayList<>();
        for (Path m : models) loaded.add(ModelFile.load(m));

        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"implementation\": \"gaq\", \"java\": \"%s\", \"threads\": %d, \"results\": [",
                System.getProperty("java.version"), threads));
        if (timing) {
            Dataset ethanol = Rmd17Reader.read(data.resolve("rmd17_ethanol_train_01.npz"));
            Dataset aspirin = Rmd17Reader.read(data.resolve("rmd17_aspirin_train_01.npz"));
            List<Job> jobs = jobs(models, loaded, ethanol, aspirin);
            // Warm every job (the JIT compiles shared kernels, the integer layers prepare their layouts).
            double each = warmup / jobs.size();
            for (Job j : jobs) warm(j.body(), each);
            List<String> rows = new ArrayList<>();
            for (Job j : jobs) rows.add(measure(j, warmup / 3 / models.size(), seconds, reps));
            json.append(String.join(", ", rows));
        }
        json.append("], \"accuracy\": [");
        if (accuracyFrames > 0) {
            Dataset test = Rmd17Reader.read(data.resolve("rmd17_ethanol_test_01.npz"));
            List<String> rows = new ArrayList<>();
            for (int m = 0; m < models.size(); m++) {
                double[] mae = accuracy(loaded.get(m), test.frames().subList(0, Math.min(accuracyFrames, test.size())));
                rows.add(String.format(Locale.ROOT,
                        "{\"model\": \"%s\", \"frames\": %d, \"energy_mae_mev\": %.4f, \"force_mae_mev_per_a\": %.4f}",
                        label(models.get(m)), (int) mae[2], mae[0], mae[1]));
            }
            json.append(String.join(", ", rows));
        }
        System.out.println(json.append("]}"));
    }

    static List<Job> jobs(List<Path> files, List<EquivariantTransformer> models, Dataset ethanol, Dataset aspirin) {
        List<Job> jobs = new ArrayList<>();
        String[] workloads = {"ethanol, 1 molecule (9 atoms)", "aspirin, 1 molecule (21 atoms)", "ethanol, batch of 64"};
        for (int w = 0; w < workloads.length; w++) {
            for (String kind : new String[]{"E", "E+F"}) {
                for (int m = 0; m < models.size(); m++) {
                    EquivariantTransformer model = models.get(m);
                    double cutoff = model.config().cutoff();
                    List<Frame> frames = switch (w) {
                        case 0 -> List.of(ethanol.frame(0));
                        case 1 -> List.of(aspirin.frame(0));
                        default -> ethanol.frames().subList(0, 64);
                    };
                    GraphBatch g = NeighborList.batch(frames, cutoff);
                    Runnable body = kind.equals("E")
                            ? () -> model.predictEnergies(g)
                            : () -> model.predict(g, false).forces().data();
                    jobs.add(new Job(label(files.get(m)), workloads[w], frames.size(), kind, body));
                }
            }
        }
        return jobs;
    }

    /** Energy MAE (meV), force MAE (meV/Å) and the frame count, energies only in batches of 50, forces with E+F. */
    static double[] accuracy(EquivariantTransformer model, List<Frame> frames) {
        double cutoff = model.config().cutoff(), eSum = 0, fSum = 0;
        long fCount = 0;
        for (int start = 0; start < frames.size(); start += 50) {
            List<Frame> chunk = frames.subList(start, Math.min(frames.size(), start + 50));
            GraphBatch g = NeighborList.batch(chunk, cutoff);
            double[] e = model.predictEnergies(g);
            float[] f = model.predict(g, false).forces().data();
            int atom = 0;
            for (int k = 0; k < chunk.size(); k++) {
                Frame fr = chunk.get(k);
                eSum += Math.abs(e[k] - fr.energy());
                for (int c = 0; c < fr.forces().length; c++) fSum += Math.abs(f[3 * atom + c] - fr.forces()[c]);
                fCount += fr.forces().length;
                atom += fr.numAtoms();
            }
        }
        return new double[]{1e3 * eSum / frames.size(), 1e3 * fSum / fCount, frames.size()};
    }

    static String label(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
    }

    private static void warm(Runnable body, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        do body.run(); while (System.nanoTime() < end);
    }

    private static String measure(Job j, double warmupSeconds, double seconds, int minReps) {
        warm(j.body(), warmupSeconds);
        List<double[]> samples = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (samples.size() < minReps || (System.nanoTime() < end && samples.size() < 10_000)) {
            long c0 = CLOCK.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            j.body().run();
            long t1 = System.nanoTime(), c1 = CLOCK.getCurrentThreadCpuTime();
            samples.add(new double[]{(t1 - t0) / 1e6, (c1 - c0) / 1e6});
        }
        double[] wall = samples.stream().mapToDouble(s -> s[0]).toArray();
        double[] cpu = samples.stream().mapToDouble(s -> s[1]).toArray();
        return String.format(Locale.ROOT,
                "{\"model\": \"%s\", \"workload\": \"%s\", \"molecules\": %d, \"case\": \"%s\", \"reps\": %d, "
                        + "\"wall_ms\": %s, \"cpu_ms\": %s}",
                j.model(), j.workload(), j.molecules(), j.kind(), samples.size(), list(wall), list(cpu));
    }

    private static String list(double[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", v[i]));
        return sb.append(']').toString();
    }

}
