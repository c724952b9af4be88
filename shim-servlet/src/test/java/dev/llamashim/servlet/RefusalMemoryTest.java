package dev.llamashim.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What mode {@code auto} remembers: refusals per chat path and model, for an hour; statuses that
 * were no refusal per path, model and status, for ten minutes; neither without bound.
 */
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

    @Test
    void aStatusThatWasNoRefusalIsRememberedForItsPathModelAndStatusOnlyForTenMinutes() {
        memory.rememberNotARefusal("/v1/chat/completions", "qwen", 500);

        assertThat(memory.knownNotARefusal("/v1/chat/completions", "qwen", 500)).isTrue();
        assertThat(memory.knownNotARefusal("/v1/chat/completions", "qwen", 400)).isFalse();
        assertThat(memory.knownNotARefusal("/v1/chat/completions", "llama", 500)).isFalse();
        assertThat(memory.knownNotARefusal("/other/chat/completions", "qwen", 500)).isFalse();
        assertThat(memory.refused("/v1/chat/completions", "qwen")).as("no refusal either").isFalse();

        now.addAndGet(RefusalMemory.NOT_A_REFUSAL_LIFETIME.toNanos());
        assertThat(memory.knownNotARefusal("/v1/chat/completions", "qwen", 500)).isTrue();
        now.addAndGet(1);
        assertThat(memory.knownNotARefusal("/v1/chat/completions", "qwen", 500)).isFalse();
        assertThat(memory.size()).isZero();
    }

    @Test
    void theMemoryOfStatusesThatWereNoRefusalIsBoundedToo() {
        for (int i = 0; i < RefusalMemory.CAPACITY * 2; i++) {
            memory.rememberNotARefusal("/v1/chat/completions", "model-" + i, 500);
        }

        assertThat(memory.size()).isEqualTo(RefusalMemory.CAPACITY);
        assertThat(memory.knownNotARefusal("/v1/chat/completions", "model-0", 500)).isFalse();
        assertThat(memory.knownNotARefusal("/v1/chat/completions", "model-" + (RefusalMemory.CAPACITY * 2 - 1), 500)).isTrue();
    }
}
