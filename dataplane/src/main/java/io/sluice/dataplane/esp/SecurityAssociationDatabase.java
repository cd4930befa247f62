package io.sluice.dataplane.esp;

import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The SAD (RFC 4301 4.4.2) as the dataplane needs it: inbound SAs by SPI, and the outbound SA of
 * each tunnel. Workers read without locks: every change builds a new map and publishes it with
 * one volatile write (copy-on-write, as GreTunnel's peer map), so a reader sees the old table or
 * the new one, never half of a change. The control agent is the writer; writes are rare and
 * synchronized among themselves.
 * <p>
 * Rekey, make-before-break: {@link #addInbound} the new inbound SA (old and new inbound SAs of the
 * tunnel both live, so packets the peer sent with either key decrypt), {@link #switchOutbound} to
 * the new outbound SA (the next packet a worker encrypts uses it), and after a grace period
 * {@link #removeInbound} the old inbound SA and {@link SecurityAssociation#destroy()} both old ones.
 */
public final class SecurityAssociationDatabase
{
    private volatile Int2ObjectHashMap<SecurityAssociation> inbound = new Int2ObjectHashMap<>();
    private volatile Int2ObjectHashMap<SecurityAssociation> outbound = new Int2ObjectHashMap<>();

    /** Worker: the inbound SA for an SPI, null when unknown (the caller counts that drop). */
    public SecurityAssociation inbound(final int spi)
    {
        return inbound.get(spi);
    }

    /** Worker: the outbound SA of a tunnel, null when it has none (yet). */
    public SecurityAssociation outbound(final int tunnel)
    {
        return outbound.get(tunnel);
    }

    /** Adds an inbound SA; several may serve one tunnel (during a rekey). */
    public synchronized void addInbound(final SecurityAssociation sa)
    {
        if (sa.direction() != SecurityAssociation.Direction.INBOUND)
        {
            throw new IllegalArgumentException(sa + " is not inbound");
        }
        if (sa.isDestroyed())
        {
            throw new IllegalArgumentException(sa + " is destroyed");
        }
        final SecurityAssociation existing = inbound.get(sa.spi());
        if (existing != null)
        {
            throw new IllegalStateException("SPI 0x" + Integer.toHexString(sa.spi()) + " is already used by " +
                existing + "; the receiver chooses its SPIs and must not repeat one");
        }
        final Int2ObjectHashMap<SecurityAssociation> next = new Int2ObjectHashMap<>(inbound);
        next.put(sa.spi(), sa);
        inbound = next;
    }

    /** Removes the inbound SA with this SPI and returns it (null when none); destroying it is the caller's. */
    public synchronized SecurityAssociation removeInbound(final int spi)
    {
        final SecurityAssociation sa = inbound.get(spi);
        if (sa == null)
        {
            return null;
        }
        final Int2ObjectHashMap<SecurityAssociation> next = new Int2ObjectHashMap<>(inbound);
        next.remove(spi);
        inbound = next;
        return sa;
    }

    /**
     * Makes {@code sa} its tunnel's outbound SA, atomically: a worker encrypts each packet with the
     * old SA or the new one. Returns the SA it replaces (null when none), still live: destroy it
     * after a grace period.
     */
    public synchronized SecurityAssociation switchOutbound(final SecurityAssociation sa)
    {
        if (sa.direction() != SecurityAssociation.Direction.OUTBOUND)
        {
            throw new IllegalArgumentException(sa + " is not outbound");
        }
        if (sa.tunnel() < 0)
        {
            throw new IllegalArgumentException(sa + " names no tunnel (builder().tunnel(index))");
        }
        if (sa.isDestroyed())
        {
            throw new IllegalArgumentException(sa + " is destroyed");
        }
        final Int2ObjectHashMap<SecurityAssociation> next = new Int2ObjectHashMap<>(outbound);
        final SecurityAssociation previous = next.put(sa.tunnel(), sa);
        outbound = next;
        return previous;
    }

    /** Removes a tunnel's outbound SA and returns it (null when none). */
    public synchronized SecurityAssociation removeOutbound(final int tunnel)
    {
        final SecurityAssociation sa = outbound.get(tunnel);
        if (sa == null)
        {
            return null;
        }
        final Int2ObjectHashMap<SecurityAssociation> next = new Int2ObjectHashMap<>(outbound);
        next.remove(tunnel);
        outbound = next;
        return sa;
    }

    /** Control view: the inbound SAs of a tunnel, by SPI. */
    public List<SecurityAssociation> inboundOf(final int tunnel)
    {
        final List<SecurityAssociation> list = new ArrayList<>();
        // forEachInt walks the arrays; values() would share one cached iterator between threads.
        inbound.forEachInt((spi, sa) ->
        {
            if (sa.tunnel() == tunnel)
            {
                list.add(sa);
            }
        });
        list.sort(Comparator.comparingLong(sa -> sa.spi() & 0xffff_ffffL));
        return list;
    }

    /** Control view: every inbound SA, by SPI. */
    public List<SecurityAssociation> inboundAll()
    {
        final List<SecurityAssociation> list = new ArrayList<>();
        inbound.forEachInt((spi, sa) -> list.add(sa));
        list.sort(Comparator.comparingLong(sa -> sa.spi() & 0xffff_ffffL));
        return list;
    }

    /** Control view: every outbound SA, by binding. */
    public List<SecurityAssociation> outboundAll()
    {
        final List<SecurityAssociation> list = new ArrayList<>();
        outbound.forEachInt((binding, sa) -> list.add(sa));
        list.sort(Comparator.comparingInt(SecurityAssociation::tunnel));
        return list;
    }

    public int inboundCount()
    {
        return inbound.size();
    }

    public int outboundCount()
    {
        return outbound.size();
    }
}
