package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspEvents;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.EspStatus;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.l2tp.L2tpSession.Encapsulation;
import io.sluice.dataplane.punt.PuntQueue;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import static io.sluice.dataplane.Dataplane.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dataplane's side of IPC allocates nothing per message once warm: the program adapter
 * reading (SA adds with keys, names, every kind of message) and the event proxy writing.
 * Measured with this thread's allocated-bytes counter around the data-side calls only.
 */
class IpcAllocationTest
{
    private static final int ROUNDS = 40;
    private static final int MEASURED_ROUNDS = 10;
    private static final int PER_ROUND = 100;

    @TempDir
    Path tmp;

    private static long allocated()
    {
        return ((com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** What reading the counter twice costs by itself (the MXBean call allocates a little). */
    private static long measurementOverhead()
    {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 100; i++)
        {
            final long before = allocated();
            least = Math.min(least, allocated() - before);
        }
        return least;
    }

    /** Touches every argument, keeps nothing. */
    private static final class Sink implements ProgramHandler
    {
        long sum;
        long count;

        private void name(final CharSequence s)
        {
            for (int i = 0; i < s.length(); i++)
            {
                sum += s.charAt(i);
            }
            count++;
        }

        public void onControlConnected(final int sessionId)
        {
        }

        public void onControlLost(final int sessionId)
        {
        }

        public void onBeginState(final long generation)
        {
            sum += generation;
            count++;
        }

        public void onEndState(final long generation)
        {
            sum += generation;
            count++;
        }

        public void onDataplaneSettings(final int a, final int b, final int c, final int d)
        {
            sum += a + b + c + d;
            count++;
        }

        public void onInterfaceConfig(final CharSequence name, final int address, final int prefixLength, final int mtu,
            final int tcpAdjustMss, final boolean shutdown)
        {
            name(name);
        }

        public void onGreTunnelAdd(final CharSequence name, final int source, final int destination,
            final boolean hasKey, final int key, final boolean sequence, final int ttl, final int mtu)
        {
            name(name);
        }

        public void onGreTunnelDelete(final CharSequence name)
        {
            name(name);
        }

        @Override
        public void onTunnelProtect(final CharSequence name)
        {
            name(name);
        }

        @Override
        public void onIpsecTunnelAdd(final CharSequence name, final int source, final int destination)
        {
            name(name);
        }

        public void onMgrePeerMap(final CharSequence tunnel, final int overlay, final int nbma)
        {
            name(tunnel);
        }

        public void onMgrePeerUnmap(final CharSequence tunnel, final int overlay, final int nbma)
        {
            name(tunnel);
        }

        public void onRouteAdd(final int prefix, final int prefixLength, final CharSequence interfaceName,
            final int nextHop)
        {
            name(interfaceName);
        }

        public void onRouteDelete(final int prefix, final int prefixLength, final CharSequence interfaceName,
            final int nextHop)
        {
            name(interfaceName);
        }

        public void onNeighbourAdd(final CharSequence interfaceName, final int address, final long mac)
        {
            name(interfaceName);
        }

        public void onSaAdd(final SaParameters sa)
        {
            final DirectBuffer key = sa.encryptionKey();
            for (int i = 0; i < key.capacity(); i++)
            {
                sum += key.getByte(i);
            }
            sum += sa.encryption().ordinal() + sa.integrity().ordinal() + sa.integrityKey().capacity();
            name(sa.tunnel());
        }

        public void onSaDelete(final int spi, final Direction direction)
        {
            sum += spi + direction.ordinal();
            count++;
        }

        public void onSaSwitchOutbound(final int spi)
        {
            sum += spi;
            count++;
        }

        public void onL2tpv2SessionAdd(final CharSequence name, final int localAddress, final int remoteAddress,
            final int localPort, final int remotePort, final int localTunnelId, final int localSessionId,
            final int remoteTunnelId, final int remoteSessionId, final boolean sequencing, final boolean lengthBit)
        {
            name(name);
        }

        public void onL2tpv2SessionDelete(final int localTunnelId, final int localSessionId)
        {
            count++;
        }

        public void onL2tpv3SessionAdd(final CharSequence xconnectInterface, final Encapsulation encapsulation,
            final int localAddress, final int remoteAddress, final int localSessionId, final int remoteSessionId,
            final long localCookie, final long remoteCookie, final int cookieLength)
        {
            name(xconnectInterface);
        }

        public void onL2tpv3SessionDelete(final int localSessionId)
        {
            count++;
        }
    }

    private static void sendRound(final ProgramProxy proxy, final SaParameters sa)
    {
        for (int i = 0; i < PER_ROUND / 10; i++)
        {
            proxy.beginState(i);
            proxy.saAdd(sa.spi(i));
            proxy.saDelete(i, Direction.INBOUND);
            proxy.routeAdd(ip("10.0.0.0"), 8, "Tunnel1", ip("10.255.0.1"));
            proxy.greTunnelAdd("Tunnel1", 1, 2, true, 3, false, 255, 0);
            proxy.mgrePeerMap("Tunnel1", 4, 5);
            proxy.interfaceConfig("eth0", 1, 24, 1500, 0, false);
            proxy.l2tpv2SessionAdd("ppp0", 1, 2, 1701, 1701, 1, 2, 3, 4, false, false);
            proxy.l2tpv3SessionAdd("eth1", Encapsulation.IP, 1, 2, 3, 4, 5, 6, 4);
            proxy.endState(i);
        }
    }

    @Test
    void theProgramAdapterAllocatesNothingPerMessage()
    {
        final Path dir = tmp.resolve("aeron");
        final Sink sink = new Sink();
        try (IpcContext dataplane = IpcTesting.dataplane(dir);
            IpcContext control = IpcTesting.control(dir);
            ProgramAdapter adapter = dataplane.programAdapter(sink);
            ProgramProxy proxy = control.programProxy())
        {
            IpcTesting.awaitConnected(proxy::isConnected, "the program stream");
            final SaParameters sa = new SaParameters().direction(Direction.INBOUND).tunnel("Tunnel1")
                .encryption(EspEncryption.AES_CBC_128, new byte[16]).integrity(EspIntegrity.HMAC_SHA1_96, new byte[20]);
            final long overhead = measurementOverhead();
            long measured = 0;
            long bytes = 0;
            long quietest = Long.MAX_VALUE;
            for (int round = 0; round < ROUNDS; round++)
            {
                sendRound(proxy, sa);
                final long target = (long)(round + 1) * PER_ROUND;
                final long before = allocated();
                while (sink.count < target)
                {
                    adapter.doWork();
                }
                final long after = allocated();
                if (round >= ROUNDS - MEASURED_ROUNDS)
                {
                    bytes += after - before - overhead;
                    measured += PER_ROUND;
                    quietest = Math.min(quietest, after - before - overhead);
                }
            }
            System.out.printf("program adapter: %d bytes allocated over %d messages (less %d per measurement)%n", bytes,
                measured, overhead);
            assertEquals(ROUNDS * PER_ROUND, sink.count);
            assertEquals(0, adapter.failed());
            // an allocation per message shows in every round; a one-off (class loading, a deoptimisation on a busy
            // machine) in one round at most: at least one measured round of 100 messages must allocate nothing
            assertEquals(0, quietest, bytes + " bytes allocated reading " + measured + " messages" + ", none in no round");
        }
    }

    @Test
    void theEventProxyAllocatesNothingPerEvent()
    {
        final Path dir = tmp.resolve("aeron");
        final long[] received = {0};
        final EventRoundTripTest.RecordingEventHandler counting = new EventRoundTripTest.RecordingEventHandler()
        {
            @Override
            public void onHeartbeat(final long epoch, final long pid, final long appliedGeneration, final long ts)
            {
                received[0]++;
            }

            @Override
            public void onPuntedPacket(final int reason, final int rxInterfaceIndex, final CharSequence rxInterface,
                final DirectBuffer packet)
            {
                received[0]++;
            }

            @Override
            public void onSaEvent(final int spi, final Direction direction, final int event)
            {
                received[0]++;
            }

            @Override
            public void onSaFailure(final int spi, final int status, final long failures, final long lastSequence,
                final int source)
            {
                received[0]++;
            }

            @Override
            public void onNoMgreMapping(final CharSequence tunnel, final int nextHop, final int source,
                final int destination)
            {
                received[0]++;
            }
        };
        try (IpcContext dataplane = IpcTesting.dataplane(dir);
            IpcContext control = IpcTesting.control(dir);
            EventAdapter adapter = control.eventAdapter(counting);
            EventProxy proxy = dataplane.eventProxy())
        {
            IpcTesting.awaitConnected(proxy::isConnected, "the events stream");
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[200]);
            final String eth1 = "eth1";
            final String tunnel = "Tunnel1";
            final long overhead = measurementOverhead();
            long bytes = 0;
            long measured = 0;
            long quietest = Long.MAX_VALUE;
            for (int round = 0; round < ROUNDS; round++)
            {
                final long before = allocated();
                for (int i = 0; i < PER_ROUND / 5; i++)
                {
                    proxy.heartbeat(1, 2, i, 3);
                    proxy.puntedPacket(PuntQueue.IKE, 1, eth1, packet, 0, 200);
                    proxy.saEvent(i, Direction.OUTBOUND, EspEvents.SOFT_BYTES);
                    proxy.saFailure(i, EspStatus.REPLAY, 1, i, 5);
                    proxy.noMgreMapping(tunnel, 1, 2, 3);
                }
                final long after = allocated();
                if (round >= ROUNDS - MEASURED_ROUNDS)
                {
                    bytes += after - before - overhead;
                    measured += PER_ROUND;
                    quietest = Math.min(quietest, after - before - overhead);
                }
                final long target = (long)(round + 1) * PER_ROUND;
                while (received[0] < target)
                {
                    adapter.doWork();
                }
            }
            System.out.printf("event proxy: %d bytes allocated over %d events (less %d per measurement)%n", bytes,
                measured, overhead);
            assertEquals(0, proxy.dropped());
            // an allocation per message shows in every round; a one-off (class loading, a deoptimisation on a busy
            // machine) in one round at most: at least one measured round of 100 messages must allocate nothing
            assertEquals(0, quietest, bytes + " bytes allocated sending " + measured + " events" + ", none in no round");
        }
    }
}
