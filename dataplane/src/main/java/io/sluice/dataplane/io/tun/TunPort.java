package io.sluice.dataplane.io.tun;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.port.Port;
import io.sluice.dataplane.port.PortCounters;
import io.sluice.ffi.libc.Errno;
import io.sluice.ffi.libc.Libc;
import io.sluice.ffi.tun.Tun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A port on one queue of a TUN device: bare IP packets, one {@code read} or {@code write} each.
 * The kernel copies every packet between its skb and our frame (there is no shared ring), so any
 * {@link FramePool} will do: received packets land at the pool's data offset, transmitted frames
 * are released as soon as {@code write} returns.
 * <p>
 * Counting, since nothing on the data path throws:
 * <ul>
 *   <li>a packet that arrives while the pool is empty is still taken off the device (into a
 *   scratch buffer, so the kernel's queue does not hold stale packets) and counted in
 *   {@link PortCounters#rxNoBuffer};</li>
 *   <li>a packet longer than a frame's room after the data offset is dropped and counted in
 *   {@link #rxTooLong()}. A TUN read cuts a long packet to the buffer and returns the cut length,
 *   which looks like a whole packet; so each read is a readv into the frame and then a scratch
 *   buffer, and a result beyond the frame's room is how a long packet shows;</li>
 *   <li>a read failing with anything but EAGAIN ends the burst and counts in {@link PortCounters#rxErrors};</li>
 *   <li>every frame not written is counted in {@link PortCounters#txDropped}, and those that failed
 *   with an errno other than EAGAIN/ENOBUFS/EBUSY (EIO with the link down, EINVAL for a frame that is
 *   not IPv4 or IPv6) also in {@link PortCounters#txErrors}.</li>
 * </ul>
 * One port per queue; a port belongs to one worker thread.
 */
public final class TunPort implements Port
{
    /** The largest packet a TUN device can hand over (its MTU is at most 65535). */
    private static final int SCRATCH_SIZE = 65536;

    private final String name;
    private final Tun ownedTun;
    private final int fd;
    private final FramePool pool;
    private final long poolBase;
    private final long poolSize;
    private final int dataOffset;
    private final int room;
    private final Arena arena;
    private final MemorySegment callState;
    private final long scratch;
    /** Two {@code struct iovec}: the frame (its base set per read), then the scratch buffer for overflow. */
    private final MemorySegment iov;
    private final PortCounters counters = new PortCounters();
    private long rxTooLong;
    private boolean closed;

    private TunPort(final Tun tun, final int queue, final boolean owned, final FramePool pool)
    {
        this.name = tun.name() + "/" + queue;
        this.ownedTun = owned ? tun : null;
        this.fd = tun.fd(queue);
        this.pool = pool;
        this.poolBase = pool.memory().address();
        this.poolSize = pool.memory().byteSize();
        this.dataOffset = pool.dataOffset();
        this.room = pool.frameSize() - pool.dataOffset();
        this.arena = Arena.ofShared();
        this.callState = Libc.newCallState(arena);
        this.scratch = arena.allocate(SCRATCH_SIZE, 64).address();
        this.iov = arena.allocate(32, 8);
        iov.set(JAVA_LONG, 8, room);
        iov.set(JAVA_LONG, 16, scratch);
        iov.set(JAVA_LONG, 24, SCRATCH_SIZE);
    }

    /**
     * Creates a single-queue TUN device in the calling thread's network namespace and a port on it;
     * the port owns the device, which disappears when the port is closed.
     */
    public static TunPort open(final String name, final FramePool pool)
    {
        final Tun tun = Tun.open(name);
        try
        {
            return new TunPort(tun, 0, true, pool);
        }
        catch (final RuntimeException e)
        {
            tun.close();
            throw e;
        }
    }

    /** A port on one queue of a device opened elsewhere (e.g. one queue per worker); the port does not own it. */
    public static TunPort attach(final Tun tun, final int queue, final FramePool pool)
    {
        if (queue < 0 || queue >= tun.queues())
        {
            throw new IllegalArgumentException("queue " + queue + " outside 0.." + (tun.queues() - 1) + " of " + tun);
        }
        return new TunPort(tun, queue, false, pool);
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public LinkType linkType()
    {
        return LinkType.IP;
    }

    @Override
    public int receive(final Burst burst)
    {
        int received = 0;
        long bytes = 0;
        final int limit = burst.space();
        for (int i = 0; i < limit; i++)
        {
            final long frame = pool.allocate();
            if (frame < 0)
            {
                final long rc = Libc.readRaw(callState, fd, scratch, SCRATCH_SIZE);
                if (rc >= 0)
                {
                    counters.rxNoBuffer++;
                    continue;
                }
                if (rc != -Errno.EAGAIN)
                {
                    counters.rxErrors++;
                }
                break;
            }
            final long data = frame + dataOffset;
            iov.set(JAVA_LONG, 0, poolBase + data);
            final long rc = Libc.readvRaw(callState, fd, iov, 2);
            if (rc < 0)
            {
                pool.release(frame);
                if (rc != -Errno.EAGAIN)
                {
                    counters.rxErrors++;
                }
                break;
            }
            if (rc > room)
            {
                pool.release(frame); // the rest went to the scratch buffer: no frame can hold it
                rxTooLong++;
                continue;
            }
            burst.add(data, (int)rc);
            received++;
            bytes += rc;
        }
        counters.rxPackets += received;
        counters.rxBytes += bytes;
        return received;
    }

    @Override
    public int transmit(final Burst burst)
    {
        final int count = burst.count();
        int sent = 0;
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            final long address = burst.address(i);
            final int length = burst.length(i);
            if (address < 0 || length <= 0 || address + length > poolSize)
            {
                // a bad descriptor (a bug upstream): never hand the kernel memory outside the pool
                if (address >= 0 && address < poolSize)
                {
                    pool.release(address);
                }
                counters.txDropped++;
                counters.txErrors++;
                continue;
            }
            final long rc = Libc.writeRaw(callState, fd, poolBase + address, length);
            pool.release(address);
            if (rc >= 0)
            {
                sent++;
                bytes += length;
            }
            else
            {
                counters.txDropped++;
                if (rc != -Errno.EAGAIN && rc != -Errno.ENOBUFS && rc != -Errno.EBUSY)
                {
                    counters.txErrors++;
                }
            }
        }
        burst.clear();
        counters.txPackets += sent;
        counters.txBytes += bytes;
        return sent;
    }

    /** Nothing to do: a TUN queue has no rings to reap or refill. */
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

    /** Packets dropped on receive because they were longer than a frame's room after the data offset. */
    public long rxTooLong()
    {
        return rxTooLong;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                if (ownedTun != null)
                {
                    ownedTun.close();
                }
            }
            finally
            {
                arena.close();
            }
        }
    }

    @Override
    public String toString()
    {
        return "TUN port " + name + ": " + counters + ", rx-too-long " + rxTooLong;
    }
}
