import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Two (or more) builds of gaq in one JVM, each jar in its own class loader, timed on the same cases
 * interleaved call by call: on a machine loaded by other jobs both see the same conditions, which
 * separate runs of `gaq bench model` do not. Thread CPU time per call, median [p10–p90].
 *
 * <p>Usage: java --add-modules jdk.incubator.vector -cp CLASSES JarAB WARMUP_S SECONDS_PER_CASE label=jar ...
 * (CLASSES holds JarAB and Work; -Dcases=a,b picks cases).
 */
public class JarAB {
    public static void main(String[] args) throws Exception {
        double warm = Double.parseDouble(args[0]), secs = Double.parseDouble(args[1]);
        URL classes = JarAB.class.getProtectionDomain().getCodeSource().getLocation();
        List<String> labels = new ArrayList<>();
        List<Map<String, Runnable>> works = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            URLClassLoader cl = new URLClassLoader(new URL[]{Path.of(kv[1]).toUri().toURL(), classes}, ClassLoader.getPlatformClassLoader());
            @SuppressWarnings("unchecked")
            Supplier<Map<String, Runnable>> s = (Supplier<Map<String, Runnable>>) cl.loadClass("Work").getConstructor().newInstance();
            labels.add(kv[0]);
            works.add(s.get());
        }
        ThreadMXBean clock = ManagementFactory.getThreadMXBean();
        Set<String> cases = System.getProperty("cases") != null
                ? new LinkedHashSet<>(Arrays.asList(System.getProperty("cases").split(","))) : works.get(0).keySet();
        long end = System.nanoTime() + (long) (warm * 1e9);   // warm-up: every case of every jar, interleaved
        while (System.nanoTime() < end) for (String c : cases) for (var w : works) w.get(c).run();
        for (String c : cases) {
            List<List<Double>> t = new ArrayList<>();
            for (int i = 0; i < works.size(); i++) t.add(new ArrayList<>());
            end = System.nanoTime() + (long) (secs * 1e9);
            do {
                for (int i = 0; i < works.size(); i++) {
                    long t0 = clock.getCurrentThreadCpuTime();
                    works.get(i).get(c).run();
                    t.get(i).add((clock.getCurrentThreadCpuTime() - t0) / 1e6);
                }
            } while (System.nanoTime() < end || t.get(0).size() < 5);
            double base = 0;
            for (int i = 0; i < works.size(); i++) {
                double[] s = t.get(i).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                double med = s[s.length / 2], p10 = s[(int) (0.1 * (s.length - 1) + 0.5)], p90 = s[(int) (0.9 * (s.length - 1) + 0.5)];
                if (i == 0) base = med;
                System.out.printf(Locale.ROOT, "%-24s %-8s median %9.3f ms  p10–p90 %8.3f–%8.3f  n=%4d  %5.2f× vs %s%n",
                        c, labels.get(i), med, p10, p90, s.length, base / med, labels.get(0));
            }
        }
    }
}
