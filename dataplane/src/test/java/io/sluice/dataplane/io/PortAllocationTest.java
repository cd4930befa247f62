package io.sluice.dataplane.io;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.io.packet.PacketPort;
import io.sluice.dataplane.io.tun.TunPort;
import io.sluice.dataplane.port.Port;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.NetnsLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TUN and AF_PACKET ports allocate nothing per packet: once the JIT has compiled the loop
 * (the interpreter and C1 do allocate, escape analysis is C2's), a round of tens of thousands of
 * receive and transmit calls with real packets allocates no more than a few bytes of noise.
 */
class PortAllocationTest
{
    private static final int CALLS_PER_ROUND = 50_000;
    private static final int MAX_ROUNDS = 30;
    private static final long NOISE_BYTES = 1024;

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

    private static long allocatedBytes()
    {
        return ((com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void tunAndPacketPortsAllocateNothingPerPacketOnceCompiled()
    {
        final String p = lab.namespace("p");
        final String q = lab.namespace("q");
        final String[] veth = lab.veth(p, null, q, null);
        final String tunName = "t" + lab.id() + "z";
        final FramePool pool = new FramePool(Arena.ofShared().allocate(256 * 2048, 4096), 2048, 256);
        final TunPort tun;
        final PacketPort sender;
        final PacketPort receiver;
        try (NetNs ignored = NetNs.enter(p))
        {
            tun = TunPort.open(tunName, pool);
            sender = PacketPort.open(veth[0], pool);
        }
        try (NetNs ignored = NetNs.enter(q))
        {
            receiver = PacketPort.open(veth[1], pool);
        }
        try
        {
            NetnsLab.run("ip", "-n", p, "addr", "add", "10.2.0.1/24", "dev", tunName);
            NetnsLab.run("ip", "-n", p, "link", "set", tunName, "up");
            // UDP 10.2.0.2 -> 10.2.0.1:9, a closed port: the kernel answers (rate-limited) with ICMP into the TUN
            final byte[] udp = udp4ToDiscard();
            final byte[] frame = new byte[60];
            ByteBuffer.wrap(frame).put(new byte[]{-1, -1, -1, -1, -1, -1, 2, 0, 0, 0, 0, 1}).putShort((short)0x88b5);
            final Burst burst = new Burst(pool.memory(), 64);

            final List<Long> rounds = new ArrayList<>();
            boolean quiet = false;
            for (int round = 0; round < MAX_ROUNDS && !quiet; round++)
            {
                final long before = allocatedBytes();
                for (int i = 0; i < CALLS_PER_ROUND; i++)
                {
                    send(tun, pool, burst, udp);
                    drain(tun, pool, burst);
                    send(sender, pool, burst, frame);
                    drain(receiver, pool, burst);
                    sender.poll();
                }
                final long allocated = allocatedBytes() - before;
                rounds.add(allocated);
                quiet = allocated <= NOISE_BYTES;
            }
            System.out.println("bytes allocated per round of " + CALLS_PER_ROUND + " x 4 port calls: " + rounds);
            assertTrue(quiet, "never reached a round without allocation: " + rounds);
            assertTrue(tun.counters().txPackets > 0 && tun.counters().rxPackets > 0, tun.toString());
            assertTrue(receiver.counters().rxPackets > 0, receiver.toString());
        }
        finally
        {
            tun.close();
            sender.close();
            receiver.close();
        }
    }

    private static void send(final Port port, final FramePool pool, final Burst burst, final byte[] bytes)
    {
        final long at = pool.allocate() + pool.dataOffset();
        MemorySegment.copy(bytes, 0, pool.memory(), JAVA_BYTE, at, bytes.length);
        burst.add(at, bytes.length);
        port.transmit(burst);
    }

    private static void drain(final Port port, final FramePool pool, final Burst burst)
    {
        port.receive(burst);
        for (int i = 0; i < burst.count(); i++)
        {
            pool.release(burst.address(i));
        }
        burst.clear();
    }

    private static byte[] udp4ToDiscard()
    {
        final ByteBuffer b = ByteBuffer.allocate(36);
        b.put((byte)0x45).put((byte)0).putShort((short)36).putShort((short)1).putShort((short)0x4000)
            .put((byte)64).put((byte)17).putShort((short)0).put(new byte[]{10, 2, 0, 2}).put(new byte[]{10, 2, 0, 1});
        int sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += Short.toUnsignedInt(b.getShort(i));
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        b.putShort(10, (short)~sum);
        b.putShort((short)40000).putShort((short)9).putShort((short)16).putShort((short)0).putLong(0x5175696365L);
        return b.array();
    }
}
