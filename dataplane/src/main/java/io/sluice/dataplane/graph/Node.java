package io.sluice.dataplane.graph;

import io.sluice.dataplane.frame.Burst;

/**
 * A stage of the forwarding graph. It takes its whole input vector at once and hands every
 * packet on to a next node ({@link Graph#enqueue}), to a port ({@link Graph#transmit}), or drops
 * it with a named reason ({@link #drop}). Nothing on this path allocates, locks or throws.
 */
public abstract class Node
{
    protected final Graph graph;
    private final String name;
    private final Burst input;
    private final String[] dropReasons;
    private final long[] drops;
    long packets;
    long vectors;
    private volatile io.sluice.dataplane.trace.CaptureTap tap;

    protected Node(final Graph graph, final String name, final String... dropReasons)
    {
        this.graph = graph;
        this.name = name;
        this.input = new Burst(graph.pool().memory(), Graph.VECTOR_CAPACITY);
        this.dropReasons = dropReasons.clone();
        this.drops = new long[dropReasons.length];
        graph.register(this);
    }

    /** Handles every packet of the vector; the graph clears it afterwards. */
    protected abstract void process(Burst vector);

    public final String name()
    {
        return name;
    }

    final Burst input()
    {
        return input;
    }

    /** Counts a drop for {@code reason} (an index into the reasons given to the constructor) and frees the frame. */
    protected final void drop(final int reason, final long address)
    {
        drops[reason]++;
        graph.pool().release(address);
    }

    /** Counts a drop that frees no frame (the caller keeps or already freed it). */
    protected final void count(final int reason)
    {
        drops[reason]++;
    }

    public final long packets()
    {
        return packets;
    }

    public final long vectors()
    {
        return vectors;
    }

    public final int dropReasonCount()
    {
        return dropReasons.length;
    }

    public final String dropReason(final int i)
    {
        return dropReasons[i];
    }

    public final long drops(final int i)
    {
        return drops[i];
    }

    /** Drops counted for a reason by name (for tests and show commands); -1 if the node has no such reason. */
    public final long drops(final String reason)
    {
        for (int i = 0; i < dropReasons.length; i++)
        {
            if (dropReasons[i].equals(reason))
            {
                return drops[i];
            }
        }
        return -1;
    }

    public final long totalDrops()
    {
        long sum = 0;
        for (final long d : drops)
        {
            sum += d;
        }
        return sum;
    }

    /** The capture tap on this node's input, or null. */
    public final io.sluice.dataplane.trace.CaptureTap tap()
    {
        return tap;
    }

    /** Puts a capture tap on this node's input (control side); null removes it. */
    public final void tap(final io.sluice.dataplane.trace.CaptureTap tap)
    {
        this.tap = tap;
    }

    /** What a packet looks like at this node's input, for a capture: Ethernet or bare IP. */
    public io.sluice.dataplane.trace.PcapLinkType inputLinkType()
    {
        return io.sluice.dataplane.trace.PcapLinkType.RAW;
    }

    public final void clearCounters()
    {
        java.util.Arrays.fill(drops, 0);
        packets = 0;
        vectors = 0;
    }
}
