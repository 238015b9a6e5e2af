package org.gaq.data;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A short hash of a data set's content (elements, positions, energy and force labels, in order), so a run can
 * tell whether it is given the data it was made with, whatever the file is called or where it lies now.
 */
public final class DataFingerprint {
    private DataFingerprint() {}

    /** The first 16 hex digits of SHA-256 over every frame's numbers. */
    public static String of(Dataset data) {
        MessageDigest md = sha256();
        for (Frame f : data.frames()) {
            ByteBuffer b = ByteBuffer.allocate(4 + 4 * f.numAtoms() + 8 * (1 + 2 * f.positions().length));
            b.putInt(f.numAtoms());
            for (int z : f.atomicNumbers()) b.putInt(z);
            for (double x : f.positions()) b.putDouble(x);
            b.putDouble(f.energy());
            if (f.hasForces()) for (double x : f.forces()) b.putDouble(x);
            md.update(b.array(), 0, b.position());
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }

    /** "NAME (N frames, fingerprint H)": how messages name a data set. */
    public static String describe(Dataset data) {
        return data.name() + " (" + data.size() + " frames, fingerprint " + of(data) + ")";
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);   // every JDK has SHA-256
        }
    }
}
