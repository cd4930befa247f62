package io.sluice.dataplane.program;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.esp.EspEvents;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.iface.Interface;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Applies {@link DataplaneProgram} calls to a {@link Dataplane} in this process, while its worker
 * runs: every table it touches is published copy-on-write, so a worker sees a change whole or not
 * at all. SAs that a change replaces or deletes are not wiped at once (a worker may be in the
 * middle of a packet with one): they are retired and destroyed, keys zeroed, a grace period later.
 * <p>
 * Errors (an unknown interface, an SPI already in use, keys of the wrong length) throw
 * {@link IllegalArgumentException} / {@link IllegalStateException} with a message naming the item.
 * <p>
 * With several workers each has its own {@link Dataplane} (graph, ports, tables) and all share
 * one SAD: tables are programmed into every worker's dataplane in the same order (so interfaces
 * and IPsec bindings get the same numbers everywhere), SAs once.
 */
public final class DirectProgram implements DataplaneProgram
{
    /** How long a replaced SA stays intact for packets already in a worker's hands. */
    public static final long RETIRE_NANOS = 1_000_000_000L;

    private final Dataplane dp;
    private final java.util.List<Dataplane> workers;
    private final EspEvents.Listener listener;
    private final Map<Integer, SecurityAssociation> outboundBySpi = new HashMap<>();
    private final ArrayDeque<Retired> retired = new ArrayDeque<>();
    /** Every item applied, by what identifies it: a re-sent identical item is not applied twice. */
    private final Map<String, String> applied = new HashMap<>();
    /** The items the current generation has sent, between {@link #beginState} and {@link #endState}. */
    private java.util.Set<String> generation;
    private final java.util.function.Consumer<String> log;

    private record Retired(SecurityAssociation sa, long at)
    {
    }

    /**
     * @param listener where SA events (soft and hard lifetime, sequence exhaustion) go; may be null
     */
    public DirectProgram(final Dataplane dp, final EspEvents.Listener listener)
    {
        this(dp, listener, line -> { });
    }

    /**
     * @param log where decisions go (a line each: state replaced, duplicates ignored); never keys
     */
    public DirectProgram(final Dataplane dp, final EspEvents.Listener listener,
        final java.util.function.Consumer<String> log)
    {
        this(java.util.List.of(dp), listener, log);
    }

    /**
     * Several workers' dataplanes sharing one SAD; the first holds the counters file.
     */
    public DirectProgram(final java.util.List<Dataplane> workers, final EspEvents.Listener listener,
        final java.util.function.Consumer<String> log)
    {
        this.workers = java.util.List.copyOf(workers);
        this.dp = this.workers.getFirst();
        for (final Dataplane w : this.workers)
        {
            if (w.sad() != dp.sad())
            {
                throw new IllegalArgumentException("the workers' dataplanes do not share one SAD");
            }
        }
        this.listener = listener;
        this.log = log;
    }

    /**
     * Records an item; returns false when the identical item is already applied (a control
     * process re-sending its state), and throws when the same item comes with other parameters
     * that cannot change while the dataplane runs.
     */
    private boolean fresh(final String id, final String parameters, final boolean replaceable)
    {
        if (generation != null)
        {
            generation.add(id);
        }
        final String before = applied.get(id);
        if (parameters.equals(before))
        {
            return false;
        }
        if (before != null && !replaceable)
        {
            throw new IllegalStateException(id + " exists as '" + before + "', cannot change to '" + parameters +
                "' while the dataplane runs: restart it");
        }
        applied.put(id, parameters);
        return true;
    }

    /** A control process starts sending its whole state (it connected, or reconnected after a restart). */
    public synchronized void beginState(final long number)
    {
        generation = new java.util.HashSet<>();
        log.accept("program: state generation " + number + " begins");
    }

    /**
     * The whole state has been sent: SAs and routes the new state did not mention are stale (a
     * previous control process made them) and are removed; the rest stays as it was, so traffic
     * that the old and new state agree on never stops.
     */
    public synchronized void endState(final long number)
    {
        if (generation == null)
        {
            return;
        }
        int removed = 0;
        for (final String id : java.util.List.copyOf(applied.keySet()))
        {
            if (generation.contains(id))
            {
                continue;
            }
            if (id.startsWith("sa "))
            {
                final String[] w = id.split(" ");
                final int spi = (int)Long.parseLong(w[2], 16);
                final boolean inbound = w[1].equals("in");
                applied.remove(id);
                deleteSa(spi, inbound);
                removed++;
            }
            else if (id.startsWith("route "))
            {
                final String[] w = id.split(" ")[1].split("/");
                for (final Dataplane d : workers)
                {
                    d.removeRoute((int)Long.parseLong(w[0]), Integer.parseInt(w[1]));
                }
                applied.remove(id);
                removed++;
            }
        }
        log.accept("program: state generation " + number + " complete: " + generation.size() + " items, " +
            removed + " stale ones removed");
        generation = null;
    }

