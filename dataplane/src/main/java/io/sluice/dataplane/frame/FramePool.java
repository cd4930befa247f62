package io.sluice.dataplane.frame;

import java.lang.foreign.MemorySegment;

/**
 * Off-heap packet frames of one size, addressed by their byte offset into one memory area (for
 * AF_XDP that area is the UMEM, and the offset is what the rings carry). A free stack of frame
 * offsets; allocation and release are O(1) and allocate nothing.
 * <p>
 * One pool belongs to one worker thread: not thread-safe. Several workers may share one memory
 * area, each pool owning a range of its frames (AF_XDP sockets sharing a UMEM): a frame one
 * worker hands to another (an SA's packets go to the worker that owns the SA) comes back to its
 * own pool through {@link #foreignFrames}, never into another pool's free stack.
 */
public final class FramePool
{
    private final MemorySegment memory;
    private final int frameSize;
    private final int frameShift;
    private final int dataOffset;
    private final long[] free;
    private final long first;
    private final long limit;
    private final int frames;
    private int top;
    private ForeignFrames foreign;

    /** Where a pool sends a frame it does not own (see {@link #foreignFrames}). */
    @FunctionalInterface
    public interface ForeignFrames
    {
        void release(long frame);
    }

    /**
     * @param memory     the area; its size is a multiple of {@code frameSize}
     * @param frameSize  a power of two
     * @param dataOffset where a received packet starts within its frame (room to prepend headers)
     */
    public FramePool(final MemorySegment memory, final int frameSize, final int dataOffset)
    {
        this(memory, frameSize, dataOffset, 0, (int)Math.min(Integer.MAX_VALUE, memory.byteSize() / frameSize));
    }

    /**
     * A pool that owns {@code count} frames of {@code memory} from frame number {@code firstFrame}
     * on; the rest of the area belongs to other workers' pools.
     */
    public FramePool(
        final MemorySegment memory, final int frameSize, final int dataOffset, final int firstFrame, final int count)
    {
        if (Integer.bitCount(frameSize) != 1)
        {
            throw new IllegalArgumentException("frame size " + frameSize + " is not a power of two");
        }
        if (dataOffset < 0 || dataOffset >= frameSize)
        {
            throw new IllegalArgumentException("data offset " + dataOffset + " outside a " + frameSize + "-byte frame");
        }
        final long total = memory.byteSize() / frameSize;
        if (total < 1 || total > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("memory of " + memory.byteSize() + " bytes holds no usable frame count");
        }
        if (firstFrame < 0 || count < 1 || (long)firstFrame + count > total)
        {
            throw new IllegalArgumentException("frames " + firstFrame + ".." + ((long)firstFrame + count - 1) +
                " outside the " + total + " frames of the memory area");
        }
        this.memory = memory;
        this.frameSize = frameSize;
        this.frameShift = Integer.numberOfTrailingZeros(frameSize);
        this.dataOffset = dataOffset;
        this.frames = (int)total;
        this.first = (long)firstFrame << frameShift;
        this.limit = (long)(firstFrame + count) << frameShift;
        this.free = new long[count];
        for (int i = firstFrame + count - 1; i >= firstFrame; i--)
        {
            free[top++] = (long)i << frameShift;
        }
    }

    /**
     * Where frames of other pools go when this pool's worker is done with them (set before the
     * workers start). Without it a pool must only ever see its own frames.
     */
    public void foreignFrames(final ForeignFrames foreign)
    {
        this.foreign = foreign;
    }

    /** True when the frame holding {@code address} is one of this pool's. */
    public boolean owns(final long address)
    {
        return address >= first && address < limit;
    }

    /** The number of frames in the whole memory area (all pools sharing it): the size of per-frame metadata. */
    public int frames()
    {
        return frames;
    }

    /** A free frame's base offset, or -1 when none is left. */
    public long allocate()
    {
        return top == 0 ? -1 : free[--top];
    }

    /** Returns the frame that holds {@code address} (any offset inside it) to the pool. */
    public void release(final long address)
    {
        final long frame = (address >>> frameShift) << frameShift;
        if (frame >= first && frame < limit)
        {
            free[top++] = frame;
        }
        else
        {
            foreign.release(frame);
        }
    }

    public int available()
    {
        return top;
    }

    /** The frames this pool owns. */
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

    /** The index (0..frames-1) of the frame holding {@code address}: the key of per-frame metadata. */
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
