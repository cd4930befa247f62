package io.sluice.dataplane.io;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.port.Port;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A test forwarder: one thread moves every burst received on one port to the other, both ways,
 * unchanged. The ports and their pool belong to that thread until {@link #close()} has joined it.
 * It parks briefly when idle, so that on a two-CPU machine the traffic generators still get a CPU.
 */
public final class CrossConnect implements AutoCloseable
{
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile Throwable failure;

    private CrossConnect(final String name, final Port left, final Port right, final MemorySegment memory)
    {
        this.thread = new Thread(() ->
        {
            try
            {
                final Burst burst = new Burst(memory, 64);
                while (running.get())
                {
                    int moved = 0;
                    if (left.receive(burst) > 0)
                    {
                        moved += right.transmit(burst);
                    }
                    if (right.receive(burst) > 0)
                    {
                        moved += left.transmit(burst);
                    }
                    if (moved == 0)
                    {
                        left.poll();
                        right.poll();
                        LockSupport.parkNanos(20_000);
                    }
                }
            }
            catch (final Throwable t)
            {
                failure = t;
            }
        }, name);
        thread.setDaemon(true);
    }

    public static CrossConnect start(final String name, final Port left, final Port right, final MemorySegment memory)
    {
        final CrossConnect wire = new CrossConnect(name, left, right, memory);
        wire.thread.start();
        return wire;
    }

    /** Stops and joins the thread; rethrows what it died of, if anything. */
    @Override
    public void close()
    {
        running.set(false);
        try
        {
            thread.join(5_000);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted stopping " + thread.getName(), e);
        }
        if (thread.isAlive())
        {
            throw new IllegalStateException(thread.getName() + " did not stop");
        }
        if (failure != null)
        {
            throw new AssertionError(thread.getName() + " failed", failure);
        }
    }
}
