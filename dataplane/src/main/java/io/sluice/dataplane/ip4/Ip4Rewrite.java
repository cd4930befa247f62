package io.sluice.dataplane.ip4;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.arp.NeighbourTable;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Arp;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Ethernet;
import io.sluice.dataplane.packet.Icmp4;
import io.sluice.dataplane.packet.Ipv4;

import java.lang.foreign.MemorySegment;

/**
 * ip4-rewrite: out of an interface to a next hop. TTL (forwarded packets only: time exceeded at
 * 1), MTU (DF set: fragmentation needed with the MTU, rate-limited; DF clear: fragments), then the
 * Ethernet header from the neighbour table. An unresolved neighbour gets an ARP request (at most
 * one a second) and up to {@link NeighbourTable#HOLD_PER_NEIGHBOUR} packets wait for the answer.
 */
public final class Ip4Rewrite extends Node
{
    private static final int TTL_EXPIRED = 0;
    private static final int FRAGMENTATION_NEEDED = 1;
    private static final int NEIGHBOUR_TABLE_FULL = 2;
    private static final int HOLD_QUEUE_FULL = 3;
    private static final int NEIGHBOUR_TIMEOUT = 4;
    private static final int NO_BUFFER = 5;

    private final Dataplane dp;
    private final NeighbourTable neighbours;
    private int fragmentId;
    private long fragmentsMade;
    private long arpRequests;

