package io.sluice.dataplane.l2tp;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.ip4.MssClamp;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.packet.L2tp;
import io.sluice.dataplane.packet.Udp;
import io.sluice.dataplane.punt.PuntQueue;

import java.lang.foreign.MemorySegment;

/**
 * l2tpv2-input: L2TPv2 data messages (RFC 2661 3.1) on UDP 1701. The header's optional length,
 * sequence and offset fields are honoured; the session is found by tunnel and session ID. PPP
 * (RFC 1661, address/control and protocol field compression accepted) carrying IPv4 continues as
 * a packet received on the session's interface; other PPP protocols (LCP, IPCP) are punted.
 */
public final class L2tpv2Input extends Node
{
    private static final int TRUNCATED = 0;
    private static final int BAD_VERSION = 1;
    private static final int RESERVED_BITS = 2;
    private static final int BAD_LENGTH = 3;
    private static final int UNKNOWN_SESSION = 4;

    private final Dataplane dp;

    public L2tpv2Input(final Dataplane dp)
    {
        super(dp.graph(), "l2tpv2-input", "truncated", "bad-version", "reserved-bits-set", "bad-length",
            "unknown-session");
        this.dp = dp;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final long udp = at + Ipv4.headerLength(m, at);
            final long l2 = udp + Udp.LENGTH;
            final int l2len = Udp.length(m, udp) - Udp.LENGTH;
            if (l2len < 6)
            {
                drop(TRUNCATED, at);
                continue;
            }
            final int flags = Bytes.u16(m, l2);
            if ((flags & L2tp.VERSION_MASK) != 2)
            {
                drop(BAD_VERSION, at);
                continue;
            }
            if ((flags & L2tp.V2_RESERVED) != 0)
            {
                drop(RESERVED_BITS, at);
                continue;
            }
            int p = 2;
            if ((flags & L2tp.L) != 0)
            {
                if (Bytes.u16(m, l2 + p) != l2len)
                {
                    drop(BAD_LENGTH, at);
                    continue;
                }
                p += 2;
            }
            if (p + 4 > l2len)
            {
                drop(TRUNCATED, at);
                continue;
            }
            final int tunnelId = Bytes.u16(m, l2 + p);
            final int sessionId = Bytes.u16(m, l2 + p + 2);
            p += 4;
            if ((flags & L2tp.S) != 0)
            {
                p += 4;
            }
            if ((flags & L2tp.O) != 0)
            {
                if (p + 2 > l2len)
                {
                    drop(TRUNCATED, at);
                    continue;
                }
                p += 2 + Bytes.u16(m, l2 + p);
            }
            if (p + 2 > l2len)
            {
                drop(TRUNCATED, at);
                continue;
            }
            final L2tpSession s = dp.l2tpSessions().v2(tunnelId, sessionId);
            if (s == null || s.remoteAddress != Ipv4.src(m, at))
            {
                drop(UNKNOWN_SESSION, at);
                continue;
            }
            if (Bytes.u16(m, l2 + p) == L2tp.PPP_ADDRESS_CONTROL)
            {
                p += 2;
            }
            if (p + 1 > l2len)
            {
                drop(TRUNCATED, at);
                continue;
            }
            final int protocol;
            if ((Bytes.u8(m, l2 + p) & 1) != 0)
            {
                protocol = Bytes.u8(m, l2 + p); // protocol field compressed to one byte
                p += 1;
            }
            else
            {
                if (p + 2 > l2len)
                {
                    drop(TRUNCATED, at);
                    continue;
                }
                protocol = Bytes.u16(m, l2 + p);
                p += 2;
            }
            final int frame = graph.pool().index(at);
            if (protocol == L2tp.PPP_IPV4)
            {
                s.rxPackets++;
                s.rxBytes += l2len - p;
                graph.meta().rxInterface[frame] = s.iface;
                graph.meta().flags[frame] = Meta.FROM_TUNNEL;
                MssClamp.apply(m, l2 + p, l2len - p, dp.interfaces().get(s.iface));
                graph.enqueue(dp.ip4Input(), l2 + p, l2len - p);
            }
            else
            {
                dp.punts().punt(PuntQueue.L2TP_CONTROL, s.iface, m, at, len);
                graph.pool().release(at);
            }
        }
    }
}
