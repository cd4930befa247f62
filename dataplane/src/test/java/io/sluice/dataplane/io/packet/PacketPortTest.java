package io.sluice.dataplane.io.packet;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.io.CrossConnect;
import io.sluice.dataplane.io.NamespaceUdp;
import io.sluice.dataplane.port.Port;
import io.sluice.ffi.libc.Errno;
import io.sluice.ffi.libc.NativeException;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.NetnsLab;
import io.sluice.ffi.testkit.OpenFds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AF_PACKET ports on veth pairs between test namespaces.
 * <pre>
 *   host A 10.78.0.1 -- veth -- [PacketPort | wire | PacketPort] -- veth -- host C 10.78.0.3
 * </pre>
 * The wire copies every frame (ARP included) from one port to the other, so A and C are on one
 * Ethernet segment.
 */
class PacketPortTest
{
    /** IEEE 802 local experimental EtherType: nothing else on the link sends it. */
    private static final int EXPERIMENTAL = 0x88b5;
    private static final ValueLayout.OfShort NET_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private NetnsLab lab;

    @BeforeEach
    void setUp()
    {
        lab = NetnsLab.createOrSkip(this);
    }

    @AfterEach
    void tearDown()
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    private static FramePool pool(final int frames)
    {
        return new FramePool(Arena.ofShared().allocate((long)frames * 2048, 4096), 2048, 256);
    }

