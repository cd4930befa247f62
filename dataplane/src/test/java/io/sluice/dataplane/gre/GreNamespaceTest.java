package io.sluice.dataplane.gre;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.l2tp.L2tpSession;
import io.sluice.dataplane.testing.XdpGateway;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.NetnsLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hosts' kernels talk through Sluice gateways on AF_XDP: over a GRE tunnel, over multipoint GRE
 * (hub and two spokes, through the hub and direct), and over an L2TPv3 pseudowire.
 */
public class GreNamespaceTest
{
    private NetnsLab lab;
    private final List<XdpGateway> gateways = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        lab = NetnsLab.createOrSkip(this);
    }

    @AfterEach
    void tearDown()
    {
        gateways.forEach(XdpGateway::close);
        if (lab != null)
        {
            lab.close();
        }
    }

    private XdpGateway gateway(final String ns, final String... ifnames)
    {
        final XdpGateway gw = new XdpGateway(ns, ifnames);
        gateways.add(gw);
        return gw;
    }

    @Test
    void hostsPingAndStreamUdpThroughAGreTunnelWithKey() throws Exception
    {
        final String a = lab.namespace("ha");
        final String g1 = lab.namespace("g1");
        final String g2 = lab.namespace("g2");
        final String b = lab.namespace("hb");
        final String[] la = lab.veth(a, "10.1.0.10/24", g1, null);
        final String[] wan = lab.veth(g1, null, g2, null);
        final String[] lb = lab.veth(g2, null, b, "10.2.0.10/24");
        lab.exec(a, "ip", "route", "add", "default", "via", "10.1.0.1");
        lab.exec(b, "ip", "route", "add", "default", "via", "10.2.0.1");

        final XdpGateway gw1 = gateway(g1, la[1], wan[0]);
        gw1.ethernet(la[1], "10.1.0.1/24");
        gw1.ethernet(wan[0], "192.0.2.1/24");
        final Interface t1 = gw1.dp().addGreTunnel("Tunnel0", Dataplane.ip("192.0.2.1"), Dataplane.ip("192.0.2.2"),
            42, false);
        gw1.dp().setAddress(t1, Dataplane.ip("172.16.0.1"), 30);
        gw1.dp().addRoute(Dataplane.ip("10.2.0.0"), 24, t1, 0);

        final XdpGateway gw2 = gateway(g2, wan[1], lb[0]);
        gw2.ethernet(wan[1], "192.0.2.2/24");
        gw2.ethernet(lb[0], "10.2.0.1/24");
        final Interface t2 = gw2.dp().addGreTunnel("Tunnel0", Dataplane.ip("192.0.2.2"), Dataplane.ip("192.0.2.1"),
            42, false);
        gw2.dp().setAddress(t2, Dataplane.ip("172.16.0.2"), 30);
        gw2.dp().addRoute(Dataplane.ip("10.1.0.0"), 24, t2, 0);
        gw1.start();
        gw2.start();

        final String ping = lab.exec(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
        assertTrue(ping.contains(" 0% packet loss"), ping + "\n" + gw1.dp().dropSummary() + gw2.dp().dropSummary());
        final String back = lab.exec(b, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.1.0.10");
        assertTrue(back.contains(" 0% packet loss"), back);
        // the tunnel's far end answers ping on its tunnel address
        final String inner = lab.exec(a, "ping", "-c", "1", "-W", "2", "172.16.0.2");
        assertTrue(inner.contains(" 0% packet loss"), inner);

        try
        {
            udpStream(a, "10.1.0.10", b, "10.2.0.10", 300);
            udpStream(b, "10.2.0.10", a, "10.1.0.10", 300);
        }
        catch (final AssertionError e)
        {
            throw new AssertionError(e.getMessage() + "\n" + gw1.diagnostics() + gw2.diagnostics(), e);
        }
        final GreTunnel tunnel = gw1.dp().greTunnels().get(0);
        assertTrue(tunnel.txPackets() >= 300 && tunnel.rxPackets() >= 300,
            "tunnel counters: tx " + tunnel.txPackets() + " rx " + tunnel.rxPackets());
    }

    @Test
    void spokesTalkThroughTheHubAndDirectlyOverMultipointGre() throws Exception
    {
        final String wanNs = lab.namespace("wan");
        lab.exec(wanNs, "ip", "link", "add", "br0", "type", "bridge");
        lab.exec(wanNs, "ip", "link", "set", "br0", "up");
        final String hub = lab.namespace("hub");
        final String s1 = lab.namespace("s1");
        final String s2 = lab.namespace("s2");
        final String h1 = lab.namespace("h1");
        final String h2 = lab.namespace("h2");
        final String[] wHub = lab.veth(hub, null, wanNs, null);
        final String[] wS1 = lab.veth(s1, null, wanNs, null);
        final String[] wS2 = lab.veth(s2, null, wanNs, null);
        for (final String[] w : new String[][]{wHub, wS1, wS2})
        {
            lab.exec(wanNs, "ip", "link", "set", w[1], "master", "br0");
        }
        final String[] l1 = lab.veth(h1, "10.11.0.10/24", s1, null);
        final String[] l2 = lab.veth(h2, "10.12.0.10/24", s2, null);
        lab.exec(h1, "ip", "route", "add", "default", "via", "10.11.0.1");
        lab.exec(h2, "ip", "route", "add", "default", "via", "10.12.0.1");
        final int hubNbma = Dataplane.ip("192.0.2.1");
        final int s1Nbma = Dataplane.ip("192.0.2.11");
        final int s2Nbma = Dataplane.ip("192.0.2.12");
        final int hubOverlay = Dataplane.ip("172.16.0.1");
        final int s1Overlay = Dataplane.ip("172.16.0.11");
        final int s2Overlay = Dataplane.ip("172.16.0.12");

        final XdpGateway gHub = gateway(hub, wHub[0]);
        gHub.ethernet(wHub[0], "192.0.2.1/24");
        final Interface tHub = gHub.dp().addGreTunnel("Tunnel0", hubNbma, 0, 100, false);
        gHub.dp().setAddress(tHub, hubOverlay, 24);
        gHub.dp().mapMgrePeer(tHub, s1Overlay, s1Nbma);
        gHub.dp().mapMgrePeer(tHub, s2Overlay, s2Nbma);
        gHub.dp().addRoute(Dataplane.ip("10.11.0.0"), 24, tHub, s1Overlay);
        gHub.dp().addRoute(Dataplane.ip("10.12.0.0"), 24, tHub, s2Overlay);

        final XdpGateway gS1 = gateway(s1, wS1[0], l1[1]);
        gS1.ethernet(wS1[0], "192.0.2.11/24");
        gS1.ethernet(l1[1], "10.11.0.1/24");
        final Interface tS1 = gS1.dp().addGreTunnel("Tunnel0", s1Nbma, 0, 100, false);
        gS1.dp().setAddress(tS1, s1Overlay, 24);
        gS1.dp().mapMgrePeer(tS1, hubOverlay, hubNbma);
        gS1.dp().addRoute(Dataplane.ip("10.12.0.0"), 24, tS1, hubOverlay);

        final XdpGateway gS2 = gateway(s2, wS2[0], l2[1]);
        gS2.ethernet(wS2[0], "192.0.2.12/24");
        gS2.ethernet(l2[1], "10.12.0.1/24");
        final Interface tS2 = gS2.dp().addGreTunnel("Tunnel0", s2Nbma, 0, 100, false);
        gS2.dp().setAddress(tS2, s2Overlay, 24);
        gS2.dp().mapMgrePeer(tS2, hubOverlay, hubNbma);
        gS2.dp().addRoute(Dataplane.ip("10.11.0.0"), 24, tS2, hubOverlay);
        gHub.start();
        gS1.start();
        gS2.start();

        final GreTunnel hubTunnel = gHub.dp().greTunnels().get(0);
        final String viaHub = lab.exec(h1, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.12.0.10");
        assertTrue(viaHub.contains(" 0% packet loss"), viaHub + "\n" + gHub.dp().dropSummary() +
            gS1.dp().dropSummary() + gS2.dp().dropSummary());
        final long hubRelayed = hubTunnel.rxPackets();
        assertTrue(hubRelayed >= 6, "echo requests and replies went through the hub: " + hubRelayed);

        // spoke-to-spoke: each spoke learns the other's NBMA address (NHRP's job later) and routes direct
        gS1.dp().mapMgrePeer(tS1, s2Overlay, s2Nbma);
        gS1.dp().addRoute(Dataplane.ip("10.12.0.0"), 24, tS1, s2Overlay);
        gS2.dp().mapMgrePeer(tS2, s1Overlay, s1Nbma);
        gS2.dp().addRoute(Dataplane.ip("10.11.0.0"), 24, tS2, s1Overlay);
        final String direct = lab.exec(h1, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.12.0.10");
        assertTrue(direct.contains(" 0% packet loss"), direct);
        udpStream(h1, "10.11.0.10", h2, "10.12.0.10", 200);
        assertEquals(hubRelayed, hubTunnel.rxPackets(), "the hub saw none of the direct traffic");
    }

    @Test
    void hostsOnOneSubnetTalkOverAnL2tpv3Pseudowire() throws Exception
    {
        final String a = lab.namespace("ha");
        final String g1 = lab.namespace("g1");
        final String g2 = lab.namespace("g2");
        final String b = lab.namespace("hb");
        final String[] la = lab.veth(a, "10.5.0.10/24", g1, null);
        final String[] wan = lab.veth(g1, null, g2, null);
        final String[] lb = lab.veth(g2, null, b, "10.5.0.20/24");
        final int ip1 = Dataplane.ip("192.0.2.1");
        final int ip2 = Dataplane.ip("192.0.2.2");

        final XdpGateway gw1 = gateway(g1, la[1], wan[0]);
        final Interface x1 = gw1.ethernet(la[1], null);
        gw1.ethernet(wan[0], "192.0.2.1/24");
        gw1.dp().addL2tpv3Xconnect(x1, L2tpSession.Encapsulation.IP, ip1, ip2, 1001, 2002, 0x1122334455667788L,
            0x8877665544332211L, 8);
        final XdpGateway gw2 = gateway(g2, wan[1], lb[0]);
        gw2.ethernet(wan[1], "192.0.2.2/24");
        final Interface x2 = gw2.ethernet(lb[0], null);
        gw2.dp().addL2tpv3Xconnect(x2, L2tpSession.Encapsulation.IP, ip2, ip1, 2002, 1001, 0x8877665544332211L,
            0x1122334455667788L, 8);
        gw1.start();
        gw2.start();

        final String ping = lab.exec(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.5.0.20");
        assertTrue(ping.contains(" 0% packet loss"), ping + "\n" + gw1.dp().dropSummary() + gw2.dp().dropSummary());
        udpStream(a, "10.5.0.10", b, "10.5.0.20", 300);
        // full-size frames: 1514-byte frames in L2TPv3 exceed the WAN MTU, are fragmented and reassembled
        udpStream(b, "10.5.0.20", a, "10.5.0.10", 100, 1472);
        assertTrue(gw2.dp().reassembler().completed() >= 100 || gw1.dp().reassembler().completed() >= 100,
            "full-size frames were reassembled");
    }

    public static void udpStream(final String fromNs, final String fromIp, final String toNs, final String toIp,
        final int count) throws Exception
    {
        udpStream(fromNs, fromIp, toNs, toIp, count, 1000);
    }

    /** Sends numbered datagrams of {@code size} bytes, paced, and asserts every one arrives intact. */
    public static void udpStream(final String fromNs, final String fromIp, final String toNs, final String toIp,
        final int count, final int size) throws Exception
    {
        try (DatagramChannel rx = open(toNs, new InetSocketAddress(toIp, 9100));
            DatagramChannel tx = open(fromNs, new InetSocketAddress(fromIp, 0)))
        {
            rx.configureBlocking(false);
            // the receiver drains between sends on this same thread: on a busy machine the kernel's default socket
            // buffer (about 90 of these datagrams) overflows before it gets to them, and that is not the gateway's loss
            rx.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
            final boolean[] seen = new boolean[count];
            int received = 0;
            final ByteBuffer in = ByteBuffer.allocate(2048);
            for (int i = 0; i < count; i++)
            {
                final ByteBuffer out = ByteBuffer.allocate(size);
                out.putInt(i);
                while (out.hasRemaining())
                {
                    out.put((byte)(i + out.position()));
                }
                out.flip();
                tx.send(out, new InetSocketAddress(toIp, 9100));
                received += drain(rx, in, seen, size);
                if ((i & 7) == 7)
                {
                    Thread.sleep(1); // pace: the test is about correctness, not rate
                }
            }
            final long deadline = System.nanoTime() + 3_000_000_000L;
            while (received < count && System.nanoTime() < deadline)
            {
                received += drain(rx, in, seen, size);
            }
            assertEquals(count, received, "datagrams " + fromIp + " -> " + toIp);
        }
    }

    private static int drain(final DatagramChannel rx, final ByteBuffer in, final boolean[] seen, final int size)
        throws Exception
    {
        int n = 0;
        while (true)
        {
            in.clear();
            if (rx.receive(in) == null)
            {
                return n;
            }
            in.flip();
            assertEquals(size, in.remaining(), "datagram size");
            final int i = in.getInt();
            while (in.hasRemaining())
            {
                assertEquals((byte)(i + in.position()), in.get(), "payload of datagram " + i);
            }
            if (!seen[i])
            {
                seen[i] = true;
                n++;
            }
        }
    }

    private static DatagramChannel open(final String ns, final InetSocketAddress bind) throws Exception
    {
        try (NetNs ignored = NetNs.enter(ns))
        {
            final DatagramChannel ch = DatagramChannel.open();
            ch.bind(bind);
            return ch;
        }
    }
}