    private static Interface iface(final Dataplane d, final String name)
    {
        return d.interfaces().byName(name);
    }

    @Override
    public synchronized void interfaceAddress(final String ifname, final int address, final int prefixLength)
    {
        if (!fresh("address " + ifname + " " + address, "/" + prefixLength, false))
        {
            return;
        }
        for (final Dataplane d : workers)
        {
            d.setAddress(iface(d, ifname), address, prefixLength);
        }
    }

    @Override
    public synchronized void interfaceMtu(final String ifname, final int ipMtu, final int tcpAdjustMss)
    {
        fresh("mtu " + ifname, ipMtu + " " + tcpAdjustMss, true);
        for (final Dataplane d : workers)
        {
            final Interface ifc = iface(d, ifname);
            if (ipMtu > 0)
            {
                ifc.mtu(ipMtu);
            }
            if (tcpAdjustMss > 0)
            {
                ifc.mssClamp(tcpAdjustMss);
            }
        }
    }

    @Override
    public synchronized void greTunnel(final String name, final int source, final int destination, final Long key)
    {
        if (!fresh("tunnel " + name, "gre " + source + " " + destination + " " + key, false))
        {
            return;
        }
        for (final Dataplane d : workers)
        {
            d.addGreTunnel(name, source, destination, key == null ? null : key.intValue(), false);
        }
    }

    @Override
    public synchronized void protectTunnel(final String name)
    {
        if (!fresh("protect " + name, "", false))
        {
            return;
        }
        for (final Dataplane d : workers)
        {
            d.protectGreTunnel(iface(d, name));
        }
    }

    @Override
    public synchronized void ipsecTunnel(final String name, final int source, final int destination)
    {
        final String before = applied.get("tunnel " + name);
        if (before != null && before.startsWith("ipsec " + source + " ") && !before.equals("ipsec " + source + " " +
            destination))
        {
            // the same tunnel to another peer: a crypto map failing over to its next 'set peer'
            fresh("tunnel " + name, "ipsec " + source + " " + destination, true);
            for (final Dataplane d : workers)
            {
                d.retargetIpsecTunnel(iface(d, name), destination);
            }
            log.accept("program: IPsec tunnel " + name + " now goes to " + io.sluice.dataplane.packet.Bytes.ip4ToString(
                destination));
            return;
        }
        if (!fresh("tunnel " + name, "ipsec " + source + " " + destination, false))
        {
            return;
        }
        for (final Dataplane d : workers)
        {
            d.addIpsecTunnel(name, source, destination);
        }
    }

    @Override
    public synchronized void mgrePeer(final String tunnel, final int overlay, final int nbma)
    {
        fresh("mgre " + tunnel + " " + overlay, String.valueOf(nbma), true);
        for (final Dataplane d : workers)
        {
            d.mapMgrePeer(iface(d, tunnel), overlay, nbma);
        }
    }

    @Override
    public synchronized void route(final int prefix, final int length, final String ifname, final int nextHop)
    {
        if (!fresh("route " + prefix + "/" + length, ifname + " " + nextHop, true))
        {
            return;
        }
        for (final Dataplane d : workers)
        {
            d.addRoute(prefix, length, iface(d, ifname), nextHop);
        }
    }

    @Override
    public synchronized void nullRoute(final int prefix, final int length)
    {
        if (!fresh("route " + prefix + "/" + length, "Null0", true))
        {
            return;
        }
        for (final Dataplane d : workers)
        {
            d.addNullRoute(prefix, length);
        }
    }

    @Override
    public synchronized void removeRoute(final int prefix, final int length)
    {
        if (generation != null)
        {
            generation.remove("route " + prefix + "/" + length);
        }
        if (applied.remove("route " + prefix + "/" + length) == null)
        {
            return;
        }
        for (final Dataplane d : workers)
        {
            d.removeRoute(prefix, length);
        }
        log.accept("program: route " + io.sluice.dataplane.packet.Bytes.ip4ToString(prefix) + "/" + length + " removed");
    }

