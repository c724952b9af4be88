package dev.llamashim.examples.gateway;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Copies the upstream's body to the client with non-blocking servlet output: asks the HttpClient
 * for the next part only when the client can take it, flushes each part (so a native event stream
 * reaches the client event by event), and completes the {@link AsyncContext} after the last one.
 *
 * <p>Both the HttpClient (new parts) and the container (room to write, via a {@link WriteListener}) call in, from their own
 * threads and sometimes from inside each other's calls; {@link #drain()} lets one caller at a
 * time do the work and makes it go round again when another came in meanwhile.
 */
final class UpstreamBodyWriter implements Flow.Subscriber<List<ByteBuffer>> {

    private static final System.Logger LOG = System.getLogger(UpstreamBodyWriter.class.getName());

    private final AsyncContext async;
    private final HttpServletResponse response;
    private final Queue<ByteBuffer> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger drains = new AtomicInteger();
    private volatile Flow.Subscription subscription;
    private volatile ServletOutputStream out;
    private volatile boolean awaitingPart;
    private volatile boolean upstreamDone;
    private volatile boolean finished;

    UpstreamBodyWriter(AsyncContext async, HttpServletResponse response) {
        this.async = async;
        this.response = response;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        try {
            out = response.getOutputStream();
            out.setWriteListener(new WriteListener() {
                @Override
                public void onWritePossible() {
                    drain();
                }

                @Override
                public void onError(Throwable failure) {
                    clientGone(failure);
                }
            });
        } catch (IOException | IllegalStateException e) {
            LOG.log(System.Logger.Level.DEBUG, "gateway: cannot write to the client", e);
            subscription.cancel();
            finish();
        }
    }

    @Override
    public void onNext(List<ByteBuffer> parts) {
        pending.addAll(parts);
        awaitingPart = false;
        drain();
    }

    @Override
    public void onError(Throwable failure) {
        // The upstream broke off mid-answer; the status is sent, so ending the response is all that is left.
        LOG.log(System.Logger.Level.WARNING, "gateway: the upstream's answer broke off", failure);
        upstreamDone = true;
        drain();
    }

    @Override
    public void onComplete() {
        upstreamDone = true;
        drain();
    }

    /** The client went away: stop reading the upstream. */
    void cancel() {
        Flow.Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
    }

    private void clientGone(Throwable failure) {
        LOG.log(System.Logger.Level.DEBUG, "gateway: the client went away", failure);
        cancel();
        finish();
    }

    private void drain() {
        if (out == null || drains.getAndIncrement() != 0) {
            return;
        }
        do {
            writeWhatCanBeWritten();
        } while (drains.decrementAndGet() != 0);
    }

    private void writeWhatCanBeWritten() {
        if (finished) {
            return;
        }
        try {
            while (out.isReady()) {
                ByteBuffer part = pending.poll();
                if (part != null) {
                    write(part);
                    if (pending.isEmpty() && out.isReady()) {
                        out.flush();
                    }
                } else if (upstreamDone) {
                    finish();
                    return;
                } else {
                    if (!awaitingPart) {
                        awaitingPart = true;
                        subscription.request(1);
                    }
                    return;
                }
            }
        } catch (IOException e) {
            clientGone(e);
        }
    }

    private void write(ByteBuffer part) throws IOException {
        if (part.hasArray()) {
            out.write(part.array(), part.arrayOffset() + part.position(), part.remaining());
        } else {
            byte[] bytes = new byte[part.remaining()];
            part.get(bytes);
            out.write(bytes);
        }
    }

    private void finish() {
        if (!finished) {
            finished = true;
            async.complete();
        }
    }
}
