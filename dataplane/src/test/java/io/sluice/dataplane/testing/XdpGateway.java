package io.sluice.dataplane.testing;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.io.xdp.XdpPort;
import io.sluice.dataplane.worker.Worker;
import io.sluice.ffi.bpf.XdpSelection;
import io.sluice.ffi.libc.NetIf;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.xdp.Umem;
import io.sluice.ffi.xdp.XskSocket;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Sluice gateway in a test namespace: AF_XDP ports (one UMEM) on the given interfaces, a
 * Dataplane, and one worker thread. The worker backs off when idle, since several gateways and
 * the hosts' kernels share two CPUs in CI.
 */
public final class XdpGateway implements AutoCloseable
{
    private final String name;
    private final Umem umem;
    private final FramePool pool;
    private final Dataplane dp;
    private final Map<String, XdpPort> ports = new LinkedHashMap<>();
    private final Map<String, Long> macs = new LinkedHashMap<>();
    private AgentRunner runner;

    public XdpGateway(final String namespace, final String... ifnames)
    {
        this.name = namespace;
        this.umem = Umem.allocate(2048, 8192, 128, false);
        this.pool = XdpPort.poolFor(umem);
        this.dp = new Dataplane(pool, Dataplane.Context.small());
        final XskSocket.Config config = new XskSocket.Config(1024, 1024, 2048, 1024, XskSocket.CopyMode.COPY, true, 256);
        final List<XdpPort> opened = new ArrayList<>();
        try (NetNs ignored = NetNs.enter(namespace))
        {
            for (final String ifname : ifnames)
            {
                final XdpPort port = XdpPort.open(ifname, 0, umem, pool, XdpSelection.everything(), config, false);
                opened.add(port);
                ports.put(ifname, port);
                macs.put(ifname, NetIf.hardwareAddress(ifname));
            }
        }
        catch (final RuntimeException e)
        {
            opened.forEach(XdpPort::close);
            umem.close();
            throw e;
        }
    }

    public Dataplane dp()
    {
        return dp;
    }

    /** Adds the port on {@code ifname} as an interface with an address (CIDR, or null). */
    public Interface ethernet(final String ifname, final String cidr)
    {
        final Interface ifc = dp.addEthernet(ifname, ports.get(ifname), macs.get(ifname));
        if (cidr != null)
        {
            final String[] p = cidr.split("/");
            dp.setAddress(ifc, Dataplane.ip(p[0]), Integer.parseInt(p[1]));
        }
        return ifc;
    }

    /** Drops by node and reason, port counters and the kernel's AF_XDP statistics: for failure messages. */
    public String diagnostics()
    {
        final StringBuilder b = new StringBuilder("gateway ").append(name).append(":\n").append(dp.dropSummary());
        for (final Map.Entry<String, XdpPort> e : ports.entrySet())
        {
            final long[] k = e.getValue().kernelStatistics();
            b.append("  port ").append(e.getKey()).append(": ").append(e.getValue().counters())
                .append("; kernel rx_dropped ").append(k[0]).append(" rx_ring_full ").append(k[3])
                .append(" fill_empty ").append(k[4]).append('\n');
        }
        b.append("  icmp sent ").append(dp.icmp().sent()).append(", vector-full drops ")
            .append(dp.graph().vectorFullDrops()).append(", pool free ").append(pool.available()).append('\n');
        return b.toString();
    }

    public void start()
    {
        final Worker worker = new Worker("gw-" + name, -1, dp.job(), null);
        runner = new AgentRunner(new BackoffIdleStrategy(100, 10, 1_000, 200_000), Throwable::printStackTrace, null,
            worker);
        AgentRunner.startOnThread(runner);
    }

    @Override
    public void close()
    {
        if (runner != null)
        {
            runner.close();
        }
        ports.values().forEach(XdpPort::close);
        umem.close();
    }
}
