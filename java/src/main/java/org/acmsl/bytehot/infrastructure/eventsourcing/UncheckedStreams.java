package org.acmsl.bytehot.infrastructure.eventsourcing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * A caller's streams as native code calls them: an {@link IOException} leaves them as an
 * {@link UncheckedIOException}, which the native side leaves pending and the adapter unwraps, so
 * that the caller gets its stream's own {@link IOException} from a method that declares it.
 */
final class UncheckedStreams {

    private UncheckedStreams() {
    }

    /** An output stream whose failures are unchecked. */
    static final class Output extends OutputStream {

        private final OutputStream out;

        Output(final OutputStream out) {
            this.out = Objects.requireNonNull(out, "out");
        }

        @Override
        public void write(final int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(final byte[] bytes, final int offset, final int length) {
            try {
                out.write(bytes, offset, length);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void flush() {
            try {
                out.flush();
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** An input stream whose failures are unchecked. */
    static final class Input extends InputStream {

        private final InputStream in;

        Input(final InputStream in) {
            this.in = Objects.requireNonNull(in, "in");
        }

        @Override
        public int read() {
            final byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(final byte[] bytes, final int offset, final int length) {
            try {
                return in.read(bytes, offset, length);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
