package org.gaq.report;

import org.gaq.md.EnergyDrift;
import org.gaq.md.RunFiles;
import org.gaq.plot.BarChart;
import org.gaq.plot.LinePlot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds docs/results.md from a hand-written template and the measurement records under
 * {@code results/} (see {@link Records}), without retraining or re-measuring anything. The template
 * is Markdown with directive blocks, each an HTML comment, its rows, and {@code <!-- gaq:end -->}:
 *
 * <pre>
 * &lt;!-- gaq:table E F LEE --&gt;          rows "| label | eval-ref |"  → a table of those metrics
 * &lt;!-- gaq:table2 --&gt;                   rows "| molecule | paper E | paper F |" → Table II
 * &lt;!-- gaq:table2-integer records=DIR --&gt;  rows "| molecule | paper F |" → FP32 and the integer W8A8 / W4A8 files, ratios
 * &lt;!-- gaq:md --&gt;                       rows "| label | md-ref |"   → drift, fluctuation, T, steps/s
 * &lt;!-- gaq:figure accuracy-efficiency bench=NAME workload=PREFIX --&gt;  rows "| label | eval-ref |" → bars + speed-ups
 * &lt;!-- gaq:figure force-error-distribution --&gt;       rows "| label | eval-ref |" → per-frame histograms
 * &lt;!-- gaq:figure md-energy --&gt;                      rows "| label | md-ref |"   → total energy vs time
 * </pre>
 *
 * (any figure takes file=NAME to be written as docs/figures/NAME.png), and inline values {@code {{eval-ref:F}}} (E, F, Erms, Frms, LEE). An eval-ref {@code ethanol/fp32} is the
 * record {@code results/eval/ethanol/fp32.json}; an md-ref names a folder {@code results/md/<ref>/} with
 * an MD run's energy.csv and summary.json; bench=NAME is {@code results/bench/NAME.json}. Figures are
 * written to {@code docs/figures/<name>.png}. Anything missing or stale (a record whose model file
 * exists but has another SHA-256) is listed in {@link #warnings()} and shown as "—" in the table.
 */
public final class ResultsReport {
    private static final Pattern DIRECTIVE = Pattern.compile("^<!--\\s*gaq:(\\S+)(.*?)-->\\s*$");
    private static final Pattern INLINE = Pattern.compile("\\{\\{([^{}:]+):(E|F|Erms|Frms|LEE)}}");
    private static final String DASH = "—";

    private final Path root, results, figures;
    private final Set<String> warnings = new LinkedHashSet<>();
    private final Map<String, Records.Eval> evalCache = new HashMap<>();
    private final List<Path> figuresWritten = new ArrayList<>();

    /** {@code root}: the project folder holding results/ and docs/. */
    public ResultsReport(Path root) {
        this.root = root;
        this.results = root.resolve("results");
        this.figures = root.resolve("docs").resolve("figures");
    }

    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    public List<Path> figuresWritten() {
        return List.copyOf(figuresWritten);
    }

    /** Expands every directive and inline value of {@code template}; writes the figures it names. */
    public String expand(String template) throws IOException {
        List<String> lines = template.lines().toList();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = DIRECTIVE.matcher(lines.get(i).strip());
            if (!m.matches() || m.group(1).equals("end")) {
                out.append(inline(lines.get(i))).append('\n');
                continue;
            }
            String kind = m.group(1);
            List<String> args = Arrays.stream(m.group(2).trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
            List<List<String>> rows = new ArrayList<>();
            int j = i + 1;
            for (; j < lines.size() && !DIRECTIVE.matcher(lines.get(j).strip()).matches(); j++) {
                String row = lines.get(j).strip();
                if (row.startsWith("|")) rows.add(cells(row));
                else if (!row.isEmpty()) throw new IllegalArgumentException("line " + (j + 1) + ": a gaq:" + kind + " block holds only '| … |' rows, found: " + row);
            }
            if (j == lines.size() || !lines.get(j).strip().matches("<!--\\s*gaq:end\\s*-->")) {
                throw new IllegalArgumentException("line " + (i + 1) + ": gaq:" + kind + " has no <!-- gaq:end --> line");
            }
            out.append(switch (kind) {
                case "table" -> evalTable(args, rows);
                case "table2" -> table2(rows);
                case "table2-integer" -> table2Integer(args, rows);
                case "md" -> mdTable(rows);
                case "figure" -> figure(args, rows);
                default -> throw new IllegalArgumentException("line " + (i + 1) + ": unknown directive gaq:" + kind);
            });
            i = j;
        }
        return out.toString();
    }

    // ---- tables -------------------------------------------------------------------------------------

    private String evalTable(List<String> columns, List<List<String>> rows) throws IOException {
        if (columns.isEmpty()) throw new IllegalArgumentException("gaq:table needs columns, e.g. E F LEE");
        StringBuilder t = new StringBuilder("| model |");
        for (String c : columns) t.append(' ').append(header(c)).append(" |");
        t.append("\n|---|").append("---|".repeat(columns.size())).append('\n');
        for (List<String> row : rows) {
            need(row, 2, "| label | eval-ref |");
            Records.Eval e = eval(row.get(1));
            t.append("| ").append(row.get(0)).append(" |");
            for (String c : columns) t.append(' ').append(format(e, c)).append(" |");
            t.append('\n');
        }
        return t.toString();
    }

    /** Table II: per molecule, gaq FP32 / GAQ W8A8 / GAQ W4A8 from results/eval/table2/, the paper's figures, epochs run. */
    private String table2(List<List<String>> rows) throws IOException {
        StringBuilder t = new StringBuilder("| molecule | gaq FP32 E | F | GAQ W8A8 E | F | GAQ W4A8 E | F | paper (GAQ) E | F | epochs FP32 / W8A8 / W4A8 |\n");
        t.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (List<String> row : rows) {
            need(row, 3, "| molecule | paper E | paper F |");
            String mol = row.get(0);
            t.append("| ").append(mol).append(" |");
            List<String> epochs = new ArrayList<>();
            for (String model : List.of("fp32", "gaq-w8a8", "gaq-w4a8")) {
                Records.Eval e = eval("table2/" + mol + "/" + model);
                t.append(' ').append(format(e, "E")).append(" | ").append(format(e, "F")).append(" |");
                epochs.add(epochsRun(results.resolve("train/table2/" + mol + "/" + model + ".csv")));
            }
            t.append(' ').append(row.get(1)).append(" | ").append(row.get(2)).append(" | ").append(String.join(" / ", epochs)).append(" |\n");
        }
        return t.toString();
    }

    /**
     * Table II of the recipe runs (issue #20): per molecule the FP32 model and the integer W8A8 and W4A8 files
     * (results/eval/DIR/&lt;molecule&gt;/{fp32,gaq-w8a8-int,gaq-w4a8-int}.json), their errors as ratios to FP32's, the
     * FP32 forces as a ratio to the paper's, and the FP32 run's epochs (results/train/DIR/&lt;molecule&gt;/fp32.csv).
     */
    private String table2Integer(List<String> args, List<List<String>> rows) throws IOException {
        String dir = args.stream().filter(a -> a.startsWith("records=")).map(a -> a.substring("records=".length())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("gaq:table2-integer needs records=DIR (under results/eval/)"));
        StringBuilder t = new StringBuilder("| molecule | FP32 E | F | F ÷ paper | W8A8 int E | F | E, F ÷ FP32 (F added) | W4A8 int E | F | E, F ÷ FP32 (F added) "
                + "| LEE W8A8 / W4A8 | LEE naive PTQ W8A8 (÷ W8A8's) | paper F | epochs FP32 |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (List<String> row : rows) {
            need(row, 2, "| molecule | paper F |");
            String mol = row.get(0);
            double paperF = Double.parseDouble(row.get(1));
            Records.Eval fp32 = eval(dir + "/" + mol + "/fp32");
            t.append("| ").append(mol).append(" | ").append(format(fp32, "E")).append(" | ").append(format(fp32, "F")).append(" | ")
                    .append(fp32 == null || fp32.forceMaeMeVPerA() == null ? DASH : fmt(fp32.forceMaeMeVPerA() / paperF, 2) + "×").append(" |");
            List<String> lee = new ArrayList<>();
            Records.Eval w8a8 = null;
            for (String bits : List.of("w8a8", "w4a8")) {
                Records.Eval q = eval(dir + "/" + mol + "/gaq-" + bits + "-int");
                if (bits.equals("w8a8")) w8a8 = q;
                t.append(' ').append(format(q, "E")).append(" | ").append(format(q, "F")).append(" | ").append(ratios(q, fp32)).append(" |");
                lee.add(format(q, "LEE"));
            }
            // the LEE target is relative to naive PTQ's (scripts/train-table2.sh makes that baseline)
            Records.Eval naive = eval(dir + "/" + mol + "/ptq-naive-w8a8");
            String naiveLee = naive == null ? DASH : format(naive, "LEE") + (w8a8 == null || w8a8.leeMeVPerA() == null || naive.leeMeVPerA() == null
                    ? "" : " (" + fmt(naive.leeMeVPerA() / w8a8.leeMeVPerA(), 0) + "×)");
            t.append(' ').append(String.join(" / ", lee)).append(" | ").append(naiveLee).append(" | ").append(row.get(1)).append(" | ")
                    .append(epochsRun(results.resolve("train/" + dir + "/" + mol + "/fp32.csv"))).append(" |\n");
        }
        return t.toString();
    }

    /**
     * "E ratio, F ratio (+added)" of {@code q} to {@code base}, e.g. "1.31×, 1.04× (+2.1)": the force error that
     * quantization adds if it is independent of the parent's, √(F_q² − F_base²) (docs/quantization.md, "Noise added
     * in quadrature").
     */
    private static String ratios(Records.Eval q, Records.Eval base) {
        if (q == null || base == null || q.forceMaeMeVPerA() == null || base.forceMaeMeVPerA() == null) return DASH;
        double fq = q.forceMaeMeVPerA(), fb = base.forceMaeMeVPerA();
        return fmt(q.energyMaeMeV() / base.energyMaeMeV(), 2) + "×, " + fmt(fq / fb, 2) + "× (+" + fmt(Math.sqrt(Math.max(0, fq * fq - fb * fb)), 1) + ")";
    }

    private String epochsRun(Path trainCsv) throws IOException {
        if (!Files.exists(trainCsv)) {
            warnings.add("no training log " + root.relativize(trainCsv));
            return DASH;
        }
        long rows = Files.readAllLines(trainCsv).stream().skip(1).filter(l -> !l.isBlank()).count();
        return String.valueOf(rows);
    }

    private String mdTable(List<List<String>> rows) throws IOException {
        StringBuilder t = new StringBuilder("| model | simulated (ps) | drift (meV/atom/ps) | fluctuation (meV/atom) | mean T (K) | steps/s |\n|---|---|---|---|---|---|\n");
        for (List<String> row : rows) {
            need(row, 2, "| label | md-ref |");
            MdRun run = mdRun(row.get(1));
            t.append("| ").append(row.get(0)).append(" | ");
            if (run == null) {
                t.append(String.join(" | ", DASH, DASH, DASH, DASH, DASH)).append(" |\n");
                continue;
            }
            t.append(fmt(run.drift.durationPs(), 1)).append(" | ").append(fmt(run.drift.slopeMeVPerAtomPerPs(), 4)).append(" | ")
                    .append(fmt(run.drift.fluctuationMeVPerAtom(), 3)).append(" | ").append(fmt(run.meanTemperature, 0)).append(" | ")
                    .append(fmt(run.stepsPerSecond(), 0)).append(" |\n");
        }
        return t.toString();
    }

    // ---- figures ------------------------------------------------------------------------------------

    private String figure(List<String> args, List<List<String>> rows) throws IOException {
        if (args.isEmpty()) throw new IllegalArgumentException("gaq:figure needs a name");
        String name = args.get(0);
        Map<String, String> options = new HashMap<>();
        for (String a : args.subList(1, args.size())) {
            int eq = a.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("gaq:figure " + name + ": options are key=value, found " + a);
            options.put(a.substring(0, eq), a.substring(eq + 1));
        }
        String file = options.getOrDefault("file", name);   // two figures of one kind need two file names
        Path png = figures.resolve(file + ".png");
        String caption = switch (name) {
            case "accuracy-efficiency" -> accuracyEfficiency(rows, options.get("bench"), options.getOrDefault("workload", ""), png);
            case "force-error-distribution" -> forceErrorDistribution(rows, png);
            case "md-energy" -> mdEnergy(rows, png);
            default -> throw new IllegalArgumentException("unknown figure " + name);
        };
        if (caption == null) return "*(figure " + file + " not drawn: its records are missing)*\n";
        figuresWritten.add(png);
        return "![" + caption + "](figures/" + file + ".png)\n";
    }

    /** Paper Fig. 4: energy (left axis) and force MAE (right axis) per model, speed-up over the first row in the label. */
    private String accuracyEfficiency(List<List<String>> rows, String benchName, String workload, Path png) throws IOException {
        if (benchName == null) throw new IllegalArgumentException("figure accuracy-efficiency needs bench=NAME (results/bench/NAME.json)");
        Path benchFile = results.resolve("bench/" + benchName + ".json");
        Records.Bench bench = Files.exists(benchFile) ? Records.read(benchFile, Records.Bench.class) : null;
        if (bench == null) warnings.add("no benchmark record " + root.relativize(benchFile));
        List<String> labels = new ArrayList<>();
        double[] e = new double[rows.size()], f = new double[rows.size()];
        Double baseline = null;
        for (int i = 0; i < rows.size(); i++) {
            need(rows.get(i), 2, "| label | eval-ref |");
            Records.Eval rec = eval(rows.get(i).get(1));
            if (rec == null) return null;
            e[i] = rec.energyMaeMeV();
            f[i] = rec.forceMaeMeVPerA() == null ? Double.NaN : rec.forceMaeMeVPerA();
            Double ms = bench == null ? null : batchMs(bench, Path.of(rec.model()).getFileName().toString(), workload);
            if (i == 0) baseline = ms;
            String speed = ms != null && baseline != null ? String.format(Locale.ROOT, " (%.2f×)", baseline / ms) : "";
            labels.add(rows.get(i).get(0) + speed);
        }
        BarChart chart = new BarChart("rMD17 ethanol: accuracy and E+F speed-up over FP32 (batch of 64, 1 thread)", labels)
                .axisLabels("energy MAE (meV)", "force MAE (meV/Å)")
                .add("energy MAE (meV)", e, false);
        if (Arrays.stream(f).anyMatch(Double::isFinite)) chart.add("force MAE (meV/Å)", f, true);   // none on energy-only data
        chart.save(png);
        return "accuracy and speed-up";
    }

    /** The per-molecule time of the (first) batch workload starting with {@code workload} for a model file, or null (with a warning). */
    private Double batchMs(Records.Bench bench, String modelFileName, String workload) {
        for (Records.BenchRow r : bench.rows()) {
            if (r.model().equals(modelFileName) && r.workload().startsWith(workload) && r.workload().contains("molecules, per molecule")) {
                return r.medianMs();
            }
        }
        warnings.add("the benchmark record has no batch row '" + workload + "…' for " + modelFileName);
        return null;
    }

    /** Paper Fig. 3 (right): the distribution of per-structure force MAE over the test frames. */
    private String forceErrorDistribution(List<List<String>> rows, Path png) throws IOException {
        List<Records.Eval> recs = new ArrayList<>();
        for (List<String> row : rows) {
            need(row, 2, "| label | eval-ref |");
            Records.Eval rec = eval(row.get(1));
            if (rec == null) return null;
            if (rec.frameForceMaeMeVPerA() == null || rec.frameForceMaeMeVPerA().length == 0) {
                warnings.add("results/eval/" + row.get(1) + ".json has no per-frame force errors (data without forces?): "
                        + "no force-error distribution");
                return null;
            }
            recs.add(rec);
        }
        double hi = 0;
        for (Records.Eval r : recs) hi = Math.max(hi, percentile(r.frameForceMaeMeVPerA(), 0.995));
        int bins = 40;
        double width = hi / bins;
        LinePlot plot = new LinePlot("Per-structure force MAE, rMD17 ethanol test_01", "force MAE of a structure (meV/Å)", "fraction of structures");
        for (int k = 0; k < recs.size(); k++) {
            double[] x = new double[bins], y = new double[bins];
            double[] v = recs.get(k).frameForceMaeMeVPerA();
            for (double d : v) y[Math.min(bins - 1, (int) (d / width))] += 1.0 / v.length;
            for (int b = 0; b < bins; b++) x[b] = (b + 0.5) * width;
            plot.add(rows.get(k).get(0), x, y);
        }
        plot.save(png);
        return "per-structure force error distribution";
    }

    /** Paper Fig. 3 (left): total energy (meV/atom, relative to t = 0) against time for each MD run. */
    private String mdEnergy(List<List<String>> rows, Path png) throws IOException {
        LinePlot plot = new LinePlot("NVE, rMD17 ethanol, dt 0.5 fs", "time (ps)", "total energy − E(0) (meV/atom)");
        for (List<String> row : rows) {
            need(row, 2, "| label | md-ref |");
            MdRun run = mdRun(row.get(1));
            if (run == null) return null;
            double[] t = new double[run.timeFs.length], y = new double[t.length];
            for (int i = 0; i < t.length; i++) {
                t[i] = run.timeFs[i] / 1000;
                y[i] = 1000 * (run.totalEv[i] - run.totalEv[0]) / run.atoms();
            }
            plot.add(row.get(0), t, y);
        }
        plot.save(png);
        return "total energy in NVE";
    }

    // ---- records ------------------------------------------------------------------------------------

    /** The eval record {@code results/eval/<ref>.json}, checked against its model file; null (and a warning) if missing. */
    Records.Eval eval(String ref) throws IOException {
        if (evalCache.containsKey(ref)) return evalCache.get(ref);
        Path file = results.resolve("eval").resolve(ref + ".json");
        Records.Eval rec = null;
        if (!Files.exists(file)) {
            warnings.add("no evaluation record " + root.relativize(file));
        } else {
            rec = Records.read(file, Records.Eval.class);
            Path model = root.resolve(rec.model());
            if (Files.exists(model) && !Records.sha256(model).equals(rec.modelSha256())) {
                warnings.add(root.relativize(file) + " was measured on another version of " + rec.model() + " (SHA-256 differs): re-run its command: " + rec.command());
            }
        }
        evalCache.put(ref, rec);
        return rec;
    }

    /** An MD run's log; {@code stepsPerSecond} NaN for a run still in progress (a checkpoint, no summary yet). */
    private record MdRun(int atoms, double stepsPerSecond, EnergyDrift drift, double[] timeFs, double[] totalEv, double meanTemperature) {}

    private MdRun mdRun(String ref) throws IOException {
        Path dir = results.resolve("md").resolve(ref);
        Path csv = dir.resolve(RunFiles.ENERGY_LOG), summaryFile = dir.resolve(RunFiles.SUMMARY), state = dir.resolve(RunFiles.STATE);
        if (!Files.exists(csv) || !(Files.exists(summaryFile) || Files.exists(state))) {
            warnings.add("no MD run " + root.relativize(dir) + " (needs " + RunFiles.ENERGY_LOG + " and " + RunFiles.SUMMARY
                    + ", or " + RunFiles.STATE + " for a run in progress)");
            return null;
        }
        int atoms;
        double stepsPerSecond;
        if (Files.exists(summaryFile)) {
            RunFiles.Summary summary = RunFiles.readJson(summaryFile, RunFiles.Summary.class);
            atoms = summary.atoms();
            stepsPerSecond = summary.stepsPerSecond();
        } else {
            atoms = RunFiles.readState(dir).numAtoms();
            stepsPerSecond = Double.NaN;
        }
        List<RunFiles.EnergyRow> rows = RunFiles.readEnergyLog(dir);
        if (rows.size() < 2) {
            warnings.add(root.relativize(csv) + " has fewer than two rows");
            return null;
        }
        double[] t = rows.stream().mapToDouble(RunFiles.EnergyRow::timeFs).toArray();
        double[] e = rows.stream().mapToDouble(RunFiles.EnergyRow::totalEv).toArray();
        double meanT = rows.stream().mapToDouble(RunFiles.EnergyRow::temperatureK).average().orElse(Double.NaN);
        return new MdRun(atoms, stepsPerSecond, EnergyDrift.fit(t, e, atoms), t, e, meanT);
    }

    // ---- formatting ---------------------------------------------------------------------------------

    private String inline(String line) throws IOException {
        Matcher m = INLINE.matcher(line);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(format(eval(m.group(1)), m.group(2))));
        m.appendTail(sb);
        return sb.toString();
    }

    private static String header(String column) {
        return switch (column) {
            case "E" -> "energy MAE (meV)";
            case "F" -> "force MAE (meV/Å)";
            case "Erms" -> "energy RMSE (meV)";
            case "Frms" -> "force RMSE (meV/Å)";
            case "LEE" -> "LEE forces (meV/Å)";
            default -> throw new IllegalArgumentException("unknown column " + column + " (E, F, Erms, Frms, LEE)");
        };
    }

    static String format(Records.Eval e, String column) {
        if (e == null) return DASH;
        return switch (column) {
            case "E" -> fmt(e.energyMaeMeV(), 2);
            case "F" -> e.forceMaeMeVPerA() == null ? DASH : fmt(e.forceMaeMeVPerA(), 2);
            case "Erms" -> fmt(e.energyRmseMeV(), 2);
            case "Frms" -> e.forceRmseMeVPerA() == null ? DASH : fmt(e.forceRmseMeVPerA(), 2);
            case "LEE" -> e.leeMeVPerA() == null ? DASH : e.leeMeVPerA() < 0.1 ? fmt(e.leeMeVPerA(), 4) : fmt(e.leeMeVPerA(), 2);
            default -> throw new IllegalArgumentException("unknown column " + column + " (E, F, Erms, Frms, LEE)");
        };
    }

    private static String fmt(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : DASH;
    }

    private static List<String> cells(String row) {
        String inner = row.substring(1, row.endsWith("|") ? row.length() - 1 : row.length());
        return Arrays.stream(inner.split("\\|", -1)).map(String::strip).toList();
    }

    private static void need(List<String> row, int n, String shape) {
        if (row.size() < n) throw new IllegalArgumentException("row " + row + " should be " + shape);
    }

    private static double percentile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(q * (s.length - 1)))];
    }
}
