package io.sluice.tools.bench;

import io.sluice.ffi.testkit.NetnsLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The harness cannot rot: a short {@code sluice bench all --quick} (io, l2tpv2 and ESP AES-GCM-128 both
 * ways, two sizes, one algorithm, one JMH benchmark, a second per measurement) produces numbers, a
 * report and charts;
 * the hardware mode reads a port's counters while a generator it did not start sends. How large the
 * numbers are is not a test's business (two shared vCPUs are far too noisy for that).
 */
class BenchAllTest
{
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void quickRunWritesNumbersReportAndCharts(@TempDir final Path dir) throws Exception
    {
        final Path home = requireLab();
        final Path out = dir.resolve("results");
        final int status = BenchMain.run(new String[]{"all", "--quick", "--scenarios", "io,l2tpv2,esp-gcm128,esp-gcm128-decrypt", "--sizes", "64,imix",
            "--seconds", "1", "--runs", "1", "--warmup-ms", "300", "--algorithms", "aes-gcm-128",
            "--jmh", "GraphBenchmark -p scenario=echo -p size=64", "--out", out.toString(), "--home", home.toString(),
            "--java-cp", classPath()});
        assertEquals(0, status, "bench all exit status");

        final Map<String, Object> summary = Json.object(Json.parse(Files.readString(out.resolve("summary.json"))));
        final List<Object> scenarios = Json.array(summary.get("scenarios"));
        assertEquals(8, scenarios.size(), "io, l2tpv2 and AES-GCM-128 ESP both ways at 64 and imix: " + summary);
        for (final Object o : scenarios)
        {
            final Map<String, Object> s = Json.object(o);
            assertTrue(Json.number(s.get("mpps")) > 0, "forwarded something: " + s);
            assertTrue(Json.number(s.get("gbps")) > 0, "Gbit/s: " + s);
            assertTrue(Json.number(Json.object(s.get("baseline")).get("mpps")) > 0, "baseline: " + s);
            assertTrue(Json.number(s.get("ratio")) > 0, "ratio: " + s);
            final Map<String, Object> mpps = Json.object(Json.object(Json.object(s.get("systems"))
                .get(String.valueOf(s.get("system")))).get("mpps"));
            assertTrue(Json.number(mpps.get("min")) <= Json.number(mpps.get("median")), "min <= median: " + s);
            assertTrue(Json.number(mpps.get("median")) <= Json.number(mpps.get("max")), "median <= max: " + s);
        }
        final Map<String, Object> io = Json.object(Json.parse(Files.readString(out.resolve("io-imix.json"))));
        assertEquals("imix", io.get("size"));
        assertEquals("c-afxdp", Json.object(io.get("baseline")).get("name"));

        for (final String esp : new String[]{"esp-gcm128-imix.json", "esp-gcm128-decrypt-imix.json"})
        {
            final Map<String, Object> e = Json.object(Json.parse(Files.readString(out.resolve(esp))));
            assertTrue(Json.number(e.get("mpps")) > 0, "ESP frames came back: " + e);
            assertEquals("sluice-io", Json.object(e.get("baseline")).get("name"), esp);
            assertTrue(Json.number(Json.object(Json.object(e.get("crypto")).get("jce")).get("mpps")) > 0,
                "the cipher alone, measured in the same run: " + e);
            assertTrue(Json.number(Json.object(e.get("espCost")).get("jceCipherNsPerPacket")) > 0, "ESP cost: " + e);
            for (final Object m : Json.array(e.get("measurements")))
            {
                final Map<String, Object> mm = Json.object(m);
                if (String.valueOf(mm.get("name")).startsWith("sluice-esp"))
                {
                    final Map<String, Object> f = Json.object(mm.get("forwarderEsp"));
                    assertTrue(Json.number(f.getOrDefault("espEncrypted", f.get("espDecrypted"))) > 0, "ESP done: " + f);
                    assertEquals(0.0, Json.number(f.getOrDefault("espIcvFailures", 0.0)),
                        "the harness's own ESP frames pass Sluice's ICV check: " + f);
                }
            }
        }

        final List<Object> crypto = Json.array(Json.object(summary.get("crypto")).get("points"));
        assertEquals(2, crypto.size(), "aes-gcm-128 at 64 and imix, the sizes of its ESP scenarios here: " + crypto);
        for (final Object o : crypto)
        {
            final Map<String, Object> p = Json.object(o);
            assertTrue(Json.number(Json.object(p.get("openssl")).get("mpps")) > 0, "openssl speed measured: " + p);
            assertTrue(Json.number(Json.object(p.get("jce")).get("mpps")) > 0, "the JCE loop measured: " + p);
        }
        final List<Object> jmh = Json.array(summary.get("jmh"));
        assertFalse(jmh.isEmpty(), "JMH rows folded in");
        assertTrue(Json.number(Json.object(jmh.get(0)).get("score")) > 0, "JMH score: " + jmh);

        final String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("| io | 64 | sluice-io |"), report);
        assertTrue(report.contains("| l2tpv2 | imix | sluice-l2tpv2 |"), report);
        assertTrue(report.contains("## Goals"), report);
        assertTrue(report.contains("## Crypto limit"), report);
        assertTrue(report.contains("## ESP: cost beyond the cipher"), report);
        assertTrue(report.contains("| esp-gcm128-decrypt | imix |"), report);
        assertTrue(report.contains("GraphBenchmark.burst"), report);
        for (final String png : new String[]{"throughput-mpps.png", "throughput-gbps.png", "crypto-gbps.png"})
        {
            assertTrue(report.contains("](" + png + ")"), "report shows " + png);
            final BufferedImage image = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(image, png + " is a PNG");
            assertEquals(Charts.WIDTH, image.getWidth(), png);
        }
        assertTrue(Files.size(out.resolve("bench.log")) > 0, "the console is kept in bench.log");
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void externalGeneratorModeReadsThePortsCounters(@TempDir final Path dir) throws Exception
    {
        final Path home = requireLab();
        final Path json = dir.resolve("external.json");
        try (BenchLab lab = BenchLab.create())
        {
            final String gen = lab.namespace("xg");
            final String dut = lab.namespace("xd");
            final String[] veth = lab.veth(gen, "x", dut, "y");
            // the "external" generator: started here, but the bench under test knows nothing of it
            final BenchLab.Child generator = lab.spawn("generator", gen, List.of(
                home.resolve("perf/target/c/xdp_gen").toString(), "--iface", veth[0], "--dst-mac",
                lab.mac(dut, veth[1]), "--size", "64", "--rate", "100000", "--copy"));
            generator.awaitReady(20_000);
            final int status = BenchMain.run(new String[]{"io", "--dut-iface", veth[1], "--external-generator",
                "--netns", dut, "--seconds", "1", "--runs", "2", "--warmup-ms", "300", "--json", json.toString(),
                "--home", home.toString(), "--java-cp", classPath()});
            assertEquals(0, status, "bench io --external-generator exit status");
            final Map<String, Object> r = Json.object(Json.parse(Files.readString(json)));
            assertEquals("external-generator", r.get("mode"));
            assertEquals(2, Json.array(r.get("measurements")).size());
            final Map<String, Object> port = Json.object(Json.object(r.get("systems")).get("dut"));
            assertTrue(Json.number(Json.object(port.get("rxMpps")).get("median")) > 0, "frames arrived: " + r);
            assertTrue(Json.number(r.get("mpps")) > 0, "the forwarder sent them back: " + r);
            assertTrue(Json.number(Json.object(r.get("forwarder")).get("rx")) > 0, "its own counters: " + r);
            generator.stop(15_000);
        }
    }

