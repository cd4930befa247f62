package io.sluice.dataplane.gre;

import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.punt.PuntQueue;
import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.sluice.dataplane.testing.Packets.checksum;
import static io.sluice.dataplane.testing.Packets.ip;
import static io.sluice.dataplane.testing.Packets.mac;
import static io.sluice.dataplane.testing.Packets.u16;
import static io.sluice.dataplane.testing.Packets.u32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gre-input and gre-output on the test rig: a point-to-point tunnel with a key from the WAN
 * address to {@link #PEER}, carrying 10.2.0.0/16; packets are built independently
 * ({@link Packets}) and every transmitted byte is checked.
 */
class GreStageTest
{
    private static final int PEER = ip("198.51.100.2");
    private static final int KEY = 0x0a0b0c0d;
    private static final int REMOTE_HOST = ip("10.2.0.5");
    private static final int ETH = 14;
    private static final int OUTER = 20;

    private final Rig rig = new Rig();

    @AfterEach
    void tearDown()
    {
        rig.close();
    }

    private Interface p2pTunnel(final Integer key, final boolean sequence)
    {
        rig.learnNeighbours();
        final Interface tun = rig.dp.addGreTunnel("Tunnel0", Rig.WAN_IP, PEER, key, sequence);
        rig.dp.setAddress(tun, ip("172.16.0.1"), 30);
        rig.dp.addRoute(ip("10.2.0.0"), 16, tun, 0);
        return tun;
    }

    /** A UDP packet from the LAN host to {@code dst}, as IPv4 bytes. */
    private static byte[] hostUdp(final int dst, final int ttl, final int flagsFragment, final int payloadLength)
    {
        return Packets.ipv4(Rig.HOST_IP, dst, 17, ttl, 0x1111, flagsFragment,
            Packets.udp(40000, 9, Packets.pattern(payloadLength, 7)));
    }

    /** A UDP packet from the far side of the tunnel to the LAN host. */
    private static byte[] remoteUdp(final int ttl)
    {
        return Packets.ipv4(REMOTE_HOST, Rig.HOST_IP, 17, ttl, 0x2222, 0, Packets.udp(9, 40000, Packets.pattern(60, 3)));
    }

    private static byte[] toLan(final byte[] ipv4)
    {
        return Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, ipv4);
    }

    /** An outer GRE packet from {@code from} to the WAN address, as the router delivers it. */
    private static byte[] greFrom(final int from, final byte[] gre)
    {
        return Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, Packets.ipv4(from, Rig.WAN_IP, 47, 60, 77, 0, gre));
    }

    private static void assertOuterGre(final byte[] f, final int destination, final int innerLength, final int greLength)
    {
        assertEquals(Rig.ROUTER_MAC, mac(f, 0), "to the default router");
        assertEquals(Rig.WAN_MAC, mac(f, 6));
        assertEquals(0x0800, u16(f, 12));
        assertEquals(0x45, f[ETH] & 0xff);
        assertEquals(OUTER + greLength + innerLength, u16(f, ETH + 2), "outer total length");
        assertEquals(0, u16(f, ETH + 6) & 0xbfff, "outer packet not fragmented");
        assertEquals(47, f[ETH + 9] & 0xff, "protocol GRE");
        assertEquals(0, checksum(f, ETH, OUTER), "outer header checksum");
        assertEquals(Rig.WAN_IP, u32(f, ETH + 12), "outer source: the tunnel source");
        assertEquals(destination, u32(f, ETH + 16), "outer destination");
        assertEquals(ETH + OUTER + greLength + innerLength, f.length);
    }

    private static byte[] innerOf(final byte[] f, final int greLength)
    {
        return Arrays.copyOfRange(f, ETH + OUTER + greLength, f.length);
    }

    @Test
    void encapsulatesIntoKeyedTunnelWithTheInnerPacketUnchangedButTtl()
    {
        p2pTunnel(KEY, false);
        final byte[] inner = hostUdp(REMOTE_HOST, 64, 0, 100);
        rig.lan.inject(toLan(inner));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        final byte[] f = out.get(0);
        assertOuterGre(f, PEER, inner.length, 8);
        assertEquals(0x2000, u16(f, ETH + OUTER), "GRE flags: K only, version 0");
        assertEquals(0x0800, u16(f, ETH + OUTER + 2), "GRE protocol IPv4");
        assertEquals(KEY, u32(f, ETH + OUTER + 4), "GRE key");
        assertArrayEquals(hostUdp(REMOTE_HOST, 63, 0, 100), innerOf(f, 8),
            "inner packet identical but for TTL - 1 and its header checksum");
        assertEquals(1, rig.dp.greTunnels().get(0).txPackets());
    }

    @Test
    void encapsulatesWithoutKeyAsPlainGre()
    {
        p2pTunnel(null, false);
        final byte[] inner = hostUdp(REMOTE_HOST, 64, 0, 33);
        rig.lan.inject(toLan(inner));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertOuterGre(out.get(0), PEER, inner.length, 4);
        assertEquals(0x0000, u16(out.get(0), ETH + OUTER));
        assertEquals(0x0800, u16(out.get(0), ETH + OUTER + 2));
        assertArrayEquals(hostUdp(REMOTE_HOST, 63, 0, 33), innerOf(out.get(0), 4));
    }

    @Test
    void decapsulatesPacketWithTheTunnelKeyAndForwardsItToTheLanHost()
    {
        p2pTunnel(KEY, false);
        rig.wan.inject(greFrom(PEER, Packets.gre(0x0800, KEY, remoteUdp(64))));
        rig.step();
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertArrayEquals(Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, remoteUdp(63)), out.get(0));
        assertEquals(1, rig.dp.greTunnels().get(0).rxPackets());
    }

    @Test
    void wrongKeyOrNoKeyOrUnknownPeerIsNoTunnel()
    {
        p2pTunnel(KEY, false);
        rig.wan.inject(greFrom(PEER, Packets.gre(0x0800, KEY + 1, remoteUdp(64))));
        rig.wan.inject(greFrom(PEER, Packets.gre(0x0800, null, remoteUdp(64))));
        rig.wan.inject(greFrom(ip("198.51.100.3"), Packets.gre(0x0800, KEY, remoteUdp(64))));
        rig.step();
        assertEquals(0, rig.lan.takeSent().size());
        assertEquals(3, rig.dp.greInput().drops("no-tunnel"));
        assertEquals(3, rig.dp.greInput().totalDrops());
    }

    @Test
    void nonZeroVersionIsDroppedAsBadVersion()
    {
        p2pTunnel(KEY, false);
        rig.wan.inject(greFrom(PEER, Packets.greWithFlags(0x2001, 0x0800, KEY, 0, remoteUdp(64))));
        rig.wan.inject(greFrom(PEER, Packets.greWithFlags(0x0001, 0x880b, 0, 0, new byte[16]))); // PPTP's GRE v1
        rig.step();
        assertEquals(0, rig.lan.takeSent().size());
        assertEquals(2, rig.dp.greInput().drops("bad-version"));
        assertEquals(2, rig.dp.greInput().totalDrops());
    }

    @Test
    void routingStrictSourceRouteAndRecursionBitsAreReservedBitsSet()
    {
        p2pTunnel(KEY, false);
        for (final int bit : new int[]{0x4000, 0x0800, 0x0400})
        {
            rig.wan.inject(greFrom(PEER, Packets.greWithFlags(0x2000 | bit, 0x0800, KEY, 0, remoteUdp(64))));
        }
        rig.step();
        assertEquals(0, rig.lan.takeSent().size());
        assertEquals(3, rig.dp.greInput().drops("reserved-bits-set"));
        assertEquals(3, rig.dp.greInput().totalDrops());
    }

    @Test
    void checksumIsVerifiedWhenPresent()
    {
        p2pTunnel(KEY, false);
        final byte[] good = Packets.greWithFlags(0x8000 | 0x2000, 0x0800, KEY, 0, remoteUdp(64));
        final byte[] bad = good.clone();
        bad[bad.length - 1] ^= 0x55; // a payload byte: the GRE checksum no longer covers it
        rig.wan.inject(greFrom(PEER, good));
        rig.wan.inject(greFrom(PEER, bad));
        rig.step();
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size(), "the packet with a correct checksum goes through");
        assertArrayEquals(Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, remoteUdp(63)), out.get(0));
        assertEquals(1, rig.dp.greInput().drops("bad-checksum"));
        assertEquals(1, rig.dp.greInput().totalDrops());
    }

    @Test
    void nhrpIsPuntedWithTheTunnelInterface()
    {
        final Interface tun = p2pTunnel(KEY, false);
        final byte[] nhrp = Packets.pattern(40, 0x21);
        final byte[] outer = Packets.ipv4(PEER, Rig.WAN_IP, 47, 60, 77, 0, Packets.gre(0x2001, KEY, nhrp));
        rig.wan.inject(Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, outer));
        rig.step();
        assertEquals(0, rig.lan.takeSent().size());
        assertEquals(0, rig.wan.takeSent().size());
        final List<Object[]> punted = new ArrayList<>();
        rig.dp.punts().drain((reason, iface, packet) -> punted.add(new Object[]{reason, iface, packet}), 10);
        assertEquals(1, punted.size());
        assertEquals(PuntQueue.NHRP, punted.get(0)[0]);
        assertEquals(tun.index(), punted.get(0)[1]);
        assertArrayEquals(outer, (byte[])punted.get(0)[2], "the whole outer packet, from its IPv4 header");
        assertEquals(0, rig.dp.greInput().totalDrops());
    }

    @Test
    void unknownPayloadProtocolIsCounted()
    {
        p2pTunnel(KEY, false);
        rig.wan.inject(greFrom(PEER, Packets.gre(0x86dd, KEY, new byte[40])));
        rig.step();
        assertEquals(1, rig.dp.greInput().drops("unknown-protocol"));
    }

    @Test
    void multipointTunnelNeedsAPeerMappingAndThenUsesTheNbmaAddress()
    {
        rig.learnNeighbours();
        final Interface tun = rig.dp.addGreTunnel("Tunnel1", Rig.WAN_IP, 0, 1001, false);
        rig.dp.setAddress(tun, ip("172.16.1.1"), 24);
        rig.dp.addRoute(ip("10.3.0.0"), 16, tun, ip("172.16.1.2"));
        final int spokeHost = ip("10.3.0.9");
        final int nbma = ip("203.0.113.7");

        rig.lan.inject(toLan(hostUdp(spokeHost, 64, 0, 20)));
        rig.step();
        assertEquals(0, rig.wan.takeSent().size());
        assertEquals(1, rig.dp.greOutput().drops("no-mgre-mapping"));
        assertEquals(1, rig.dp.greOutput().resolutionNeeded());

        rig.dp.mapMgrePeer(tun, ip("172.16.1.2"), nbma);
        rig.lan.inject(toLan(hostUdp(spokeHost, 64, 0, 20)));
        // directly to an overlay address on the tunnel subnet: the overlay is the inner destination
        rig.dp.mapMgrePeer(tun, ip("172.16.1.3"), ip("203.0.113.8"));
        rig.lan.inject(toLan(hostUdp(ip("172.16.1.3"), 64, 0, 20)));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(2, out.size(), rig.dp.dropSummary());
        assertOuterGre(out.get(0), nbma, 20 + 8 + 20, 8);
        assertEquals(1001, u32(out.get(0), ETH + OUTER + 4));
        assertArrayEquals(hostUdp(spokeHost, 63, 0, 20), innerOf(out.get(0), 8));
        assertOuterGre(out.get(1), ip("203.0.113.8"), 20 + 8 + 20, 8);
        assertEquals(1, rig.dp.greOutput().totalDrops());
    }

    @Test
    void multipointTunnelAcceptsPacketsFromAnyPeerWithItsKey()
    {
        rig.learnNeighbours();
        final Interface tun = rig.dp.addGreTunnel("Tunnel1", Rig.WAN_IP, 0, 1001, false);
        rig.dp.setAddress(tun, ip("172.16.1.1"), 24);
        rig.wan.inject(greFrom(ip("203.0.113.99"), Packets.gre(0x0800, 1001, remoteUdp(64))));
        rig.wan.inject(greFrom(ip("203.0.113.99"), Packets.gre(0x0800, 1002, remoteUdp(64))));
        rig.step();
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertArrayEquals(Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, remoteUdp(63)), out.get(0));
        assertEquals(1, rig.dp.greInput().drops("no-tunnel"));
    }

    @Test
    void tunnelIpMtuWithDfSetSendsFragmentationNeededWithTheTunnelMtu()
    {
        final Interface tun = p2pTunnel(KEY, false);
        tun.mtu(1400);
        final byte[] big = hostUdp(REMOTE_HOST, 64, 0x4000, 1420 - 28);
        assertEquals(1420, big.length);
        rig.lan.inject(toLan(big));
        rig.step();
        assertEquals(0, rig.wan.takeSent().size(), "not sent into the tunnel");
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size());
        final byte[] f = out.get(0);
        assertEquals(Rig.HOST_MAC, mac(f, 0));
        assertEquals(0, checksum(f, ETH, 20));
        assertEquals(1, f[ETH + 9] & 0xff, "ICMP");
        assertEquals(Rig.HOST_IP, u32(f, ETH + 16));
        assertEquals(3, f[34] & 0xff, "destination unreachable");
        assertEquals(4, f[35] & 0xff, "fragmentation needed");
        assertEquals(0, u16(f, 36 + 2), "unused");
        assertEquals(1400, u16(f, 36 + 4), "next-hop MTU: the tunnel's ip mtu");
        assertEquals(0, checksum(f, 34, f.length - 34), "ICMP checksum");
        assertEquals(Rig.HOST_IP, u32(f, 42 + 12), "quotes the original header");
        assertEquals(REMOTE_HOST, u32(f, 42 + 16));
        assertEquals(1, rig.dp.greOutput().drops("fragmentation-needed"));

        // exactly the MTU fits
        rig.lan.inject(toLan(hostUdp(REMOTE_HOST, 64, 0x4000, 1400 - 28)));
        rig.step();
        final List<byte[]> sent = rig.wan.takeSent();
        assertEquals(1, sent.size());
        assertOuterGre(sent.get(0), PEER, 1400, 8);
    }

    private static byte[] synToRemote(final byte[] options, final int flagsFragment)
    {
        return Packets.ipv4(Rig.HOST_IP, REMOTE_HOST, 6, 64, 0x3333, flagsFragment,
            Packets.tcpSyn(Rig.HOST_IP, REMOTE_HOST, 40001, 80, options));
    }

    private static void assertMssAndChecksum(final byte[] ipv4, final int mssOffset, final int mss)
    {
        final int tcp = 20;
        assertEquals(mss, u16(ipv4, tcp + mssOffset), "MSS");
        assertEquals(0, Packets.transportChecksum(u32(ipv4, 12), u32(ipv4, 16), 6, ipv4, tcp, ipv4.length - tcp),
            "TCP checksum over the pseudo-header verifies");
        assertEquals(0, checksum(ipv4, 0, 20));
    }

    @Test
    void clampsTcpMssOfSynIntoTheTunnelAndKeepsTheChecksumValid()
    {
        final Interface tun = p2pTunnel(KEY, false);
        tun.mssClamp(1360);
        // MSS 1460 at an even option offset, then SACK-permitted, timestamps, window scale
        final byte[] evenOptions = {2, 4, 0x05, (byte)0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7};
        // a NOP first: the MSS value sits at an odd offset and straddles two checksum words
        final byte[] oddOptions = {1, 2, 4, 0x05, (byte)0xb4, 1, 1, 0};
        // already below the clamp: left alone
        final byte[] smallOptions = {2, 4, 0x04, (byte)0xb0};
        rig.lan.inject(toLan(synToRemote(evenOptions, 0x4000)));
        rig.lan.inject(toLan(synToRemote(oddOptions, 0x4000)));
        rig.lan.inject(toLan(synToRemote(smallOptions, 0x4000)));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(3, out.size(), rig.dp.dropSummary());
        final byte[] even = innerOf(out.get(0), 8);
        assertMssAndChecksum(even, 20 + 2, 1360);
        final byte[] odd = innerOf(out.get(1), 8);
        assertMssAndChecksum(odd, 20 + 3, 1360);
        final byte[] small = innerOf(out.get(2), 8);
        assertMssAndChecksum(small, 20 + 2, 1200);
        final byte[] expected = synToRemote(smallOptions, 0x4000);
        expected[8] = 63;
        final int c = checksum(withZeroChecksum(expected), 0, 20);
        expected[10] = (byte)(c >>> 8);
        expected[11] = (byte)c;
        assertArrayEquals(expected, small, "an MSS under the clamp is untouched");
    }

    @Test
    void clampsTcpMssOfSynComingOutOfTheTunnel()
    {
        final Interface tun = p2pTunnel(KEY, false);
        tun.mssClamp(1360);
        final byte[] syn = Packets.ipv4(REMOTE_HOST, Rig.HOST_IP, 6, 64, 0x3334, 0x4000,
            Packets.tcpSyn(REMOTE_HOST, Rig.HOST_IP, 80, 40001, new byte[]{2, 4, 0x05, (byte)0xb4}));
        rig.wan.inject(greFrom(PEER, Packets.gre(0x0800, KEY, syn)));
        rig.step();
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertMssAndChecksum(Arrays.copyOfRange(out.get(0), ETH, out.get(0).length), 20 + 2, 1360);
    }

    private static byte[] withZeroChecksum(final byte[] ipv4)
    {
        final byte[] copy = ipv4.clone();
        copy[10] = 0;
        copy[11] = 0;
        return copy;
    }

    @Test
    void sequencedTunnelNumbersOutputAndDropsOutOfOrderInput()
    {
        p2pTunnel(KEY, true);
        rig.lan.inject(toLan(hostUdp(REMOTE_HOST, 64, 0, 10)));
        rig.lan.inject(toLan(hostUdp(REMOTE_HOST, 64, 0, 11)));
        rig.step();
        final List<byte[]> sent = rig.wan.takeSent();
        assertEquals(2, sent.size());
        for (int i = 0; i < 2; i++)
        {
            final byte[] f = sent.get(i);
            assertOuterGre(f, PEER, 20 + 8 + 10 + i, 12);
            assertEquals(0x3000, u16(f, ETH + OUTER), "K and S");
            assertEquals(KEY, u32(f, ETH + OUTER + 4));
            assertEquals(i, u32(f, ETH + OUTER + 8), "sequence number");
            assertArrayEquals(hostUdp(REMOTE_HOST, 63, 0, 10 + i), innerOf(f, 12));
        }

        for (final int seq : new int[]{5, 3, 6, 6, 9})
        {
            rig.wan.inject(greFrom(PEER, Packets.greWithFlags(0x3000, 0x0800, KEY, seq, remoteUdp(64))));
        }
        rig.step();
        final List<byte[]> received = rig.lan.takeSent();
        assertEquals(3, received.size(), "5, 6 and 9 in; 3 and the repeated 6 are late");
        assertEquals(2, rig.dp.greInput().drops("sequence-out-of-order"));
        assertEquals(2, rig.dp.greTunnels().get(0).rxOutOfOrder());
        for (final byte[] f : received)
        {
            assertArrayEquals(Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, remoteUdp(63)), f);
        }
    }

    @Test
    void truncatedOptionalFieldsAreCountedNotRead()
    {
        p2pTunnel(KEY, false);
        // flags claim checksum, key and sequence (16 bytes) but only 8 follow the outer header
        rig.wan.inject(greFrom(PEER, new byte[]{(byte)0xb0, 0, 0x08, 0, 0, 0, 0, 0}));
        rig.wan.inject(greFrom(PEER, new byte[]{0x20, 0}));
        rig.step();
        assertEquals(2, rig.dp.greInput().drops("truncated"));
        assertTrue(rig.lan.takeSent().isEmpty());
    }

    @Test
    void pingToTheTunnelAddressIsAnsweredThroughTheTunnel()
    {
        p2pTunnel(KEY, false);
        final byte[] echo = Packets.ipv4(REMOTE_HOST, ip("172.16.0.1"), 1, 64, 0x4444, 0,
            Packets.icmpEcho(8, 9, 1, Packets.pattern(32, 1)));
        rig.wan.inject(greFrom(PEER, Packets.gre(0x0800, KEY, echo)));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        final byte[] inner = innerOf(out.get(0), 8);
        assertOuterGre(out.get(0), PEER, inner.length, 8);
        assertEquals(ip("172.16.0.1"), u32(inner, 12));
        assertEquals(REMOTE_HOST, u32(inner, 16));
        assertEquals(0, inner[20], "echo reply");
        assertEquals(0, checksum(inner, 20, inner.length - 20));
        assertArrayEquals(Arrays.copyOfRange(echo, 24, echo.length), Arrays.copyOfRange(inner, 24, inner.length),
            "identifier, sequence and data echoed");
    }

    @Test
    void ttlExpiringAfterDecapsulationIsReportedBackThroughTheTunnel()
    {
        p2pTunnel(KEY, false);
        rig.wan.inject(greFrom(PEER, Packets.gre(0x0800, KEY, remoteUdp(1))));
        rig.step();
        assertEquals(0, rig.lan.takeSent().size());
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        final byte[] inner = innerOf(out.get(0), 8);
        assertEquals(ip("172.16.0.1"), u32(inner, 12), "from the tunnel's address");
        assertEquals(REMOTE_HOST, u32(inner, 16));
        assertEquals(11, inner[20], "time exceeded");
        assertEquals(0, checksum(inner, 20, inner.length - 20));
        assertEquals(1, rig.dp.ip4Rewrite().drops("ttl-expired"));
    }

    @Test
    void outerPacketLargerThanTheWanMtuIsFragmentedWithDfClear()
    {
        p2pTunnel(KEY, false);
        final byte[] inner = hostUdp(REMOTE_HOST, 64, 0, 1476 - 28);
        rig.lan.inject(toLan(inner));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(2, out.size(), "1504-byte outer packet in two fragments");
        final byte[] joined = new byte[8 + inner.length];
        int total = 0;
        for (final byte[] f : out)
        {
            assertEquals(0, checksum(f, ETH, 20));
            assertEquals(47, f[ETH + 9] & 0xff);
            assertTrue(u16(f, ETH + 2) <= 1500);
            final int off = (u16(f, ETH + 6) & 0x1fff) * 8;
            final int n = u16(f, ETH + 2) - 20;
            System.arraycopy(f, ETH + 20, joined, off, n);
            total += n;
        }
        assertEquals(joined.length, total);
        assertEquals(0x2000, u16(joined, 0));
        assertEquals(KEY, u32(joined, 4));
        assertArrayEquals(hostUdp(REMOTE_HOST, 63, 0, 1476 - 28), Arrays.copyOfRange(joined, 8, joined.length));
    }

    @Test
    void tunnelDestinationRoutedIntoTheTunnelItselfIsDroppedNotLooped()
    {
        final Interface tun = p2pTunnel(KEY, false);
        // a misconfiguration IOS reports as "recursive routing": the way to the tunnel's destination is the tunnel
        rig.dp.addRoute(ip("198.51.100.0"), 24, tun, 0);
        final int free = rig.pool.available();
        rig.lan.inject(toLan(hostUdp(REMOTE_HOST, 64, 0, 20)));
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), rig::step,
            "the worker must not loop or run out of headroom");
        assertEquals(0, rig.wan.takeSent().size());
        assertEquals(1, rig.dp.greOutput().totalDrops(), "dropped and counted by gre-output: " + rig.dp.dropSummary());
        assertEquals(free, rig.pool.available(), "no frame lost");
    }

    @Test
    void checksumOverAnOddLengthPacketIsVerified()
    {
        p2pTunnel(KEY, false);
        final byte[] odd = Packets.ipv4(REMOTE_HOST, Rig.HOST_IP, 17, 64, 0x2223, 0, Packets.udp(9, 40000, Packets.pattern(61, 3)));
        rig.wan.inject(greFrom(PEER, Packets.greWithFlags(0x8000 | 0x2000, 0x0800, KEY, 0, odd)));
        rig.step();
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        final byte[] expected = Packets.ipv4(REMOTE_HOST, Rig.HOST_IP, 17, 63, 0x2223, 0, Packets.udp(9, 40000, Packets.pattern(61, 3)));
        assertArrayEquals(Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, expected), out.get(0));
    }

    @Test
    void ttlOneRoutedIntoTheTunnelIsTimeExceededNotEncapsulated()
    {
        p2pTunnel(KEY, false);
        rig.lan.inject(toLan(hostUdp(REMOTE_HOST, 1, 0, 10)));
        rig.step();
        assertEquals(0, rig.wan.takeSent().size());
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size());
        assertEquals(11, out.get(0)[34], "time exceeded");
        assertEquals(Rig.HOST_IP, u32(out.get(0), ETH + 16));
        assertEquals(1, rig.dp.greOutput().drops("ttl-expired"));
    }

    @Test
    void hubForwardsSpokeToSpokeTrafficBackIntoTheMultipointTunnel()
    {
        rig.learnNeighbours();
        final Interface tun = rig.dp.addGreTunnel("Tunnel1", Rig.WAN_IP, 0, 1001, false);
        rig.dp.setAddress(tun, ip("172.16.1.1"), 24);
        rig.dp.addRoute(ip("10.3.0.0"), 16, tun, ip("172.16.1.3"));
        rig.dp.mapMgrePeer(tun, ip("172.16.1.3"), ip("203.0.113.8"));
        final byte[] spokeToSpoke = Packets.ipv4(ip("10.6.0.1"), ip("10.3.0.1"), 17, 64, 0x6666, 0,
            Packets.udp(5, 6, Packets.pattern(40, 2)));
        rig.wan.inject(greFrom(ip("203.0.113.7"), Packets.gre(0x0800, 1001, spokeToSpoke)));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertOuterGre(out.get(0), ip("203.0.113.8"), spokeToSpoke.length, 8);
        assertEquals(1001, u32(out.get(0), ETH + OUTER + 4));
        assertArrayEquals(Packets.ipv4(ip("10.6.0.1"), ip("10.3.0.1"), 17, 63, 0x6666, 0,
            Packets.udp(5, 6, Packets.pattern(40, 2))), innerOf(out.get(0), 8), "TTL decremented once at the hub");
    }

    @Test
    void multipointTunnelWithSequenceNumbersKeepsThemPerPeerOrRefusesTheConfiguration()
    {
        rig.learnNeighbours();
        final Interface tun;
        try
        {
            tun = rig.dp.addGreTunnel("Tunnel1", Rig.WAN_IP, 0, 1001, true);
        }
        catch (final IllegalArgumentException refused)
        {
            return; // refusing sequence numbers on multipoint GRE is an acceptable answer
        }
        rig.dp.setAddress(tun, ip("172.16.1.1"), 24);
        // two spokes, each numbering its own packets from 0 (RFC 2890 2.2: per tunnel, i.e. per peer pair)
        rig.wan.inject(greFrom(ip("203.0.113.7"), Packets.greWithFlags(0x3000, 0x0800, 1001, 100, remoteUdp(64))));
        rig.wan.inject(greFrom(ip("203.0.113.8"), Packets.greWithFlags(0x3000, 0x0800, 1001, 0, remoteUdp(64))));
        rig.wan.inject(greFrom(ip("203.0.113.8"), Packets.greWithFlags(0x3000, 0x0800, 1001, 1, remoteUdp(64))));
        rig.step();
        assertEquals(3, rig.lan.takeSent().size(), "the second spoke's packets are in order for that spoke: " +
            rig.dp.dropSummary());
    }
}
