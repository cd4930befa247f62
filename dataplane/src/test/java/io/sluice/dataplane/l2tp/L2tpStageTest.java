package io.sluice.dataplane.l2tp;

import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.port.Port;
import io.sluice.dataplane.punt.PuntQueue;
import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import io.sluice.dataplane.testing.TestPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
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
 * L2TPv3 Ethernet pseudowires (over IP protocol 115 with an 8-byte cookie, over UDP 1701 with a
 * 4-byte cookie) and routed L2TPv2 PPP sessions on the test rig. Packets are built
 * independently ({@link Packets}) and every transmitted byte is checked.
 */
class L2tpStageTest
{
    private static final int ETH = 14;
    private static final int PEER_IP = ip("198.51.100.9");
    private static final int PEER_UDP = ip("198.51.100.10");
    private static final int LAC = ip("198.51.100.20");
    private static final int IP_LOCAL_SID = 0x1001;
    private static final int IP_REMOTE_SID = 0x2002;
    private static final long IP_LOCAL_COOKIE = 0x1122334455667788L;
    private static final long IP_REMOTE_COOKIE = 0x8877665544332211L;
    private static final int UDP_LOCAL_SID = 0x3003;
    private static final int UDP_REMOTE_SID = 0x4004;
    private static final long UDP_LOCAL_COOKIE = 0xcafebabeL;
    private static final long UDP_REMOTE_COOKIE = 0xdeadbeefL;
    private static final int REMOTE_HOST = ip("10.4.0.5");

    private final Rig rig = new Rig();
    private final TestPort xcIp = new TestPort("xc-ip", Port.LinkType.ETHERNET, rig.pool);
    private final TestPort xcUdp = new TestPort("xc-udp", Port.LinkType.ETHERNET, rig.pool);

    @AfterEach
    void tearDown()
    {
        rig.close();
    }

    private void pseudowires()
    {
        rig.learnNeighbours();
        final Interface a = rig.dp.addEthernet("xc0", xcIp, 0x0200_0000_0011L);
        final Interface b = rig.dp.addEthernet("xc1", xcUdp, 0x0200_0000_0012L);
        rig.dp.addL2tpv3Xconnect(a, L2tpSession.Encapsulation.IP, Rig.WAN_IP, PEER_IP, IP_LOCAL_SID, IP_REMOTE_SID,
            IP_LOCAL_COOKIE, IP_REMOTE_COOKIE, 8);
        rig.dp.addL2tpv3Xconnect(b, L2tpSession.Encapsulation.UDP, Rig.WAN_IP, PEER_UDP, UDP_LOCAL_SID,
            UDP_REMOTE_SID, UDP_LOCAL_COOKIE, UDP_REMOTE_COOKIE, 4);
    }

    /** Customer frames of every kind: they cross the pseudowire as they are. */
    private static List<byte[]> customerFrames()
    {
        return List.of(
            Packets.ethernet(0x02cc_0000_0001L, 0x02dd_0000_0002L, 0x0800,
                Packets.ipv4(ip("192.168.7.1"), ip("192.168.7.2"), 17, 64, 5, 0, Packets.udp(1, 2, Packets.pattern(80, 9)))),
            Packets.ethernet(0xffff_ffff_ffffL, 0x02dd_0000_0002L, 0x0806,
                Packets.concat(Packets.arp(1, 0x02dd_0000_0002L, ip("192.168.7.2"), 0, ip("192.168.7.1")), new byte[18])),
            Packets.ethernet(0x0180_c200_0000L, 0x02dd_0000_0002L, 0x8100, Packets.pattern(200, 77)),
            Packets.ethernet(0x3333_0000_0001L, 0x02dd_0000_0002L, 0x86dd, Packets.pattern(1400, 1)));
    }

    private static byte[] u32be(final long v)
    {
        return ByteBuffer.allocate(4).putInt((int)v).array();
    }

    private static byte[] u64be(final long v)
    {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static byte[] fromWan(final int src, final int protocol, final byte[] payload)
    {
        return Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, Packets.ipv4(src, Rig.WAN_IP, protocol, 60, 99, 0,
            payload));
    }

