package org.acmsl.bytehot.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.acmsl.bytehot.domain.VersionedDomainEvent;
import org.acmsl.bytehot.infrastructure.eventsourcing.EventSerializationSupport;

/**
 * SQLite as the baseline (WAL; synchronous FULL or NORMAL): one table keyed by aggregate and
 * version, indexed by type and time, holding each event's envelope as text.
 */
final class SqliteBaseline {

    private SqliteBaseline() {
    }

    static final String SQLITE_SCHEMA = "CREATE TABLE IF NOT EXISTS events ("
        + "aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, version INTEGER NOT NULL, "
        + "event_type TEXT NOT NULL, ts INTEGER NOT NULL, event_id TEXT NOT NULL, payload TEXT NOT NULL, "
        + "PRIMARY KEY (aggregate_type, aggregate_id, version))";

    static final String SQLITE_INSERT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)";

    /** Append with the version assigned in the statement, like this store's version 0. */
    static final String SQLITE_APPEND = "INSERT INTO events SELECT ?, ?, coalesce(max(version), 0) + 1, ?, ?, ?, ? "
        + "FROM events WHERE aggregate_type = ? AND aggregate_id = ?";

    static final String SQLITE_AGGREGATE = "SELECT event_type, payload FROM events "
        + "WHERE aggregate_type = 'bench' AND aggregate_id = ? ORDER BY version";

    static final String SQLITE_BY_TYPE = "SELECT event_type, payload FROM events WHERE event_type = ?";

    static final String SQLITE_BY_TIME = "SELECT event_type, payload FROM events WHERE ts BETWEEN ? AND ? ORDER BY ts";

    /** A connection; a writer creates the schema; a bulk writer also turns auto-commit off. */
    static Connection sqlite(final Path db, final String synchronous, final boolean writer) throws SQLException {
        return sqlite(db, synchronous, writer, false);
    }

    static Connection sqlite(final Path db, final String synchronous, final boolean writer, final boolean bulk)
        throws SQLException {
        final Properties p = new Properties();
        p.setProperty("journal_mode", "WAL");
        p.setProperty("synchronous", synchronous);
        p.setProperty("busy_timeout", "60000");
        final Connection c = DriverManager.getConnection("jdbc:sqlite:" + db, p);
        if (writer) {
            try (Statement st = c.createStatement()) {
                st.execute(SQLITE_SCHEMA);
                st.execute("CREATE INDEX IF NOT EXISTS events_by_type ON events (event_type)");
                st.execute("CREATE INDEX IF NOT EXISTS events_by_ts ON events (ts)");
            }
            // Otherwise auto-commit: each save is one INSERT ... SELECT statement, one transaction,
            // which takes the write lock when it starts (waiting up to busy_timeout).
            c.setAutoCommit(!bulk);
        }
        return c;
    }

    static void sqliteInsert(final PreparedStatement ps, final VersionedDomainEvent e, final long version)
        throws SQLException {
        ps.setString(1, e.getAggregateType());
        ps.setString(2, e.getAggregateId());
        ps.setLong(3, version);
        ps.setString(4, e.getEventType());
        ps.setLong(5, micros(e.getTimestamp()));
        ps.setString(6, e.getEventId());
        ps.setString(7, EventSerializationSupport.toJson(e));
        ps.executeUpdate();
    }

    static void sqliteAppend(final PreparedStatement ps, final VersionedDomainEvent e) throws SQLException {
        ps.setString(1, e.getAggregateType());
        ps.setString(2, e.getAggregateId());
        ps.setString(3, e.getEventType());
        ps.setLong(4, micros(e.getTimestamp()));
        ps.setString(5, e.getEventId());
        ps.setString(6, EventSerializationSupport.toJson(e));
        ps.setString(7, e.getAggregateType());
        ps.setString(8, e.getAggregateId());
        ps.executeUpdate();
    }

    static List<VersionedDomainEvent> sqliteAggregate(final PreparedStatement ps, final String id) throws SQLException {
        ps.setString(1, id);
        return sqliteEvents(ps);
    }

    static List<VersionedDomainEvent> sqliteEvents(final PreparedStatement ps) throws SQLException {
        final List<VersionedDomainEvent> l = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                l.add(EventSerializationSupport.fromJson(rs.getString(2), rs.getString(1)));
            }
        }
        return l;
    }

    static long micros(final Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    static String sqliteVersion() {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT sqlite_version()")) {
            rs.next();
            return rs.getString(1) + " (sqlite-jdbc " + c.getMetaData().getDriverVersion() + ")";
        } catch (final SQLException e) {
            return "unknown: " + e;
        }
    }
}
