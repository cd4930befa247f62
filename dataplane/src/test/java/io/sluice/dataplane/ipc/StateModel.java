package io.sluice.dataplane.ipc;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a dataplane does with generations, reduced to its bookkeeping: every object programmed
 * carries the generation that last named it; at the end of a generation, objects of older ones
 * are stale and removed (replace, not merge). A lost control process changes nothing: the
 * dataplane forwards with what it has.
 */
class StateModel extends RecordingProgramHandler
{
    final Map<String, Long> objects = new HashMap<>();
    long generation;
    long applied;

    @Override
    public void onBeginState(final long generation)
    {
        super.onBeginState(generation);
        this.generation = generation;
    }

    @Override
    public void onEndState(final long generation)
    {
        super.onEndState(generation);
        objects.values().removeIf(g -> g < generation);
        applied = generation;
    }

    @Override
    public void onGreTunnelAdd(final CharSequence name, final int source, final int destination, final boolean hasKey,
        final int key, final boolean sequence, final int ttl, final int mtu)
    {
        super.onGreTunnelAdd(name, source, destination, hasKey, key, sequence, ttl, mtu);
        objects.put("tunnel " + name, generation);
    }

    @Override
    public void onRouteAdd(final int prefix, final int prefixLength, final CharSequence interfaceName,
        final int nextHop)
    {
        super.onRouteAdd(prefix, prefixLength, interfaceName, nextHop);
        objects.put("route " + IpcTesting.ip(prefix) + "/" + prefixLength + " " + interfaceName, generation);
    }

    @Override
    public void onSaAdd(final SaParameters sa)
    {
        super.onSaAdd(sa);
        objects.put("sa " + Integer.toHexString(sa.spi()) + " " + sa.direction() + " " + sa.tunnel() + " key " +
            IpcTesting.hex(sa.encryptionKey()).substring(0, 2), generation);
    }

    Map<String, Long> sorted()
    {
        return new TreeMap<>(objects);
    }
}
