package io.sluice.tools.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code sluice bench jmh [PATTERN] [JMH ARGS]}: the JMH micro-benchmarks of {@code perf/} (every
 * graph stage, the FIB, ESP against the bare JCE cipher) run by JMH's own runner in a child JVM
 * with machine-readable output ({@code -rf json}), read back into rows for the report. Arguments
 * after the pattern go to JMH as they are ({@code -f 1 -wi 1 -i 2 -p size=64}).
 */
final class JmhBench
{
    /** One benchmark with one set of parameters. */
    record Row(String benchmark, String params, String mode, double score, double error, String unit)
    {
        /** The benchmark's simple name: class and method, without the package. */
        String shortName()
        {
            final String[] parts = benchmark.split("\\.");
            return parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : benchmark;
        }
    }

    private JmhBench()
    {
    }

    static int main(final String[] args) throws InterruptedException
    {
        final List<String> jmhArgs = new ArrayList<>();
        final Path[] json = {null};
        final IoBench.Options o = IoBench.Options.parse(args, (a, i) ->
        {
            if (a[i].equals("--json") && i + 1 < a.length)
            {
                json[0] = Path.of(a[i + 1]);
                return i + 1;
            }
            jmhArgs.add(a[i]);
            return i;
        });
        final Path out = o.json() != null ? o.json() : json[0] != null ? json[0] :
            Path.of("perf/target/jmh-result.json").toAbsolutePath();
        final List<Row> rows = run(o, jmhArgs, out, System.out);
        System.out.print(text(rows));
        System.out.println("JMH results: " + out);
        return 0;
    }

    /**
     * Runs JMH with {@code args} (pattern and options), its output to {@code console}, results to
     * {@code json}; the rows of that file.
     */
    static List<Row> run(final IoBench.Options o, final List<String> args, final Path json, final PrintStream console)
        throws InterruptedException
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(o.java());
        cmd.addAll(IoBench.JVM_FLAGS);
        cmd.addAll(List.of("-cp", o.javaClassPath(), "org.openjdk.jmh.Main"));
        cmd.addAll(args);
        cmd.addAll(List.of("-rf", "json", "-rff", json.toAbsolutePath().toString()));
        try
        {
            final Path parent = json.toAbsolutePath().getParent();
            if (parent != null)
            {
                Files.createDirectories(parent);
            }
            Files.deleteIfExists(json);
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = in.readLine()) != null)
                {
                    console.println(line);
                }
            }
            final int status = p.waitFor();
            if (status != 0 || !Files.exists(json))
            {
                throw new BenchException("JMH failed (exit " + status + "); command: " + String.join(" ", cmd) +
                    (Files.exists(json) ? "" : "; it wrote no " + json) + ". Is perf/ built (./sluice build)?");
            }
            return parse(Files.readString(json));
        }
        catch (final IOException e)
        {
            throw new BenchException("cannot run JMH: " + e.getMessage(), e);
        }
    }

    /** The rows of a JMH {@code -rf json} file. */
    static List<Row> parse(final String text)
    {
        final List<Row> rows = new ArrayList<>();
        for (final Object item : Json.array(Json.parse(text)))
        {
            final Map<String, Object> b = Json.object(item);
            final Map<String, Object> metric = Json.object(b.get("primaryMetric"));
            final Map<String, String> params = new TreeMap<>();
            for (final Map.Entry<String, Object> e : Json.object(b.get("params")).entrySet())
            {
                params.put(e.getKey(), String.valueOf(e.getValue()));
            }
            final StringBuilder p = new StringBuilder();
            for (final Map.Entry<String, String> e : params.entrySet())
            {
                p.append(p.length() > 0 ? " " : "").append(e.getKey()).append('=').append(e.getValue());
            }
            rows.add(new Row(String.valueOf(b.get("benchmark")), p.toString(), String.valueOf(b.get("mode")),
                Json.number(metric.get("score")), Json.number(metric.get("scoreError")),
                String.valueOf(metric.get("scoreUnit"))));
        }
        return rows;
    }

    static String text(final List<Row> rows)
    {
        final StringBuilder sb = new StringBuilder();
        for (final Row r : rows)
        {
            sb.append(String.format(Locale.ROOT, "  jmh %-40s %-40s %10.3f ± %.3f %s%n", r.shortName(), r.params(),
                r.score(), Double.isNaN(r.error()) ? 0 : r.error(), r.unit()));
        }
        return sb.toString();
    }

    static String json(final List<Row> rows)
    {
        final StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++)
        {
            final Row r = rows.get(i);
            sb.append(i > 0 ? "," : "").append("{\"benchmark\":").append(Json.quote(r.benchmark()))
                .append(",\"params\":").append(Json.quote(r.params()))
                .append(",\"mode\":").append(Json.quote(r.mode()))
                .append(",\"score\":").append(finite(r.score()))
                .append(",\"error\":").append(finite(r.error()))
                .append(",\"unit\":").append(Json.quote(r.unit())).append('}');
        }
        return sb.append(']').toString();
    }

    private static String finite(final double v)
    {
        return Double.isFinite(v) ? Stats.num(v) : "null";
    }
}
