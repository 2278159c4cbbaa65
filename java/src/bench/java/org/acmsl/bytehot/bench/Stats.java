package org.acmsl.bytehot.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Percentiles, medians across runs, and the JSON-shaped maps the results are written as. */
final class Stats {

    private Stats() {
    }

    static Map<String, Object> percentiles(final long[] nanos) {
        final long[] s = nanos.clone();
        Arrays.sort(s);
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", s.length);
        m.put("p50Ms", pct(s, 0.50));
        m.put("p95Ms", pct(s, 0.95));
        m.put("p99Ms", pct(s, 0.99));
        m.put("p999Ms", pct(s, 0.999));
        m.put("maxMs", s[s.length - 1] / 1e6);
        m.put("meanMs", Arrays.stream(s).average().orElse(0) / 1e6);
        return m;
    }

    static double pct(final long[] sorted, final double q) {
        final int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    static double medianMs(final long[] nanos) {
        return median(Arrays.stream(nanos).mapToDouble(x -> x / 1e6).toArray());
    }

    static double median(final double[] v) {
        final double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Per contender, the median over the runs of each number, and the runs themselves. */
    static Map<String, Object> medianOfRuns(final Map<String, List<Map<String, Object>>> perRun) {
        final Map<String, Object> out = new LinkedHashMap<>();
        for (final Map.Entry<String, List<Map<String, Object>>> e : perRun.entrySet()) {
            final Map<String, Object> m = new LinkedHashMap<>();
            for (final String k : e.getValue().get(0).keySet()) {
                m.put(k, median(e.getValue().stream().mapToDouble(x -> ((Number) x.get(k)).doubleValue()).toArray()));
            }
            m.put("runs", e.getValue());
            out.put(e.getKey(), m);
        }
        return out;
    }

    static Map<String, Object> map(final Object... kv) {
        final Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static void check(final int got, final int want, final String what) {
        if (got != want) {
            throw new IllegalStateException(what + ": " + got + " events instead of " + want);
        }
    }
}
