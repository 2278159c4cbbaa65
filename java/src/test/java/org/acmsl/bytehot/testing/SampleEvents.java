package org.acmsl.bytehot.testing;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.acmsl.bytehot.domain.InstanceUpdateMethod;
import org.acmsl.bytehot.domain.ProcessingResult;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.domain.WatchConfiguration;
import org.acmsl.bytehot.domain.events.ByteHotAgentAttached;
import org.acmsl.bytehot.domain.events.ByteHotAttachRequested;
import org.acmsl.bytehot.domain.events.ByteHotNotStarted;
import org.acmsl.bytehot.domain.events.BytecodeRejected;
import org.acmsl.bytehot.domain.events.BytecodeValidated;
import org.acmsl.bytehot.domain.events.ClassFileChanged;
import org.acmsl.bytehot.domain.events.ClassFileCreated;
import org.acmsl.bytehot.domain.events.ClassFileDeleted;
import org.acmsl.bytehot.domain.events.ClassFileProcessed;
import org.acmsl.bytehot.domain.events.ClassMetadataExtracted;
import org.acmsl.bytehot.domain.events.ClassRedefinitionFailed;
import org.acmsl.bytehot.domain.events.ClassRedefinitionSucceeded;
import org.acmsl.bytehot.domain.events.EventMetadata;
import org.acmsl.bytehot.domain.events.HotSwapCapabilityEnabled;
import org.acmsl.bytehot.domain.events.HotSwapRequested;
import org.acmsl.bytehot.domain.events.InstancesUpdated;
import org.acmsl.bytehot.domain.events.WatchPathConfigured;

/** One instance of every catalog event, with values that are hard to store faithfully. */
public final class SampleEvents {

    /** Emoji (outside the BMP), an accent, a NUL, a quote, a backslash and a newline. */
    public static final String TRICKY = "héllo 👋 wörld\u0000after-NUL \"quoted\" back\\slash\nline2 \uD83D\uDE80";

    public static final Path CLASS_FILE = Paths.get("/app/target/classes/com/acme/Grüße Ünïcode.class");

    public static final Instant WHEN = Instant.parse("2025-06-17T12:30:00.123456789Z");

    private SampleEvents() {
    }

