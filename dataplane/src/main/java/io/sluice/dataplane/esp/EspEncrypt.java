package io.sluice.dataplane.esp;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Gre;
import io.sluice.dataplane.packet.Icmp4;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.worker.Handoff;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * esp-encrypt: protects an IPv4 packet with the outbound SA of its IPsec binding (set by the
 * node before: ipsec-output for a route-based IPsec tunnel, gre-output for a GRE tunnel with
 * {@code tunnel protection}), in its frame, and hands the ESP packet to ip4-lookup.
 * <p>
 * Before encrypting, the size the packet will have on the wire is checked against the MTU of
 * the interface the ESP packet leaves by: an inner packet with DF that would not fit once ESP
 * (and the outer header, UDP, padding and ICV) is added gets ICMP fragmentation needed with the
 * largest inner size that does fit (RFC 4301 8.2 in spirit: the ESP overhead is the tunnel's,
 * the sender must learn it). Packets without DF are encrypted and the outer packet is fragmented.
 */
public final class EspEncrypt extends Node
{
    /** Status 0 ("ok") is never a drop: its slot names a packet with no outbound SA. */
    private static final int NO_SA = EspStatus.OK;
    private static final int FRAGMENTATION_NEEDED = EspStatus.COUNT;
    private static final int HANDOFF_FULL = EspStatus.COUNT + 1;

    private final Dataplane dp;
    private final EspCodec codec;

    public EspEncrypt(final Dataplane dp, final EspCodec codec)
    {
        super(dp.graph(), "esp-encrypt", reasons());
        this.dp = dp;
        this.codec = codec;
    }

    private static String[] reasons()
    {
        final String[] r = Arrays.copyOf(EspStatus.dropReasons(), EspStatus.COUNT + 2);
        r[NO_SA] = "no-sa";
        r[HANDOFF_FULL] = "handoff-ring-full";
        r[FRAGMENTATION_NEEDED] = "fragmentation-needed";
        return r;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        final SecurityAssociationDatabase sad = dp.sad();
        final int[] flags = graph.meta().flags;
        final int[] bindings = graph.meta().espBinding;
        final int[] rxInterface = graph.meta().rxInterface;
        final Handoff.Lane handoff = dp.handoff();
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final int frame = graph.pool().index(at);
            final SecurityAssociation sa = sad.outbound(bindings[frame]);
            if (sa == null)
            {
                dp.ipsecNoSa(bindings[frame]);
                drop(NO_SA, at);
                continue;
            }
            if (handoff != null)
            {
                if ((flags[frame] & Meta.HANDED_OVER) != 0)
                {
                    flags[frame] &= ~Meta.HANDED_OVER;
                }
                else
                {
                    // the SA's counters and lifetime are written by its owner only
                    final int owner = sa.adoptWorker(handoff.worker());
                    if (owner != handoff.worker())
                    {
                        if (!handoff.handOver(owner, Handoff.ESP_ENCRYPT, at, len, rxInterface[frame], flags[frame],
                            bindings[frame]))
                        {
                            drop(HANDOFF_FULL, at);
                        }
                        continue;
                    }
                }
            }
            if (tooBig(m, at, len, sa))
            {
                drop(FRAGMENTATION_NEEDED, at);
                continue;
            }
            final int status = codec.encrypt(m, at, len, sa);
            if (status != EspStatus.OK)
            {
                drop(status, at);
                continue;
            }
            if (sa.mode() == SecurityAssociation.Mode.TUNNEL)
            {
                flags[frame] = Meta.wrapped(flags[frame]);
            }
            graph.enqueue(dp.ip4Lookup(), codec.start(), codec.length());
        }
    }

    /**
     * True when the protected packet would exceed the egress MTU and the packet inside (the
     * packet itself in tunnel mode, the packet inside GRE in transport mode) has DF: the ICMP
     * error is sent to its source and the caller drops it.
     */
    private boolean tooBig(final MemorySegment m, final long at, final int len, final SecurityAssociation sa)
    {
        final int hl = Ipv4.headerLength(m, at);
        final int wire = EspCodec.protectedLength(sa, len, hl);
        final boolean tunnel = sa.mode() == SecurityAssociation.Mode.TUNNEL;
        final int adjacency = dp.fib().lookup(tunnel ? sa.tunnelDestination() : Ipv4.dst(m, at));
        if (adjacency < 0)
        {
            return false; // ip4-lookup drops it as no-route
        }
        final int mtu = dp.interfaces().get(dp.adjacencies().iface(adjacency)).mtu();
        if (wire <= mtu)
        {
            return false;
        }
        long inner = at;
        int innerLength = len;
        if (!tunnel)
        {
            // GRE-over-ESP: the host's packet is inside the GRE header
            if (Ipv4.protocol(m, at) != Ipv4.PROTO_GRE || len < hl + Gre.BASE_LENGTH)
            {
                return false;
            }
            final int greFlags = Bytes.u16(m, at + hl + Gre.FLAGS);
            if (Bytes.u16(m, at + hl + Gre.PROTOCOL) != Gre.PROTO_IPV4)
            {
                return false;
            }
            final int greLength = Gre.headerLength(greFlags);
            inner = at + hl + greLength;
            innerLength = len - hl - greLength;
            if (innerLength < Ipv4.MIN_LENGTH)
            {
                return false;
            }
        }
        if ((Ipv4.flagsFragment(m, inner) & Ipv4.FLAG_DF) == 0)
        {
            return false;
        }
        // the largest inner packet whose protected size fits (padding makes the overhead step)
        final int around = len - innerLength;
        int fits = innerLength - (wire - mtu);
        while (fits > Ipv4.MIN_LENGTH && EspCodec.protectedLength(sa, fits + around, hl) > mtu)
        {
            fits--;
        }
        dp.icmp().sendError(inner, innerLength, Icmp4.DEST_UNREACHABLE, Icmp4.CODE_FRAGMENTATION_NEEDED, fits);
        return true;
    }
}
