package io.sluice.dataplane.graph;

/**
 * Per-frame metadata that travels with a packet through the graph (VPP's buffer opaque):
 * arrays indexed by frame index, so vectors carry only descriptors.
 */
public final class Meta
{
    /** The packet was made or encapsulated by the gateway: no TTL decrement on output. */
    public static final int LOCAL_ORIGIN = 1;
    /** The packet came out of a tunnel: input checks already done on the outer header. */
    public static final int FROM_TUNNEL = 2;
    /**
     * A tunnel output has already wrapped this packet: if its outer header is routed into a tunnel
     * again (the tunnel destination reachable only through the tunnel: recursive routing), it is
     * dropped instead of being wrapped until the headroom runs out.
     */
    public static final int ENCAPSULATED = 4;

    /** Interface the packet arrived on (physical or tunnel). */
    public final int[] rxInterface;
    /** Adjacency chosen by ip4-lookup. */
    public final int[] adjacency;
    public final int[] flags;

    public Meta(final int frames)
    {
        rxInterface = new int[frames];
        adjacency = new int[frames];
        flags = new int[frames];
    }
}
