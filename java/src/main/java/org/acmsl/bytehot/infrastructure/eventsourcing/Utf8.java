package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.acmsl.bytehot.domain.InvalidEventException;

/**
 * Strict UTF-8 encoding for everything sent to native code. {@code String.getBytes(UTF_8)}
 * silently turns an unpaired surrogate into {@code ?}, which would store a different id or
 * text than the caller gave; here it is an error naming the field.
 */
final class Utf8 {

    private Utf8() {
    }

    static byte[] encode(final String text, final String field) {
        // Encoders are stateful and not thread-safe: one per call is cheap enough.
        final CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            final ByteBuffer buffer = encoder.encode(CharBuffer.wrap(text));
            return Arrays.copyOfRange(buffer.array(), buffer.arrayOffset() + buffer.position(),
                buffer.arrayOffset() + buffer.limit());
        } catch (final CharacterCodingException e) {
            throw new InvalidEventException(field + " is not valid UTF-16 text (unpaired surrogate)", e);
        }
    }
}
