package io.sluice.dataplane.ip4stage;

import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Packets the control side sends (IKE, NHRP) are routed like the gateway's own, unchanged. */
class InjectTest
{
    private final Rig rig = new Rig();

    @AfterEach
    void tearDown()
    {
        rig.close();
    }

    @Test
    void anInjectedIkePacketLeavesByItsRouteWithTtlUntouched()
    {
        rig.learnNeighbours();
        final byte[] ike = Packets.ipv4(Rig.WAN_IP, Packets.ip("198.51.100.2"), 17, 64, 7, 0,
            Packets.udp(500, 500, Packets.pattern(120, 3)));
        assertTrue(rig.dp.inject(new UnsafeBuffer(ike), 0, ike.length));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertEquals(Rig.ROUTER_MAC, Packets.mac(out.get(0), 0), "to the default router");
        assertArrayEquals(ike, Arrays.copyOfRange(out.get(0), 14, out.get(0).length), "sent as made");
        assertEquals(1, rig.dp.injected());
    }

    @Test
    void aRuntOrOversizedPacketIsRefusedAndCounted()
    {
        assertFalse(rig.dp.inject(new UnsafeBuffer(new byte[10]), 0, 10));
        assertFalse(rig.dp.inject(new UnsafeBuffer(new byte[9000]), 0, 9000));
        assertEquals(2, rig.dp.injectDropped());
    }
}
