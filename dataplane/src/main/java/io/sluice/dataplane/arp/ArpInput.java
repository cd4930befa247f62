package io.sluice.dataplane.arp;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Arp;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Ethernet;
import io.sluice.dataplane.worker.Handoff;

import java.lang.foreign.MemorySegment;

/**
 * arp-input: answers requests for our address in place (the request frame becomes the reply),
 * learns senders on our subnet (RFC 826's merge), and releases packets held for a neighbour
 * that has just resolved.
 * <p>
 * With several workers each has its own neighbour table (one writer each), and the NIC may put
 * an ARP reply on another worker's queue than the one that asked: every ARP packet a worker
 * receives is copied to the others, which learn from it (and release what they hold) but never
 * answer it.
 */
public final class ArpInput extends Node
{
    private static final int MALFORMED = 0;
    private static final int NOT_OURS = 1;
    private static final int TABLE_FULL = 2;
    private static final int CONSUMED = 3;
    private static final int NO_FRAME_FOR_COPY = 4;

    private final Dataplane dp;

    public ArpInput(final Dataplane dp)
    {
        super(dp.graph(), "arp-input", "malformed", "not-for-us", "neighbour-table-full", "learned-only",
            "no-frame-to-share");
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
            final Handoff.Lane lane = dp.handoff();
            final boolean copy = (graph.meta().flags[frame] & Meta.HANDED_OVER) != 0;
            if (lane != null && !copy)
            {
                shareWithOtherWorkers(lane, m, at, len, graph.meta().rxInterface[frame]);
            }
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
            if (copy)
            {
                graph.pool().release(at); // the worker that received it answers; this one only learns
                continue;
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

    /** A copy of the ARP packet (with its Ethernet header) in a frame of ours for each other worker. */
    private void shareWithOtherWorkers(
        final Handoff.Lane lane, final MemorySegment m, final long at, final int len,
        final int rxInterface)
    {
        for (int w = 0; w < lane.workers(); w++)
        {
            if (w == lane.worker())
            {
                continue;
            }
            final long f = graph.pool().allocate();
            if (f < 0)
            {
                count(NO_FRAME_FOR_COPY);
                return;
            }
            final long copyAt = f + graph.pool().dataOffset() + Ethernet.LENGTH;
            MemorySegment.copy(m, at - Ethernet.LENGTH, m, copyAt - Ethernet.LENGTH, Ethernet.LENGTH + len);
            if (!lane.handOver(w, Handoff.ARP_INPUT, copyAt, len, rxInterface, 0, 0))
            {
                graph.pool().release(f);
            }
        }
    }
}