    @Override
    public synchronized void addSa(final SaSpec spec)
    {
        try
        {
            reap(System.nanoTime());
            final String id = String.format("sa %s %08x", spec.inbound() ? "in" : "out", spec.spi());
            if (!fresh(id, spec.tunnel() + " " + spec.peer() + " " + spec.mode() + " " + spec.encryption() + " " +
                spec.integrity(), false))
            {
                log.accept("program: " + spec + " is already installed, unchanged");
                return;
            }
            final int binding = dp.ipsecBinding(iface(dp, spec.tunnel()), spec.peer());
            for (final Dataplane d : workers)
            {
                // every worker must know the binding (an mGRE peer's is made on first use), by the same number
                final int theirs = d.ipsecBinding(iface(d, spec.tunnel()), spec.peer());
                if (theirs != binding)
                {
                    throw new IllegalStateException("IPsec binding of " + spec.tunnel() + " numbered " + theirs +
                        " on one worker and " + binding + " on another: the workers were programmed differently");
                }
            }
            final SecurityAssociation.Builder b = SecurityAssociation.builder()
                .spi(spec.spi())
                .mode(spec.mode())
                .tunnel(binding)
                .encryption(spec.encryption(), spec.encryptionKey().clone())
                .esn(spec.esn());
            if (spec.integrity() != EspIntegrity.NONE)
            {
                b.integrity(spec.integrity(), spec.integrityKey().clone());
            }
            if (spec.lifetimeSeconds() > 0)
            {
                b.lifetimeSeconds(softOf(spec.lifetimeSeconds()), spec.lifetimeSeconds());
            }
            if (spec.lifetimeKilobytes() > 0)
            {
                b.lifetimeKilobytes(softOf(spec.lifetimeKilobytes()), spec.lifetimeKilobytes());
            }
            if (listener != null)
            {
                b.listener(listener);
            }
            if (spec.inbound())
            {
                b.inbound().endpoints(spec.peer(), spec.local()).replayWindow(spec.replayWindow());
                if (spec.udpPort() != 0)
                {
                    b.udpEncapsulation(spec.udpPort(), 4500);
                }
                final SecurityAssociation sa = b.build();
                dp.sad().addInbound(sa);
                dp.exportSa(sa);
            }
            else
            {
                b.outbound().endpoints(spec.local(), spec.peer());
                if (spec.udpPort() != 0)
                {
                    b.udpEncapsulation(4500, spec.udpPort());
                }
                final SecurityAssociation sa = b.build();
                final SecurityAssociation previous = dp.sad().switchOutbound(sa);
                dp.exportSa(sa);
                outboundBySpi.put(sa.spi(), sa);
                if (previous != null)
                {
                    outboundBySpi.remove(previous.spi());
                    retired.add(new Retired(previous, System.nanoTime()));
                }
            }
        }
        finally
        {
            spec.wipe();
        }
    }

    /** Rekey before the hard limit: at 90 % of it, as strongSwan's default margin does. */
    private static long softOf(final long hard)
    {
        return Math.max(1, hard - hard / 10);
    }

    @Override
    public synchronized void deleteSa(final int spi, final boolean inbound)
    {
        reap(System.nanoTime());
        applied.remove(String.format("sa %s %08x", inbound ? "in" : "out", spi));
        final SecurityAssociation sa;
        if (inbound)
        {
            sa = dp.sad().removeInbound(spi);
        }
        else
        {
            sa = outboundBySpi.remove(spi);
            if (sa != null)
            {
                dp.sad().removeOutbound(sa.tunnel());
            }
        }
        if (sa == null)
        {
            throw new IllegalArgumentException("no " + (inbound ? "inbound" : "outbound") + " SA with spi 0x" +
                Integer.toHexString(spi));
        }
        retired.add(new Retired(sa, System.nanoTime()));
    }

    /** Destroys retired SAs whose grace period is over; returns how many remain. */
    public synchronized int reap(final long nowNanos)
    {
        while (!retired.isEmpty() && nowNanos - retired.peek().at() >= RETIRE_NANOS)
        {
            final SecurityAssociation sa = retired.poll().sa();
            dp.unexportSa(sa);
            sa.destroy();
        }
        return retired.size();
    }

    /** Deletes every SA (shutdown, {@code clear crypto sa}): keys zeroed once workers are done with them. */
    public synchronized void clearSas()
    {
        for (final SecurityAssociation sa : java.util.List.copyOf(outboundBySpi.values()))
        {
            dp.sad().removeOutbound(sa.tunnel());
            retired.add(new Retired(sa, System.nanoTime()));
        }
        outboundBySpi.clear();
        for (final SecurityAssociation sa : dp.sad().inboundAll())
        {
            dp.sad().removeInbound(sa.spi());
            retired.add(new Retired(sa, System.nanoTime()));
        }
    }
}
