package io.sluice.dataplane.ethernet;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Ethernet;

import java.lang.foreign.MemorySegment;

/**
 * ethernet-input: frames from Ethernet ports. Checks length and destination, strips the
 * header (the descriptor moves to the L3 header) and dispatches by ethertype. A port that is an
 * L2TPv3 pseudowire (xconnect) sends every frame, unchanged, into its session.
 */
public final class EthernetInput extends Node
{
    private static final int RUNT = 0;
    private static final int NOT_FOR_US = 1;
    private static final int UNKNOWN_ETHERTYPE = 2;
    private static final int IPV6 = 3;
    private static final int VLAN = 4;

    private final Dataplane dp;

    public EthernetInput(final Dataplane dp)
    {
        super(dp.graph(), "ethernet-input", "runt", "not-for-us", "unknown-ethertype", "ipv6-unsupported",
            "vlan-unsupported");
        this.dp = dp;
    }

    @Override
    public io.sluice.dataplane.trace.PcapLinkType inputLinkType()
    {
        return io.sluice.dataplane.trace.PcapLinkType.ETHERNET;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        final int[] rxIf = graph.meta().rxInterface;
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final int frame = graph.pool().index(at);
            final Interface ifc = dp.interfaces().get(rxIf[frame]);
            graph.meta().flags[frame] = 0;
            if (ifc.xconnectSession() >= 0)
            {
                graph.enqueue(dp.l2tpv3Output(), at, len);
                continue;
            }
            if (len < Ethernet.LENGTH)
            {
                drop(RUNT, at);
                continue;
            }
            final long dst = Ethernet.dst(m, at);
            if (dst != ifc.mac() && !Ethernet.isGroup(dst))
            {
                drop(NOT_FOR_US, at);
                continue;
            }
            switch (Ethernet.type(m, at))
            {
                case Ethernet.TYPE_IPV4 ->
                {
                    if (Ethernet.isGroup(dst))
                    {
                        graph.meta().flags[frame] = Meta.L2_GROUP;
                    }
                    graph.enqueue(dp.ip4Input(), at + Ethernet.LENGTH, len - Ethernet.LENGTH);
                }
                case Ethernet.TYPE_ARP -> graph.enqueue(dp.arpInput(), at + Ethernet.LENGTH, len - Ethernet.LENGTH);
                case Ethernet.TYPE_IPV6 -> drop(IPV6, at);
                case Ethernet.TYPE_VLAN -> drop(VLAN, at);
                default -> drop(UNKNOWN_ETHERTYPE, at);
            }
        }
    }
}
