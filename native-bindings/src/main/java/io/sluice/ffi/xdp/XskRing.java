package io.sluice.ffi.xdp;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One mmap'ed AF_XDP ring: fill or completion (8-byte frame addresses) or RX or TX (16-byte
 * {@code struct xdp_desc}: u64 addr, u32 len, u32 options).
 * <p>
 * Single producer, single consumer, the kernel being the other side. The producer and consumer
 * indices are free-running u32; we keep cached copies and touch the shared ones only with
 * acquire loads and release stores, as libxdp does: descriptors written before a release store
 * of the producer are visible to the kernel, and descriptors read after an acquire load of the
 * producer are complete. Not thread-safe: one ring, one thread.
 */
public final class XskRing
{
    /** {@code XDP_RING_NEED_WAKEUP}: the kernel wants a syscall to make progress. */
    public static final int NEED_WAKEUP = 1;

    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment map;
    private final long producerOffset;
    private final long consumerOffset;
    private final long flagsOffset;
    private final long descOffset;
    private final int size;
    private final int mask;
    private final int entrySize;
    private final boolean producerSide;

    private int cachedProducer;
    private int cachedConsumer;

    XskRing(
        final MemorySegment map, final long producerOffset, final long consumerOffset, final long flagsOffset,
        final long descOffset, final int size, final int entrySize, final boolean producerSide)
    {
        this.map = map;
        this.producerOffset = producerOffset;
        this.consumerOffset = consumerOffset;
        this.flagsOffset = flagsOffset;
        this.descOffset = descOffset;
        this.size = size;
        this.mask = size - 1;
        this.entrySize = entrySize;
        this.producerSide = producerSide;
        this.cachedProducer = (int)INT.getAcquire(map, producerOffset);
        this.cachedConsumer = (int)INT.getAcquire(map, consumerOffset);
        if (producerSide)
        {
            this.cachedConsumer += size; // as libxdp: cached_cons runs one ring ahead for the free count
        }
    }

    public int size()
    {
        return size;
    }

    MemorySegment mapping()
    {
        return map;
    }

    // ------------------------------------------------------------ producer side (fill, TX)

    /** How many slots are free now, up to {@code wanted}; refreshes from the kernel only when short. */
    public int free(final int wanted)
    {
        int free = cachedConsumer - cachedProducer;
        if (free >= wanted)
        {
            return wanted;
        }
        cachedConsumer = (int)INT.getAcquire(map, consumerOffset) + size;
        free = cachedConsumer - cachedProducer;
        return Math.min(free, wanted);
    }

    /**
     * Reserves up to {@code wanted} slots; returns the count and leaves the first slot's index
     * in {@link #producerIndex()} before the reservation. Fill them, then {@link #submit()}.
     */
    public int reserve(final int wanted)
    {
        final int n = free(wanted);
        cachedProducer += n;
        return n;
    }

    /** The ring index the next reserved slot will have (after reserve: index + count). */
    public int producerIndex()
    {
        return cachedProducer;
    }

    /** Writes a frame address into a fill or completion slot. */
    public void putAddress(final int index, final long address)
    {
        map.set(JAVA_LONG, descOffset + (long)(index & mask) * 8, address);
    }

    /** Writes a descriptor into an RX or TX slot. */
    public void putDescriptor(final int index, final long address, final int length)
    {
        final long at = descOffset + (long)(index & mask) * 16;
        map.set(JAVA_LONG, at, address);
        map.set(JAVA_INT, at + 8, length);
        map.set(JAVA_INT, at + 12, 0);
    }

    /** Publishes every reserved slot to the kernel. */
    public void submit()
    {
        INT.setRelease(map, producerOffset, cachedProducer);
    }

    // ------------------------------------------------------------ consumer side (RX, completion)

    /** How many entries are ready, up to {@code wanted}; refreshes from the kernel only when empty. */
    public int available(final int wanted)
    {
        int entries = cachedProducer - cachedConsumer;
        if (entries == 0)
        {
            cachedProducer = (int)INT.getAcquire(map, producerOffset);
            entries = cachedProducer - cachedConsumer;
        }
        return Math.min(entries, wanted);
    }

    /** The ring index of the next entry to consume. */
    public int consumerIndex()
    {
        return cachedConsumer;
    }

    public long address(final int index)
    {
        return map.get(JAVA_LONG, descOffset + (long)(index & mask) * (long)entrySize);
    }

    public int length(final int index)
    {
        return map.get(JAVA_INT, descOffset + (long)(index & mask) * 16 + 8);
    }

    /** Marks {@code n} entries consumed and hands their slots back to the kernel. */
    public void release(final int n)
    {
        cachedConsumer += n;
        INT.setRelease(map, consumerOffset, cachedConsumer);
    }

    // ------------------------------------------------------------ both

    public boolean needsWakeup()
    {
        return ((int)INT.getVolatile(map, flagsOffset) & NEED_WAKEUP) != 0;
    }

    /** Entries the kernel has not consumed yet (producer side) or we have not (consumer side). */
    public int outstanding()
    {
        final int prod = (int)INT.getAcquire(map, producerOffset);
        final int cons = (int)INT.getAcquire(map, consumerOffset);
        return prod - cons;
    }

    /** The kernel's consumer index of a producer ring: slots from here to ours are still ours to reclaim. */
    public int kernelConsumerIndex()
    {
        return (int)INT.getAcquire(map, consumerOffset);
    }

    boolean isProducerSide()
    {
        return producerSide;
    }
}
