package io.sluice.dataplane.arp;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Arp;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Ethernet;

import java.lang.foreign.MemorySegment;

/**
 * arp-input: answers requests for our address in place (the request frame becomes the reply),
 * learns senders on our subnet (RFC 826's merge), and releases packets held for a neighbour
 * that has just resolved.
 */
public final class ArpInput extends Node
{
    private static final int MALFORMED = 0;
    private static final int NOT_OURS = 1;
    private static final int TABLE_FULL = 2;
    private static final int CONSUMED = 3;

    private final Dataplane dp;

    public ArpInput(final Dataplane dp)
    {
        super(dp.graph(), "arp-input", "malformed", "not-for-us", "neighbour-table-full", "learned-only");
        this.dp = dp;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final int frame = graph.pool().index(at);
            final Interface ifc = dp.interfaces().get(graph.meta().rxInterface[frame]);
            if (len < Arp.LENGTH || !Arp.isEthernetIpv4(m, at))
            {
                drop(MALFORMED, at);
                continue;
            }
            final int op = Bytes.u16(m, at + Arp.OPER);
            final long sha = Bytes.mac(m, at + Arp.SHA);
            final int spa = Bytes.u32(m, at + Arp.SPA);
            final int tpa = Bytes.u32(m, at + Arp.TPA);
            final boolean forUs = ifc.prefixLength() > 0 && tpa == ifc.address();
            if (ifc.onLink(spa) && spa != ifc.address() && (forUs || dp.neighbours().find(ifc.index(), spa) >= 0))
            {
                final int slot = dp.neighbours().learn(ifc.index(), spa, sha, graph.nowNanos());
                if (slot < 0)
                {
                    count(TABLE_FULL);
                }
                else
                {
                    dp.ip4Rewrite().releaseHeld(slot);
                }
            }
            if (op == Arp.OP_REQUEST && forUs)
            {
                final long eth = at - Ethernet.LENGTH;
                Ethernet.write(m, eth, sha, ifc.mac(), Ethernet.TYPE_ARP);
                Arp.write(m, at, Arp.OP_REPLY, ifc.mac(), tpa, sha, spa);
                graph.transmit(ifc.port(), eth, Ethernet.LENGTH + Arp.LENGTH);
                continue;
            }
            drop(forUs ? CONSUMED : NOT_OURS, at);
        }
    }
}
