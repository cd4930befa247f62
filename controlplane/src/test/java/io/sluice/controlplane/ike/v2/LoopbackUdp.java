package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.ike.IkeUdpTransport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One IKEv2 engine on two real UDP sockets on free ports of a local address
 * ({@link IkeUdpTransport#openOnFreePorts}), for tests that need the kernel's sockets without the
 * privileged ports. The engine speaks of ports 500 and 4500: a datagram it sends to port 500 or
 * 4500 goes to the ports {@link #peer} names (another engine's sockets); every other destination is
 * used as it is. Anything that escapes the engine is kept in {@link #failure()}.
 */
final class LoopbackUdp implements AutoCloseable
{
    private final IkeUdpTransport transport;
    private volatile InetSocketAddress peerIke;
    private volatile InetSocketAddress peerNatT;
    private volatile Throwable failure;

    private LoopbackUdp(final IkeUdpTransport transport)
    {
        this.transport = transport;
    }

    /** Both sockets on free ports of {@code local}, with large receive buffers. */
    static LoopbackUdp open(final InetAddress local) throws IOException
    {
        return new LoopbackUdp(IkeUdpTransport.openOnFreePorts(local, Ikev2Engine.IKE_PORT, Ikev2Engine.NAT_T_PORT));
    }

    /** Where this engine reaches "port 500" and "port 4500" of its peer. */
    void peer(final LoopbackUdp other) throws IOException
    {
        peerIke = other.ikeAddress();
        peerNatT = other.transport.localAddress(Ikev2Engine.NAT_T_PORT);
    }

    /** The socket the engine calls port 500. */
    InetSocketAddress ikeAddress() throws IOException
    {
        return transport.localAddress(Ikev2Engine.IKE_PORT);
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
        transport.send(datagram, target, localPort);
    }

    void start(final Ikev2Engine engine, final long tickMillis, final String name)
    {
        transport.start(new IkeUdpTransport.Endpoint()
        {
            @Override
            public void receive(final byte[] datagram, final InetSocketAddress from, final int localPort)
            {
                try
                {
                    engine.receive(datagram, from, localPort);
                }
                catch (final RuntimeException | Error e)
                {
                    failure = e;
                    throw e;
                }
            }

            @Override
            public void tick(final long nowMillis)
            {
                try
                {
                    engine.tick(nowMillis);
                }
                catch (final RuntimeException | Error e)
                {
                    failure = e;
                    throw e;
                }
            }
        }, tickMillis, name);
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
    public void close()
    {
        transport.close();
    }
}
