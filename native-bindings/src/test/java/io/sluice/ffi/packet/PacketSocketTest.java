package io.sluice.ffi.packet;

import io.sluice.ffi.libc.Errno;
import io.sluice.ffi.libc.NativeException;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.Capabilities;
import io.sluice.ffi.testkit.NetnsLab;
import io.sluice.ffi.testkit.OpenFds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PacketSocket} on a veth pair between two namespaces: ring geometry, a frame written to
 * one side's transmit ring read back from the other side's receive ring, and the refusals.
 */
class PacketSocketTest
{
    /** IEEE 802 local experimental EtherType: nothing else on the link uses it. */
    private static final int ETHERTYPE = 0x88b5;
    private static final ValueLayout.OfShort NET_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private NetnsLab lab;

    private NetnsLab lab()
    {
        lab = NetnsLab.createOrSkip(this);
        return lab;
    }

    @AfterEach
    void tearDown()
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void transmitRingFrameArrivesInThePeersReceiveRingByteIdentical()
    {
        final NetnsLab lab = lab();
        final String a = lab.namespace("a");
        final String b = lab.namespace("b");
        final String[] veth = lab.veth(a, null, b, null);
        final PacketSocket.Config config = PacketSocket.Config.defaults();
        final PacketSocket left;
        final PacketSocket right;
        try (NetNs ignored = NetNs.enter(a))
        {
            left = PacketSocket.open(veth[0], config);
        }
        try (NetNs ignored = NetNs.enter(b))
        {
            right = PacketSocket.open(veth[1], config.withQdiscBypass(true));
        }
        try
        {
            assertEquals(config.rxBlockCount(), left.rx().blockCount());
            assertEquals(4 * (128 * 1024 / 2048), left.tx().size());
            assertEquals(2048 - 48, left.tx().capacity());
            assertEquals(32L * 128 * 1024 + 4L * 128 * 1024, left.mapping().byteSize());

            final byte[] frame = new byte[600];
            new Random(3).nextBytes(frame);
            for (int i = 0; i < 6; i++)
            {
                frame[i] = (byte)0xff;
            }
            frame[6] = 0x02; // locally administered, unicast source
            final MemorySegment slots = left.tx().memory();
            for (int slot = 0; slot < 3; slot++)
            {
                frame[14] = (byte)slot;
                MemorySegment.copy(frame, 0, slots, JAVA_BYTE, left.tx().dataOffset(slot), frame.length);
                slots.set(NET_SHORT, left.tx().dataOffset(slot) + 12, (short)ETHERTYPE);
                assertTrue(left.tx().isAvailable(slot));
                left.tx().submit(slot, frame.length);
            }
            final int sent = left.kickTx();
            assertEquals(3 * frame.length, sent, "bytes sent by one kick");
            awaitAvailable(left.tx(), 2);

            for (int slot = 0; slot < 3; slot++)
            {
                frame[12] = (byte)(ETHERTYPE >>> 8);
                frame[13] = (byte)ETHERTYPE;
                frame[14] = (byte)slot;
                final byte[] got = receiveExperimental(right, slot);
                assertNotNull(got, "frame " + slot + " did not arrive");
                assertArrayEquals(frame, got, "frame " + slot);
            }
            assertTrue(right.statistics().packets() >= 3);
        }
        finally
        {
            left.close();
            right.close();
        }
    }

    private static void awaitAvailable(final PacketTxRing tx, final int slot)
    {
        final long deadline = System.nanoTime() + 2_000_000_000L;
        while (!tx.isAvailable(slot))
        {
            assertTrue(System.nanoTime() < deadline, "slot " + slot + " still in status " + tx.status(slot));
            Thread.onSpinWait();
        }
    }

    private int rxBlock;
    private int rxLeft;
    private long rxPacket;

