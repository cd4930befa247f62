package io.sluice.dataplane.gre;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.ip4.Adjacencies;
import io.sluice.dataplane.ip4.MssClamp;
import io.sluice.dataplane.packet.Gre;
import io.sluice.dataplane.packet.Icmp4;
import io.sluice.dataplane.packet.Ipv4;

import java.lang.foreign.MemorySegment;

/**
 * gre-output: an IPv4 packet routed into a GRE tunnel interface. Forwarding checks on the
 * inner packet (TTL, the tunnel's {@code ip mtu} with DF, MSS clamping), the outer destination
 * (the tunnel's, or for multipoint GRE the NBMA address mapped to the next hop), then GRE and
 * outer IPv4 headers are written into the headroom in front of the packet: no copy. The outer
 * packet goes back to ip4-lookup; outer DF is clear, so a too-large outer packet is fragmented
 * (and the far end reassembles).
 */
public final class GreOutput extends Node
{
    private static final int TTL_EXPIRED = 0;
    private static final int FRAGMENTATION_NEEDED = 1;
    private static final int NO_MGRE_MAPPING = 2;
    private static final int RECURSIVE_ROUTING = 3;

    private final Dataplane dp;
    /** Room an outer packet still needs in front of it: an Ethernet header, and one more wrap. */
    static final int HEADROOM_AFTER = 14;

    private long resolutionNeeded;

    public GreOutput(final Dataplane dp)
    {
        super(dp.graph(), "gre-output", "ttl-expired", "fragmentation-needed", "no-mgre-mapping",
            "recursive-routing");
        this.dp = dp;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        final Adjacencies adj = dp.adjacencies();
        final int[] flags = graph.meta().flags;
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final int frame = graph.pool().index(at);
            final int a = graph.meta().adjacency[frame];
            final Interface ifc = dp.interfaces().get(adj.iface(a));
            final GreTunnel t = dp.greTunnels().get(ifc.tunnel());
            final int greLength = Gre.headerLength((t.hasKey() ? Gre.K : 0) | (t.sequence() ? Gre.S : 0));
            if (Meta.depth(flags[frame]) >= Meta.MAX_NESTING ||
                at - graph.pool().frameOf(at) < greLength + Ipv4.MIN_LENGTH + HEADROOM_AFTER)
            {
                drop(RECURSIVE_ROUTING, at);
                continue;
            }
            final boolean forwarded = (flags[frame] & Meta.LOCAL_ORIGIN) == 0;
            if (forwarded && Ipv4.ttl(m, at) <= 1)
            {
                dp.icmp().sendError(at, len, Icmp4.TIME_EXCEEDED, Icmp4.CODE_TTL_EXCEEDED, 0);
                drop(TTL_EXPIRED, at);
                continue;
            }
            if (len > ifc.mtu() && (Ipv4.flagsFragment(m, at) & Ipv4.FLAG_DF) != 0)
            {
                dp.icmp().sendError(at, len, Icmp4.DEST_UNREACHABLE, Icmp4.CODE_FRAGMENTATION_NEEDED, ifc.mtu());
                drop(FRAGMENTATION_NEEDED, at);
                continue;
            }
            if (forwarded)
            {
                Ipv4.decrementTtl(m, at);
            }
            MssClamp.apply(m, at, len, ifc);
            int destination = t.destination();
            if (destination == 0)
            {
                final int overlay = adj.nextHop(a) != 0 ? adj.nextHop(a) : Ipv4.dst(m, at);
                destination = t.nbmaFor(overlay);
                if (destination == 0)
                {
                    resolutionNeeded++;
                    drop(NO_MGRE_MAPPING, at);
                    continue;
                }
            }
            final long gre = at - greLength;
            Gre.write(m, gre, Gre.PROTO_IPV4, t.hasKey(), t.key(), t.sequence(), t.sequence() ? t.nextTxSequence() : 0);
            final long outer = gre - Ipv4.MIN_LENGTH;
            final int total = len + greLength + Ipv4.MIN_LENGTH;
            Ipv4.write(m, outer, Ipv4.tos(m, at), total, dp.ip4Rewrite().nextId(), 0, t.ttl(), Ipv4.PROTO_GRE,
                t.source(), destination);
            t.txPackets++;
            t.txBytes += len;
            flags[frame] = Meta.wrapped(flags[frame]);
            graph.enqueue(dp.ip4Lookup(), outer, total);
        }
    }

    /** Packets dropped because a multipoint GRE next hop had no NBMA mapping (NHRP's trigger). */
    public long resolutionNeeded()
    {
        return resolutionNeeded;
    }
}
