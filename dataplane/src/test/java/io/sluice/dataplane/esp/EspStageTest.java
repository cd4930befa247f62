package io.sluice.dataplane.esp;

import io.sluice.dataplane.esp.EspTesting.Suite;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static io.sluice.dataplane.esp.EspTesting.HOST_B;
import static io.sluice.dataplane.esp.EspTesting.PEER;
import static io.sluice.dataplane.testing.Packets.ip;
import static io.sluice.dataplane.testing.Packets.u16;
import static io.sluice.dataplane.testing.Packets.u32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * esp-encrypt, esp-decrypt and ipsec-output in the graph, on the test rig: the gateway's WAN
 * address is {@link EspTesting#OURS}, the peer {@link EspTesting#PEER} is played by a second
 * codec in the test ({@link EspTesting}, whose wire format scapy and tshark check in
 * {@link EspInteropTest}). Every packet that leaves is opened by the peer and compared byte for
 * byte; every drop is looked up by its counter.
 */
class EspStageTest
{
    private static final int ETH = 14;
    private static final int OUT_SPI = 0x1001;
    private static final int IN_SPI = 0x2002;
    private static final Suite GCM = new Suite(EspEncryption.AES_GCM_128, EspIntegrity.NONE);
    private static final Suite CBC = new Suite(EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128);

    private final Rig rig = new Rig();
    private final EspTesting peer = new EspTesting();

    @AfterEach
    void tearDown()
    {
        rig.close();
        peer.close();
    }

    /** A route-based IPsec tunnel to PEER carrying 10.2.0.0/16, with an SA pair of {@code suite}. */
    private SaPair ipsecTunnel(final Suite suite, final boolean natT)
    {
        rig.learnNeighbours();
        final Interface tun = rig.dp.addIpsecTunnel("Tunnel9", Rig.WAN_IP, PEER);
        rig.dp.addRoute(ip("10.2.0.0"), 16, tun, 0);
        return install(suite, Mode.TUNNEL, rig.dp.ipsecBinding(tun, PEER), natT, OUT_SPI, IN_SPI, 1);
    }

    /** Ours outbound + the peer's inbound twin, the peer's outbound + our inbound twin. */
    private record SaPair(SecurityAssociation ourOut, SecurityAssociation peerIn, SecurityAssociation peerOut,
        SecurityAssociation ourIn)
    {
    }

    private SaPair install(
        final Suite suite, final Mode mode, final int binding, final boolean natT, final int outSpi, final int inSpi,
        final int seed)
    {
        final SecurityAssociation.Builder ourOut = peer.builder(suite, outSpi, true, mode, seed).tunnel(binding);
        final SecurityAssociation.Builder peerIn = peer.builder(suite, outSpi, false, mode, seed);
        final SecurityAssociation.Builder peerOut = peer.builder(suite, inSpi, true, mode, seed + 1)
            .endpoints(PEER, Rig.WAN_IP);
        final SecurityAssociation.Builder ourIn = peer.builder(suite, inSpi, false, mode, seed + 1).tunnel(binding);
        if (natT)
        {
            ourOut.udpEncapsulation(4500, 4500);
            peerIn.udpEncapsulation(4500, 4500);
            peerOut.udpEncapsulation(4500, 4500);
            ourIn.udpEncapsulation(4500, 4500);
        }
        final SaPair p = new SaPair(ourOut.build(), peerIn.build(), peerOut.build(), ourIn.build());
        rig.dp.sad().addInbound(p.ourIn());
        rig.dp.sad().switchOutbound(p.ourOut());
        return p;
    }

    private static byte[] hostPacket(final int length, final int seed, final boolean df)
    {
        return Packets.ipv4(Rig.HOST_IP, HOST_B, 17, 64, seed, df ? 0x4000 : 0,
            Packets.udp(40000, 9, Packets.pattern(length - 28, seed)));
    }

    private static byte[] expectedForwarded(final byte[] sent)
    {
        final byte[] e = sent.clone();
        e[8]--;
        final int c = Packets.checksum(zeroChecksum(e), 0, 20);
        e[10] = (byte)(c >>> 8);
        e[11] = (byte)c;
        return e;
    }

    private static byte[] zeroChecksum(final byte[] ip)
    {
        final byte[] c = ip.clone();
        c[10] = 0;
        c[11] = 0;
        return c;
    }

    private static byte[] ipOf(final byte[] frame)
    {
        return Arrays.copyOfRange(frame, ETH, frame.length);
    }

    private static byte[] fromPeer(final byte[] ip)
    {
        return Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, ip);
    }

    private static byte[] toLan(final byte[] ip)
    {
        return Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, ip);
    }

    // ------------------------------------------------------------------ route-based tunnel

    @Test
    void hostTrafficLeavesAsEspThePeerOpensAndRepliesComeBack()
    {
        final SaPair sa = ipsecTunnel(GCM, false);
        final byte[] sent = hostPacket(200, 1, true);
        rig.lan.inject(toLan(sent));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        final byte[] esp = ipOf(out.get(0));
        assertEquals(50, esp[9], "IP protocol ESP");
        assertEquals(Rig.WAN_IP, u32(esp, 12));
        assertEquals(PEER, u32(esp, 16));
        assertEquals(OUT_SPI, u32(esp, 20));
        assertEquals(1, u32(esp, 24), "first sequence number");
        assertArrayEquals(expectedForwarded(sent), peer.decryptOk(sa.peerIn(), esp));

        final byte[] reply = Packets.ipv4(HOST_B, Rig.HOST_IP, 17, 60, 99, 0, Packets.udp(9, 40000, Packets.pattern(80, 5)));
        rig.wan.inject(fromPeer(peer.encrypt(sa.peerOut(), reply)));
        rig.step();
        final List<byte[]> lan = rig.lan.takeSent();
        assertEquals(1, lan.size(), rig.dp.dropSummary());
        assertArrayEquals(expectedForwarded(reply), ipOf(lan.get(0)));
        assertEquals(1, sa.ourIn().packets());
        assertEquals(1, sa.ourOut().packets());
    }

    @Test
    void cbcHmacAndNatTraversalWorkTheSameWay()
    {
        final SaPair sa = ipsecTunnel(CBC, true);
        final byte[] sent = hostPacket(600, 2, false);
        rig.lan.inject(toLan(sent));
        rig.step();
        final byte[] esp = ipOf(rig.wan.takeSent().get(0));
        assertEquals(17, esp[9], "UDP-encapsulated (RFC 3948)");
        assertEquals(4500, u16(esp, 20));
        assertEquals(4500, u16(esp, 22));
        assertEquals(OUT_SPI, u32(esp, 28));
        assertArrayEquals(expectedForwarded(sent), peer.decryptOk(sa.peerIn(), esp));

        final byte[] reply = Packets.ipv4(HOST_B, Rig.HOST_IP, 17, 60, 98, 0, Packets.udp(9, 40000, Packets.pattern(300, 6)));
        rig.wan.inject(fromPeer(peer.encrypt(sa.peerOut(), reply)));
        rig.step();
        assertArrayEquals(expectedForwarded(reply), ipOf(rig.lan.takeSent().get(0)));
    }

    @Test
    void espWithoutUdpForAnSaNegotiatedWithNatTIsDropped()
    {
        final SaPair sa = ipsecTunnel(GCM, true);
        // the peer's SA twin without UDP: same SPI and keys, plain ESP
        final SecurityAssociation plain = peer.builder(GCM, IN_SPI, true, Mode.TUNNEL, 2).endpoints(PEER, Rig.WAN_IP)
            .build();
        final byte[] reply = Packets.ipv4(HOST_B, Rig.HOST_IP, 17, 60, 98, 0, Packets.udp(9, 40000, new byte[20]));
        rig.wan.inject(fromPeer(peer.encrypt(plain, reply)));
        rig.step();
        assertTrue(rig.lan.takeSent().isEmpty());
        assertEquals(1, rig.dp.espDecrypt().drops("udp-encapsulation-mismatch"));
        assertEquals(0, sa.ourIn().packets());
    }

    @Test
    void packetsWithoutAnOutboundSaAreDroppedAndCounted()
    {
        rig.learnNeighbours();
        final Interface tun = rig.dp.addIpsecTunnel("Tunnel9", Rig.WAN_IP, PEER);
        rig.dp.addRoute(ip("10.2.0.0"), 16, tun, 0);
        rig.lan.inject(toLan(hostPacket(100, 3, false)));
        rig.step();
        assertTrue(rig.wan.takeSent().isEmpty(), "nothing leaves in clear");
        assertEquals(1, rig.dp.espEncrypt().drops("no-sa"));
        assertEquals(1, rig.dp.ipsecNoSaPackets());
    }

    @Test
    void unknownSpiReplayAndFlippedBitsAreDroppedByName()
    {
        final SaPair sa = ipsecTunnel(GCM, false);
        final byte[] reply = Packets.ipv4(HOST_B, Rig.HOST_IP, 17, 60, 97, 0, Packets.udp(9, 40000, new byte[40]));
        final byte[] esp = peer.encrypt(sa.peerOut(), reply);
        rig.wan.inject(fromPeer(esp));
        rig.wan.inject(fromPeer(esp));
        final byte[] flipped = esp.clone();
        flipped[flipped.length - 20] ^= 0x10;
        final byte[] seq2 = peer.encrypt(sa.peerOut(), reply);
        final byte[] seq2flipped = seq2.clone();
        seq2flipped[40] ^= 1;
        rig.wan.inject(fromPeer(seq2flipped));
        final byte[] unknown = seq2.clone();
        unknown[23] ^= 0x55; // SPI
        fixIpChecksum(unknown);
        rig.wan.inject(fromPeer(unknown));
        rig.step();
        assertEquals(1, rig.lan.takeSent().size(), "only the first copy is delivered");
        assertEquals(1, rig.dp.espDecrypt().drops("replay"));
        assertEquals(1, rig.dp.espDecrypt().drops("icv-failure"));
        assertEquals(1, rig.dp.espDecrypt().drops("no-sa"));
        assertEquals(1, sa.ourIn().replayDrops());
        assertEquals(1, sa.ourIn().icvFailures());
        // the flipped seq-2 packet did not move the window: the genuine one still gets in
        rig.wan.inject(fromPeer(seq2));
        rig.step();
        assertEquals(1, rig.lan.takeSent().size());
    }

    private static void fixIpChecksum(final byte[] ip)
    {
        ip[10] = 0;
        ip[11] = 0;
        final int c = Packets.checksum(ip, 0, 20);
        ip[10] = (byte)(c >>> 8);
        ip[11] = (byte)c;
    }

    @Test
    void tooBigWithDfGetsFragmentationNeededThatAccountsForEsp()
    {
        final SaPair sa = ipsecTunnel(CBC, true);
        rig.lan.inject(toLan(hostPacket(1500, 4, true)));
        rig.step();
        assertTrue(rig.wan.takeSent().isEmpty());
        assertEquals(1, rig.dp.espEncrypt().drops("fragmentation-needed"));
        final List<byte[]> icmp = rig.lan.takeSent();
        assertEquals(1, icmp.size());
        final byte[] error = ipOf(icmp.get(0));
        assertEquals(1, error[9]);
        assertEquals(3, error[20]);
        assertEquals(4, error[21]);
        final int mtu = u16(error, 26);
        // the advertised size fits exactly: one byte more would not
        assertTrue(EspCodec.protectedLength(sa.ourOut(), mtu, 20) <= 1500);
        assertTrue(EspCodec.protectedLength(sa.ourOut(), mtu + 16, 20) > 1500, "mtu " + mtu + " is not the largest");
        rig.lan.inject(toLan(hostPacket(mtu, 5, true)));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertTrue(out.get(0).length - ETH <= 1500);
        assertEquals(mtu, peer.decryptOk(sa.peerIn(), ipOf(out.get(0))).length);
    }

    @Test
    void rekeyUnderSteadyTrafficLosesNothing()
    {
        final SaPair old = ipsecTunnel(GCM, false);
        final int binding = old.ourOut().tunnel();
        SaPair current = old;
        int delivered = 0;
        int received = 0;
        for (int round = 0; round < 6; round++)
        {
            if (round == 3)
            {
                // make-before-break: the new inbound SA first, then the peer may use it; ours switches outbound
                final SaPair next = newPair(binding, 0x3003, 0x4004);
                rig.dp.sad().addInbound(next.ourIn());
                rig.dp.sad().switchOutbound(next.ourOut());
                // packets the peer sent with the old SA are still in flight: they must decrypt
                rig.wan.inject(fromPeer(peer.encrypt(old.peerOut(), hostReply(round * 100))));
                rig.step();
                received += rig.lan.takeSent().size();
                current = next;
            }
            for (int i = 0; i < 50; i++)
            {
                rig.lan.inject(toLan(hostPacket(100 + i, round * 100 + i, false)));
                rig.wan.inject(fromPeer(peer.encrypt(current.peerOut(), hostReply(round * 100 + i))));
            }
            rig.step();
            for (final byte[] f : rig.wan.takeSent())
            {
                final byte[] esp = ipOf(f);
                final SecurityAssociation in = u32(esp, 20) == OUT_SPI ? old.peerIn() : current.peerIn();
                peer.decryptOk(in, esp);
                delivered++;
            }
            received += rig.lan.takeSent().size();
        }
        rig.dp.sad().removeInbound(IN_SPI).destroy();
        assertEquals(300, delivered, rig.dp.dropSummary());
        assertEquals(301, received, rig.dp.dropSummary());
        assertEquals(0, rig.dp.espEncrypt().totalDrops() + rig.dp.espDecrypt().totalDrops(), rig.dp.dropSummary());
        assertEquals(150, old.ourOut().packets());
        assertEquals(150, current.ourOut().packets());
    }

    private SaPair newPair(final int binding, final int outSpi, final int inSpi)
    {
        final SecurityAssociation ourOut = peer.builder(GCM, outSpi, true, Mode.TUNNEL, 7).tunnel(binding).build();
        final SecurityAssociation peerIn = peer.builder(GCM, outSpi, false, Mode.TUNNEL, 7).build();
        final SecurityAssociation peerOut = peer.builder(GCM, inSpi, true, Mode.TUNNEL, 8).endpoints(PEER, Rig.WAN_IP)
            .build();
        final SecurityAssociation ourIn = peer.builder(GCM, inSpi, false, Mode.TUNNEL, 8).tunnel(binding).build();
        return new SaPair(ourOut, peerIn, peerOut, ourIn);
    }

    private static byte[] hostReply(final int seed)
    {
        return Packets.ipv4(HOST_B, Rig.HOST_IP, 17, 60, seed, 0, Packets.udp(9, 40000, Packets.pattern(64, seed)));
    }

    // ------------------------------------------------------------------ GRE over ESP (tunnel protection)

    private SaPair protectedGre(final Mode mode)
    {
        rig.learnNeighbours();
        final Interface tun = rig.dp.addGreTunnel("Tunnel0", Rig.WAN_IP, PEER, null, false);
        rig.dp.setAddress(tun, ip("172.16.0.1"), 30);
        rig.dp.addRoute(ip("10.2.0.0"), 16, tun, 0);
        rig.dp.protectGreTunnel(tun);
        return install(GCM, mode, rig.dp.ipsecBinding(tun, PEER), false, OUT_SPI, IN_SPI, 1);
    }

    @Test
    void protectedGreLeavesAsTransportModeEspAroundGre()
    {
        final SaPair sa = protectedGre(Mode.TRANSPORT);
        final byte[] sent = hostPacket(300, 9, false);
        rig.lan.inject(toLan(sent));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        final byte[] esp = ipOf(out.get(0));
        assertEquals(50, esp[9]);
        final byte[] gre = peer.decryptOk(sa.peerIn(), esp);
        assertEquals(47, gre[9], "GRE restored as the protocol");
        assertEquals(Rig.WAN_IP, u32(gre, 12));
        assertEquals(PEER, u32(gre, 16));
        assertEquals(0x0800, u16(gre, 22));
        assertArrayEquals(expectedForwarded(sent), Arrays.copyOfRange(gre, 24, gre.length));

        // back: GRE in ESP from the peer reaches the host; cleartext GRE for the protected tunnel does not
        final byte[] reply = hostReply(11);
        final byte[] greBack = Packets.ipv4(PEER, Rig.WAN_IP, 47, 60, 5, 0, Packets.gre(0x0800, null, reply));
        rig.wan.inject(fromPeer(peer.encrypt(sa.peerOut(), greBack)));
        rig.wan.inject(fromPeer(greBack));
        rig.step();
        final List<byte[]> lan = rig.lan.takeSent();
        assertEquals(1, lan.size());
        assertArrayEquals(expectedForwarded(reply), ipOf(lan.get(0)));
        assertEquals(1, rig.dp.greInput().drops("unprotected"));
    }

    @Test
    void protectedGreWorksInTunnelModeToo()
    {
        final SaPair sa = protectedGre(Mode.TUNNEL);
        rig.lan.inject(toLan(hostPacket(120, 12, false)));
        rig.step();
        final byte[] inner = peer.decryptOk(sa.peerIn(), ipOf(rig.wan.takeSent().get(0)));
        assertEquals(47, inner[9]);
        final byte[] greBack = Packets.ipv4(PEER, Rig.WAN_IP, 47, 60, 5, 0, Packets.gre(0x0800, null, hostReply(12)));
        rig.wan.inject(fromPeer(peer.encrypt(sa.peerOut(), greBack)));
        // an SA of the GRE tunnel must not deliver anything but GRE to our tunnel source
        rig.wan.inject(fromPeer(peer.encrypt(sa.peerOut(), hostReply(13))));
        rig.step();
        assertEquals(1, rig.lan.takeSent().size());
        assertEquals(1, rig.dp.espDecrypt().drops("policy-mismatch"));
    }

    @Test
    void multipointGreHasOneBindingPerPeer()
    {
        rig.learnNeighbours();
        final Interface tun = rig.dp.addGreTunnel("Tunnel1", Rig.WAN_IP, 0, 7, false);
        rig.dp.setAddress(tun, ip("172.16.1.1"), 24);
        rig.dp.protectGreTunnel(tun);
        final int spoke1 = ip("198.51.100.11");
        final int spoke2 = ip("198.51.100.12");
        rig.dp.mapMgrePeer(tun, ip("172.16.1.11"), spoke1);
        rig.dp.mapMgrePeer(tun, ip("172.16.1.12"), spoke2);
        rig.dp.addRoute(ip("10.11.0.0"), 16, tun, ip("172.16.1.11"));
        rig.dp.addRoute(ip("10.12.0.0"), 16, tun, ip("172.16.1.12"));
        final int b1 = rig.dp.ipsecBinding(tun, spoke1);
        final int b2 = rig.dp.ipsecBinding(tun, spoke2);
        assertTrue(b1 != b2);
        assertEquals(b1, rig.dp.ipsecBinding(tun, spoke1), "stable");
        final SecurityAssociation out1 = peer.builder(GCM, 0x5001, true, Mode.TRANSPORT, 21).tunnel(b1).build();
        final SecurityAssociation in1 = peer.builder(GCM, 0x5001, false, Mode.TRANSPORT, 21).build();
        rig.dp.sad().switchOutbound(out1);
        rig.lan.inject(toLan(Packets.ipv4(Rig.HOST_IP, ip("10.11.0.5"), 17, 64, 1, 0, Packets.udp(1, 2, new byte[30]))));
        rig.lan.inject(toLan(Packets.ipv4(Rig.HOST_IP, ip("10.12.0.5"), 17, 64, 2, 0, Packets.udp(1, 2, new byte[30]))));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), "spoke 2 has no SA yet");
        final byte[] esp = ipOf(out.get(0));
        assertEquals(spoke1, u32(esp, 16));
        final byte[] gre = peer.decryptOk(in1, esp);
        assertEquals(7, u32(gre, 24), "GRE key inside");
        assertEquals(1, rig.dp.espEncrypt().drops("no-sa"));
        assertNotNull(rig.dp.ipsecBindingInterface(b2));
    }
}
