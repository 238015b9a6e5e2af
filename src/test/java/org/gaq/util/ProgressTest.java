package org.gaq.util;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class ProgressTest {

    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    private final AtomicLong clock = new AtomicLong();   // nanoseconds, advanced by hand

    private List<String> lines() {
        return buffer.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void plainModePrintsOneLinePerTenPercent() {
        try (Progress p = new Progress("train", 1000, out, clock::get, Duration.ofSeconds(30))) {
            for (int i = 0; i < 1000; i++) {
                clock.addAndGet(1_000_000);   // 1 ms per step: never reaches the heartbeat
                p.step();
                if (i == 399) {
                    p.setExtra("loss 0.12 val 3.4");
                }
            }
        }
        List<String> lines = lines();
        // start + 10 deciles + done
        assertEquals(12, lines.size(), String.join("\n", lines));
        assertEquals("train: started, 1000 steps", lines.get(0));
        assertEquals("train: 10% (100/1000), 0.1 s, ETA 0.9 s", lines.get(1));
        assertTrue(lines.get(5).startsWith("train: 50% (500/1000)"), lines.get(5));
        assertTrue(lines.get(5).endsWith("| loss 0.12 val 3.4"), lines.get(5));
        assertEquals("train: done, 100% (1000/1000), 1.0 s | loss 0.12 val 3.4", lines.get(11));
    }

    @Test
    void heartbeatWhenStepsAreSlow() {
        Progress p = new Progress("md", 1_000_000, out, clock::get, Duration.ofSeconds(30));
        for (int i = 0; i < 100; i++) {      // 100 steps of 1 s each, far below 10%
            clock.addAndGet(1_000_000_000L);
            p.step();
        }
        p.close();
        p.close();   // idempotent
        List<String> lines = lines();
        // start + heartbeats at 30, 60, 90 s + done
        assertEquals(5, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(1).startsWith("md: 0% (30/1000000), 30.0 s, ETA "), lines.get(1));
        assertTrue(lines.get(3).contains("(90/1000000), 90.0 s"), lines.get(3));
        assertEquals("md: done, 0% (100/1000000), 1m40s", lines.get(4));
    }

    @Test
    void unknownTotalAndStepsAfterCloseAreQuiet() {
        Progress p = new Progress("scan", 0, out, clock::get, Duration.ofSeconds(10));
        p.stepBy(5);
        clock.addAndGet(11_000_000_000L);
        p.step();
        p.close();
        p.step();
        assertEquals(List.of("scan: started", "scan: 6 steps, 11.0 s", "scan: done, 6 steps, 11.0 s"), lines());
    }

    @Test
    void concurrentStepsAreAllCounted() throws InterruptedException {
        Progress p = new Progress("par", 40_000, out, clock::get, Duration.ofSeconds(30));
        Thread[] workers = new Thread[4];
        for (int t = 0; t < workers.length; t++) {
            workers[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    p.step();
                }
            });
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        p.close();
        assertEquals(40_000, p.current());
        assertEquals(12, lines().size());
    }

    @Test
    void startOutsideATerminalUsesPlainLines() {
        // Surefire runs tests without a terminal, so start() must pick the plain mode.
        assertFalse(Progress.isInteractive());
        PrintStream saved = System.err;
        System.setErr(out);
        try (Progress p = Progress.start("eval", 10)) {
            p.stepBy(10);
        } finally {
            System.setErr(saved);
        }
        List<String> lines = lines();
        assertEquals("eval: started, 10 steps", lines.get(0));
        assertTrue(lines.get(lines.size() - 1).startsWith("eval: done, 100% (10/10)"), lines.toString());
    }
}
