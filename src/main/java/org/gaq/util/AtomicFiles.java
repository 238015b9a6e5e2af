package org.gaq.util;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Write-then-rename helpers, so a reader (or a crash) never sees half a file: write a temporary file
 * in the same folder, give it the final permissions, then move it over the target atomically.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Temp files are created owner-only (0600); give the final file the permissions a plain
     * Files.write would have had (the old file's, or rw-r--r--) so other users and tools can read it.
     */
    public static void matchPermissions(Path tmp, Path target) {
        try {
            var perms = Files.exists(target) ? Files.getPosixFilePermissions(target) : PosixFilePermissions.fromString("rw-r--r--");
            Files.setPosixFilePermissions(tmp, perms);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not a POSIX file system: keep the defaults
        }
    }

    /** Makes a rename durable; a harmless no-op where directories cannot be opened (e.g. Windows). */
    public static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort: the data itself was already fsync'ed before the rename
        }
    }
}
