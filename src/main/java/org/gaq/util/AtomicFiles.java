package org.gaq.util;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Write-then-rename helpers, so a reader (or a crash) never sees half a file: write a temporary file
 * in the same folder, give it the final permissions, then move it over the target atomically.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Writes {@code content} to {@code file} whole or not at all: into a temporary file beside it (its folder is
     * created if needed), given {@link #matchPermissions the final permissions}, then renamed over it atomically.
     */
    public static void write(Path file, byte[] content) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
        try {
            Files.write(tmp, content);
            matchPermissions(tmp, abs);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

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
