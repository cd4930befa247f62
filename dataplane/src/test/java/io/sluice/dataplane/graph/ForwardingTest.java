package io.sluice.dataplane.graph;

import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.sluice.dataplane.testing.Packets.mac;
import static io.sluice.dataplane.testing.Packets.u16;
import static io.sluice.dataplane.testing.Packets.u32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardingTest
{
    private final Rig rig = new Rig();

    @AfterEach
    void tearDown()
    {
        rig.close();
    }

    @Test
    void answersArpForItsOwnAddressInPlace()
    {
        rig.lan.inject(Packets.ethernet(0xffff_ffff_ffffL, Rig.HOST_MAC, 0x0806,
            Packets.arp(1, Rig.HOST_MAC, Rig.HOST_IP, 0, Rig.LAN_IP)));
        rig.step();
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size());
        final byte[] f = out.get(0);
        assertEquals(Rig.HOST_MAC, mac(f, 0));
        assertEquals(Rig.LAN_MAC, mac(f, 6));
        assertEquals(0x0806, u16(f, 12));
        assertEquals(2, u16(f, 14 + 6), "reply");
        assertEquals(Rig.LAN_MAC, mac(f, 14 + 8));
        assertEquals(Rig.LAN_IP, u32(f, 14 + 14));
        assertEquals(Rig.HOST_IP, u32(f, 14 + 24));
    }

    @Test
    void resolvesTheNextHopHoldsThePacketAndForwardsItWithTtlAndChecksumUpdated()
    {
        rig.lan.inject(rig.fromHost(Packets.ip("8.8.8.8"), 64, 0, new byte[100]));
        rig.step();
        final List<byte[]> requests = rig.wan.takeSent();
        assertEquals(1, requests.size(), "one ARP request, the packet held");
        assertEquals(0xffff_ffff_ffffL, mac(requests.get(0), 0));
        assertEquals(Rig.ROUTER_IP, u32(requests.get(0), 14 + 24));
        assertEquals(60, requests.get(0).length, "padded to the Ethernet minimum");

        rig.wan.inject(Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0806,
            Packets.arp(2, Rig.ROUTER_MAC, Rig.ROUTER_IP, Rig.WAN_MAC, Rig.WAN_IP)));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), "the held packet went out once resolved");
        final byte[] f = out.get(0);
        assertEquals(Rig.ROUTER_MAC, mac(f, 0));
        assertEquals(Rig.WAN_MAC, mac(f, 6));
        assertEquals(63, f[14 + 8] & 0xff, "TTL decremented");
        assertEquals(0, Packets.checksum(f, 14, 20), "header checksum still valid");
        assertEquals(14 + 20 + 8 + 100, f.length);
    }

    @Test
    void answersPingToItsOwnAddress()
    {
        rig.learnNeighbours();
        final byte[] echo = Packets.icmpEcho(8, 77, 1, "hello".getBytes());
        rig.lan.inject(Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800,
            Packets.ipv4(Rig.HOST_IP, Rig.LAN_IP, 1, 64, 1, 0, echo)));
        rig.step();
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size());
        final byte[] f = out.get(0);
        assertEquals(Rig.LAN_IP, u32(f, 14 + 12));
        assertEquals(Rig.HOST_IP, u32(f, 14 + 16));
        assertEquals(0, f[34] & 0xff, "echo reply");
        assertEquals(0, Packets.checksum(f, 34, f.length - 34), "ICMP checksum valid");
        assertEquals(0, Packets.checksum(f, 14, 20));
        assertEquals("hello", new String(f, 42, 5));
    }

    @Test
    void ttlOneIsAnsweredWithTimeExceeded()
    {
        rig.learnNeighbours();
        rig.lan.inject(rig.fromHost(Packets.ip("8.8.8.8"), 1, 0, new byte[10]));
        rig.step();
        assertEquals(0, rig.wan.takeSent().size(), "not forwarded");
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size());
        final byte[] f = out.get(0);
        assertEquals(Rig.HOST_IP, u32(f, 14 + 16));
        assertEquals(11, f[34] & 0xff, "time exceeded");
        assertEquals(0, Packets.checksum(f, 34, f.length - 34));
        assertEquals(Rig.HOST_IP, u32(f, 42 + 12), "quotes the original header");
        assertEquals(1, rig.dp.ip4Rewrite().drops("ttl-expired"));
    }

    @Test
    void tooBigWithDfGetsFragmentationNeededWithTheMtu()
    {
        rig.learnNeighbours();
        rig.wanIf.mtu(1000);
        rig.lan.inject(rig.fromHost(Packets.ip("8.8.8.8"), 64, 0x4000, new byte[1200]));
        rig.step();
        assertEquals(0, rig.wan.takeSent().size());
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size());
        final byte[] f = out.get(0);
        assertEquals(3, f[34] & 0xff);
        assertEquals(4, f[35] & 0xff, "fragmentation needed");
        assertEquals(1000, u16(f, 34 + 6), "next-hop MTU");
    }

    @Test
    void tooBigWithoutDfIsFragmented()
    {
        rig.learnNeighbours();
        rig.wanIf.mtu(600);
        final byte[] payload = new byte[1400];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)i;
        }
        rig.lan.inject(rig.fromHost(Packets.ip("8.8.8.8"), 64, 0, payload));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(3, out.size(), "1408 bytes of UDP in 576-byte pieces");
        int total = 0;
        final byte[] joined = new byte[1408];
        for (final byte[] f : out)
        {
            final int ipLen = u16(f, 14 + 2);
            assertTrue(ipLen <= 600, "fragment fits the MTU");
            assertEquals(0, Packets.checksum(f, 14, 20));
            final int ff = u16(f, 14 + 6);
            final int offset = (ff & 0x1fff) * 8;
            System.arraycopy(f, 34, joined, offset, ipLen - 20);
            total += ipLen - 20;
        }
        assertEquals(1408, total);
        for (int i = 0; i < 1400; i++)
        {
            assertEquals((byte)i, joined[8 + i], "payload byte " + i);
        }
    }

    @Test
    void noRouteIsUnreachableAndCounted()
    {
        rig.learnNeighbours();
        rig.dp.removeRoute(0, 0);
        rig.lan.inject(rig.fromHost(Packets.ip("8.8.8.8"), 64, 0, new byte[10]));
        rig.step();
        final List<byte[]> out = rig.lan.takeSent();
        assertEquals(1, out.size());
        assertEquals(3, out.get(0)[34] & 0xff);
        assertEquals(0, out.get(0)[35] & 0xff, "network unreachable");
        assertEquals(1, rig.dp.ip4Lookup().drops("no-route"));
    }
}
