package org.acmsl.bytehot.infrastructure.eventsourcing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.acmsl.bytehot.domain.EventStoreException;

/**
 * The schema migration as a program, for the command-line tool's
 * {@code migrate --schemas} (which starts it in a JVM with the application's classpath) and for
 * scripts: {@code java -cp <application and this library> }
 * {@code org.acmsl.bytehot.infrastructure.eventsourcing.SchemaMigrationMain --store DIR --backup DIR
 * --setup CLASS [--setup CLASS ...]}. Each setup class is the application's: a public
 * {@link Runnable} with a public no-argument constructor whose {@code run} registers its event
 * types, aliases and upcasters (what the application does at startup). The store is opened as
 * the application opens it ({@link EventStoreConfiguration#load()}: the file named by
 * {@code -Dbytehot.eventstore.config}, the working directory's, the environment), in
 * {@code --store}. Prints the result as one JSON object. Exit codes: 0
 * done, 2 a usage error, 3 a setup class that cannot be run, 4 the migration failed (the message
 * on stderr; every event reads old or new, and a second run finishes).
 */
public final class SchemaMigrationMain {

    private SchemaMigrationMain() {
    }

    /**
     * Runs the migration the arguments describe and exits with its code.
     * @param args {@code --store DIR --backup DIR --setup CLASS...}
     */
    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        Path store = null;
        Path backup = null;
        final List<String> setups = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            final String option = args[i];
            if (i + 1 >= args.length) {
                return usage(err, option + " needs a value");
            }
            final String value = args[++i];
            switch (option) {
                case "--store":
                    store = Paths.get(value);
                    break;
                case "--backup":
                    backup = Paths.get(value);
                    break;
                case "--setup":
                    setups.add(value);
                    break;
                default:
                    return usage(err, "unknown option " + option);
            }
        }
        if (store == null || backup == null || setups.isEmpty()) {
            return usage(err, "--store, --backup and at least one --setup are required");
        }
        for (final String setup : setups) {
            try {
                final Object instance = Class.forName(setup, true, Thread.currentThread().getContextClassLoader())
                    .getConstructor().newInstance();
                if (!(instance instanceof Runnable)) {
                    err.println("setup class " + setup + " is not a Runnable: its run() registers the application's "
                        + "event types and upcasters");
                    return 3;
                }
                ((Runnable) instance).run();
            } catch (final ReflectiveOperationException | LinkageError | RuntimeException e) {
                err.println("setup class " + setup + " cannot be run (is it on the classpath, public, with a public "
                    + "no-argument constructor?): " + e);
                return 3;
            }
        }
        try (FilesystemEventStoreAdapter adapter = new FilesystemEventStoreAdapter(
            EventStoreConfiguration.load().withPath(store))) {
            final SchemaMigrationResult result = adapter.migrateSchemas(backup);
            final ObjectNode json = EventMapper.MAPPER.createObjectNode();
            json.put("eventsExamined", result.getEventsExamined());
            json.put("eventsRewritten", result.getEventsRewritten());
            json.put("filesRewritten", result.getFilesRewritten());
            final ObjectNode types = json.putObject("eventTypes");
            result.getEventTypes().forEach(types::put);
            json.put("backup", backup.toAbsolutePath().toString());
            json.put("finishedAt", result.getFinishedAt());
            out.println(json);
            return 0;
        } catch (final EventStoreException e) {
            err.println("schema migration of " + store + " failed: " + e.getMessage());
            return 4;
        }
    }

    private static int usage(final PrintStream err, final String problem) {
        err.println(problem);
        err.println("usage: java -cp <application and bytehot-eventstore> " + SchemaMigrationMain.class.getName()
            + " --store DIR --backup DIR --setup CLASS [--setup CLASS ...]");
        return 2;
    }
}
