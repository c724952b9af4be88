package dev.llamashim.jetty.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model server that misbehaves below HTTP: it reads each request and then writes whatever bytes
 * its {@link Answer} chooses — a {@code Content-Length} it does not keep, a chunked body cut off —
 * and closes or resets the connection. One thread per connection; test use only.
 */
public final class RawUpstream implements AutoCloseable {

    /** Writes the raw answer to one request; the connection is closed after it returns. */
    @FunctionalInterface
    public interface Answer {
        /** Answers the request whose head (request line and headers) is {@code head}. */
        void write(String head, Socket socket, OutputStream out) throws IOException;
    }

    private final ServerSocket server;
    private final Answer answer;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();
    private final Thread acceptor;

    private RawUpstream(Answer answer) throws IOException {
        this.answer = answer;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "raw-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts answering every request with {@code answer}. */
    public static RawUpstream start(Answer answer) throws IOException {
        return new RawUpstream(answer);
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** How many requests it has read. */
    public int requests() {
        return requests.get();
    }

    /** Resets the connection (TCP RST) instead of closing it cleanly. */
    public static void reset(Socket socket) throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    /** {@code text} as ISO-8859-1 bytes, flushed. */
    public static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                open.add(socket);
                Thread handler = new Thread(() -> serve(socket), "raw-upstream-connection");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            in.readNBytes(contentLength(head));
            requests.incrementAndGet();
            answer.write(head, socket, socket.getOutputStream());
        } catch (IOException e) {
            // The proxy went away, or the answer reset the connection on purpose.
        } finally {
            open.remove(socket);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        for (int b = in.read(); b >= 0; b = in.read()) {
            head.write(b);
            matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring("content-length:".length()).strip());
            }
        }
        return 0;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
