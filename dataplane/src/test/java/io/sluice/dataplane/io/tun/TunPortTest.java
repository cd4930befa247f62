package io.sluice.dataplane.io.tun;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.io.CrossConnect;
import io.sluice.dataplane.io.NamespaceUdp;
import io.sluice.dataplane.port.Port;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.NetnsLab;
import io.sluice.ffi.tun.Tun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TUN ports on devices our code creates inside test namespaces.
 * <pre>
 *   host A: tunA 10.88.1.1/24 == [TunPort | wire | TunPort] == tunC 10.88.1.3/24 :host C
 * </pre>
 * The wire copies every IP packet read from one device into the other, so A and C reach each other
 * as if over a point-to-point link.
 */
class TunPortTest
{
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

    /** A namespace without IPv6, so that the only packets in its devices are the test's own. */
    private String quietNamespace(final String suffix)
    {
        final String ns = lab.namespace(suffix);
        lab.exec(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        return ns;
    }

    private void configure(final String ns, final String device, final String cidr)
    {
        NetnsLab.run("ip", "-n", ns, "addr", "add", cidr, "dev", device);
        NetnsLab.run("ip", "-n", ns, "link", "set", device, "up");
    }

    @Test
    void tunCrossConnectCarriesPingAndUdpByteIdentical() throws Exception
    {
        final String a = lab.namespace("a");
        final String c = lab.namespace("c");
        final FramePool pool = pool(512);
        final TunPort left;
        final TunPort right;
        try (NetNs ignored = NetNs.enter(a))
        {
            left = TunPort.open("t" + lab.id() + "a", pool);
        }
        try (NetNs ignored = NetNs.enter(c))
        {
            right = TunPort.open("t" + lab.id() + "c", pool);
        }
        try
        {
            assertEquals(Port.LinkType.IP, left.linkType());
            configure(a, left.name().substring(0, left.name().indexOf('/')), "10.88.1.1/24");
            configure(c, right.name().substring(0, right.name().indexOf('/')), "10.88.1.3/24");
            try (CrossConnect ignored = CrossConnect.start("tun-wire", left, right, pool.memory()))
            {
                final String ping = lab.exec(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.88.1.3");
                assertTrue(ping.contains("3 received"), ping);
                NamespaceUdp.sendAndExpectByteIdentical(a, new InetSocketAddress("10.88.1.1", 0),
                    c, new InetSocketAddress("10.88.1.3", 9000), 200, 7);
            }
        }
        finally
        {
            left.close();
            right.close();
        }
        System.out.println(left + "\n" + right);
        assertTrue(left.counters().rxPackets >= 203, left.toString());
        assertEquals(left.counters().rxPackets, right.counters().txPackets + right.counters().txDropped);
        assertEquals(right.counters().rxPackets, left.counters().txPackets + left.counters().txDropped);
        assertEquals(0, right.counters().txDropped + left.counters().txDropped);
        assertEquals(0, left.counters().rxErrors + right.counters().rxErrors + left.counters().rxNoBuffer +
            right.counters().rxNoBuffer + left.rxTooLong() + right.rxTooLong());
        assertEquals(pool.capacity(), pool.available(), "every frame went back to the pool");
        assertTrue(NetnsLab.execute("ip", "-n", a, "link", "show", "t" + lab.id() + "a").status() != 0,
            "closing the port removed the device it owned");
    }

    @Test
    void multiQueueTunSpreadsFlowsOverBothQueuesAndAcceptsWritesOnEach() throws Exception
    {
        final String ns = quietNamespace("mq");
        final String name = "t" + lab.id() + "m";
        final FramePool pool = pool(256);
        final Tun tun;
        try (NetNs ignored = NetNs.enter(ns))
        {
            tun = Tun.openMultiQueue(name, 2);
        }
        final TunPort[] queues = {TunPort.attach(tun, 0, pool), TunPort.attach(tun, 1, pool)};
        try
        {
            configure(ns, name, "10.89.0.1/24");

            // receive: 32 flows (one source port each) into the device; the kernel picks a queue per flow hash
            final int flows = 32;
            final List<DatagramChannel> senders = new ArrayList<>();
            final Set<String> expected = new HashSet<>();
            try
            {
                for (int f = 0; f < flows; f++)
                {
                    final DatagramChannel ch = NamespaceUdp.openIn(ns, new InetSocketAddress("10.89.0.1", 0));
                    senders.add(ch);
                    final String text = "flow " + f;
                    expected.add(text);
                    ch.send(ByteBuffer.wrap(text.getBytes()), new InetSocketAddress("10.89.0.2", 7000));
                }
            }
            finally
            {
                for (final DatagramChannel ch : senders)
                {
                    ch.close();
                }
            }
            final int[] perQueue = new int[2];
            final Set<String> seen = new HashSet<>();
            final Burst burst = new Burst(pool.memory(), 64);
            final long deadline = System.nanoTime() + 2_000_000_000L;
            while (seen.size() < flows && System.nanoTime() < deadline)
            {
                for (int q = 0; q < 2; q++)
                {
                    queues[q].receive(burst);
                    for (int i = 0; i < burst.count(); i++)
                    {
                        final String text = udpPayloadTo(pool.memory(), burst.address(i), burst.length(i), 7000);
                        if (text != null)
                        {
                            assertTrue(seen.add(text), "received twice: " + text);
                            perQueue[q]++;
                        }
                        pool.release(burst.address(i));
                    }
                    burst.clear();
                }
            }
            assertEquals(expected, seen);
            assertTrue(perQueue[0] > 0 && perQueue[1] > 0,
                "flows per queue " + perQueue[0] + "/" + perQueue[1] + ": both queues carry traffic");

            // transmit: one packet written on each queue reaches a socket in the namespace
            try (DatagramChannel sink = NamespaceUdp.openIn(ns, new InetSocketAddress("10.89.0.1", 7001)))
            {
                for (int q = 0; q < 2; q++)
                {
                    final byte[] payload = ("via queue " + q).getBytes();
                    final byte[] packet = udp4(new byte[]{10, 89, 0, 2}, new byte[]{10, 89, 0, 1}, 5555, 7001, payload);
                    final long frame = pool.allocate() + pool.dataOffset();
                    MemorySegment.copy(packet, 0, pool.memory(), JAVA_BYTE, frame, packet.length);
                    burst.add(frame, packet.length);
                    assertEquals(1, queues[q].transmit(burst), queues[q].toString());
                    final ByteBuffer in = ByteBuffer.allocate(256);
                    assertNotNull(NamespaceUdp.receive(sink, in), "packet written on queue " + q + " did not arrive");
                    in.flip();
                    final byte[] got = new byte[in.remaining()];
                    in.get(got);
                    assertArrayEquals(payload, got);
                }
            }
            assertEquals(pool.capacity(), pool.available(), "every frame went back to the pool");
        }
        finally
        {
            queues[0].close();
            queues[1].close();
            tun.close();
        }
    }

    @Test
    void packetsArrivingWithNoFreeFrameAreTakenOffTheDeviceAndCounted() throws Exception
    {
        final String ns = quietNamespace("nb");
        final String name = "t" + lab.id() + "n";
        final FramePool pool = pool(4);
        final TunPort port;
        try (NetNs ignored = NetNs.enter(ns))
        {
            port = TunPort.open(name, pool);
        }
        try
        {
            configure(ns, name, "10.90.0.1/24");
            try (DatagramChannel sender = NamespaceUdp.openIn(ns, new InetSocketAddress("10.90.0.1", 0)))
            {
                for (int i = 0; i < 10; i++)
                {
                    sender.send(ByteBuffer.wrap(new byte[]{(byte)i}), new InetSocketAddress("10.90.0.2", 7000));
                }
            }
            final Burst burst = new Burst(pool.memory(), 64);
            final long deadline = System.nanoTime() + 2_000_000_000L;
            while (port.counters().rxPackets + port.counters().rxNoBuffer < 10 && System.nanoTime() < deadline)
            {
                port.receive(burst);
            }
            assertEquals(4, burst.count(), port.toString());
            assertEquals(4, port.counters().rxPackets);
            assertEquals(6, port.counters().rxNoBuffer);
            assertEquals(0, port.receive(burst), "the device queue was drained, not left full");
            for (int i = 0; i < burst.count(); i++)
            {
                assertEquals(i, pool.memory().get(JAVA_BYTE, burst.address(i) + 28), "UDP payload of packet " + i);
                pool.release(burst.address(i));
            }
            assertEquals(4, pool.available());
        }
        finally
        {
            port.close();
        }
    }

    @Test
    void packetLongerThanAFrameIsDroppedAndCountedNotTruncated() throws Exception
    {
        final String ns = quietNamespace("tl");
        final String name = "t" + lab.id() + "l";
        final FramePool pool = pool(16); // 2048-byte frames, 256 of headroom: 1792 bytes of room
        final TunPort port;
        try (NetNs ignored = NetNs.enter(ns))
        {
            port = TunPort.open(name, pool);
        }
        try
        {
            NetnsLab.run("ip", "-n", ns, "link", "set", name, "mtu", "4000");
            configure(ns, name, "10.91.0.1/24");
            try (DatagramChannel sender = NamespaceUdp.openIn(ns, new InetSocketAddress("10.91.0.1", 0)))
            {
                sender.send(ByteBuffer.wrap(new byte[3000]), new InetSocketAddress("10.91.0.2", 7000));
                sender.send(ByteBuffer.wrap(new byte[1000]), new InetSocketAddress("10.91.0.2", 7000));
            }
            final Burst burst = new Burst(pool.memory(), 64);
            final long deadline = System.nanoTime() + 2_000_000_000L;
            while (port.counters().rxPackets + port.rxTooLong() + port.counters().rxErrors < 2 &&
                System.nanoTime() < deadline)
            {
                port.receive(burst);
            }
            assertEquals(1, port.rxTooLong(), port.toString());
            assertEquals(1, burst.count(), port.toString());
            assertEquals(1028, burst.length(0));
            pool.release(burst.address(0));
            assertEquals(pool.capacity(), pool.available());
        }
        finally
        {
            port.close();
        }
    }

    /** The UDP payload as text if the IPv4 packet at {@code at} is UDP to {@code port}, else null. */
    private static String udpPayloadTo(final MemorySegment memory, final long at, final int length, final int port)
    {
        if (length < 28 || (memory.get(JAVA_BYTE, at) >> 4) != 4 || memory.get(JAVA_BYTE, at + 9) != 17)
        {
            return null;
        }
        final int ihl = (memory.get(JAVA_BYTE, at) & 0xf) * 4;
        if (Short.toUnsignedInt(memory.get(NET_SHORT, at + ihl + 2)) != port)
        {
            return null;
        }
        return new String(memory.asSlice(at + ihl + 8, length - ihl - 8).toArray(JAVA_BYTE));
    }

    /** An IPv4/UDP packet (UDP checksum 0: none, which IPv4 allows). */
    static byte[] udp4(final byte[] src, final byte[] dst, final int sport, final int dport, final byte[] payload)
        throws Exception
    {
        final int length = 28 + payload.length;
        final ByteBuffer b = ByteBuffer.allocate(length);
        b.put((byte)0x45).put((byte)0).putShort((short)length).putShort((short)0x5151).putShort((short)0x4000)
            .put((byte)64).put((byte)17).putShort((short)0)
            .put(InetAddress.getByAddress(src).getAddress()).put(dst);
        int sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += Short.toUnsignedInt(b.getShort(i));
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        b.putShort(10, (short)~sum);
        b.putShort((short)sport).putShort((short)dport).putShort((short)(8 + payload.length)).putShort((short)0)
            .put(payload);
        return b.array();
    }
}
