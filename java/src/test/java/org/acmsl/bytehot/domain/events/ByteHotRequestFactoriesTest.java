package org.acmsl.bytehot.domain.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.acmsl.bytehot.domain.WatchConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ByteHot's request factories, with real bytes where ByteHot's had placeholders. */
class ByteHotRequestFactoriesTest {

    @TempDir
    Path dir;

    @Test
    void aHotSwapRequestFromAFileChangeCarriesTheClassFileAsItIsOnDisk() throws Exception {
        final Path classFile = Files.write(dir.resolve("Foo.class"), new byte[] {(byte) 0xCA, (byte) 0xFE, 1, 2});
        final ClassFileChanged change = ClassFileChanged.withUser(classFile, "com.acme.Foo", 4L, Instant.now(), "ada",
            null, 0L);
        final HotSwapRequested request = HotSwapRequested.fromFileChange(change, "session-7");
        assertThat(request.getAggregateType()).isEqualTo("hotswap");
        assertThat(request.getAggregateId()).isEqualTo("com.acme.Foo-request");
        assertThat(request.getAggregateVersion()).isEqualTo(1L);
        assertThat(request.getCorrelationId()).isEqualTo(change.getEventId());
        assertThat(request.getUserId()).isEqualTo("ada");
        assertThat(request.getNewBytecode()).containsExactly((byte) 0xCA, (byte) 0xFE, 1, 2);
        assertThat(request.getOriginalBytecode()).isEmpty();
        assertThat(request.getRequestReason()).contains("session-7");
    }

    @Test
    void anAttachRequestWithUserContextStartsItsOwnAggregate() {
        final WatchConfiguration watch = new WatchConfiguration(List.of(dir), List.of("*.class"), true);
        final ByteHotAttachRequested attach = ByteHotAttachRequested.withUserContext(watch, null);
        assertThat(attach.getAggregateType()).isEqualTo("bytehot");
        assertThat(attach.getAggregateId()).startsWith("attach-");
        assertThat(attach.getAggregateVersion()).isEqualTo(1L);
        assertThat(attach.getConfiguration()).isEqualTo(watch);
    }
}
