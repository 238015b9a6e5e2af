package org.gaq.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the process holds in memory: resident set (from /proc on Linux) and the Java heap in use. */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** Resident set size in bytes (VmRSS), or −1 where /proc/self/status is not there. */
    public static long residentBytes() {
        return statusBytes("VmRSS:");
    }

    /** Peak resident set size in bytes (VmHWM), or −1. */
    public static long peakResidentBytes() {
        return statusBytes("VmHWM:");
    }

    /** A "kB" field of /proc/self/status in bytes, or −1. */
    private static long statusBytes(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) return 1024L * Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** "resident memory 112 MB (peak 130 MB), Java heap 21 MB used of 64 MB". */
    public static String describe() {
        var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return String.format("resident memory %d MB (peak %d MB), Java heap %d MB used of %d MB committed",
                residentBytes() >> 20, peakResidentBytes() >> 20, heap.getUsed() >> 20, heap.getCommitted() >> 20);
    }
}
