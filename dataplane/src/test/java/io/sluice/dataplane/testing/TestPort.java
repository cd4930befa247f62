package io.sluice.dataplane.testing;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.port.Port;
import io.sluice.dataplane.port.PortCounters;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * An in-memory port for stage tests: frames a test injects are received into pool frames at the
 * pool's data offset, as a real port would place them; transmitted frames are copied out and
 * their pool frames released.
 */
public final class TestPort implements Port
{
    private final String name;
    private final LinkType linkType;
    private final FramePool pool;
    private final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
    private final List<byte[]> sent = new ArrayList<>();
    private final List<Long> sentAddresses = new ArrayList<>();
    private final PortCounters counters = new PortCounters();

    public TestPort(final String name, final LinkType linkType, final FramePool pool)
    {
        this.name = name;
        this.linkType = linkType;
        this.pool = pool;
    }

    public void inject(final byte[] frame)
    {
        inbound.add(frame);
    }

    /** Where in the memory area each frame transmitted so far was, oldest first; the list is cleared. */
    public List<Long> takeSentAddresses()
    {
        final List<Long> out = new ArrayList<>(sentAddresses);
        sentAddresses.clear();
        return out;
    }

    /** Frames transmitted so far, oldest first; the list is cleared. */
    public List<byte[]> takeSent()
    {
        final List<byte[]> out = new ArrayList<>(sent);
        sent.clear();
        return out;
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public LinkType linkType()
    {
        return linkType;
    }

    @Override
    public int receive(final Burst burst)
    {
        int n = 0;
        while (!inbound.isEmpty() && burst.space() > 0)
        {
            final long frame = pool.allocate();
            if (frame < 0)
            {
                counters.rxNoBuffer++;
                break;
            }
            final byte[] bytes = inbound.poll();
            final long at = frame + pool.dataOffset();
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, pool.memory(), at, bytes.length);
            burst.add(at, bytes.length);
            counters.rxPackets++;
            counters.rxBytes += bytes.length;
            n++;
        }
        return n;
    }

    @Override
    public int transmit(final Burst burst)
    {
        for (int i = 0; i < burst.count(); i++)
        {
            sent.add(pool.memory().asSlice(burst.address(i), burst.length(i)).toArray(JAVA_BYTE));
            sentAddresses.add(burst.address(i));
            pool.release(burst.address(i));
            counters.txPackets++;
            counters.txBytes += burst.length(i);
        }
        final int n = burst.count();
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
