package org.gaq.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that cannot be read: the message names the file and what is wrong with it. */
public final class SafeTensorsException extends IOException {

    private final transient Path file;

    public SafeTensorsException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public SafeTensorsException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file that could not be read. */
    public Path file() {
        return file;
    }
}
