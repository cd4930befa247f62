package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.EspEvents;
import io.sluice.dataplane.esp.EspStatus;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.punt.PuntQueue;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.sluice.dataplane.Dataplane.ip;
import static io.sluice.dataplane.ipc.IpcTesting.hex;
import static io.sluice.dataplane.ipc.IpcTesting.pollUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every event from the dataplane's proxy to the control process's adapter, and the inject stream back. */
class EventRoundTripTest
{
    @TempDir
    Path tmp;

    static class RecordingEventHandler implements EventHandler
    {
        final List<String> lines = new ArrayList<>();

        @Override
        public void onDataplaneConnected(final int sessionId)
        {
            lines.add("connected " + sessionId);
        }

        @Override
        public void onDataplaneLost(final int sessionId)
        {
            lines.add("lost " + sessionId);
        }

        @Override
        public void onHeartbeat(final long epoch, final long pid, final long appliedGeneration,
            final long timestampMillis)
        {
            lines.add("heartbeat epoch " + epoch + " pid " + pid + " generation " + appliedGeneration + " at " +
                timestampMillis);
        }

        @Override
        public void onPuntedPacket(final int reason, final int rxInterfaceIndex, final CharSequence rxInterface,
            final DirectBuffer packet)
        {
            lines.add("punt " + reason + " rx " + rxInterfaceIndex + " " + rxInterface + " " + hex(packet));
        }

        @Override
        public void onSaEvent(final int spi, final Direction direction, final int event)
        {
            lines.add("sa event " + Integer.toHexString(spi) + " " + direction + " " + EspEvents.names(event));
        }

        @Override
        public void onSaFailure(final int spi, final int status, final long failures, final long lastSequence,
            final int source)
        {
            lines.add("sa failure " + Integer.toHexString(spi) + " " + EspStatus.name(status) + " " + failures +
                " last " + lastSequence + " from " + IpcTesting.ip(source));
        }

        @Override
        public void onPeerIdle(final CharSequence tunnel, final int peer, final int outboundSpi, final int idleSeconds)
        {
            lines.add("idle " + tunnel + " " + IpcTesting.ip(peer) + " spi " + Integer.toHexString(outboundSpi) + " " +
                idleSeconds + " s");
        }

        @Override
        public void onNoMgreMapping(final CharSequence tunnel, final int nextHop, final int source,
            final int destination)
        {
            lines.add("no mapping " + tunnel + " " + IpcTesting.ip(nextHop) + " for " + IpcTesting.ip(source) + " -> " +
                IpcTesting.ip(destination));
        }

        @Override
        public void onCounterSnapshot(final long timestampNanos, final CharSequence countersFile,
            final CounterSnapshotView counters)
        {
            final StringBuilder b = new StringBuilder("counters at " + timestampNanos + " file '" + countersFile +
                "' " + counters.count() + ":");
            while (counters.next())
            {
                b.append(' ').append(counters.counterId()).append('=').append(counters.label()).append('=')
                    .append(counters.value());
            }
            lines.add(b.toString());
        }
    }

