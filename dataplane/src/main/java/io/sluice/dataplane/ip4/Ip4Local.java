package io.sluice.dataplane.ip4;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Checksum;
import io.sluice.dataplane.packet.Icmp4;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.packet.L2tp;
import io.sluice.dataplane.packet.Udp;
import io.sluice.dataplane.punt.PuntQueue;

import java.lang.foreign.MemorySegment;

/**
 * ip4-local: packets for one of our addresses. Fragments are reassembled first (a tunnel
 * endpoint must see whole outer packets). ICMP echo is answered here; tunnel data goes to its
 * decapsulation node; control protocols (IKE on UDP 500 and 4500 with the non-ESP marker, L2TP
 * control messages) are punted to the control side; anything else is a closed port.
 */
public final class Ip4Local extends Node
{
    private static final int CLOSED_PORT = 0;
    private static final int CLOSED_PROTOCOL = 1;
    private static final int ICMP_OTHER = 2;
    private static final int TRUNCATED = 3;
    private static final int NATT_KEEPALIVE = 4;
    private static final int FRAGMENT_HELD = 5;
    private static final int BAD_ICMP_CHECKSUM = 6;

    public static final int IKE_PORT = 500;
    public static final int NATT_PORT = 4500;

    private final Dataplane dp;

    public Ip4Local(final Dataplane dp)
    {
        super(dp.graph(), "ip4-local", "closed-port", "closed-protocol", "icmp-not-echo", "truncated",
            "natt-keepalive", "fragment-held", "bad-icmp-checksum");
        this.dp = dp;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        for (int i = 0; i < v.count(); i++)
        {
            long at = v.address(i);
            int len = v.length(i);
            if (Ipv4.isFragment(m, at))
            {
                final long whole = dp.reassembler().add(at, len);
                if (whole == Reassembler.HELD)
                {
                    count(FRAGMENT_HELD);
                    continue;
                }
                if (whole < 0)
                {
                    continue; // dropped and counted by the reassembler
                }
                at = whole;
                len = Ipv4.totalLength(m, at);
            }
            final int hl = Ipv4.headerLength(m, at);
            final int frame = graph.pool().index(at);
            switch (Ipv4.protocol(m, at))
            {
                case Ipv4.PROTO_ICMP -> icmp(m, at, len, hl);
                case Ipv4.PROTO_UDP -> udp(m, at, len, hl, frame);
                case Ipv4.PROTO_GRE -> graph.enqueue(dp.greInput(), at, len);
                case Ipv4.PROTO_L2TP ->
                {
                    if (len < hl + 4)
                    {
                        drop(TRUNCATED, at);
                    }
                    else if (Bytes.u32(m, at + hl) == 0)
                    {
                        punt(PuntQueue.L2TP_CONTROL, frame, m, at, len);
                    }
                    else
                    {
                        graph.enqueue(dp.l2tpv3Input(), at, len);
                    }
                }
                case Ipv4.PROTO_ESP -> graph.enqueue(dp.espDecrypt(), at, len);
                default -> drop(CLOSED_PROTOCOL, at);
            }
        }
    }

    private void punt(final int reason, final int frame, final MemorySegment m, final long at, final int len)
    {
        dp.punts().punt(reason, graph.meta().rxInterface[frame], m, at, len);
        graph.pool().release(at);
    }

    private void icmp(final MemorySegment m, final long at, final int len, final int hl)
    {
        if (len < hl + Icmp4.LENGTH)
        {
            drop(TRUNCATED, at);
            return;
        }
        final long icmp = at + hl;
        if (Icmp4.type(m, icmp) != Icmp4.ECHO_REQUEST)
        {
            drop(ICMP_OTHER, at);
            return;
        }
        if (Checksum.compute(m, icmp, len - hl) != 0)
        {
            drop(BAD_ICMP_CHECKSUM, at);
            return;
        }
        // the request becomes the reply in place
        final int oldWord = Bytes.u16(m, icmp);
        Bytes.u16(m, icmp, Icmp4.ECHO_REPLY << 8);
        Bytes.u16(m, icmp + Icmp4.CHECKSUM,
            Checksum.update16(Bytes.u16(m, icmp + Icmp4.CHECKSUM), oldWord, Icmp4.ECHO_REPLY << 8));
        final int src = Ipv4.src(m, at);
        Bytes.u32(m, at + Ipv4.SRC, Ipv4.dst(m, at));
        Bytes.u32(m, at + Ipv4.DST, src);
        Bytes.u8(m, at + Ipv4.TTL, 64);
        Ipv4.updateChecksum(m, at);
        graph.meta().flags[graph.pool().index(at)] |= Meta.LOCAL_ORIGIN;
        graph.enqueue(dp.ip4Lookup(), at, len);
    }

    private void udp(final MemorySegment m, final long at, final int len, final int hl, final int frame)
    {
        if (len < hl + Udp.LENGTH)
        {
            drop(TRUNCATED, at);
            return;
        }
        final long udp = at + hl;
        final int udpLength = Udp.length(m, udp);
        if (udpLength < Udp.LENGTH || udpLength > len - hl)
        {
            drop(TRUNCATED, at);
            return;
        }
        final int port = Udp.dstPort(m, udp);
        final int payload = udpLength - Udp.LENGTH;
        switch (port)
        {
            case IKE_PORT -> punt(PuntQueue.IKE, frame, m, at, len);
            case NATT_PORT ->
            {
                if (payload == 1 && Bytes.u8(m, udp + Udp.LENGTH) == 0xff)
                {
                    drop(NATT_KEEPALIVE, at);
                }
                else if (payload >= 4 && Bytes.u32(m, udp + Udp.LENGTH) == 0)
                {
                    punt(PuntQueue.IKE, frame, m, at, len); // non-ESP marker: IKE
                }
                else
                {
                    graph.enqueue(dp.espDecrypt(), at, len); // ESP in UDP (RFC 3948)
                }
            }
            case L2tp.UDP_PORT ->
            {
                if (payload < 2)
                {
                    drop(TRUNCATED, at);
                    return;
                }
                final int flags = Bytes.u16(m, udp + Udp.LENGTH);
                if ((flags & L2tp.T) != 0)
                {
                    punt(PuntQueue.L2TP_CONTROL, frame, m, at, len);
                }
                else if ((flags & L2tp.VERSION_MASK) == 3)
                {
                    graph.enqueue(dp.l2tpv3Input(), at, len);
                }
                else
                {
                    graph.enqueue(dp.l2tpv2Input(), at, len);
                }
            }
            default -> drop(CLOSED_PORT, at);
        }
    }
}
