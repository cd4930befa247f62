package io.sluice.dataplane.worker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded single-producer single-consumer ring of fixed-width records of longs: one thread
 * offers, one other thread polls. Lock-free and allocation-free: the producer writes a record's
 * longs with plain stores and publishes them with a release store of its tail; the consumer reads
 * the tail with an acquire load, so it sees the record whole (Lamport's queue, as Agrona's and
 * JCTools' SPSC queues). Each side caches the other's index and re-reads it only when the cache
 * says full (or empty), so in steady state they do not share a cache line.
 */
public final class SpscLongRing
{
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            HEAD = lookup.findVarHandle(SpscLongRing.class, "head", long.class);
            TAIL = lookup.findVarHandle(SpscLongRing.class, "tail", long.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long[] slots;
    private final int width;
    private final int mask;

    // consumer side
    @SuppressWarnings("unused")
    private long p00, p01, p02, p03, p04, p05, p06, p07;
    private volatile long head;
    private long tailCache;

    // producer side
    @SuppressWarnings("unused")
    private long p10, p11, p12, p13, p14, p15, p16, p17;
    private volatile long tail;
    private long headCache;
    @SuppressWarnings("unused")
    private long p20, p21, p22, p23, p24, p25, p26, p27;

    /**
     * @param capacity records the ring holds, rounded up to a power of two
     * @param width    longs per record
     */
    public SpscLongRing(final int capacity, final int width)
    {
        if (capacity < 1 || capacity > 1 << 24 || width < 1 || width > 16)
        {
            throw new IllegalArgumentException("ring of " + capacity + " records of " + width + " longs");
        }
        final int records = Integer.highestOneBit(capacity * 2 - 1);
        this.slots = new long[records * width];
        this.width = width;
        this.mask = records - 1;
    }

    public int capacity()
    {
        return mask + 1;
    }

    public int width()
    {
        return width;
    }

    /** Producer: the slot index to write the next record's longs at, or -1 when the ring is full. */
    public int claim()
    {
        final long t = (long)TAIL.getOpaque(this);
        if (t - headCache > mask)
        {
            headCache = (long)HEAD.getAcquire(this);
            if (t - headCache > mask)
            {
                return -1;
            }
        }
        return (int)(t & mask) * width;
    }

    /** Producer: writes one long of the claimed record. */
    public void put(final int slot, final int field, final long value)
    {
        slots[slot + field] = value;
    }

    /** Producer: publishes the claimed record. */
    public void commit()
    {
        TAIL.setRelease(this, (long)TAIL.getOpaque(this) + 1);
    }

    /** Producer: a one-long record; false when full. */
    public boolean offer(final long value)
    {
        final int slot = claim();
        if (slot < 0)
        {
            return false;
        }
        slots[slot] = value;
        commit();
        return true;
    }

    /** Consumer: records ready to read (at least; more may arrive). */
    public int available()
    {
        final long h = (long)HEAD.getOpaque(this);
        if (tailCache == h)
        {
            tailCache = (long)TAIL.getAcquire(this);
        }
        return (int)(tailCache - h);
    }

    /** Consumer: the slot index of the {@code i}-th ready record (i below {@link #available()}). */
    public int peek(final int i)
    {
        return (int)(((long)HEAD.getOpaque(this) + i) & mask) * width;
    }

    /** Consumer: one long of a ready record. */
    public long get(final int slot, final int field)
    {
        return slots[slot + field];
    }

    /** Consumer: gives the first {@code n} ready records' slots back to the producer. */
    public void release(final int n)
    {
        HEAD.setRelease(this, (long)HEAD.getOpaque(this) + n);
    }

    /** Records in the ring now, as seen from any thread (for counters, not for flow control). */
    public int size()
    {
        return (int)((long)TAIL.getAcquire(this) - (long)HEAD.getAcquire(this));
    }
}
