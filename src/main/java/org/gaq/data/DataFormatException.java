package org.gaq.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data file exists but its content is not what we expect. The message always names the file
 * and (where it makes sense) the line, array or frame at fault, so a user can fix the file
 * without a debugger. Not to be confused with {@code java.util.zip.DataFormatException}.
 */
public class DataFormatException extends IOException {
    private final Path file;

    public DataFormatException(Path file, String what) {
        super(file + ": " + what);
        this.file = file;
    }

    public DataFormatException(Path file, String what, Throwable cause) {
        super(file + ": " + what, cause);
        this.file = file;
    }

    /** Error at a 1-based line number of a text file. */
    public static DataFormatException atLine(Path file, long line, String what) {
        return new DataFormatException(file, "line " + line + ": " + what);
    }

    public Path file() { return file; }
}