    public Ip4Rewrite(final Dataplane dp)
    {
        super(dp.graph(), "ip4-rewrite", "ttl-expired", "fragmentation-needed", "neighbour-table-full",
            "arp-hold-queue-full", "arp-timeout", "no-buffer");
        this.dp = dp;
        this.neighbours = dp.neighbours();
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        final int[] adjacency = graph.meta().adjacency;
        final int[] flags = graph.meta().flags;
        final Adjacencies adj = dp.adjacencies();
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final int frame = graph.pool().index(at);
            final int a = adjacency[frame];
            final Interface ifc = dp.interfaces().get(adj.iface(a));
            final boolean forwarded = (flags[frame] & Meta.LOCAL_ORIGIN) == 0;
            if (forwarded && Ipv4.ttl(m, at) <= 1)
            {
                dp.icmp().sendError(at, len, Icmp4.TIME_EXCEEDED, Icmp4.CODE_TTL_EXCEEDED, 0);
                drop(TTL_EXPIRED, at);
                continue;
            }
            final boolean tooBig = len > ifc.mtu();
            if (tooBig && (Ipv4.flagsFragment(m, at) & Ipv4.FLAG_DF) != 0)
            {
                dp.icmp().sendError(at, len, Icmp4.DEST_UNREACHABLE, Icmp4.CODE_FRAGMENTATION_NEEDED, ifc.mtu());
                drop(FRAGMENTATION_NEEDED, at);
                continue;
            }
            if (forwarded)
            {
                Ipv4.decrementTtl(m, at);
                MssClamp.apply(m, at, len, ifc);
            }
            final int nextHop = adj.nextHop(a) != 0 ? adj.nextHop(a) : Ipv4.dst(m, at);
            if (tooBig)
            {
                fragment(m, at, len, ifc, nextHop);
                continue;
            }
            output(m, ifc, nextHop, at, len);
        }
    }

    /** Hands a finished IPv4 packet to the link: bare for an IP port, behind an Ethernet header otherwise. */
    private void output(final MemorySegment m, final Interface ifc, final int nextHop, final long at, final int len)
    {
        if (ifc.kind() == Interface.Kind.IP)
        {
            graph.transmit(ifc.port(), at, len);
            return;
        }
        final long now = graph.nowNanos();
        int slot = neighbours.find(ifc.index(), nextHop);
        if (slot >= 0 && neighbours.resolved(slot))
        {
            if (neighbours.stale(slot, now) && neighbours.requestDue(slot, now))
            {
                sendArpRequest(m, ifc, nextHop);
            }
            Ethernet.write(m, at - Ethernet.LENGTH, neighbours.mac(slot), ifc.mac(), Ethernet.TYPE_IPV4);
            graph.transmit(ifc.port(), at - Ethernet.LENGTH, len + Ethernet.LENGTH);
            return;
        }
        slot = neighbours.findOrCreate(ifc.index(), nextHop);
        if (slot < 0)
        {
            drop(NEIGHBOUR_TABLE_FULL, at);
            return;
        }
        if (neighbours.requestDue(slot, now))
        {
            sendArpRequest(m, ifc, nextHop);
        }
        if (!neighbours.hold(slot, at, len, now))
        {
            drop(HOLD_QUEUE_FULL, at);
        }
    }

    /** Sends the packets held for a neighbour that has just resolved. */
    public void releaseHeld(final int slot)
    {
        final int n = neighbours.heldCount(slot);
        if (n == 0)
        {
            return;
        }
        final MemorySegment m = graph.pool().memory();
        final Interface ifc = dp.interfaces().get(neighbours.slotInterface(slot));
        for (int i = 0; i < n; i++)
        {
            final long at = neighbours.heldAddress(slot, i);
            Ethernet.write(m, at - Ethernet.LENGTH, neighbours.mac(slot), ifc.mac(), Ethernet.TYPE_IPV4);
            graph.transmit(ifc.port(), at - Ethernet.LENGTH, neighbours.heldLength(slot, i) + Ethernet.LENGTH);
        }
        neighbours.clearHeld(slot);
    }

    /** Drops packets that waited too long for an answer; called from the worker's timer. */
    public void expireHeld(final long now)
    {
        for (int slot = 0; slot < neighbours.capacity(); slot++)
        {
            if (neighbours.slotInterface(slot) >= 0 && neighbours.holdExpired(slot, now))
            {
                for (int i = 0; i < neighbours.heldCount(slot); i++)
                {
                    drop(NEIGHBOUR_TIMEOUT, neighbours.heldAddress(slot, i));
                }
                neighbours.clearHeld(slot);
            }
        }
    }

    private void sendArpRequest(final MemorySegment m, final Interface ifc, final int target)
    {
        final long frame = graph.pool().allocate();
        if (frame < 0)
        {
            count(NO_BUFFER);
            return;
        }
        final long at = frame + graph.pool().dataOffset();
        Ethernet.write(m, at, Ethernet.BROADCAST, ifc.mac(), Ethernet.TYPE_ARP);
        Arp.write(m, at + Ethernet.LENGTH, Arp.OP_REQUEST, ifc.mac(), ifc.address(), 0, target);
        m.asSlice(at + Ethernet.LENGTH + Arp.LENGTH, 60 - Ethernet.LENGTH - Arp.LENGTH).fill((byte)0);
        arpRequests++;
        graph.transmit(ifc.port(), at, 60);
    }

    /**
     * Splits a packet with DF clear into fragments that fit the MTU (RFC 791): payload in
     * multiples of 8 bytes, the offset and MF of an already fragmented packet carried on. The
     * original frame becomes the first fragment; the others are new frames.
     */
    private void fragment(final MemorySegment m, final long at, final int len, final Interface ifc, final int nextHop)
    {
        final int hl = Ipv4.headerLength(m, at);
        final int payload = len - hl;
        final int chunk = (ifc.mtu() - hl) & ~7;
        final int ff = Ipv4.flagsFragment(m, at);
        final int baseOffset = (ff & Ipv4.OFFSET_MASK) << 3;
        final boolean lastHasMore = (ff & Ipv4.FLAG_MF) != 0;
        final int frame = graph.pool().index(at);
        for (int off = chunk; off < payload; off += chunk)
        {
            final int size = Math.min(chunk, payload - off);
            final long f = graph.pool().allocate();
            if (f < 0)
            {
                drop(NO_BUFFER, at); // a datagram missing a fragment is useless: drop the rest
                return;
            }
            final long out = f + graph.pool().dataOffset();
            MemorySegment.copy(m, at, m, out, hl);
            MemorySegment.copy(m, at + hl + off, m, out + hl, size);
            final boolean more = off + size < payload || lastHasMore;
            Bytes.u16(m, out + Ipv4.TOTAL_LENGTH, hl + size);
            Bytes.u16(m, out + Ipv4.FLAGS_FRAGMENT, (more ? Ipv4.FLAG_MF : 0) | ((baseOffset + off) >>> 3));
            Ipv4.updateChecksum(m, out);
            final int of = graph.pool().index(out);
            graph.meta().flags[of] = graph.meta().flags[frame];
            graph.meta().rxInterface[of] = graph.meta().rxInterface[frame];
            fragmentsMade++;
            output(m, ifc, nextHop, out, hl + size);
        }
        Bytes.u16(m, at + Ipv4.TOTAL_LENGTH, hl + chunk);
        Bytes.u16(m, at + Ipv4.FLAGS_FRAGMENT, Ipv4.FLAG_MF | (baseOffset >>> 3));
        Ipv4.updateChecksum(m, at);
        fragmentsMade++;
        output(m, ifc, nextHop, at, hl + chunk);
    }

    /** IDs for packets the gateway originates (tunnel outer headers). */
    public int nextId()
    {
        return fragmentId++ & 0xffff;
    }

    public long fragmentsMade()
    {
        return fragmentsMade;
    }

    public long arpRequests()
    {
        return arpRequests;
    }
}
