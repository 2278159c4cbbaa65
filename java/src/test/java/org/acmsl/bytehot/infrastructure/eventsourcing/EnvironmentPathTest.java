package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code BYTEHOT_EVENTSTORE_PATH} gives the base directory when the code gives none, and
 * {@code getBasePath()} names the directory in use; a path in the code and another in the
 * environment is an error naming both, never two stores silently merged into one directory.
 */
class EnvironmentPathTest {

    @TempDir
    Path dir;

    @Test
    void theEnvironmentsPathServesTheDefaultsAndConflictsWithAnotherInTheCode() throws Exception {
        final Path fromEnvironment = dir.resolve("from-environment");
        final Path fromCode = dir.resolve("from-code");
        new FilesystemEventStoreAdapter(dir.resolve("loads-the-library").toString()).close();
        final ProcessBuilder command = ChildJvm.command(PathProbeMain.class, fromCode.toString());
        command.environment().put("BYTEHOT_EVENTSTORE_PATH", fromEnvironment.toString());
        final ChildJvm.Output child = ChildJvm.run(command);
        final List<String> lines = child.lines;

        assertThat(child.status).as(String.join("\n", lines)).isZero();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).isEqualTo("default:" + fromEnvironment);
        assertThat(lines.get(1)).startsWith("explicit:refused:").contains(fromCode.toString())
            .contains(fromEnvironment.toString()).contains("BYTEHOT_EVENTSTORE_PATH");
        assertThat(fromCode).doesNotExist();
    }
}
