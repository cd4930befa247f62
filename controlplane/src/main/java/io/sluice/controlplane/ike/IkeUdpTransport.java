package io.sluice.controlplane.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The UDP sockets of an IKE engine: port 500 and the NAT-T port 4500 on one local address, and a
 * thread that hands every datagram to the engine as it arrived (the non-ESP marker and ESP-in-UDP
 * are the engine's to sort out) and ticks it every {@code tickMillis}. The sockets belong to the
 * network namespace of the thread that calls {@link #open}; the loop thread can run anywhere.
 */
public final class IkeUdpTransport implements AutoCloseable
{
    /** What the loop drives: an IKE engine. */
    public interface Endpoint
    {
        void receive(byte[] datagram, InetSocketAddress from, int localPort);

        void tick(long nowMillis);
    }

    private final DatagramChannel ike;
    private final DatagramChannel natT;
    private final int ikePort;
    private final int natTPort;
    private final Selector selector;
    private volatile boolean running;
    private Thread thread;

    private IkeUdpTransport(final DatagramChannel ike, final DatagramChannel natT, final int ikePort, final int natTPort,
        final Selector selector)
    {
        this.ike = ike;
        this.natT = natT;
        this.ikePort = ikePort;
        this.natTPort = natTPort;
        this.selector = selector;
    }

    /**
     * Binds both ports on {@code local} in the calling thread's network namespace.
     *
     * @throws IOException naming the port that could not be bound.
     */
    public static IkeUdpTransport open(final InetAddress local, final int ikePort, final int natTPort) throws IOException
    {
        return open(local, ikePort, natTPort, ikePort, natTPort);
    }

    private static IkeUdpTransport open(final InetAddress local, final int ikePort, final int natTPort,
        final int bindIke, final int bindNatT) throws IOException
    {
        final DatagramChannel ike = bind(local, bindIke);
        final DatagramChannel natT;
        try
        {
            natT = bind(local, bindNatT);
        }
        catch (final IOException e)
        {
            ike.close();
            throw e;
        }
        final Selector selector = Selector.open();
        ike.register(selector, SelectionKey.OP_READ, ikePort);
        natT.register(selector, SelectionKey.OP_READ, natTPort);
        return new IkeUdpTransport(ike, natT, ikePort, natTPort, selector);
    }

    /**
     * Two sockets on free ports of {@code local}, which the engine still sees as {@code ikePort} and
     * {@code natTPort} (what arrives on the first is handed over as arriving on {@code ikePort}): for
     * tests that need the kernel's sockets without the privileged ports. {@link #localAddress} says
     * where each really is.
     */
    public static IkeUdpTransport openOnFreePorts(final InetAddress local, final int ikePort, final int natTPort)
        throws IOException
    {
        final IkeUdpTransport t = open(local, ikePort, natTPort, 0, 0);
        t.ike.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
        t.natT.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
        return t;
    }

    /** Where the socket the engine calls {@code port} is bound. */
    public InetSocketAddress localAddress(final int port) throws IOException
    {
        return (InetSocketAddress)(port == natTPort ? natT : ike).getLocalAddress();
    }

    private static DatagramChannel bind(final InetAddress local, final int port) throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open();
        try
        {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(new InetSocketAddress(local, port));
            channel.configureBlocking(false);
            return channel;
        }
        catch (final IOException e)
        {
            channel.close();
            throw new IOException("cannot bind UDP " + local.getHostAddress() + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** Sends from the socket of {@code localPort}; safe from any thread. */
    public void send(final byte[] datagram, final InetSocketAddress to, final int localPort)
    {
        try
        {
            (localPort == natTPort ? natT : ike).send(ByteBuffer.wrap(datagram), to);
        }
        catch (final IOException e)
        {
            // UDP: a failed send is a lost datagram; retransmission covers it
        }
    }

    /** Starts the receive-and-tick loop. */
    public synchronized void start(final Endpoint endpoint, final long tickMillis, final String threadName)
    {
        running = true;
        thread = new Thread(() -> loop(endpoint, tickMillis), threadName);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(final Endpoint endpoint, final long tickMillis)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(65536);
        long nextTick = 0;
        while (running)
        {
            try
            {
                selector.select(Math.max(1, tickMillis));
                for (final SelectionKey key : selector.selectedKeys())
                {
                    final DatagramChannel channel = (DatagramChannel)key.channel();
                    final int port = (Integer)key.attachment();
                    InetSocketAddress from;
                    while ((from = (InetSocketAddress)channel.receive(buffer.clear())) != null)
                    {
                        buffer.flip();
                        endpoint.receive(Arrays.copyOf(buffer.array(), buffer.remaining()), from, port);
                    }
                }
                selector.selectedKeys().clear();
                final long now = TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
                if (now >= nextTick)
                {
                    endpoint.tick(now);
                    nextTick = now + tickMillis;
                }
            }
            catch (final IOException | RuntimeException e)
            {
                if (running)
                {
                    System.err.println("IKE transport: " + e);
                }
            }
            catch (final Error e)
            {
                System.err.println("IKE transport thread stopped: " + e);
                throw e;
            }
        }
    }

    public int ikePort()
    {
        return ikePort;
    }

    public int natTPort()
    {
        return natTPort;
    }

    @Override
    public void close()
    {
        running = false;
        selector.wakeup();
        final Thread t;
        synchronized (this)
        {
            t = thread;
        }
        if (t != null)
        {
            try
            {
                t.join(2000);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
        try
        {
            selector.close();
            ike.close();
            natT.close();
        }
        catch (final IOException ignored)
        {
            // closing: nothing left to do
        }
    }
}
