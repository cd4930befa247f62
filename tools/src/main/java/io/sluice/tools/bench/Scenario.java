package io.sluice.tools.bench;

import io.sluice.tools.forward.BenchSa;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code sluice bench SCENARIO} measures: a system under test and the baseline it is held
 * against, both forwarders ({@link Dut}) the generator drives in the same run. Adding a scenario is
 * a {@link Dut} (how to start it, where the generator finds its payload in what comes back) and a
 * line in {@link #ALL}; {@code bench all}, the report and the charts pick it up from there.
 *
 * @param name        the command-line name
 * @param system      what is measured
 * @param baseline    what it is held against in the same run
 * @param cipher      the crypto baseline ({@link CryptoBaseline} algorithm) measured with it, or null
 * @param goal        the ratio to the baseline the issue asks for, or 0 for none
 * @param description one line for the usage text and the report
 * @param reference   a second forwarder measured in the same run for a ratio the issue asks for
 *                    (gre-esp against gre), or null
 * @param sizes       the sizes {@code bench all} measures it at, or null for all of {@link FrameSize#STANDARD}
 */
public record Scenario(String name, Dut system, Dut baseline, String cipher, double goal, String description,
    Dut reference, List<FrameSize> sizes)
{
    public Scenario(final String name, final Dut system, final Dut baseline, final String cipher, final double goal,
        final String description)
    {
        this(name, system, baseline, cipher, goal, description, null, null);
    }

    /** ESP's cost per packet beyond the forward, over the cipher's own, at most this at 1400 B (issue 4). */
    public static final double ESP_OVER_CIPHER_GOAL = 1.15;

    /** The sizes {@code bench all} measures this scenario at, among those asked for. */
    public List<FrameSize> sizesAmong(final List<FrameSize> asked)
    {
        return sizes == null ? asked : asked.stream().filter(sizes::contains).toList();
    }

    /** Whether this scenario measures ESP (and so has a cipher and an ESP-over-cipher ratio). */
    public boolean esp()
    {
        return system.esp() != null;
    }

    /** Outer IPv4 (20) + GRE with key (8): where the generator's payload sits in what comes back from gre. */
    static final int GRE_OVERHEAD = 28;
    /** Outer IPv4 (20) + L2TPv3 session ID (4) + cookie (4) + the carried frame's Ethernet header (14). */
    static final int L2TPV3_OVERHEAD = 42;
    /**
     * Outer IPv4 (20) + UDP (8) + L2TPv2 header without length or sequence (6) + PPP address, control
     * and protocol (4); the inner packet's own Ethernet header is gone (the outer one takes its place).
     */
    static final int L2TPV2_OVERHEAD = 20 + 8 + 6 + 4;
    /** The IP MTU of the forwarders' Ethernet ports and of the lab's veths: a 1500-byte packet plus any tunnel header fits. */
    static final int LAB_MTU = 1600;

    /**
     * A forwarder the generator drives.
     *
     * @param name     as it appears in results ("c-afxdp", "sluice-gre")
     * @param rxOffset how much further in the generator finds its payload in what comes back
     * @param twoPorts frames come back on a second veth (a tunnel's WAN side), not the one they went in on
     * @param launcher its command line
     * @param esp      for an ESP forwarder, what the generator sends and takes back; null otherwise
     */
    public record Dut(String name, int rxOffset, boolean twoPorts, Launcher launcher, EspTraffic esp)
    {
        public Dut(final String name, final int rxOffset, final boolean twoPorts, final Launcher launcher)
        {
            this(name, rxOffset, twoPorts, launcher, null);
        }
    }

    /**
     * An ESP forwarder's traffic. Encrypt direction: the generator's plain frames go in, ESP comes
     * back, counted by port and length ({@code xdp_gen --rx-any}). Decrypt direction: the generator
     * replays a ring of frames the harness encrypted once ({@link EspRing}, {@code xdp_gen --ring}),
     * the plain frames come back with their sequence numbers.
     *
     * @param suite   the cipher suite ({@link BenchSa})
     * @param gre     GRE over ESP transport mode (else ESP tunnel mode)
     * @param decrypt the decrypt direction
     */
    public record EspTraffic(BenchSa suite, boolean gre, boolean decrypt)
    {
    }

    /** A forwarder's command line, given where it runs. */
    @FunctionalInterface
    public interface Launcher
    {
        List<String> command(Wiring w, IoBench.Options o);
    }

    /**
     * Where the forwarders run: {@code lan} is the DUT's end of the veth the generator sends into,
     * {@code wan} the DUT's end of the second veth (null when no forwarder needs it), and the MACs
     * of the generator's ends (static neighbours: the generator does not answer ARP).
     */
    public record Wiring(String lan, String wan, String genLanMac, String genWanMac, Path cForwarder)
    {
    }

    /** The C reference forwarder: the I/O limit. */
    public static final Dut C_AFXDP = new Dut("c-afxdp", 0, false, (w, o) -> List.of(w.cForwarder().toString(),
        "--iface", w.lan(), "--cpu", Integer.toString(IoBench.FORWARDER_CPU), "--seconds",
        Integer.toString(IoBench.safetySeconds(o)), "--mac-swap", "--copy"));
    /** Sluice's AF_XDP port echoing every frame (no graph). */
    public static final Dut SLUICE_IO = new Dut("sluice-io", 0, false, (w, o) -> sluice(w, o, "echo", "--mac-swap"));
    public static final Dut SLUICE_ROUTE = new Dut("sluice-route", 0, false, (w, o) -> sluice(w, o, "route",
        "--peer-mac", w.genLanMac()));
    public static final Dut SLUICE_GRE = new Dut("sluice-gre", GRE_OVERHEAD, false, (w, o) -> sluice(w, o, "gre",
        "--peer-mac", w.genLanMac()));
    public static final Dut SLUICE_L2TPV3 = new Dut("sluice-l2tpv3", L2TPV3_OVERHEAD, true, (w, o) -> sluice(w, o,
        "l2tpv3", "--wan-iface", w.wan(), "--peer-mac", w.genWanMac()));
    public static final Dut SLUICE_L2TPV2 = new Dut("sluice-l2tpv2", L2TPV2_OVERHEAD, true, (w, o) -> sluice(w, o,
        "l2tpv2", "--wan-iface", w.wan(), "--peer-mac", w.genWanMac()));

    /**
     * The ESP sizes of {@code bench all}: AES-GCM-128 at every standard size (its line in the
     * throughput-by-size chart), GRE over ESP at 1400 and IMIX, the goals' sizes; the others at 1400
     * only (15 minutes on a 2-vCPU VM allow no more).
     */
    static final List<FrameSize> ESP_GCM_SIZES = FrameSize.STANDARD;
    static final List<FrameSize> ESP_MAIN_SIZES = List.of(FrameSize.of(1400), FrameSize.IMIX);
    static final List<FrameSize> ESP_OTHER_SIZES = List.of(FrameSize.of(1400));

    /** Sluice with an ESP SA of {@code suite}: {@code esp[-decrypt]} or {@code gre-esp[-decrypt]} mode. */
    static Dut sluiceEsp(final String suite, final boolean gre, final boolean decrypt)
    {
        final String mode = (gre ? "gre-esp" : "esp") + (decrypt ? "-decrypt" : "");
        final String name = "sluice-" + (gre ? "gre-esp" : "esp-" + suite) + (decrypt ? "-decrypt" : "");
        return new Dut(name, 0, false, (w, o) -> sluice(w, o, mode, "--peer-mac", w.genLanMac(), "--cipher", suite),
            new EspTraffic(BenchSa.named(suite), gre, decrypt));
    }

    /**
     * The ESP scenarios: {@code esp-SUITE} encrypts (plain in, ESP tunnel mode out),
     * {@code esp-SUITE-decrypt} decrypts (ESP in, plain out), each against Sluice's io forward, with
     * the cipher alone measured beside; {@code gre-esp[-decrypt]} is GRE over ESP transport with
     * AES-GCM-128, against io and with gre as a second reference.
     */
    private static List<Scenario> espScenarios()
    {
        final String[][] suites = {
            {"gcm128", "aes-gcm-128", "AES-GCM-128"},
            {"gcm256", "aes-gcm-256", "AES-GCM-256"},
            {"cbc-sha256", "aes-cbc-256/hmac-sha256", "AES-CBC-256 + HMAC-SHA256-128"},
            {"3des-md5", "3des/hmac-md5", "3DES-CBC + HMAC-MD5-96 (legacy)"},
            {"chacha20", "chacha20-poly1305", "ChaCha20-Poly1305"}};
        final List<Scenario> list = new ArrayList<>();
        for (final String[] s : suites)
        {
            final List<FrameSize> sizes = s[0].equals("gcm128") ? ESP_GCM_SIZES : ESP_OTHER_SIZES;
            list.add(new Scenario("esp-" + s[0], sluiceEsp(s[0], false, false), SLUICE_IO, s[1], 0,
                "IPv4 routed into an IPsec tunnel, ESP tunnel mode " + s[2] + " (encrypt), against Sluice's io forward",
                null, sizes));
            list.add(new Scenario("esp-" + s[0] + "-decrypt", sluiceEsp(s[0], false, true), SLUICE_IO, s[1], 0,
                "ESP tunnel mode " + s[2] + " in (anti-replay on), the inner IPv4 routed back (decrypt), against " +
                    "Sluice's io forward", null, sizes));
        }
        list.add(new Scenario("gre-esp", sluiceEsp("gcm128", true, false), SLUICE_IO, "aes-gcm-128", 0,
            "IPv4 into a protected GRE tunnel: GRE over ESP transport AES-GCM-128 (DMVPN), against Sluice's io " +
                "forward, and gre", SLUICE_GRE, ESP_MAIN_SIZES));
        list.add(new Scenario("gre-esp-decrypt", sluiceEsp("gcm128", true, true), SLUICE_IO, "aes-gcm-128", 0,
            "GRE over ESP transport AES-GCM-128 in, the inner IPv4 routed back (decrypt), against Sluice's io " +
                "forward, and gre (encapsulation)", SLUICE_GRE, ESP_MAIN_SIZES));
        return list;
    }

    /** Every scenario, in report order. */
    public static final List<Scenario> ALL = concat(List.of(
        new Scenario("io", SLUICE_IO, C_AFXDP, null, 0.9,
            "Sluice's AF_XDP forward (echo, MACs swapped) against the C reference forwarder"),
        new Scenario("route", SLUICE_ROUTE, SLUICE_IO, null, 0,
            "the forwarding graph routing IPv4 back to the generator, against Sluice's io forward"),
        new Scenario("gre", SLUICE_GRE, SLUICE_IO, null, 0.85,
            "IPv4 routed into a GRE tunnel (with key), against Sluice's io forward"),
        new Scenario("l2tpv3", SLUICE_L2TPV3, SLUICE_IO, null, 0,
            "Ethernet frames into an L2TPv3 pseudowire (IP, 4-byte cookie) out of a second port, against Sluice's io forward"),
        new Scenario("l2tpv2", SLUICE_L2TPV2, SLUICE_IO, null, 0,
            "IPv4 routed into an L2TPv2 data session (UDP 1701, PPP) out of a second port, against Sluice's io forward")),
        espScenarios());

    private static List<Scenario> concat(final List<Scenario> a, final List<Scenario> b)
    {
        final List<Scenario> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    /**
     * What {@code bench all} runs unless told otherwise: every scenario but the decrypt direction of
     * the secondary ESP suites (AES-GCM-256, CBC, 3DES, ChaCha20), to stay near 15 minutes on a 2-vCPU
     * VM; {@code --scenarios} or {@code bench esp-SUITE-decrypt} run those.
     */
    public static List<Scenario> standard()
    {
        return ALL.stream().filter(s -> !(s.esp() && s.system().esp().decrypt() && ESP_OTHER_SIZES.equals(s.sizes())))
            .toList();
    }

    public static Scenario named(final String name)
    {
        for (final Scenario s : ALL)
        {
            if (s.name().equals(name))
            {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + name + "'; expected one of " + names());
    }

    public static List<String> names()
    {
        final List<String> names = new ArrayList<>();
        for (final Scenario s : ALL)
        {
            names.add(s.name());
        }
        return names;
    }

    /** The forwarders these scenarios need, each once: what {@code bench all} measures per run and size. */
    static List<Dut> dutsOf(final List<Scenario> scenarios)
    {
        final List<Dut> duts = new ArrayList<>();
        for (final Scenario s : scenarios)
        {
            for (final Dut d : new Dut[]{s.baseline(), s.reference(), s.system()})
            {
                if (d != null && !duts.contains(d))
                {
                    duts.add(d);
                }
            }
        }
        return duts;
    }

    /**
     * Which forwarder {@code bench all} measures at which size: each at the sizes of the scenarios
     * that use it (io, a baseline of every scenario, at all of them).
     */
    static boolean wanted(final List<Scenario> scenarios, final Dut d, final FrameSize size)
    {
        for (final Scenario s : scenarios)
        {
            if ((d.equals(s.system()) || d.equals(s.baseline()) || d.equals(s.reference())) &&
                (s.sizes() == null || s.sizes().contains(size)))
            {
                return true;
            }
        }
        return false;
    }

    /** {@code sluice forward} on the DUT's LAN port, pinned to the forwarder CPU, in a mode. */
    static List<String> sluice(final Wiring w, final IoBench.Options o, final String mode, final String... more)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(o.java());
        cmd.addAll(IoBench.JVM_FLAGS);
        cmd.addAll(List.of("-cp", o.javaClassPath(), "io.sluice.tools.Main", "forward", "--iface", w.lan(), "--cpu",
            Integer.toString(IoBench.FORWARDER_CPU), "--seconds", Integer.toString(IoBench.safetySeconds(o)), "--copy",
            "--mode", mode));
        if (!mode.equals("echo"))
        {
            cmd.addAll(List.of("--local-ip", "192.0.2.1", "--peer-ip", "192.0.2.2", "--mtu", Integer.toString(LAB_MTU)));
        }
        cmd.addAll(List.of(more));
        return cmd;
    }
}
