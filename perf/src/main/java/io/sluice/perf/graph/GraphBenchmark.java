package io.sluice.perf.graph;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.l2tp.L2tpSession;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.worker.Worker;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * ns per packet through the forwarding graph, one burst of 64 per operation, for each path a
 * packet can take, beside the baseline measured in the same run: the same port receiving and
 * transmitting the same burst with no graph ({@code echo}). Reading: (scenario - echo) is what
 * the graph's nodes cost per packet on that path.
 * <ul>
 *   <li>{@code route}: ethernet-input, ip4-input, ip4-lookup, ip4-rewrite (plain IPv4 forwarding)</li>
 *   <li>{@code gre-encap}: ... ip4-lookup, gre-output, ip4-lookup, ip4-rewrite</li>
 *   <li>{@code gre-decap}: ... ip4-local, gre-input, ip4-input, ip4-lookup, ip4-rewrite</li>
 *   <li>{@code l2tpv3-encap}: ethernet-input (xconnect), l2tpv3-output, ip4-lookup, ip4-rewrite</li>
 *   <li>{@code l2tpv2-encap}: ... ip4-lookup, l2tpv2-output, ip4-lookup, ip4-rewrite</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class GraphBenchmark
{
    private static final long OUR_MAC = 0x0200_0000_0001L;
    private static final long PEER_MAC = 0x0200_0000_0002L;
    private static final int OUR_IP = Bytes.parseIp4("192.0.2.1");
    private static final int PEER_IP = Bytes.parseIp4("192.0.2.2");

    @Param({"echo", "route", "gre-encap", "gre-decap", "l2tpv3-encap", "l2tpv2-encap", "esp-encap", "gre-esp-encap"})
    public String scenario;

    @Param({"64", "1400"})
    public int size;

    private Arena arena;
    private Worker.Job job;

    @Setup(Level.Trial)
    public void setUp()
    {
        arena = Arena.ofShared();
        final FramePool pool = new FramePool(arena.allocate(2048L * 4096, 4096), 2048, 384);
        if (scenario.equals("echo"))
        {
            final ReplayPort port = new ReplayPort("p0", pool, plain(size));
            final Burst burst = new Burst(pool.memory(), 64);
            job = () ->
            {
                final int n = port.receive(burst);
                port.transmit(burst);
                return n;
            };
            return;
        }
        final Dataplane dp = new Dataplane(pool, new Dataplane.Context(64, 256, 1 << 16, 16, 100));
        if (scenario.equals("l2tpv3-encap"))
        {
            final Interface lan = dp.addEthernet("lan", new ReplayPort("lan", pool, plain(size)), OUR_MAC);
            final Interface wan = dp.addEthernet("wan", new ReplayPort("wan", pool, null), OUR_MAC + 1);
            dp.setAddress(wan, OUR_IP, 24);
            dp.addNeighbour(wan, PEER_IP, PEER_MAC);
            dp.addL2tpv3Xconnect(lan, L2tpSession.Encapsulation.IP, OUR_IP, PEER_IP, 1, 2, 7L, 7L, 4);
            lan.mtu(1500);
            wan.mtu(9000);
            job = dp.job();
            verify(dp);
            return;
        }
        final byte[] template = scenario.equals("gre-decap") ? greEncapsulated(size) : plain(size);
        final Interface ifc = dp.addEthernet("p0", new ReplayPort("p0", pool, template), OUR_MAC);
        ifc.mtu(9000);
        dp.setAddress(ifc, OUR_IP, 24);
        dp.addNeighbour(ifc, PEER_IP, PEER_MAC);
        switch (scenario)
        {
            case "route" -> dp.addRoute(0, 0, ifc, PEER_IP);
            case "gre-encap" ->
            {
                final Interface t = dp.addGreTunnel("Tunnel0", OUR_IP, PEER_IP, 1, false);
                t.mtu(9000);
                dp.addRoute(0, 0, t, 0);
            }
            case "gre-decap" ->
            {
                dp.addGreTunnel("Tunnel0", OUR_IP, PEER_IP, 1, false);
                dp.addRoute(0, 0, ifc, PEER_IP);
            }
            case "esp-encap" ->
            {
                // AES-GCM-128 tunnel mode through a route-based IPsec tunnel: the ESP graph path, cipher included
                final Interface t = dp.addIpsecTunnel("Tunnel9", OUR_IP, PEER_IP);
                t.mtu(9000);
                dp.addRoute(0, 0, t, 0);
                dp.sad().switchOutbound(io.sluice.dataplane.esp.SecurityAssociation.builder().spi(0x1001).outbound()
                    .tunnel(dp.ipsecBinding(t, PEER_IP)).endpoints(OUR_IP, PEER_IP).esn(true)
                    .encryption(io.sluice.dataplane.esp.EspEncryption.AES_GCM_128, new byte[20]).build());
            }
            case "gre-esp-encap" ->
            {
                // GRE over ESP transport, AES-GCM-128: the DMVPN encapsulation
                final Interface t = dp.addGreTunnel("Tunnel0", OUR_IP, PEER_IP, 1, false);
                t.mtu(9000);
                dp.addRoute(0, 0, t, 0);
                dp.protectGreTunnel(t);
                dp.sad().switchOutbound(io.sluice.dataplane.esp.SecurityAssociation.builder().spi(0x1002).outbound()
                    .mode(io.sluice.dataplane.esp.SecurityAssociation.Mode.TRANSPORT).tunnel(dp.ipsecBinding(t, PEER_IP))
                    .endpoints(OUR_IP, PEER_IP).esn(true)
                    .encryption(io.sluice.dataplane.esp.EspEncryption.AES_GCM_128, new byte[20]).build());
            }
            case "l2tpv2-encap" ->
            {
                final Interface s = dp.addL2tpv2Session("Virtual-Access1", OUR_IP, PEER_IP, 1, 1, 2, 2, false, false);
                s.mtu(9000);
                dp.addRoute(0, 0, s, 0);
            }
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        }
        job = dp.job();
        verify(dp);
    }

    /** The scenario forwards every packet: a benchmark of the drop path would be a lie. */
    private void verify(final Dataplane dp)
    {
        for (int i = 0; i < 10; i++)
        {
            job.doWork();
        }
        long sent = 0;
        for (int p = 0; p < dp.graph().portCount(); p++)
        {
            sent += dp.graph().port(p).counters().txPackets;
        }
        if (sent != 640 || !dp.dropSummary().isEmpty())
        {
            throw new IllegalStateException("scenario " + scenario + " forwarded " + sent + " of 640 packets; drops:\n" +
                dp.dropSummary());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(64)
    public int burst()
    {
        return job.doWork();
    }

    /** An Ethernet/IPv4/UDP frame of {@code size} bytes from the peer to 198.51.100.1, checksums right. */
    static byte[] plain(final int size)
    {
        final int ipLength = size - 14;
        final ByteBuffer b = ByteBuffer.allocate(size);
        b.putShort((short)(OUR_MAC >>> 32)).putInt((int)OUR_MAC).putShort((short)(PEER_MAC >>> 32)).putInt((int)PEER_MAC);
        b.putShort((short)0x0800);
        putIpv4(b, ipLength, 17, PEER_IP, Bytes.parseIp4("198.51.100.1"));
        b.putShort((short)40000).putShort((short)9).putShort((short)(ipLength - 20)).putShort((short)0);
        return b.array();
    }

    /** The same plain packet, arriving GRE-encapsulated from the peer (key 1). */
    static byte[] greEncapsulated(final int size)
    {
        final byte[] inner = plain(size);
        final int innerIp = inner.length - 14;
        final int outerIp = 20 + 8 + innerIp;
        final ByteBuffer b = ByteBuffer.allocate(14 + outerIp);
        b.putShort((short)(OUR_MAC >>> 32)).putInt((int)OUR_MAC).putShort((short)(PEER_MAC >>> 32)).putInt((int)PEER_MAC);
        b.putShort((short)0x0800);
        putIpv4(b, outerIp, 47, PEER_IP, OUR_IP);
        b.putShort((short)0x2000).putShort((short)0x0800).putInt(1);
        b.put(inner, 14, innerIp);
        return b.array();
    }

    private static void putIpv4(final ByteBuffer b, final int totalLength, final int protocol, final int src,
        final int dst)
    {
        final int start = b.position();
        b.put((byte)0x45).put((byte)0).putShort((short)totalLength).putShort((short)1).putShort((short)0)
            .put((byte)64).put((byte)protocol).putShort((short)0).putInt(src).putInt(dst);
        long sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += b.getShort(start + i) & 0xffff;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        b.putShort(start + 10, (short)~sum);
    }
}
