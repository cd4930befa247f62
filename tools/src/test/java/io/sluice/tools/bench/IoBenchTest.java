package io.sluice.tools.bench;

import io.sluice.ffi.testkit.NetnsLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code sluice bench io} end to end, briefly: both forwarders measured once for a second, and the
 * JSON has the required fields, in order, with positive numbers. How large the ratio is, is not a
 * test's business (two shared vCPUs are far too noisy for that).
 */
class IoBenchTest
{
    /** The fields the JSON must start with, exactly in this order. */
    private static final Pattern REQUIRED = Pattern.compile(
        "^\\{\"scenario\":\"io\",\"size\":(\\d+),\"mpps\":([0-9.]+),\"baseline\":\\{\"name\":\"c-afxdp\"," +
            "\"mpps\":([0-9.]+)\\},\"ratio\":([0-9.]+),\"runs\":(\\d+)[,}]");

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void measuresBothForwardersAndWritesTheJson(@TempDir final Path dir) throws Exception
    {
        final String why = NetnsLab.unavailableReason();
        if (why != null)
        {
            System.out.println("SKIPPED " + getClass().getSimpleName() + ": " + why);
        }
        assumeTrue(why == null, why);
        final Path home = home();
        final String noC = buildCPrograms(home);
        if (noC != null)
        {
            System.out.println("SKIPPED " + getClass().getSimpleName() + ": " + noC);
        }
        assumeTrue(noC == null, noC);

        final Path json = dir.resolve("io.json");
        // the forwarder JVM gets this JVM's class path (surefire's own, not its booter jar)
        final String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final long start = System.nanoTime();
        final int status = BenchMain.run(new String[]{"io", "--size", "64", "--seconds", "1", "--runs", "1",
            "--warmup-ms", "500", "--json", json.toString(), "--home", home.toString(), "--java-cp", cp});
        System.out.printf("bench io took %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertEquals(0, status, "bench io exit status");

        assertTrue(Files.exists(json), "no JSON written to " + json);
        final String text = Files.readString(json).trim();
        final Matcher m = REQUIRED.matcher(text);
        assertTrue(m.find(), "JSON does not start with the required fields: " + text);
        assertEquals(64, Integer.parseInt(m.group(1)));
        final double mpps = Double.parseDouble(m.group(2));
        final double baseline = Double.parseDouble(m.group(3));
        final double ratio = Double.parseDouble(m.group(4));
        assertEquals(1, Integer.parseInt(m.group(5)));
        assertTrue(mpps > 0, "sluice mpps " + mpps);
        assertTrue(baseline > 0, "baseline mpps " + baseline);
        assertTrue(ratio > 0, "ratio " + ratio);
        assertEquals(mpps / baseline, ratio, 1e-3 * Math.max(1, ratio), "ratio is mpps / baseline mpps");
        assertTrue(text.endsWith("}"), text);
        assertTrue(text.contains("\"measurements\":[{"), text);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gre", "l2tpv3"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void graphScenarioMeasuresAgainstSluicesOwnForward(final String scenario, @TempDir final Path dir) throws Exception
    {
        final String why = NetnsLab.unavailableReason();
        assumeTrue(why == null, why);
        final Path home = home();
        final String noC = buildCPrograms(home);
        if (noC != null)
        {
            System.out.println("SKIPPED " + scenario + " scenario: " + noC);
        }
        assumeTrue(noC == null, noC);
        final Path json = dir.resolve(scenario + ".json");
        final String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final int status = BenchMain.run(new String[]{scenario, "--size", "64", "--seconds", "1", "--runs", "1",
            "--warmup-ms", "500", "--json", json.toString(), "--home", home.toString(), "--java-cp", cp});
        assertEquals(0, status, "bench " + scenario + " exit status");
        final String text = Files.readString(json).trim();
        final Matcher m = Pattern.compile("^\\{\"scenario\":\"" + scenario + "\",\"size\":64,\"mpps\":([0-9.]+)," +
            "\"baseline\":\\{\"name\":\"sluice-io\",\"mpps\":([0-9.]+)\\},\"ratio\":([0-9.]+),\"runs\":1[,}]")
            .matcher(text);
        assertTrue(m.find(), "JSON does not start with the required fields: " + text);
        assertTrue(Double.parseDouble(m.group(1)) > 0, "wrapped frames came back to the generator: " + text);
        assertTrue(Double.parseDouble(m.group(2)) > 0, text);
    }

    @Test
    void summaryAndJsonFromMeasurements()
    {
        final IoBench.Options o = IoBench.Options.parse(new String[]{"--size", "1400", "--runs", "3"});
        final FrameSize size = FrameSize.of(1400);
        final List<IoBench.Measurement> all = new ArrayList<>();
        final double[] sluice = {0.9, 1.0, 0.8};
        final double[] c = {1.0, 1.2, 1.1};
        for (int run = 1; run <= 3; run++)
        {
            all.add(measurement(IoBench.SLUICE, run, size, sluice[run - 1]));
            all.add(measurement(IoBench.BASELINE, run, size, c[run - 1]));
            // another size in the same list is not this result's business
            all.add(measurement(IoBench.SLUICE, run, FrameSize.IMIX, 5));
        }
        final IoBench.Result r = IoBench.summarize(o, all);
        assertEquals(0.9, r.mpps(), 1e-9);
        assertEquals(1.1, r.baselineMpps(), 1e-9);
        assertEquals(0.8182, r.ratio(), 1e-9);
        assertTrue(r.summary().startsWith("io 1400B: sluice-io 0.90 Mpps, c-afxdp 1.10 Mpps, ratio 0.82 (median of 3 runs;"),
            r.summary());
        assertEquals(0.8, r.system().mpps().min(), 1e-9);
        assertEquals(1.0, r.system().mpps().max(), 1e-9);
        assertEquals(1.2, r.baseline().mpps().max(), 1e-9);
        assertEquals(0.9 * 1400 * 8 / 1000, r.system().gbps().median(), 1e-3, "Gbit/s from the bytes that came back");
        assertEquals(0.5, r.system().dutBusy().median(), 1e-9);
        final String json = IoBench.toJson(o, r);
        assertTrue(json.startsWith("{\"scenario\":\"io\",\"size\":1400,\"mpps\":0.9000,\"baseline\":{\"name\":\"c-afxdp\"," +
            "\"mpps\":1.1000},\"ratio\":0.8182,\"runs\":3,"), json);
        assertTrue(json.contains("\"systems\":{\"sluice-io\":{\"mpps\":{\"median\":0.9000,\"min\":0.8000,\"max\":1.0000}"),
            json);
        assertTrue(Json.parse(json) instanceof java.util.Map, "the JSON parses");
        assertEquals(3.0, IoBench.median(new double[]{5, 1, 3}));
        assertEquals(2.0, IoBench.median(new double[]{1, 3}));
    }

    private static IoBench.Measurement measurement(final String name, final int run, final FrameSize size,
        final double mpps)
    {
        final long sent = (long)(2e6 * 1.2);
        final long received = (long)(mpps * 1e6);
        return new IoBench.Measurement(name, run, size, mpps, 1.2, 1_000_000_000L, sent, received,
            (long)(sent * size.meanBytes()), (long)(received * size.meanBytes()), sent - received, 0, 0, 0, received,
            received, 0, 0, sent - received, 0, 0, 1, 0, "forwarder", 0.01, 0, new IoBench.CoreUse(0.5, 0.4, 0.05, 0.05, 0.45), null);
    }

    /** The project root: the launcher's sluice.home, else the nearest directory up with perf/src/main/c. */
    static Path home()
    {
        Path dir = Path.of(System.getProperty("sluice.home", System.getProperty("user.dir"))).toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("perf/src/main/c")))
        {
            dir = dir.getParent();
        }
        assertTrue(dir != null, "no perf/src/main/c above " + System.getProperty("user.dir"));
        return dir;
    }

