package org.gaq.io;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** Element types of safetensors that gaq reads and writes, with their size in bytes. */
public enum DType {
    F32(4), F64(8), I32(4), I64(8), I8(1), U8(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The dtype named exactly {@code name} (as spelled in safetensors headers, e.g. "F32"). */
    public static Optional<DType> parse(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** "F32, F64, I32, I64, I8, U8", for error messages. */
    public static String supportedList() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
