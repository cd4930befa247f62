package io.sluice.dataplane.esp;

import io.sluice.dataplane.esp.EspTesting.Suite;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.sluice.dataplane.esp.EspTesting.udpPacket;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SAD: lookups, rekey make-before-break, and lock-free reads while the control side writes. */
class EspSecurityAssociationDatabaseTest
{
    private static final Suite GCM = new Suite(EspEncryption.AES_GCM_256, EspIntegrity.NONE);
    private static final int TUNNEL = 3;

    private final EspTesting t = new EspTesting();
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase();

    @AfterEach
    void tearDown()
    {
        t.close();
    }

    private SecurityAssociation sa(final int spi, final boolean outbound, final int seed)
    {
        return t.builder(GCM, spi, outbound, Mode.TUNNEL, seed).tunnel(TUNNEL).build();
    }

    @Test
    void rekeysMakeBeforeBreak()
    {
        // Peer A's view and ours: the old pair, keys seeded 1.
        final SecurityAssociation oldOut = sa(0x1111, true, 1);
        final SecurityAssociation oldIn = sa(0x2222, false, 2);
        final SecurityAssociation peerOldOut = sa(0x2222, true, 2);
        sad.addInbound(oldIn);
        assertNull(sad.switchOutbound(oldOut));
        assertSame(oldOut, sad.outbound(TUNNEL));

        // A packet the peer sent with the old key is still in flight while we rekey.
        final byte[] lateOld = t.encrypt(peerOldOut, udpPacket(100, 0, 1));

        final SecurityAssociation newOut = sa(0x3333, true, 3);
        final SecurityAssociation newIn = sa(0x4444, false, 4);
        final SecurityAssociation peerNewOut = sa(0x4444, true, 4);
        sad.addInbound(newIn);
        assertEquals(List.of(oldIn, newIn), sad.inboundOf(TUNNEL), "both inbound SAs live during the rekey");
        assertSame(oldOut, sad.switchOutbound(newOut));
        assertSame(newOut, sad.outbound(TUNNEL));

        final byte[] sent = t.encrypt(sad.outbound(TUNNEL), udpPacket(100, 0, 2));
        assertEquals(0x3333, io.sluice.dataplane.testing.Packets.u32(sent, 20), "new packets use the new SA");
        final byte[] fresh = t.encrypt(peerNewOut, udpPacket(100, 0, 3));
        assertArrayEquals(udpPacket(100, 0, 3), t.decryptOk(sad.inbound(0x4444), fresh));
        assertArrayEquals(udpPacket(100, 0, 1), t.decryptOk(sad.inbound(0x2222), lateOld), "the late old packet too");

        assertSame(oldIn, sad.removeInbound(0x2222));
        oldIn.destroy();
        oldOut.destroy();
        assertNull(sad.inbound(0x2222));
        assertEquals(List.of(newIn), sad.inboundOf(TUNNEL));
        assertEquals(1, sad.inboundCount());
        assertEquals(1, sad.outboundCount());
        assertSame(newOut, sad.removeOutbound(TUNNEL));
        assertNull(sad.outbound(TUNNEL));
    }

    @Test
    void refusesDuplicateSpisAndMisfits()
    {
        sad.addInbound(sa(0x1000, false, 1));
        final IllegalStateException dup = assertThrows(IllegalStateException.class, () -> sad.addInbound(sa(0x1000, false, 2)));
        assertTrue(dup.getMessage().contains("already used"), dup.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sad.addInbound(sa(0x1001, true, 1)));
        assertThrows(IllegalArgumentException.class, () -> sad.switchOutbound(sa(0x1002, false, 1)));
        final SecurityAssociation noTunnel = t.builder(GCM, 0x1003, true, Mode.TUNNEL, 1).build();
        assertThrows(IllegalArgumentException.class, () -> sad.switchOutbound(noTunnel));
        final SecurityAssociation dead = sa(0x1004, true, 1);
        dead.destroy();
        assertThrows(IllegalArgumentException.class, () -> sad.switchOutbound(dead));
        assertNull(sad.removeInbound(0x9999));
    }

    @Test
    void workersReadWithoutLocksWhileTheControlSideSwitches() throws Exception
    {
        final SecurityAssociation a = sa(0x1a1a, true, 1);
        final SecurityAssociation b = sa(0x2b2b, true, 2);
        final SecurityAssociation inA = sa(0x3c3c, false, 3);
        sad.switchOutbound(a);
        sad.addInbound(inA);
        final Set<SecurityAssociation> valid = Set.of(a, b);
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<String> error = new AtomicReference<>();
        final AtomicLong reads = new AtomicLong();
        final Thread[] readers = new Thread[2];
        for (int r = 0; r < readers.length; r++)
        {
            readers[r] = new Thread(() ->
            {
                long n = 0;
                while (!stop.get())
                {
                    final SecurityAssociation out = sad.outbound(TUNNEL);
                    if (!valid.contains(out))
                    {
                        error.set("outbound lookup saw " + out);
                    }
                    if (sad.inbound(0x3c3c) != inA)
                    {
                        error.set("inbound lookup lost the SA that never left");
                    }
                    n++;
                }
                reads.addAndGet(n);
            });
            readers[r].start();
        }
        for (int i = 0; i < 20_000; i++)
        {
            sad.switchOutbound((i & 1) == 0 ? b : a);
            final SecurityAssociation extra = sad.inbound(0x4d4d);
            if (extra == null)
            {
                sad.addInbound(sa(0x4d4d, false, 4));
            }
            else
            {
                sad.removeInbound(0x4d4d).destroy();
            }
        }
        stop.set(true);
        for (final Thread r : readers)
        {
            r.join();
        }
        assertNull(error.get(), error.get());
        assertTrue(reads.get() > 0);
    }
}
