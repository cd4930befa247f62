package io.sluice.dataplane.io.xdp;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.ffi.bpf.XdpSelection;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.NetnsLab;
import io.sluice.ffi.xdp.Umem;
import io.sluice.ffi.xdp.XskSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Host A -- veth -- [AF_XDP port 1 | Sluice wire | AF_XDP port 2] -- veth -- host C.
 * Both ports share one UMEM; every frame (ARP included) received on one is transmitted on the
 * other unchanged, so A and C talk as if on one segment.
 */
class XdpCrossConnectTest
{
    private NetnsLab lab;

    @BeforeEach
    void setUp()
    {
        lab = NetnsLab.createOrSkip(this);
    }

    @AfterEach
    void tearDown()
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    @ParameterizedTest(name = "driver mode {0}")
    @ValueSource(booleans = {false, true})
    void forwardsFramesBetweenTwoPortsOfOneUmemByteIdentical(final boolean driverMode) throws Exception
    {
        final String a = lab.namespace("a");
        final String dut = lab.namespace("dut");
        final String c = lab.namespace("c");
        final String[] left = lab.veth(a, "10.77.0.1/24", dut, null);
        final String[] right = lab.veth(dut, null, c, "10.77.0.3/24");

        final Umem umem = Umem.allocate(2048, 8192, 128, false);
        final FramePool pool = XdpPort.poolFor(umem);
        final XskSocket.Config config = XskSocket.Config.defaults().withCopyMode(XskSocket.CopyMode.COPY);
        final XdpPort p1;
        final XdpPort p2;
        try (NetNs ignored = NetNs.enter(dut))
        {
            p1 = XdpPort.open(left[1], 0, umem, pool, XdpSelection.everything(), config, driverMode);
            p2 = XdpPort.open(right[0], 0, umem, pool, XdpSelection.everything(), config, driverMode);
        }
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread wire = new Thread(() ->
        {
            final Burst burst = new Burst(pool.memory(), 64);
            while (running.get())
            {
                if (p1.receive(burst) > 0)
                {
                    p2.transmit(burst);
                }
                if (p2.receive(burst) > 0)
                {
                    p1.transmit(burst);
                }
            }
        }, "xdp-wire");
        wire.start();
        try
        {
            final String ping = lab.exec(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.77.0.3");
            assertTrue(ping.contains("3 received"), ping);

            final Random random = new Random(7);
            try (DatagramChannel receiver = openIn(c, new InetSocketAddress("10.77.0.3", 9000));
                DatagramChannel sender = openIn(a, new InetSocketAddress("10.77.0.1", 0)))
            {
                receiver.configureBlocking(true);
                receiver.socket().setSoTimeout(2000);
                for (int i = 0; i < 200; i++)
                {
                    final byte[] payload = new byte[1 + random.nextInt(1400)];
                    random.nextBytes(payload);
                    sender.send(ByteBuffer.wrap(payload), new InetSocketAddress("10.77.0.3", 9000));
                    final ByteBuffer in = ByteBuffer.allocate(2048);
                    final var from = receive(receiver, in);
                    assertNotNull(from, "datagram " + i + " did not arrive");
                    in.flip();
                    final byte[] got = new byte[in.remaining()];
                    in.get(got);
                    assertArrayEquals(payload, got, "datagram " + i);
                }
            }
        }
        finally
        {
            running.set(false);
            wire.join();
            p1.close();
            p2.close();
            umem.close();
        }
        assertTrue(p1.counters().rxPackets >= 200, p1.counters().toString());
        assertEquals(p1.counters().rxPackets, p2.counters().txPackets + p2.counters().txDropped);
        assertEquals(0, p2.counters().txDropped);
        assertEquals(0, p1.counters().txErrors + p2.counters().txErrors);
        final String link = NetnsLab.run("ip", "-n", dut, "link", "show", left[1]);
        assertTrue(!link.contains("xdp"), "XDP program still attached after close: " + link);
    }

    static DatagramChannel openIn(final String ns, final InetSocketAddress bind) throws Exception
    {
        try (NetNs ignored = NetNs.enter(ns))
        {
            final DatagramChannel ch = DatagramChannel.open();
            ch.bind(bind);
            return ch;
        }
    }

    static java.net.SocketAddress receive(final DatagramChannel ch, final ByteBuffer into) throws Exception
    {
        ch.configureBlocking(false);
        final long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline)
        {
            final var from = ch.receive(into);
            if (from != null)
            {
                return from;
            }
            Thread.onSpinWait();
        }
        return null;
    }

    static String hex(final byte[] b)
    {
        return Arrays.toString(b);
    }
}
