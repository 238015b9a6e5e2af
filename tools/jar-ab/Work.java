import org.gaq.data.DataSource;
import org.gaq.data.GraphBatch;
import org.gaq.data.NeighborList;
import org.gaq.model.EquivariantTransformer;
import org.gaq.tensor.Tensor;
import org.gaq.train.Adam;
import org.gaq.tools.ReferenceDump;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The timed cases, compiled against gaq.jar and loaded once per jar by {@link JarAB} (each jar in its own
 * class loader). Environment: GAQ_MODEL (default models/ethanol-fp32.safetensors; several: a,b — each case per model,
 * named "<file>: <case>"), GAQ_DATA_DIR, GAQ_CHECKSUM (set: print a hash of the 64-ethanol forces and energies per model).
 */
public class Work implements Supplier<Map<String, Runnable>> {
    @Override
    public Map<String, Runnable> get() {
        try {
            String modelPaths = System.getenv().getOrDefault("GAQ_MODEL", "models/ethanol-fp32.safetensors");
            Path dataDir = Path.of(System.getenv().getOrDefault("GAQ_DATA_DIR", "../shared/data"));
            Map<String, Runnable> m = new LinkedHashMap<>();
            String[] paths = modelPaths.split(",");
            for (String path : paths) {
                // several models (GAQ_MODEL=a,b): each case once per model, named "<file name>: <case>"
                String prefix = paths.length == 1 ? "" : Path.of(path).getFileName().toString().replace(".safetensors", "") + ": ";
                addCases(m, prefix, loadModel(Path.of(path)), dataDir);
            }
            return m;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Any model file, through the loader of this build (org.gaq.modelfile.ModelFile, or quant.ModelFiles in older builds). */
    private static EquivariantTransformer loadModel(Path path) throws Exception {
        Class<?> loader;
        try {
            loader = Class.forName("org.gaq.modelfile.ModelFile");
        } catch (ClassNotFoundException older) {
            loader = Class.forName("org.gaq.quant.ModelFiles");
        }
        var load = loader.getDeclaredMethod("load", Path.class);
        load.setAccessible(true);
        return (EquivariantTransformer) load.invoke(null, path);
    }

    /**
     * One training step as `gaq train` takes it in this build: the compiled gradient (train.compiled) where the build has
     * it, else the tape's; then Adam.
     */
    private static Runnable trainStepOfThisBuild(EquivariantTransformer model, GraphBatch batch, Adam adam, List<Tensor> params) throws Exception {
        float wE = ReferenceDump.ENERGY_WEIGHT / batch.numMolecules(), wF = ReferenceDump.FORCE_WEIGHT / (3f * batch.numAtoms());
        Class<?> compiledClass;
        try {
            compiledClass = Class.forName("org.gaq.train.compiled.CompiledLossGradient");
        } catch (ClassNotFoundException older) {
            return () -> {
                var r = ReferenceDump.lossAndGradients(model, batch, ReferenceDump.ENERGY_WEIGHT, ReferenceDump.FORCE_WEIGHT);
                float[][] g = new float[r.grads().length][];
                for (int p = 0; p < g.length; p++) g[p] = r.grads()[p].toArray();
                adam.step(g, 1e-7f);
            };
        }
        Object compiled = compiledClass.getConstructor(EquivariantTransformer.class).newInstance(model);
        var lossAndGradient = compiledClass.getMethod("lossAndGradient", GraphBatch.class, float.class, float.class, float[][].class);
        float[][] grads = new float[params.size()][];
        for (int p = 0; p < grads.length; p++) grads[p] = new float[params.get(p).size()];
        return () -> {
            for (float[] g : grads) java.util.Arrays.fill(g, 0f);
            try {
                lossAndGradient.invoke(compiled, batch, wE, wF, grads);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            adam.step(grads, 1e-7f);
        };
    }

    /**
     * One optimisation step as `gaq train` / `gaq qat` take it in this build, through the Trainer (for a QAT model with the
     * LEE term of weight 0.01, the vector branch on): Options by their builder where the build has one, else by the
     * positional constructor of older builds; the step method by reflection (package-private in older builds).
     */
    private static Runnable trainerStep(EquivariantTransformer model, List<org.gaq.data.Frame> frames) throws Exception {
        Class<?> trainer = Class.forName("org.gaq.train.Trainer");
        Class<?> optionsClass = Class.forName("org.gaq.train.Trainer$Options");
        boolean qat = model.sites() instanceof org.gaq.quant.QuantizationPlan;
        if (model.sites() instanceof org.gaq.quant.QuantizationPlan plan) plan.setVectorBranch(true);
        float lee = qat ? 0.01f : 0f;
        Object options;
        try {
            Object b = optionsClass.getMethod("builder").invoke(null);
            for (var set : new Object[][]{{"epochs", 1}, {"batchSize", frames.size()}, {"warmupEpochs", 0}, {"threads", 1}}) {
                b = b.getClass().getMethod((String) set[0], int.class).invoke(b, set[1]);
            }
            b = b.getClass().getMethod("leeWeight", float.class).invoke(b, lee);
            options = b.getClass().getMethod("build").invoke(b);
        } catch (NoSuchMethodException older) {
            options = optionsClass.getConstructor(int.class, int.class, float.class, float.class, int.class, int.class, float.class,
                    float.class, float.class, float.class, long.class, int.class, double.class, float.class, int.class)
                    .newInstance(1, frames.size(), 1e-3f, 1e-5f, 0, 8, 0.5f, 0.01f, 0.99f, 0f, 1L, 1, 120.0, lee, 0);
        }
        var data = new org.gaq.data.Dataset("bench", frames);
        Object t = trainer.getConstructor(EquivariantTransformer.class, org.gaq.data.Split.class, optionsClass, Path.class, java.io.PrintStream.class)
                .newInstance(model, new org.gaq.data.Split(data, data, data), options, Path.of("jar-ab-unused"),
                        new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        var step = trainer.getDeclaredMethod("step", List.class, float.class, java.util.concurrent.ExecutorService.class);
        step.setAccessible(true);
        // the worker runs on the calling thread, whose CPU time JarAB measures
        var pool = new java.util.concurrent.AbstractExecutorService() {
            @Override public void execute(Runnable r) { r.run(); }
            @Override public void shutdown() {}
            @Override public List<Runnable> shutdownNow() { return List.of(); }
            @Override public boolean isShutdown() { return false; }
            @Override public boolean isTerminated() { return false; }
            @Override public boolean awaitTermination(long timeout, java.util.concurrent.TimeUnit unit) { return true; }
        };
        return () -> {
            try {
                step.invoke(t, frames, 0f, pool);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private static void addCases(Map<String, Runnable> m, String prefix, EquivariantTransformer model, Path dataDir) {
        try {
            double cutoff = model.config().cutoff();
            var eth = DataSource.resolve("rmd17:ethanol", dataDir);
            var ethSet = eth.loadTest() != null ? eth.loadTest() : eth.load();
            var asp = DataSource.resolve("rmd17:aspirin", dataDir);
            var aspSet = asp.loadTest() != null ? asp.loadTest() : asp.load();
            GraphBatch e1 = NeighborList.batch(List.of(ethSet.frames().get(0)), cutoff);
            GraphBatch a1 = NeighborList.batch(List.of(aspSet.frames().get(0)), cutoff);
            GraphBatch e64 = NeighborList.batch(ethSet.frames().subList(0, 64), cutoff);
            GraphBatch e8 = NeighborList.batch(ethSet.frames().subList(0, 8), cutoff);
            List<Tensor> params = new ArrayList<>(model.parameters().values());
            Adam adam = new Adam(params, 0.9f, 0.999f, 1e-8f, 0f);
            if (System.getenv("GAQ_CHECKSUM") != null) {   // to check that two builds compute bitwise the same
                var p = model.predict(e64, false);
                System.out.printf("%schecksum E+F ethanol 64: forces %08x, energies %08x%n", prefix,
                        java.util.Arrays.hashCode(p.forces().data()), java.util.Arrays.hashCode(p.energies()));
            }
            m.put(prefix + "E+F ethanol 1", () -> model.predict(e1, false).forces().data());
            m.put(prefix + "E+F aspirin 1", () -> model.predict(a1, false).forces().data());
            m.put(prefix + "E+F ethanol 64 (batch)", () -> model.predict(e64, false).forces().data());
            // the compiled engine (what eval, md and drive run): E+F and energies only
            var compiled = org.gaq.infer.ModelCompiler.compile(model);
            var ws = compiled.newWorkspace();
            m.put(prefix + "compiled E+F ethanol 1", () -> compiled.energiesAndForces(e1, ws));
            m.put(prefix + "compiled E+F aspirin 1", () -> compiled.energiesAndForces(a1, ws));
            m.put(prefix + "compiled E+F ethanol 64 (batch)", () -> compiled.energiesAndForces(e64, ws));
            m.put(prefix + "compiled energy ethanol 1", () -> compiled.energies(e1, ws));
            m.put(prefix + "compiled energy ethanol 64 (batch)", () -> compiled.energies(e64, ws));
            m.put(prefix + "train step 8 ethanol", () -> {   // as tools' ReferenceBench: E+F loss, gradients, Adam
                var r = ReferenceDump.lossAndGradients(model, e8, ReferenceDump.ENERGY_WEIGHT, ReferenceDump.FORCE_WEIGHT);
                float[][] g = new float[r.grads().length][];
                for (int p = 0; p < g.length; p++) g[p] = r.grads()[p].toArray();
                adam.step(g, 1e-7f);
            });
            if (!compiled.precision().startsWith("integer")) {    // integer models do not train
                m.put(prefix + "train step 8 ethanol (gaq train)", trainStepOfThisBuild(model, e8, adam, params));
                m.put(prefix + "trainer step 8 ethanol", trainerStep(model, ethSet.frames().subList(0, 8)));
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
