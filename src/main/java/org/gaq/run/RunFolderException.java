package org.gaq.run;

import java.io.IOException;

/** A run folder cannot be used: another process holds it, or it holds results that a fresh run would overwrite. */
public final class RunFolderException extends IOException {
    public RunFolderException(String message) {
        super(message);
    }
}
