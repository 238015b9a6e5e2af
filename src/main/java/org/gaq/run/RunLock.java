package org.gaq.run;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One process per run folder: {@value #FILE} in the folder, held with an operating-system lock for as long as the
 * command runs and deleted when it ends. Two `gaq train` in one folder would interleave their logs and overwrite each
 * other's checkpoints. The lock is the OS's (fcntl), so a process that dies, even by kill -9, releases it; the file it
 * leaves behind (naming its process) is recognised as stale, reported and taken over.
 */
public final class RunLock implements AutoCloseable {
    public static final String FILE = "gaq.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates {@code dir} if needed and locks it for {@code command} (written into the lock file for whoever finds it),
     * or throws naming the process that holds it. A stale lock file is reported on {@code notes}.
     */
    public static RunLock acquire(Path dir, String command, PrintStream notes) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;                            // held by this very process (another run in the same JVM)
        }
        if (lock == null) {
            String holder = read(channel);
            channel.close();
            throw new RunFolderException(dir + " is in use by another gaq process" + (holder.isEmpty() ? "" : " (" + holder + ")")
                    + ": wait for it to end, or choose another --out");
        }
        String previous = read(channel);
        if (!previous.isEmpty() && notes != null) {
            notes.println("note: " + file + " was left by a gaq process that is gone (" + previous + "); taking it over");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(describe(command).getBytes(StandardCharsets.UTF_8)), 0);
        channel.force(false);
        return new RunLock(file, channel, lock);
    }

    /** "pid N, since T: COMMAND". */
    private static String describe(String command) {
        return "pid " + ProcessHandle.current().pid() + ", since " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ": " + command;
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(channel.size(), 4096));
        channel.read(b, 0);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
    }

    /** Deletes the lock file, then releases the lock (in that order, so nobody finds a released lock file of ours). */
    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(file);
        } finally {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }
}
