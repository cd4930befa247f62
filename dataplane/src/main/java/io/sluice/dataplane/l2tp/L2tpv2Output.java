package io.sluice.dataplane.l2tp;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.ip4.TunnelEntry;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.packet.L2tp;
import io.sluice.dataplane.packet.Udp;

import java.lang.foreign.MemorySegment;

/**
 * l2tpv2-output: an IPv4 packet routed into an L2TPv2 session interface gets PPP
 * (address/control, protocol 0x0021), the L2TP data header (length and Ns/Nr when the session uses
 * them), UDP and outer IPv4 in front, without a copy, and goes back to ip4-lookup.
 */
public final class L2tpv2Output extends Node
{
    private final Dataplane dp;

    public L2tpv2Output(final Dataplane dp)
    {
        super(dp.graph(), "l2tpv2-output", TunnelEntry.reasons());
        this.dp = dp;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        final int[] flags = graph.meta().flags;
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final int frame = graph.pool().index(at);
            final Interface ifc = dp.interfaces().get(dp.adjacencies().iface(graph.meta().adjacency[frame]));
            final L2tpSession s = dp.l2tpSessions().get(ifc.tunnel());
            final int l2Header = 6 + (s.lengthBit ? 2 : 0) + (s.sequencing ? 4 : 0);
            final int verdict = TunnelEntry.admit(dp, m, at, len, flags[frame], ifc,
                4 + l2Header + Udp.LENGTH + Ipv4.MIN_LENGTH);
            if (verdict != TunnelEntry.OK)
            {
                drop(verdict, at);
                continue;
            }
            long p = at - 4;
            Bytes.u16(m, p, L2tp.PPP_ADDRESS_CONTROL);
            Bytes.u16(m, p + 2, L2tp.PPP_IPV4);
            p -= l2Header;
            final int l2len = (int)(at + len - p);
            int q = 0;
            Bytes.u16(m, p, 2 | (s.lengthBit ? L2tp.L : 0) | (s.sequencing ? L2tp.S : 0));
            q += 2;
            if (s.lengthBit)
            {
                Bytes.u16(m, p + q, l2len);
                q += 2;
            }
            Bytes.u16(m, p + q, s.remoteTunnelId);
            Bytes.u16(m, p + q + 2, s.remoteSessionId);
            q += 4;
            if (s.sequencing)
            {
                Bytes.u16(m, p + q, s.txNs++ & 0xffff);
                Bytes.u16(m, p + q + 2, 0);
            }
            p -= Udp.LENGTH;
            Udp.write(m, p, s.localPort, s.remotePort, l2len + Udp.LENGTH);
            final long outer = p - Ipv4.MIN_LENGTH;
            final int total = (int)(at + len - outer);
            Ipv4.write(m, outer, Ipv4.tos(m, at), total, dp.ip4Rewrite().nextId(), 0, 255, Ipv4.PROTO_UDP,
                s.localAddress, s.remoteAddress);
            s.txPackets++;
            s.txBytes += len;
            flags[frame] = Meta.wrapped(flags[frame]);
            graph.enqueue(dp.ip4Lookup(), outer, total);
        }
    }
}
