package io.sluice.dataplane.ip4;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Icmp4;
import io.sluice.dataplane.packet.Ipv4;

import java.lang.foreign.MemorySegment;

/**
 * ip4-lookup: longest-prefix match on the destination, then by adjacency kind to local
 * delivery, the rewrite of an attached next hop, or a tunnel's encapsulation. No route: ICMP
 * network unreachable (rate-limited) and a drop.
 */
public final class Ip4Lookup extends Node
{
    private static final int NO_ROUTE = 0;
    private static final int NULL_ROUTE = 1;
    private static final int BROADCAST = 2;
    private static final int LINK_BROADCAST = 3;

    private final Dataplane dp;

    public Ip4Lookup(final Dataplane dp)
    {
        super(dp.graph(), "ip4-lookup", "no-route", "null-route", "broadcast",
            "link-broadcast-not-forwarded");
        this.dp = dp;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        final Adjacencies adj = dp.adjacencies();
        final int[] adjacency = graph.meta().adjacency;
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final int dst = Ipv4.dst(m, at);
            if (dst == -1)
            {
                drop(BROADCAST, at);
                continue;
            }
            final int a = dp.fib().lookup(dst);
            if (a < 0)
            {
                dp.icmp().sendError(at, len, Icmp4.DEST_UNREACHABLE, Icmp4.CODE_NET_UNREACHABLE, 0);
                drop(NO_ROUTE, at);
                continue;
            }
            final int frame = graph.pool().index(at);
            adjacency[frame] = a;
            final int kind = adj.kind(a);
            if ((kind == Adjacencies.ATTACHED || kind == Adjacencies.TUNNEL) &&
                (graph.meta().flags[frame] & Meta.L2_GROUP) != 0)
            {
                drop(LINK_BROADCAST, at);
                continue;
            }
            switch (kind)
            {
                case Adjacencies.LOCAL -> graph.enqueue(dp.ip4Local(), at, len);
                case Adjacencies.ATTACHED -> graph.enqueue(dp.ip4Rewrite(), at, len);
                case Adjacencies.TUNNEL ->
                {
                    final Interface tunnel = dp.interfaces().get(adj.iface(a));
                    graph.enqueue(dp.tunnelOutput(tunnel), at, len);
                }
                default -> drop(NULL_ROUTE, at);
            }
        }
    }
}
