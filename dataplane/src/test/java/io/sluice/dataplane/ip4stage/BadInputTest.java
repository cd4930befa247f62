package io.sluice.dataplane.ip4stage;

import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.punt.PuntQueue;
import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import io.sluice.dataplane.testing.TestPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.sluice.dataplane.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed input at every layer, interleaved with good packets: every good packet arrives
 * byte for byte, every bad one raises exactly its own drop counter and nothing else, and no
 * frame is lost. Then the control-traffic punts of ip4-local and reassembly of outer packets.
 */
class BadInputTest
{
    private static final int PEER = ip("198.51.100.2");
    private static final int KEY = 77;
    private static final int INTERNET = ip("8.8.8.8");
    private static final int LAC = ip("198.51.100.20");

    private final Rig rig = new Rig();

    @BeforeEach
    void setUp()
    {
        rig.learnNeighbours();
        final Interface tun = rig.dp.addGreTunnel("Tunnel0", Rig.WAN_IP, PEER, KEY, false);
        rig.dp.setAddress(tun, ip("172.16.0.1"), 30);
        rig.dp.addRoute(ip("10.2.0.0"), 16, tun, 0);
        rig.dp.addL2tpv2Session("Virtual-Access1", Rig.WAN_IP, LAC, 100, 200, 300, 400, false, false);
    }

    @AfterEach
    void tearDown()
    {
        rig.close();
    }

    /** A case: a frame for a port, and either the frame expected out of a port or the one counter it must raise. */
    private record Case(String what, TestPort in, byte[] frame, TestPort outPort, byte[] expected, String counter)
    {
    }

