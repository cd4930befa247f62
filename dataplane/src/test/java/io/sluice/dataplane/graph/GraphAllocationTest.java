package io.sluice.dataplane.graph;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.l2tp.L2tpSession;
import io.sluice.dataplane.port.Port;
import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.TestPort;
import io.sluice.dataplane.worker.Worker;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-packet path allocates nothing: after the JIT has warmed up, forwarding many bursts
 * through each path costs the worker thread (almost) no heap allocation. The ports here are
 * in-memory and recycle their frames, so what is measured is the graph alone.
 */
class GraphAllocationTest
{
    private static final long OUR_MAC = 0x0200_0000_0001L;
    private static final long PEER_MAC = 0x0200_0000_0002L;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"route", "gre", "l2tpv3"})
    void forwardingAllocatesNothingPerPacket(final String path)
    {
        try (Arena arena = Arena.ofShared())
        {
            final FramePool pool = new FramePool(arena.allocate(2048L * 1024, 4096), 2048, 384);
            final Dataplane dp = new Dataplane(pool, Dataplane.Context.small());
            final RecyclingPort in = new RecyclingPort(pool, Packets.ethernet(OUR_MAC, PEER_MAC, 0x0800,
                Packets.ipv4(Packets.ip("192.0.2.2"), Packets.ip("198.51.100.1"), 17, 64, 1, 0,
                    Packets.udp(40000, 9, new byte[100]))));
            final Interface ifc = dp.addEthernet("p0", in, OUR_MAC);
            dp.setAddress(ifc, Packets.ip("192.0.2.1"), 24);
            dp.addNeighbour(ifc, Packets.ip("192.0.2.2"), PEER_MAC);
            switch (path)
            {
                case "route" -> dp.addRoute(0, 0, ifc, Packets.ip("192.0.2.2"));
                case "gre" -> dp.addRoute(0, 0,
                    dp.addGreTunnel("Tunnel0", Packets.ip("192.0.2.1"), Packets.ip("192.0.2.2"), 7, false), 0);
                default ->
                {
                    final Interface wan = dp.addEthernet("wan", new RecyclingPort(pool, null), OUR_MAC + 1);
                    dp.setAddress(wan, Packets.ip("203.0.113.1"), 24);
                    dp.addNeighbour(wan, Packets.ip("203.0.113.2"), PEER_MAC);
                    dp.addL2tpv3Xconnect(ifc, L2tpSession.Encapsulation.UDP, Packets.ip("203.0.113.1"),
                        Packets.ip("203.0.113.2"), 1, 2, 9L, 9L, 4);
                }
            }
            final Worker.Job job = dp.job();
            for (int i = 0; i < 20_000; i++)
            {
                job.doWork();
            }
            final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
            final long txBefore = totalTx(dp);
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20_000; i++)
            {
                job.doWork();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            final long packets = totalTx(dp) - txBefore;
            assertEquals(20_000L * 16, packets, "every packet forwarded: " + dp.dropSummary());
            assertTrue(allocated < 64 * 1024, path + ": " + allocated + " bytes allocated for " + packets + " packets");
        }
    }

    private static long totalTx(final Dataplane dp)
    {
        long n = 0;
        for (int p = 0; p < dp.graph().portCount(); p++)
        {
            n += dp.graph().port(p).counters().txPackets;
        }
        return n;
    }

    /** Receives 16 copies of a template per call (none if null); transmit frees the frames. */
    private static final class RecyclingPort implements Port
    {
        private final FramePool pool;
        private final byte[] template;
        private final java.lang.foreign.MemorySegment source;
        private final io.sluice.dataplane.port.PortCounters counters = new io.sluice.dataplane.port.PortCounters();

        RecyclingPort(final FramePool pool, final byte[] template)
        {
            this.pool = pool;
            this.template = template;
            this.source = template == null ? null : Arena.ofAuto().allocate(template.length);
            if (template != null)
            {
                java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofArray(template), 0, source, 0,
                    template.length);
            }
        }

        @Override
        public String name()
        {
            return "recycling";
        }

        @Override
        public LinkType linkType()
        {
            return LinkType.ETHERNET;
        }

        @Override
        public int receive(final io.sluice.dataplane.frame.Burst burst)
        {
            if (template == null)
            {
                return 0;
            }
            for (int i = 0; i < 16; i++)
            {
                final long at = pool.allocate() + pool.dataOffset();
                java.lang.foreign.MemorySegment.copy(source, 0, pool.memory(), at, template.length);
                burst.add(at, template.length);
            }
            return 16;
        }

        @Override
        public int transmit(final io.sluice.dataplane.frame.Burst burst)
        {
            for (int i = 0; i < burst.count(); i++)
            {
                pool.release(burst.address(i));
            }
            counters.txPackets += burst.count();
            final int n = burst.count();
            burst.clear();
            return n;
        }

        @Override
        public int poll()
        {
            return 0;
        }

        @Override
        public io.sluice.dataplane.port.PortCounters counters()
        {
            return counters;
        }

        @Override
        public void close()
        {
        }
    }
}
