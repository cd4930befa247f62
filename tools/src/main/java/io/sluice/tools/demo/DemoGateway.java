package io.sluice.tools.demo;

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

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Sluice gateway for the demo: AF_XDP ports on interfaces of one namespace, sharing a UMEM,
 * a dataplane, and one worker thread. Until {@code sluice run} (the two-process gateway with
 * its configuration file) lands, the demo drives the dataplane through its Java API.
 */
final class DemoGateway implements AutoCloseable
{
    private final String name;
    private final Umem umem;
    private final FramePool pool;
    private final Dataplane dp;
    private final Map<String, XdpPort> ports = new LinkedHashMap<>();
    private final Map<String, Long> macs = new LinkedHashMap<>();
    private AgentRunner runner;

    DemoGateway(final String name, final String namespace, final String... ifnames)
    {
        this.name = name;
        this.umem = Umem.allocate(2048, 8192, 128, false);
        this.pool = XdpPort.poolFor(umem);
        this.dp = new Dataplane(pool, Dataplane.Context.small());
        final XskSocket.Config config = new XskSocket.Config(1024, 1024, 2048, 1024, XskSocket.CopyMode.COPY, true, 256);
        try (NetNs ignored = NetNs.enter(namespace))
        {
            for (final String ifname : ifnames)
            {
                ports.put(ifname, XdpPort.open(ifname, 0, umem, pool, XdpSelection.everything(), config, false));
                macs.put(ifname, NetIf.hardwareAddress(ifname));
            }
        }
        catch (final RuntimeException e)
        {
            close();
            throw e;
        }
    }

    Dataplane dp()
    {
        return dp;
    }

    Interface ethernet(final String ifname, final String cidr)
    {
        final Interface ifc = dp.addEthernet(ifname, ports.get(ifname), macs.get(ifname));
        final String[] p = cidr.split("/");
        dp.setAddress(ifc, Dataplane.ip(p[0]), Integer.parseInt(p[1]));
        return ifc;
    }

    void start()
    {
        runner = new AgentRunner(new BackoffIdleStrategy(100, 10, 1_000, 100_000),
            t -> System.err.println("sluice demo: " + name + " worker: " + t), null,
            new Worker(name, -1, dp.job(), null));
        AgentRunner.startOnThread(runner);
    }

    @Override
    public void close()
    {
        if (runner != null)
        {
            runner.close();
            runner = null;
        }
        ports.values().forEach(XdpPort::close);
        ports.clear();
        if (umem.socketCount() == 0)
        {
            umem.close();
        }
    }
}