    private static byte[] wanFrame(final byte[] ipv4)
    {
        return Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, ipv4);
    }

    private static byte[] toUs(final int protocol, final byte[] payload)
    {
        return Packets.ipv4(INTERNET, Rig.WAN_IP, protocol, 60, 0x0101, 0, payload);
    }

    private static byte[] fixChecksum(final byte[] ipv4)
    {
        ipv4[10] = 0;
        ipv4[11] = 0;
        final int hl = (ipv4[0] & 0x0f) * 4;
        final int c = Packets.checksum(ipv4, 0, Math.max(hl, 20));
        ipv4[10] = (byte)(c >>> 8);
        ipv4[11] = (byte)c;
        return ipv4;
    }

    private static byte[] internetToHost(final int ttl, final int seed)
    {
        return Packets.ipv4(INTERNET, Rig.HOST_IP, 17, ttl, 0x1000 + seed, 0, Packets.udp(53, 40000, Packets.pattern(40 + seed, seed)));
    }

    private static byte[] hostToInternet(final int ttl, final int seed)
    {
        return Packets.ipv4(Rig.HOST_IP, ip("8.8.4.4"), 17, ttl, 0x2000 + seed, 0, Packets.udp(40000, 53, Packets.pattern(30 + seed, seed)));
    }

    private static byte[] tunnelToHost(final int ttl, final int seed)
    {
        return Packets.ipv4(ip("10.2.0.5"), Rig.HOST_IP, 17, ttl, 0x3000 + seed, 0, Packets.udp(7, 40000, Packets.pattern(20 + seed, seed)));
    }

    private List<Case> cases()
    {
        final TestPort lan = rig.lan;
        final TestPort wan = rig.wan;
        final List<Case> c = new ArrayList<>();
        int seed = 1;

        c.add(good("forwarded from the Internet", wan, wanFrame(internetToHost(64, seed)), lan,
            Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, internetToHost(63, seed++))));
        c.add(bad("runt Ethernet", lan, new byte[10], "ethernet-input:runt"));
        c.add(bad("unicast to another MAC", wan,
            Packets.ethernet(0x02ee_0000_0001L, Rig.ROUTER_MAC, 0x0800, internetToHost(64, 99)), "ethernet-input:not-for-us"));

        c.add(good("forwarded to the Internet", lan, Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, hostToInternet(64, seed)), wan,
            Packets.ethernet(Rig.ROUTER_MAC, Rig.WAN_MAC, 0x0800, hostToInternet(63, seed++))));
        final byte[] v6 = internetToHost(64, 98);
        v6[0] = 0x65;
        c.add(bad("IPv4 ethertype, version 6", wan, wanFrame(fixChecksum(v6)), "ip4-input:bad-version"));
        final byte[] ihl4 = internetToHost(64, 98);
        ihl4[0] = 0x44;
        c.add(bad("IHL 4", wan, wanFrame(fixChecksum(ihl4)), "ip4-input:bad-header-length"));
        c.add(bad("shorter than an IPv4 header", wan, wanFrame(new byte[]{0x45, 0, 0, 19, 0, 0, 0, 0, 64, 17}),
            "ip4-input:too-short"));

        c.add(good("GRE from the tunnel peer", wan,
            wanFrame(Packets.ipv4(PEER, Rig.WAN_IP, 47, 60, 0x0202, 0, Packets.gre(0x0800, KEY, tunnelToHost(64, seed)))), lan,
            Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, tunnelToHost(63, seed++))));
        final byte[] longer = internetToHost(64, 97);
        longer[2] = 0;
        longer[3] = (byte)(longer.length + 1);
        c.add(bad("total length beyond the frame", wan, wanFrame(fixChecksum(longer)), "ip4-input:bad-total-length"));
        final byte[] badSum = internetToHost(64, 97);
        badSum[11] ^= 1;
        c.add(bad("header checksum wrong", wan, wanFrame(badSum), "ip4-input:bad-checksum"));
        c.add(bad("loopback source", wan, wanFrame(Packets.ipv4(ip("127.0.0.1"), Rig.HOST_IP, 17, 64, 1, 0,
            Packets.udp(1, 2, new byte[4]))), "ip4-input:martian-source"));

        c.add(good("ping to our WAN address", wan, wanFrame(Packets.ipv4(INTERNET, Rig.WAN_IP, 1, 60, 0x0303, 0,
            Packets.icmpEcho(8, 5, 6, Packets.pattern(24, 5)))), wan,
            Packets.ethernet(Rig.ROUTER_MAC, Rig.WAN_MAC, 0x0800, echoReply())));
        c.add(bad("truncated UDP header", wan, wanFrame(toUs(17, new byte[]{0x13, (byte)0x88, 0x11})), "ip4-local:truncated"));
        final byte[] udpLies = Packets.udp(4000, 5000, new byte[8]);
        udpLies[5] = 40; // UDP length 40 in a 16-byte datagram
        c.add(bad("UDP length beyond the packet", wan, wanFrame(toUs(17, udpLies)), "ip4-local:truncated"));
        c.add(bad("truncated GRE", wan, wanFrame(Packets.ipv4(PEER, Rig.WAN_IP, 47, 60, 1, 0, new byte[]{0x20, 0})),
            "gre-input:truncated"));
        c.add(bad("GRE flags claiming a key and sequence number that are not there", wan,
            wanFrame(Packets.ipv4(PEER, Rig.WAN_IP, 47, 60, 1, 0, new byte[]{0x30, 0, 0x08, 0, 0, 0, 0, KEY})),
            "gre-input:truncated"));
        final byte[] innerLies = tunnelToHost(64, 96);
        innerLies[2] = 0x05; // inner total length 1300 in a 136-byte GRE payload
        innerLies[3] = 0x14;
        c.add(bad("GRE whose inner IPv4 claims more than the GRE payload", wan,
            wanFrame(Packets.ipv4(PEER, Rig.WAN_IP, 47, 60, 1, 0, Packets.gre(0x0800, KEY, fixChecksum(innerLies)))),
            "ip4-input:bad-total-length"));

        c.add(good("forwarded from the Internet again", wan, wanFrame(internetToHost(64, seed)), lan,
            Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, internetToHost(63, seed++))));
        c.add(bad("truncated L2TPv3 over IP", wan, wanFrame(Packets.ipv4(LAC, Rig.WAN_IP, 115, 60, 1, 0, new byte[]{0, 0})),
            "ip4-local:truncated"));
        c.add(bad("truncated L2TPv2 header", wan,
            wanFrame(Packets.ipv4(LAC, Rig.WAN_IP, 17, 60, 1, 0, Packets.udp(1701, 1701, new byte[]{0, 2, 0, 100}))),
            "l2tpv2-input:truncated"));
        c.add(bad("L2TP over UDP with a single byte", wan,
            wanFrame(Packets.ipv4(LAC, Rig.WAN_IP, 17, 60, 1, 0, Packets.udp(1701, 1701, new byte[]{0}))),
            "ip4-local:truncated"));
        c.add(good("PPP from the L2TPv2 session", wan, wanFrame(Packets.ipv4(LAC, Rig.WAN_IP, 17, 60, 1, 0,
                Packets.udp(1701, 1701, Packets.l2tpv2(0, 100, 200, 0, 0, 0, Packets.ppp(true, false, 0x21,
                    tunnelToHost(64, seed)))))), lan,
            Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, tunnelToHost(63, seed++))));
        c.add(bad("UDP to a closed port", wan, wanFrame(toUs(17, Packets.udp(4000, 5353, new byte[12]))), "ip4-local:closed-port"));
        c.add(bad("TCP to us", wan, wanFrame(toUs(6, Packets.tcpSyn(INTERNET, Rig.WAN_IP, 4000, 22, new byte[0]))),
            "ip4-local:closed-protocol"));
        c.add(bad("ICMP that is not an echo request", wan, wanFrame(toUs(1, Packets.icmpEcho(0, 1, 1, new byte[8]))),
            "ip4-local:icmp-not-echo"));
        c.add(bad("first fragment of a datagram whose rest never comes", wan,
            wanFrame(Packets.ipv4(INTERNET, Rig.WAN_IP, 17, 60, 0x0999, 0x2000, new byte[64])), "ip4-local:fragment-held"));
        c.add(bad("last fragment of it", wan,
            wanFrame(Packets.ipv4(INTERNET, Rig.WAN_IP, 17, 60, 0x0999, 16, new byte[10])), "ip4-local:fragment-held"));
        c.add(bad("IPv6", wan, Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x86dd, new byte[40]),
            "ethernet-input:ipv6-unsupported"));
        c.add(good("forwarded to the Internet again", lan, Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, hostToInternet(64, seed)), wan,
            Packets.ethernet(Rig.ROUTER_MAC, Rig.WAN_MAC, 0x0800, hostToInternet(63, seed++))));
        return c;
    }

    private static byte[] echoReply()
    {
        final byte[] icmp = Packets.icmpEcho(0, 5, 6, Packets.pattern(24, 5));
        return Packets.ipv4(Rig.WAN_IP, INTERNET, 1, 64, 0x0303, 0, icmp);
    }

    private static Case good(final String what, final TestPort in, final byte[] frame, final TestPort out, final byte[] expected)
    {
        return new Case(what, in, frame, out, expected, null);
    }

    private static Case bad(final String what, final TestPort in, final byte[] frame, final String counter)
    {
        return new Case(what, in, frame, null, null, counter);
    }

    /** Every non-zero drop counter of every node, as "node:reason" -> count. */
    private Map<String, Long> counters()
    {
        final Map<String, Long> all = new TreeMap<>();
        for (final Node n : rig.dp.graph().nodes())
        {
            for (int i = 0; i < n.dropReasonCount(); i++)
            {
                if (n.drops(i) != 0)
                {
                    all.put(n.name() + ":" + n.dropReason(i), n.drops(i));
                }
            }
        }
        return all;
    }

    private static Map<String, Long> minus(final Map<String, Long> after, final Map<String, Long> before)
    {
        final Map<String, Long> d = new TreeMap<>();
        after.forEach((k, v) ->
        {
            final long delta = v - before.getOrDefault(k, 0L);
            if (delta != 0)
            {
                d.put(k, delta);
            }
        });
        return d;
    }

    @Test
    void everyGoodPacketArrivesAndEveryBadOneRaisesExactlyItsCounter()
    {
        final List<Case> cases = cases();
        final int free = rig.pool.available();

        // one at a time: each bad packet's counter is attributed to it alone
        for (final Case c : cases)
        {
            final Map<String, Long> before = counters();
            c.in().inject(c.frame());
            rig.step();
            final List<byte[]> lanOut = rig.lan.takeSent();
            final List<byte[]> wanOut = rig.wan.takeSent();
            final Map<String, Long> delta = minus(counters(), before);
            if (c.counter() == null)
            {
                assertEquals(Map.of(), delta, c.what());
                final List<byte[]> out = c.outPort() == rig.lan ? lanOut : wanOut;
                assertEquals(1, out.size(), c.what());
                assertEquals(0, (c.outPort() == rig.lan ? wanOut : lanOut).size(), c.what());
                assertArrayEquals(c.expected(), out.get(0), c.what());
            }
            else
            {
                assertEquals(Map.of(c.counter(), 1L), delta, c.what());
                assertEquals(0, lanOut.size() + wanOut.size(), c.what() + ": nothing sent");
            }
        }
        assertEquals(1, rig.dp.reassembler().inProgress(), "the incomplete datagram waits for its timeout");

        // all at once, in one burst per port: the same counters again and every good packet out
        final Map<String, Long> before = counters();
        for (final Case c : cases)
        {
            c.in().inject(c.frame());
        }
        rig.step();
        final Map<String, Long> expected = new TreeMap<>();
        for (final Case c : cases)
        {
            if (c.counter() != null)
            {
                expected.merge(c.counter(), 1L, Long::sum);
            }
        }
        // the second copy of each fragment lands in the same still-incomplete datagram
        assertEquals(expected, minus(counters(), before));
        final List<byte[]> lanOut = rig.lan.takeSent();
        final List<byte[]> wanOut = rig.wan.takeSent();
        assertSameFrames(cases.stream().filter(c -> c.outPort() == rig.lan).map(Case::expected).toList(), lanOut);
        assertSameFrames(cases.stream().filter(c -> c.outPort() == rig.wan).map(Case::expected).toList(), wanOut);

        assertEquals(free - 1, rig.pool.available(), "only the incomplete datagram's reassembly frame is in use");
    }

    private static void assertSameFrames(final List<byte[]> expected, final List<byte[]> actual)
    {
        final List<String> e = new ArrayList<>(expected.stream().map(Packets::hex).sorted().toList());
        final List<String> a = new ArrayList<>(actual.stream().map(Packets::hex).sorted().toList());
        assertEquals(e, a);
    }

    // ------------------------------------------------------------------ punts

    @Test
    void ikeAndNonEspMarkedNattArePuntedAndKeepalivesCounted()
    {
        final byte[] ike = toUs(17, Packets.udp(500, 500, Packets.pattern(28, 1)));
        final byte[] natt = toUs(17, Packets.udp(4500, 4500, Packets.concat(new byte[4], Packets.pattern(28, 2))));
        final byte[] keepalive = toUs(17, Packets.udp(4500, 4500, new byte[]{(byte)0xff}));
        final byte[] espInUdp = toUs(17, Packets.udp(4500, 4500, Packets.concat(new byte[]{0, 0, 1, 0}, new byte[24])));
        rig.wan.inject(wanFrame(ike));
        rig.wan.inject(wanFrame(natt));
        // a keepalive is 29 bytes of IPv4: Ethernet pads it to the 60-byte minimum
        rig.wan.inject(Packets.concat(wanFrame(keepalive), new byte[60 - 14 - keepalive.length]));
        rig.wan.inject(wanFrame(espInUdp));
        rig.step();
        final List<Object[]> punted = new ArrayList<>();
        rig.dp.punts().drain((reason, iface, packet) -> punted.add(new Object[]{reason, iface, packet}), 10);
        assertEquals(2, punted.size());
        assertEquals(PuntQueue.IKE, punted.get(0)[0]);
        assertEquals(rig.wanIf.index(), punted.get(0)[1]);
        assertArrayEquals(ike, (byte[])punted.get(0)[2]);
        assertEquals(PuntQueue.IKE, punted.get(1)[0]);
        assertArrayEquals(natt, (byte[])punted.get(1)[2], "the whole packet, marker included");
        assertEquals(1, rig.dp.ip4Local().drops("natt-keepalive"));
        assertEquals(1, rig.dp.ip4Local().totalDrops());
        assertEquals(1, rig.dp.espDecrypt().drops("no-sa"), "ESP in UDP goes to esp-decrypt, which has no SA 0x100");
        assertTrue(rig.lan.takeSent().isEmpty() && rig.wan.takeSent().isEmpty());
    }

    // ------------------------------------------------------------------ reassembly

    /** A GRE packet from the tunnel peer carrying {@code inner}, as IPv4 bytes. */
    private static byte[] greToUs(final int id, final byte[] inner)
    {
        return Packets.ipv4(PEER, Rig.WAN_IP, 47, 60, id, 0, Packets.gre(0x0800, KEY, inner));
    }

    /** Splits an IPv4 packet into fragments with payloads of at most {@code chunk} bytes (a multiple of 8). */
    private static List<byte[]> fragments(final byte[] packet, final int chunk)
    {
        final int src = Packets.u32(packet, 12);
        final int dst = Packets.u32(packet, 16);
        final int id = Packets.u16(packet, 4);
        final byte[] payload = Arrays.copyOfRange(packet, 20, packet.length);
        final List<byte[]> out = new ArrayList<>();
        for (int off = 0; off < payload.length; off += chunk)
        {
            final int end = Math.min(payload.length, off + chunk);
            final int mf = end < payload.length ? 0x2000 : 0;
            out.add(Packets.ipv4(src, dst, packet[9], packet[8] & 0xff, id, mf | (off / 8),
                Arrays.copyOfRange(payload, off, end)));
        }
        return out;
    }

    @Test
    void greSplitInThreeFragmentsOutOfOrderIsReassembledAndItsInnerPacketForwarded()
    {
        final byte[] inner = tunnelToHost(64, 200);
        final List<byte[]> f = fragments(greToUs(0x4242, inner), 96);
        assertEquals(3, f.size());
        for (final int i : new int[]{2, 0, 1})
        {
            rig.wan.inject(wanFrame(f.get(i)));
            rig.step();
        }
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertArrayEquals(Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, tunnelToHost(63, 200)), out.get(0));
        assertEquals(1, rig.dp.reassembler().completed());
        assertEquals(0, rig.dp.reassembler().inProgress());
        assertEquals(2, rig.dp.ip4Local().drops("fragment-held"), "two held, the third completes");
    }

    @Test
    void interleavedFragmentsOfDifferentDatagramsAreKeptApart()
    {
        final byte[] innerA = tunnelToHost(64, 101);
        final byte[] innerB = tunnelToHost(64, 102);
        final byte[] innerC = tunnelToHost(64, 103);
        final List<byte[]> a = fragments(greToUs(0x0a0a, innerA), 64);
        final List<byte[]> b = fragments(greToUs(0x0b0b, innerB), 64);
        // same ID as A from the same peer but another protocol: a different datagram (RFC 791 key)
        final byte[] other = Packets.ipv4(PEER, Rig.WAN_IP, 17, 60, 0x0a0a, 0, Packets.udp(1, 9, new byte[150]));
        final List<byte[]> c = fragments(other, 64);
        final List<byte[]> d = fragments(greToUs(0x0d0d, innerC), 64);
        assertEquals(3, a.size());
        final Map<String, Long> before = counters();
        final List<byte[]> order = List.of(a.get(1), b.get(2), c.get(0), a.get(0), d.get(2), b.get(0), c.get(2), a.get(2),
            d.get(1), b.get(1), c.get(1), d.get(0));
        for (final byte[] frag : order)
        {
            rig.wan.inject(wanFrame(frag));
        }
        rig.step();
        final List<byte[]> out = rig.lan.takeSent();
        assertSameFrames(List.of(
            Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, tunnelToHost(63, 101)),
            Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, tunnelToHost(63, 102)),
            Packets.ethernet(Rig.HOST_MAC, Rig.LAN_MAC, 0x0800, tunnelToHost(63, 103))), out);
        assertEquals(4, rig.dp.reassembler().completed());
        assertEquals(1, rig.dp.ip4Local().drops("closed-port"), "the UDP datagram, whole, to a closed port");
        assertEquals(0, rig.dp.reassembler().inProgress());
        final Map<String, Long> expected = new HashMap<>(Map.of("ip4-local:fragment-held", 8L, "ip4-local:closed-port", 1L));
        assertEquals(new TreeMap<>(expected), minus(counters(), before));
    }

    // ------------------------------------------------------------------ RFC 1812 forwarding rules

    private long allDrops()
    {
        long sum = 0;
        for (final Node n : rig.dp.graph().nodes())
        {
            sum += n.totalDrops();
        }
        return sum;
    }

    @Test
    void packetReceivedAsLinkLayerBroadcastOrMulticastIsNotForwarded()
    {
        // RFC 1812 5.3.4: a router MUST NOT forward a packet received as a link-layer multicast unless its IP
        // destination is multicast, and SHOULD silently discard one received as a link-layer broadcast
        final long before = allDrops();
        rig.lan.inject(Packets.ethernet(0xffff_ffff_ffffL, Rig.HOST_MAC, 0x0800, hostToInternet(64, 1)));
        rig.lan.inject(Packets.ethernet(0x0100_5e00_0001L, Rig.HOST_MAC, 0x0800, hostToInternet(64, 2)));
        rig.step();
        assertEquals(List.of(), rig.wan.takeSent().stream().map(Packets::hex).toList(), "nothing forwarded");
        assertEquals(2, allDrops() - before, "both dropped and counted: " + rig.dp.dropSummary());
    }

    @Test
    void loopbackDestinationIsNotForwarded()
    {
        // RFC 1812 5.3.7: a router SHOULD NOT forward any packet with a destination on network 127
        final long before = allDrops();
        rig.lan.inject(Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800,
            Packets.ipv4(Rig.HOST_IP, ip("127.0.0.1"), 17, 64, 1, 0, Packets.udp(1, 2, new byte[8]))));
        rig.step();
        assertEquals(List.of(), rig.wan.takeSent().stream().map(Packets::hex).toList(), "not sent to the default router");
        assertEquals(1, allDrops() - before, "dropped and counted: " + rig.dp.dropSummary());
    }

    @Test
    void ciscoGreKeepaliveIsReflectedToThePeer()
    {
        // an IOS keepalive: GRE carrying an IPv4 packet from us to the peer, itself GRE with protocol 0
        final byte[] reflected = Packets.ipv4(Rig.WAN_IP, PEER, 47, 255, 0, 0, Packets.gre(0, KEY, new byte[0]));
        rig.wan.inject(wanFrame(Packets.ipv4(PEER, Rig.WAN_IP, 47, 255, 9, 0, Packets.gre(0x0800, KEY, reflected))));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertArrayEquals(Packets.ethernet(Rig.ROUTER_MAC, Rig.WAN_MAC, 0x0800,
            Packets.ipv4(Rig.WAN_IP, PEER, 47, 254, 0, 0, Packets.gre(0, KEY, new byte[0]))), out.get(0));
    }
}
