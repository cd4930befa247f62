package io.sluice.dataplane.gre;

import java.util.ArrayList;
import java.util.List;

/** The GRE tunnels of a gateway; the array workers read is replaced when one is added. */
public final class GreTunnels
{
    private final List<GreTunnel> list = new ArrayList<>();
    private volatile GreTunnel[] tunnels = new GreTunnel[0];

    public synchronized GreTunnel add(
        final int iface, final int source, final int destination, final boolean hasKey, final int key,
        final boolean sequence, final int ttl)
    {
        if (destination == 0 && sequence)
        {
            throw new IllegalArgumentException("tunnel sequence-datagrams cannot be used on a multipoint GRE tunnel: " +
                "its peers would share one sequence space (use it on point-to-point tunnels)");
        }
        for (final GreTunnel t : list)
        {
            if (t.source() == source && t.destination() == destination && t.hasKey() == hasKey &&
                (!hasKey || t.key() == key))
            {
                throw new IllegalArgumentException("a GRE tunnel with the same source, destination and key exists: " + t);
            }
        }
        final GreTunnel t = new GreTunnel(list.size(), iface, source, destination, hasKey, key, sequence, ttl);
        list.add(t);
        tunnels = list.toArray(GreTunnel[]::new);
        return t;
    }

    public GreTunnel get(final int index)
    {
        return tunnels[index];
    }

    /**
     * The tunnel a received packet belongs to: the point-to-point tunnel with these endpoints and
     * key first, else a multipoint tunnel on this local address with this key; null if none.
     */
    public GreTunnel find(final int local, final int remote, final boolean hasKey, final int key)
    {
        final GreTunnel[] all = tunnels;
        GreTunnel multipoint = null;
        for (final GreTunnel t : all)
        {
            if (t.source() != local || t.hasKey() != hasKey || (hasKey && t.key() != key))
            {
                continue;
            }
            if (t.destination() == remote)
            {
                return t;
            }
            if (t.multipoint())
            {
                multipoint = t;
            }
        }
        return multipoint;
    }

    public int size()
    {
        return tunnels.length;
    }
}
