package io.sluice.dataplane.run;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.iface.Interface;

import java.util.HashMap;
import java.util.Map;

/**
 * On-demand dead peer detection's trigger (references 000/002): "we are sending traffic to the
 * peer and have received nothing from it for the keepalive interval". Checked about once a second
 * on the dataplane process's program thread from the SAs' packet counters, per IPsec binding
 * (tunnel and peer): outbound packets went up since the last inbound one, and no inbound packet
 * came for {@link #idleSeconds}. Reported once until something arrives again.
 */
final class PeerIdleDetector
{
    /** Where an idle peer is told. */
    @FunctionalInterface
    interface Sink
    {
        void idle(String tunnel, int peer, int outboundSpi, int idleSeconds);
    }

    private static final class State
    {
        long outPackets;
        long inPackets;
        long lastTxNanos;
        long lastRxNanos;
        boolean reported;
    }

    private final Map<Integer, State> bindings = new HashMap<>();
    private volatile int idleSeconds;

    /** The keepalive interval; 0 turns detection off (no on-demand DPD configured). */
    void idleSeconds(final int seconds)
    {
        idleSeconds = Math.max(0, seconds);
    }

    int idleSeconds()
    {
        return idleSeconds;
    }

    /** Looks at every outbound SA's binding; returns how many peers were reported idle. */
    int check(final long nowNanos, final Dataplane dp, final Sink sink)
    {
        final int idle = idleSeconds;
        if (idle == 0)
        {
            return 0;
        }
        int reported = 0;
        for (final SecurityAssociation out : dp.sad().outboundAll())
        {
            final int binding = out.tunnel();
            long in = 0;
            for (final SecurityAssociation sa : dp.sad().inboundOf(binding))
            {
                in += sa.packets();
            }
            final State s = bindings.computeIfAbsent(binding, b ->
            {
                final State fresh = new State();
                fresh.lastRxNanos = nowNanos; // a new binding is not idle before it had a chance
                return fresh;
            });
            final long outPackets = out.packets();
            if (outPackets != s.outPackets)
            {
                s.outPackets = outPackets;
                s.lastTxNanos = nowNanos;
            }
            if (in != s.inPackets)
            {
                s.inPackets = in;
                s.lastRxNanos = nowNanos;
                s.reported = false;
            }
            if (!s.reported && s.lastTxNanos > s.lastRxNanos && nowNanos - s.lastRxNanos >= idle * 1_000_000_000L)
            {
                final Interface ifc = dp.ipsecBindingInterface(binding);
                sink.idle(ifc == null ? "" : ifc.name(), out.tunnelDestination(), out.spi(), idle);
                s.reported = true;
                reported++;
            }
        }
        return reported;
    }
}
