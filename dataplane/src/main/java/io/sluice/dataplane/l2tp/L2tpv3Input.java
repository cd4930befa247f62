package io.sluice.dataplane.l2tp;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Ethernet;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.packet.L2tp;
import io.sluice.dataplane.packet.Udp;

import java.lang.foreign.MemorySegment;

/**
 * l2tpv3-input: L2TPv3 data messages (RFC 3931 4.1) over IP protocol 115 or UDP. The session is
 * found by its local session ID and must match the sender and encapsulation; the cookie must
 * match. The payload, an Ethernet frame, is sent unchanged out of the session's xconnect port.
 */
public final class L2tpv3Input extends Node
{
    private static final int TRUNCATED = 0;
    private static final int UNKNOWN_SESSION = 1;
    private static final int WRONG_PEER = 2;
    private static final int BAD_COOKIE = 3;

    private final Dataplane dp;

    public L2tpv3Input(final Dataplane dp)
    {
        super(dp.graph(), "l2tpv3-input", "truncated", "unknown-session", "wrong-peer-or-encapsulation", "bad-cookie");
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
            final int hl = Ipv4.headerLength(m, at);
            final boolean overUdp = Ipv4.protocol(m, at) == Ipv4.PROTO_UDP;
            final long header = overUdp ? at + hl + Udp.LENGTH + 4 : at + hl; // at the session ID
            long end = at + len;
            if (overUdp)
            {
                final int udpLength = Udp.length(m, at + hl);
                if (udpLength < Udp.LENGTH || udpLength > len - hl)
                {
                    drop(TRUNCATED, at);
                    continue;
                }
                end = at + hl + udpLength; // the datagram ends where UDP says, not where IP does
            }
            if (header + 4 > end)
            {
                drop(TRUNCATED, at);
                continue;
            }
            final L2tpSession s = dp.l2tpSessions().v3(Bytes.u32(m, header));
            if (s == null)
            {
                drop(UNKNOWN_SESSION, at);
                continue;
            }
            if (s.remoteAddress != Ipv4.src(m, at) || (s.encapsulation == L2tpSession.Encapsulation.UDP) != overUdp)
            {
                drop(WRONG_PEER, at);
                continue;
            }
            final long cookie = header + 4;
            final long payload = cookie + s.cookieLength;
            if (payload + Ethernet.LENGTH > end)
            {
                drop(TRUNCATED, at);
                continue;
            }
            if (s.cookieLength == 4 && Bytes.u32(m, cookie) != (int)s.localCookie ||
                s.cookieLength == 8 && (Bytes.u32(m, cookie) != (int)(s.localCookie >>> 32) ||
                    Bytes.u32(m, cookie + 4) != (int)s.localCookie))
            {
                drop(BAD_COOKIE, at);
                continue;
            }
            final int frameLength = (int)(end - payload);
            s.rxPackets++;
            s.rxBytes += frameLength;
            final Interface port = dp.interfaces().get(s.iface);
            graph.transmit(port.port(), payload, frameLength);
        }
    }

    static int headerLength(final L2tpSession s)
    {
        return (s.encapsulation == L2tpSession.Encapsulation.UDP ? Udp.LENGTH + L2tp.V3_UDP_HEADER :
            L2tp.V3_IP_HEADER) + s.cookieLength;
    }
}
