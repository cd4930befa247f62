package io.sluice.perf.graph;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.port.Port;
import io.sluice.dataplane.port.PortCounters;

import java.lang.foreign.MemorySegment;

/**
 * A port for micro-benchmarks: every receive hands out a full burst of frames holding a template
 * packet (a copy of the template's bytes per frame, the same cost in every scenario and in the
 * baseline), every transmit frees what it is given. No kernel, so what is measured is the graph.
 */
public final class ReplayPort implements Port
{
    private final String name;
    private final FramePool pool;
    private final MemorySegment template;
    private final PortCounters counters = new PortCounters();

    /** @param template the packet to replay, or null for a port that receives nothing */
    public ReplayPort(final String name, final FramePool pool, final byte[] template)
    {
        this.name = name;
        this.pool = pool;
        this.template = template == null ? null : MemorySegment.ofArray(template.clone());
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public LinkType linkType()
    {
        return LinkType.ETHERNET;
    }

    @Override
    public int receive(final Burst burst)
    {
        if (template == null)
        {
            return 0;
        }
        final MemorySegment memory = pool.memory();
        final int length = (int)template.byteSize();
        int n = 0;
        while (burst.space() > 0)
        {
            final long frame = pool.allocate();
            if (frame < 0)
            {
                break;
            }
            final long at = frame + pool.dataOffset();
            MemorySegment.copy(template, 0, memory, at, length);
            burst.add(at, length);
            n++;
        }
        counters.rxPackets += n;
        return n;
    }

    @Override
    public int transmit(final Burst burst)
    {
        final int n = burst.count();
        for (int i = 0; i < n; i++)
        {
            pool.release(burst.address(i));
        }
        counters.txPackets += n;
        burst.clear();
        return n;
    }

    @Override
    public int poll()
    {
        return 0;
    }

    @Override
    public PortCounters counters()
    {
        return counters;
    }

    @Override
    public void close()
    {
    }
}
