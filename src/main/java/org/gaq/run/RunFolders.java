package org.gaq.run;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a new run may write. gaq never writes a fresh run into a folder that holds another run's results (its
 * models, logs, trajectory): a folder given with --out is refused, with the way to continue that run instead; a
 * default folder (runs/md-nve, runs/qat-gaq-w8a8, ...) that is taken gives way to the first free numbered sibling
 * (runs/md-nve-2, -3, ...), and the command says so. No command writes over its own input.
 */
public final class RunFolders {
    private RunFolders() {}

    /**
     * The files by which a folder is recognised as holding a gaq run's results (training, QAT or MD). Not the origin
     * record alone: a run that failed before writing anything (a missing model file) leaves nothing to lose.
     */
    public static final List<String> RESULT_FILES = List.of("best.safetensors", "last.safetensors", "train.csv",
            "state.json", "energy.csv", "trajectory.xyz");

    /** The result files present in {@code dir} (empty if none, or no such folder). */
    public static List<String> results(Path dir) {
        List<String> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) return found;
        for (String f : RESULT_FILES) if (Files.exists(dir.resolve(f))) found.add(f);
        return found;
    }

    /**
     * The folder a fresh run writes to: {@code requested} itself if it holds no run; otherwise, if {@code explicit}
     * (the user named it), a {@link RunFolderException} that says how to {@code continueHint}; if it is a default
     * folder, the first numbered sibling that holds no run (announced on {@code log}).
     */
    public static Path forFreshRun(Path requested, boolean explicit, String continueHint, PrintStream log) throws IOException {
        requireFolder(requested, "--out");
        List<String> found = results(requested);
        if (found.isEmpty()) return requested;
        if (explicit) {
            throw new RunFolderException(requested + " already holds a run (" + String.join(", ", found) + "); gaq does not write a new "
                    + "run over it: " + continueHint + ", or give another --out (or delete the folder)");
        }
        for (int k = 2; ; k++) {
            Path sibling = requested.resolveSibling(requested.getFileName() + "-" + k);
            if (!Files.exists(sibling) || Files.isDirectory(sibling) && results(sibling).isEmpty()) {
                log.println("note: " + requested + " holds an earlier run; this one goes to " + sibling);
                return sibling;
            }
        }
    }

    /** Throws if {@code dir} exists and is not a folder (e.g. --out names a file). */
    public static void requireFolder(Path dir, String option) throws RunFolderException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new RunFolderException(option + " " + dir + " is a file, not a folder: give a folder for the run's files");
        }
    }

    /** Throws if the output file {@code out} is a folder or is the input {@code input}: a command never writes over what it reads. */
    public static void requireOutputFile(Path out, Path input, String option) throws IOException {
        if (Files.isDirectory(out)) throw new RunFolderException(option + " " + out + " is a folder: give the file to write");
        boolean same = Files.exists(out) && Files.exists(input) ? Files.isSameFile(out, input)
                : out.toAbsolutePath().normalize().equals(input.toAbsolutePath().normalize());
        if (same) throw new RunFolderException(option + " " + out + " is the input file itself: write to another file (gaq never overwrites its input)");
    }
}
