package io.sluice.dataplane.run;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.program.DirectProgram;
import io.sluice.dataplane.program.SaSpec;
import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** On-demand DPD's trigger: sent to the peer, nothing back for the interval; once; not without traffic. */
class PeerIdleDetectorTest
{
    private static final int PEER = Packets.ip("198.51.100.2");
    private static final long S = 1_000_000_000L;
    private final Rig rig = new Rig();
    private final List<String> idle = new ArrayList<>();

    @AfterEach
    void tearDown()
    {
        rig.close();
    }

    @Test
    void aPeerThatStaysSilentWhileWeSendIsReportedOnce()
    {
        rig.learnNeighbours();
        final DirectProgram program = new DirectProgram(rig.dp, null);
        program.ipsecTunnel("VPN/1", Rig.WAN_IP, PEER);
        program.route(Packets.ip("10.2.0.0"), 16, "VPN/1", 0);
        program.addSa(new SaSpec(0x3001, false, SecurityAssociation.Mode.TUNNEL, "VPN/1", PEER, Rig.WAN_IP, 0,
            EspEncryption.AES_GCM_128, new byte[20], EspIntegrity.NONE, new byte[0], false, 64, 0, 0));
        program.addSa(new SaSpec(0x3002, true, SecurityAssociation.Mode.TUNNEL, "VPN/1", PEER, Rig.WAN_IP, 0,
            EspEncryption.AES_GCM_128, new byte[20], EspIntegrity.NONE, new byte[0], false, 64, 0, 0));
        final PeerIdleDetector detector = new PeerIdleDetector();
        final PeerIdleDetector.Sink sink = (tunnel, peer, spi, seconds) ->
            idle.add(tunnel + " " + Integer.toHexString(peer) + " " + Integer.toHexString(spi) + " " + seconds);
        assertEquals(0, detector.check(0, rig.dp, sink), "off until the control process sets an interval");
        detector.idleSeconds(5);
        detector.check(0, rig.dp, sink);

        for (int i = 0; i < 3; i++)
        {
            rig.lan.inject(rig.fromHost(Packets.ip("10.2.0.7"), 64, 0, new byte[40]));
        }
        rig.step();
        assertEquals(3, rig.wan.takeSent().size());
        assertEquals(0, detector.check(1 * S, rig.dp, sink), "1 s of silence is not yet 5");
        assertEquals(1, detector.check(6 * S, rig.dp, sink));
        assertEquals(List.of("VPN/1 c6336402 3001 5"), idle);
        assertEquals(0, detector.check(7 * S, rig.dp, sink), "reported once until the peer is heard");

        // the peer answers: an inbound packet on the binding resets it; with nothing more sent, silence is fine
        rig.dp.sad().inbound(0x3002).packets();
        final Interface tunnel = rig.dp.interfaces().byName("VPN/1");
        final io.sluice.dataplane.esp.SecurityAssociation peerOut = SecurityAssociation.builder().spi(0x3002)
            .outbound().mode(SecurityAssociation.Mode.TUNNEL).endpoints(PEER, Rig.WAN_IP)
            .encryption(EspEncryption.AES_GCM_128, new byte[20]).build();
        final byte[] reply = Packets.ipv4(Packets.ip("10.2.0.7"), Rig.HOST_IP, 17, 60, 1, 0, Packets.udp(9, 9, new byte[20]));
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined())
        {
            final java.lang.foreign.MemorySegment m = arena.allocate(4096, 2048);
            java.lang.foreign.MemorySegment.copy(reply, 0, m, java.lang.foreign.ValueLayout.JAVA_BYTE, 256, reply.length);
            final io.sluice.dataplane.esp.EspCodec codec = new io.sluice.dataplane.esp.EspCodec(
                new io.sluice.dataplane.esp.JceCryptoEngine(), System::nanoTime, 2048);
            assertEquals(0, codec.encrypt(m, 256, reply.length, peerOut));
            final byte[] esp = m.asSlice(codec.start(), codec.length()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            rig.wan.inject(Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, esp));
        }
        rig.step();
        assertEquals(1, rig.dp.sad().inbound(0x3002).packets(), rig.dp.dropSummary() + tunnel);
        assertEquals(0, detector.check(8 * S, rig.dp, sink));
        assertEquals(0, detector.check(30 * S, rig.dp, sink), "nothing sent since: no reason to ask");
        assertEquals(1, idle.size());
    }
}
