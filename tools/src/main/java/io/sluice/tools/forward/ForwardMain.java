package io.sluice.tools.forward;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.ffi.libc.NetIf;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.io.xdp.XdpPort;
import io.sluice.dataplane.worker.Worker;
import io.sluice.ffi.bpf.XdpSelection;
import io.sluice.ffi.xdp.Umem;
import io.sluice.ffi.xdp.XskSocket;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * {@code sluice forward}: an AF_XDP port that sends every frame it receives back out of the same
 * interface, optionally with the Ethernet addresses swapped, on one pinned worker. The I/O
 * benchmark runs it against the C reference forwarder with the same arguments and output.
 * <p>
 * Prints {@code READY} once the socket is bound, and at the end one JSON line:
 * {@code {"rx":N,"tx":N,"txDropped":N,"cpu":N}}; the ESP modes add their SA counters
 * ({@code espEncrypted}, or {@code espDecrypted}, {@code espReplayDrops}, {@code espIcvFailures},
 * {@code espSaRenewals}, ...) and the graph's drop summary.
 */
public final class ForwardMain
{
    private ForwardMain()
    {
    }

    /** The per-burst work: echo, with the MACs swapped when asked. */
    static final class Echo implements Worker.Job
    {
        private final XdpPort port;
        private final Burst burst;
        private final boolean macSwap;

        Echo(final XdpPort port, final FramePool pool, final int batch, final boolean macSwap)
        {
            this.port = port;
            this.burst = new Burst(pool.memory(), batch);
            this.macSwap = macSwap;
        }

        @Override
        public int doWork()
        {
            final int n = port.receive(burst);
            if (n == 0)
            {
                return port.poll();
            }
            if (macSwap)
            {
                final MemorySegment mem = burst.memory();
                for (int i = 0; i < n; i++)
                {
                    swapMacs(mem, burst.address(i));
                }
            }
            port.transmit(burst);
            return n;
        }
    }

    /** Swaps destination and source Ethernet addresses in place. */
    static void swapMacs(final MemorySegment mem, final long at)
    {
        final int d0 = mem.get(JAVA_INT_UNALIGNED, at);
        final short d1 = mem.get(JAVA_SHORT_UNALIGNED, at + 4);
        final int s0 = mem.get(JAVA_INT_UNALIGNED, at + 6);
        final short s1 = mem.get(JAVA_SHORT_UNALIGNED, at + 10);
        mem.set(JAVA_INT_UNALIGNED, at, s0);
        mem.set(JAVA_SHORT_UNALIGNED, at + 4, s1);
        mem.set(JAVA_INT_UNALIGNED, at + 6, d0);
        mem.set(JAVA_SHORT_UNALIGNED, at + 10, d1);
    }