    /** 200 KiB of random bytes: a large class file is normal, not an edge case. */
    public static byte[] bytecode(final int seed) {
        final byte[] bytes = new byte[200 * 1024];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /**
     * One of every catalog event with every field set.
     * @param metadata gives each event its metadata from its aggregate type
     */
    public static List<VersionedDomainEvent> all(final Function<String, EventMetadata> metadata) {
        final WatchConfiguration watch = new WatchConfiguration(
            Arrays.asList(Paths.get("/app/classes"), Paths.get("relative/dir"), Paths.get("C:\\odd:name")),
            Arrays.asList("*.class", TRICKY), true);
        final List<VersionedDomainEvent> events = new ArrayList<>();
        events.add(new ByteHotAttachRequested(metadata.apply("bytehot"), watch));
        events.add(new ByteHotAgentAttached(metadata.apply("bytehot"), watch, "prev-1"));
        events.add(new ByteHotNotStarted(metadata.apply("bytehot"), "java.lang.IllegalStateException", TRICKY, "prev-2"));
        events.add(new WatchPathConfigured(metadata.apply("bytehot"),
            new WatchConfiguration(Collections.emptyList(), Collections.emptyList(), false), "prev-3"));
        events.add(new HotSwapCapabilityEnabled(metadata.apply("bytehot"), true, false, "prev-4"));
        events.add(new ClassFileChanged(metadata.apply("filewatch"), CLASS_FILE, "com.acme.Foo", Long.MAX_VALUE, WHEN));
        events.add(new ClassFileCreated(metadata.apply("filewatch"), CLASS_FILE, "com.acme.Foo", 0L, WHEN.plusNanos(1)));
        events.add(new ClassFileDeleted(metadata.apply("filewatch"), CLASS_FILE, "com.acme.Foo$Inner", Instant.EPOCH));
        events.add(new ClassFileProcessed(metadata.apply("filewatch"), CLASS_FILE, "com.acme.Foo", WHEN,
            ProcessingResult.FAILURE, TRICKY, "prev-5"));
        events.add(new ClassMetadataExtracted(metadata.apply("hotswap"), CLASS_FILE, "com.acme.Foo", "java.lang.Object",
            Arrays.asList("java.io.Serializable", "java.lang.Runnable"), Collections.emptyList(),
            Arrays.asList("run", TRICKY), WHEN));
        events.add(new BytecodeValidated(metadata.apply("hotswap"), CLASS_FILE, "com.acme.Foo", true, TRICKY, WHEN));
        events.add(new BytecodeRejected(metadata.apply("hotswap"), CLASS_FILE, "com.acme.Foo", false,
            "schema change: field added", WHEN));
        events.add(new HotSwapRequested(metadata.apply("hotswap"), CLASS_FILE, "com.acme.Foo", bytecode(1), bytecode(2),
            TRICKY, WHEN, "prev-6"));
        events.add(new ClassRedefinitionSucceeded(metadata.apply("hotswap"), "com.acme.Foo", CLASS_FILE, Integer.MAX_VALUE,
            TRICKY, Duration.ofSeconds(3, 123_456_789), WHEN));
        events.add(new ClassRedefinitionFailed(metadata.apply("hotswap"), "com.acme.Foo", CLASS_FILE, "schema change",
            "java.lang.UnsupportedOperationException", TRICKY, WHEN));
        events.add(new InstancesUpdated(metadata.apply("hotswap"), "com.acme.Foo", 7, 9,
            InstanceUpdateMethod.REFLECTION, 2, TRICKY, Duration.ofNanos(1), WHEN));
        return events;
    }

    /** One of every catalog event with every reference field null and every number zero. */
    public static List<VersionedDomainEvent> allWithNulls(final Function<String, EventMetadata> metadata) {
        final List<VersionedDomainEvent> events = new ArrayList<>();
        events.add(new ByteHotAttachRequested(metadata.apply("bytehot"), null));
        events.add(new ByteHotAgentAttached(metadata.apply("bytehot"), new WatchConfiguration(null, null, false), null));
        events.add(new ByteHotNotStarted(metadata.apply("bytehot"), null, null, null));
        events.add(new WatchPathConfigured(metadata.apply("bytehot"), null, null));
        events.add(new HotSwapCapabilityEnabled(metadata.apply("bytehot"), false, false, null));
        events.add(new ClassFileChanged(metadata.apply("filewatch"), null, null, 0L, null));
        events.add(new ClassFileCreated(metadata.apply("filewatch"), null, null, 0L, null));
        events.add(new ClassFileDeleted(metadata.apply("filewatch"), null, null, null));
        events.add(new ClassFileProcessed(metadata.apply("filewatch"), null, null, null, null, null, null));
        events.add(new ClassMetadataExtracted(metadata.apply("hotswap"), null, null, null, null, null,
            Arrays.asList("a", null), null));
        events.add(new BytecodeValidated(metadata.apply("hotswap"), null, null, false, null, null));
        events.add(new BytecodeRejected(metadata.apply("hotswap"), null, null, false, null, null));
        events.add(new HotSwapRequested(metadata.apply("hotswap"), null, null, null, new byte[0], null, null, null));
        events.add(new ClassRedefinitionSucceeded(metadata.apply("hotswap"), null, null, 0, null, null, null));
        events.add(new ClassRedefinitionFailed(metadata.apply("hotswap"), null, null, null, null, null, null));
        events.add(new InstancesUpdated(metadata.apply("hotswap"), null, 0, 0, null, 0, null, null, null));
        return events;
    }
}
