package io.sluice.tools.demo;

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
 * It writes two gateway configurations (a GRE tunnel protected by IPsec with manual keys), starts
 * each gateway with {@code sluice run -c} in its namespace, pings host-b from host-a, measures
 * UDP throughput through the tunnel for a few seconds, and prints {@code show crypto ipsec sa}
 * and the counters through {@code sluice ctl}.
 */
public final class DemoMain
{
    private final String id = Long.toString(ProcessHandle.current().pid());
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> gateways = new ArrayList<>();

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

        step("Writing the two gateway configurations: a GRE tunnel protected by IPsec (crypto map with " +
            "ipsec-isakmp: IKEv1 main mode with a pre-shared key made at random for this run, then quick mode)");
        final String psk = hex(new java.security.SecureRandom(), 12);
        final java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("sluice-demo-");
        configDir = dir;
        final java.nio.file.Path ca = dir.resolve("gw-a.conf");
        final java.nio.file.Path cb = dir.resolve("gw-b.conf");
        java.nio.file.Files.writeString(ca, config("gw-a", lanA[1], "10.1.0.1", wan[0], "192.0.2.1", "192.0.2.2",
            "172.16.0.1", "10.2.0.0", psk));
        java.nio.file.Files.writeString(cb, config("gw-b", lanB[1], "10.2.0.1", wan[1], "192.0.2.2", "192.0.2.1",
            "172.16.0.2", "10.1.0.0", psk));
        System.out.println("    " + ca + " (the key shown as <...>):");
        System.out.print(indent(java.nio.file.Files.readString(ca).replace(psk, "<random>")));
        System.out.println("    " + cb + ": the same with the addresses mirrored");

        step("Starting both gateways: sluice run -c gw-a.conf in gw-a, sluice run -c gw-b.conf in gw-b " +
            "(each: a dataplane process on AF_XDP and a control process, over Aeron IPC)");
        final Process a = gateway("gw-a", gwA, ca);
        final Process b = gateway("gw-b", gwB, cb);
        awaitLog("gw-a", "installed on Tunnel0", a);
        awaitLog("gw-b", "installed on Tunnel0", b);

        // like a router's first ping (".!!!!"): the first packets wait for ARP on both LANs and the WAN
        sh("ip", "netns", "exec", hostA, "ping", "-c", "2", "-i", "0.3", "-W", "1", "10.2.0.10");
        step("host-a: ping -c 3 10.2.0.10 (through gw-a, GRE in ESP, gw-b)");
        final String ping = sh("ip", "netns", "exec", hostA, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
        System.out.print(ping.lines().map(l -> "    " + l + "\n").reduce("", String::concat));
        if (!ping.contains(" 0% packet loss"))
        {
            System.out.println("sluice demo: FAILED: ping through the protected tunnel lost packets");
            System.out.print(ctl(gwA, "show", "counters"));
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

        step("sluice ctl -n gw-a show crypto isakmp sa");
        System.out.print(indent(ctl(gwA, "show", "crypto", "isakmp", "sa")));
        step("sluice ctl -n gw-a show crypto ipsec sa");
        System.out.print(indent(ctl(gwA, "show", "crypto", "ipsec", "sa")));
        step("sluice ctl -n gw-b show counters (non-zero)");
        System.out.print(indent(ctl(gwB, "show", "counters")));

        step("Tearing down: gateways stopped (SIGTERM: XDP programs detached, keys zeroed), namespaces deleted");
        return 0;
    }

    private java.nio.file.Path configDir;

    private static String hex(final java.security.SecureRandom random, final int bytes)
    {
        final byte[] b = new byte[bytes];
        random.nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }

    private static String indent(final String text)
    {
        return text.lines().map(l -> "    " + l + "\n").reduce("", String::concat);
    }

    private Process gateway(final String name, final String ns, final java.nio.file.Path config) throws IOException
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns,
            ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.tools.Main", "run", "-c",
            config.toString()));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        synchronized (gateways)
        {
            gateways.add(p);
        }
        final StringBuffer log = new StringBuffer();
        logs.put(p, log);
        Thread.ofPlatform().daemon().start(() ->
        {
            try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    log.append(line).append('\n');
                    System.out.println("    [" + name + "] " + line);
                }
            }
            catch (final IOException ignored)
            {
                // the gateway ended
            }
        });
        return p;
    }

    private final java.util.Map<Process, StringBuffer> logs = new java.util.concurrent.ConcurrentHashMap<>();

    private void awaitLog(final String name, final String text, final Process p) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!logs.get(p).toString().contains(text))
        {
            if (!p.isAlive() || System.nanoTime() > deadline)
            {
                throw new IllegalStateException(name + " did not start (see its log above)");
            }
            Thread.sleep(50);
        }
    }

    private static String ctl(final String ns, final String... command)
    {
        final List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.tools.Main", "ctl", "-n", ns));
        cmd.addAll(List.of(command));
        return sh(cmd.toArray(String[]::new));
    }

    private static String config(
        final String host, final String lan, final String lanIp, final String wanIf, final String wanIp,
        final String peer, final String tunnelIp, final String remoteLan, final String psk)
    {
        return """
            ! %s: written by sluice demo
            hostname %s
            interface %s
             ip address %s 255.255.255.0
            interface %s
             ip address %s 255.255.255.0
             crypto map VPN
            interface Tunnel0
             ip address %s 255.255.255.252
             ip tcp adjust-mss 1360
             tunnel source %s
             tunnel destination %s
             tunnel key 42
            crypto isakmp policy 10
             encryption aes 256
             hash sha256
             authentication pre-share
             group 14
            crypto isakmp key %s address %s
            crypto isakmp keepalive 10 2
            crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
             mode transport
            access-list 101 permit gre host %s host %s
            crypto map VPN 10 ipsec-isakmp
             set peer %s
             set transform-set TS
             match address 101
            ip route %s 255.255.255.0 Tunnel0
            """.formatted(host, host, lan, lanIp, wanIf, wanIp, tunnelIp, wanIf, peer, psk, peer, wanIp, peer, peer,
            remoteLan);
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
            for (final Process p : gateways)
            {
                p.destroy(); // SIGTERM: the gateway stops its two processes and cleans up
            }
            for (final Process p : gateways)
            {
                try
                {
                    if (!p.waitFor(20, TimeUnit.SECONDS))
                    {
                        p.descendants().forEach(ProcessHandle::destroyForcibly);
                        p.destroyForcibly();
                    }
                }
                catch (final InterruptedException e)
                {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }
            gateways.clear();
        }
        if (configDir != null)
        {
            try (var files = java.nio.file.Files.list(configDir))
            {
                for (final java.nio.file.Path f : files.toList())
                {
                    java.nio.file.Files.deleteIfExists(f);
                }
                java.nio.file.Files.deleteIfExists(configDir);
            }
            catch (final IOException e)
            {
                System.err.println("sluice demo: cleaning up " + configDir + ": " + e.getMessage());
            }
            configDir = null;
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
