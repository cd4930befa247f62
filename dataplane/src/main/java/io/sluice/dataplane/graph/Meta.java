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
    /** Arrived as a link-layer broadcast or multicast: never forwarded (RFC 1812 5.3.4). */
    public static final int L2_GROUP = 8;
    /**
     * esp-decrypt verified and opened the packet: a GRE tunnel with {@code tunnel protection}
     * accepts only packets carrying this flag, so cleartext GRE cannot be injected into it.
     */
    public static final int DECRYPTED = 16;
    /**
     * Another worker handed this packet over to the worker that owns its SA: the SA stage processes
     * it here whoever owns the SA it finds now (an SA switched meanwhile must not bounce it back).
     */
    public static final int HANDED_OVER = 32;
    /** How many tunnel headers the gateway has put around the packet: bits 8-9. */
    public static final int DEPTH_SHIFT = 8;
    public static final int DEPTH_MASK = 0x300;
    /** Two wraps are legitimate (an L2TPv3 pseudowire to a peer behind a GRE tunnel); a third is a loop. */
    public static final int MAX_NESTING = 2;

    /** The tunnel nesting depth recorded in a packet's flags. */
    public static int depth(final int flags)
    {
        return (flags & DEPTH_MASK) >>> DEPTH_SHIFT;
    }

    /** Flags for a packet just wrapped once more by a tunnel output. */
    public static int wrapped(final int flags)
    {
        return LOCAL_ORIGIN | ENCAPSULATED | ((depth(flags) + 1) << DEPTH_SHIFT);
    }

    /** Interface the packet arrived on (physical or tunnel). */
    public final int[] rxInterface;
    /** Adjacency chosen by ip4-lookup. */
    public final int[] adjacency;
    public final int[] flags;
    /** The IPsec binding (tunnel and peer) whose outbound SA esp-encrypt is to use. */
    public final int[] espBinding;

    public Meta(final int frames)
    {
        espBinding = new int[frames];
        rxInterface = new int[frames];
        adjacency = new int[frames];
        flags = new int[frames];
    }
}
