package io.sluice.dataplane.graph;

import io.sluice.dataplane.counters.CounterSnapshot;
import io.sluice.dataplane.counters.CountersFile;
import io.sluice.dataplane.counters.CountersView;
import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import io.sluice.dataplane.trace.CaptureRecorder;
import io.sluice.dataplane.trace.CaptureTap;
import io.sluice.dataplane.trace.PcapWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every drop is visible in the counters file, and any port or node can be captured to pcap. */
class ObservabilityTest
{
    private final Rig rig = new Rig();

    @TempDir
    Path dir;

    @AfterEach
    void tearDown()
    {
        rig.close();
    }

    private static long value(final List<CounterSnapshot> all, final String label)
    {
        return all.stream().filter(c -> c.label().equals(label)).mapToLong(CounterSnapshot::value).findFirst()
            .orElseThrow(() -> new AssertionError("no counter '" + label + "' in " +
                all.stream().map(CounterSnapshot::label).toList()));
    }

    @Test
    void dropsAndStagePacketsAreReadableFromTheCountersFile()
    {
        try (CountersFile file = CountersFile.create(dir.resolve("counters")))
        {
            rig.dp.exportCounters(file);
            rig.learnNeighbours();
            rig.lan.inject(rig.fromHost(Packets.ip("8.8.8.8"), 1, 0, new byte[10]));   // ttl-expired
            rig.lan.inject(rig.fromHost(Packets.ip("8.8.8.8"), 64, 0, new byte[10]));  // forwarded
            final byte[] bad = rig.fromHost(Packets.ip("8.8.8.8"), 64, 0, new byte[10]);
            bad[14 + 10] ^= 0x55;                                                       // bad-checksum
            rig.lan.inject(bad);
            rig.step();
            rig.dp.publishCounters();
            try (CountersView view = CountersFile.openReadOnly(file.file()))
            {
                final List<CounterSnapshot> all = view.snapshot();
                assertEquals(1, value(all, "ip4-rewrite drop: ttl-expired"));
                assertEquals(1, value(all, "ip4-input drop: bad-checksum"));
                assertTrue(value(all, "ip4-rewrite packets") >= 2);
                assertTrue(value(all, "port wan0: tx-packets") >= 1);
                assertFalse(view.isStale(), "this process is alive");
            }
        }
    }

    @Test
    void aPortsTransmitSideIsCapturedToPcapThatTsharkReads() throws Exception
    {
        final Path tshark = Path.of("/usr/bin/tshark");
        if (!Files.isExecutable(tshark))
        {
            System.out.println("SKIPPED aPortsTransmitSideIsCapturedToPcapThatTsharkReads: tshark not installed");
        }
        assumeTrue(Files.isExecutable(tshark));
        final Path pcap = dir.resolve("wan-tx.pcap");
        rig.learnNeighbours();
        final CaptureTap tap = rig.dp.capture("tx wan0");
        final CaptureRecorder recorder = new CaptureRecorder(PcapWriter.create(pcap, tap.linkType()), tap);
        tap.arm(2);
        for (int i = 0; i < 3; i++)
        {
            rig.lan.inject(rig.fromHost(Packets.ip("198.51.100.7"), 64, 0, new byte[20 + i]));
        }
        rig.step();
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (!recorder.isFinished() && System.nanoTime() < deadline)
        {
            recorder.doWork();
        }
        recorder.onClose();
        assertEquals(2, recorder.recordsWritten(), "armed for two frames");
        final Process p = new ProcessBuilder(tshark.toString(), "-r", pcap.toString(), "-T", "fields", "-e", "ip.dst",
            "-e", "ip.ttl", "-e", "eth.dst").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals("198.51.100.7\t63\t02:bb:00:00:00:fe\n198.51.100.7\t63\t02:bb:00:00:00:fe\n", out);
    }

    @Test
    void unknownCapturePointsAreRefusedWithWhatExists()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> rig.dp.capture("rx nosuch0"));
        assertTrue(e.getMessage().contains("nosuch0"), e.getMessage());
        final IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
            () -> rig.dp.capture("sideways wan0 now"));
        assertTrue(f.getMessage().contains("ip4-lookup"), f.getMessage());
        assertThrows(IllegalArgumentException.class, () -> rig.dp.capture("arp-input"));
    }
}
