package org.acmsl.bytehot.infrastructure.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code -javaagent} (loaded by the system class loader, as ByteHot is) opens a store and
 * saves; its application, in the same JVM, loads the library again through its own class loader
 * and opens the same store while the agent holds it: two native copies in one process share the
 * store as two processes do.
 */
class AgentAndApplicationTest {

    @TempDir
    Path dir;

    @Test
    void anAgentAndAnApplicationWithItsOwnClassLoaderShareOneStoreInOneJvm() throws Exception {
        try (FilesystemEventStoreAdapter created = new FilesystemEventStoreAdapter(dir.resolve("store").toString())) {
            assertThat(created.getEventsForAggregate("hotswap", "shared")).isEmpty();
        }
        final Path agentJar = dir.resolve("agent.jar");
        final Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), AgentMain.class.getName());
        try (OutputStream out = Files.newOutputStream(agentJar); JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.flush();
        }
        final String store = dir.resolve("store").toString();
        Files.createDirectories(dir.resolve("tmp"));
        final Process child = ChildJvm.extractingLibrary(
            List.of("-javaagent:" + agentJar + "=" + store, "-Djava.io.tmpdir=" + dir.resolve("tmp")),
            IsolatedApplicationMain.class, store).start();
        final boolean finished = child.waitFor(120, TimeUnit.SECONDS);
        final String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(finished).as(output).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).contains("agent:saved").contains("application:2");

        try (FilesystemEventStoreAdapter reopened = new FilesystemEventStoreAdapter(store)) {
            assertThat(reopened.getEventsForAggregate("hotswap", "shared")).hasSize(2);
            assertThat(reopened.verify()).isEmpty();
        }
    }
}
