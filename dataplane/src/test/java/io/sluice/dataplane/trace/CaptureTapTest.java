package io.sluice.dataplane.trace;

import io.sluice.dataplane.counters.CounterBaseline;
import io.sluice.dataplane.counters.CountersFile;
import io.sluice.dataplane.counters.CountersView;
import io.sluice.dataplane.frame.Burst;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static io.sluice.dataplane.trace.UdpFrames.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The frames use UDP ports 50000-50013, which tshark has no dissector for, so that their made-up
 * payloads are not dissected as IKE, L2TP or DNS and called malformed: what tshark checks here is
 * the capture file, Ethernet, IPv4 and UDP.
 */
@Timeout(120)
class CaptureTapTest
{
    private static final byte[] MAC_A = bytes(0x02, 0, 0, 0, 0, 0x01);
    private static final byte[] MAC_B = bytes(0x02, 0, 0, 0, 0, 0x02);
    private static final byte[] MAC_C = bytes(0x02, 0, 0, 0, 0, 0x03);
    private static final byte[] IP_A = bytes(10, 0, 0, 1);
    private static final byte[] IP_B = bytes(10, 0, 0, 2);
    private static final byte[] IP_C = bytes(192, 168, 7, 9);

    @TempDir
    Path dir;

    @Test
    void ethernetFramesCapturedThroughTheTapAreDissectedByTshark() throws Exception
    {
        Tshark.assumeInstalled();
        final Path file = dir.resolve("veth1.pcap");
        try (Arena arena = Arena.ofConfined(); CaptureTap tap = new CaptureTap("veth1 rx", PcapLinkType.ETHERNET))
        {
            final MemorySegment pool = arena.allocate(8192, 64);
            final int first = UdpFrames.ethernet(pool, 0, MAC_A, MAC_B, IP_A, IP_B, 50000, 50001, 100);
            final int second = UdpFrames.ethernet(pool, 2048, MAC_C, MAC_B, IP_A, IP_C, 50000, 50002, 37);
            final int third = UdpFrames.ethernet(pool, 4096, MAC_B, MAC_A, IP_B, IP_A, 50001, 50003, 1400);
            final CaptureRecorder recorder = new CaptureRecorder(PcapWriter.create(file, PcapLinkType.ETHERNET), tap);
            final AtomicReference<Throwable> agentError = new AtomicReference<>();
            try (AgentRunner runner = new AgentRunner(new BackoffIdleStrategy(), agentError::set, null, recorder))
            {
                tap.arm(0);
                AgentRunner.startOnThread(runner);
                tap.capture(pool, 0, first);
                final Burst burst = new Burst(pool, 4);
                burst.add(2048, second);
                burst.add(4096, third);
                tap.capture(burst);
                tap.disarm();
                awaitTrue(recorder::isFinished, "the recorder drains the tap");
            }
            assertNull(agentError.get());
            assertNull(recorder.failure());
            assertEquals(3, recorder.recordsWritten());
            assertEquals(3, tap.capturedFrames());
            assertEquals(0, tap.droppedFrames());
        }

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
            "captures hold decrypted traffic: the gateway user's only");
        final List<String> lines = Tshark.fields(file, "eth.src", "ip.dst", "udp.dstport", "ip.checksum.status",
            "udp.checksum.status", "frame.len");
        assertEquals(List.of(
            "02:00:00:00:00:01|10.0.0.2|50001|1|1|142",
            "02:00:00:00:00:03|192.168.7.9|50002|1|1|79",
            "02:00:00:00:00:02|10.0.0.1|50003|1|1|1442"), lines, "checksum status 1 is Good");
        assertWellFormed(Tshark.verbose(file));
    }

    @Test
    void rawIpCaptureUsesLinktype101AndTsharkFindsTheIpHeaderFirst() throws Exception
    {
        Tshark.assumeInstalled();
        final Path file = dir.resolve("tun0.pcap");
        try (Arena arena = Arena.ofConfined(); CaptureTap tap = new CaptureTap("tun0 rx", PcapLinkType.RAW))
        {
            final MemorySegment pool = arena.allocate(4096, 64);
            final int first = UdpFrames.ipv4(pool, 0, IP_A, IP_B, 50010, 50011, 60);
            final int second = UdpFrames.ipv4(pool, 1024, IP_C, IP_A, 50012, 50013, 12);
            final CaptureRecorder recorder = new CaptureRecorder(PcapWriter.create(file, PcapLinkType.RAW), tap);
            tap.arm(0);
            tap.capture(pool, 0, first);
            tap.capture(pool, 1024, second);
            recorder.doWork();
            recorder.onClose();
            assertNull(recorder.failure());
        }

        final ByteBuffer header = ByteBuffer.wrap(Files.readAllBytes(file), 0, PcapWriter.GLOBAL_HEADER_LENGTH)
            .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, header.getInt(0));
        assertEquals(2, header.getShort(4));
        assertEquals(4, header.getShort(6));
        assertEquals(PcapWriter.DEFAULT_SNAP_LENGTH, header.getInt(16));
        assertEquals(101, header.getInt(20));
        final List<String> lines = Tshark.fields(file, "ip.src", "ip.dst", "udp.dstport", "ip.checksum.status",
            "udp.checksum.status");
        assertEquals(List.of("10.0.0.1|10.0.0.2|50011|1|1", "192.168.7.9|10.0.0.1|50013|1|1"), lines,
            "checksum status 1 is Good");
        assertWellFormed(Tshark.verbose(file));
    }

    @Test
    void timestampsReachTsharkInTheChosenResolution() throws Exception
    {
        Tshark.assumeInstalled();
        final long epochNanos = 1_700_000_000_123_456_789L;
        for (final PcapWriter.Resolution resolution : PcapWriter.Resolution.values())
        {
            final Path file = dir.resolve(resolution + ".pcap");
            try (Arena arena = Arena.ofConfined();
                PcapWriter writer = PcapWriter.create(file, PcapLinkType.ETHERNET, 2048, resolution))
            {
                final MemorySegment frame = arena.allocate(256);
                final int length = UdpFrames.ethernet(frame, 0, MAC_A, MAC_B, IP_A, IP_B, 1, 2, 10);
                writer.write(epochNanos, length, frame, 0, length);
            }
            final String expected = resolution == PcapWriter.Resolution.NANOSECONDS ? "1700000000.123456789" :
                "1700000000.123456000";
            assertEquals(List.of(expected), Tshark.fields(file, "frame.time_epoch"), resolution.toString());
        }
    }

    @Test
    void framesLongerThanTheSnapLengthAreCutAndKeepTheirLength() throws Exception
    {
        Tshark.assumeInstalled();
        final Path file = dir.resolve("snap.pcap");
        try (Arena arena = Arena.ofConfined();
            CaptureTap tap = new CaptureTap("snap", PcapLinkType.ETHERNET, 1024, 64, System::nanoTime, counter(),
                counter()))
        {
            final MemorySegment pool = arena.allocate(2048);
            final int length = UdpFrames.ethernet(pool, 0, MAC_A, MAC_B, IP_A, IP_B, 1, 2, 300);
            final CaptureRecorder recorder = new CaptureRecorder(
                PcapWriter.create(file, PcapLinkType.ETHERNET, 64, PcapWriter.Resolution.MICROSECONDS), tap);
            tap.arm(0);
            tap.capture(pool, 0, length);
            recorder.doWork();
            recorder.onClose();
        }
        assertEquals(List.of("342|64|10.0.0.2"), Tshark.fields(file, "frame.len", "frame.cap_len", "ip.dst"));
    }

    @Test
    void stopsAfterTheRequestedNumberOfFrames() throws Exception
    {
        final Path file = dir.resolve("three.pcap");
        try (Arena arena = Arena.ofConfined(); CaptureTap tap = new CaptureTap("three", PcapLinkType.ETHERNET))
        {
            final MemorySegment pool = arena.allocate(2048);
            final int length = UdpFrames.ethernet(pool, 0, MAC_A, MAC_B, IP_A, IP_B, 1, 2, 20);
            final CaptureRecorder recorder = new CaptureRecorder(PcapWriter.create(file, PcapLinkType.ETHERNET), tap);
            tap.arm(3);
            for (int i = 0; i < 10; i++)
            {
                tap.capture(pool, 0, length);
            }
            assertEquals(3, tap.capturedFrames());
            recorder.doWork();
            assertFalse(tap.isArmed(), "the recorder disarms a tap that has its frames, so it costs one branch again");
            assertTrue(recorder.isFinished());
            recorder.onClose();
            assertEquals(3, recorder.recordsWritten());

            tap.arm(2);
            for (int i = 0; i < 10; i++)
            {
                tap.capture(pool, 0, length);
            }
            assertEquals(5, tap.capturedFrames(), "a re-armed tap counts its limit from where it stands");
        }
        assertEquals(PcapWriter.GLOBAL_HEADER_LENGTH + 3 * (PcapWriter.RECORD_HEADER_LENGTH + 62), Files.size(file));
    }

    @Test
    void framesFindingTheRingFullAreCountedAsDroppedNotWaitedFor() throws Exception
    {
        final Path file = dir.resolve("full.pcap");
        try (Arena arena = Arena.ofConfined();
            CaptureTap tap = new CaptureTap("full", PcapLinkType.ETHERNET, 4096, 128, System::nanoTime, counter(),
                counter()))
        {
            final MemorySegment pool = arena.allocate(2048);
            final int length = UdpFrames.ethernet(pool, 0, MAC_A, MAC_B, IP_A, IP_B, 1, 2, 62); // 104 bytes
            tap.arm(0);
            for (int i = 0; i < 100; i++)
            {
                tap.capture(pool, 0, length);
            }
            // A ring record is 8 (ring header) + 16 (timestamp, length) + 104 = 128 bytes: about 32 fit in 4 KiB.
            final long captured = tap.capturedFrames();
            assertTrue(captured >= 30 && captured <= 32, "captured " + captured);
            assertEquals(100 - captured, tap.droppedFrames());

            final CaptureRecorder recorder = new CaptureRecorder(PcapWriter.create(file, PcapLinkType.ETHERNET), tap);
            recorder.doWork();
            tap.capture(pool, 0, length);
            assertEquals(captured + 1, tap.capturedFrames(), "a drained ring takes frames again");
            recorder.onClose();
            assertEquals(captured + 1, recorder.recordsWritten());
        }
    }

    @Test
    void aTapsCountsAreInTheCountersFileForShowCounters()
    {
        try (Arena arena = Arena.ofConfined(); CountersFile counters = CountersFile.create(dir.resolve("sluice-tap"), 16, 0);
            CaptureTap tap = CaptureTap.inCountersFile(counters, 5, "veth1 rx", PcapLinkType.ETHERNET))
        {
            final MemorySegment pool = arena.allocate(2048);
            final int length = UdpFrames.ethernet(pool, 0, MAC_A, MAC_B, IP_A, IP_B, 1, 2, 20);
            tap.arm(0);
            tap.capture(pool, 0, length);
            tap.capture(pool, 0, length);
            try (CountersView view = CountersFile.openReadOnly(counters.directory()))
            {
                assertEquals(List.of("CAPTURE 5/1 capture veth1 rx: frames = 2"), view.snapshot(false,
                    CounterBaseline.none()).stream()
                    .map(c -> c.type() + " " + c.key() + "/" + c.item() + " " + c.label() + " = " + c.value()).toList());
                assertEquals(2, view.snapshot().size(), "the dropped count is there too, at zero");
            }
        }
    }

    @Test
    void anUnarmedTapCapturesNothing()
    {
        try (Arena arena = Arena.ofConfined(); CaptureTap tap = new CaptureTap("idle", PcapLinkType.ETHERNET))
        {
            final MemorySegment pool = arena.allocate(2048);
            final int length = UdpFrames.ethernet(pool, 0, MAC_A, MAC_B, IP_A, IP_B, 1, 2, 20);
            tap.capture(pool, 0, length);
            tap.arm(0);
            tap.disarm();
            tap.capture(pool, 0, length);
            assertEquals(0, tap.capturedFrames());
            assertTrue(tap.isDrained());
        }
    }

    @Test
    void capturingAFrameAllocatesNothing()
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final MessageHandler discard = (msgTypeId, buffer, index, length) ->
        {
        };
        try (Arena arena = Arena.ofConfined(); CaptureTap tap = new CaptureTap("alloc", PcapLinkType.ETHERNET))
        {
            final MemorySegment pool = arena.allocate(4096);
            final int length = UdpFrames.ethernet(pool, 0, MAC_A, MAC_B, IP_A, IP_B, 1, 2, 1000);
            final Burst burst = new Burst(pool, 4);
            burst.add(0, length);
            burst.add(0, length);
            tap.arm(0);
            long leastAllocated = Long.MAX_VALUE;
            for (int round = 0; round < 5; round++)
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 20_000; i++)
                {
                    tap.capture(pool, 0, length);
                    tap.capture(burst);
                    tap.ring().read(discard);
                }
                leastAllocated = Math.min(leastAllocated, threads.getCurrentThreadAllocatedBytes() - before);
            }
            // An allocation per capture would show in every round; the least of five is free of JIT noise.
            assertEquals(0, leastAllocated, "bytes allocated by 60,000 captures");
            assertEquals(0, tap.droppedFrames());
        }
    }

    @Test
    void aRecorderTakesTapsOfItsFilesLinkTypeOnly()
    {
        try (CaptureTap tap = new CaptureTap("tun0", PcapLinkType.RAW);
            PcapWriter writer = PcapWriter.create(dir.resolve("eth.pcap"), PcapLinkType.ETHERNET))
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CaptureRecorder(writer, tap));
            assertTrue(e.getMessage().contains("tun0"), e.getMessage());
        }
    }

    @Test
    void aRingTooSmallForTheSnapLengthIsRefusedWithTheSizeThatWorks()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new CaptureTap("small", PcapLinkType.ETHERNET, 4096, 1500, System::nanoTime, counter(), counter()));
        assertTrue(e.getMessage().contains("16384"), e.getMessage());
    }

    private static void assertWellFormed(final String dissection)
    {
        assertFalse(dissection.contains("Malformed"), dissection);
        assertFalse(dissection.contains("[Expert Info (Warning"), dissection);
        assertFalse(dissection.contains("[Expert Info (Error"), dissection);
        assertFalse(dissection.contains("Bad]"), dissection);
        assertTrue(dissection.contains("[Header checksum status: Good]"), dissection);
        assertTrue(dissection.contains("[Checksum Status: Good]"), dissection);
    }

    private static AtomicCounter counter()
    {
        return new AtomicCounter(new UnsafeBuffer(BufferUtil.allocateDirectAligned(CountersReader.COUNTER_LENGTH, 64)), 0);
    }

    private static void awaitTrue(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }
}
