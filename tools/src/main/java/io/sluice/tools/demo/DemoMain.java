package io.sluice.tools.demo;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.gre.GreTunnel;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.graph.Node;
import io.sluice.ffi.libc.Libc;
import io.sluice.ffi.libc.NetNs;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./sluice demo}: two Sluice gateways joined by a GRE tunnel, between two hosts, all in
 * network namespaces it makes on this machine and removes when it ends (also on Ctrl-C or a
 * failure).
 * <pre>
 *  host-a 10.1.0.10 --- gw-a [AF_XDP | Sluice | AF_XDP] --- WAN 192.0.2.0/24 --- gw-b [...] --- host-b 10.2.0.10
 *                           Tunnel0 172.16.0.1/30  ====== GRE key 42 ======  Tunnel0 172.16.0.2/30
 * </pre>
 * It pings host-b from host-a, measures UDP throughput through the tunnel for a few seconds, and
 * prints the tunnel's counters and every drop counter. IPsec protection of the tunnel joins the
 * demo when ESP and IKE land.
 */
public final class DemoMain
{
    private final String id = Long.toString(ProcessHandle.current().pid());
    private final List<String> namespaces = new ArrayList<>();
    private final List<DemoGateway> gateways = new ArrayList<>();

    private DemoMain()
    {
    }

