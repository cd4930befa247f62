package io.sluice.dataplane.l2tp;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.packet.Udp;

import java.lang.foreign.MemorySegment;

/**
 * l2tpv3-output: every frame received on an xconnect port goes into its L2TPv3 session. The
 * session header, cookie, optional UDP and outer IPv4 are written in front of the frame, which is
 * not copied; the outer packet goes to ip4-lookup (and is fragmented there if it exceeds the
 * outgoing MTU: the far end reassembles).
 */
public final class L2tpv3Output extends Node
{
    private static final int NO_SESSION = 0;

    private final Dataplane dp;

    public L2tpv3Output(final Dataplane dp)
    {
        super(dp.graph(), "l2tpv3-output", "no-session");
        this.dp = dp;
    }

    @Override
    public io.sluice.dataplane.trace.PcapLinkType inputLinkType()
    {
        return io.sluice.dataplane.trace.PcapLinkType.ETHERNET;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final int frame = graph.pool().index(at);
            final Interface ifc = dp.interfaces().get(graph.meta().rxInterface[frame]);
            final int index = ifc.xconnectSession();
            if (index < 0)
            {
                drop(NO_SESSION, at);
                continue;
            }
            final L2tpSession s = dp.l2tpSessions().get(index);
            long p = at - s.cookieLength;
            if (s.cookieLength == 4)
            {
                Bytes.u32(m, p, (int)s.remoteCookie);
            }
            else if (s.cookieLength == 8)
            {
                Bytes.u32(m, p, (int)(s.remoteCookie >>> 32));
                Bytes.u32(m, p + 4, (int)s.remoteCookie);
            }
            p -= 4;
            Bytes.u32(m, p, s.remoteSessionId);
            final int protocol;
            if (s.encapsulation == L2tpSession.Encapsulation.UDP)
            {
                p -= 4;
                Bytes.u16(m, p, 3); // T=0, version 3
                Bytes.u16(m, p + 2, 0);
                p -= Udp.LENGTH;
                Udp.write(m, p, s.localPort, s.remotePort, (int)(at + len - p));
                protocol = Ipv4.PROTO_UDP;
            }
            else
            {
                protocol = Ipv4.PROTO_L2TP;
            }
            final long outer = p - Ipv4.MIN_LENGTH;
            final int total = (int)(at + len - outer);
            Ipv4.write(m, outer, 0, total, dp.ip4Rewrite().nextId(), 0, 255, protocol, s.localAddress, s.remoteAddress);
            s.txPackets++;
            s.txBytes += len;
            graph.meta().flags[frame] = Meta.wrapped(0);
            graph.enqueue(dp.ip4Lookup(), outer, total);
        }
    }

    /** Bytes added in front of a frame, for headroom and MTU planning. */
    public static int overhead(final L2tpSession s)
    {
        return Ipv4.MIN_LENGTH + L2tpv3Input.headerLength(s);
    }
}
