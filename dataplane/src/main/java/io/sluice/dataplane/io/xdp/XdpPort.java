package io.sluice.dataplane.io.xdp;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.port.Port;
import io.sluice.dataplane.port.PortCounters;
import io.sluice.ffi.bpf.XdpProgram;
import io.sluice.ffi.bpf.XdpSelection;
import io.sluice.ffi.libc.Errno;
import io.sluice.ffi.xdp.Umem;
import io.sluice.ffi.xdp.XskRing;
import io.sluice.ffi.xdp.XskSocket;

/**
 * An AF_XDP port: one socket on one queue of one interface, over a UMEM that other ports of the
 * same worker may share. Frames cycle pool -> fill ring -> RX ring -> (worker) -> TX ring ->
 * completion ring -> pool, and never leave the UMEM.
 */
public final class XdpPort implements Port
{
    private static final int COMPLETION_BATCH = 256;

    private final String name;
    private final XskSocket socket;
    private final XdpProgram ownedProgram;
    private final XdpProgram program;
    private final FramePool pool;
    private final XskRing rx;
    private final XskRing tx;
    private final XskRing fill;
    private final XskRing completion;
    private final boolean needWakeup;
    private final int fillTarget;
    private final PortCounters counters = new PortCounters();
    private boolean txPending;
    private boolean closed;

    private XdpPort(
        final XskSocket socket, final XdpProgram program, final boolean ownsProgram, final FramePool pool,
        final boolean needWakeup)
    {
        this.name = socket.ifname() + "/" + socket.queue();
        this.socket = socket;
        this.program = program;
        this.ownedProgram = ownsProgram ? program : null;
        this.pool = pool;
        this.rx = socket.rx();
        this.tx = socket.tx();
        this.fill = socket.fill();
        this.completion = socket.completion();
        this.needWakeup = needWakeup;
        this.fillTarget = fill.size();
    }

    /** A frame pool over a UMEM: received packets start after the UMEM headroom and XDP's own. */
    public static FramePool poolFor(final Umem umem)
    {
        return new FramePool(umem.memory(), umem.frameSize(), umem.headroom() + Umem.XDP_PACKET_HEADROOM);
    }

    /**
     * Attaches a classifier for {@code selection} to the interface and opens a socket on
     * {@code queue}, in the calling thread's network namespace. The port owns the program.
     */
    public static XdpPort open(
        final String ifname, final int queue, final Umem umem, final FramePool pool, final XdpSelection selection,
        final XskSocket.Config config, final boolean driverMode)
    {
        final XdpProgram program = XdpProgram.attach(ifname, selection, driverMode, 64);
        try
        {
            return open(program, true, queue, umem, pool, config);
        }
        catch (final RuntimeException e)
        {
            program.close();
            throw e;
        }
    }

    /** Opens a socket on another queue of an interface whose program is already attached (not owned). */
    public static XdpPort open(
        final XdpProgram program, final int queue, final Umem umem, final FramePool pool, final XskSocket.Config config)
    {
        return open(program, false, queue, umem, pool, config);
    }

