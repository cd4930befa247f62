package io.sluice.dataplane.gre;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Checksum;
import io.sluice.dataplane.packet.Gre;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.ip4.MssClamp;
import io.sluice.dataplane.punt.PuntQueue;

import java.lang.foreign.MemorySegment;

/**
 * gre-input: GRE packets for one of our addresses (RFC 2784/2890). Version and reserved bits
 * checked, checksum verified when present, the tunnel found by endpoints and key, sequence
 * numbers enforced when the tunnel uses them. IPv4 payloads continue as packets received on the
 * tunnel interface; NHRP (protocol 0x2001) is punted to the control side. A tunnel with
 * {@code tunnel protection} takes only what esp-decrypt opened.
 */
public final class GreInput extends Node
{
    private static final int TRUNCATED = 0;
    private static final int BAD_VERSION = 1;
    private static final int RESERVED_BITS = 2;
    private static final int BAD_CHECKSUM = 3;
    private static final int NO_TUNNEL = 4;
    private static final int OUT_OF_ORDER = 5;
    private static final int UNKNOWN_PROTOCOL = 6;
    private static final int UNPROTECTED = 7;

    private final Dataplane dp;

    public GreInput(final Dataplane dp)
    {
        super(dp.graph(), "gre-input", "truncated", "bad-version", "reserved-bits-set", "bad-checksum", "no-tunnel",
            "sequence-out-of-order", "unknown-protocol", "unprotected");
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
            final long gre = at + hl;
            final int greLen = len - hl;
            if (greLen < Gre.BASE_LENGTH)
            {
                drop(TRUNCATED, at);
                continue;
            }
            final int flags = Bytes.u16(m, gre + Gre.FLAGS);
            if ((flags & Gre.VERSION_MASK) != 0)
            {
                drop(BAD_VERSION, at);
                continue;
            }
            if ((flags & Gre.MUST_BE_ZERO) != 0)
            {
                drop(RESERVED_BITS, at);
                continue;
            }
            final int greHeader = Gre.headerLength(flags);
            if (greLen < greHeader)
            {
                drop(TRUNCATED, at);
                continue;
            }
            if ((flags & Gre.C) != 0 && Checksum.compute(m, gre, greLen) != 0)
            {
                drop(BAD_CHECKSUM, at);
                continue;
            }
            final boolean hasKey = (flags & Gre.K) != 0;
            final int key = hasKey ? Bytes.u32(m, gre + Gre.keyOffset(flags)) : 0;
            final GreTunnel t = dp.greTunnels().find(Ipv4.dst(m, at), Ipv4.src(m, at), hasKey, key);
            if (t == null)
            {
                drop(NO_TUNNEL, at);
                continue;
            }
            final int frame = graph.pool().index(at);
            if (t.isProtected() && (graph.meta().flags[frame] & Meta.DECRYPTED) == 0)
            {
                // tunnel protection: cleartext GRE for this tunnel is an injection attempt or a misconfigured peer
                drop(UNPROTECTED, at);
                continue;
            }
            if (t.sequence() && (flags & Gre.S) != 0 && !t.acceptSequence(Bytes.u32(m, gre + Gre.sequenceOffset(flags))))
            {
                drop(OUT_OF_ORDER, at);
                continue;
            }
            t.rxPackets++;
            t.rxBytes += greLen - greHeader;
            final int protocol = Bytes.u16(m, gre + Gre.PROTOCOL);
            if (protocol == Gre.PROTO_IPV4)
            {
                final long inner = gre + greHeader;
                final int innerLen = greLen - greHeader;
                graph.meta().rxInterface[frame] = t.iface();
                graph.meta().flags[frame] = Meta.FROM_TUNNEL;
                MssClamp.apply(m, inner, innerLen, dp.interfaces().get(t.iface()));
                graph.enqueue(dp.ip4Input(), inner, innerLen);
            }
            else if (protocol == Gre.PROTO_NHRP)
            {
                dp.punts().punt(PuntQueue.NHRP, t.iface(), m, at, len);
                graph.pool().release(at);
            }
            else
            {
                drop(UNKNOWN_PROTOCOL, at);
            }
        }
    }

}
