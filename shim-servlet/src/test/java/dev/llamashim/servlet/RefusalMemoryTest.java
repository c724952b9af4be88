package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What mode {@code auto} remembers of refusals: per chat path and model, for an hour, and not without bound. */
class RefusalMemoryTest {

    private final AtomicLong now = new AtomicLong();
    private final RefusalMemory memory = new RefusalMemory(now::get);

    @Test
    void aRefusalIsRememberedForItsPathAndModelOnly() {
        memory.remember("/v1/chat/completions", "qwen");

        assertThat(memory.refused("/v1/chat/completions", "qwen")).isTrue();
        assertThat(memory.refused("/v1/chat/completions", "llama")).isFalse();
        assertThat(memory.refused("/other/chat/completions", "qwen")).isFalse();
    }

    @Test
    void aRefusalIsForgottenAfterItsLifetimeSoAnUpgradedServerStreamsAgain() {
        memory.remember("/v1/chat/completions", "qwen");

        now.addAndGet(RefusalMemory.LIFETIME.toNanos());
        assertThat(memory.refused("/v1/chat/completions", "qwen")).isTrue();
        now.addAndGet(1);
        assertThat(memory.refused("/v1/chat/completions", "qwen")).isFalse();
        assertThat(memory.size()).isZero();
    }

    @Test
    void theMemoryIsBoundedAndDropsTheLeastRecentlyUsedFirst() {
        memory.remember("/v1/chat/completions", "kept");
        for (int i = 0; i < RefusalMemory.CAPACITY * 3; i++) {
            memory.remember("/v1/chat/completions", "model-" + i);
            assertThat(memory.refused("/v1/chat/completions", "kept")).isTrue();
        }

        assertThat(memory.size()).isEqualTo(RefusalMemory.CAPACITY);
        assertThat(memory.refused("/v1/chat/completions", "model-0")).isFalse();
        assertThat(memory.refused("/v1/chat/completions", "model-" + (RefusalMemory.CAPACITY * 3 - 1))).isTrue();
    }
}
