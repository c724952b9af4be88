package dev.llamashim.jetty.testing;

import dev.llamashim.servlet.testing.FakeLlamaServer;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;

/** Routes for a {@link FakeLlamaServer} that play a model taking its time. */
public final class SlowModel {

    private SlowModel() {}

    /**
     * A model server that takes {@code modelTime} to answer with {@code json}, unless its
     * connection closes first: then it stops, records when in {@code closedAt} (a
     * {@link System#nanoTime()}) and its exchange fails, as llama-server stops generating for a
     * client that left. An HTTP server reads nothing while it works on a request, so it checks the
     * socket itself.
     */
    public static FakeLlamaServer.Writer stopsWhenItsConnectionCloses(Duration modelTime, byte[] json, AtomicLong closedAt) {
        return (request, response, callback) -> {
            EndPoint endPoint = response.getRequest().getConnectionMetaData().getConnection().getEndPoint();
            ByteBuffer probe = BufferUtil.allocate(1);
            long deadline = System.nanoTime() + modelTime.toNanos();
            while (System.nanoTime() < deadline) {
                if (endPoint.fill(probe) < 0) {
                    closedAt.set(System.nanoTime());
                    callback.failed(new EOFException("the model server's client closed the connection"));
                    return;
                }
                Thread.sleep(20);
            }
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
            response.write(true, ByteBuffer.wrap(json), callback);
        };
    }
}