    @Test
    void imixIsSevenFourOne()
    {
        assertEquals((7 * 64 + 4 * 570 + 1518) / 12.0, FrameSize.IMIX.meanBytes(), 1e-9);
        assertEquals(FrameSize.IMIX, FrameSize.parse("imix"));
        assertEquals(512, FrameSize.parse("512").sizes()[0]);
        assertEquals("\"imix\"", FrameSize.IMIX.json());
        assertEquals("1400", FrameSize.of(1400).json());
    }

    @Test
    void readsOpensslSpeedMachineReadableOutput()
    {
        final String out = "+DT:AES-128-GCM:1:1382\n+R:1521115:AES-128-GCM:1.000000\n+H:1382\n" +
            "+F:25:AES-128-GCM:2102180930.00\n";
        assertEquals(1521115, CryptoBaseline.parseOpensslPps(out), 1e-6);
        assertEquals(4378502 / 0.97, CryptoBaseline.parseOpensslPps("+R:4378502:ChaCha20-Poly1305:0.970000\n"), 1e-3);
        assertTrue(Double.isNaN(CryptoBaseline.parseOpensslPps("speed: unknown option")));
        assertTrue(Double.isNaN(CryptoBaseline.parseOpensslPps("+R:2200:ChaCha20-Poly1305:0.000000\n")),
            "starved of CPU, openssl counts no time: no rate rather than infinity");
        assertEquals("null", Stats.num(Double.NaN), "NaN is not JSON");
        // a 64-byte frame carries a 46-byte IPv4 packet; + 2 bytes of ESP trailer, padded to 4 or the block
        assertEquals(48, CryptoBaseline.plaintextBytes(64, CryptoBaseline.algorithm("aes-gcm-128")));
        assertEquals(48, CryptoBaseline.plaintextBytes(64, CryptoBaseline.algorithm("aes-cbc-256/hmac-sha256")));
        assertEquals(1504, CryptoBaseline.plaintextBytes(1518, CryptoBaseline.algorithm("3des/hmac-md5")));
    }

