package org.acmsl.bytehot.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ByteHotSessionDemoTest {

    @TempDir
    Path dir;

    @Test
    void theDemoRecordsReopensAndPrintsTheSession() throws Exception {
        final String previousPath = System.getProperty("bytehot.eventstore.path");
        final PrintStream previousOut = System.out;
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        System.setProperty("bytehot.eventstore.path", dir.toString());
        System.setOut(new PrintStream(output, true, StandardCharsets.UTF_8));
        try {
            ByteHotSessionDemo.main(new String[0]);
            // A second run appends a second session to the same filewatch aggregate.
            ByteHotSessionDemo.main(new String[0]);
        } finally {
            System.setOut(previousOut);
            if (previousPath == null) {
                System.clearProperty("bytehot.eventstore.path");
            } else {
                System.setProperty("bytehot.eventstore.path", previousPath);
            }
        }

        final String text = output.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("agent attached", "3/3 instances updated (AUTOMATIC)",
            "FAILED: schema change", "ByteHotAttachRequested", "ClassRedefinitionFailed",
            "-HotSwapRequested.json", "The store now holds 26 events", "healthy: true");
    }
}
