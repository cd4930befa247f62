package io.sluice.dataplane.gre;

import io.sluice.dataplane.packet.Bytes;
import org.agrona.collections.Int2IntHashMap;

/**
 * A GRE tunnel ({@code interface TunnelN}, {@code tunnel mode gre [multipoint]}): the endpoints,
 * the optional key and sequence numbers, and for multipoint GRE the peer table (overlay address
 * -> NBMA address) that NHRP fills and tests or configuration fill now. The peer table is
 * copy-on-write: workers read the published map without locks.
 */
public final class GreTunnel
{
    private final int index;
    private final int iface;
    private final int source;
    private final int destination;
    private final boolean hasKey;
    private final int key;
    private final boolean sequence;
    private final int ttl;
    private volatile Int2IntHashMap peers = new Int2IntHashMap(0);
    /** {@code tunnel protection ipsec profile}: NBMA peer -> IPsec binding, null when unprotected. */
    private volatile Int2IntHashMap protection;
    private int txSequence;
    private int rxExpected;
    long rxPackets;
    long rxBytes;
    long txPackets;
    long txBytes;
    long rxOutOfOrder;

    GreTunnel(
        final int index, final int iface, final int source, final int destination, final boolean hasKey, final int key,
        final boolean sequence, final int ttl)
    {
        this.index = index;
        this.iface = iface;
        this.source = source;
        this.destination = destination;
        this.hasKey = hasKey;
        this.key = key;
        this.sequence = sequence;
        this.ttl = ttl;
    }

    public int index()
    {
        return index;
    }

    /** The tunnel interface's index. */
    public int iface()
    {
        return iface;
    }

    public int source()
    {
        return source;
    }

    /** The far end, 0 for multipoint. */
    public int destination()
    {
        return destination;
    }

    public boolean multipoint()
    {
        return destination == 0;
    }

    public boolean hasKey()
    {
        return hasKey;
    }

    public int key()
    {
        return key;
    }

    public boolean sequence()
    {
        return sequence;
    }

    public int ttl()
    {
        return ttl;
    }

    int nextTxSequence()
    {
        return txSequence++;
    }

    /** Accepts a received sequence number if it is not older than expected (RFC 2890 2.2). */
    boolean acceptSequence(final int seq)
    {
        if (seq - rxExpected < 0)
        {
            rxOutOfOrder++;
            return false;
        }
        rxExpected = seq + 1;
        return true;
    }

    /** The NBMA address for an overlay address, 0 when unknown. */
    public int nbmaFor(final int overlay)
    {
        return peers.get(overlay);
    }

    /** Adds or replaces a peer mapping (control side). */
    public synchronized void mapPeer(final int overlay, final int nbma)
    {
        if (!multipoint())
        {
            throw new IllegalStateException("peer mappings need a multipoint GRE tunnel");
        }
        final Int2IntHashMap next = new Int2IntHashMap(0);
        peers.forEach(next::put);
        next.put(overlay, nbma);
        peers = next;
    }

    public synchronized void unmapPeer(final int overlay)
    {
        final Int2IntHashMap next = new Int2IntHashMap(0);
        peers.forEach(next::put);
        next.remove(overlay);
        peers = next;
    }

    /** {@code tunnel protection ipsec profile}: from now on this tunnel's packets go through ESP. */
    public synchronized void protect()
    {
        if (protection == null)
        {
            protection = new Int2IntHashMap(0);
        }
    }

    public boolean isProtected()
    {
        return protection != null;
    }

    /** The IPsec binding for packets to {@code nbma}, 0 when there is none yet (no SA negotiated). */
    public int bindingFor(final int nbma)
    {
        final Int2IntHashMap p = protection;
        return p == null ? 0 : p.get(nbma);
    }

    /** Records the IPsec binding for a peer (control side, {@code Dataplane.ipsecBinding}). */
    public synchronized void bind(final int nbma, final int binding)
    {
        if (protection == null)
        {
            throw new IllegalStateException("tunnel is not protected");
        }
        final Int2IntHashMap next = new Int2IntHashMap(0);
        protection.forEach(next::put);
        next.put(nbma, binding);
        protection = next;
    }

    public int peerCount()
    {
        return peers.size();
    }

    public long rxPackets()
    {
        return rxPackets;
    }

    public long txPackets()
    {
        return txPackets;
    }

    public long rxBytes()
    {
        return rxBytes;
    }

    public long txBytes()
    {
        return txBytes;
    }

    public long rxOutOfOrder()
    {
        return rxOutOfOrder;
    }

    @Override
    public String toString()
    {
        return "GRE tunnel " + index + " " + Bytes.ip4ToString(source) + " -> " +
            (multipoint() ? "multipoint" : Bytes.ip4ToString(destination)) + (hasKey ? " key " + (key & 0xffffffffL) : "");
    }
}