    private static XdpPort open(
        final XdpProgram program, final boolean owns, final int queue, final Umem umem, final FramePool pool,
        final XskSocket.Config config)
    {
        if (pool.memory().address() != umem.memory().address())
        {
            throw new IllegalArgumentException("frame pool is not over this UMEM");
        }
        if (umem.frameCount() < config.fillSize())
        {
            throw new IllegalArgumentException("UMEM of " + umem.frameCount() + " frames is too small for AF_XDP on " +
                program.ifname() + " queue " + queue + ": its fill ring alone holds " + config.fillSize() +
                " frames; allocate at least " + (config.fillSize() + config.txSize()) + " frames or use smaller rings");
        }
        final XskSocket socket = XskSocket.open(umem, program.ifname(), queue, config);
        try
        {
            final XdpPort port = new XdpPort(socket, program, owns, pool, config.needWakeup());
            port.refill();
            program.register(queue, socket.fd());
            return port;
        }
        catch (final RuntimeException e)
        {
            socket.close();
            throw e;
        }
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

    public XskSocket socket()
    {
        return socket;
    }

    public XdpProgram program()
    {
        return program;
    }

    @Override
    public int receive(final Burst burst)
    {
        housekeeping();
        final int n = rx.available(burst.space());
        if (n == 0)
        {
            if (needWakeup && fill.needsWakeup())
            {
                socket.kickRx();
            }
            return 0;
        }
        final int first = rx.consumerIndex();
        long bytes = 0;
        for (int i = 0; i < n; i++)
        {
            final int len = rx.length(first + i);
            burst.add(rx.address(first + i), len);
            bytes += len;
        }
        rx.release(n);
        counters.rxPackets += n;
        counters.rxBytes += bytes;
        return n;
    }

    @Override
    public int transmit(final Burst burst)
    {
        final int count = burst.count();
        if (count == 0)
        {
            return 0;
        }
        final int n = tx.reserve(count);
        final int first = tx.producerIndex() - n;
        long bytes = 0;
        for (int i = 0; i < n; i++)
        {
            final int len = burst.length(i);
            tx.putDescriptor(first + i, burst.address(i), len);
            bytes += len;
        }
        if (n > 0)
        {
            tx.submit();
            counters.txPackets += n;
            counters.txBytes += bytes;
            txPending = true;
        }
        for (int i = n; i < count; i++)
        {
            pool.release(burst.address(i));
        }
        counters.txDropped += count - n;
        burst.clear();
        kick();
        return n;
    }

    @Override
    public int poll()
    {
        return housekeeping();
    }

    private int housekeeping()
    {
        if (txPending)
        {
            kick();
        }
        final int reaped = reapCompletions();
        refill();
        return reaped;
    }

    private void kick()
    {
        if (needWakeup && !tx.needsWakeup())
        {
            txPending = false;
            return;
        }
        final int rc = socket.kickTx();
        if (rc >= 0)
        {
            txPending = false;
        }
        else if (rc == -Errno.EAGAIN || rc == -Errno.EBUSY || rc == -Errno.ENOBUFS)
        {
            txPending = true; // the kernel's per-call budget ran out, or the device queue is full: again later
        }
        else
        {
            txPending = false;
            counters.txErrors++;
        }
    }

    private int reapCompletions()
    {
        final int n = completion.available(COMPLETION_BATCH);
        if (n > 0)
        {
            final int first = completion.consumerIndex();
            for (int i = 0; i < n; i++)
            {
                pool.release(completion.address(first + i));
            }
            completion.release(n);
        }
        return n;
    }

    private void refill()
    {
        final int wanted = Math.min(fillTarget, pool.available());
        if (wanted == 0)
        {
            return;
        }
        final int n = fill.reserve(wanted);
        if (n == 0)
        {
            return;
        }
        final int first = fill.producerIndex() - n;
        for (int i = 0; i < n; i++)
        {
            fill.putAddress(first + i, pool.allocate());
        }
        fill.submit();
    }

    /**
     * Gives back to the pool every frame this socket lent the kernel, so a closed port does not
     * shrink a shared pool: transmits still in flight (briefly waited for), unread RX, completions,
     * and fill slots the kernel never took. Runs after the socket left the XSKMAP, so no new
     * frame arrives.
     */
    private void reclaimFrames()
    {
        final long deadline = System.nanoTime() + 100_000_000L;
        while (tx.outstanding() > 0 && System.nanoTime() < deadline)
        {
            socket.kickTx();
            reapCompletions();
        }
        while (reapCompletions() > 0)
        {
            // drain
        }
        for (int i = tx.kernelConsumerIndex(); i != tx.producerIndex(); i++)
        {
            pool.release(tx.address(i)); // never sent
        }
        final int unread = rx.available(rx.size());
        final int firstRx = rx.consumerIndex();
        for (int i = 0; i < unread; i++)
        {
            pool.release(rx.address(firstRx + i));
        }
        rx.release(unread);
        for (int i = fill.kernelConsumerIndex(); i != fill.producerIndex(); i++)
        {
            pool.release(fill.address(i));
        }
    }

    /** The kernel's view: rx_dropped, rx_invalid_descs, tx_invalid_descs, rx_ring_full, fill_empty, tx_empty. */
    public long[] kernelStatistics()
    {
        return socket.statistics();
    }

    @Override
    public PortCounters counters()
    {
        return counters;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                program.unregister(socket.queue());
                reclaimFrames();
            }
            finally
            {
                socket.close();
                if (ownedProgram != null)
                {
                    ownedProgram.close();
                }
            }
        }
    }
}
