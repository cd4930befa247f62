package io.sluice.tools.run;

import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.NetnsLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two gateways started with {@code sluice run -c} and their configuration files alone: host A
 * -> gateway A -> GRE over IPsec (crypto map, ipsec-manual keys) -> gateway B -> host B with real
 * ping and UDP; {@code sluice ctl show crypto ipsec sa} counts what was sent; the control process
 * is killed and restarted while traffic flows and nothing is lost; SIGTERM stops everything and
 * leaves nothing behind.
 */
class RunNamespaceTest
{
    private static final String ENC_AB = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
    private static final String AUTH_AB = "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40";
    private static final String ENC_BA = "4142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60";
    private static final String AUTH_BA = "6162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80";

    private NetnsLab lab;
    private final List<Process> gateways = new ArrayList<>();
    private final List<StringBuffer> logs = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        lab = NetnsLab.createOrSkip(this);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        for (final Process p : gateways)
        {
            p.destroy();
            p.waitFor(20, TimeUnit.SECONDS);
        }
        if (lab != null)
        {
            lab.close();
        }
    }

    static String config(final String host, final String lan, final String lanIp, final String wan, final String wanIp,
        final String peerIp, final String tunnelIp, final String remoteLan, final int inSpi, final int outSpi,
        final String inKeys, final String outKeys)
    {
        return """
            hostname %s
            interface %s
             ip address %s 255.255.255.0
            interface %s
             ip address %s 255.255.255.0
             crypto map VPN
            interface Tunnel0
             ip address %s 255.255.255.252
             tunnel source %s
             tunnel destination %s
            crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
             mode transport
            access-list 101 permit gre host %s host %s
            crypto map VPN 10 ipsec-manual
             set peer %s
             set transform-set TS
             match address 101
             set session-key inbound esp %d %s
             set session-key outbound esp %d %s
            ip route %s 255.255.255.0 Tunnel0
            """.formatted(host, lan, lanIp, wan, wanIp, tunnelIp, wan, peerIp, wanIp, peerIp, peerIp, inSpi, inKeys,
            outSpi, outKeys, remoteLan);
    }

    private Process start(final String ns, final Path config)
    {
        final List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
            "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
            "io.sluice.tools.Main", "run", "-c", config.toString()));
        final Process p = lab.spawn(ns, cmd.toArray(String[]::new));
        gateways.add(p);
        final StringBuffer log = new StringBuffer();
        logs.add(log);
        Thread.ofVirtual().start(() ->
        {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    log.append(line).append('\n');
                }
            }
            catch (final Exception ignored)
            {
                // the process ended
            }
        });
        return p;
    }

    private static void await(final StringBuffer log, final String text, final int count, final long seconds)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline)
        {
            if (occurrences(log.toString(), text) >= count)
            {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("waited " + seconds + " s for '" + text + "' x" + count + " in:\n" + log);
    }

    private static int occurrences(final String s, final String text)
    {
        int n = 0;
        for (int i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + 1))
        {
            n++;
        }
        return n;
    }

    private String ctl(final String ns, final String... command)
    {
        final List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
            "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
            "io.sluice.tools.Main", "ctl", "-n", ns));
        cmd.addAll(List.of(command));
        final NetnsLab.Result r = NetnsLab.execute(cmd.toArray(String[]::new));
        assertEquals(0, r.status(), "ctl " + String.join(" ", command) + ": " + r.output());
        return r.output();
    }

    private static long encaps(final String showSa)
    {
        final Matcher m = Pattern.compile("#pkts encaps: (\\d+)").matcher(showSa);
        assertTrue(m.find(), showSa);
        return Long.parseLong(m.group(1));
    }

    @Test
    void twoGatewaysFromConfigFilesCarryHostTrafficThroughGreOverIpsecAndSurviveAControlRestart(
        @TempDir final Path dir) throws Exception
    {
        final String a = lab.namespace("ha");
        final String g1 = lab.namespace("g1");
        final String g2 = lab.namespace("g2");
        final String b = lab.namespace("hb");
        final String[] la = lab.veth(a, "10.1.0.10/24", g1, null);
        final String[] wan = lab.veth(g1, null, g2, null);
        final String[] lb = lab.veth(g2, null, b, "10.2.0.10/24");
        lab.exec(a, "ip", "route", "add", "default", "via", "10.1.0.1");
        lab.exec(b, "ip", "route", "add", "default", "via", "10.2.0.1");
        final Path ca = dir.resolve("gw-a.conf");
        final Path cb = dir.resolve("gw-b.conf");
        Files.writeString(ca, config("gw-a", la[1], "10.1.0.1", wan[0], "192.0.2.1", "192.0.2.2", "172.16.0.1",
            "10.2.0.0", 0x2001, 0x1001, "cipher " + ENC_BA + " authenticator " + AUTH_BA,
            "cipher " + ENC_AB + " authenticator " + AUTH_AB));
        Files.writeString(cb, config("gw-b", lb[0], "10.2.0.1", wan[1], "192.0.2.2", "192.0.2.1", "172.16.0.2",
            "10.1.0.0", 0x1001, 0x2001, "cipher " + ENC_AB + " authenticator " + AUTH_AB,
            "cipher " + ENC_BA + " authenticator " + AUTH_BA));
        start(g1, ca);
        start(g2, cb);
        await(logs.get(0), "stale ones removed", 1, 60);
        await(logs.get(1), "stale ones removed", 1, 60);
        // as on IOS, the first packets may go while ARP resolves the hosts and the peer (".!!!!")
        lab.tryExec(a, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.2.0.10");

        final String ping = lab.exec(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
        assertTrue(ping.contains(" 0% packet loss"), ping + "\n" + logs);
        final long before = encaps(ctl(g1, "show", "crypto", "ipsec", "sa"));
        assertTrue(before >= 3, "the pings were encrypted");

        // a steady stream; the control process of gateway A is killed in the middle of it
        final int count = 1500;
        final Path runDir = dataplaneRunDir(g1);
        final long controlPid = Long.parseLong(Files.readString(runDir.resolve("control.pid")).trim());
        final Thread killer = Thread.ofVirtual().start(() ->
        {
            try
            {
                Thread.sleep(400);
                ProcessHandle.of(controlPid).ifPresent(ProcessHandle::destroyForcibly);
            }
            catch (final InterruptedException ignored)
            {
                // the test ends
            }
        });
        final int received = stream(a, "10.1.0.10", b, "10.2.0.10", count, 1000);
        killer.join();
        assertEquals(count, received, "datagrams lost while the control process was killed\n" + logs);
        await(logs.get(0), "the control process exited", 1, 10);
        await(logs.get(0), "stale ones removed", 2, 60);
        assertTrue(logs.get(0).toString().contains("is already installed, unchanged"),
            "the restarted control process re-sent the same SAs, which were kept:\n" + logs.get(0));

        final String sa = ctl(g1, "show", "crypto", "ipsec", "sa");
        assertTrue(encaps(sa) >= before + count, sa);
        assertTrue(sa.contains("transform: esp-aes 256 esp-sha256-hmac"), sa);
        assertTrue(sa.contains("in use settings ={Transport, }"), sa);
        final String running = ctl(g1, "show", "running-config");
        assertTrue(running.contains("crypto map VPN 10 ipsec-manual"), running);
        final String counters = ctl(g2, "show", "counters");
        assertTrue(counters.contains("esp-decrypt"), counters);

        // capture what gateway A sends on its WAN port while host A pings: ESP, never the cleartext
        final Path pcap = dir.resolve("wan.pcap");
        final Process pinger = lab.spawn(a, "ping", "-c", "30", "-i", "0.1", "10.2.0.10");
        final String captured = ctl(g1, "capture", "tx", wan[0], "-w", pcap.toString(), "-c", "5", "-s", "10");
        pinger.waitFor(10, TimeUnit.SECONDS);
        assertTrue(captured.contains("captured 5 packets"), captured);
        if (java.nio.file.Files.isExecutable(Path.of("/usr/bin/tshark")))
        {
            final NetnsLab.Result r = NetnsLab.execute("tshark", "-r", pcap.toString(), "-T", "fields", "-e",
                "frame.protocols");
            assertEquals(5, r.output().lines().filter(l -> l.contains("esp")).count(), r.output());
            assertFalse(r.output().contains("icmp"), "no cleartext on the wire: " + r.output());
        }
        else
        {
            System.out.println("RunNamespaceTest: tshark missing, the capture's content is not dissected");
            assertTrue(Files.size(pcap) > 24 + 5 * 16, "five records");
        }

        // SIGTERM: both gateways stop and clean up
        for (final Process p : gateways)
        {
            p.destroy();
        }
        for (final Process p : gateways)
        {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "gateway stopped");
        }
        assertFalse(Files.exists(runDir), "run directory removed");
        final String links = lab.exec(g1, "ip", "link", "show");
        assertFalse(links.contains("xdp"), "XDP programs detached:\n" + links);
        for (final String log : logs.stream().map(StringBuffer::toString).toList())
        {
            assertFalse(log.contains(ENC_AB) || log.contains(AUTH_AB) || log.contains(ENC_BA), "no keys in the log");
        }
    }

    static String ikev2Config(final String host, final String lan, final String lanIp, final String wan,
        final String wanIp, final String peerIp, final String tunnelIp, final String remoteLan, final String psk)
    {
        return """
            hostname %s
            crypto ikev2 proposal PROP
             encryption aes-gcm-256
             prf sha256
             group 31
            crypto ikev2 keyring KR
             peer far
              address %s
              pre-shared-key %s
            crypto ikev2 profile PROF
             match identity remote address %s 255.255.255.255
             authentication local pre-share
             authentication remote pre-share
             keyring local KR
            crypto ipsec transform-set TS esp-gcm 256
             mode transport
            crypto ipsec profile IPP
             set transform-set TS
             set ikev2-profile PROF
            interface %s
             ip address %s 255.255.255.0
            interface %s
             ip address %s 255.255.255.0
            interface Tunnel0
             ip address %s 255.255.255.252
             tunnel source %s
             tunnel destination %s
             tunnel protection ipsec profile IPP
            ip route %s 255.255.255.0 Tunnel0
            """.formatted(host, peerIp, psk, peerIp, lan, lanIp, wan, wanIp, tunnelIp, wan, peerIp, remoteLan);
    }

    @Test
    void twoGatewaysProtectTheirGreTunnelWithIkev2(@TempDir final Path dir) throws Exception
    {
        final String a = lab.namespace("ha");
        final String g1 = lab.namespace("g1");
        final String g2 = lab.namespace("g2");
        final String b = lab.namespace("hb");
        final String[] la = lab.veth(a, "10.1.0.10/24", g1, null);
        final String[] wan = lab.veth(g1, null, g2, null);
        final String[] lb = lab.veth(g2, null, b, "10.2.0.10/24");
        lab.exec(a, "ip", "route", "add", "default", "via", "10.1.0.1");
        lab.exec(b, "ip", "route", "add", "default", "via", "10.2.0.1");
        final Path ca = dir.resolve("gw-a.conf");
        final Path cb = dir.resolve("gw-b.conf");
        Files.writeString(ca, ikev2Config("gw-a", la[1], "10.1.0.1", wan[0], "192.0.2.1", "192.0.2.2", "172.16.0.1",
            "10.2.0.0", "v2-secret-77"));
        Files.writeString(cb, ikev2Config("gw-b", lb[0], "10.2.0.1", wan[1], "192.0.2.2", "192.0.2.1", "172.16.0.2",
            "10.1.0.0", "v2-secret-77"));
        start(g1, ca);
        start(g2, cb);
        await(logs.get(0), "installed on Tunnel0", 1, 60);
        await(logs.get(1), "installed on Tunnel0", 1, 60);
        lab.tryExec(a, "ping", "-c", "2", "-i", "0.3", "-W", "1", "10.2.0.10");
        final String ping = lab.exec(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
        assertTrue(ping.contains(" 0% packet loss"), ping + "\n" + logs);
        final String ikev2 = ctl(g1, "show", "crypto", "ikev2", "sa");
        assertTrue(ikev2.contains("192.0.2.2"), ikev2);
        final String session = ctl(g1, "show", "crypto", "session");
        // both gateways may initiate at the same moment: one IKE SA each way, both shown
        assertTrue(session.contains("Interface: Tunnel0\nSession status: UP-ACTIVE\nPeer: 192.0.2.2 port 500\n" +
            "  IKEv2 SA: local 192.0.2.1/500 remote 192.0.2.2/500 Active\n"), session);
        // tunnel protection protects GRE between the endpoints: protocol 47 in the traffic selectors, as IOS has it
        assertTrue(session.contains("  IPSEC FLOW: permit 47 host 192.0.2.1 host 192.0.2.2\n        Active SAs: "),
            session);
        final String sa = ctl(g1, "show", "crypto", "ipsec", "sa");
        assertTrue(sa.contains("in use settings ={Transport, }") && encaps(sa) >= 3, sa);
        for (final String log : logs.stream().map(StringBuffer::toString).toList())
        {
            assertFalse(log.contains("v2-secret-77"), "no key in the log");
        }
    }

    @Test
    void theTunBackendCarriesTheKernelsPacketsToTheGatewayAndBack(@TempDir final Path dir) throws Exception
    {
        final String g = lab.namespace("gt");
        final String tun = "t" + lab.id() + "l";
        final Path config = dir.resolve("tun.conf");
        Files.writeString(config, """
            hostname gw-tun
            interface %s
             ip address 10.9.0.1 255.255.255.0
            sluice dataplane
             io backend tun
            """.formatted(tun));
        start(g, config);
        await(logs.get(0), "stale ones removed", 1, 60);
        assertTrue(logs.get(0).toString().contains("TUN device created"), logs.get(0).toString());
        lab.exec(g, "ip", "addr", "add", "10.9.0.2/24", "dev", tun);
        lab.exec(g, "ip", "link", "set", tun, "up");
        final String ping = lab.exec(g, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.9.0.1");
        assertTrue(ping.contains(" 0% packet loss"), "Sluice answers on its TUN interface: " + ping + logs);
        final String interfaces = ctl(g, "show", "interfaces");
        assertTrue(interfaces.matches("(?s).*\\b[3-9] packets input.*"), interfaces);
    }

    /**
     * Two workers on AF_XDP: one socket per worker on its queue of a two-queue veth, over one
     * UMEM; the gateway answers on it. On a one-queue interface the dataplane refuses to start
     * and says what to do.
     */
    @Test
    void twoWorkersOnAfXdpOpenASocketPerQueueAndRefuseAnInterfaceWithTooFewQueues(@TempDir final Path dir)
        throws Exception
    {
        final String g = lab.namespace("gq");
        final String h = lab.namespace("hq");
        final String gw = "q" + lab.id() + "g";
        final String host = "q" + lab.id() + "h";
        // made inside the namespaces, so they go with them whatever happens
        lab.exec(g, "ip", "link", "add", gw, "numtxqueues", "2", "numrxqueues", "2", "type", "veth", "peer", "name",
            host, "netns", h, "numtxqueues", "2", "numrxqueues", "2");
        lab.exec(g, "ip", "link", "set", gw, "up");
        lab.exec(h, "ip", "link", "set", host, "up");
        lab.exec(h, "ip", "addr", "add", "10.6.0.2/24", "dev", host);
        lab.exec(h, "ethtool", "-K", host, "tx", "off");
        final Path config = dir.resolve("mq.conf");
        Files.writeString(config, """
            hostname gw-mq
            interface %s
             ip address 10.6.0.1 255.255.255.0
            sluice dataplane
             worker cpus 0,1
            """.formatted(gw));
        start(g, config);
        await(logs.get(0), "stale ones removed", 1, 60);
        assertTrue(logs.get(0).toString().contains("interface " + gw + ": AF_XDP port open on queues 0-1"),
            logs.get(0).toString());
        final String ping = lab.exec(h, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.6.0.1");
        assertTrue(ping.contains(" 0% packet loss"), ping + logs);
        final String workers = ctl(g, "show", "workers");
        assertTrue(workers.contains("worker 0: ") && workers.contains("worker 1: "), workers);
        // native XDP on veth receives on the queue the sender transmitted on, chosen by flow hash: 32 flows
        // (UDP to a closed port, each from its own source port) reach both workers, each counts its own
        assertTrue(logs.get(0).toString().contains("(native XDP)"), logs.get(0).toString());
        for (int f = 0; f < 32; f++)
        {
            lab.exec(h, "bash", "-c", "echo x > /dev/udp/10.6.0.1/" + (7000 + f));
        }
        // the workers count as they go: ask until all 32 are counted
        final long until = System.nanoTime() + 10_000_000_000L;
        String drops;
        int workersSeen;
        long closed;
        do
        {
            drops = ctl(g, "show", "drops");
            workersSeen = 0;
            closed = 0;
            for (final String block : drops.split("(?m)^worker \\d:\\n"))
            {
                final Matcher m = Pattern.compile("ip4-local: closed-port (\\d+)").matcher(block);
                if (m.find())
                {
                    workersSeen++;
                    closed += Long.parseLong(m.group(1));
                }
            }
        }
        while (closed < 32 && System.nanoTime() < until);
        assertEquals(32, closed, drops);
        assertEquals(2, workersSeen, "both workers received some of the flows: " + drops);

        // the same with one queue: worker 1 has none to read
        final String g1 = lab.namespace("g1q");
        final String one = "q" + lab.id() + "o";
        lab.exec(g1, "ip", "link", "add", one, "type", "veth", "peer", "name", one + "p");
        lab.exec(g1, "ip", "link", "set", one, "up");
        final Path single = dir.resolve("one.conf");
        Files.writeString(single, Files.readString(config).replace(gw, one));
        final Process p = start(g1, single);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the gateway gives up");
        assertTrue(logs.get(1).toString().contains("worker 1 needs its queue 1") &&
            logs.get(1).toString().contains("ethtool -L " + one + " combined 2"), logs.get(1).toString());
    }

    /** A gateway on TUN devices that the test then moves into other namespaces (the fd stays with Sluice). */
    private static String tunGateway(final String host, final String lan, final String lanIp, final String wan,
        final String wanIp, final String routerIp, final String peerIp, final String remoteLan, final int inSpi,
        final int outSpi, final String inKeys, final String outKeys, final String cpus)
    {
        return """
            hostname %s
            interface %s
             ip address %s 255.255.255.0
            interface %s
             ip address %s 255.255.255.252
             crypto map VPN
            crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
            access-list 110 permit ip %s 0.0.0.255 %s 0.0.0.255
            crypto map VPN 10 ipsec-manual
             set peer %s
             set transform-set TS
             match address 110
             set session-key inbound esp %d %s
             set session-key outbound esp %d %s
            ip route 192.0.2.0 255.255.255.0 %s
            sluice dataplane
             io backend tun
             worker cpus %s
            """.formatted(host, lan, lanIp, wan, wanIp, lanIp.replaceAll("\\.1$", ".0"), remoteLan, peerIp, inSpi,
            inKeys, outSpi, outKeys, routerIp, cpus);
    }

    /**
     * Two workers: gateway A runs a worker per CPU on multi-queue TUN devices, so the kernel spreads
     * host A's flows over both workers' queues by flow hash; the one outbound SA is owned by one
     * worker and the other hands its packets over (no copy) instead of touching the SA. Every
     * datagram of 16 flows arrives through ESP at host B, and `show workers` shows the handoff.
     */
    @Test
    void twoWorkersShareAnSaByHandingItsPacketsToTheOwner(@TempDir final Path dir) throws Exception
    {
        final String ha = lab.namespace("ha");
        final String g1 = lab.namespace("g1");
        final String r = lab.namespace("rt");
        final String g2 = lab.namespace("g2");
        final String hb = lab.namespace("hb");
        final String id = String.valueOf(lab.id());
        final String aLan = "a" + id + "l";
        final String aWan = "a" + id + "w";
        final String bLan = "b" + id + "l";
        final String bWan = "b" + id + "w";
        final Path ca = dir.resolve("gw-a.conf");
        final Path cb = dir.resolve("gw-b.conf");
        Files.writeString(ca, tunGateway("gw-a", aLan, "10.1.0.1", aWan, "192.0.2.1", "192.0.2.2", "192.0.2.5",
            "10.2.0.0", 0x2001, 0x1001, "cipher " + ENC_BA + " authenticator " + AUTH_BA,
            "cipher " + ENC_AB + " authenticator " + AUTH_AB, "0,1"));
        Files.writeString(cb, tunGateway("gw-b", bLan, "10.2.0.1", bWan, "192.0.2.5", "192.0.2.6", "192.0.2.1",
            "10.1.0.0", 0x1001, 0x2001, "cipher " + ENC_AB + " authenticator " + AUTH_AB,
            "cipher " + ENC_BA + " authenticator " + AUTH_BA, "1"));
        start(g1, ca);
        start(g2, cb);
        await(logs.get(0), "stale ones removed", 1, 60);
        await(logs.get(1), "stale ones removed", 1, 60);
        assertTrue(logs.get(0).toString().contains("2 workers on CPUs [0, 1]"), logs.get(0).toString());
        // the TUN devices' kernel sides go where the hosts and the router are
        move(g1, aLan, ha, "10.1.0.10/24");
        move(g1, aWan, r, "192.0.2.2/30");
        move(g2, bLan, hb, "10.2.0.10/24");
        move(g2, bWan, r, "192.0.2.6/30");
        lab.exec(ha, "ip", "route", "add", "default", "dev", aLan);
        lab.exec(hb, "ip", "route", "add", "default", "dev", bLan);
        lab.exec(r, "sysctl", "-qw", "net.ipv4.ip_forward=1");

        final String ping = lab.exec(ha, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
        assertTrue(ping.contains(" 0% packet loss"), ping + "\n" + logs);

        final int flows = 16;
        final int each = 100;
        final int received = streams(ha, "10.1.0.10", hb, "10.2.0.10", flows, each, 600, 4);
        assertEquals(flows * each, received, "datagrams lost\n" + logs + ctl(g1, "show", "workers"));
        final String workers = ctl(g1, "show", "workers");
        System.out.print("gateway A, show workers:\n" + workers);
        final Matcher m = Pattern.compile("worker (\\d): handed over (\\d+), received (\\d+)").matcher(workers);
        long handed = 0;
        long taken = 0;
        int lines = 0;
        while (m.find())
        {
            lines++;
            handed += Long.parseLong(m.group(2));
            taken += Long.parseLong(m.group(3));
        }
        assertEquals(2, lines, workers);
        assertTrue(handed > 0, "the kernel spread 16 flows over both queues; the non-owner handed over: " + workers);
        assertEquals(handed, taken, "every packet handed over was taken by the owner: " + workers);
        final String sa = ctl(g1, "show", "crypto", "ipsec", "sa");
        assertTrue(encaps(sa) >= (long)flows * each, "one SA counted every packet, whichever worker got it: " + sa);
    }

    private void move(final String from, final String link, final String to, final String address)
    {
        lab.exec(from, "ip", "link", "set", link, "netns", to);
        lab.exec(to, "ip", "addr", "add", address, "dev", link);
        lab.exec(to, "ip", "link", "set", link, "up");
    }

    /**
     * {@code flows} UDP flows (a source port each), {@code each} numbered datagrams per flow,
     * interleaved, a millisecond's pause after every {@code burst}; returns how many distinct ones arrived.
     */
    private static int streams(final String fromNs, final String fromIp, final String toNs, final String toIp,
        final int flows, final int each, final int size, final int burst) throws Exception
    {
        final List<DatagramChannel> senders = new ArrayList<>();
        try (DatagramChannel rx = open(toNs, new InetSocketAddress(toIp, 9200)))
        {
            for (int f = 0; f < flows; f++)
            {
                senders.add(open(fromNs, new InetSocketAddress(fromIp, 0)));
            }
            rx.configureBlocking(false);
            rx.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
            final int count = flows * each;
            final boolean[] seen = new boolean[count];
            int received = 0;
            final ByteBuffer in = ByteBuffer.allocate(2048);
            final ByteBuffer out = ByteBuffer.allocate(size);
            for (int i = 0; i < count; i++)
            {
                out.clear();
                out.putInt(i);
                out.position(size);
                out.flip();
                senders.get(i % flows).send(out, new InetSocketAddress(toIp, 9200));
                received += drain(rx, in, seen);
                if (i % burst == 0)
                {
                    Thread.sleep(1);
                }
            }
            final long deadline = System.nanoTime() + 3_000_000_000L;
            while (received < count && System.nanoTime() < deadline)
            {
                received += drain(rx, in, seen);
                Thread.sleep(1);
            }
            return received;
        }
        finally
        {
            for (final DatagramChannel c : senders)
            {
                c.close();
            }
        }
    }

    private static Path dataplaneRunDir(final String ns) throws Exception
    {
        return io.sluice.dataplane.run.RunDirectory.forNamespace(ns);
    }

    /** Sends numbered datagrams paced at one per millisecond and returns how many distinct ones arrived. */
    private static int stream(final String fromNs, final String fromIp, final String toNs, final String toIp,
        final int count, final int size) throws Exception
    {
        return streams(fromNs, fromIp, toNs, toIp, 1, count, size, 1);
    }

    private static int drain(final DatagramChannel rx, final ByteBuffer in, final boolean[] seen) throws Exception
    {
        int n = 0;
        while (true)
        {
            in.clear();
            if (rx.receive(in) == null)
            {
                return n;
            }
            final int i = in.getInt(0);
            if (i >= 0 && i < seen.length && !seen[i])
            {
                seen[i] = true;
                n++;
            }
        }
    }

    private static DatagramChannel open(final String ns, final InetSocketAddress bind) throws Exception
    {
        try (NetNs ignored = NetNs.enter(ns))
        {
            final DatagramChannel ch = DatagramChannel.open();
            ch.bind(bind);
            return ch;
        }
    }
}