    public static int run(final String[] args) throws InterruptedException
    {
        String iface = null;
        int queue = 0;
        int cpu = -1;
        int seconds = 0;
        int batch = 64;
        boolean macSwap = false;
        String job = "echo";
        String localIp = "192.0.2.1";
        String peerIp = "192.0.2.2";
        String peerMac = null;
        String wanIface = null;
        int mtu = 0;
        String cipher = "gcm128";
        boolean driver = false;
        XskSocket.CopyMode mode = XskSocket.CopyMode.AUTO;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--iface" -> iface = value(args, ++i, "--iface");
                case "--queue" -> queue = Integer.parseInt(value(args, ++i, "--queue"));
                case "--cpu" -> cpu = Integer.parseInt(value(args, ++i, "--cpu"));
                case "--seconds" -> seconds = Integer.parseInt(value(args, ++i, "--seconds"));
                case "--batch" -> batch = Integer.parseInt(value(args, ++i, "--batch"));
                case "--mac-swap" -> macSwap = true;
                case "--mode" -> job = value(args, ++i, "--mode");
                case "--local-ip" -> localIp = value(args, ++i, "--local-ip");
                case "--peer-ip" -> peerIp = value(args, ++i, "--peer-ip");
                case "--peer-mac" -> peerMac = value(args, ++i, "--peer-mac");
                case "--wan-iface" -> wanIface = value(args, ++i, "--wan-iface");
                case "--mtu" -> mtu = Integer.parseInt(value(args, ++i, "--mtu"));
                case "--cipher" -> cipher = value(args, ++i, "--cipher");
                case "--driver" -> driver = true;
                case "--copy" -> mode = XskSocket.CopyMode.COPY;
                case "--zero-copy" -> mode = XskSocket.CopyMode.ZERO_COPY;
                default -> throw new IllegalArgumentException("forward: unknown argument '" + args[i] +
                    "'; usage: forward --iface IF [--queue Q] [--cpu N] [--seconds N] [--batch N] [--mac-swap] " +
                    "[--driver] [--copy|--zero-copy] [--mode echo|route|gre|l2tpv3|l2tpv2|esp|esp-decrypt|gre-esp|" +
                    "gre-esp-decrypt --local-ip A --peer-ip B --peer-mac M [--wan-iface IF] [--mtu N] [--cipher " +
                    "gcm128|gcm256|cbc-sha256|3des-md5|chacha20]]");
            }
        }
        if (iface == null)
        {
            throw new IllegalArgumentException("forward: --iface is required");
        }
        if (batch < 1 || batch > 256)
        {
            throw new IllegalArgumentException("forward: --batch " + batch + " out of range 1..256");
        }

        final Umem umem = Umem.allocate(2048, 16384, 128, false);
        final FramePool pool = XdpPort.poolFor(umem);
        final XdpPort port = XdpPort.open(iface, queue, umem, pool, XdpSelection.everything(),
            XskSocket.Config.defaults().withCopyMode(mode), driver);
        final XdpPort[] wan = new XdpPort[1];
        final InboundLaps[] laps = new InboundLaps[1];
        final Dataplane[] esp = new Dataplane[1];
        final Worker.Job work = switch (job)
        {
            case "echo" -> new Echo(port, pool, batch, macSwap);
            case "route", "gre" -> routed(job, port, pool, iface, localIp, peerIp, peerMac, mtu);
            case "l2tpv3", "l2tpv2" ->
            {
                if (wanIface == null)
                {
                    throw new IllegalArgumentException("forward: --mode " + job + " needs --wan-iface (the tunnel's far side)");
                }
                wan[0] = XdpPort.open(wanIface, queue, umem, pool, XdpSelection.everything(),
                    XskSocket.Config.defaults().withCopyMode(mode), driver);
                yield job.equals("l2tpv3") ?
                    pseudowire(port, wan[0], pool, iface, wanIface, localIp, peerIp, peerMac, mtu) :
                    l2tpv2(port, wan[0], pool, iface, wanIface, localIp, peerIp, peerMac, mtu);
            }
            case "esp", "esp-decrypt", "gre-esp", "gre-esp-decrypt" ->
            {
                final Dataplane dp = ipsec(job, port, pool, iface, localIp, peerIp, peerMac, mtu, BenchSa.named(cipher),
                    laps);
                esp[0] = dp;
                final Worker.Job graph = dp.job();
                final InboundLaps inbound = laps[0];
                yield inbound == null ? graph : () ->
                {
                    final int n = graph.doWork();
                    if (n > 0)
                    {
                        inbound.poll();
                    }
                    return n;
                };
            }
            default -> throw new IllegalArgumentException("forward: --mode " + job +
                " is not echo, route, gre, l2tpv3, l2tpv2, esp, esp-decrypt, gre-esp or gre-esp-decrypt");
        };
        final Worker worker = new Worker("forward-" + iface, cpu, work, null);
        final AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), Throwable::printStackTrace, null, worker);

        final CountDownLatch stop = new CountDownLatch(1);
        final CountDownLatch done = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            stop.countDown();
            try
            {
                done.await(5, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ignored)
            {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        AgentRunner.startOnThread(runner);
        System.out.println("READY " + port.name() + (port.socket().zeroCopy() ? " zero-copy" : " copy") + " mode");
        System.out.flush();
        try
        {
            final long until = seconds > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds) : Long.MAX_VALUE;
            if (laps[0] == null)
            {
                stop.await(seconds > 0 ? seconds : Long.MAX_VALUE, TimeUnit.SECONDS);
            }
            else
            {
                // the decrypt direction: have fresh inbound SAs ready for the worker to swap in
                while (!stop.await(1, TimeUnit.MILLISECONDS) && System.nanoTime() < until)
                {
                    laps[0].prepare();
                }
            }
        }
        finally
        {
            runner.close();
            final long[] ks = port.kernelStatistics();
            final long tx = port.counters().txPackets + (wan[0] == null ? 0 : wan[0].counters().txPackets);
            System.out.println("{\"rx\":" + port.counters().rxPackets + ",\"tx\":" + tx +
                ",\"txDropped\":" + port.counters().txDropped + ",\"txErrors\":" + port.counters().txErrors +
                ",\"kernelRxDropped\":" + ks[0] + ",\"kernelRxRingFull\":" + ks[3] + ",\"kernelFillEmpty\":" + ks[4] +
                ",\"cpu\":" + worker.runningOnCpu() + espJson(esp[0], laps[0]) + "}");
            System.out.flush();
            if (wan[0] != null)
            {
                wan[0].close();
            }
            port.close();
            umem.close();
            done.countDown();
        }
        return 0;
    }

    /**
     * The forwarding graph on one port: every IPv4 packet received is routed back to the peer,
     * plainly ({@code route}: TTL, checksum, MAC rewrite) or into a GRE tunnel to the peer
     * ({@code gre}: encapsulation, outer lookup, rewrite). The peer's MAC is static: a generator
     * does not answer ARP.
     */
    private static Worker.Job routed(
        final String mode, final XdpPort port, final FramePool pool, final String iface, final String localIp,
        final String peerIp, final String peerMac, final int mtu)
    {
        if (peerMac == null)
        {
            throw new IllegalArgumentException("forward: --mode " + mode + " needs --peer-mac");
        }
        final Dataplane dp = new Dataplane(pool, Dataplane.Context.defaults());
        final Interface ifc = dp.addEthernet(iface, port, NetIf.hardwareAddress(iface));
        setMtu(ifc, mtu);
        final int local = Bytes.parseIp4(localIp);
        final int peer = Bytes.parseIp4(peerIp);
        dp.setAddress(ifc, local, 24);
        dp.addNeighbour(ifc, peer, Bytes.parseMac(peerMac));
        if (mode.equals("gre"))
        {
            final Interface tunnel = dp.addGreTunnel("Tunnel0", local, peer, 1, false);
            tunnel.mtu(1500);
            dp.addRoute(0, 0, tunnel, 0);
        }
        else
        {
            dp.addRoute(0, 0, ifc, peer);
        }
        return dp.job();
    }

    /**
     * An L2TPv3 Ethernet pseudowire: every frame received on {@code lan} goes into a session over
     * IP (protocol 115, 4-byte cookie) and out of {@code wan} to the peer (its MAC static).
     */
    private static Worker.Job pseudowire(
        final XdpPort lan, final XdpPort wan, final FramePool pool, final String lanIface, final String wanIface,
        final String localIp, final String peerIp, final String peerMac, final int mtu)
    {
        if (peerMac == null)
        {
            throw new IllegalArgumentException("forward: --mode l2tpv3 needs --peer-mac");
        }
        final Dataplane dp = new Dataplane(pool, Dataplane.Context.defaults());
        final Interface x = dp.addEthernet(lanIface, lan, NetIf.hardwareAddress(lanIface));
        final Interface w = dp.addEthernet(wanIface, wan, NetIf.hardwareAddress(wanIface));
        setMtu(w, mtu);
        final int local = Bytes.parseIp4(localIp);
        final int peer = Bytes.parseIp4(peerIp);
        dp.setAddress(w, local, 24);
        dp.addNeighbour(w, peer, Bytes.parseMac(peerMac));
        dp.addL2tpv3Xconnect(x, io.sluice.dataplane.l2tp.L2tpSession.Encapsulation.IP, local, peer, 1, 2, 0x5151L,
            0x5151L, 4);
        return dp.job();
    }

    /**
     * An L2TPv2 data session (UDP 1701, no length or sequence fields, PPP carrying IPv4), the LNS or
     * LAC side alike: every IPv4 packet received on {@code lan} follows the default route into the
     * session and leaves {@code wan} to the peer (its MAC static). The session's MTU is 1500 so that
     * a full-size packet goes in whole; the outer packet needs {@code --mtu} above 1538 on the WAN.
     */
    private static Worker.Job l2tpv2(
        final XdpPort lan, final XdpPort wan, final FramePool pool, final String lanIface, final String wanIface,
        final String localIp, final String peerIp, final String peerMac, final int mtu)
    {
        if (peerMac == null)
        {
            throw new IllegalArgumentException("forward: --mode l2tpv2 needs --peer-mac");
        }
        final Dataplane dp = new Dataplane(pool, Dataplane.Context.defaults());
        final Interface x = dp.addEthernet(lanIface, lan, NetIf.hardwareAddress(lanIface));
        final Interface w = dp.addEthernet(wanIface, wan, NetIf.hardwareAddress(wanIface));
        setMtu(w, mtu);
        final int local = Bytes.parseIp4(localIp);
        final int peer = Bytes.parseIp4(peerIp);
        dp.setAddress(x, Bytes.parseIp4("198.51.100.1"), 24);
        dp.setAddress(w, local, 24);
        dp.addNeighbour(w, peer, Bytes.parseMac(peerMac));
        final Interface session = dp.addL2tpv2Session("l2tp0", local, peer, 1, 1, 2, 2, false, false);
        session.mtu(1500);
        dp.addRoute(0, 0, session, 0);
        return dp.job();
    }

    /**
     * IPsec on one port, the peer (the generator) behind it. {@code esp}: IPv4 routed into a
     * route-based IPsec tunnel, ESP tunnel mode to the peer. {@code gre-esp}: into a GRE tunnel
     * (key 1, as {@code gre}) with tunnel protection, GRE over ESP transport mode (DMVPN).
     * {@code esp-decrypt}, {@code gre-esp-decrypt}: the reverse, ESP from the peer in, the inner
     * packets routed back to it in the clear; the inbound SAs are renewed by {@link InboundLaps}.
     * Plain ESP (IP protocol 50), default anti-replay window.
     */
    private static Dataplane ipsec(
        final String mode, final XdpPort port, final FramePool pool, final String iface, final String localIp,
        final String peerIp, final String peerMac, final int mtu, final BenchSa suite, final InboundLaps[] laps)
    {
        if (peerMac == null)
        {
            throw new IllegalArgumentException("forward: --mode " + mode + " needs --peer-mac");
        }
        suite.warmUp(1000);
        final Dataplane dp = new Dataplane(pool, Dataplane.Context.defaults());
        final Interface ifc = dp.addEthernet(iface, port, NetIf.hardwareAddress(iface));
        setMtu(ifc, mtu);
        final int local = Bytes.parseIp4(localIp);
        final int peer = Bytes.parseIp4(peerIp);
        dp.setAddress(ifc, local, 24);
        dp.addNeighbour(ifc, peer, Bytes.parseMac(peerMac));
        final boolean gre = mode.startsWith("gre");
        final io.sluice.dataplane.esp.SecurityAssociation.Mode espMode = gre ?
            io.sluice.dataplane.esp.SecurityAssociation.Mode.TRANSPORT :
            io.sluice.dataplane.esp.SecurityAssociation.Mode.TUNNEL;
        final Interface tunnel;
        if (gre)
        {
            tunnel = dp.addGreTunnel("Tunnel0", local, peer, BenchSa.GRE_KEY, false);
            dp.protectGreTunnel(tunnel);
        }
        else
        {
            tunnel = dp.addIpsecTunnel("Tunnel1", local, peer);
        }
        tunnel.mtu(1500);
        final int binding = dp.ipsecBinding(tunnel, peer);
        if (mode.endsWith("-decrypt"))
        {
            laps[0] = new InboundLaps(dp, suite, espMode, binding, peer, local);
            dp.addRoute(0, 0, ifc, peer);
        }
        else
        {
            dp.sad().switchOutbound(suite.sa(BenchSa.OUTBOUND_SPI, true, espMode, binding, local, peer));
            dp.addRoute(0, 0, tunnel, 0);
        }
        return dp;
    }

    /** The ESP counters for the result line: the outbound SA's packets, or the inbound SAs' totals. */
    private static String espJson(final Dataplane dp, final InboundLaps laps)
    {
        if (dp == null)
        {
            return "";
        }
        final String drops = ",\"dropSummary\":\"" +
            dp.dropSummary().strip().replace("\\", "/").replace("\"", "'").replace("\n", "; ") + "\"";
        if (laps != null)
        {
            return "," + laps.json() + drops;
        }
        long encrypted = 0;
        for (final io.sluice.dataplane.esp.SecurityAssociation sa : dp.sad().outboundAll())
        {
            encrypted += sa.packets();
        }
        return ",\"espEncrypted\":" + encrypted + drops;
    }

    /** The IP MTU of the port carrying tunnel packets, when given: room for a full packet plus the tunnel's header. */
    private static void setMtu(final Interface ifc, final int mtu)
    {
        if (mtu > 0)
        {
            ifc.mtu(mtu);
        }
    }

    private static String value(final String[] args, final int i, final String flag)
    {
        if (i >= args.length)
        {
            throw new IllegalArgumentException("forward: " + flag + " needs a value");
        }
        return args[i];
    }
}
