package org.gaq.spark;

/** An input structure that cannot be evaluated; the message names its file and record. */
public final class MalformedStructureException extends IllegalArgumentException {
    public MalformedStructureException(String where, String problem) {
        super(where + ": " + problem);
    }
}