    /** Walks the receive ring as a port does, skipping other traffic (IPv6 neighbour discovery). */
    private byte[] receiveExperimental(final PacketSocket socket, final int marker)
    {
        final PacketRxRing rx = socket.rx();
        final long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline)
        {
            if (rxLeft == 0)
            {
                if (!rx.isReady(rxBlock))
                {
                    Thread.onSpinWait();
                    continue;
                }
                rxLeft = rx.packetCount(rxBlock);
                rxPacket = rx.firstPacket(rxBlock);
                if (rxLeft == 0)
                {
                    rx.release(rxBlock);
                    rxBlock = (rxBlock + 1) % rx.blockCount();
                    continue;
                }
            }
            final long packet = rxPacket;
            byte[] found = null;
            final long at = rx.frameOffset(packet);
            final int length = rx.capturedLength(packet);
            assertEquals(rx.wireLength(packet), length, "a short frame is captured whole");
            if (length > 14 && Short.toUnsignedInt(rx.memory().get(NET_SHORT, at + 12)) == ETHERTYPE &&
                rx.memory().get(JAVA_BYTE, at + 14) == marker)
            {
                found = rx.memory().asSlice(at, length).toArray(JAVA_BYTE);
            }
            if (--rxLeft == 0)
            {
                rx.release(rxBlock);
                rxBlock = (rxBlock + 1) % rx.blockCount();
            }
            else
            {
                rxPacket = rx.nextPacket(packet);
            }
            if (found != null)
            {
                return found;
            }
        }
        return null;
    }

    @Test
    void missingInterfaceIsNamedWithTheCauseAndLeaksNoFd()
    {
        final NetnsLab lab = lab();
        final String ns = lab.namespace("m");
        final String missing = "nope" + lab.id();
        final Map<Integer, String> before = OpenFds.snapshot();
        try (NetNs ignored = NetNs.enter(ns))
        {
            final NativeException e = assertThrows(NativeException.class,
                () -> PacketSocket.open(missing, PacketSocket.Config.defaults()));
            System.out.println("refused: " + e.getMessage());
            assertEquals(Errno.ENODEV, e.errno());
            assertTrue(e.getMessage().contains("'" + missing + "'") && e.getMessage().contains("ENODEV") &&
                e.getMessage().contains("no interface named"), e.getMessage());
        }
        assertEquals(Map.of(), OpenFds.newKernelObjects(before));
        assertTrue(OpenFds.count() <= before.size(), () -> "fds opened and not closed: " + OpenFds.added(before));
    }

    @Test
    void socketWithoutCapNetRawSaysWhatIsMissingAndLeaksNoFd()
    {
        final NetnsLab lab = lab();
        final String ns = lab.namespace("r");
        final NetNs[] inside = new NetNs[1];
        final Map<Integer, String> before = OpenFds.snapshot();
        final Capabilities.Outcome<PacketSocket> outcome = Capabilities.withoutEffective(
            () -> inside[0] = NetNs.enter(ns), () -> PacketSocket.open("lo", PacketSocket.Config.defaults()),
            () -> inside[0].close());
        if (outcome.value() != null)
        {
            outcome.value().close();
        }
        final NativeException e = assertInstanceOf(NativeException.class, outcome.thrown());
        System.out.println("refused: " + e.getMessage());
        assertEquals(Errno.EPERM, e.errno());
        assertTrue(e.getMessage().contains("'lo'") && e.getMessage().contains("EPERM") &&
            e.getMessage().contains("CAP_NET_RAW"), e.getMessage());
        assertEquals(Map.of(), OpenFds.newKernelObjects(before));
    }

    @Test
    void configRefusesRingsTheKernelWouldReject()
    {
        final PacketSocket.Config d = PacketSocket.Config.defaults();
        final IllegalArgumentException block = assertThrows(IllegalArgumentException.class,
            () -> d.withRxRing(100_000, 8, 1));
        assertTrue(block.getMessage().contains("100000"), block.getMessage());
        final IllegalArgumentException slot = assertThrows(IllegalArgumentException.class,
            () -> d.withTxRing(65536, 4, 2040));
        assertTrue(slot.getMessage().contains("2040"), slot.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.withTxRing(65536, 0, 2048));
        assertThrows(IllegalArgumentException.class, () -> d.withRxRing(65536, 8, -1));
    }
}
