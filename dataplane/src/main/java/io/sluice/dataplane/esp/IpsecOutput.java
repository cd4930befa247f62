package io.sluice.dataplane.esp;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.ip4.TunnelEntry;

import java.lang.foreign.MemorySegment;

/**
 * ipsec-output: an IPv4 packet routed into a route-based IPsec tunnel interface (a crypto map's
 * protected destinations, or {@code tunnel mode ipsec ipv4}). The tunnel-entry checks (TTL, the
 * interface's {@code ip mtu} with DF, MSS clamping) run on the packet, then it goes to
 * esp-encrypt with the tunnel's binding, which picks the outbound SA.
 */
public final class IpsecOutput extends Node
{
    private final Dataplane dp;

    public IpsecOutput(final Dataplane dp)
    {
        super(dp.graph(), "ipsec-output", TunnelEntry.reasons());
        this.dp = dp;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        final int[] flags = graph.meta().flags;
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final int frame = graph.pool().index(at);
            final Interface ifc = dp.interfaces().get(dp.adjacencies().iface(graph.meta().adjacency[frame]));
            final int verdict = TunnelEntry.admit(dp, m, at, len, flags[frame], ifc, EspCodec.MAX_HEADROOM);
            if (verdict != TunnelEntry.OK)
            {
                drop(verdict, at);
                continue;
            }
            graph.meta().espBinding[frame] = dp.ipsecBindingOf(ifc);
            graph.enqueue(dp.espEncrypt(), at, len);
        }
    }
}