    public static int run(final String[] args) throws Exception
    {
        int seconds = 3;
        for (int i = 0; i < args.length; i++)
        {
            if (args[i].equals("--seconds") && i + 1 < args.length)
            {
                seconds = Integer.parseInt(args[++i]);
            }
            else
            {
                throw new IllegalArgumentException("demo: unknown argument '" + args[i] + "'; usage: demo [--seconds N]");
            }
        }
        if (Libc.geteuid() != 0)
        {
            System.err.println("sluice demo: needs root: it creates network namespaces and veth pairs and attaches " +
                "XDP programs (run it as root, e.g. sudo ./sluice demo)");
            return 1;
        }
        final DemoMain demo = new DemoMain();
        final Thread hook = new Thread(demo::cleanUp, "demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try
        {
            return demo.play(seconds);
        }
        finally
        {
            demo.cleanUp();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    private static void step(final String text)
    {
        System.out.println();
        System.out.println("==> " + text);
    }

    private int play(final int seconds) throws Exception
    {
        step("Creating network namespaces host-a, gw-a, gw-b, host-b (suffix -" + id + ") and veth links");
        final String hostA = namespace("host-a");
        final String gwA = namespace("gw-a");
        final String gwB = namespace("gw-b");
        final String hostB = namespace("host-b");
        final String[] lanA = veth(hostA, "10.1.0.10/24", gwA, "la");
        final String[] wan = veth(gwA, null, gwB, "wa");
        final String[] lanB = veth(hostB, "10.2.0.10/24", gwB, "lb");
        sh("ip", "-n", hostA, "route", "add", "default", "via", "10.1.0.1");
        sh("ip", "-n", hostB, "route", "add", "default", "via", "10.2.0.1");
        System.out.println("    host-a " + lanA[0] + " 10.1.0.10/24 <-> gw-a " + lanA[1] + "; gw-a " + wan[0] +
            " <-> gw-b " + wan[1] + "; gw-b " + lanB[1] + " <-> host-b " + lanB[0] + " 10.2.0.10/24");

        step("Gateway configurations (what 'sluice run -c' will load; applied here through the dataplane API)");
        System.out.println(config("gw-a", lanA[1], "10.1.0.1", wan[0], "192.0.2.1", "192.0.2.2", "172.16.0.1",
            "10.2.0.0"));
        System.out.println(config("gw-b", lanB[1], "10.2.0.1", wan[1], "192.0.2.2", "192.0.2.1", "172.16.0.2",
            "10.1.0.0"));

        step("Starting both gateways: AF_XDP sockets on every port (copy mode on veth), one worker each");
        final DemoGateway a = gateway("gw-a", gwA, lanA[1], wan[0]);
        a.ethernet(lanA[1], "10.1.0.1/24");
        a.ethernet(wan[0], "192.0.2.1/24");
        final Interface ta = a.dp().addGreTunnel("Tunnel0", Dataplane.ip("192.0.2.1"), Dataplane.ip("192.0.2.2"), 42,
            false);
        a.dp().setAddress(ta, Dataplane.ip("172.16.0.1"), 30);
        ta.mssClamp(1436);
        a.dp().addRoute(Dataplane.ip("10.2.0.0"), 24, ta, 0);
        final DemoGateway b = gateway("gw-b", gwB, wan[1], lanB[1]);
        b.ethernet(wan[1], "192.0.2.2/24");
        b.ethernet(lanB[1], "10.2.0.1/24");
        final Interface tb = b.dp().addGreTunnel("Tunnel0", Dataplane.ip("192.0.2.2"), Dataplane.ip("192.0.2.1"), 42,
            false);
        b.dp().setAddress(tb, Dataplane.ip("172.16.0.2"), 30);
        tb.mssClamp(1436);
        b.dp().addRoute(Dataplane.ip("10.1.0.0"), 24, tb, 0);
        a.start();
        b.start();

        step("host-a: ping -c 3 10.2.0.10 (through gw-a, the GRE tunnel, gw-b)");
        final String ping = sh("ip", "netns", "exec", hostA, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
        System.out.print(ping.lines().map(l -> "    " + l + "\n").reduce("", String::concat));
        if (!ping.contains(" 0% packet loss"))
        {
            System.out.println("sluice demo: FAILED: ping through the tunnel lost packets");
            System.out.println(a.dp().dropSummary() + b.dp().dropSummary());
            return 1;
        }

        step("UDP from host-a to host-b through the tunnel for " + seconds + " s (1400-byte datagrams)");
        final long[] result = udpThroughput(hostA, hostB, seconds);
        final double mbps = result[1] * 8.0 / seconds / 1e6;
        System.out.printf("    sent %d, received %d datagrams: %.1f Mbit/s, %.0f packets/s, loss %.2f%%%n",
            result[0], result[2], mbps, result[2] / (double)seconds,
            result[0] == 0 ? 0.0 : 100.0 * (result[0] - result[2]) / result[0]);
        System.out.println("    (one worker per gateway, AF_XDP copy mode on veth, both gateways, both hosts and the " +
            "sender sharing this machine's CPUs: a functional demo, not a benchmark; see ./sluice bench)");

        step("show interfaces Tunnel0 (gw-a)");
        final GreTunnel t = a.dp().greTunnels().get(0);
        System.out.println("    " + t);
        System.out.println("    " + t.txPackets() + " packets output, " + t.txBytes() + " bytes; " + t.rxPackets() +
            " packets input, " + t.rxBytes() + " bytes");
        step("show counters (non-zero, both gateways)");
        printNodes("gw-a", a.dp());
        printNodes("gw-b", b.dp());

        step("Tearing down: gateways stopped (XDP programs detached), namespaces deleted");
        return 0;
    }

    private static void printNodes(final String gw, final Dataplane dp)
    {
        for (final Node n : dp.graph().nodes())
        {
            if (n.packets() != 0)
            {
                System.out.printf("    %-5s %-14s packets %d%n", gw, n.name(), n.packets());
            }
            for (int i = 0; i < n.dropReasonCount(); i++)
            {
                if (n.drops(i) != 0)
                {
                    System.out.printf("    %-5s %-14s drop %-24s %d%n", gw, n.name(), n.dropReason(i), n.drops(i));
                }
            }
        }
    }

    private static String config(
        final String host, final String lan, final String lanIp, final String wanIf, final String wanIp,
        final String peer, final String tunnelIp, final String remoteLan)
    {
        return "    ! " + host + "\n" +
            "    hostname " + host + "\n" +
            "    interface " + lan + "\n     ip address " + lanIp + " 255.255.255.0\n" +
            "    interface " + wanIf + "\n     ip address " + wanIp + " 255.255.255.0\n" +
            "    interface Tunnel0\n     ip address " + tunnelIp + " 255.255.255.252\n     ip tcp adjust-mss 1436\n" +
            "     tunnel source " + wanIf + "\n     tunnel destination " + peer + "\n     tunnel key 42\n" +
            "    ip route " + remoteLan + " 255.255.255.0 Tunnel0";
    }

    /** {sent, bytes received, datagrams received}. */
    private static long[] udpThroughput(final String fromNs, final String toNs, final int seconds) throws Exception
    {
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicLong received = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final DatagramChannel rx;
        final DatagramChannel tx;
        try (NetNs ignored = NetNs.enter(toNs))
        {
            rx = DatagramChannel.open();
            rx.bind(new InetSocketAddress("10.2.0.10", 9200));
            rx.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
        }
        try (NetNs ignored = NetNs.enter(fromNs))
        {
            tx = DatagramChannel.open();
            tx.bind(new InetSocketAddress("10.1.0.10", 0));
        }
        final Thread sink = new Thread(() ->
        {
            final ByteBuffer in = ByteBuffer.allocateDirect(2048);
            try
            {
                rx.configureBlocking(false);
                while (!done.get())
                {
                    in.clear();
                    if (rx.receive(in) != null)
                    {
                        received.incrementAndGet();
                        bytes.addAndGet(in.position());
                    }
                    else
                    {
                        Thread.onSpinWait();
                    }
                }
            }
            catch (final IOException e)
            {
                System.err.println("sluice demo: receiver: " + e.getMessage());
            }
        }, "demo-sink");
        sink.start();
        long sent = 0;
        final ByteBuffer out = ByteBuffer.allocateDirect(1400);
        final InetSocketAddress to = new InetSocketAddress("10.2.0.10", 9200);
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end)
        {
            out.clear();
            tx.send(out, to);
            sent++;
        }
        Thread.sleep(300);
        done.set(true);
        sink.join();
        rx.close();
        tx.close();
        return new long[]{sent, bytes.get(), received.get()};
    }

    private DemoGateway gateway(final String name, final String ns, final String... ifnames)
    {
        final DemoGateway gw = new DemoGateway(name, ns, ifnames);
        synchronized (gateways)
        {
            gateways.add(gw);
        }
        return gw;
    }

    private String namespace(final String role)
    {
        final String name = role + "-" + id;
        sh("ip", "netns", "add", name);
        synchronized (namespaces)
        {
            namespaces.add(name);
        }
        sh("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /** A veth pair between two namespaces: the host end (optional address) first. */
    private String[] veth(final String nsA, final String addrA, final String nsB, final String tag)
    {
        final String a = "d" + tag + id;
        final String b = "g" + tag + id;
        if (a.length() > 15)
        {
            throw new IllegalStateException("interface name " + a + " too long");
        }
        sh("ip", "link", "add", a, "netns", nsA, "type", "veth", "peer", "name", b, "netns", nsB);
        // veth leaves checksums to "hardware"; frames copied through AF_XDP need them done by the sender
        sh("ip", "netns", "exec", nsA, "ethtool", "-K", a, "tx", "off");
        sh("ip", "netns", "exec", nsB, "ethtool", "-K", b, "tx", "off");
        if (addrA != null)
        {
            sh("ip", "-n", nsA, "addr", "add", addrA, "dev", a);
        }
        sh("ip", "-n", nsA, "link", "set", a, "up");
        sh("ip", "-n", nsB, "link", "set", b, "up");
        return new String[]{a, b};
    }

    private void cleanUp()
    {
        synchronized (gateways)
        {
            gateways.forEach(DemoGateway::close);
            gateways.clear();
        }
        synchronized (namespaces)
        {
            for (int i = namespaces.size() - 1; i >= 0; i--)
            {
                try
                {
                    sh("ip", "netns", "delete", namespaces.get(i));
                }
                catch (final IllegalStateException e)
                {
                    System.err.println("sluice demo: cleaning up: " + e.getMessage());
                }
            }
            namespaces.clear();
        }
    }

    private static String sh(final String... command)
    {
        try
        {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out");
            }
            if (p.exitValue() != 0 && !(command.length > 4 && command[4].equals("ping")))
            {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out.trim());
            }
            return out;
        }
        catch (final IOException e)
        {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }
}