    /**
     * Builds perf/target/c/* as the launcher does when they are missing or older than their
     * sources (./sluice test does it first; plain ./mvnw verify does not). Null, or why it cannot.
     */
    static String buildCPrograms(final Path home) throws Exception
    {
        final Path src = home.resolve("perf/src/main/c");
        final Path out = home.resolve("perf/target/c");
        Files.createDirectories(out);
        final Path common = src.resolve("common.h");
        for (final String name : new String[]{"xdp_fwd", "xdp_gen"})
        {
            final Path c = src.resolve(name + ".c");
            final Path bin = out.resolve(name);
            final boolean stale = !Files.isExecutable(bin) ||
                Files.getLastModifiedTime(c).compareTo(Files.getLastModifiedTime(bin)) > 0 ||
                Files.getLastModifiedTime(common).compareTo(Files.getLastModifiedTime(bin)) > 0;
            if (!stale)
            {
                continue;
            }
            final Process p;
            try
            {
                p = new ProcessBuilder("gcc", "-O2", "-Wall", "-Wextra", "-o", bin.toString(), c.toString())
                    .redirectErrorStream(true).start();
            }
            catch (final java.io.IOException e)
            {
                return "gcc not installed, cannot build " + c + " (apt-get install gcc libc6-dev)";
            }
            final String output = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), "gcc " + c + ":\n" + output);
        }
        return null;
    }
}
