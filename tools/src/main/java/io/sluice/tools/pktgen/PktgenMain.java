package io.sluice.tools.pktgen;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.io.xdp.XdpPort;
import io.sluice.ffi.bpf.XdpSelection;
import io.sluice.ffi.libc.NetIf;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.xdp.Umem;
import io.sluice.ffi.xdp.XskSocket;

import java.util.concurrent.TimeUnit;

/**
 * {@code sluice pktgen}: sends UDP flows out of one interface with AF_XDP and, with
 * {@code --rx-iface}, counts what comes back on another (or the same) one: sent, received, lost,
 * reordered, per-flow sequence checks. Both on one thread (pin it with {@code --cpu}).
 * <pre>
 * sluice pktgen --tx-iface IF [--rx-iface IF] [--netns NS] --dst-mac MAC --src-ip A --dst-ip B
 *               [--dst-port P] [--size N|imix] [--flows N] [--seconds S] [--pps N] [--cpu N]
 * </pre>
 * Prints one JSON line: {"sent":..,"received":..,"lost":..,"reordered":..,"mpps_sent":..,"mpps_received":..,...}.
 */
public final class PktgenMain
{
    private PktgenMain()
    {
    }

    public static int run(final String[] args) throws Exception
    {
        String tx = null;
        String rx = null;
        String netns = null;
        long dstMac = 0;
        int srcIp = 0;
        int dstIp = 0;
        int dstPort = 9;
        int size = 64;
        int flows = 1;
        double seconds = 5;
        long pps = 0;
        int cpu = -1;
        for (int i = 0; i < args.length; i++)
        {
            final String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--tx-iface" -> tx = v;
                case "--rx-iface" -> rx = v;
                case "--netns" -> netns = v;
                case "--dst-mac" -> dstMac = Long.parseLong(v.replace(":", ""), 16);
                case "--src-ip" -> srcIp = io.sluice.dataplane.Dataplane.ip(v);
                case "--dst-ip" -> dstIp = io.sluice.dataplane.Dataplane.ip(v);
                case "--dst-port" -> dstPort = Integer.parseInt(v);
                case "--size" -> size = v.equals("imix") ? 0 : Integer.parseInt(v);
                case "--flows" -> flows = Integer.parseInt(v);
                case "--seconds" -> seconds = Double.parseDouble(v);
                case "--pps" -> pps = Long.parseLong(v);
                case "--cpu" -> cpu = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("pktgen: unknown argument '" + args[i] + "'");
            }
            i++;
        }
        if (tx == null || srcIp == 0 || dstIp == 0 || dstMac == 0)
        {
            throw new IllegalArgumentException("usage: sluice pktgen --tx-iface IF [--rx-iface IF] [--netns NS] " +
                "--dst-mac MAC --src-ip A --dst-ip B [--dst-port P] [--size N|imix] [--flows N] [--seconds S] " +
                "[--pps N] [--cpu N]");
        }
        if (cpu >= 0)
        {
            io.sluice.ffi.libc.Libc.pinCurrentThread(cpu);
        }
        final Umem umem = Umem.allocate(2048, 8192, 256, false);
        final FramePool pool = XdpPort.poolFor(umem);
        final XskSocket.Config config = new XskSocket.Config(2048, 2048, 2048, 2048, XskSocket.CopyMode.AUTO, true, 256);
        final XdpPort txPort;
        final XdpPort rxPort;
        final long srcMac;
        try (NetNs ignored = netns == null ? null : NetNs.enter(netns))
        {
            txPort = XdpPort.open(tx, 0, umem, pool, XdpSelection.everything(), config, false);
            rxPort = rx == null ? null : rx.equals(tx) ? txPort :
                XdpPort.open(rx, 0, umem, pool, XdpSelection.everything(), config, false);
            srcMac = NetIf.hardwareAddress(tx);
        }
        try
        {
            final Pktgen.Spec spec = new Pktgen.Spec(dstMac, srcMac, srcIp, dstIp, dstPort, size, flows);
            final Result r = measure(spec, pool, txPort, pool, rxPort, seconds, pps);
            System.out.println(r.json());
            return 0;
        }
        finally
        {
            if (rxPort != null && rxPort != txPort)
            {
                rxPort.close();
            }
            txPort.close();
            umem.close();
        }
    }

    /** What a measurement gave. */
    public record Result(long sent, long sentBytes, long received, long receivedBytes, long reordered, long foreign,
        double seconds, int flows)
    {
        public long lost()
        {
            return Math.max(0, sent - received);
        }

        public String json()
        {
            return String.format(java.util.Locale.ROOT, "{\"sent\":%d,\"received\":%d,\"lost\":%d,\"reordered\":%d," +
                "\"foreign\":%d,\"flows\":%d,\"seconds\":%.3f,\"mpps_sent\":%.4f,\"mpps_received\":%.4f," +
                "\"gbps_received\":%.4f}", sent, received, lost(), reordered, foreign, flows, seconds,
                sent / seconds / 1e6, received / seconds / 1e6, receivedBytes * 8 / seconds / 1e9);
        }
    }

    /**
     * Sends for {@code seconds} (at most {@code pps} frames a second, 0: as fast as it goes), then
     * keeps receiving for a quarter of a second more, and returns the counts.
     */
    public static Result measure(final Pktgen.Spec spec, final FramePool pool, final XdpPort txPort,
        final FramePool rxPool, final XdpPort rxPort, final double seconds, final long pps)
    {
        final Pktgen.Generator gen = new Pktgen.Generator(spec, pool);
        final Pktgen.Sink sink = new Pktgen.Sink(spec.flows());
        final Burst txBurst = new Burst(pool.memory(), 64);
        final Burst rxBurst = new Burst(rxPool.memory(), 64);
        final long start = System.nanoTime();
        final long end = start + (long)(seconds * 1e9);
        final long drainEnd = end + TimeUnit.MILLISECONDS.toNanos(250);
        long now;
        while ((now = System.nanoTime()) < drainEnd)
        {
            txPort.poll(); // completions back to the pool
            if (now < end)
            {
                final long allowed = pps == 0 ? Long.MAX_VALUE : (now - start) * pps / 1_000_000_000L - gen.sent();
                if (allowed > 0)
                {
                    gen.fill(txBurst, (int)Math.min(64, allowed));
                    txPort.transmit(txBurst);
                }
            }
            if (rxPort != null && rxPort.receive(rxBurst) > 0)
            {
                sink.take(rxBurst, rxPool);
            }
        }
        final double elapsed = (Math.min(System.nanoTime(), end) - start) / 1e9;
        return new Result(gen.sent() - txPort.counters().txDropped, gen.sentBytes(), sink.received(),
            sink.receivedBytes(), sink.reordered(), sink.foreign(), elapsed, spec.flows());
    }
}
