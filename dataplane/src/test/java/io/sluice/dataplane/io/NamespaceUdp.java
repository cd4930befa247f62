package io.sluice.dataplane.io;

import io.sluice.ffi.libc.NetNs;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * UDP sockets in test namespaces, and the byte-identical datagram check the port tests share.
 * A socket belongs to the namespace of the thread that creates it, so each is opened inside
 * {@link NetNs#enter} and then used from anywhere.
 */
public final class NamespaceUdp
{
    private NamespaceUdp()
    {
    }

    public static DatagramChannel openIn(final String ns, final InetSocketAddress bind) throws Exception
    {
        try (NetNs ignored = NetNs.enter(ns))
        {
            final DatagramChannel ch = DatagramChannel.open();
            ch.bind(bind);
            return ch;
        }
    }

    /** Receives one datagram, waiting up to two seconds; null when none came. */
    public static SocketAddress receive(final DatagramChannel ch, final ByteBuffer into) throws Exception
    {
        ch.configureBlocking(false);
        final long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline)
        {
            final SocketAddress from = ch.receive(into);
            if (from != null)
            {
                return from;
            }
            Thread.onSpinWait();
        }
        return null;
    }

    /**
     * Sends {@code count} datagrams of random content and random sizes 1..1400 from {@code from}
     * (in namespace {@code fromNs}) to {@code to} (a socket bound in {@code toNs}), one at a time,
     * and asserts each arrives byte-identical.
     */
    public static void sendAndExpectByteIdentical(
        final String fromNs, final InetSocketAddress from, final String toNs, final InetSocketAddress to,
        final int count, final long seed) throws Exception
    {
        final Random random = new Random(seed);
        try (DatagramChannel receiver = openIn(toNs, to);
            DatagramChannel sender = openIn(fromNs, from))
        {
            final ByteBuffer in = ByteBuffer.allocate(2048);
            for (int i = 0; i < count; i++)
            {
                final byte[] payload = new byte[1 + random.nextInt(1400)];
                random.nextBytes(payload);
                sender.send(ByteBuffer.wrap(payload), to);
                in.clear();
                assertNotNull(receive(receiver, in), "datagram " + i + " (" + payload.length + " B) did not arrive");
                in.flip();
                final byte[] got = new byte[in.remaining()];
                in.get(got);
                assertArrayEquals(payload, got, "datagram " + i);
            }
        }
    }
}
