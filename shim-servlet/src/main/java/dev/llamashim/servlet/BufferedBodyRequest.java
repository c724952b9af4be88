package dev.llamashim.servlet;

/**
 * A request the filter hands downstream with a body it has already read into memory; a
 * downstream that forwards requests may send {@link #bufferedBody()} at once instead of reading
 * it back through the servlet input stream.
 */
public interface BufferedBodyRequest {

    /** The whole body the downstream is to get, with its {@code Content-Length}; not to be modified. */
    byte[] bufferedBody();
}
