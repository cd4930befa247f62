package io.sluice.dataplane.gre;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.ip4.Adjacencies;
import io.sluice.dataplane.ip4.TunnelEntry;
import io.sluice.dataplane.packet.Gre;
import io.sluice.dataplane.packet.Ipv4;

import java.lang.foreign.MemorySegment;

/**
 * gre-output: an IPv4 packet routed into a GRE tunnel interface. Forwarding checks on the
 * inner packet (TTL, the tunnel's {@code ip mtu} with DF, MSS clamping), the outer destination
 * (the tunnel's, or for multipoint GRE the NBMA address mapped to the next hop), then GRE and
 * outer IPv4 headers are written into the headroom in front of the packet: no copy. The outer
 * packet goes back to ip4-lookup; outer DF is clear, so a too-large outer packet is fragmented
 * (and the far end reassembles). A tunnel with {@code tunnel protection} hands the outer packet
 * to esp-encrypt instead.
 */
public final class GreOutput extends Node
{
    private static final int NO_MGRE_MAPPING = TunnelEntry.REASONS.length;

    private final Dataplane dp;
    private long resolutionNeeded;

    public GreOutput(final Dataplane dp)
    {
        super(dp.graph(), "gre-output", TunnelEntry.reasons("no-mgre-mapping"));
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
            final int verdict = TunnelEntry.admit(dp, m, at, len, flags[frame], ifc, greLength + Ipv4.MIN_LENGTH);
            if (verdict != TunnelEntry.OK)
            {
                drop(verdict, at);
                continue;
            }
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
            if (t.isProtected())
            {
                // tunnel protection: the GRE packet goes out inside ESP, with the SA of this peer
                graph.meta().espBinding[frame] = t.bindingFor(destination);
                graph.enqueue(dp.espEncrypt(), outer, total);
            }
            else
            {
                graph.enqueue(dp.ip4Lookup(), outer, total);
            }
        }
    }

    /** Packets dropped because a multipoint GRE next hop had no NBMA mapping (NHRP's trigger). */
    public long resolutionNeeded()
    {
        return resolutionNeeded;
    }
}
