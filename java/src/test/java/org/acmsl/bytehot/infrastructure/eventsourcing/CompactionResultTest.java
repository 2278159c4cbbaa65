package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.acmsl.bytehot.domain.EventStoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link CompactionResult}: a value, read strictly from what the native library returns. */
class CompactionResultTest {

    private static CompactionResult parse(final String json) {
        return CompactionResult.fromJson(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theNativeLibrarysJsonGivesEachCountItsGetter() {
        final CompactionResult result = parse(
            "{\"filesMerged\":25,\"segmentsWritten\":3,\"leftoversRemoved\":2,\"segmentsCompressed\":1}");

        assertThat(result.getFilesMerged()).isEqualTo(25);
        assertThat(result.getSegmentsWritten()).isEqualTo(3);
        assertThat(result.getLeftoversRemoved()).isEqualTo(2);
        assertThat(result.getSegmentsCompressed()).isEqualTo(1);
        assertThat(result).isEqualTo(new CompactionResult(25, 3, 2, 1)).hasSameHashCodeAs(new CompactionResult(25, 3, 2, 1))
            .hasToString("CompactionResult[filesMerged=25, segmentsWritten=3, leftoversRemoved=2, segmentsCompressed=1]");
    }

    @Test
    void resultsDifferingInAnyCountAreNotEqual() {
        final CompactionResult result = new CompactionResult(1, 2, 3, 4);

        assertThat(result).isNotEqualTo(new CompactionResult(0, 2, 3, 4)).isNotEqualTo(new CompactionResult(1, 0, 3, 4))
            .isNotEqualTo(new CompactionResult(1, 2, 0, 4)).isNotEqualTo(new CompactionResult(1, 2, 3, 0))
            .isNotEqualTo(null);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"segmentsWritten\":3,\"leftoversRemoved\":0,\"segmentsCompressed\":0}",
        "{\"filesMerged\":null,\"segmentsWritten\":3,\"leftoversRemoved\":0,\"segmentsCompressed\":0}",
        "{\"filesMerged\":\"25\",\"segmentsWritten\":3,\"leftoversRemoved\":0,\"segmentsCompressed\":0}",
        "{\"filesMerged\":2.5,\"segmentsWritten\":3,\"leftoversRemoved\":0,\"segmentsCompressed\":0}",
        "{\"filesMerged\":-1,\"segmentsWritten\":3,\"leftoversRemoved\":0,\"segmentsCompressed\":0}",
        "{\"filesMerged\":18446744073709551615,\"segmentsWritten\":3,\"leftoversRemoved\":0,\"segmentsCompressed\":0}",
        "[25,3,0]"})
    void aCountTheLibraryDidNotGiveAsACountIsAnErrorNamingIt(final String json) {
        assertThatThrownBy(() -> parse(json)).isExactlyInstanceOf(EventStoreException.class)
            .hasMessageContaining("filesMerged is not a count").hasMessageContaining(json.substring(0, 5));
    }

    @Test
    void aNegativeCountIsRejected() {
        assertThatThrownBy(() -> new CompactionResult(0, -1, 0, 0)).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("segmentsWritten must not be negative, got -1");
    }
}