    /** L2TPv3 over UDP (RFC 3931 4.1.2.2): flags/version 0x0003, reserved, session ID, cookie, frame. */
    private static byte[] v3Udp(final int sessionId, final byte[] cookie, final byte[] frame)
    {
        return Packets.udp(1701, 1701, Packets.concat(new byte[]{0, 3, 0, 0}, u32be(sessionId), cookie, frame));
    }

    private static void assertOuter(final byte[] f, final int protocol, final int destination, final int ipLength)
    {
        assertEquals(Rig.ROUTER_MAC, mac(f, 0));
        assertEquals(Rig.WAN_MAC, mac(f, 6));
        assertEquals(0x0800, u16(f, 12));
        assertEquals(0x45, f[ETH] & 0xff);
        assertEquals(ipLength, u16(f, ETH + 2), "outer total length");
        assertEquals(ETH + ipLength, f.length);
        assertEquals(0, u16(f, ETH + 6), "not a fragment, DF clear");
        assertTrue((f[ETH + 8] & 0xff) > 1, "outer TTL");
        assertEquals(protocol, f[ETH + 9] & 0xff);
        assertEquals(0, checksum(f, ETH, 20), "outer header checksum");
        assertEquals(Rig.WAN_IP, u32(f, ETH + 12));
        assertEquals(destination, u32(f, ETH + 16));
    }

    private List<Object[]> drainPunts()
    {
        final List<Object[]> punted = new ArrayList<>();
        rig.dp.punts().drain((reason, iface, packet) -> punted.add(new Object[]{reason, iface, packet}), 100);
        return punted;
    }

    // ------------------------------------------------------------------ L2TPv3

    @Test
    void xconnectFrameLeavesOverIpWithSessionIdEightByteCookieAndTheFrameUnchanged()
    {
        pseudowires();
        final List<byte[]> frames = customerFrames();
        frames.forEach(xcIp::inject);
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(frames.size(), out.size(), rig.dp.dropSummary());
        for (int i = 0; i < frames.size(); i++)
        {
            final byte[] f = out.get(i);
            final byte[] frame = frames.get(i);
            assertOuter(f, 115, PEER_IP, 20 + 4 + 8 + frame.length);
            assertEquals(IP_REMOTE_SID, u32(f, ETH + 20), "the peer's session ID");
            assertArrayEquals(u64be(IP_REMOTE_COOKIE), Arrays.copyOfRange(f, ETH + 24, ETH + 32), "the peer's cookie");
            assertArrayEquals(frame, Arrays.copyOfRange(f, ETH + 32, f.length), "the whole Ethernet frame");
        }
        assertEquals(frames.size(), rig.dp.l2tpSessions().v3(IP_LOCAL_SID).txPackets());
    }

    @Test
    void xconnectFrameLeavesOverUdpWithSessionIdFourByteCookieAndTheFrameUnchanged()
    {
        pseudowires();
        final List<byte[]> frames = customerFrames();
        frames.forEach(xcUdp::inject);
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(frames.size(), out.size(), rig.dp.dropSummary());
        for (int i = 0; i < frames.size(); i++)
        {
            final byte[] f = out.get(i);
            final byte[] frame = frames.get(i);
            assertOuter(f, 17, PEER_UDP, 20 + 8 + 8 + 4 + frame.length);
            final int udp = ETH + 20;
            assertEquals(1701, u16(f, udp));
            assertEquals(1701, u16(f, udp + 2));
            assertEquals(8 + 8 + 4 + frame.length, u16(f, udp + 4), "UDP length");
            assertEquals(0, u16(f, udp + 6), "no UDP checksum");
            assertEquals(0x0003, u16(f, udp + 8), "T=0, version 3");
            assertEquals(0, u16(f, udp + 10), "reserved");
            assertEquals(UDP_REMOTE_SID, u32(f, udp + 12));
            assertEquals((int)UDP_REMOTE_COOKIE, u32(f, udp + 16));
            assertArrayEquals(frame, Arrays.copyOfRange(f, udp + 20, f.length));
        }
    }