    @Test
    void everyEventArrivesWithEveryField()
    {
        final Path dir = tmp.resolve("aeron");
        final RecordingEventHandler handler = new RecordingEventHandler();
        try (IpcContext dataplane = IpcTesting.dataplane(dir);
            IpcContext control = IpcTesting.control(dir);
            EventAdapter adapter = control.eventAdapter(handler);
            EventProxy proxy = dataplane.eventProxy();
            Arena arena = Arena.ofConfined())
        {
            IpcTesting.awaitConnected(proxy::isConnected, "the events stream");
            final byte[] ike = {0x45, 0, 0, 28, 1, 2, 3, 4, 5, 6, 7, 8};
            final MemorySegment frames = arena.allocate(256);
            frames.asSlice(100, 4).copyFrom(MemorySegment.ofArray(new byte[]{0x45, 0x11, 0x22, 0x33}));

            assertTrue(proxy.heartbeat(0x5eed_0001L, 4242, 7, 1_700_000_000_123L));
            assertTrue(proxy.puntedPacket(PuntQueue.IKE, 3, "eth1", new UnsafeBuffer(ike), 2, 10));
            assertTrue(proxy.puntedPacket(PuntQueue.NHRP, 9, "Tunnel1", frames, 100, 4));
            assertTrue(proxy.saEvent(0xabcd0001, Direction.OUTBOUND, EspEvents.SOFT_TIME));
            assertTrue(proxy.saEvent(0xabcd0002, Direction.INBOUND, EspEvents.HARD_BYTES));
            assertTrue(proxy.saEvent(0xabcd0003, Direction.OUTBOUND, EspEvents.SEQUENCE_EXHAUSTED));
            assertTrue(proxy.saFailure(0x1001, EspStatus.REPLAY, 12, 0x1_0000_0000L, ip("198.51.100.2")));
            assertTrue(proxy.saFailure(0x1002, EspStatus.ICV_FAILURE, 1, 77, ip("198.51.100.3")));
            assertTrue(proxy.peerIdle("Tunnel1", ip("203.0.113.3"), 0x2002, 15));
            assertTrue(proxy.noMgreMapping("Tunnel2", ip("10.255.0.7"), ip("10.1.1.1"), ip("10.7.0.1")));
            final String[] labels = {"ip4-input packets", "esp-decrypt drop: replay", "port eth1: rx-bytes"};
            final long[] values = {100, 0, Long.MAX_VALUE};
            assertTrue(proxy.counterSnapshot(123456789L, "/dev/shm/sluice-root/counters", new EventProxy.CounterSource()
            {
                public int count()
                {
                    return 3;
                }

                public int counterId(final int index)
                {
                    return 10 + index;
                }

                public CharSequence label(final int index)
                {
                    return labels[index];
                }

                public long value(final int index)
                {
                    return values[index];
                }
            }));
            assertTrue(proxy.counterSnapshot(5, "", new EventProxy.CounterSource()
            {
                public int count()
                {
                    return 0;
                }

                public int counterId(final int index)
                {
                    throw new AssertionError();
                }

                public CharSequence label(final int index)
                {
                    throw new AssertionError();
                }

                public long value(final int index)
                {
                    throw new AssertionError();
                }
            }));

            final List<String> expected = List.of(
                "connected " + proxy.sessionId(),
                "heartbeat epoch 1592590337 pid 4242 generation 7 at 1700000000123",
                "punt 1 rx 3 eth1 001c0102030405060708",
                "punt 2 rx 9 Tunnel1 45112233",
                "sa event abcd0001 OUTBOUND soft-time",
                "sa event abcd0002 INBOUND hard-bytes",
                "sa event abcd0003 OUTBOUND sequence-exhausted",
                "sa failure 1001 replay 12 last 4294967296 from 198.51.100.2",
                "sa failure 1002 icv-failure 1 last 77 from 198.51.100.3",
                "idle Tunnel1 203.0.113.3 spi 2002 15 s",
                "no mapping Tunnel2 10.255.0.7 for 10.1.1.1 -> 10.7.0.1",
                "counters at 123456789 file '/dev/shm/sluice-root/counters' 3: 10=ip4-input packets=100 " +
                    "11=esp-decrypt drop: replay=0 12=port eth1: rx-bytes=9223372036854775807",
                "counters at 5 file '' 0:");
            pollUntil(adapter, () -> handler.lines.size() >= expected.size(), 10, "every event");
            assertEquals(expected, handler.lines);
            assertEquals(0, proxy.dropped());
            assertEquals(0, adapter.failed() + adapter.unknown());
        }
    }

    @Test
    void withoutAControlProcessEventsAreDroppedAndCountedWithoutWaiting()
    {
        try (IpcContext dataplane = IpcTesting.dataplane(tmp.resolve("aeron"));
            EventProxy proxy = dataplane.eventProxy())
        {
            final long start = System.nanoTime();
            assertFalse(proxy.heartbeat(1, 2, 0, 3));
            assertFalse(proxy.saEvent(1, Direction.INBOUND, EspEvents.HARD_TIME));
            assertTrue(System.nanoTime() - start < 1_000_000_000L, "the dataplane does not wait for a control process");
            assertEquals(2, proxy.dropped());
            assertEquals(0, proxy.sent());
        }
    }

    @Test
    void injectedPacketsArriveWithTheirInterfaceAndNextHop()
    {
        final Path dir = tmp.resolve("aeron");
        final List<String> lines = new ArrayList<>();
        try (IpcContext dataplane = IpcTesting.dataplane(dir);
            IpcContext control = IpcTesting.control(dir);
            InjectAdapter adapter = dataplane.injectAdapter((kind, name, nextHop, packet) ->
                lines.add(kind + " '" + name + "' " + IpcTesting.ip(nextHop) + " " + hex(packet)));
            InjectProxy proxy = control.injectProxy())
        {
            IpcTesting.awaitConnected(proxy::isConnected, "the inject stream");
            final byte[] big = new byte[9000];
            big[8999] = 0x7f;
            proxy.inject(io.sluice.dataplane.ipc.codecs.InjectKind.ROUTE, "", 0, new byte[]{0x45, 1, 2});
            proxy.inject(io.sluice.dataplane.ipc.codecs.InjectKind.INTERFACE, "Tunnel1", ip("10.255.0.1"),
                new UnsafeBuffer(new byte[]{9, 9, 0x45, 4}), 2, 2);
            proxy.inject(io.sluice.dataplane.ipc.codecs.InjectKind.FRAME, "eth0", 0, big);
            pollUntil(adapter, () -> lines.size() == 3, 10, "three packets");
            assertEquals("ROUTE '' 0.0.0.0 450102", lines.get(0));
            assertEquals("INTERFACE 'Tunnel1' 10.255.0.1 4504", lines.get(1));
            assertEquals("FRAME 'eth0' 0.0.0.0 " + "00".repeat(8999) + "7f", lines.get(2),
                "a jumbo frame, longer than one IPC frame, arrives whole");
            assertEquals(3, proxy.sent());
        }
    }
}
