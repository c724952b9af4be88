package dev.llamashim.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.eclipse.jetty.util.Pool;
import org.junit.jupiter.api.Test;

/** {@link IdleStackPool} keeps the {@link Pool} contract Jetty's client relies on, and reuses the last released entry first. */
class IdleStackPoolTest {

    private final IdleStackPool<String> pool = new IdleStackPool<>(3);

    @Test
    void theMostRecentlyReleasedEntryIsAcquiredFirst() {
        Pool.Entry<String> a = enabled("a", true);
        Pool.Entry<String> b = enabled("b", true);
        Pool.Entry<String> c = enabled("c", true);

        assertThat(b.release()).isTrue();
        assertThat(a.release()).isTrue();
        assertThat(c.release()).isTrue();

        assertThat(pool.acquire().getPooled()).isEqualTo("c");
        assertThat(pool.acquire().getPooled()).isEqualTo("a");
        assertThat(pool.acquire().getPooled()).isEqualTo("b");
        assertThat(pool.acquire()).isNull();
        assertThat(pool.getIdleCount()).isZero();
        assertThat(pool.getInUseCount()).isEqualTo(3);
    }

    @Test
    void anEntryEnabledWithoutAcquiringIsIdleAndAcquirable() {
        Pool.Entry<String> a = enabled("a", false);

        assertThat(a.isIdle()).isTrue();
        assertThat(pool.acquire()).isSameAs(a);
        assertThat(a.isInUse()).isTrue();
        assertThat(a.release()).isTrue();
        assertThat(a.release()).as("released twice").isFalse();
    }

    @Test
    void reserveStopsAtTheMaximumUntilAnEntryIsRemoved() {
        Pool.Entry<String> a = enabled("a", true);
        Pool.Entry<String> reserved = pool.reserve();
        assertThat(reserved.isReserved()).isTrue();
        enabled("c", false);

        assertThat(pool.reserve()).isNull();
        assertThat(pool.size()).isEqualTo(3);
        assertThat(a.remove()).isTrue();
        assertThat(a.remove()).as("removed twice").isFalse();
        assertThat(a.release()).as("released after removal").isFalse();
        assertThat(pool.size()).isEqualTo(2);
        assertThat(pool.reserve()).isNotNull();
        assertThat(a.isTerminated()).isTrue();
        assertThat(a.enable("again", false)).as("enabled after removal").isFalse();
        assertThatThrownBy(() -> pool.acquire().enable("twice", false)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aRemovedIdleEntryIsNeverAcquired() {
        Pool.Entry<String> a = enabled("a", false);
        Pool.Entry<String> b = enabled("b", false);

        assertThat(b.remove()).isTrue();

        assertThat(pool.acquire()).isSameAs(a);
        assertThat(pool.acquire()).isNull();
    }

    @Test
    void afterTerminationNothingIsAcquiredReleasedOrEnabledButEntriesCanBeRemoved() {
        Pool.Entry<String> inUse = enabled("a", true);
        enabled("b", false);
        Pool.Entry<String> reserved = pool.reserve();

        assertThat(pool.terminate()).hasSize(3).allMatch(Pool.Entry::isTerminated);

        assertThat(pool.isTerminated()).isTrue();
        assertThat(pool.acquire()).isNull();
        assertThat(pool.reserve()).isNull();
        assertThat(inUse.release()).isFalse();
        assertThat(reserved.enable("c", false)).isFalse();
        assertThat(inUse.remove()).isTrue();
        assertThat(pool.size()).isZero();
    }

    private Pool.Entry<String> enabled(String pooled, boolean acquire) {
        Pool.Entry<String> entry = pool.reserve();
        assertThat(entry.enable(pooled, acquire)).isTrue();
        return entry;
    }
}