    @Test
    void decapsulatedFrameLeavesTheXconnectPortByteIdentical()
    {
        pseudowires();
        final List<byte[]> frames = customerFrames();
        for (final byte[] frame : frames)
        {
            rig.wan.inject(fromWan(PEER_IP, 115, Packets.concat(u32be(IP_LOCAL_SID), u64be(IP_LOCAL_COOKIE), frame)));
            rig.wan.inject(fromWan(PEER_UDP, 17, v3Udp(UDP_LOCAL_SID, u32be(UDP_LOCAL_COOKIE), frame)));
        }
        rig.step();
        final List<byte[]> overIp = xcIp.takeSent();
        final List<byte[]> overUdp = xcUdp.takeSent();
        assertEquals(frames.size(), overIp.size(), rig.dp.dropSummary());
        assertEquals(frames.size(), overUdp.size(), rig.dp.dropSummary());
        for (int i = 0; i < frames.size(); i++)
        {
            assertArrayEquals(frames.get(i), overIp.get(i));
            assertArrayEquals(frames.get(i), overUdp.get(i));
        }
        assertEquals(0, rig.lan.takeSent().size());
        assertEquals(frames.size(), rig.dp.l2tpSessions().v3(UDP_LOCAL_SID).rxPackets());
    }

    @Test
    void badCookieUnknownSessionAndWrongPeerAreCounted()
    {
        pseudowires();
        final byte[] frame = customerFrames().get(0);
        // cookie: the one we send (the peer's) instead of ours, and one bit off
        rig.wan.inject(fromWan(PEER_IP, 115, Packets.concat(u32be(IP_LOCAL_SID), u64be(IP_REMOTE_COOKIE), frame)));
        rig.wan.inject(fromWan(PEER_IP, 115, Packets.concat(u32be(IP_LOCAL_SID), u64be(IP_LOCAL_COOKIE ^ 1), frame)));
        rig.wan.inject(fromWan(PEER_UDP, 17, v3Udp(UDP_LOCAL_SID, u32be(UDP_LOCAL_COOKIE ^ 0x80000000L), frame)));
        // unknown session IDs
        rig.wan.inject(fromWan(PEER_IP, 115, Packets.concat(u32be(0x7777), u64be(IP_LOCAL_COOKIE), frame)));
        rig.wan.inject(fromWan(PEER_UDP, 17, v3Udp(IP_REMOTE_SID, u32be(UDP_LOCAL_COOKIE), frame)));
        // right session, wrong sender; right session, wrong encapsulation
        rig.wan.inject(fromWan(PEER_UDP, 115, Packets.concat(u32be(IP_LOCAL_SID), u64be(IP_LOCAL_COOKIE), frame)));
        rig.wan.inject(fromWan(PEER_IP, 17, v3Udp(IP_LOCAL_SID, u64be(IP_LOCAL_COOKIE), frame)));
        rig.step();
        assertEquals(0, xcIp.takeSent().size());
        assertEquals(0, xcUdp.takeSent().size());
        final var in = rig.dp.l2tpv3Input();
        assertEquals(3, in.drops("bad-cookie"));
        assertEquals(2, in.drops("unknown-session"));
        assertEquals(2, in.drops("wrong-peer-or-encapsulation"));
        assertEquals(7, in.totalDrops());
    }

