package io.sluice.dataplane.esp;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import io.sluice.dataplane.gre.GreNamespaceTest;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.testing.XdpGateway;
import io.sluice.ffi.testkit.NetnsLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hosts' kernels talk through two Sluice gateways on AF_XDP over IPsec: host A -> gateway 1 ->
 * ESP -> gateway 2 -> host B with real ping and UDP, as a route-based IPsec tunnel (AES-GCM in
 * UDP 4500, the way strongSwan sends it) and as GRE over ESP transport between the gateways'
 * addresses (the DMVPN encapsulation, AES-CBC with HMAC-SHA256).
 */
class EspNamespaceTest
{
    private static final int GW1 = Dataplane.ip("192.0.2.1");
    private static final int GW2 = Dataplane.ip("192.0.2.2");

    private NetnsLab lab;
    private final List<XdpGateway> gateways = new ArrayList<>();
    private String a;
    private String b;
    private XdpGateway gw1;
    private XdpGateway gw2;

    @BeforeEach
    void setUp()
    {
        lab = NetnsLab.createOrSkip(this);
        a = lab.namespace("ha");
        final String g1 = lab.namespace("g1");
        final String g2 = lab.namespace("g2");
        b = lab.namespace("hb");
        final String[] la = lab.veth(a, "10.1.0.10/24", g1, null);
        final String[] wan = lab.veth(g1, null, g2, null);
        final String[] lb = lab.veth(g2, null, b, "10.2.0.10/24");
        lab.exec(a, "ip", "route", "add", "default", "via", "10.1.0.1");
        lab.exec(b, "ip", "route", "add", "default", "via", "10.2.0.1");
        gw1 = new XdpGateway(g1, la[1], wan[0]);
        gateways.add(gw1);
        gw1.ethernet(la[1], "10.1.0.1/24");
        gw1.ethernet(wan[0], "192.0.2.1/24");
        gw2 = new XdpGateway(g2, wan[1], lb[0]);
        gateways.add(gw2);
        gw2.ethernet(wan[1], "192.0.2.2/24");
        gw2.ethernet(lb[0], "10.2.0.1/24");
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

    /** An SA from {@code src} to {@code dst}, as the sender's outbound one or the receiver's inbound one. */
    private static SecurityAssociation sa(
        final EspTesting.Suite suite, final int spi, final boolean outbound, final Mode mode, final int binding,
        final int src, final int dst, final boolean natT)
    {
        final SecurityAssociation.Builder b = SecurityAssociation.builder().spi(spi).mode(mode).tunnel(binding)
            .encryption(suite.encryption(), suite.encryptionKey(spi));
        if (suite.integrity() != EspIntegrity.NONE)
        {
            b.integrity(suite.integrity(), suite.integrityKey(spi));
        }
        if (natT)
        {
            b.udpEncapsulation(4500, 4500);
        }
        return (outbound ? b.outbound() : b.inbound()).endpoints(src, dst).build();
    }

    /** The two gateways' SA pairs for one binding each: 1 -> 2 on SPI {@code spi}, 2 -> 1 on {@code spi + 1}. */
    private void keys(final EspTesting.Suite suite, final Mode mode, final int b1, final int b2, final int spi,
        final boolean natT)
    {
        gw1.dp().sad().switchOutbound(sa(suite, spi, true, mode, b1, GW1, GW2, natT));
        gw2.dp().sad().addInbound(sa(suite, spi, false, mode, b2, GW1, GW2, natT));
        gw2.dp().sad().switchOutbound(sa(suite, spi + 1, true, mode, b2, GW2, GW1, natT));
        gw1.dp().sad().addInbound(sa(suite, spi + 1, false, mode, b1, GW2, GW1, natT));
    }

    private void pingAndStream(final int udpSize) throws Exception
    {
        final String ping = lab.exec(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
        assertTrue(ping.contains(" 0% packet loss"), ping + "\n" + gw1.diagnostics() + gw2.diagnostics());
        final String back = lab.exec(b, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.1.0.10");
        assertTrue(back.contains(" 0% packet loss"), back + "\n" + gw1.diagnostics() + gw2.diagnostics());
        try
        {
            GreNamespaceTest.udpStream(a, "10.1.0.10", b, "10.2.0.10", 300, udpSize);
            GreNamespaceTest.udpStream(b, "10.2.0.10", a, "10.1.0.10", 300, udpSize);
        }
        catch (final AssertionError e)
        {
            throw new AssertionError(e.getMessage() + "\n" + gw1.diagnostics() + gw2.diagnostics(), e);
        }
    }

    @Test
    void hostsTalkThroughAnAesGcmTunnelInUdp4500() throws Exception
    {
        final Interface t1 = gw1.dp().addIpsecTunnel("Tunnel1", GW1, GW2);
        gw1.dp().addRoute(Dataplane.ip("10.2.0.0"), 24, t1, 0);
        final Interface t2 = gw2.dp().addIpsecTunnel("Tunnel1", GW2, GW1);
        gw2.dp().addRoute(Dataplane.ip("10.1.0.0"), 24, t2, 0);
        keys(new EspTesting.Suite(EspEncryption.AES_GCM_128, EspIntegrity.NONE), Mode.TUNNEL,
            gw1.dp().ipsecBinding(t1, GW2), gw2.dp().ipsecBinding(t2, GW1), 0x1000, true);
        gw1.start();
        gw2.start();
        pingAndStream(1200);
        final SecurityAssociation out = gw1.dp().sad().outbound(gw1.dp().ipsecBinding(t1, GW2));
        final SecurityAssociation in = gw2.dp().sad().inbound(0x1000);
        assertTrue(out.packets() >= 305, "encaps " + out.packets());
        assertEquals(out.packets(), in.packets(), "every packet gateway 1 encrypted gateway 2 decrypted");
        assertEquals(0, in.replayDrops() + in.icvFailures() + in.paddingErrors());
    }

    @Test
    void hostsTalkThroughGreOverEspTransport() throws Exception
    {
        final Interface t1 = gw1.dp().addGreTunnel("Tunnel0", GW1, GW2, null, false);
        gw1.dp().setAddress(t1, Dataplane.ip("172.16.0.1"), 30);
        gw1.dp().addRoute(Dataplane.ip("10.2.0.0"), 24, t1, 0);
        gw1.dp().protectGreTunnel(t1);
        final Interface t2 = gw2.dp().addGreTunnel("Tunnel0", GW2, GW1, null, false);
        gw2.dp().setAddress(t2, Dataplane.ip("172.16.0.2"), 30);
        gw2.dp().addRoute(Dataplane.ip("10.1.0.0"), 24, t2, 0);
        gw2.dp().protectGreTunnel(t2);
        keys(new EspTesting.Suite(EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA256_128), Mode.TRANSPORT,
            gw1.dp().ipsecBinding(t1, GW2), gw2.dp().ipsecBinding(t2, GW1), 0x2000, false);
        gw1.start();
        gw2.start();
        pingAndStream(1000);
        final String inner = lab.exec(a, "ping", "-c", "1", "-W", "2", "172.16.0.2");
        assertTrue(inner.contains(" 0% packet loss"), "the far tunnel address answers through ESP too: " + inner);
        assertEquals(0, gw2.dp().greInput().drops("unprotected"));
        assertTrue(gw2.dp().sad().inbound(0x2000).packets() >= 305);
    }
}