    /** A namespace without IPv6, so that the only frames on its links are the test's own. */
    private String quietNamespace(final String suffix)
    {
        final String ns = lab.namespace(suffix);
        lab.exec(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        return ns;
    }

    private static PacketPort openIn(final String ns, final String ifname, final FramePool pool)
    {
        try (NetNs ignored = NetNs.enter(ns))
        {
            return PacketPort.open(ifname, pool);
        }
    }

    @Test
    void packetCrossConnectCarriesPingAndUdpByteIdentical() throws Exception
    {
        final String a = lab.namespace("a");
        final String dut = lab.namespace("dut");
        final String c = lab.namespace("c");
        final String[] left = lab.veth(a, "10.78.0.1/24", dut, null);
        final String[] right = lab.veth(dut, null, c, "10.78.0.3/24");
        final FramePool pool = pool(1024);
        final PacketPort p1 = openIn(dut, left[1], pool);
        final PacketPort p2 = openIn(dut, right[0], pool);
        try
        {
            assertEquals(Port.LinkType.ETHERNET, p1.linkType());
            try (CrossConnect ignored = CrossConnect.start("packet-wire", p1, p2, pool.memory()))
            {
                final String ping = lab.exec(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.78.0.3");
                assertTrue(ping.contains("3 received"), ping);
                NamespaceUdp.sendAndExpectByteIdentical(a, new InetSocketAddress("10.78.0.1", 0),
                    c, new InetSocketAddress("10.78.0.3", 9000), 200, 7);
            }
            final PacketSocketStats s1 = PacketSocketStats.of(p1);
            final PacketSocketStats s2 = PacketSocketStats.of(p2);
            assertEquals(0, s1.drops + s2.drops, "receive ring drops " + s1 + " " + s2);
        }
        finally
        {
            p1.close();
            p2.close();
        }
        System.out.println(p1 + "\n" + p2);
        assertTrue(p1.counters().rxPackets >= 200, p1.toString());
        assertEquals(p1.counters().rxPackets, p2.counters().txPackets + p2.counters().txDropped);
        assertEquals(p2.counters().rxPackets, p1.counters().txPackets + p1.counters().txDropped);
        assertEquals(0, p1.counters().txDropped + p2.counters().txDropped);
        assertEquals(0, p1.counters().txErrors + p2.counters().txErrors);
        assertEquals(0, p1.counters().rxNoBuffer + p2.counters().rxNoBuffer + p1.rxTooLong() + p2.rxTooLong());
        assertEquals(pool.capacity(), pool.available(), "every frame went back to the pool");
    }

    private record PacketSocketStats(long packets, long drops)
    {
        static PacketSocketStats of(final PacketPort port)
        {
            final var s = port.kernelStatistics();
            return new PacketSocketStats(s.packets(), s.drops());
        }
    }

    @Test
    void vlanTaggedAndRawFramesCrossTheWireByteIdentical()
    {
        final String a = quietNamespace("a");
        final String dut = quietNamespace("dut");
        final String c = quietNamespace("c");
        final String[] left = lab.veth(a, null, dut, null);
        final String[] right = lab.veth(dut, null, c, null);
        final FramePool wirePool = pool(256);
        final FramePool hostPool = pool(256);
        final PacketPort hostA = openIn(a, left[0], hostPool);
        final PacketPort hostC = openIn(c, right[1], hostPool);
        final PacketPort p1 = openIn(dut, left[1], wirePool);
        final PacketPort p2 = openIn(dut, right[0], wirePool);
        final Random random = new Random(11);
        final List<byte[]> sent = new ArrayList<>();
        try (CrossConnect ignored = CrossConnect.start("packet-wire", p1, p2, wirePool.memory()))
        {
            final Burst burst = new Burst(hostPool.memory(), 64);
            for (int i = 0; i < 40; i++)
            {
                final boolean tagged = i % 2 == 0;
                final byte[] frame = new byte[(tagged ? 18 : 14) + 46 + random.nextInt(1400)];
                random.nextBytes(frame);
                final ByteBuffer b = ByteBuffer.wrap(frame);
                b.put(new byte[]{-1, -1, -1, -1, -1, -1}).put(new byte[]{0x02, 0, 0, 0, 0, (byte)i});
                if (tagged)
                {
                    // 802.1Q with priority 5 and VLAN id 100 + i; the receiving kernel strips the tag
                    b.putShort((short)0x8100).putShort((short)((5 << 13) | (100 + i)));
                }
                b.putShort((short)EXPERIMENTAL);
                sent.add(frame);
                final long at = hostPool.allocate() + hostPool.dataOffset();
                MemorySegment.copy(frame, 0, hostPool.memory(), JAVA_BYTE, at, frame.length);
                burst.add(at, frame.length);
            }
            assertEquals(40, hostA.transmit(burst), hostA.toString());

            final List<byte[]> received = new ArrayList<>();
            final long deadline = System.nanoTime() + 3_000_000_000L;
            while (received.size() < sent.size() && System.nanoTime() < deadline)
            {
                hostC.receive(burst);
                for (int i = 0; i < burst.count(); i++)
                {
                    received.add(hostPool.memory().asSlice(burst.address(i), burst.length(i)).toArray(JAVA_BYTE));
                    hostPool.release(burst.address(i));
                }
                burst.clear();
                hostA.poll();
            }
            assertEquals(sent.size(), received.size(), "frames received at C; wire " + p1 + " / " + p2);
            for (int i = 0; i < sent.size(); i++)
            {
                assertArrayEquals(sent.get(i), received.get(i), "frame " + i + (i % 2 == 0 ? " (VLAN-tagged)" : ""));
            }
        }
        finally
        {
            p1.close();
            p2.close();
            hostA.close();
            hostC.close();
        }
        assertEquals(wirePool.capacity(), wirePool.available());
        assertEquals(hostPool.capacity(), hostPool.available());
    }

    @Test
    void framesArrivingWithNoFreeFrameAreDroppedAndCounted()
    {
        final String a = quietNamespace("a");
        final String b = quietNamespace("b");
        final String[] veth = lab.veth(a, null, b, null);
        final FramePool senderPool = pool(16);
        final FramePool tinyPool = pool(2);
        final PacketPort sender = openIn(a, veth[0], senderPool);
        final PacketPort receiver = openIn(b, veth[1], tinyPool);
        try
        {
            final Burst out = new Burst(senderPool.memory(), 16);
            for (int i = 0; i < 5; i++)
            {
                final long at = senderPool.allocate() + senderPool.dataOffset();
                senderPool.memory().asSlice(at, 60).fill((byte)i);
                senderPool.memory().set(NET_SHORT, at + 12, (short)EXPERIMENTAL);
                out.add(at, 60);
            }
            assertEquals(5, sender.transmit(out));
            final Burst in = new Burst(tinyPool.memory(), 16);
            final long deadline = System.nanoTime() + 2_000_000_000L;
            while (receiver.counters().rxPackets + receiver.counters().rxNoBuffer < 5 && System.nanoTime() < deadline)
            {
                receiver.receive(in);
            }
            assertEquals(2, in.count(), receiver.toString());
            assertEquals(2, receiver.counters().rxPackets);
            assertEquals(3, receiver.counters().rxNoBuffer);
            assertEquals(0, tinyPool.available());
            for (int i = 0; i < in.count(); i++)
            {
                assertEquals(i, tinyPool.memory().get(JAVA_BYTE, in.address(i) + 20), "payload of frame " + i);
            }
        }
        finally
        {
            sender.close();
            receiver.close();
        }
    }

    @Test
    void openingOnAMissingInterfaceNamesItAndLeaksNoFd()
    {
        final String ns = lab.namespace("m");
        final String missing = "gone" + lab.id();
        final FramePool pool = pool(4);
        final Map<Integer, String> before = OpenFds.snapshot();
        final NativeException e = assertThrows(NativeException.class, () -> openIn(ns, missing, pool));
        System.out.println("refused: " + e.getMessage());
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("'" + missing + "'") && e.getMessage().contains("ENODEV") &&
            e.getMessage().contains("no interface named"), e.getMessage());
        assertEquals(Map.of(), OpenFds.newKernelObjects(before));
        assertTrue(OpenFds.count() <= before.size(), () -> "fds opened and not closed: " + OpenFds.added(before));
    }
}
