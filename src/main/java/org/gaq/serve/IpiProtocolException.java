package org.gaq.serve;

import java.io.IOException;

/**
 * The other end broke the i-PI protocol: a malformed header, a message that makes no sense in the
 * current state, a wrong atom count, a payload cut short, numbers that are not finite. The message
 * says which. It is an {@link IOException} because, like a dropped connection, it ends the session.
 */
public class IpiProtocolException extends IOException {
    public IpiProtocolException(String message) {
        super(message);
    }
}
