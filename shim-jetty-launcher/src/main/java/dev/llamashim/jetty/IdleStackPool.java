package dev.llamashim.jetty;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.Connection;
import org.eclipse.jetty.client.ConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.util.Pool;

/**
 * A pool of objects used one at a time (HTTP/1.1 connections) that hands out the most recently
 * released idle one: a stack of idle entries, so acquiring and releasing cost the same however
 * many entries are busy. Jetty's own pool scans its entries from the first on every acquire,
 * walking past every busy connection. One lock guards every entry's state.
 *
 * @param <P> the pooled objects
 */
final class IdleStackPool<P> implements Pool<P> {

    /** An entry's use; whether it is terminated or removed is kept beside it. */
    private enum Use { RESERVED, IDLE, IN_USE }

    private final ReentrantLock lock = new ReentrantLock();
    private final int maxSize;
    private final List<StackEntry> entries = new ArrayList<>();
    /** The idle entries, the most recently released first. */
    private final ArrayDeque<StackEntry> idle = new ArrayDeque<>();
    private volatile boolean terminated;

    /** A pool of at most {@code maxSize} entries. */
    IdleStackPool(int maxSize) {
        this.maxSize = maxSize;
    }

    /** Jetty's HTTP client's connection pool for a destination, over this pool (one request per connection at a time). */
    static ConnectionPool.Factory connectionPools(int maxConnections) {
        return destination -> new ConnectionsPool(destination, maxConnections);
    }

    @Override
    public Entry<P> reserve() {
        lock.lock();
        try {
            if (terminated || entries.size() >= maxSize) {
                return null;
            }
            StackEntry entry = new StackEntry();
            entries.add(entry);
            return entry;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Entry<P> acquire() {
        lock.lock();
        try {
            if (terminated) {
                return null;
            }
            StackEntry entry = idle.pollFirst();
            if (entry != null) {
                entry.use = Use.IN_USE;
            }
            return entry;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isTerminated() {
        return terminated;
    }

    @Override
    public Collection<Entry<P>> terminate() {
        lock.lock();
        try {
            terminated = true;
            List<Entry<P>> all = new ArrayList<>(entries);
            for (StackEntry entry : entries) {
                entry.terminated = true;
            }
            entries.clear();
            idle.clear();
            return all;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int size() {
        lock.lock();
        try {
            return entries.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int getMaxSize() {
        return maxSize;
    }

    @Override
    public Stream<Entry<P>> stream() {
        lock.lock();
        try {
            return new ArrayList<Entry<P>>(entries).stream();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int getIdleCount() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
    }

    /** One pooled object's place; its state changes under the pool's lock. */
    private final class StackEntry implements Entry<P> {
        private volatile Use use = Use.RESERVED;
        private volatile boolean terminated;
        private boolean removed;
        /** Set once, when enabled. */
        private volatile P pooled;

        @Override
        public boolean enable(P pooled, boolean acquire) {
            Objects.requireNonNull(pooled);
            lock.lock();
            try {
                if (terminated) {
                    return false;
                }
                if (use != Use.RESERVED) {
                    throw new IllegalStateException("entry already enabled: " + this);
                }
                this.pooled = pooled;
                use = acquire ? Use.IN_USE : Use.IDLE;
                if (!acquire) {
                    idle.addFirst(this);
                }
                return true;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public P getPooled() {
            return pooled;
        }

        /** False when it was not in use or is terminated: the caller then removes it. */
        @Override
        public boolean release() {
            lock.lock();
            try {
                if (terminated || use != Use.IN_USE) {
                    return false;
                }
                use = Use.IDLE;
                idle.addFirst(this);
                return true;
            } finally {
                lock.unlock();
            }
        }

        /** True the first time only: the caller then closes the pooled object. */
        @Override
        public boolean remove() {
            lock.lock();
            try {
                if (removed) {
                    return false;
                }
                removed = true;
                terminated = true;
                entries.remove(this);
                if (use == Use.IDLE) {
                    idle.remove(this);
                }
                return true;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean isReserved() {
            return use == Use.RESERVED;
        }

        @Override
        public boolean isIdle() {
            return use == Use.IDLE;
        }

        @Override
        public boolean isInUse() {
            return use == Use.IN_USE;
        }

        @Override
        public boolean isTerminated() {
            return terminated;
        }

        @Override
        public String toString() {
            return "StackEntry[" + use + (terminated ? ", terminated" : "") + ", " + pooled + "]";
        }
    }

    /** Jetty's connection pool logic (creation, expiry, sweeping) over an {@link IdleStackPool}. */
    private static final class ConnectionsPool extends AbstractConnectionPool {
        ConnectionsPool(Destination destination, int maxConnections) {
            super(destination, () -> new IdleStackPool<Connection>(maxConnections), 1);
        }
    }
}
