package dev.llamashim.jetty;

import static dev.llamashim.jetty.HangUpWatchTimer.DELAY_NANOS;
import static dev.llamashim.jetty.HangUpWatchTimer.STEP_NANOS;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A watch begins between {@link HangUpWatchTimer#DELAY_NANOS} and one {@link HangUpWatchTimer#STEP_NANOS}
 * more after it started, whatever the clock's origin, and watches started within one step begin together.
 */
class HangUpWatchTimerTest {

    private static final long[] STARTS = {
        0, 1, STEP_NANOS - 1, STEP_NANOS, -1, -STEP_NANOS, -STEP_NANOS - 1, 123_456_789_012L, -987_654_321_098L,
        Long.MAX_VALUE / 2, Long.MIN_VALUE / 2,
    };

    @Test
    void aWatchBeginsOnTheGridAfterTheDelayAndWithinOneStepOfIt() {
        for (long start : STARTS) {
            long begin = HangUpWatchTimer.beginNanoTime(start);
            assertThat(begin - start).as("start %d", start).isGreaterThan(DELAY_NANOS).isLessThanOrEqualTo(DELAY_NANOS + STEP_NANOS);
            assertThat(Math.floorMod(begin, STEP_NANOS)).as("start %d", start).isZero();
        }
    }

    @Test
    void watchesStartedWithinOneStepBeginTogether() {
        long gridStart = 40 * STEP_NANOS - DELAY_NANOS;
        long begin = HangUpWatchTimer.beginNanoTime(gridStart);

        assertThat(HangUpWatchTimer.beginNanoTime(gridStart + STEP_NANOS - 1)).isEqualTo(begin);
        assertThat(HangUpWatchTimer.beginNanoTime(gridStart + STEP_NANOS / 2)).isEqualTo(begin);
        assertThat(HangUpWatchTimer.beginNanoTime(gridStart + STEP_NANOS)).isEqualTo(begin + STEP_NANOS);
    }
}
