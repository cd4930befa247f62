package io.sluice.tools.bench;

import io.sluice.ffi.libc.Libc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code sluice bench io}: how fast Sluice's AF_XDP forwarder ({@code sluice forward}) moves
 * frames, against the C reference forwarder {@code perf/target/c/xdp_fwd} with the same system
 * calls, parameters and algorithm.
 * <p>
 * Topology: two network namespaces, {@code gen} and {@code dut}, joined by one veth pair. In
 * {@code gen} the generator {@code perf/target/c/xdp_gen}, pinned to CPU 0, sends UDP/IPv4 frames
 * to the DUT's MAC over AF_XDP and receives them back on the same socket. In {@code dut} the
 * forwarder under test, its worker pinned to CPU 1, sends every frame back out of the same
 * interface with the MACs swapped (copy mode, generic XDP: veth cannot do zero-copy).
 * <p>
 * One measurement: start the forwarder, wait for its READY; start the generator, wait for its
 * READY; the generator warms up (default 1 s, not measured) and then measures for {@code --seconds};
 * SIGTERM the generator, read its JSON; SIGTERM the forwarder, read its JSON. The forwarded rate
 * is the frames that came back to the generator during its measured interval divided by that
 * interval (the generator's own clock). Each run measures both forwarders, the order alternating
 * from run to run; the result is the median over the runs.
 * <p>
 * Whether the generator was the bottleneck is decided per measurement: it was when its own
 * receive ring overflowed, or when the forwarder returned (almost, 99 %) everything the generator
 * offered, with no drops at the forwarder's socket: then the forwarder's rate is only a lower
 * bound. Otherwise the forwarder was the bottleneck (it dropped what it could not take, counted by
 * its socket's rx_ring_full).
 */
public final class IoBench
{
    static final String BASELINE = "c-afxdp";
    static final String SLUICE = "sluice";
    /** Outer IPv4 (20) + GRE with key (8): where the generator's payload sits in what comes back from gre. */
    static final int GRE_OVERHEAD = 28;
    /** Outer IPv4 (20) + L2TPv3 session ID (4) + cookie (4) + the carried frame's Ethernet header (14). */
    static final int L2TPV3_OVERHEAD = 42;

    /**
     * The baseline of a scenario: for io the C forwarder; for route and gre, Sluice's own io
     * forward (echo) measured in the same run, so the ratio is what the graph costs.
     */
    static String baselineName(final Options o)
    {
        return o.scenario().equals("io") ? BASELINE : "sluice-io";
    }

    static String sluiceName(final Options o)
    {
        return o.scenario().equals("io") ? SLUICE : "sluice-" + o.scenario();
    }
    /** As SLUICE_JVM_FLAGS in the ./sluice launcher (and sluice.jvm.flags in the parent pom). */
    static final List<String> JVM_FLAGS = List.of("--enable-native-access=ALL-UNNAMED", "--add-exports",
        "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow");
    static final int GENERATOR_CPU = 0;
    static final int FORWARDER_CPU = 1;
    /**
     * Loss below this fraction means the forwarder kept up with the generator. A forwarder at its
     * limit loses far more (its RX ring stays full); a few tenths of a percent also go when it
     * is merely held up for a couple of milliseconds (2048 frames of RX ring at ~1 Mpps).
     */
    static final double KEPT_UP_LOSS = 0.02;
    /** Other processes using more than this share of the CPUs make a measurement unreliable. */
    static final double BUSY = 0.10;
    /** A generator stalled for more than this share of the interval was disturbed (preempted, host). */
    static final double STALLED = 0.02;

    private IoBench()
    {
    }

    /** The command line; {@code --home}, {@code --java}, {@code --java-cp} default to this JVM's. */
    public record Options(
        int size, int seconds, int runs, Path json, int warmupMs, Path home, String java, String javaClassPath,
        String scenario)
    {
        /** The same options for another scenario: io (against C), route or gre (against Sluice's io). */
        public Options withScenario(final String scenario)
        {
            if (!scenario.equals("io") && !scenario.equals("route") && !scenario.equals("gre") &&
                !scenario.equals("l2tpv3"))
            {
                throw new IllegalArgumentException("unknown scenario '" + scenario + "'; expected io, route, gre or l2tpv3");
            }
            return new Options(size, seconds, runs, json, warmupMs, home, java, javaClassPath, scenario);
        }

        public static Options parse(final String[] args)
        {
            int size = 64;
            int seconds = 5;
            int runs = 3;
            int warmupMs = 1000;
            Path json = null;
            Path home = null;
            String java = null;
            String cp = null;
            for (int i = 0; i < args.length; i++)
            {
                switch (args[i])
                {
                    case "--size" -> size = intValue(args, ++i, "--size", 64, 1518);
                    case "--seconds" -> seconds = intValue(args, ++i, "--seconds", 1, 3600);
                    case "--runs" -> runs = intValue(args, ++i, "--runs", 1, 100);
                    case "--warmup-ms" -> warmupMs = intValue(args, ++i, "--warmup-ms", 0, 60_000);
                    case "--json" -> json = Path.of(value(args, ++i, "--json"));
                    case "--home" -> home = Path.of(value(args, ++i, "--home"));
                    case "--java" -> java = value(args, ++i, "--java");
                    case "--java-cp" -> cp = value(args, ++i, "--java-cp");
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                }
            }
            if (home == null)
            {
                home = findHome();
            }
            if (java == null)
            {
                final String launcherJava = System.getProperty("sluice.java");
                java = launcherJava != null ? launcherJava :
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            }
            if (cp == null)
            {
                cp = System.getProperty("java.class.path");
            }
            return new Options(size, seconds, runs, json, warmupMs, home, java, cp, "io");
        }

        private static String value(final String[] args, final int i, final String flag)
        {
            if (i >= args.length)
            {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return args[i];
        }

        private static int intValue(final String[] args, final int i, final String flag, final int min, final int max)
        {
            final String v = value(args, i, flag);
            final int n;
            try
            {
                n = Integer.parseInt(v);
            }
            catch (final NumberFormatException e)
            {
                throw new IllegalArgumentException(flag + " " + v + ": not a number");
            }
            if (n < min || n > max)
            {
                throw new IllegalArgumentException(flag + " " + n + " out of range " + min + ".." + max);
            }
            return n;
        }

        /** The launcher's sluice.home, else the nearest directory up from here with perf/src/main/c. */
        private static Path findHome()
        {
            final String prop = System.getProperty("sluice.home");
            if (prop != null)
            {
                return Path.of(prop);
            }
            Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
            while (dir != null)
            {
                if (Files.isDirectory(dir.resolve("perf/src/main/c")))
                {
                    return dir;
                }
                dir = dir.getParent();
            }
            return Path.of(System.getProperty("user.dir")).toAbsolutePath();
        }
    }

    /** One forwarder measured once. */
    public record Measurement(
        String name, int run, double forwardedMpps, double offeredMpps, long elapsedNs, long sent, long received,
        long lost, long reordered, long generatorRxDrops, long generatorTxDropped, long forwarderRx,
        long forwarderTx, long forwarderTxDropped, long forwarderTxErrors, long forwarderRxRingFull,
        long forwarderRxDropped, long forwarderFillEmpty, int forwarderCpu, int generatorCpu, String limitedBy,
        double backgroundCpu, long generatorStalledNs)
    {
        /** The share of the measured interval the generator spent stalled (pauses over 1 ms). */
        double generatorStalled()
        {
            return elapsedNs == 0 ? 0 : (double)generatorStalledNs / elapsedNs;
        }

        boolean disturbed()
        {
            return backgroundCpu > BUSY || generatorStalled() > STALLED;
        }

        double loss()
        {
            return sent == 0 ? 0 : Math.max(0, 1.0 - (double)received / sent);
        }

        boolean generatorLimited()
        {
            return !"forwarder".equals(limitedBy);
        }
    }

    /** The outcome: medians, their ratio, the verdict on the generator, and every measurement. */
    public record Result(
        int size, int runs, double mpps, double baselineMpps, double ratio, double offeredMpps,
        boolean generatorBottleneck, String summary, double bestMpps, double baselineBestMpps, double[] pairedRatios,
        List<Measurement> measurements)
    {
    }

    public static Result run(final Options o) throws InterruptedException
    {
        final String why = BenchLab.unavailableReason(Libc.geteuid() == 0);
        if (why != null)
        {
            throw new BenchException(why);
        }
        if (Runtime.getRuntime().availableProcessors() < 2)
        {
            throw new BenchException("needs at least 2 CPUs (generator on CPU " + GENERATOR_CPU + ", forwarder on CPU " +
                FORWARDER_CPU + "); this machine has " + Runtime.getRuntime().availableProcessors());
        }
        final Path fwd = cProgram(o.home(), "xdp_fwd");
        final Path gen = cProgram(o.home(), "xdp_gen");

        final List<Measurement> all = new ArrayList<>();
        try (BenchLab lab = BenchLab.create())
        {
            final String genNs = lab.namespace("gen");
            final String dutNs = lab.namespace("dut");
            final String[] veth = lab.veth(genNs, "g", dutNs, "d");
            final String dutMac = lab.mac(dutNs, veth[1]);
            final String genMac = lab.mac(genNs, veth[0]);
            // an L2TPv3 pseudowire has two sides: frames go in on one veth and come back on another
            final String[] wan = o.scenario().equals("l2tpv3") ? lab.veth(genNs, "h", dutNs, "e") : null;
            final String wanMac = wan == null ? null : lab.mac(genNs, wan[0]);
            System.out.printf(Locale.ROOT, "bench " + o.scenario() + ": %d-byte frames (%d handed to the interface), %d run(s) of %d s " +
                    "after %d ms warm-up; generator on CPU %d in %s (%s), forwarder on CPU %d in %s (%s)%n",
                o.size(), o.size() - 4, o.runs(), o.seconds(), o.warmupMs(), GENERATOR_CPU, genNs, veth[0],
                FORWARDER_CPU, dutNs, veth[1]);
            for (int run = 1; run <= o.runs(); run++)
            {
                final String[] order = run % 2 == 1 ? new String[]{baselineName(o), sluiceName(o)} :
                    new String[]{sluiceName(o), baselineName(o)};
                for (final String name : order)
                {
                    final boolean baseline = name.equals(baselineName(o));
                    final boolean io = o.scenario().equals("io");
                    final boolean pseudowire = !baseline && wan != null;
                    final List<String> forwarder = baseline ?
                        (io ? cForwarder(fwd, veth[1], o) : javaForwarder(veth[1], o)) :
                        (io ? javaForwarder(veth[1], o) : pseudowire ?
                            pseudowireForwarder(veth[1], wan[1], wanMac, o) : graphForwarder(veth[1], genMac, o));
                    final int rxOffset = baseline || io ? 0 : pseudowire ? L2TPV3_OVERHEAD :
                        o.scenario().equals("gre") ? GRE_OVERHEAD : 0;
                    final List<String> generator = new ArrayList<>(generator(gen, veth[0], dutMac, rxOffset, o));
                    if (pseudowire)
                    {
                        generator.addAll(List.of("--rx-iface", wan[0]));
                    }
                    final Measurement m = measure(lab, name, run, forwarder, dutNs, generator, genNs, o);
                    all.add(m);
                    System.out.println(describe(m, o.runs()));
                    System.out.flush();
                }
            }
        }

        final Result result = summarize(o, all);
        if (o.runs() > 1)
        {
            System.out.printf(Locale.ROOT, "  best of %d: %s %.2f Mpps, %s %.2f Mpps; ratio per run %s%n", o.runs(),
                sluiceName(o), result.bestMpps(), baselineName(o), result.baselineBestMpps(), Arrays.toString(result.pairedRatios()));
        }
        System.out.println(result.summary());
        if (o.json() != null)
        {
            writeJson(o, result);
        }
        return result;
    }

    private static Path cProgram(final Path home, final String name)
    {
        final Path p = home.resolve("perf/target/c").resolve(name);
        if (!Files.isExecutable(p))
        {
            throw new BenchException(p + " is missing: the C reference programs are built by ./sluice build " +
                "(gcc; apt-get install gcc libc6-dev), run that first");
        }
        final Path dir = home.resolve("perf/src/main/c");
        try
        {
            for (final Path src : new Path[]{dir.resolve(name + ".c"), dir.resolve("common.h")})
            {
                if (Files.exists(src) && Files.getLastModifiedTime(src).compareTo(Files.getLastModifiedTime(p)) > 0)
                {
                    throw new BenchException(p + " is older than " + src + ": run ./sluice build");
                }
            }
        }
        catch (final IOException e)
        {
            throw new BenchException("cannot read " + p + ": " + e.getMessage(), e);
        }
        return p;
    }

    /** Forwarders exit on their own a minute after the end, should SIGTERM never come (bench killed -9). */
    private static int safetySeconds(final Options o)
    {
        return o.warmupMs() / 1000 + o.seconds() + 60;
    }

    static List<String> cForwarder(final Path program, final String iface, final Options o)
    {
        return List.of(program.toString(), "--iface", iface, "--cpu", Integer.toString(FORWARDER_CPU),
            "--seconds", Integer.toString(safetySeconds(o)), "--mac-swap", "--copy");
    }

    static List<String> javaForwarder(final String iface, final Options o)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(o.java());
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(List.of("-cp", o.javaClassPath(), "io.sluice.tools.Main", "forward", "--iface", iface, "--cpu",
            Integer.toString(FORWARDER_CPU), "--seconds", Integer.toString(safetySeconds(o)), "--mac-swap", "--copy"));
        return cmd;
    }

    static List<String> generator(final Path program, final String iface, final String dstMac, final Options o)
    {
        return generator(program, iface, dstMac, 0, o);
    }

    static List<String> generator(
        final Path program, final String iface, final String dstMac, final int rxOffset, final Options o)
    {
        return List.of(program.toString(), "--iface", iface, "--cpu", Integer.toString(GENERATOR_CPU),
            "--dst-mac", dstMac, "--size", Integer.toString(o.size()), "--warmup-ms", Integer.toString(o.warmupMs()),
            "--seconds", Integer.toString(o.seconds() + 60), "--rx-offset", Integer.toString(rxOffset), "--copy");
    }

    /**
     * Sluice's forwarding graph on the DUT port: the generator's packets (to 10.99.0.2) follow the
     * default route back to the generator (192.0.2.2, its MAC static), plainly ({@code route}:
     * ethernet-input, ip4-input, ip4-lookup, ip4-rewrite) or through a GRE tunnel ({@code gre}: and
     * gre-output, a second lookup for the outer header).
     */
    /** Sluice as an L2TPv3 pseudowire: frames from {@code lan} into a session out of {@code wan}. */
    static List<String> pseudowireForwarder(final String lan, final String wan, final String peerMac, final Options o)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(o.java());
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(List.of("-cp", o.javaClassPath(), "io.sluice.tools.Main", "forward", "--iface", lan, "--cpu",
            Integer.toString(FORWARDER_CPU), "--seconds", Integer.toString(safetySeconds(o)), "--copy",
            "--mode", "l2tpv3", "--wan-iface", wan, "--local-ip", "192.0.2.1", "--peer-ip", "192.0.2.2",
            "--peer-mac", peerMac));
        return cmd;
    }

    static List<String> graphForwarder(final String iface, final String peerMac, final Options o)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(o.java());
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(List.of("-cp", o.javaClassPath(), "io.sluice.tools.Main", "forward", "--iface", iface, "--cpu",
            Integer.toString(FORWARDER_CPU), "--seconds", Integer.toString(safetySeconds(o)), "--copy",
            "--mode", o.scenario(), "--local-ip", "192.0.2.1", "--peer-ip", "192.0.2.2", "--peer-mac", peerMac));
        return cmd;
    }

    private static Measurement measure(
        final BenchLab lab, final String name, final int run, final List<String> forwarderCommand, final String dutNs,
        final List<String> generatorCommand, final String genNs, final Options o) throws InterruptedException
    {
        final BenchLab.Child forwarder = lab.spawn(name, dutNs, forwarderCommand);
        forwarder.awaitReady(60_000);
        final BenchLab.Child generator = lab.spawn("generator", genNs, generatorCommand);
        generator.awaitReady(20_000);
        final long[] cpu0 = cpuTimes(forwarder.process().pid(), generator.process().pid());
        final long sleepMs = o.warmupMs() + o.seconds() * 1000L;
        final long until = System.nanoTime() + sleepMs * 1_000_000L;
        while (System.nanoTime() < until)
        {
            Thread.sleep(Math.max(1, Math.min(200, (until - System.nanoTime()) / 1_000_000L)));
            if (!forwarder.process().isAlive())
            {
                throw new BenchException(name + " forwarder died during the measurement (exit " +
                    forwarder.process().exitValue() + "):\n" + forwarder.output());
            }
            if (!generator.process().isAlive())
            {
                throw new BenchException("the generator died during the measurement (exit " +
                    generator.process().exitValue() + "):\n" + generator.output());
            }
        }
        final long[] cpu1 = cpuTimes(forwarder.process().pid(), generator.process().pid());
        final double background = cpu0 == null || cpu1 == null || cpu1[0] <= cpu0[0] ? -1 :
            Math.max(0, (double)((cpu1[1] - cpu0[1]) - (cpu1[2] - cpu0[2])) / (cpu1[0] - cpu0[0]));
        final FlatJson g = FlatJson.parse(generator.stop(15_000));
        final FlatJson f = FlatJson.parse(forwarder.stop(15_000));

        final long elapsed = g.getLong("elapsedNs");
        final long sent = g.getLong("sent");
        final long received = g.getLong("received");
        if (elapsed <= 0 || sent == 0)
        {
            throw new BenchException("the generator measured nothing (elapsed " + elapsed + " ns, sent " + sent +
                "): " + g + "\n" + generator.output());
        }
        if (received == 0)
        {
            throw new BenchException(name + " forwarded nothing back to the generator; forwarder: " + f +
                ", generator: " + g + "\n" + forwarder.output());
        }
        final double forwarded = received * 1e3 / elapsed;
        final double offered = sent * 1e3 / elapsed;
        final long genRxDrops = g.getLong("kernelRxRingFull") + g.getLong("kernelRxDropped");
        final long fwdRingFull = f.getLong("kernelRxRingFull");
        final long fwdRxDropped = f.getLong("kernelRxDropped");
        final double loss = Math.max(0, 1.0 - (double)received / sent);
        final String limitedBy;
        if (genRxDrops > Math.max(100, g.getLong("totalReceived") / 1000))
        {
            limitedBy = "generator-rx"; // the generator could not take back what came
        }
        else if (loss < KEPT_UP_LOSS)
        {
            limitedBy = "generator"; // the forwarder returned everything it was offered
        }
        else
        {
            limitedBy = "forwarder";
        }
        return new Measurement(name, run, forwarded, offered, elapsed, sent, received, g.getLong("lost"),
            g.getLong("reordered"), genRxDrops, g.getLong("txDropped"), f.getLong("rx"), f.getLong("tx"),
            f.getLong("txDropped"), f.getLong("txErrors"), fwdRingFull, fwdRxDropped, f.getLong("kernelFillEmpty"),
            (int)f.getLong("cpu", -1), (int)g.getLong("cpu", -1), limitedBy, background, g.getLong("stalledNs", 0));
    }

    /**
     * {all CPUs' jiffies, their user + nice + system jiffies, the user + system jiffies of the given
     * processes (all their threads)}, from /proc; null when unreadable. Over a measurement, the
     * difference of the last two is what other processes ran (interrupt and softirq time, where the
     * kernel does the packet work on behalf of both sides, is in neither).
     */
    static long[] cpuTimes(final long... pids)
    {
        try
        {
            final String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++)
            {
                total += Long.parseLong(f[i]);
            }
            final long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]);
            long ours = 0;
            for (final long pid : pids)
            {
                final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                final String[] p = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ours += Long.parseLong(p[11]) + Long.parseLong(p[12]); // utime, stime
            }
            return new long[]{total, busy, ours};
        }
        catch (final IOException | RuntimeException e)
        {
            return null;
        }
    }

    static String describe(final Measurement m, final int runs)
    {
        final String verdict = switch (m.limitedBy())
        {
            case "forwarder" -> "forwarder-limited";
            case "generator-rx" -> "GENERATOR-LIMITED (its receive ring overflowed)";
            default -> "GENERATOR-LIMITED (the forwarder returned all it was offered)";
        };
        String cpus = "";
        if (m.backgroundCpu() > BUSY)
        {
            cpus += String.format(Locale.ROOT, "; WARNING other processes used %.0f %% of the CPUs meanwhile",
                m.backgroundCpu() * 100);
        }
        if (m.generatorStalled() > STALLED)
        {
            cpus += String.format(Locale.ROOT, "; WARNING the generator stood still %.0f %% of the time",
                m.generatorStalled() * 100);
        }
        if (m.forwarderCpu() != FORWARDER_CPU || m.generatorCpu() != GENERATOR_CPU)
        {
            cpus += String.format(Locale.ROOT, "; WARNING forwarder ran on CPU %d, generator on CPU %d",
                m.forwarderCpu(), m.generatorCpu());
        }
        return String.format(Locale.ROOT,
            "  run %d/%d %-8s %.3f Mpps back of %.3f offered (loss %.1f %%; forwarder rx_ring_full %d, " +
                "rx_dropped %d, txDropped %d; generator rx drops %d, reordered %d) -> %s%s",
            m.run(), runs, m.name(), m.forwardedMpps(), m.offeredMpps(), m.loss() * 100, m.forwarderRxRingFull(),
            m.forwarderRxDropped(), m.forwarderTxDropped(), m.generatorRxDrops(), m.reordered(), verdict, cpus);
    }

    static double median(final double[] values)
    {
        final double[] v = values.clone();
        Arrays.sort(v);
        final int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static double[] rates(final List<Measurement> all, final String name, final boolean offered)
    {
        return all.stream().filter(m -> m.name().equals(name))
            .mapToDouble(m -> offered ? m.offeredMpps() : m.forwardedMpps()).toArray();
    }

    static Result summarize(final Options o, final List<Measurement> all)
    {
        // rounded as written, so that the JSON's ratio is its mpps over its baseline mpps
        final double sluice = round4(median(rates(all, sluiceName(o), false)));
        final double baseline = round4(median(rates(all, baselineName(o), false)));
        final double ratio = baseline > 0 ? round4(sluice / baseline) : 0;
        final double offered = median(all.stream().mapToDouble(Measurement::offeredMpps).toArray());
        final long sluiceGenLimited = all.stream().filter(m -> m.name().equals(sluiceName(o)) && m.generatorLimited()).count();
        final long baseGenLimited = all.stream().filter(m -> m.name().equals(baselineName(o)) && m.generatorLimited()).count();
        final boolean generatorBottleneck = sluiceGenLimited + baseGenLimited > 0;
        final String verdict;
        if (!generatorBottleneck)
        {
            verdict = "not the bottleneck: both forwarders dropped what they could not take in every run";
        }
        else
        {
            final List<String> who = new ArrayList<>();
            if (baseGenLimited > 0)
            {
                who.add(baselineName(o) + " in " + baseGenLimited + " of " + o.runs() + " runs");
            }
            if (sluiceGenLimited > 0)
            {
                who.add(sluiceName(o) + " in " + sluiceGenLimited + " of " + o.runs() + " runs");
            }
            verdict = "MAY BE THE BOTTLENECK: it was the limit for " + String.join(" and ", who) +
                " (that rate is a lower bound" + (baseGenLimited > 0 && sluiceGenLimited == 0 ?
                "; the ratio may overstate " + sluiceName(o) + ")" : ")");
        }
        final long disturbed = all.stream().filter(Measurement::disturbed).count();
        final String busy = disturbed > 0 ? String.format(Locale.ROOT,
            "; WARNING: %d of %d measurements were disturbed (other processes on the CPUs, or the generator " +
                "stalled), the numbers are unreliable", disturbed, all.size()) : "";
        final String summary = String.format(Locale.ROOT,
            "%s %dB: %s %.2f Mpps, %s %.2f Mpps, ratio %.2f (median of %d run%s; generator offered %.2f Mpps, %s%s)",
            o.scenario(), o.size(), sluiceName(o), sluice, baselineName(o), baseline, ratio, o.runs(),
            o.runs() == 1 ? "" : "s", offered, verdict, busy);
        final double[] mine = rates(all, sluiceName(o), false);
        final double[] theirs = rates(all, baselineName(o), false);
        final double[] paired = new double[Math.min(mine.length, theirs.length)];
        for (int i = 0; i < paired.length; i++)
        {
            paired[i] = theirs[i] > 0 ? round4(mine[i] / theirs[i]) : 0;
        }
        return new Result(o.size(), o.runs(), sluice, baseline, ratio, offered, generatorBottleneck, summary,
            round4(Arrays.stream(mine).max().orElse(0)), round4(Arrays.stream(theirs).max().orElse(0)), paired, all);
    }

    private static double round4(final double v)
    {
        return Math.round(v * 1e4) / 1e4;
    }

    private static String num(final double v)
    {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    static String toJson(final Options o, final Result r)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("{\"scenario\":\"").append(o.scenario()).append("\",\"size\":").append(r.size())
            .append(",\"mpps\":").append(num(r.mpps()))
            .append(",\"baseline\":{\"name\":\"").append(baselineName(o)).append("\",\"mpps\":").append(num(r.baselineMpps()))
            .append("},\"ratio\":").append(num(r.ratio()))
            .append(",\"runs\":").append(r.runs())
            .append(",\"seconds\":").append(o.seconds())
            .append(",\"warmupMs\":").append(o.warmupMs())
            .append(",\"frameBytes\":").append(r.size() - 4)
            .append(",\"gbps\":").append(num(r.mpps() * r.size() * 8 / 1000))
            .append(",\"baselineGbps\":").append(num(r.baselineMpps() * r.size() * 8 / 1000))
            .append(",\"offeredMpps\":").append(num(r.offeredMpps()))
            .append(",\"bestMpps\":").append(num(r.bestMpps()))
            .append(",\"baselineBestMpps\":").append(num(r.baselineBestMpps()))
            .append(",\"ratioPerRun\":").append(Arrays.toString(r.pairedRatios()).replace(" ", ""))
            .append(",\"generatorBottleneck\":").append(r.generatorBottleneck())
            .append(",\"summary\":\"").append(r.summary().replace("\\", "\\\\").replace("\"", "\\\"")).append('"')
            .append(",\"measurements\":[");
        for (int i = 0; i < r.measurements().size(); i++)
        {
            final Measurement m = r.measurements().get(i);
            if (i > 0)
            {
                sb.append(',');
            }
            sb.append("{\"name\":\"").append(m.name()).append("\",\"run\":").append(m.run())
                .append(",\"mpps\":").append(num(m.forwardedMpps()))
                .append(",\"offeredMpps\":").append(num(m.offeredMpps()))
                .append(",\"loss\":").append(num(m.loss()))
                .append(",\"limitedBy\":\"").append(m.limitedBy()).append('"')
                .append(",\"elapsedNs\":").append(m.elapsedNs())
                .append(",\"sent\":").append(m.sent())
                .append(",\"received\":").append(m.received())
                .append(",\"lost\":").append(m.lost())
                .append(",\"reordered\":").append(m.reordered())
                .append(",\"generatorRxDrops\":").append(m.generatorRxDrops())
                .append(",\"generatorTxDropped\":").append(m.generatorTxDropped())
                .append(",\"forwarderRx\":").append(m.forwarderRx())
                .append(",\"forwarderTx\":").append(m.forwarderTx())
                .append(",\"forwarderTxDropped\":").append(m.forwarderTxDropped())
                .append(",\"forwarderTxErrors\":").append(m.forwarderTxErrors())
                .append(",\"forwarderRxRingFull\":").append(m.forwarderRxRingFull())
                .append(",\"forwarderRxDropped\":").append(m.forwarderRxDropped())
                .append(",\"forwarderFillEmpty\":").append(m.forwarderFillEmpty())
                .append(",\"forwarderCpu\":").append(m.forwarderCpu())
                .append(",\"generatorCpu\":").append(m.generatorCpu())
                .append(",\"backgroundCpu\":").append(num(m.backgroundCpu()))
                .append(",\"generatorStalled\":").append(num(m.generatorStalled()))
                .append('}');
        }
        sb.append("]}");
        return sb.toString();
    }

    private static void writeJson(final Options o, final Result r)
    {
        try
        {
            final Path parent = o.json().toAbsolutePath().getParent();
            if (parent != null)
            {
                Files.createDirectories(parent);
            }
            Files.writeString(o.json(), toJson(o, r) + "\n");
        }
        catch (final IOException e)
        {
            throw new BenchException("cannot write " + o.json() + ": " + e.getMessage(), e);
        }
    }
}
