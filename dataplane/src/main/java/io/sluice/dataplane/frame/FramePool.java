package io.sluice.dataplane.frame;

import java.lang.foreign.MemorySegment;

/**
 * Off-heap packet frames of one size, addressed by their byte offset into one memory area (for
 * AF_XDP that area is the UMEM, and the offset is what the rings carry). A free stack of frame
 * offsets; allocation and release are O(1) and allocate nothing.
 * <p>
 * One pool belongs to one worker thread: not thread-safe.
 */
public final class FramePool
{
    private final MemorySegment memory;
    private final int frameSize;
    private final int frameShift;
    private final int dataOffset;
    private final long[] free;
    private int top;

    /**
     * @param memory     the area; its size is a multiple of {@code frameSize}
     * @param frameSize  a power of two
     * @param dataOffset where a received packet starts within its frame (room to prepend headers)
     */
    public FramePool(final MemorySegment memory, final int frameSize, final int dataOffset)
    {
        if (Integer.bitCount(frameSize) != 1)
        {
            throw new IllegalArgumentException("frame size " + frameSize + " is not a power of two");
        }
        if (dataOffset < 0 || dataOffset >= frameSize)
        {
            throw new IllegalArgumentException("data offset " + dataOffset + " outside a " + frameSize + "-byte frame");
        }
        final long count = memory.byteSize() / frameSize;
        if (count < 1 || count > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("memory of " + memory.byteSize() + " bytes holds no usable frame count");
        }
        this.memory = memory;
        this.frameSize = frameSize;
        this.frameShift = Integer.numberOfTrailingZeros(frameSize);
        this.dataOffset = dataOffset;
        this.free = new long[(int)count];
        for (int i = (int)count - 1; i >= 0; i--)
        {
            free[top++] = (long)i << frameShift;
        }
    }

    /** A free frame's base offset, or -1 when none is left. */
    public long allocate()
    {
        return top == 0 ? -1 : free[--top];
    }

    /** Returns the frame that holds {@code address} (any offset inside it) to the pool. */
    public void release(final long address)
    {
        free[top++] = (address >>> frameShift) << frameShift;
    }

    public int available()
    {
        return top;
    }

    public int capacity()
    {
        return free.length;
    }

    public MemorySegment memory()
    {
        return memory;
    }

    public int frameSize()
    {
        return frameSize;
    }

    /** Offset of packet data in a freshly received frame. */
    public int dataOffset()
    {
        return dataOffset;
    }

    /** The index (0..capacity-1) of the frame holding {@code address}: the key of per-frame metadata. */
    public int index(final long address)
    {
        return (int)(address >>> frameShift);
    }

    /** The base offset of the frame holding {@code address}. */
    public long frameOf(final long address)
    {
        return (address >>> frameShift) << frameShift;
    }
}
