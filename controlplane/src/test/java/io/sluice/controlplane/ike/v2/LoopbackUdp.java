package io.sluice.controlplane.ike.v2;

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
 * One IKEv2 engine on two real UDP sockets on free ports of a local address, for tests that need
 * the kernel's sockets without the privileged ports. The engine speaks of ports 500 and 4500: a
 * datagram that arrives on the first socket is handed over as arriving on 500, on the second as
 * on 4500; what the engine sends from 500 or 4500 leaves from the matching socket, and a datagram
 * it sends to port 500 or 4500 goes to the ports {@link #peer} names (another engine's sockets).
 * Every other destination is used as it is. A thread receives and ticks, like
 * {@link io.sluice.controlplane.ike.IkeUdpTransport}; anything that escapes the engine is kept in
 * {@link #failure()}.
 */
final class LoopbackUdp implements AutoCloseable
{
    private final DatagramChannel ike;
    private final DatagramChannel natT;
    private final Selector selector;
    private volatile InetSocketAddress peerIke;
    private volatile InetSocketAddress peerNatT;
    private volatile boolean running;
    private volatile Throwable failure;
    private Thread thread;

    private LoopbackUdp(final DatagramChannel ike, final DatagramChannel natT, final Selector selector)
    {
        this.ike = ike;
        this.natT = natT;
        this.selector = selector;
    }

    /** Both sockets on free ports of {@code local}, with large receive buffers. */
    static LoopbackUdp open(final InetAddress local) throws IOException
    {
        final DatagramChannel ike = bind(local);
        final DatagramChannel natT = bind(local);
        final Selector selector = Selector.open();
        ike.register(selector, SelectionKey.OP_READ, Ikev2Engine.IKE_PORT);
        natT.register(selector, SelectionKey.OP_READ, Ikev2Engine.NAT_T_PORT);
        return new LoopbackUdp(ike, natT, selector);
    }

    private static DatagramChannel bind(final InetAddress local) throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open();
        channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
        channel.bind(new InetSocketAddress(local, 0));
        channel.configureBlocking(false);
        return channel;
    }

    /** Where this engine reaches "port 500" and "port 4500" of its peer. */
    void peer(final LoopbackUdp other) throws IOException
    {
        peerIke = other.ikeAddress();
        peerNatT = (InetSocketAddress)other.natT.getLocalAddress();
    }

    /** The socket the engine calls port 500. */
    InetSocketAddress ikeAddress() throws IOException
    {
        return (InetSocketAddress)ike.getLocalAddress();
    }

    /** The engine's {@link Ikev2Engine.Output}. */
    void send(final byte[] datagram, final InetSocketAddress to, final int localPort)
    {
        InetSocketAddress target = to;
        if (to.getPort() == Ikev2Engine.IKE_PORT && peerIke != null)
        {
            target = new InetSocketAddress(to.getAddress(), peerIke.getPort());
        }
        else if (to.getPort() == Ikev2Engine.NAT_T_PORT && peerNatT != null)
        {
            target = new InetSocketAddress(to.getAddress(), peerNatT.getPort());
        }
        try
        {
            (localPort == Ikev2Engine.NAT_T_PORT ? natT : ike).send(ByteBuffer.wrap(datagram), target);
        }
        catch (final IOException e)
        {
            // a lost datagram: the engine retransmits
        }
    }

    void start(final Ikev2Engine engine, final long tickMillis, final String name)
    {
        running = true;
        thread = new Thread(() -> loop(engine, tickMillis), name);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(final Ikev2Engine engine, final long tickMillis)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(65536);
        long nextTick = 0;
        try
        {
            while (running)
            {
                selector.select(tickMillis);
                for (final SelectionKey key : selector.selectedKeys())
                {
                    final DatagramChannel channel = (DatagramChannel)key.channel();
                    final int port = (Integer)key.attachment();
                    InetSocketAddress from;
                    while ((from = (InetSocketAddress)channel.receive(buffer.clear())) != null)
                    {
                        buffer.flip();
                        engine.receive(Arrays.copyOf(buffer.array(), buffer.remaining()), from, port);
                    }
                }
                selector.selectedKeys().clear();
                final long now = now();
                if (now >= nextTick)
                {
                    engine.tick(now);
                    nextTick = now + tickMillis;
                }
            }
        }
        catch (final Throwable e)
        {
            if (running)
            {
                failure = e;
            }
        }
    }

    Throwable failure()
    {
        return failure;
    }

    static long now()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    @Override
    public void close() throws IOException
    {
        running = false;
        selector.wakeup();
        if (thread != null)
        {
            try
            {
                thread.join(2000);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
        selector.close();
        ike.close();
        natT.close();
    }
}
