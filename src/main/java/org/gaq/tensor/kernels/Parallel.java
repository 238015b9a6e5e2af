package org.gaq.tensor.kernels;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A shared pool that splits an index range over threads, for the kernels.
 *
 * <p>The calling thread always works too, taking chunks from the same counter as the helpers, and only
 * waits for chunks a helper has already started. So a call finishes even if every helper is busy with
 * someone else's work, and a call made from inside a pool thread simply runs inline: nested use cannot
 * deadlock.
 *
 * <p>Thread count: system property {@code gaq.threads}, else {@link #setThreads(int)}, else
 * {@code Runtime.availableProcessors()}.
 */
public final class Parallel {

    /** Work on the index range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** Chunks per thread: more than one, so a helper that wakes up late still gets a share. */
    private static final int CHUNKS_PER_THREAD = 4;

    private static final AtomicInteger HELPER_IDS = new AtomicInteger();
    private static volatile int threads = initialThreads();
    /** threads - 1 helpers, created on first parallel call. */
    private static ExecutorService helpers;

    private Parallel() {
    }

    private static int initialThreads() {
        String property = System.getProperty("gaq.threads");
        int count = property == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(property.trim());
        if (count < 1) {
            throw new IllegalArgumentException("gaq.threads must be >= 1, got " + property);
        }
        return count;
    }

    /** Number of threads (the caller included) a parallel range uses. */
    public static int threads() {
        return threads;
    }

    /** Sets the number of threads (the caller included); 1 turns parallelism off. */
    public static synchronized void setThreads(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("thread count must be >= 1, got " + count);
        }
        if (count == threads) {
            return;
        }
        threads = count;
        if (helpers != null) {
            helpers.shutdown(); // running chunks finish; queued helpers of old calls are not needed
            helpers = null;
        }
    }

    /** True on one of the pool's helper threads. */
    public static boolean inPool() {
        return Thread.currentThread() instanceof Helper;
    }

    /**
     * Runs {@code body} over [0, count), in chunks whose boundaries are multiples of {@code align} (so a
     * kernel's row tiles stay whole). Returns when every chunk is done; rethrows a chunk's exception.
     */
    public static void forRange(int count, int align, RangeBody body) {
        int threadCount = threads;
        int alignedUnits = (count + align - 1) / align;
        int chunks = Math.min(alignedUnits, threadCount * CHUNKS_PER_THREAD);
        if (threadCount == 1 || chunks <= 1 || inPool()) {
            body.run(0, count);
            return;
        }
        int chunkSize = (alignedUnits + chunks - 1) / chunks * align;
        Job job = new Job(count, chunkSize, body);
        ExecutorService pool = helpers();
        try {
            for (int h = 0; h < Math.min(threadCount - 1, job.chunks - 1); h++) {
                pool.execute(job);
            }
        } catch (RejectedExecutionException e) {
            // setThreads retired this pool meanwhile: the caller takes the chunks no helper got
        }
        job.run();
        job.awaitDone();
    }

    private static synchronized ExecutorService helpers() {
        if (helpers == null) {
            helpers = Executors.newFixedThreadPool(Math.max(1, threads - 1), Helper::new);
        }
        return helpers;
    }

    private static final class Helper extends Thread {
        Helper(Runnable task) {
            super(task, "gaq-kernel-" + HELPER_IDS.incrementAndGet());
            setDaemon(true);
        }
    }

    /** One forRange call: a chunk counter shared by the caller and helpers. */
    private static final class Job implements Runnable {
        private final int count;
        private final int chunkSize;
        private final int chunks;
        private final RangeBody body;
        private final AtomicInteger nextChunk = new AtomicInteger();
        private final CountDownLatch done;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(int count, int chunkSize, RangeBody body) {
            this.count = count;
            this.chunkSize = chunkSize;
            this.chunks = (count + chunkSize - 1) / chunkSize;
            this.body = body;
            this.done = new CountDownLatch(chunks);
        }

        @Override
        public void run() {
            int chunk;
            while ((chunk = nextChunk.getAndIncrement()) < chunks) {
                int start = chunk * chunkSize;
                try {
                    body.run(start, Math.min(count, start + chunkSize));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            }
        }

        void awaitDone() {
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the chunks in flight write into the caller's arrays: wait for them
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }
}
