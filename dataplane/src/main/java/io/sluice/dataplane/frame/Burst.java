package io.sluice.dataplane.frame;

import java.lang.foreign.MemorySegment;

/**
 * A vector of frame descriptors (offset into the pool memory, length) that a worker moves
 * through its stages as a whole, VPP-style. The frames stay where they are; only descriptors
 * move. Preallocated, reused for every burst.
 */
public final class Burst
{
    public static final int DEFAULT_CAPACITY = 64;

    private final MemorySegment memory;
    private final long[] address;
    private final int[] length;
    private int count;

    public Burst(final MemorySegment memory, final int capacity)
    {
        this.memory = memory;
        this.address = new long[capacity];
        this.length = new int[capacity];
    }

    public MemorySegment memory()
    {
        return memory;
    }

    public int capacity()
    {
        return address.length;
    }

    public int count()
    {
        return count;
    }

    public int space()
    {
        return address.length - count;
    }

    public boolean isEmpty()
    {
        return count == 0;
    }

    public long address(final int i)
    {
        return address[i];
    }

    public int length(final int i)
    {
        return length[i];
    }

    /** Appends a descriptor; the caller checks {@link #space()}. */
    public void add(final long addr, final int len)
    {
        address[count] = addr;
        length[count] = len;
        count++;
    }

    /** Appends a descriptor if there is room; returns false (and appends nothing) when full. */
    public boolean offer(final long addr, final int len)
    {
        if (count == address.length)
        {
            return false;
        }
        address[count] = addr;
        length[count] = len;
        count++;
        return true;
    }

    public void set(final int i, final long addr, final int len)
    {
        address[i] = addr;
        length[i] = len;
    }

    public void clear()
    {
        count = 0;
    }
}