    @Test
    void foldsJmhJsonIntoRows()
    {
        final String json = "[{\"jmhVersion\":\"1.37\",\"benchmark\":\"io.sluice.perf.graph.GraphBenchmark.burst\"," +
            "\"mode\":\"avgt\",\"threads\":1,\"forks\":1,\"params\":{\"size\":\"64\",\"scenario\":\"echo\"}," +
            "\"primaryMetric\":{\"score\":10.5,\"scoreError\":\"NaN\",\"scoreConfidence\":[\"NaN\",\"NaN\"]," +
            "\"scoreUnit\":\"ns/op\",\"rawData\":[[10.5]]},\"secondaryMetrics\":{}}]";
        final List<JmhBench.Row> rows = JmhBench.parse(json);
        assertEquals(1, rows.size());
        final JmhBench.Row r = rows.get(0);
        assertEquals("GraphBenchmark.burst", r.shortName());
        assertEquals("scenario=echo size=64", r.params());
        assertEquals(10.5, r.score(), 1e-9);
        assertTrue(Double.isNaN(r.error()));
        assertEquals("ns/op", r.unit());
        assertTrue(JmhBench.json(rows).contains("\"error\":null"), "NaN is not JSON");
    }

    @Test
    void everyScenarioHasABaselineMeasuredByTheSameGenerator()
    {
        for (final Scenario s : Scenario.ALL)
        {
            assertFalse(s.system().equals(s.baseline()), s.name());
            assertEquals(s.reference() == null ? 2 : 3, Scenario.dutsOf(List.of(s)).size(), s.name());
        }
        // bench all measures a forwarder shared by several scenarios once per run and size
        assertEquals(Scenario.ALL.size() + 1, Scenario.dutsOf(Scenario.ALL).size());
    }

    @Test
    void espScenariosComeInBothDirectionsWithTheirCipher()
    {
        for (final String suite : new String[]{"gcm128", "gcm256", "cbc-sha256", "3des-md5", "chacha20"})
        {
            final Scenario enc = Scenario.named("esp-" + suite);
            final Scenario dec = Scenario.named("esp-" + suite + "-decrypt");
            assertNotNull(enc.cipher(), suite);
            assertEquals(enc.cipher(), dec.cipher(), suite);
            assertFalse(enc.system().esp().decrypt());
            assertTrue(dec.system().esp().decrypt());
        }
        assertEquals(Scenario.SLUICE_GRE, Scenario.named("gre-esp").reference(), "gre-esp is held against gre too");
        assertEquals(List.of(FrameSize.of(1400)), Scenario.named("esp-3des-md5").sizesAmong(FrameSize.STANDARD));
        assertEquals(FrameSize.STANDARD, Scenario.named("esp-gcm128").sizesAmong(FrameSize.STANDARD),
            "AES-GCM-128 has a line in the throughput-by-size chart");
    }

    @Test
    void espRingFramesCarryTheGeneratorsPayloadAndImixSizes() throws Exception
    {
        // frame i of a ring is IMIX position i % 12, as xdp_gen counts its bytes by sequence number
        assertEquals(64, EspRing.wire(FrameSize.IMIX, 0));
        assertEquals(1518, EspRing.wire(FrameSize.IMIX, 6));
        assertEquals(0, EspRing.half(FrameSize.IMIX) % 12);
        final byte[] inner = EspRing.plainPacket(1400, 7);
        assertEquals(1400 - 18, inner.length, "the IPv4 packet of a 1400-byte frame");
        assertEquals('S', inner[28]);
        assertEquals(7, inner[32], "sequence number, host order, after the magic");
        final EspRing.Encryptor enc = new EspRing.Encryptor(io.sluice.tools.forward.BenchSa.named("cbc-sha256"));
        final byte[] f = EspRing.frame(enc, 0x5200, 3, false, inner);
        assertEquals(50, f[14 + 9], "ESP");
        // 20 outer + 8 header + 16 IV + 1382 + 2 trailer padded to 16 (1392) + 16 ICV
        assertEquals(14 + 20 + 8 + 16 + 1392 + 16, f.length);
    }

    private static String classPath()
    {
        // the forwarder JVM gets this JVM's class path (surefire's own, not its booter jar)
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /** The project root, with the C programs built; skips the test where namespaces or gcc are missing. */
    private static Path requireLab() throws Exception
    {
        final String why = NetnsLab.unavailableReason();
        if (why != null)
        {
            System.out.println("SKIPPED " + BenchAllTest.class.getSimpleName() + ": " + why);
        }
        assumeTrue(why == null, why);
        final Path home = IoBenchTest.home();
        final String noC = IoBenchTest.buildCPrograms(home);
        if (noC != null)
        {
            System.out.println("SKIPPED " + BenchAllTest.class.getSimpleName() + ": " + noC);
        }
        assumeTrue(noC == null, noC);
        return home;
    }
}
