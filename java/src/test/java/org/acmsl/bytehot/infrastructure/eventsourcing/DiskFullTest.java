package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk under the Java API: a child JVM saves into a store on a 16 MiB tmpfs
 * until saves fail. Every acknowledged save survives, none reported as refused ("nothing
 * of this save was stored") is in the store, a save whose outcome is unknown may be either,
 * and once space is freed the store verifies clean and takes saves. Needs root for the
 * mount (a mount namespace of its own through {@code unshare -m}, so no mount outlives the
 * test); skipped, saying so, elsewhere.
 */
class DiskFullTest {

    @TempDir
    Path dir;

    @Test
    void aFullDiskLosesNoAcknowledgedSaveAndStoresNoRefusedOne() throws Exception {
        try (FilesystemEventStoreAdapter loaded = new FilesystemEventStoreAdapter(dir.resolve("probe").toString())) {
            assertThat(loaded.getBasePath()).isNotNull();
        }
        final Path mount = Files.createDirectories(dir.resolve("small"));
        final List<String> java = ChildJvm.command(DiskFullMain.class, mount.toString()).command();
        final List<String> command = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
            "mount -t tmpfs -o size=16m tmpfs \"$0\" && exec \"$@\"", mount.toString()));
        command.addAll(java);
        final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        final boolean finished = child.waitFor(300, TimeUnit.SECONDS);
        final String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(finished).as(output).isTrue();
        Assumptions.assumeFalse(output.contains("unshare failed") || output.contains("mount: "),
            "skipped: a tmpfs cannot be mounted here (needs root): " + output);
        assertThat(child.exitValue()).as(output).isZero();
        final Matcher counts = Pattern.compile("ok acknowledged=(\\d+) refused=(\\d+) unknown=(\\d+)").matcher(output);
        assertThat(counts.find()).as(output).isTrue();
        assertThat(Integer.parseInt(counts.group(1))).as(output).isPositive();
        assertThat(Integer.parseInt(counts.group(2)) + Integer.parseInt(counts.group(3))).as(output).isEqualTo(20);
    }
}
