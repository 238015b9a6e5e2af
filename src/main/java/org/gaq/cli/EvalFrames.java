package org.gaq.cli;

import org.gaq.data.DataSource;
import org.gaq.data.Dataset;
import org.gaq.data.Split;

import java.io.IOException;

/**
 * The frames {@code gaq eval} measures, and the sentence that says which they are: an explicit file is evaluated
 * whole unless a split is asked for; rmd17:&lt;molecule&gt; means its test file, qm9 the test part of its split.
 */
record EvalFrames(Dataset data, String description) {

    static EvalFrames of(DataSource.Source source, String which, long seed) throws IOException {
        if (which.equals("all")) {
            Dataset all = source.load();
            return new EvalFrames(all, "all " + frames(all.size()) + " of " + source.file());
        }
        if (!which.equals("test") && !which.equals("validation") && !which.equals("train")) {
            throw new IllegalArgumentException("--split must be test, validation, train or all, not '" + which + "'");
        }
        if (which.equals("test") && source.testFile() != null) {
            Dataset test = source.loadTest();
            return new EvalFrames(test, "all " + frames(test.size()) + " of the test file " + source.testFile());
        }
        Split split = source.split(seed);
        Dataset part = switch (which) {
            case "test" -> split.test();
            case "validation" -> split.validation();
            default -> split.train();
        };
        int total = split.train().size() + split.validation().size() + (source.testFile() == null ? split.test().size() : 0);
        return new EvalFrames(part, String.format("the %s part of a split of %s: %d of its %s (seed %d; --split all for every frame)",
                which, source.file(), part.size(), frames(total), seed));
    }

    private static String frames(int n) {
        return n + (n == 1 ? " frame" : " frames");
    }
}
