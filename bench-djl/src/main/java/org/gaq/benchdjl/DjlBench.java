package org.gaq.benchdjl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import org.gaq.data.Dataset;
import org.gaq.data.Frame;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.data.Rmd17Reader;
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.quant.ModelFiles;
import org.gaq.tensor.Tensor;
import org.gaq.tensor.kernels.Parallel;
import org.gaq.tools.ReferenceDump;
import org.gaq.train.Adam;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * gaq vs the same model on libtorch 2.7.1 through DJL (issue #8).
 *
 * <pre>
 *   DjlBench agree [options]    energies, forces and training-loss gradients of DJL vs gaq; exit 1 on disagreement
 *   DjlBench bench [options]    side-by-side timings, contenders interleaved (round robin)
 *
 * options: --models DIR (models/), --data DIR (the rMD17 npz files; default $GAQ_DATA_DIR/rmd17, else ../shared/data/rmd17), --seconds S (timed seconds per contender
 *          and case, default 3), --warmup S (default 2), --threads LIST (default 1,2), --frames N (agree: 4),
 *          --tol T (agree: 1e-4), --cases A,B and --contenders A,B (bench: only cases / contenders whose
 *          name contains one of these, case-insensitive; e.g. --cases train --contenders djl),
 *          --max-train-rounds N (bench: at most N timed rounds of the training step, default 100: DJL's step
 *          leaks 30–45 MB, see DjlModel.lossAndGradients)
 * </pre>
 */
public final class DjlBench {
    private DjlBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || !(args[0].equals("agree") || args[0].equals("bench"))) {
            System.err.println("usage: DjlBench agree|bench [--models DIR] [--data DIR] [--seconds S] [--warmup S] "
                    + "[--threads 1,2] [--frames N] [--tol T] [--cases A,B] [--contenders A,B]");
            System.exit(2);
        }
        Path models = Path.of("models");
        Path data = Path.of(System.getenv().getOrDefault("GAQ_DATA_DIR", "../shared/data")).resolve("rmd17");
        double seconds = 3, warmup = 2, tol = 1e-4;
        int frames = 4;
        int[] threads = {1, 2};
        String cases = "", contenders = "";
        int maxTrainRounds = 100;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--models" -> models = Path.of(args[++i]);
                case "--data" -> data = Path.of(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--frames" -> frames = Integer.parseInt(args[++i]);
                case "--tol" -> tol = Double.parseDouble(args[++i]);
                case "--cases" -> cases = args[++i];
                case "--max-train-rounds" -> maxTrainRounds = Integer.parseInt(args[++i]);
                case "--contenders" -> contenders = args[++i];
                case "--threads" -> threads = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Dataset ethanol = Rmd17Reader.read(data.resolve("rmd17_ethanol_train_01.npz"));
        Dataset aspirin = Rmd17Reader.read(data.resolve("rmd17_aspirin_train_01.npz"));
        Path fp32 = models.resolve("ethanol-fp32.safetensors");
        System.out.printf(Locale.ROOT, "%s %s (DJL %s), JDK %s, %d cores; model %s%n", Engine.getInstance().getEngineName(),
                Engine.getInstance().getVersion(), Engine.getDjlVersion(), Runtime.version(),
                Runtime.getRuntime().availableProcessors(), fp32);
        boolean ok = args[0].equals("agree")
                ? agree(fp32, ethanol, aspirin, frames, tol)
                : bench(models, ethanol, aspirin, seconds, warmup, threads, filter(cases), filter(contenders), maxTrainRounds);
        System.exit(ok ? 0 : 1);
    }

    // ------------------------------------------------------------------ agreement

    private static double relMax(double[] a, double[] b) {
        double err = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            err = Math.max(err, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return err / scale;
    }

    private static double[] flat(List<double[]> parts) {
        return parts.stream().flatMapToDouble(Arrays::stream).toArray();
    }

    private static double[] widen(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    private static boolean agree(Path fp32, Dataset ethanol, Dataset aspirin, int frames, double tol) throws IOException {
        Parallel.setThreads(1);
        JniUtils.setNumThreads(1);
        EquivariantTransformer gaq = Checkpoint.loadModel(fp32);
        List<String> failures = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            DjlModel djl = new DjlModel(gaq, manager);
            double cutoff = gaq.config().cutoff();
            System.out.printf(Locale.ROOT, "%-34s %6s %6s %12s %12s %12s %12s%n", "batch", "atoms", "edges",
                    "E rel", "E int rel", "|dE| meV", "F rel");
            for (Dataset d : List.of(ethanol, aspirin)) {
                List<List<Frame>> batches = new ArrayList<>();
                for (int i = 0; i < frames; i++) batches.add(List.of(d.frame(i * 97)));    // single molecules, spread out
                batches.add(new ArrayList<>(d.frames().subList(0, frames)));                  // and one batch
                for (List<Frame> b : batches) {
                    GraphBatch g = NeighborList.batch(b, cutoff);
                    var ref = gaq.predict(g, false);
                    DjlModel.Prediction p;
                    try (DjlModel.Graph gr = new DjlModel.Graph(g, djl, manager)) {
                        p = djl.predict(gr);
                    }
                    double[] eRef = ref.energies(), eInt = widen(ref.interaction().data());
                    double[] pInt = new double[eRef.length];
                    double maxAbs = 0;
                    for (int m = 0; m < eRef.length; m++) {
                        pInt[m] = p.energies()[m] - ref.shifts()[m];
                        maxAbs = Math.max(maxAbs, Math.abs(p.energies()[m] - eRef[m]));
                    }
                    double eRel = relMax(p.energies(), eRef), eIntRel = relMax(pInt, eInt);
                    double fRel = relMax(widen(p.forces()), widen(ref.forces().data()));
                    String name = d.name() + (b.size() == 1 ? " frame " + d.frames().indexOf(b.get(0)) : " frames 0-" + (b.size() - 1));
                    boolean good = eRel <= tol && eIntRel <= tol && fRel <= tol;
                    System.out.printf(Locale.ROOT, "%-34s %6d %6d %12.2e %12.2e %12.4f %12.2e %s%n", name, g.numAtoms(),
                            g.numEdges(), eRel, eIntRel, maxAbs * 1000, fRel, good ? "ok" : "FAIL");
                    if (!good) failures.add(name);
                }
            }
            // Training loss and its gradients (the train-step benchmark's work) on 4 ethanol frames
            GraphBatch g = NeighborList.batch(new ArrayList<>(ethanol.frames().subList(0, frames)), cutoff);
            var ref = ReferenceDump.lossAndGradients(gaq, g, ReferenceDump.ENERGY_WEIGHT, ReferenceDump.FORCE_WEIGHT);
            DjlModel djl64 = new DjlModel(gaq, manager, ai.djl.ndarray.types.DataType.FLOAT64);
            DjlModel.LossAndGradients lg, lg64;
            try (DjlModel.Graph gr = new DjlModel.Graph(g, djl, manager); DjlModel.Graph gr64 = new DjlModel.Graph(g, djl64, manager)) {
                lg = djl.lossAndGradients(gr, ReferenceDump.ENERGY_WEIGHT, ReferenceDump.FORCE_WEIGHT, true);
                lg64 = djl64.lossAndGradients(gr64, ReferenceDump.ENERGY_WEIGHT, ReferenceDump.FORCE_WEIGHT, true);
            }
            // Against DJL in float64 (the reference): gaq float32 and DJL float32 should be about equally far.
            double lossGaq = Math.abs(ref.loss() - lg64.loss()) / Math.abs(lg64.loss());
            double lossDjl = Math.abs(lg.loss() - lg64.loss()) / Math.abs(lg64.loss());
            double lossRel = Math.abs(lg.loss() - ref.loss()) / Math.abs(ref.loss());
            List<double[]> gGaq = new ArrayList<>(), gDjl = new ArrayList<>(), g64 = new ArrayList<>();
            int p = 0;
            for (String name : gaq.parameters().keySet()) {
                gGaq.add(widen(ref.grads()[p++].data()));
                gDjl.add(lg.grads().get(name));
                g64.add(lg64.grads().get(name));
            }
            double[] all64 = flat(g64);
            double gradGaq = relMax(flat(gGaq), all64), gradDjl = relMax(flat(gDjl), all64), gradBoth = relMax(flat(gDjl), flat(gGaq));
            // float32 vs float32 on a trained model: the loss gradient is a cancellation of small residuals, so
            // DJL float32 is judged by its distance to float64 next to gaq's (as tools/torch-reference does):
            // within tol, or no more than twice gaq's own float32 error (the loss likewise).
            boolean gradOk = (lossDjl <= tol || lossDjl <= 2 * lossGaq) && (gradDjl <= tol || gradDjl <= 2 * gradGaq);
            System.out.printf(Locale.ROOT, "%ntraining loss (w_E = 0.01, w_F = 0.99) and its gradient for all %d parameters, %d ethanol frames,"
                    + " max |error| / max |value|, against DJL float64:%n", gGaq.size(), frames);
            System.out.printf(Locale.ROOT, "  loss:      gaq f32 %.2e   DJL f32 %.2e   (DJL f32 vs gaq %.2e)   loss %.8g%n", lossGaq, lossDjl, lossRel, lg64.loss());
            System.out.printf(Locale.ROOT, "  gradients: gaq f32 %.2e   DJL f32 %.2e   (DJL f32 vs gaq %.2e)   %s%n", gradGaq, gradDjl, gradBoth, gradOk ? "ok" : "FAIL");
            if (!gradOk) failures.add("training-loss gradients");
        }
        System.out.println(failures.isEmpty() ? "\nDJL and gaq agree (tolerance " + tol + ")"
                : "\nDISAGREEMENT: " + String.join(", ", failures));
        return failures.isEmpty();
    }

    // ------------------------------------------------------------------ benchmark

    /** One contender in one case: a body to time, and the number of molecules it handles per call. */
    private record Contender(String name, Runnable body) {}

    private record Row(String caseName, String contender, int threads, double median, double p10, double p90, int reps, int molecules) {}

    /** Comma-separated substrings; empty: everything. */
    private static java.util.function.Predicate<String> filter(String spec) {
        if (spec.isBlank()) return x -> true;
        List<String> parts = Arrays.stream(spec.split(",")).map(x -> x.trim().toLowerCase(Locale.ROOT)).toList();
        return x -> parts.stream().anyMatch(x.toLowerCase(Locale.ROOT)::contains);
    }

    private static boolean bench(Path models, Dataset ethanol, Dataset aspirin, double seconds, double warmup, int[] threadCounts,
                                 java.util.function.Predicate<String> caseFilter, java.util.function.Predicate<String> contenderFilter,
                                 int maxTrainRounds) throws IOException {
        Map<String, EquivariantTransformer> gaqModels = new LinkedHashMap<>();
        gaqModels.put("gaq FP32", ModelFiles.load(models.resolve("ethanol-fp32.safetensors")));
        String[][] quantized = {
                {"gaq W8A8 fake-quant", "ethanol-gaq-w8a8.safetensors"},
                {"gaq W8A8 integer", "ethanol-gaq-w8a8.int.safetensors"},
                {"gaq W4A8 fake-quant", "ethanol-gaq-w4a8.safetensors"},
                {"gaq W4A8 integer", "ethanol-gaq-w4a8.int.safetensors"}};
        for (String[] q : quantized) {
            Path file = models.resolve(q[1]);
            if (Files.exists(file)) gaqModels.put(q[0], ModelFiles.load(file));
            else System.out.println("missing " + file + ": its rows are left out");
        }
        EquivariantTransformer fp32 = gaqModels.get("gaq FP32");
        // a second FP32 copy for gaq's training step, so its Adam steps do not move the model the E+F rows use
        EquivariantTransformer gaqTrain = Checkpoint.loadModel(models.resolve("ethanol-fp32.safetensors"));
        double cutoff = fp32.config().cutoff();
        GraphBatch eth1 = NeighborList.batch(List.of(ethanol.frame(0)), cutoff);
        GraphBatch asp1 = NeighborList.batch(List.of(aspirin.frame(0)), cutoff);
        GraphBatch eth64 = NeighborList.batch(new ArrayList<>(ethanol.frames().subList(0, 64)), cutoff);
        GraphBatch eth8 = NeighborList.batch(new ArrayList<>(ethanol.frames().subList(0, 8)), cutoff);
        float lr = 1e-7f;   // tiny: the timed steps barely move the models

        List<Row> rows = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            DjlModel djl = new DjlModel(fp32, manager);
            DjlModel djlTrain = new DjlModel(fp32, manager);
            DjlModel.Graph dEth1 = new DjlModel.Graph(eth1, djl, manager), dAsp1 = new DjlModel.Graph(asp1, djl, manager),
                    dEth64 = new DjlModel.Graph(eth64, djl, manager), dEth8 = new DjlModel.Graph(eth8, djlTrain, manager);
            List<Tensor> params = new ArrayList<>(gaqTrain.parameters().values());
            Adam adam = new Adam(params, 0.9f, 0.999f, 1e-8f, 0f);

            for (int t : threadCounts) {
                Parallel.setThreads(t);
                JniUtils.setNumThreads(t);
                System.out.printf(Locale.ROOT, "%n== %d thread(s): gaq Parallel.threads() = %d, torch get_num_threads() = %d, interop %d%n",
                        t, Parallel.threads(), JniUtils.getNumThreads(), JniUtils.getNumInteropThreads());
                for (var c : List.of(
                        efCase("E+F ethanol (9 atoms)", eth1, dEth1, djl, gaqModels, true),
                        efCase("E+F aspirin (21 atoms)", asp1, dAsp1, djl, gaqModels, false),
                        efCase("E+F 64 ethanol (batch)", eth64, dEth64, djl, gaqModels, true))) {
                    List<Contender> chosen = c.getValue().stream().filter(x -> contenderFilter.test(x.name())).toList();
                    if (caseFilter.test(c.getKey()) && !chosen.isEmpty())
                        rows.addAll(measure(c.getKey(), chosen, t, seconds, warmup, c.getKey().contains("64") ? 64 : 1, Integer.MAX_VALUE));
                }
                List<Contender> train = List.of(
                        new Contender("gaq FP32", () -> {
                            var r = ReferenceDump.lossAndGradients(gaqTrain, eth8, ReferenceDump.ENERGY_WEIGHT, ReferenceDump.FORCE_WEIGHT);
                            float[][] gr = new float[r.grads().length][];
                            for (int p = 0; p < gr.length; p++) gr[p] = r.grads()[p].toArray();
                            adam.step(gr, lr);
                        }),
                        new Contender("DJL libtorch FP32", () -> {
                            djlTrain.lossAndGradients(dEth8, ReferenceDump.ENERGY_WEIGHT, ReferenceDump.FORCE_WEIGHT, false);
                            djlTrain.adamStep(lr, 0.9f, 0.999f, 1e-8f);
                        }));
                List<Contender> chosen = train.stream().filter(x -> contenderFilter.test(x.name())).toList();
                if (caseFilter.test("train step, 8 ethanol (Adam)") && !chosen.isEmpty())
                    rows.addAll(measure("train step, 8 ethanol (Adam)", chosen, t, seconds, warmup, 8, maxTrainRounds));
            }
            for (DjlModel.Graph gr : List.of(dEth1, dAsp1, dEth64, dEth8)) gr.close();
        }
        printTable(rows);
        System.out.println("\nresident memory at the end: " + rss());
        return true;
    }

    private static Map.Entry<String, List<Contender>> efCase(String name, GraphBatch g, DjlModel.Graph dg, DjlModel djl,
                                                            Map<String, EquivariantTransformer> gaqModels, boolean withQuantized) {
        List<Contender> list = new ArrayList<>();
        for (var e : gaqModels.entrySet()) {
            if (!withQuantized && !e.getKey().equals("gaq FP32")) continue;
            EquivariantTransformer m = e.getValue();
            list.add(new Contender(e.getKey(), () -> check(m.predict(g, false).energies()[0])));
            if (e.getKey().equals("gaq FP32")) list.add(new Contender("DJL libtorch FP32", () -> check(djl.predict(dg).energies()[0])));
        }
        return Map.entry(name, list);
    }

    private static void check(double energy) {
        if (!Double.isFinite(energy)) throw new IllegalStateException("non-finite energy");
    }

    /** Warm-up of every contender, then round robin: each contender once per round, wall-clock ms per call. */
    private static List<Row> measure(String caseName, List<Contender> contenders, int threads, double seconds, double warmup,
                                     int molecules, int maxRounds) {
        for (Contender c : contenders) {
            long end = System.nanoTime() + (long) (warmup * 1e9);
            do c.body().run(); while (System.nanoTime() < end);
        }
        List<List<Double>> samples = new ArrayList<>();
        for (int i = 0; i < contenders.size(); i++) samples.add(new ArrayList<>());
        long end = System.nanoTime() + (long) (seconds * contenders.size() * 1e9);
        int rounds = 0;
        while (rounds < 5 || (System.nanoTime() < end && rounds < maxRounds)) {
            for (int i = 0; i < contenders.size(); i++) {
                long t0 = System.nanoTime();
                contenders.get(i).body().run();
                samples.get(i).add((System.nanoTime() - t0) / 1e6);
            }
            rounds++;
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < contenders.size(); i++) {
            double[] s = samples.get(i).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            rows.add(new Row(caseName, contenders.get(i).name(), threads, quantile(s, 0.5), quantile(s, 0.1), quantile(s, 0.9), s.length, molecules));
        }
        System.out.printf(Locale.ROOT, "measured %s, %d thread(s), %d rounds; %s%n", caseName, threads, rounds, rss());
        return rows;
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    private static void printTable(List<Row> rows) {
        System.out.printf(Locale.ROOT, "%nwall-clock ms per call, median [p10–p90]; \"vs gaq FP32\" = gaq FP32 median / this median (>1: faster than gaq FP32)%n");
        System.out.printf(Locale.ROOT, "| %-30s | %-20s | %3s | %9s | %-19s | %11s | %5s | %11s |%n", "case", "contender", "thr",
                "median ms", "p10–p90 ms", "molecules/s", "reps", "vs gaq FP32");
        System.out.println("|" + "-".repeat(32) + "|" + "-".repeat(22) + "|-----|-----------|---------------------|-------------|-------|-------------|");
        for (Row r : rows) {
            double base = rows.stream().filter(x -> x.caseName().equals(r.caseName()) && x.threads() == r.threads()
                    && x.contender().equals("gaq FP32")).findFirst().map(Row::median).orElse(Double.NaN);
            System.out.printf(Locale.ROOT, "| %-30s | %-20s | %3d | %9.2f | %-19s | %11.0f | %5d | %10.2f× |%n", r.caseName(), r.contender(),
                    r.threads(), r.median(), String.format(Locale.ROOT, "%.2f–%.2f", r.p10(), r.p90()),
                    r.molecules() * 1000.0 / r.median(), r.reps(), base / r.median());
        }
    }

    private static String rss() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS"))
                    .findFirst().orElse("?").replaceAll("\\s+", " ");
        } catch (IOException e) {
            return "?";
        }
    }
}
