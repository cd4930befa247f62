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
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The XDP classifier sends only the selected traffic to the socket and leaves the rest, ARP and
 * ping included, to the kernel.
 */
class XdpClassifierTest
{
    private NetnsLab lab;
    private String a;
    private String dut;
    private String[] link;
    private Umem umem;
    private FramePool pool;
    private XdpPort port;

    @BeforeEach
    void setUp()
    {
        lab = NetnsLab.createOrSkip(this);
        a = lab.namespace("a");
        dut = lab.namespace("dut");
        link = lab.veth(a, "10.78.0.1/24", dut, "10.78.0.2/24");
        umem = Umem.allocate(2048, 4096, 128, false);
        pool = XdpPort.poolFor(umem);
        try (NetNs ignored = NetNs.enter(dut))
        {
            port = XdpPort.open(link[1], 0, umem, pool, XdpSelection.of(new int[]{47}, new int[]{7777}),
                XskSocket.Config.defaults().withCopyMode(XskSocket.CopyMode.COPY), false);
        }
    }

    @AfterEach
    void tearDown()
    {
        if (port != null)
        {
            port.close();
        }
        if (umem != null)
        {
            umem.close();
        }
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void kernelStillAnswersPingAndArpWhileSelectedUdpGoesToTheSocket() throws Exception
    {
        final String ping = lab.exec(a, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.78.0.2");
        assertTrue(ping.contains("2 received"), ping);

        try (DatagramChannel kernel7777 = XdpCrossConnectTest.openIn(dut, new InetSocketAddress("10.78.0.2", 7777));
            DatagramChannel kernel7778 = XdpCrossConnectTest.openIn(dut, new InetSocketAddress("10.78.0.2", 7778));
            DatagramChannel sender = XdpCrossConnectTest.openIn(a, new InetSocketAddress("10.78.0.1", 0)))
        {
            sender.send(ByteBuffer.wrap("to-the-socket".getBytes(StandardCharsets.US_ASCII)),
                new InetSocketAddress("10.78.0.2", 7777));
            sender.send(ByteBuffer.wrap("to-the-kernel".getBytes(StandardCharsets.US_ASCII)),
                new InetSocketAddress("10.78.0.2", 7778));

            final List<byte[]> frames = drain(1, 2000);
            assertEquals(1, frames.size(), "frames at the socket");
            assertTrue(contains(frames.get(0), "to-the-socket"), "the UDP 7777 frame reached the socket");

            final ByteBuffer in = ByteBuffer.allocate(2048);
            assertTrue(XdpCrossConnectTest.receive(kernel7778, in) != null, "UDP 7778 reached the kernel socket");
            in.flip();
            assertEquals("to-the-kernel", StandardCharsets.US_ASCII.decode(in).toString());
            in.clear();
            kernel7777.configureBlocking(false);
            assertNull(kernel7777.receive(in), "UDP 7777 must not reach the kernel");
        }
    }

    @Test
    void selectedIpProtocolAndUdpFragmentsGoToTheSocket() throws Exception
    {
        try (DatagramChannel sender = XdpCrossConnectTest.openIn(a, new InetSocketAddress("10.78.0.1", 0)))
        {
            // 3000 bytes over a 1500 MTU: three IPv4 fragments; only the first carries the UDP header
            sender.send(ByteBuffer.wrap(new byte[3000]), new InetSocketAddress("10.78.0.2", 7777));
            final List<byte[]> frames = drain(3, 2000);
            assertEquals(3, frames.size(), "fragments at the socket");
        }
        final Path python = Path.of("/usr/bin/python3");
        final NetnsLab.Result scapy = NetnsLab.execute(python.toString(), "-c", "import scapy");
        if (!Files.isExecutable(python) || scapy.status() != 0)
        {
            System.out.println("SKIPPED GRE part: /usr/bin/python3 with scapy not installed (apt-get install python3-scapy)");
            return;
        }
        lab.exec(a, python.toString(), "-c",
            "from scapy.all import IP, GRE, send\n" +
            "send(IP(src='10.78.0.1', dst='10.78.0.2')/GRE()/IP(src='1.1.1.1', dst='2.2.2.2')/b'gre-inner', verbose=0)");
        final List<byte[]> gre = drain(1, 3000);
        assertEquals(1, gre.size(), "GRE frame at the socket");
        assertEquals(47, gre.get(0)[14 + 9] & 0xff, "IPv4 protocol of the redirected frame");
        assertTrue(contains(gre.get(0), "gre-inner"));
    }

    private List<byte[]> drain(final int expected, final long timeoutMs)
    {
        final List<byte[]> frames = new ArrayList<>();
        final Burst burst = new Burst(pool.memory(), 64);
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (System.nanoTime() < deadline && frames.size() < expected)
        {
            port.receive(burst);
            final MemorySegment mem = burst.memory();
            for (int i = 0; i < burst.count(); i++)
            {
                frames.add(mem.asSlice(burst.address(i), burst.length(i)).toArray(JAVA_BYTE));
                pool.release(burst.address(i));
            }
            burst.clear();
        }
        // anything more that arrives shortly after is counted too, so extra frames fail the test
        final long grace = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < grace)
        {
            port.receive(burst);
            for (int i = 0; i < burst.count(); i++)
            {
                frames.add(burst.memory().asSlice(burst.address(i), burst.length(i)).toArray(JAVA_BYTE));
                pool.release(burst.address(i));
            }
            burst.clear();
        }
        return frames;
    }

    private static boolean contains(final byte[] frame, final String text)
    {
        return new String(frame, StandardCharsets.ISO_8859_1).contains(text);
    }
}
