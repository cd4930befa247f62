package io.sluice.dataplane.punt;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Control packets the dataplane does not handle itself (IKE, NHRP, L2TP control), copied out
 * of the data path into a preallocated ring for the control side. Until the control process
 * exists (Aeron IPC) tests read it. A full ring drops the packet and counts it.
 * <p>
 * Each record: the reason (type id) and, in the message, interface index (4 bytes) then the
 * packet from its IPv4 header.
 */
public final class PuntQueue
{
    /** Why a packet was punted: the record's type id. */
    public static final int IKE = 1;
    public static final int NHRP = 2;
    public static final int L2TP_CONTROL = 3;
    public static final int ESP = 4;

    private final OneToOneRingBuffer ring;
    private final UnsafeBuffer scratch;
    private long punted;
    private long dropped;

    public PuntQueue(final int capacityPowerOfTwo)
    {
        final int length = capacityPowerOfTwo + RingBufferDescriptor.TRAILER_LENGTH;
        this.ring = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(length)));
        this.scratch = new UnsafeBuffer(new byte[0]);
    }

    /** Copies a packet into the ring (data path: no allocation). */
    public void punt(final int reason, final int iface, final MemorySegment memory, final long at, final int length)
    {
        final int index = ring.tryClaim(reason, 4 + length);
        if (index <= 0)
        {
            dropped++;
            return;
        }
        final var buffer = ring.buffer();
        buffer.putInt(index, iface);
        scratch.wrap(memory.address() + at, length);
        buffer.putBytes(index + 4, scratch, 0, length);
        ring.commit(index);
        punted++;
    }

    /** Reads punted packets: handler gets (reason, interface, packet bytes). */
    public int drain(final Handler handler, final int limit)
    {
        return ring.read((type, buffer, index, length) ->
        {
            final byte[] packet = new byte[length - 4];
            buffer.getBytes(index + 4, packet);
            handler.onPacket(type, buffer.getInt(index), packet);
        }, limit);
    }

    @FunctionalInterface
    public interface Handler
    {
        void onPacket(int reason, int iface, byte[] packet);
    }

    public long punted()
    {
        return punted;
    }

    public long dropped()
    {
        return dropped;
    }
}
