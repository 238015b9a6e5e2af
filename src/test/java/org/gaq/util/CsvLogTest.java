package org.gaq.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CsvLogTest {

    @TempDir
    Path dir;

    private List<String> read(Path p) throws IOException {
        return Files.readAllLines(p, StandardCharsets.UTF_8);
    }

    @Test
    void writesHeaderAndRowsAndEachRowIsOnDiskImmediately() throws IOException {
        Path p = dir.resolve("runs/ethanol/train.csv");
        try (CsvLog log = CsvLog.open(p, "epoch", "loss", "note")) {
            log.row(1, 0.1, "warm-up");
            // visible to another reader before close: nothing buffered in the JVM
            assertEquals(List.of("epoch,loss,note", "1,0.1,warm-up"), read(p));
            log.row(2, 0.05f, null);
            log.row(3L, Double.NaN, "a, \"quoted\" note");
        }
        assertEquals(List.of("epoch,loss,note", "1,0.1,warm-up", "2,0.05,", "3,NaN,\"a, \"\"quoted\"\" note\""), read(p));
    }

    @Test
    void reopeningWithTheSameHeaderAppends() throws IOException {
        Path p = dir.resolve("md.csv");
        try (CsvLog log = CsvLog.open(p, "step", "E_total")) {
            log.row(0, -97.5);
        }
        try (CsvLog log = CsvLog.open(p, List.of("step", "E_total"))) {
            log.row(1, -97.4);
        }
        assertEquals(List.of("step,E_total", "0,-97.5", "1,-97.4"), read(p));
    }

    @Test
    void reopeningWithADifferentHeaderFails() throws IOException {
        Path p = dir.resolve("log.csv");
        CsvLog.open(p, "a", "b").close();
        IOException e = assertThrows(IOException.class, () -> CsvLog.open(p, "a", "c"));
        assertTrue(e.getMessage().contains("a,b") && e.getMessage().contains("a,c"), e.getMessage());
        assertEquals(List.of("a,b"), read(p), "the old file must be untouched");
    }

    @Test
    void partialLastRowFromACrashIsDropped() throws IOException {
        Path p = dir.resolve("crash.csv");
        Files.writeString(p, "epoch,loss\n1,0.5\n2,0.2");   // died while writing row 2
        try (CsvLog log = CsvLog.open(p, "epoch", "loss")) {
            log.row(2, 0.25);
        }
        assertEquals(List.of("epoch,loss", "1,0.5", "2,0.25"), read(p));
    }

    @Test
    void emptyExistingFileGetsTheHeader() throws IOException {
        Path p = dir.resolve("empty.csv");
        Files.createFile(p);
        try (CsvLog log = CsvLog.open(p, "x")) {
            log.row(" padded ");
        }
        assertEquals(List.of("x", "\" padded \""), read(p));
    }

    @Test
    void rowWithWrongWidthIsRejected() throws IOException {
        try (CsvLog log = CsvLog.open(dir.resolve("w.csv"), "a", "b")) {
            var e = assertThrows(IllegalArgumentException.class, () -> log.row(1));
            assertTrue(e.getMessage().contains("1 values") && e.getMessage().contains("2 columns"), e.getMessage());
        }
    }
}
