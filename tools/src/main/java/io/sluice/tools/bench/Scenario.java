package io.sluice.tools.bench;

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
 */
public record Scenario(String name, Dut system, Dut baseline, String cipher, double goal, String description)
{
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
     */
    public record Dut(String name, int rxOffset, boolean twoPorts, Launcher launcher)
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

    /** Every scenario, in report order. */
    public static final List<Scenario> ALL = List.of(
        new Scenario("io", SLUICE_IO, C_AFXDP, null, 0.9,
            "Sluice's AF_XDP forward (echo, MACs swapped) against the C reference forwarder"),
        new Scenario("route", SLUICE_ROUTE, SLUICE_IO, null, 0,
            "the forwarding graph routing IPv4 back to the generator, against Sluice's io forward"),
        new Scenario("gre", SLUICE_GRE, SLUICE_IO, null, 0.85,
            "IPv4 routed into a GRE tunnel (with key), against Sluice's io forward"),
        new Scenario("l2tpv3", SLUICE_L2TPV3, SLUICE_IO, null, 0,
            "Ethernet frames into an L2TPv3 pseudowire (IP, 4-byte cookie) out of a second port, against Sluice's io forward"),
        new Scenario("l2tpv2", SLUICE_L2TPV2, SLUICE_IO, null, 0,
            "IPv4 routed into an L2TPv2 data session (UDP 1701, PPP) out of a second port, against Sluice's io forward"));

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
            for (final Dut d : new Dut[]{s.baseline(), s.system()})
            {
                if (!duts.contains(d))
                {
                    duts.add(d);
                }
            }
        }
        return duts;
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