    @Test
    void sessionIdZeroOverIpIsAControlMessageAndPunted()
    {
        pseudowires();
        final byte[] control = Packets.concat(u32be(0), new byte[]{(byte)0xc8, 3, 0, 12}, Packets.pattern(8, 1));
        final byte[] packet = Packets.ipv4(PEER_IP, Rig.WAN_IP, 115, 60, 99, 0, control);
        rig.wan.inject(Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, packet));
        rig.step();
        final List<Object[]> punted = drainPunts();
        assertEquals(1, punted.size());
        assertEquals(PuntQueue.L2TP_CONTROL, punted.get(0)[0]);
        assertEquals(rig.wanIf.index(), punted.get(0)[1]);
        assertArrayEquals(packet, (byte[])punted.get(0)[2]);
        assertEquals(0, rig.dp.l2tpv3Input().totalDrops());
        assertEquals(0, xcIp.takeSent().size());
    }

    @Test
    void v3ControlMessageOverUdpIsPunted()
    {
        pseudowires();
        final byte[] control = Packets.udp(1701, 1701, Packets.concat(new byte[]{(byte)0xc8, 3, 0, 12},
            u32be(0), Packets.pattern(4, 1)));
        final byte[] packet = Packets.ipv4(PEER_UDP, Rig.WAN_IP, 17, 60, 99, 0, control);
        rig.wan.inject(Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, packet));
        rig.step();
        final List<Object[]> punted = drainPunts();
        assertEquals(1, punted.size());
        assertEquals(PuntQueue.L2TP_CONTROL, punted.get(0)[0]);
        assertArrayEquals(packet, (byte[])punted.get(0)[2]);
    }

    @Test
    void truncatedV3PacketsAreCounted()
    {
        pseudowires();
        rig.wan.inject(fromWan(PEER_IP, 115, new byte[]{0, 0, 0x10}));
        rig.wan.inject(fromWan(PEER_IP, 115, Packets.concat(u32be(IP_LOCAL_SID), u64be(IP_LOCAL_COOKIE), new byte[13])));
        rig.wan.inject(fromWan(PEER_UDP, 17, Packets.udp(1701, 1701, new byte[]{0, 3, 0, 0, 0, 0})));
        rig.step();
        assertEquals(1, rig.dp.ip4Local().drops("truncated"));
        assertEquals(2, rig.dp.l2tpv3Input().drops("truncated"));
        assertEquals(0, xcIp.takeSent().size());
    }

    // ------------------------------------------------------------------ L2TPv2

    private Interface v2Session(final String name, final int localTunnel, final int localSession, final int remoteTunnel,
        final int remoteSession, final boolean sequencing, final boolean lengthBit, final int prefix)
    {
        final Interface s = rig.dp.addL2tpv2Session(name, Rig.WAN_IP, LAC, localTunnel, localSession, remoteTunnel,
            remoteSession, sequencing, lengthBit);
        rig.dp.addRoute(prefix, 24, s, 0);
        return s;
    }

    private static byte[] remoteUdp(final int ttl, final int seed)
    {
        return Packets.ipv4(REMOTE_HOST, Rig.HOST_IP, 17, ttl, 0x5555, 0,
            Packets.udp(9, 40000, Packets.pattern(50, seed)));
    }

    private static byte[] toHost(final byte[] ipv4)
    {
        return Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, ipv4);
    }

    private static byte[] v2FromLac(final byte[] l2tp)
    {
        return fromWan(LAC, 17, Packets.udp(1701, 1701, l2tp));
    }

    @Test
    void pppIpv4FromL2tpv2SessionIsDecapsulatedAndRoutedInEveryHeaderForm()
    {
        rig.learnNeighbours();
        v2Session("Virtual-Access1", 100, 200, 300, 400, false, false, ip("10.4.0.0"));
        final byte[][] forms = {
            Packets.l2tpv2(0, 100, 200, 0, 0, 0, Packets.ppp(true, false, 0x0021, remoteUdp(64, 1))),
            Packets.l2tpv2(0, 100, 200, 0, 0, 0, Packets.ppp(false, false, 0x0021, remoteUdp(64, 2))),
            Packets.l2tpv2(0, 100, 200, 0, 0, 0, Packets.ppp(true, true, 0x21, remoteUdp(64, 3))),
            Packets.l2tpv2(0x4000 | 0x0800, 100, 200, 17, 4, 0, Packets.ppp(true, false, 0x0021, remoteUdp(64, 4))),
            Packets.l2tpv2(0x0200, 100, 200, 0, 0, 6, Packets.ppp(true, false, 0x0021, remoteUdp(64, 5))),
            Packets.l2tpv2(0x4000 | 0x0800 | 0x0200, 100, 200, 1, 2, 3, Packets.ppp(false, true, 0x21, remoteUdp(64, 6))),
            Packets.l2tpv2(0x0100, 100, 200, 0, 0, 0, Packets.ppp(true, false, 0x0021, remoteUdp(64, 7))),
        };
        for (final byte[] l2tp : forms)
        {
            rig.wan.inject(v2FromLac(l2tp));
        }
        rig.step();
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(forms.length, out.size(), rig.dp.dropSummary());
        for (int i = 0; i < forms.length; i++)
        {
            assertArrayEquals(toHost(remoteUdp(63, i + 1)), out.get(i), "form " + i);
        }
        assertEquals(forms.length, rig.dp.l2tpSessions().v2(100, 200).rxPackets());
    }

    @Test
    void routeIntoL2tpv2SessionEncapsulatesInPppWithTheRemoteIds()
    {
        rig.learnNeighbours();
        v2Session("Virtual-Access1", 100, 200, 300, 400, false, false, ip("10.4.0.0"));
        v2Session("Virtual-Access2", 101, 201, 301, 401, true, true, ip("10.5.0.0"));
        final byte[] toA = Packets.ipv4(Rig.HOST_IP, REMOTE_HOST, 17, 64, 1, 0, Packets.udp(1, 2, Packets.pattern(30, 0)));
        final byte[] toB = Packets.ipv4(Rig.HOST_IP, ip("10.5.0.7"), 17, 64, 2, 0, Packets.udp(1, 2, Packets.pattern(31, 0)));
        rig.lan.inject(Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, toA));
        rig.lan.inject(Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, toB));
        rig.lan.inject(Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, toB));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(3, out.size(), rig.dp.dropSummary());

        final byte[] a = out.get(0);
        assertOuter(a, 17, LAC, 20 + 8 + 6 + 4 + toA.length);
        final int udp = ETH + 20;
        assertEquals(1701, u16(a, udp));
        assertEquals(1701, u16(a, udp + 2));
        assertEquals(8 + 6 + 4 + toA.length, u16(a, udp + 4));
        final byte[] expectedA = Packets.l2tpv2(0, 300, 400, 0, 0, 0, Packets.ppp(true, false, 0x0021,
            Packets.ipv4(Rig.HOST_IP, REMOTE_HOST, 17, 63, 1, 0, Packets.udp(1, 2, Packets.pattern(30, 0)))));
        assertArrayEquals(expectedA, Arrays.copyOfRange(a, udp + 8, a.length), "L2TP 0x0002, 300/400, PPP ff03 0021");

        for (int n = 0; n < 2; n++)
        {
            final byte[] b = out.get(1 + n);
            assertOuter(b, 17, LAC, 20 + 8 + 12 + 4 + toB.length);
            final byte[] expectedB = Packets.l2tpv2(0x4000 | 0x0800, 301, 401, n, 0, 0, Packets.ppp(true, false, 0x0021,
                Packets.ipv4(Rig.HOST_IP, ip("10.5.0.7"), 17, 63, 2, 0, Packets.udp(1, 2, Packets.pattern(31, 0)))));
            assertArrayEquals(expectedB, Arrays.copyOfRange(b, udp + 8, b.length), "length, Ns " + n);
        }
    }

    @Test
    void unknownV2SessionOrWrongSenderIsCounted()
    {
        rig.learnNeighbours();
        v2Session("Virtual-Access1", 100, 200, 300, 400, false, false, ip("10.4.0.0"));
        final byte[] ppp = Packets.ppp(true, false, 0x0021, remoteUdp(64, 1));
        rig.wan.inject(v2FromLac(Packets.l2tpv2(0, 100, 201, 0, 0, 0, ppp)));
        rig.wan.inject(v2FromLac(Packets.l2tpv2(0, 300, 400, 0, 0, 0, ppp)));
        rig.wan.inject(fromWan(ip("198.51.100.21"), 17, Packets.udp(1701, 1701, Packets.l2tpv2(0, 100, 200, 0, 0, 0, ppp))));
        rig.step();
        assertEquals(0, rig.lan.takeSent().size());
        assertEquals(3, rig.dp.l2tpv2Input().drops("unknown-session"));
        assertEquals(3, rig.dp.l2tpv2Input().totalDrops());
    }

    @Test
    void malformedV2HeadersAreCounted()
    {
        rig.learnNeighbours();
        v2Session("Virtual-Access1", 100, 200, 300, 400, false, false, ip("10.4.0.0"));
        final byte[] ppp = Packets.ppp(true, false, 0x0021, remoteUdp(64, 1));
        final byte[] lying = Packets.l2tpv2(0x4000, 100, 200, 0, 0, 0, ppp);
        lying[3]++; // the length field no longer matches
        rig.wan.inject(v2FromLac(lying));
        final byte[] reserved = Packets.l2tpv2(0, 100, 200, 0, 0, 0, ppp);
        reserved[1] |= 0x10;
        rig.wan.inject(v2FromLac(reserved));
        rig.wan.inject(v2FromLac(new byte[]{0, 2, 0, 100}));
        final byte[] offsetPastTheEnd = Packets.l2tpv2(0x0200, 100, 200, 0, 0, 2, new byte[4]);
        offsetPastTheEnd[7] = (byte)200; // offset size 200, 6 bytes follow
        rig.wan.inject(v2FromLac(offsetPastTheEnd));
        rig.step();
        assertEquals(0, rig.lan.takeSent().size());
        final var in = rig.dp.l2tpv2Input();
        assertEquals(1, in.drops("bad-length"), rig.dp.dropSummary());
        assertEquals(1, in.drops("reserved-bits-set"));
        assertEquals(2, in.drops("truncated"));
    }

    @Test
    void pppLcpIsPuntedWithTheSessionInterface()
    {
        rig.learnNeighbours();
        final Interface session = v2Session("Virtual-Access1", 100, 200, 300, 400, false, false, ip("10.4.0.0"));
        final byte[] lcpEcho = {9, 1, 0, 8, 0x12, 0x34, 0x56, 0x78};
        final byte[] packet = Packets.ipv4(LAC, Rig.WAN_IP, 17, 60, 99, 0,
            Packets.udp(1701, 1701, Packets.l2tpv2(0, 100, 200, 0, 0, 0, Packets.ppp(true, false, 0xc021, lcpEcho))));
        rig.wan.inject(Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, packet));
        rig.step();
        final List<Object[]> punted = drainPunts();
        assertEquals(1, punted.size());
        assertEquals(PuntQueue.L2TP_CONTROL, punted.get(0)[0]);
        assertEquals(session.index(), punted.get(0)[1]);
        assertArrayEquals(packet, (byte[])punted.get(0)[2]);
        assertEquals(0, rig.lan.takeSent().size());
    }

    @Test
    void v2MessageWithTBitIsPuntedAsControl()
    {
        rig.learnNeighbours();
        v2Session("Virtual-Access1", 100, 200, 300, 400, false, false, ip("10.4.0.0"));
        // a ZLB ack: T, L, S set, length 12, tunnel 100, session 0, Ns, Nr
        final byte[] zlb = {(byte)0xc8, 0x02, 0, 12, 0, 100, 0, 0, 0, 3, 0, 5};
        final byte[] packet = Packets.ipv4(LAC, Rig.WAN_IP, 17, 60, 99, 0, Packets.udp(1701, 1701, zlb));
        rig.wan.inject(Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, packet));
        rig.step();
        final List<Object[]> punted = drainPunts();
        assertEquals(1, punted.size());
        assertEquals(PuntQueue.L2TP_CONTROL, punted.get(0)[0]);
        assertEquals(rig.wanIf.index(), punted.get(0)[1]);
        assertArrayEquals(packet, (byte[])punted.get(0)[2]);
        assertEquals(0, rig.dp.l2tpv2Input().totalDrops());
    }

    @Test
    void sessionMtuWithDfSetSendsFragmentationNeeded()
    {
        rig.learnNeighbours();
        v2Session("Virtual-Access1", 100, 200, 300, 400, false, false, ip("10.4.0.0"));
        final byte[] big = Packets.ipv4(Rig.HOST_IP, REMOTE_HOST, 17, 64, 1, 0x4000, Packets.udp(1, 2, new byte[1452]));
        rig.lan.inject(Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, big));
        rig.step();
        assertEquals(0, rig.wan.takeSent().size());
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size());
        assertEquals(3, out.get(0)[34]);
        assertEquals(4, out.get(0)[35]);
        assertEquals(1460, u16(out.get(0), 40), "the session's MTU");
        assertEquals(1, rig.dp.graph().node("l2tpv2-output").drops("fragmentation-needed"));
    }

    @Test
    void lacAddressRoutedIntoItsOwnSessionIsDroppedNotLooped()
    {
        rig.learnNeighbours();
        final Interface session = v2Session("Virtual-Access1", 100, 200, 300, 400, false, false, ip("10.4.0.0"));
        rig.dp.addRoute(LAC, 32, session, 0); // recursive: the way to the LAC is the session itself
        final int free = rig.pool.available();
        rig.lan.inject(Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800,
            Packets.ipv4(Rig.HOST_IP, REMOTE_HOST, 17, 64, 1, 0, Packets.udp(1, 2, new byte[10]))));
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), rig::step,
            "the worker must not loop or run out of headroom");
        assertEquals(0, rig.wan.takeSent().size());
        assertEquals(1, rig.dp.graph().node("l2tpv2-output").totalDrops(), rig.dp.dropSummary());
        assertEquals(free, rig.pool.available(), "no frame lost");
    }

    @Test
    void fullSizeCustomerFrameIsFragmentedOutboundAndReassembledInbound()
    {
        pseudowires();
        final byte[] frame = Packets.ethernet(0x02cc_0000_0001L, 0x02dd_0000_0002L, 0x0800,
            Packets.ipv4(ip("192.168.7.1"), ip("192.168.7.2"), 17, 64, 5, 0x4000, Packets.udp(1, 2, Packets.pattern(1472, 3))));
        assertEquals(1514, frame.length);
        xcIp.inject(frame);
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(2, out.size(), "a 1546-byte outer packet in two fragments: " + rig.dp.dropSummary());
        final byte[] joined = new byte[4 + 8 + frame.length];
        for (final byte[] f : out)
        {
            assertEquals(0, checksum(f, ETH, 20));
            assertEquals(115, f[ETH + 9]);
            assertTrue(u16(f, ETH + 2) <= 1500);
            final int off = (u16(f, ETH + 6) & 0x1fff) * 8;
            System.arraycopy(f, ETH + 20, joined, off, u16(f, ETH + 2) - 20);
        }
        assertArrayEquals(Packets.concat(u32be(IP_REMOTE_SID), u64be(IP_REMOTE_COOKIE), frame), joined);

        // the peer's fragments of the same size come back together and out of the port
        final byte[] whole = Packets.concat(u32be(IP_LOCAL_SID), u64be(IP_LOCAL_COOKIE), frame);
        final byte[] first = Arrays.copyOfRange(whole, 0, 1480);
        final byte[] second = Arrays.copyOfRange(whole, 1480, whole.length);
        rig.wan.inject(Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800,
            Packets.ipv4(PEER_IP, Rig.WAN_IP, 115, 60, 4321, 1480 / 8, second)));
        rig.wan.inject(Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800,
            Packets.ipv4(PEER_IP, Rig.WAN_IP, 115, 60, 4321, 0x2000, first)));
        rig.step();
        final List<byte[]> delivered = xcIp.takeSent();
        assertEquals(1, delivered.size(), rig.dp.dropSummary());
        assertArrayEquals(frame, delivered.get(0));
    }

    @Test
    void v3OverUdpFrameEndsWhereTheUdpDatagramEnds()
    {
        pseudowires();
        final byte[] frame = customerFrames().get(0);
        // 4 bytes after the UDP datagram inside the IPv4 packet: not part of the L2TP message (RFC 768)
        final byte[] udp = Packets.concat(v3Udp(UDP_LOCAL_SID, u32be(UDP_LOCAL_COOKIE), frame), new byte[]{1, 2, 3, 4});
        rig.wan.inject(fromWan(PEER_UDP, 17, udp));
        rig.step();
        final List<byte[]> out = xcUdp.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertArrayEquals(frame, out.get(0), "the customer frame without the bytes after the UDP datagram");
    }

    @Test
    void pseudowireToAPeerReachedThroughAGreTunnelIsWrappedInBoth()
    {
        pseudowires();
        // the pseudowire's far end is reachable only across a GRE overlay (L2TPv3 over DMVPN): not recursion
        final int grePeer = ip("203.0.113.50");
        final Interface tun = rig.dp.addGreTunnel("Tunnel0", Rig.WAN_IP, grePeer, 42, false);
        rig.dp.addRoute(PEER_IP, 32, tun, 0);
        final byte[] frame = customerFrames().get(0);
        xcIp.inject(frame);
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        final byte[] f = out.get(0);
        final int l2tpPacket = 20 + 4 + 8 + frame.length;
        assertOuter(f, 47, grePeer, 20 + 8 + l2tpPacket);
        assertEquals(0x2000, u16(f, ETH + 20));
        assertEquals(0x0800, u16(f, ETH + 22));
        assertEquals(42, u32(f, ETH + 24));
        final byte[] inner = Arrays.copyOfRange(f, ETH + 28, f.length);
        assertEquals(l2tpPacket, u16(inner, 2));
        assertEquals(115, inner[9]);
        assertEquals(0, checksum(inner, 0, 20));
        assertEquals(Rig.WAN_IP, u32(inner, 12));
        assertEquals(PEER_IP, u32(inner, 16));
        assertArrayEquals(Packets.concat(u32be(IP_REMOTE_SID), u64be(IP_REMOTE_COOKIE), frame),
            Arrays.copyOfRange(inner, 20, inner.length));
    }

    @Test
    void tcpMssIsClampedOnSynsIntoAndOutOfAnL2tpv2SessionWithAdjustMss()
    {
        rig.learnNeighbours();
        final Interface session = v2Session("Virtual-Access1", 100, 200, 300, 400, false, false, ip("10.4.0.0"));
        session.mssClamp(1380); // ip tcp adjust-mss 1380 on the virtual-access interface
        final byte[] mss1460 = {2, 4, 0x05, (byte)0xb4};
        final byte[] out = Packets.ipv4(Rig.HOST_IP, REMOTE_HOST, 6, 64, 1, 0x4000,
            Packets.tcpSyn(Rig.HOST_IP, REMOTE_HOST, 40001, 443, mss1460));
        final byte[] in = Packets.ipv4(REMOTE_HOST, Rig.HOST_IP, 6, 64, 2, 0x4000,
            Packets.tcpSyn(REMOTE_HOST, Rig.HOST_IP, 443, 40001, mss1460));
        rig.lan.inject(Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, out));
        rig.wan.inject(v2FromLac(Packets.l2tpv2(0, 100, 200, 0, 0, 0, Packets.ppp(true, false, 0x0021, in))));
        rig.step();
        final List<byte[]> wanOut = rig.wan.takeSent();
        final List<byte[]> lanOut = rig.lan.takeSent();
        assertEquals(1, wanOut.size(), rig.dp.dropSummary());
        assertEquals(1, lanOut.size(), rig.dp.dropSummary());
        final byte[] sent = Arrays.copyOfRange(wanOut.get(0), ETH + 20 + 8 + 6 + 4, wanOut.get(0).length);
        final byte[] received = Arrays.copyOfRange(lanOut.get(0), ETH, lanOut.get(0).length);
        for (final byte[] p : List.of(sent, received))
        {
            assertEquals(1380, u16(p, 20 + 22), "MSS clamped");
            assertEquals(0, Packets.transportChecksum(u32(p, 12), u32(p, 16), 6, p, 20, p.length - 20), "TCP checksum");
        }
    }
}
