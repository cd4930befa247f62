package io.sluice.dataplane.graph;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.port.Port;

import java.util.ArrayList;
import java.util.List;

/**
 * The forwarding graph of one worker: nodes in a fixed order, each with an input vector, and the
 * worker's ports with their transmit vectors. {@link #run()} processes node vectors in order
 * until all are empty (tunnels loop a packet back through ip4-lookup once or twice), then
 * {@link #flush()} hands the transmit vectors to the ports.
 * <p>
 * One graph, one thread.
 */
public final class Graph
{
    public static final int VECTOR_CAPACITY = 256;

    private final FramePool pool;
    private final Meta meta;
    private final List<Node> nodes = new ArrayList<>();
    private Node[] order = new Node[0];
    private final List<Port> ports = new ArrayList<>();
    private Burst[] txVectors = new Burst[0];
    private Port[] portArray = new Port[0];
    private volatile io.sluice.dataplane.trace.CaptureTap[] rxTaps = new io.sluice.dataplane.trace.CaptureTap[0];
    private volatile io.sluice.dataplane.trace.CaptureTap[] txTaps = new io.sluice.dataplane.trace.CaptureTap[0];
    private long vectorFullDrops;
    private long nowNanos = System.nanoTime();

    public Graph(final FramePool pool)
    {
        this.pool = pool;
        this.meta = new Meta(pool.frames());
    }

    void register(final Node node)
    {
        nodes.add(node);
        order = nodes.toArray(Node[]::new);
    }

    /** Adds a port; returns its index for {@link #transmit}. */
    public int addPort(final Port port)
    {
        ports.add(port);
        portArray = ports.toArray(Port[]::new);
        final Burst[] tx = new Burst[portArray.length];
        System.arraycopy(txVectors, 0, tx, 0, txVectors.length);
        tx[tx.length - 1] = new Burst(pool.memory(), VECTOR_CAPACITY);
        txVectors = tx;
        rxTaps = java.util.Arrays.copyOf(rxTaps, portArray.length);
        txTaps = java.util.Arrays.copyOf(txTaps, portArray.length);
        return portArray.length - 1;
    }

    public Port port(final int index)
    {
        return portArray[index];
    }

    public int portCount()
    {
        return portArray.length;
    }

    public FramePool pool()
    {
        return pool;
    }

    public Meta meta()
    {
        return meta;
    }

    public List<Node> nodes()
    {
        return List.copyOf(nodes);
    }

    public Node node(final String name)
    {
        for (final Node n : nodes)
        {
            if (n.name().equals(name))
            {
                return n;
            }
        }
        throw new IllegalArgumentException("no graph node '" + name + "'");
    }

    /** Time of the current burst, read once per burst. */
    public long nowNanos()
    {
        return nowNanos;
    }

    public void tick(final long now)
    {
        this.nowNanos = now;
    }

    /** Hands a packet to a node; if its vector is full (should not happen) the packet is dropped and counted. */
    public void enqueue(final Node next, final long address, final int length)
    {
        if (!next.input().offer(address, length))
        {
            vectorFullDrops++;
            pool.release(address);
        }
    }

    /** Queues a packet for a port; a full vector is flushed to the port first. */
    public void transmit(final int port, final long address, final int length)
    {
        final Burst tx = txVectors[port];
        if (tx.space() == 0)
        {
            send(port, tx);
        }
        tx.add(address, length);
    }

    /**
     * Runs every node with work, in order, until the graph is quiet; returns packets processed.
     * A bug that throws inside a node must not stop the worker: the vectors are abandoned and
     * counted as an internal error, and the worker carries on. Their frames are not freed, since
     * the throwing node may already have handed some on (freeing twice would corrupt the pool);
     * a bug costs frames, never correctness.
     */
    public int run()
    {
        try
        {
            return runNodes();
        }
        catch (final RuntimeException e)
        {
            internalErrors++;
            lastInternalError = e;
            for (final Node node : order)
            {
                node.input().clear();
            }
            return 0;
        }
    }

    private long internalErrors;
    private volatile RuntimeException lastInternalError;

    /** Bursts abandoned because a node threw: each is a bug, with the last exception kept for the log. */
    public long internalErrors()
    {
        return internalErrors;
    }

    public RuntimeException lastInternalError()
    {
        return lastInternalError;
    }

    private int runNodes()
    {
        int work = 0;
        boolean again = true;
        while (again)
        {
            again = false;
            for (final Node node : order)
            {
                final Burst in = node.input();
                final int n = in.count();
                if (n > 0)
                {
                    final io.sluice.dataplane.trace.CaptureTap tap = node.tap();
                    if (tap != null)
                    {
                        tap.capture(in);
                    }
                    node.packets += n;
                    node.vectors++;
                    node.process(in);
                    in.clear();
                    work += n;
                    again = true;
                }
            }
        }
        return work;
    }

    /** Sends every port's pending transmit vector. */
    public void flush()
    {
        for (int i = 0; i < txVectors.length; i++)
        {
            if (!txVectors[i].isEmpty())
            {
                send(i, txVectors[i]);
            }
        }
    }

    private void send(final int port, final Burst tx)
    {
        final io.sluice.dataplane.trace.CaptureTap tap = txTaps[port];
        if (tap != null)
        {
            tap.capture(tx);
        }
        portArray[port].transmit(tx);
    }

    /** Captures what a port receives, before any stage (called by the worker after a receive). */
    public void captureReceived(final int port, final Burst rx)
    {
        final io.sluice.dataplane.trace.CaptureTap tap = rxTaps[port];
        if (tap != null)
        {
            tap.capture(rx);
        }
    }

    /** Puts a capture tap on a port's receive or transmit side (control side); null removes it. */
    public synchronized void tapPort(final int port, final boolean transmit, final io.sluice.dataplane.trace.CaptureTap tap)
    {
        final io.sluice.dataplane.trace.CaptureTap[] taps = (transmit ? txTaps : rxTaps).clone();
        taps[port] = tap;
        if (transmit)
        {
            txTaps = taps;
        }
        else
        {
            rxTaps = taps;
        }
    }

    public long vectorFullDrops()
    {
        return vectorFullDrops;
    }
}
