package io.sluice.dataplane.ip4;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Icmp4;
import io.sluice.dataplane.packet.Ipv4;

import java.lang.foreign.MemorySegment;

/**
 * What every tunnel output checks before wrapping an inner packet, in one place: nesting depth
 * and headroom (a tunnel routed into itself), TTL of a forwarded packet (ICMP time exceeded),
 * the tunnel's {@code ip mtu} with DF (ICMP fragmentation needed, quoting the header as it
 * arrived), then the TTL decrement and {@code ip tcp adjust-mss}.
 */
public final class TunnelEntry
{
    public static final int OK = -1;
    public static final int TTL_EXPIRED = 0;
    public static final int FRAGMENTATION_NEEDED = 1;
    public static final int RECURSIVE_ROUTING = 2;
    /** The drop reasons a tunnel output node starts its own list with, in this order. */
    public static final String[] REASONS = {"ttl-expired", "fragmentation-needed", "recursive-routing"};
    /** Room an outer packet still needs in front of it once wrapped: its Ethernet header. */
    private static final int HEADROOM_AFTER = 14;

    private TunnelEntry()
    {
    }

    /** {@link #REASONS} followed by a node's own. */
    public static String[] reasons(final String... own)
    {
        final String[] all = java.util.Arrays.copyOf(REASONS, REASONS.length + own.length);
        System.arraycopy(own, 0, all, REASONS.length, own.length);
        return all;
    }

    /**
     * Returns {@link #OK} with the inner packet ready to wrap in {@code wrapBytes} of headers, or
     * the reason to drop it (the ICMP error already sent).
     */
    public static int admit(
        final Dataplane dp, final MemorySegment m, final long at, final int len, final int flags,
        final Interface tunnel, final int wrapBytes)
    {
        if (Meta.depth(flags) >= Meta.MAX_NESTING ||
            at - dp.pool().frameOf(at) < wrapBytes + HEADROOM_AFTER)
        {
            return RECURSIVE_ROUTING;
        }
        final boolean forwarded = (flags & Meta.LOCAL_ORIGIN) == 0;
        if (forwarded && Ipv4.ttl(m, at) <= 1)
        {
            dp.icmp().sendError(at, len, Icmp4.TIME_EXCEEDED, Icmp4.CODE_TTL_EXCEEDED, 0);
            return TTL_EXPIRED;
        }
        if (len > tunnel.mtu() && (Ipv4.flagsFragment(m, at) & Ipv4.FLAG_DF) != 0)
        {
            dp.icmp().sendError(at, len, Icmp4.DEST_UNREACHABLE, Icmp4.CODE_FRAGMENTATION_NEEDED, tunnel.mtu());
            return FRAGMENTATION_NEEDED;
        }
        if (forwarded)
        {
            Ipv4.decrementTtl(m, at);
        }
        MssClamp.apply(m, at, len, tunnel);
        return OK;
    }
}
