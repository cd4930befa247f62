package io.sluice.ffi.packet;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The transmit ring of a TPACKET_V3 AF_PACKET socket. The kernel has no block mode for TX: V3 TX
 * is V2's fixed-size slots with a {@code struct tpacket3_hdr} at the start of each, the frame
 * at {@link #DATA_OFFSET} (the header size rounded to TPACKET_ALIGNMENT), {@code frameSize}
 * bytes apart within blocks of {@code blockSize}.
 * <p>
 * A slot's {@code tp_status} says who owns it. {@link #TP_STATUS_AVAILABLE}: ours to fill; we
 * write the frame and {@code tp_len}, then store {@link #TP_STATUS_SEND_REQUEST} with release so
 * the kernel sees a complete slot. The kernel sends the requested slots in ring order on the next
 * {@code sendto}, marks each {@code SENDING}, and {@code AVAILABLE} again when its skb is freed;
 * we read the status with acquire, so the kernel is done with the slot's bytes before we rewrite
 * them. Slots must be filled in ring order: the kernel walks from its own head and stops at the
 * first slot that is not a send request.
 */
public final class PacketTxRing
{
    public static final int TP_STATUS_AVAILABLE = 0;
    public static final int TP_STATUS_SEND_REQUEST = 1;
    public static final int TP_STATUS_SENDING = 2;
    public static final int TP_STATUS_WRONG_FORMAT = 4;

    /** Where the frame starts in a slot: TPACKET_ALIGN(sizeof(struct tpacket3_hdr)). */
    public static final int DATA_OFFSET = 48;

    static final long TP_NEXT_OFFSET = 0;
    static final long TP_SNAPLEN = 12;
    static final long TP_LEN = 16;
    static final long TP_STATUS = 20;

    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment map;
    private final long base;
    private final int blockSize;
    private final int frameSize;
    private final int framesPerBlock;
    private final int frameCount;

    PacketTxRing(final MemorySegment map, final long base, final int blockSize, final int blockCount,
        final int frameSize)
    {
        this.map = map;
        this.base = base;
        this.blockSize = blockSize;
        this.frameSize = frameSize;
        this.framesPerBlock = blockSize / frameSize;
        this.frameCount = framesPerBlock * blockCount;
    }

    /** The whole socket mapping (RX and TX rings); all offsets are relative to it. */
    public MemorySegment memory()
    {
        return map;
    }

    /** Number of slots. */
    public int size()
    {
        return frameCount;
    }

    public int frameSize()
    {
        return frameSize;
    }

    /** Largest frame a slot holds (the kernel also caps a frame at the device MTU plus link header). */
    public int capacity()
    {
        return frameSize - DATA_OFFSET;
    }

    /** Offset of slot {@code index} (0..size-1). */
    public long slotOffset(final int index)
    {
        return base + (long)(index / framesPerBlock) * blockSize + (long)(index % framesPerBlock) * frameSize;
    }

    /** Offset where the frame of slot {@code index} goes. */
    public long dataOffset(final int index)
    {
        return slotOffset(index) + DATA_OFFSET;
    }

    /** Whether the slot is ours to fill; an acquire load. */
    public boolean isAvailable(final int index)
    {
        return (int)INT.getAcquire(map, slotOffset(index) + TP_STATUS) == TP_STATUS_AVAILABLE;
    }

    /** The slot's {@code tp_status}, for diagnostics. */
    public int status(final int index)
    {
        return (int)INT.getAcquire(map, slotOffset(index) + TP_STATUS);
    }

    /**
     * Requests transmission of the {@code length} bytes already written at {@link #dataOffset}:
     * sets the header, then releases the slot to the kernel. The frame leaves on the next kick.
     */
    public void submit(final int index, final int length)
    {
        final long slot = slotOffset(index);
        map.set(JAVA_INT, slot + TP_NEXT_OFFSET, 0); // V3 TX has no variable-size slots; non-zero is rejected
        map.set(JAVA_INT, slot + TP_SNAPLEN, length);
        map.set(JAVA_INT, slot + TP_LEN, length);
        INT.setRelease(map, slot + TP_STATUS, TP_STATUS_SEND_REQUEST);
    }
}
