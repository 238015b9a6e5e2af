package org.gaq.data;

import java.io.IOException;

/** A data set or data directory could not be located; the message lists every place tried. */
public class DataNotFoundException extends IOException {
    public DataNotFoundException(String message) { super(message); }
}
