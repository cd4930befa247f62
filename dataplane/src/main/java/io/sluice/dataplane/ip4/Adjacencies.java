package io.sluice.dataplane.ip4;

import java.util.Arrays;

/**
 * What a route resolves to (VPP's adjacency, IOS's CEF adjacency): the FIB maps a prefix to an
 * adjacency index, and the index says where the packet goes. Appended by the control side and
 * published with a release store of the count; workers read entries below the published count.
 */
public final class Adjacencies
{
    /** Discard (a null route). */
    public static final int DROP = 0;
    /** One of our own addresses: local delivery. */
    public static final int LOCAL = 1;
    /** Out of an interface to a next hop (0 = the packet's own destination: a connected route). */
    public static final int ATTACHED = 2;
    /** Into a tunnel interface; next hop as for ATTACHED, the overlay address for multipoint GRE. */
    public static final int TUNNEL = 3;

    private int[] kind = new int[64];
    private int[] iface = new int[64];
    private int[] nextHop = new int[64];
    private volatile int count;

    public synchronized int add(final int kind, final int iface, final int nextHop)
    {
        for (int i = 0; i < count; i++)
        {
            if (this.kind[i] == kind && this.iface[i] == iface && this.nextHop[i] == nextHop)
            {
                return i;
            }
        }
        if (count == this.kind.length)
        {
            // workers may still read the old arrays: copy, then publish the copies before the count
            this.kind = Arrays.copyOf(this.kind, count * 2);
            this.iface = Arrays.copyOf(this.iface, count * 2);
            this.nextHop = Arrays.copyOf(this.nextHop, count * 2);
        }
        this.kind[count] = kind;
        this.iface[count] = iface;
        this.nextHop[count] = nextHop;
        count = count + 1; // volatile store publishes the entry
        return count - 1;
    }

    public int kind(final int adjacency)
    {
        return kind[adjacency];
    }

    public int iface(final int adjacency)
    {
        return iface[adjacency];
    }

    public int nextHop(final int adjacency)
    {
        return nextHop[adjacency];
    }

    public int size()
    {
        return count;
    }
}
