package io.sluice.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code sluice bench baseline-strongswan|baseline-wireguard}: what a user would run here instead
 * of Sluice, measured on this machine. Two network namespaces joined by a veth pair (MTU 1600, as
 * the ESP scenarios' lab), each running one end of the VPN in user space over TUN: strongSwan's
 * charon with kernel-libipsec (IKEv2 PSK, ESP AES-GCM-128 tunnel mode, which it always sends in UDP
 * 4500; each charon in its own mount namespace with a private /run and vici socket), or
 * wireguard-go. iperf3 runs between the two ends' inner addresses (10.1.0.1 -> 10.2.0.1) through
 * the tunnel: TCP with the MSS of a 1400-byte frame, UDP (unlimited rate) with the payload of a
 * 1400-byte frame and of each IMIX size (64/570/1518; the IMIX rate is their 7:4:1 time-weighted
 * mix, as the crypto limit is). Tunnel MTU 1500, so a 1518-byte frame's packet goes whole.
 * <p>
 * Rates are counted like the forwarding benchmarks': packets that arrived, at the Ethernet frame
 * size (with FCS) a packet of that size takes, so that they compare with Sluice's Gbit/s. Unlike
 * Sluice's single forwarder core, both ends, both iperf3s and the kernel share the two CPUs, each
 * end doing one direction's crypto: an end-to-end number, as a user would see it.
 */
final class VpnBaseline
{
    static final List<String> NAMES = List.of("baseline-strongswan", "baseline-wireguard");
    private static final String CHARON = "/usr/lib/ipsec/charon";
    private static final String LEFT_INNER = "10.1.0.1";
    private static final String RIGHT_INNER = "10.2.0.1";

    /** One protocol at one size: frame Gbit/s and Mpps (median over runs), iperf3's goodput, UDP loss. */
    record Point(String protocol, FrameSize size, double gbps, double mpps, double goodputGbps, double loss)
    {
        String json()
        {
            return "{\"protocol\":" + Json.quote(protocol) + ",\"size\":" + size.json() + ",\"gbps\":" +
                Stats.num(gbps) + ",\"mpps\":" + Stats.num(mpps) + ",\"goodputGbps\":" + Stats.num(goodputGbps) +
                ",\"loss\":" + Stats.num(loss) + "}";
        }
    }

    record Result(String name, String system, String version, List<Point> points, String error)
    {
        double gbps(final String protocol, final FrameSize size)
        {
            return points.stream().filter(p -> p.protocol().equals(protocol) && p.size().equals(size))
                .mapToDouble(Point::gbps).findFirst().orElse(Double.NaN);
        }

        String json()
        {
            final StringBuilder sb = new StringBuilder("{\"name\":").append(Json.quote(name)).append(",\"system\":")
                .append(Json.quote(system)).append(",\"version\":").append(Json.quote(version))
                .append(",\"error\":").append(error == null ? "null" : Json.quote(error)).append(",\"points\":[");
            for (int i = 0; i < points.size(); i++)
            {
                sb.append(i > 0 ? "," : "").append(points.get(i).json());
            }
            return sb.append("]}").toString();
        }

        String text()
        {
            if (error != null)
            {
                return "  " + name + ": not measured: " + error + "\n";
            }
            final StringBuilder sb = new StringBuilder();
            for (final Point p : points)
            {
                sb.append(String.format(Locale.ROOT, "  %-20s %s %-4s %5s: %.3f Mpps %.2f Gbit/s (iperf3 goodput %.2f, " +
                    "loss %.1f %%)%n", name, system, p.protocol(), p.size().label(), p.mpps(), p.gbps(), p.goodputGbps(),
                    p.loss() * 100));
            }
            return sb.toString();
        }
    }

    private VpnBaseline()
    {
    }

    /** {@code sluice bench baseline-...}: one system, printed and optionally written as JSON. */
    static int main(final String name, final String[] args) throws InterruptedException
    {
        final IoBench.Options o = IoBench.Options.parse(args);
        final Result r = measure(name, o.seconds(), o.runs());
        System.out.print(r.text());
        if (o.json() != null)
        {
            IoBench.write(o.json(), r.json());
        }
        return r.error() == null ? 0 : 1;
    }

    /** Why a system cannot be measured here, or null. */
    static String missing(final String name)
    {
        final List<String> need = new ArrayList<>(List.of("iperf3"));
        need.addAll(name.equals("baseline-strongswan") ? List.of("swanctl") : List.of("wireguard-go", "wg"));
        for (final String tool : need)
        {
            if (BenchLab.which(tool) == null)
            {
                return tool + " is not installed (apt-get install iperf3 strongswan strongswan-swanctl " +
                    "libcharon-extra-plugins wireguard-go wireguard-tools)";
            }
        }
        if (name.equals("baseline-strongswan") && !Files.isExecutable(Path.of(CHARON)))
        {
            return CHARON + " is not installed (apt-get install strongswan libcharon-extra-plugins)";
        }
        return null;
    }

    static Result measure(final String name, final int seconds, final int runs) throws InterruptedException
    {
        if (!NAMES.contains(name))
        {
            throw new IllegalArgumentException("unknown baseline '" + name + "'; expected one of " + NAMES);
        }
        final boolean swan = name.equals("baseline-strongswan");
        final String system = swan ? "strongswan-libipsec" : "wireguard-go";
        String why = BenchLab.unavailableReason(io.sluice.ffi.libc.Libc.geteuid() == 0);
        if (why == null)
        {
            why = missing(name);
        }
        if (why != null)
        {
            return new Result(name, system, "", List.of(), why);
        }
        final String version = swan ? "strongSwan " + packageVersion("strongswan-charon") + ", kernel-libipsec" :
            firstLine(BenchLab.run("wireguard-go", "--version"));
        Path dir = null;
        try (BenchLab lab = BenchLab.create())
        {
            dir = Files.createTempDirectory("sluice-vpn-");
            final String left = lab.namespace("vl");
            final String right = lab.namespace("vr");
            final String[] veth = lab.veth(left, "l", right, "r", Scenario.LAB_MTU);
            BenchLab.run("ip", "-n", left, "addr", "add", "192.0.2.1/24", "dev", veth[0]);
            BenchLab.run("ip", "-n", right, "addr", "add", "192.0.2.2/24", "dev", veth[1]);
            BenchLab.run("ip", "-n", left, "addr", "add", LEFT_INNER + "/32", "dev", "lo");
            BenchLab.run("ip", "-n", right, "addr", "add", RIGHT_INNER + "/32", "dev", "lo");
            if (swan)
            {
                strongswan(lab, dir, left, right);
            }
            else
            {
                wireguard(lab, dir, left, right);
            }
            System.out.println("bench " + name + ": " + version + " up between " + left + " and " + right +
                "; iperf3 " + LEFT_INNER + " -> " + RIGHT_INNER + ", " + runs + " run(s) of " + seconds + " s");
            final List<Point> points = new ArrayList<>();
            final FrameSize f1400 = FrameSize.of(1400);
            points.add(median(runs, () -> tcp(lab, left, right, f1400, seconds)));
            points.add(median(runs, () -> udp(lab, left, right, f1400, seconds)));
            final List<Point> mix = new ArrayList<>();
            for (final int wire : FrameSize.IMIX.sizes())
            {
                mix.add(wire == 1400 ? points.get(1) : median(runs, () -> udp(lab, left, right, FrameSize.of(wire),
                    seconds)));
            }
            points.add(imix(mix));
            return new Result(name, system, version, points, null);
        }
        catch (final BenchException | IOException e)
        {
            return new Result(name, system, version, List.of(), e.getMessage());
        }
        finally
        {
            deleteTree(dir);
        }
    }

    private interface Once
    {
        Point get() throws InterruptedException;
    }

    private static Point median(final int runs, final Once once) throws InterruptedException
    {
        final List<Point> all = new ArrayList<>();
        for (int i = 0; i < runs; i++)
        {
            all.add(once.get());
        }
        all.sort(Comparator.comparingDouble(Point::mpps));
        return all.get(all.size() / 2);
    }

    /** The IMIX rate from the rates at 64, 570 and 1518: per-packet times mixed 7:4:1. */
    static Point imix(final List<Point> bySize)
    {
        double time = 0;
        double loss = 0;
        int frames = 0;
        for (int k = 0; k < bySize.size(); k++)
        {
            final int w = FrameSize.IMIX.weight()[k];
            time += w / bySize.get(k).mpps();
            loss += w * bySize.get(k).loss();
            frames += w;
        }
        final double mpps = frames / time;
        final double gbps = mpps * FrameSize.IMIX.meanBytes() * 8 / 1000;
        return new Point("udp", FrameSize.IMIX, Stats.round4(gbps), Stats.round4(mpps), Double.NaN, loss / frames);
    }

    private static Point tcp(final BenchLab lab, final String left, final String right, final FrameSize size,
        final int seconds) throws InterruptedException
    {
        final int mss = size.sizes()[0] - 18 - 40;
        final Map<String, Object> end = iperf(lab, left, right, seconds, "-M", Integer.toString(mss));
        final double goodput = Json.number(Json.object(end.get("sum_received")).get("bits_per_second"));
        final double mpps = goodput / (mss * 8.0) / 1e6;
        return new Point("tcp", size, Stats.round4(mpps * size.sizes()[0] * 8 / 1000), Stats.round4(mpps),
            Stats.round4(goodput / 1e9), 0);
    }

    private static Point udp(final BenchLab lab, final String left, final String right, final FrameSize size,
        final int seconds) throws InterruptedException
    {
        final int payload = size.sizes()[0] - 18 - 28;
        final Map<String, Object> end = iperf(lab, left, right, seconds, "-u", "-b", "0", "-l",
            Integer.toString(payload));
        final Map<String, Object> sum = Json.object(end.get("sum"));
        final double packets = Json.number(sum.get("packets"));
        final double lost = Json.number(sum.get("lost_packets"));
        final double secs = Json.number(sum.get("seconds"));
        final double mpps = (packets - lost) / secs / 1e6;
        return new Point("udp", size, Stats.round4(mpps * size.sizes()[0] * 8 / 1000), Stats.round4(mpps),
            Stats.round4((packets - lost) * payload * 8 / secs / 1e9), packets > 0 ? lost / packets : 0);
    }

    /** One iperf3 test through the tunnel; its JSON's "end". */
    private static Map<String, Object> iperf(final BenchLab lab, final String left, final String right,
        final int seconds, final String... more) throws InterruptedException
    {
        final BenchLab.Child server = lab.spawn("iperf3-server", right, List.of("iperf3", "-s", "-B", RIGHT_INNER,
            "-1"));
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", left, "iperf3", "-c", RIGHT_INNER, "-B",
            LEFT_INNER, "-t", Integer.toString(seconds), "-J"));
        cmd.addAll(List.of(more));
        String out = "";
        for (int attempt = 0; attempt < 20; attempt++)
        {
            Thread.sleep(150); // the server's socket
            try
            {
                out = BenchLab.run(cmd.toArray(String[]::new));
                break;
            }
            catch (final BenchException e)
            {
                out = e.getMessage();
                if (!out.contains("refused") && !out.contains("unable to connect"))
                {
                    break;
                }
            }
        }
        server.process().destroy();
        server.process().waitFor();
        final int brace = out.indexOf('{');
        if (brace < 0)
        {
            throw new BenchException("iperf3 " + String.join(" ", more) + " through the tunnel failed: " + out);
        }
        final Map<String, Object> r = Json.object(Json.parse(out.substring(brace)));
        if (r.get("error") != null)
        {
            throw new BenchException("iperf3 " + String.join(" ", more) + ": " + r.get("error"));
        }
        return Json.object(r.get("end"));
    }

    private static void strongswan(final BenchLab lab, final Path dir, final String left, final String right)
        throws IOException, InterruptedException
    {
        final String[][] ends = {{left, "192.0.2.1", "192.0.2.2", LEFT_INNER, RIGHT_INNER},
            {right, "192.0.2.2", "192.0.2.1", RIGHT_INNER, LEFT_INNER}};
        final List<Path> confs = new ArrayList<>();
        for (final String[] e : ends)
        {
            final Path d = Files.createDirectories(dir.resolve(e[0]));
            final Path conf = d.resolve("strongswan.conf");
            Files.writeString(conf, """
                charon {
                  filelog {
                    bench {
                      path = %1$s/charon.log
                      default = 1
                    }
                  }
                  load = random nonce openssl aes sha1 sha2 hmac gmp kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici updown
                  plugins {
                    vici {
                      socket = unix://%1$s/charon.vici
                    }
                  }
                }
                swanctl {
                  socket = unix://%1$s/charon.vici
                }
                """.formatted(d));
            Files.writeString(d.resolve("swanctl.conf"), """
                connections {
                  bench {
                    version = 2
                    local_addrs = %s
                    remote_addrs = %s
                    proposals = aes128gcm16-prfsha256-ecp256
                    local {
                      auth = psk
                      id = %1$s
                    }
                    remote {
                      auth = psk
                      id = %2$s
                    }
                    children {
                      net {
                        local_ts = %s/32
                        remote_ts = %s/32
                        esp_proposals = aes128gcm16
                        mode = tunnel
                        start_action = none
                      }
                    }
                  }
                }
                secrets {
                  ike-bench {
                    id-a = 192.0.2.1
                    id-b = 192.0.2.2
                    secret = "sluice-bench-%s"
                  }
                }
                """.formatted(e[1], e[2], e[3], e[4], lab.id()));
            lab.spawn("charon-" + e[0], e[0], List.of("env", "STRONGSWAN_CONF=" + conf, "unshare", "-m",
                "--propagation", "private", "sh", "-c", "mount -t tmpfs tmpfs /run && exec " + CHARON));
            confs.add(d);
        }
        for (final Path d : confs)
        {
            final String uri = "unix://" + d.resolve("charon.vici");
            final long until = System.nanoTime() + 15_000_000_000L;
            while (true)
            {
                try
                {
                    BenchLab.run("env", "STRONGSWAN_CONF=" + d.resolve("strongswan.conf"), "swanctl", "--stats",
                        "--uri", uri);
                    break;
                }
                catch (final BenchException e)
                {
                    if (System.nanoTime() > until)
                    {
                        throw new BenchException("charon's vici socket " + uri + " did not come up: " + e.getMessage());
                    }
                    Thread.sleep(100);
                }
            }
            BenchLab.run("env", "STRONGSWAN_CONF=" + d.resolve("strongswan.conf"), "swanctl", "--load-all", "--file",
                d.resolve("swanctl.conf").toString(), "--uri", uri);
        }
        final Path l = confs.get(0);
        BenchLab.run("env", "STRONGSWAN_CONF=" + l.resolve("strongswan.conf"), "swanctl", "--initiate", "--child",
            "net", "--timeout", "20", "--uri", "unix://" + l.resolve("charon.vici"));
        // kernel-libipsec's TUN comes up with MTU 1400; 1500 lets a 1518-byte frame's packet through whole
        for (final String ns : new String[]{left, right})
        {
            BenchLab.run("ip", "-n", ns, "link", "set", "ipsec0", "mtu", "1500");
        }
    }

    private static void wireguard(final BenchLab lab, final Path dir, final String left, final String right)
        throws IOException, InterruptedException
    {
        final String[] ifs = {"sb" + lab.id() + "wl", "sb" + lab.id() + "wr"};
        final String[] ns = {left, right};
        final String[] addr = {"192.0.2.1", "192.0.2.2"};
        final String[] inner = {LEFT_INNER, RIGHT_INNER};
        final Path[] keys = new Path[2];
        final String[] pub = new String[2];
        for (int i = 0; i < 2; i++)
        {
            keys[i] = dir.resolve("key" + i);
            Files.writeString(keys[i], BenchLab.run("wg", "genkey").trim() + "\n");
            pub[i] = BenchLab.run("sh", "-c", "wg pubkey < " + keys[i]).trim();
            // the UAPI socket is /var/run/wireguard/IF.sock, shared by the namespaces: one name each
            lab.spawn("wireguard-go-" + i, ns[i], List.of("env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", ifs[i]));
        }
        for (int i = 0; i < 2; i++)
        {
            final int peer = 1 - i;
            final long until = System.nanoTime() + 10_000_000_000L;
            while (!Files.exists(Path.of("/var/run/wireguard/" + ifs[i] + ".sock")))
            {
                if (System.nanoTime() > until)
                {
                    throw new BenchException("wireguard-go " + ifs[i] + " did not come up");
                }
                Thread.sleep(50);
            }
            BenchLab.run("ip", "netns", "exec", ns[i], "wg", "set", ifs[i], "private-key", keys[i].toString(),
                "listen-port", "51820", "peer", pub[peer], "allowed-ips", inner[peer] + "/32", "endpoint",
                addr[peer] + ":51820");
            BenchLab.run("ip", "-n", ns[i], "link", "set", ifs[i], "mtu", "1500", "up");
            BenchLab.run("ip", "-n", ns[i], "route", "add", inner[peer] + "/32", "dev", ifs[i], "src", inner[i]);
        }
    }

    /** A Debian package's version, or "?" (swanctl and charon have no --version that leaves nothing running). */
    private static String packageVersion(final String pkg)
    {
        try
        {
            return BenchLab.run("dpkg-query", "-W", "-f", "${Version}", pkg).trim();
        }
        catch (final BenchException e)
        {
            return "?";
        }
    }

    private static String firstLine(final String text)
    {
        for (final String line : text.split("\n"))
        {
            if (!line.isBlank())
            {
                return line.trim();
            }
        }
        return "";
    }

    private static void deleteTree(final Path dir)
    {
        if (dir == null)
        {
            return;
        }
        try (Stream<Path> s = Files.walk(dir))
        {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        catch (final IOException ignored)
        {
            // a temporary directory left behind
        }
    }
}
