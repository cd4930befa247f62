package io.sluice.dataplane.wire;

import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.l2tp.L2tpSession;
import io.sluice.dataplane.port.Port;
import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import io.sluice.dataplane.testing.TestPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.sluice.dataplane.testing.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wire checks against independent implementations (the ladder's rung 2): tshark dissects what
 * the dataplane transmits for GRE, keyed GRE, L2TPv2 and L2TPv3 over IP and UDP, and scapy
 * builds the same encapsulations for the dataplane to receive.
 */
class WireCheckTest
{
    private static final Path TSHARK = Path.of("/usr/bin/tshark");
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    private static final int GRE_PEER = ip("198.51.100.2");
    private static final int GRE_KEY_PEER = ip("198.51.100.3");
    private static final int KEY = 0x01020304;
    private static final int LAC = ip("198.51.100.20");
    private static final int V3_IP_PEER = ip("198.51.100.9");
    private static final int V3_UDP_PEER = ip("198.51.100.10");
    private static final long CUSTOMER_A = 0x02cc_0000_0001L;
    private static final long CUSTOMER_B = 0x02dd_0000_0002L;

    @TempDir
    Path dir;

    private final Rig rig = new Rig();
    private final TestPort xcIp = new TestPort("xc-ip", Port.LinkType.ETHERNET, rig.pool);
    private final TestPort xcUdp = new TestPort("xc-udp", Port.LinkType.ETHERNET, rig.pool);

    @BeforeEach
    void setUp()
    {
        rig.learnNeighbours();
        final Interface gre = rig.dp.addGreTunnel("Tunnel0", Rig.WAN_IP, GRE_PEER, null, false);
        rig.dp.addRoute(ip("10.2.0.0"), 16, gre, 0);
        final Interface keyed = rig.dp.addGreTunnel("Tunnel1", Rig.WAN_IP, GRE_KEY_PEER, KEY, false);
        rig.dp.addRoute(ip("10.3.0.0"), 16, keyed, 0);
        final Interface v2 = rig.dp.addL2tpv2Session("Virtual-Access1", Rig.WAN_IP, LAC, 100, 200, 300, 400, false, false);
        rig.dp.addRoute(ip("10.4.0.0"), 16, v2, 0);
        final Interface v2s = rig.dp.addL2tpv2Session("Virtual-Access2", Rig.WAN_IP, LAC, 101, 201, 301, 401, true, true);
        rig.dp.addRoute(ip("10.5.0.0"), 16, v2s, 0);
        rig.dp.addL2tpv3Xconnect(rig.dp.addEthernet("xc0", xcIp, 0x0200_0000_0011L), L2tpSession.Encapsulation.IP,
            Rig.WAN_IP, V3_IP_PEER, 0x1001, 0x2002, 0x1122334455667788L, 0x8877665544332211L, 8);
        rig.dp.addL2tpv3Xconnect(rig.dp.addEthernet("xc1", xcUdp, 0x0200_0000_0012L), L2tpSession.Encapsulation.UDP,
            Rig.WAN_IP, V3_UDP_PEER, 0x3003, 0x4004, 0xcafebabeL, 0xdeadbeefL, 4);
    }

    @AfterEach
    void tearDown()
    {
        rig.close();
    }

    // ------------------------------------------------------------------ what we send, read by tshark

    private List<byte[]> sendFromHost(final int... destinations)
    {
        int n = 0;
        for (final int dst : destinations)
        {
            rig.lan.inject(Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800,
                Packets.ipv4(Rig.HOST_IP, dst, 17, 64, 0x100 + n, 0, Packets.udp(40000, 9, Packets.pattern(64 + n, n)))));
            n++;
        }
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(destinations.length, out.size(), rig.dp.dropSummary());
        return out;
    }

    private static byte[] customerFrame(final int seed)
    {
        return Packets.ethernet(CUSTOMER_A, CUSTOMER_B, 0x0800, Packets.ipv4(ip("192.168.7.1"), ip("192.168.7.2"), 17,
            64, seed, 0, Packets.udp(1000, 2000, Packets.pattern(100 + seed, seed))));
    }

    @Test
    void tsharkReadsOurGreAndKeyedGre() throws Exception
    {
        assumeTshark();
        final Path pcap = writePcap("gre", sendFromHost(ip("10.2.0.5"), ip("10.3.0.5")));
        assertWellFormed(pcap);
        final List<String> rows = fields(pcap, List.of(), "ip.src", "ip.dst", "ip.proto", "gre.flags.key", "gre.key",
            "gre.proto", "udp.dstport");
        assertEquals(List.of(
            "192.0.2.1,10.1.0.10|198.51.100.2,10.2.0.5|47,17|0||0x0800|9",
            "192.0.2.1,10.1.0.10|198.51.100.3,10.3.0.5|47,17|1|0x01020304|0x0800|9"), rows);
    }

    @Test
    void tsharkReadsOurL2tpv2Ppp() throws Exception
    {
        assumeTshark();
        final Path pcap = writePcap("l2tpv2", sendFromHost(ip("10.4.0.5"), ip("10.5.0.5"), ip("10.5.0.6")));
        assertWellFormed(pcap);
        final List<String> rows = fields(pcap, List.of(), "ip.dst", "udp.srcport", "udp.dstport", "l2tp.version",
            "l2tp.length_bit", "l2tp.seq_bit", "l2tp.length", "l2tp.tunnel", "l2tp.session", "l2tp.Ns", "ppp.address",
            "ppp.protocol");
        assertEquals(List.of(
            "198.51.100.20,10.4.0.5|1701,40000|1701,9|2|0|0||300|400||0xff|0x0021",
            "198.51.100.20,10.5.0.5|1701,40000|1701,9|2|1|1|109|301|401|0|0xff|0x0021",
            "198.51.100.20,10.5.0.6|1701,40000|1701,9|2|1|1|110|301|401|1|0xff|0x0021"), rows);
    }

    @Test
    void tsharkReadsOurL2tpv3OverIpWithEightByteCookie() throws Exception
    {
        assumeTshark();
        xcIp.inject(customerFrame(1));
        xcIp.inject(customerFrame(2));
        rig.step();
        final Path pcap = writePcap("l2tpv3ip", rig.wan.takeSent());
        final List<String> prefs = List.of("-o", "l2tp.cookie_size:8 Byte Cookie", "-o", "l2tp.l2_specific:None",
            "-d", "l2tp.pw_type==0,eth");
        assertWellFormed(pcap, prefs);
        final List<String> rows = fields(pcap, prefs, "ip.proto", "ip.dst", "l2tp.sid", "l2tp.cookie", "eth.dst", "eth.src",
            "udp.length");
        assertEquals(List.of(
            "115,17|198.51.100.9,192.168.7.2|0x00002002|8877665544332211|02:bb:00:00:00:fe,02:cc:00:00:00:01|02:00:00:00:00:02,02:dd:00:00:00:02|109",
            "115,17|198.51.100.9,192.168.7.2|0x00002002|8877665544332211|02:bb:00:00:00:fe,02:cc:00:00:00:01|02:00:00:00:00:02,02:dd:00:00:00:02|110"),
            rows);
    }

    @Test
    void tsharkReadsOurL2tpv3OverUdpWithFourByteCookie() throws Exception
    {
        assumeTshark();
        xcUdp.inject(customerFrame(3));
        rig.step();
        final Path pcap = writePcap("l2tpv3udp", rig.wan.takeSent());
        final List<String> prefs = List.of("-o", "l2tp.cookie_size:4 Byte Cookie", "-o", "l2tp.l2_specific:None",
            "-d", "l2tp.pw_type==0,eth");
        assertWellFormed(pcap, prefs);
        final List<String> rows = fields(pcap, prefs, "ip.dst", "udp.port", "l2tp.version", "l2tp.sid", "l2tp.ccid",
            "l2tp.cookie", "eth.dst", "udp.length");
        assertEquals(List.of(
            "198.51.100.10,192.168.7.2|1701,1701,1000,2000|3|0x00004004||deadbeef|02:bb:00:00:00:fe,02:cc:00:00:00:01|165,111"),
            rows);
    }

    // ------------------------------------------------------------------ what scapy builds, received by us

    private static final String SCAPY_CASES = """
        import struct
        from scapy.all import *
        conf.verb = 0
        WAN, ROUTER = '02:00:00:00:00:02', '02:bb:00:00:00:fe'
        LAN, HOST = '02:00:00:00:00:01', '02:aa:00:00:00:10'
        def inner(src, ttl):
            return IP(src=src, dst='10.1.0.10', ttl=ttl, id=0x4d2) / UDP(sport=5000, dport=40000) / Raw(b'scapy payload' * 3)
        def routed(name, src, encap):
            frame = Ether(dst=WAN, src=ROUTER) / encap / inner(src, 64)
            expected = Ether(dst=HOST, src=LAN) / inner(src, 63)
            print(name, 'lan', bytes(frame).hex(), bytes(expected).hex())
        customer = Ether(dst='02:cc:00:00:00:01', src='02:dd:00:00:00:02') / IP(src='192.168.7.1', dst='192.168.7.2') / ICMP() / Raw(b'x' * 56)
        routed('gre', '10.2.0.5', IP(src='198.51.100.2', dst='192.0.2.1') / GRE())
        routed('gre-key', '10.3.0.5', IP(src='198.51.100.3', dst='192.0.2.1') / GRE(key_present=1, key=0x01020304))
        routed('gre-key-checksum', '10.3.0.6', IP(src='198.51.100.3', dst='192.0.2.1') / GRE(chksum_present=1, key_present=1, key=0x01020304))
        routed('l2tpv2', '10.4.0.5', IP(src='198.51.100.20', dst='192.0.2.1') / UDP(sport=1701, dport=1701) / L2TP(tunnel_id=100, session_id=200) / HDLC() / PPP(proto=0x21))
        routed('l2tpv2-length-sequence', '10.4.0.6', IP(src='198.51.100.20', dst='192.0.2.1') / UDP(sport=1701, dport=1701) / L2TP(hdr='length+sequence', tunnel_id=100, session_id=200, ns=7, nr=3) / PPP(proto=0x21))
        v3ip = Ether(dst=WAN, src=ROUTER) / IP(src='198.51.100.9', dst='192.0.2.1', proto=115) / Raw(struct.pack('>IQ', 0x1001, 0x1122334455667788)) / customer
        print('l2tpv3-ip', 'xc-ip', bytes(v3ip).hex(), bytes(customer).hex())
        v3udp = Ether(dst=WAN, src=ROUTER) / IP(src='198.51.100.10', dst='192.0.2.1') / UDP(sport=1701, dport=1701) / Raw(struct.pack('>HHII', 3, 0, 0x3003, 0xcafebabe)) / customer
        print('l2tpv3-udp', 'xc-udp', bytes(v3udp).hex(), bytes(customer).hex())
        """;

    @Test
    void receivesGreL2tpv2AndL2tpv3BuiltByScapy() throws Exception
    {
        assumeScapy();
        final Path script = dir.resolve("cases.py");
        Files.writeString(script, SCAPY_CASES.stripIndent());
        final String out = run(List.of(PYTHON.toString(), script.toString()));
        final Map<String, TestPort> ports = new LinkedHashMap<>();
        ports.put("lan", rig.lan);
        ports.put("xc-ip", xcIp);
        ports.put("xc-udp", xcUdp);
        final List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(7, lines.size(), out);
        for (final String line : lines)
        {
            final String[] f = line.trim().split(" ");
            final String name = f[0];
            final TestPort port = ports.get(f[1]);
            final byte[] frame = HexFormat.of().parseHex(f[2]);
            final byte[] expected = HexFormat.of().parseHex(f[3]);
            rig.wan.inject(frame);
            rig.step();
            final List<byte[]> sent = port.takeSent();
            assertEquals(1, sent.size(), name + ": " + rig.dp.dropSummary());
            assertArrayEquals(expected, sent.get(0), name + ": the inner packet as scapy built it");
            for (final TestPort other : ports.values())
            {
                assertTrue(other.takeSent().isEmpty(), name + ": nothing else sent");
            }
            assertTrue(rig.wan.takeSent().isEmpty(), name);
        }
        assertEquals("", rig.dp.dropSummary().replaceAll("(?m)^arp-input: learned-only \\d+\n", ""));
    }

    // ------------------------------------------------------------------ tools

    private static void assumeTshark()
    {
        if (!Files.isExecutable(TSHARK))
        {
            System.out.println("SKIPPED WireCheckTest: " + TSHARK + " is missing; install tshark (apt-get install tshark)");
        }
        Assumptions.assumeTrue(Files.isExecutable(TSHARK), TSHARK + " is missing");
    }

    private static void assumeScapy() throws InterruptedException
    {
        boolean present = false;
        if (Files.isExecutable(PYTHON))
        {
            try
            {
                final Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import scapy.all").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                present = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
            }
            catch (final IOException e)
            {
                present = false;
            }
        }
        if (!present)
        {
            System.out.println("SKIPPED WireCheckTest: scapy is missing; install it (apt-get install python3-scapy)");
        }
        Assumptions.assumeTrue(present, "scapy is missing");
    }

    private Path writePcap(final String name, final List<byte[]> frames) throws IOException
    {
        return io.sluice.dataplane.testing.TestPcap.write(dir, name, frames);
    }

    private static List<String> tshark(final Path pcap, final List<String> prefs)
    {
        final List<String> command = new ArrayList<>(List.of(TSHARK.toString(), "-n", "-r", pcap.toString(),
            "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"));
        command.addAll(prefs);
        return command;
    }

    private static void assertWellFormed(final Path pcap) throws Exception
    {
        assertWellFormed(pcap, List.of());
    }

    private static void assertWellFormed(final Path pcap, final List<String> prefs) throws Exception
    {
        final List<String> command = tshark(pcap, prefs);
        command.add("-V");
        final String verbose = run(command);
        assertFalse(verbose.isBlank());
        assertFalse(verbose.contains("Malformed"), verbose);
        assertFalse(verbose.contains("Expert Info (Error"), verbose);
        assertFalse(verbose.contains("Expert Info (Warning"), verbose);
        assertFalse(verbose.contains("[Checksum Status: Bad]"), verbose);
    }

    /** One row per frame, the fields separated by '|', repeated fields joined by ','. */
    private static List<String> fields(final Path pcap, final List<String> prefs, final String... fields) throws Exception
    {
        final List<String> command = tshark(pcap, prefs);
        command.addAll(List.of("-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (final String f : fields)
        {
            command.add("-e");
            command.add(f);
        }
        final String out = run(command);
        return out.lines().toList();
    }

    private static String run(final List<String> command) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(command).start();
        try
        {
            final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            final Thread drain = Thread.ofVirtual().start(() ->
            {
                try
                {
                    p.getErrorStream().transferTo(err);
                }
                catch (final IOException ignored)
                {
                    // the process is gone
                }
            });
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "did not finish: " + command);
            drain.join();
            assertEquals(0, p.exitValue(), "exit status of " + command + "\n" + out + "\n" + err);
            return out;
        }
        finally
        {
            p.destroyForcibly();
        }
    }
}
