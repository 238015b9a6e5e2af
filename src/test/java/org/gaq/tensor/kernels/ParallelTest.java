package org.gaq.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {

    private final int threadsBefore = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threadsBefore);
    }

    @Test
    void everyIndexRunsOnceInAlignedChunks() {
        for (int threads : new int[] {1, 2, 5}) {
            Parallel.setThreads(threads);
            for (int count : new int[] {0, 1, 3, 4, 5, 97, 1000}) {
                AtomicIntegerArray visits = new AtomicIntegerArray(count);
                Parallel.forRange(count, 4, (start, end) -> {
                    assertEquals(0, start % 4, "chunk start " + start);
                    for (int i = start; i < end; i++) {
                        visits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < count; i++) {
                    assertEquals(1, visits.get(i), "index " + i + " of " + count + " on " + threads + " threads");
                }
            }
        }
    }

    @Test
    void aChunksExceptionReachesTheCaller() {
        Parallel.setThreads(2);
        IllegalStateException thrown = new IllegalStateException("chunk failed");
        IllegalStateException caught = assertThrows(IllegalStateException.class,
                () -> Parallel.forRange(100, 1, (start, end) -> {
                    if (start <= 50 && 50 < end) {
                        throw thrown;
                    }
                }));
        assertSame(thrown, caught);
    }

    @Test
    void nestedRangesRunInlineOnPoolThreads() {
        Parallel.setThreads(2);
        AtomicIntegerArray visits = new AtomicIntegerArray(64 * 64);
        Parallel.forRange(64, 1, (start, end) -> {
            for (int outer = start; outer < end; outer++) {
                int row = outer;
                Parallel.forRange(64, 1, (s, e) -> {
                    for (int inner = s; inner < e; inner++) {
                        visits.incrementAndGet(row * 64 + inner);
                    }
                });
            }
        });
        for (int i = 0; i < 64 * 64; i++) {
            assertEquals(1, visits.get(i));
        }
    }

    @Test
    void invalidThreadCountIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
        assertTrue(Parallel.threads() >= 1);
    }
}
