package org.gaq.cli;

import org.gaq.run.RunFolders;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** {@code --out DIR}: the run folder of train, qat and md (declared once; each command names its default). */
public final class RunFolderOption {
    @Option(names = "--out", paramLabel = "DIR", description = "run folder (checkpoints, logs, plots); a folder that holds another run is "
            + "refused (default: runs/<data> for train, runs/qat-<method>-<bits> for qat, runs/md-<ensemble> for md, or the first "
            + "free numbered sibling)")
    Path out;

    /** The folder of a fresh run: --out if it holds no run (else an error that says how to {@code continueHint}), or the default's first free sibling. */
    Path fresh(Path commandDefault, String continueHint) throws IOException {
        return RunFolders.forFreshRun(out != null ? out : commandDefault, out != null, continueHint, System.out);
    }
}
