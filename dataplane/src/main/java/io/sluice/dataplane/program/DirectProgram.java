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
 */
public final class DirectProgram implements DataplaneProgram
{
    /** How long a replaced SA stays intact for packets already in a worker's hands. */
    public static final long RETIRE_NANOS = 1_000_000_000L;

    private final Dataplane dp;
    private final EspEvents.Listener listener;
    private final Map<Integer, SecurityAssociation> outboundBySpi = new HashMap<>();
    private final ArrayDeque<Retired> retired = new ArrayDeque<>();

    private record Retired(SecurityAssociation sa, long at)
    {
    }

    /**
     * @param listener where SA events (soft and hard lifetime, sequence exhaustion) go; may be null
     */
    public DirectProgram(final Dataplane dp, final EspEvents.Listener listener)
    {
        this.dp = dp;
        this.listener = listener;
    }

    private Interface iface(final String name)
    {
        return dp.interfaces().byName(name);
    }

    @Override
    public synchronized void interfaceAddress(final String ifname, final int address, final int prefixLength)
    {
        dp.setAddress(iface(ifname), address, prefixLength);
    }

    @Override
    public synchronized void interfaceMtu(final String ifname, final int ipMtu, final int tcpAdjustMss)
    {
        final Interface ifc = iface(ifname);
        if (ipMtu > 0)
        {
            ifc.mtu(ipMtu);
        }
        if (tcpAdjustMss > 0)
        {
            ifc.mssClamp(tcpAdjustMss);
        }
    }

    @Override
    public synchronized void greTunnel(final String name, final int source, final int destination, final Long key)
    {
        dp.addGreTunnel(name, source, destination, key == null ? null : key.intValue(), false);
    }

    @Override
    public synchronized void protectTunnel(final String name)
    {
        dp.protectGreTunnel(iface(name));
    }

    @Override
    public synchronized void ipsecTunnel(final String name, final int source, final int destination)
    {
        dp.addIpsecTunnel(name, source, destination);
    }

    @Override
    public synchronized void mgrePeer(final String tunnel, final int overlay, final int nbma)
    {
        dp.mapMgrePeer(iface(tunnel), overlay, nbma);
    }

    @Override
    public synchronized void route(final int prefix, final int length, final String ifname, final int nextHop)
    {
        dp.addRoute(prefix, length, iface(ifname), nextHop);
    }

    @Override
    public synchronized void nullRoute(final int prefix, final int length)
    {
        dp.addNullRoute(prefix, length);
    }

    @Override
    public synchronized void addSa(final SaSpec spec)
    {
        try
        {
            reap(System.nanoTime());
            final Interface tunnel = iface(spec.tunnel());
            final int binding = dp.ipsecBinding(tunnel, spec.peer());
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
                dp.sad().addInbound(b.build());
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
            retired.poll().sa().destroy();
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
