package io.sluice.tools.bench;

import io.sluice.ffi.libc.Libc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code sluice bench SCENARIO}: how fast a forwarder under test moves frames, against a baseline
 * forwarder measured in the same run ({@link Scenario}: for {@code io} Sluice's AF_XDP forward
 * against the C reference forwarder {@code perf/target/c/xdp_fwd} with the same system calls,
 * parameters and algorithm; for the graph scenarios Sluice's forwarding graph against Sluice's
 * own io forward).
 * <p>
 * Topology: two network namespaces, {@code gen} and {@code dut}, joined by one veth pair (two when a
 * tunnel's frames leave by a second port). In {@code gen} the generator {@code perf/target/c/xdp_gen},
 * pinned to CPU 0, sends UDP/IPv4 frames to the DUT's MAC over AF_XDP and receives them back. In
 * {@code dut} the forwarder under test, its worker pinned to CPU 1, sends every frame back (copy
 * mode, generic XDP: veth cannot do zero-copy).
 * <p>
 * One measurement: start the forwarder, wait for its READY; start the generator, wait for its
 * READY; the generator warms up (default 1 s, not measured) and then measures for {@code --seconds},
 * during which the DUT core's time is read from /proc/stat; SIGTERM the generator, read its JSON;
 * SIGTERM the forwarder, read its JSON. The forwarded rate is the frames that came back to the
 * generator during its measured interval divided by that interval (the generator's own clock). Each
 * run measures every forwarder, the order reversed from run to run; the results are median, minimum
 * and maximum over the runs.
 * <p>
 * Whether the generator was the bottleneck is decided per measurement: it was when its own
 * receive ring overflowed, or when the forwarder returned (almost, 98 %) everything the generator
 * offered: then the forwarder's rate is only a lower bound. Otherwise the forwarder was the
 * bottleneck (it dropped what it could not take, counted by its socket's rx_ring_full).
 */
public final class IoBench
{
    static final String BASELINE = Scenario.C_AFXDP.name();
    static final String SLUICE = Scenario.SLUICE_IO.name();
    /** As SLUICE_JVM_FLAGS in the ./sluice launcher (and sluice.jvm.flags in the parent pom). */
    static final List<String> JVM_FLAGS = List.of("--enable-native-access=ALL-UNNAMED", "--add-exports",
        "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow");
    static final int GENERATOR_CPU = 0;
    /**
     * ESP forwarders warm up at least this long when the warm-up is a full one (1 s or more): C2
     * compiles the JCE's AES-GCM and ChaCha20 intrinsics and the ESP path only after some
     * hundred thousand packets, and a 1 s warm-up measured part of that on a busy VM.
     */
    static final int ESP_WARMUP_MS = 1500;
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
        FrameSize size, int seconds, int runs, Path json, int warmupMs, Path home, String java, String javaClassPath,
        Scenario scenario)
    {
        /** The same options for another scenario. */
        public Options withScenario(final String name)
        {
            return withScenario(Scenario.named(name));
        }

        public Options withScenario(final Scenario s)
        {
            return new Options(size, seconds, runs, json, warmupMs, home, java, javaClassPath, s);
        }

        public Options withSize(final FrameSize s)
        {
            return new Options(s, seconds, runs, json, warmupMs, home, java, javaClassPath, scenario);
        }

        public Options withJson(final Path file)
        {
            return new Options(size, seconds, runs, file, warmupMs, home, java, javaClassPath, scenario);
        }

        public static Options parse(final String[] args)
        {
            return parse(args, null);
        }

        /**
         * The common options; any other flag goes to {@code other} (its index and the arguments;
         * it returns the index of the last argument it took), or is an error when that is null.
         */
        public static Options parse(final String[] args, final OtherFlag other)
        {
            FrameSize size = FrameSize.of(64);
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
                    case "--size" -> size = FrameSize.parse(value(args, ++i, "--size"));
                    case "--seconds" -> seconds = intValue(args, ++i, "--seconds", 1, 3600);
                    case "--runs" -> runs = intValue(args, ++i, "--runs", 1, 100);
                    case "--warmup-ms" -> warmupMs = intValue(args, ++i, "--warmup-ms", 0, 60_000);
                    case "--json" -> json = Path.of(value(args, ++i, "--json"));
                    case "--home" -> home = Path.of(value(args, ++i, "--home"));
                    case "--java" -> java = value(args, ++i, "--java");
                    case "--java-cp" -> cp = value(args, ++i, "--java-cp");
                    default ->
                    {
                        if (other == null)
                        {
                            throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                        }
                        i = other.take(args, i);
                    }
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
            return new Options(size, seconds, runs, json, warmupMs, home, java, cp, Scenario.named("io"));
        }

        static String value(final String[] args, final int i, final String flag)
        {
            if (i >= args.length)
            {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return args[i];
        }

        static int intValue(final String[] args, final int i, final String flag, final int min, final int max)
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

    /** A flag {@link Options#parse} does not know, for a command that has more. */
    @FunctionalInterface
    public interface OtherFlag
    {
        int take(String[] args, int i);
    }

    /**
     * The DUT core over the measured interval, from /proc/stat's line for the forwarder CPU: the
     * share it was busy, split into user, system and interrupt (irq + softirq: where the kernel
     * does the veth and XDP work) time; and the forwarder process's own user + system time as a
     * share of one CPU. A busy-polling forwarder keeps its core near 1.0 whatever the load.
     */
    public record CoreUse(double busy, double user, double system, double irq, double process)
    {
        public static final CoreUse UNKNOWN = new CoreUse(-1, -1, -1, -1, -1);
    }

    /** One forwarder measured once. */
    public record Measurement(
        String name, int run, FrameSize size, double forwardedMpps, double offeredMpps, long elapsedNs, long sent,
        long received, long sentBytes, long receivedBytes, long lost, long reordered, long generatorRxDrops,
        long generatorTxDropped, long forwarderRx, long forwarderTx, long forwarderTxDropped, long forwarderTxErrors,
        long forwarderRxRingFull, long forwarderRxDropped, long forwarderFillEmpty, int forwarderCpu,
        int generatorCpu, String limitedBy, double backgroundCpu, long generatorStalledNs, CoreUse dut,
        String forwarderEsp)
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

        /** Frames sent in the measured interval that did not come back in it. */
        long drops()
        {
            return Math.max(0, sent - received);
        }

        /** Gbit/s of the generator's frames that came back, counted at their size as sent (with FCS). */
        double gbps()
        {
            return elapsedNs == 0 ? 0 : receivedBytes * 8.0 / elapsedNs;
        }

        boolean generatorLimited()
        {
            return !"forwarder".equals(limitedBy);
        }
    }

    /** One forwarder's numbers over the runs. */
    public record SystemStats(String name, Stats mpps, Stats gbps, Stats drops, Stats loss, Stats dutBusy,
        Stats dutIrq, Stats forwarderCpu)
    {
        static SystemStats of(final String name, final List<Measurement> all)
        {
            return new SystemStats(name,
                Stats.of(all.stream().mapToDouble(Measurement::forwardedMpps).toArray()),
                Stats.of(all.stream().mapToDouble(Measurement::gbps).toArray()),
                Stats.of(all.stream().mapToDouble(Measurement::drops).toArray()),
                Stats.of(all.stream().mapToDouble(Measurement::loss).toArray()),
                Stats.of(all.stream().filter(m -> m.dut().busy() >= 0).mapToDouble(m -> m.dut().busy()).toArray()),
                Stats.of(all.stream().filter(m -> m.dut().irq() >= 0).mapToDouble(m -> m.dut().irq()).toArray()),
                Stats.of(all.stream().filter(m -> m.dut().process() >= 0).mapToDouble(m -> m.dut().process()).toArray()));
        }

        String json()
        {
            return "{\"mpps\":" + mpps.json() + ",\"gbps\":" + gbps.json() + ",\"drops\":" + drops.json() +
                ",\"loss\":" + loss.json() + ",\"dutCpu\":" + dutBusy.json() + ",\"dutIrqCpu\":" + dutIrq.json() +
                ",\"forwarderCpu\":" + forwarderCpu.json() + "}";
        }
    }

    /** The outcome of one scenario at one size: medians, their ratio, the verdict on the generator, every measurement. */
    public record Result(
        Scenario scenario, FrameSize size, int runs, double mpps, double baselineMpps, double ratio, double offeredMpps,
        boolean generatorBottleneck, String summary, double bestMpps, double baselineBestMpps, double[] pairedRatios,
        SystemStats system, SystemStats baseline, int disturbed, List<Measurement> measurements, SystemStats reference)
    {
        double gbpsRatio()
        {
            return baseline.gbps().median() > 0 ? Stats.round4(system.gbps().median() / baseline.gbps().median()) : 0;
        }
    }

    public static Result run(final Options o) throws InterruptedException
    {
        final List<Measurement> all = measure(o, Scenario.dutsOf(List.of(o.scenario())),
            List.of(o.size()), m -> System.out.println(describe(m, o.runs())));
        final Result result = summarize(o, all);
        if (o.runs() > 1)
        {
            System.out.printf(Locale.ROOT, "  best of %d: %s %.2f Mpps, %s %.2f Mpps; ratio per run %s%n", o.runs(),
                sluiceName(o), result.bestMpps(), baselineName(o), result.baselineBestMpps(),
                Arrays.toString(result.pairedRatios()));
        }
        System.out.println(result.summary());
        CryptoBaseline.Point crypto = null;
        if (o.scenario().cipher() != null)
        {
            final CryptoBaseline.Result c = CryptoBaseline.measure(List.of(o.scenario().cipher()), List.of(o.size()),
                1, 600, FORWARDER_CPU);
            System.out.print(c.text());
            crypto = c.points().get(0);
            final EspCost cost = EspCost.of(result, crypto);
            if (cost != null)
            {
                System.out.println(cost.text());
            }
        }
        if (o.json() != null)
        {
            write(o.json(), toJson(o, result, crypto));
        }
        return result;
    }

    static String baselineName(final Options o)
    {
        return o.scenario().baseline().name();
    }

    static String sluiceName(final Options o)
    {
        return o.scenario().system().name();
    }

    /**
     * Measures every forwarder at every size, {@code o.runs()} times: per run and size each
     * forwarder in turn, the order reversed every other run. All in one lab: two namespaces and the
     * veth pairs, made once.
     */
    static List<Measurement> measure(
        final Options o, final List<Scenario.Dut> duts, final List<FrameSize> sizes, final Consumer<Measurement> each)
        throws InterruptedException
    {
        return measure(o, duts, sizes, (d, s) -> true, each);
    }

    /** As above, each forwarder only at the sizes {@code wanted} says. */
    static List<Measurement> measure(
        final Options o, final List<Scenario.Dut> duts, final List<FrameSize> sizes,
        final java.util.function.BiPredicate<Scenario.Dut, FrameSize> wanted, final Consumer<Measurement> each)
        throws InterruptedException
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
        final java.util.Map<String, Path> rings = new java.util.HashMap<>();
        try (BenchLab lab = BenchLab.create())
        {
            final String genNs = lab.namespace("gen");
            final String dutNs = lab.namespace("dut");
            final String[] veth = lab.veth(genNs, "g", dutNs, "d", Scenario.LAB_MTU);
            // a tunnel with two sides: frames go in on one veth and come back on another
            final boolean twoPorts = duts.stream().anyMatch(Scenario.Dut::twoPorts);
            final String[] wan = twoPorts ? lab.veth(genNs, "h", dutNs, "e", Scenario.LAB_MTU) : null;
            final Scenario.Wiring wiring = new Scenario.Wiring(veth[1], wan == null ? null : wan[1],
                lab.mac(genNs, veth[0]), wan == null ? null : lab.mac(genNs, wan[0]), fwd);
            final String dutMac = lab.mac(dutNs, veth[1]);
            System.out.printf(Locale.ROOT, "bench: %s at %s bytes, %d run(s) of %d s after %d ms warm-up; generator on " +
                    "CPU %d in %s (%s), forwarders on CPU %d in %s (%s%s)%n",
                duts.stream().map(Scenario.Dut::name).toList(), sizes, o.runs(), o.seconds(), o.warmupMs(),
                GENERATOR_CPU, genNs, veth[0], FORWARDER_CPU, dutNs, veth[1], wan == null ? "" : ", " + wan[1]);
            for (int run = 1; run <= o.runs(); run++)
            {
                for (final FrameSize size : sizes)
                {
                    final List<Scenario.Dut> order = new ArrayList<>(duts);
                    if (run % 2 == 0)
                    {
                        java.util.Collections.reverse(order);
                    }
                    for (final Scenario.Dut dut : order)
                    {
                        if (!wanted.test(dut, size))
                        {
                            continue;
                        }
                        final List<String> generator = new ArrayList<>(List.of(gen.toString(), "--iface", veth[0],
                            "--cpu", Integer.toString(GENERATOR_CPU), "--dst-mac", dutMac, "--size", size.label(),
                            "--warmup-ms", Integer.toString(warmupMs(o, dut)), "--seconds",
                            Integer.toString(o.seconds() + 60), "--rx-offset", Integer.toString(dut.rxOffset()),
                            "--copy"));
                        if (dut.twoPorts())
                        {
                            generator.addAll(List.of("--rx-iface", wan[0]));
                        }
                        if (dut.esp() != null && dut.esp().decrypt())
                        {
                            generator.addAll(List.of("--ring", ring(rings, dut, size).toString()));
                        }
                        else if (dut.esp() != null)
                        {
                            generator.add("--rx-any");
                        }
                        final Measurement m = measureOnce(lab, dut.name(), run, size,
                            dut.launcher().command(wiring, o), dutNs, generator, genNs, o, warmupMs(o, dut));
                        all.add(m);
                        each.accept(m);
                        System.out.flush();
                    }
                }
            }
        }
        finally
        {
            for (final Path p : rings.values())
            {
                try
                {
                    Files.deleteIfExists(p);
                }
                catch (final IOException ignored)
                {
                    // a temporary file left behind
                }
            }
        }
        return all;
    }

    /** The decrypt direction's pre-encrypted frames for a forwarder and size, written once per bench. */
    private static Path ring(final java.util.Map<String, Path> rings, final Scenario.Dut dut, final FrameSize size)
    {
        final Scenario.EspTraffic t = dut.esp();
        final String key = t.suite().name() + (t.gre() ? "-gre" : "") + "-" + size.label();
        Path p = rings.get(key);
        if (p == null)
        {
            try
            {
                p = Files.createTempFile("sluice-esp-ring-" + key + "-", ".bin");
            }
            catch (final IOException e)
            {
                throw new BenchException("cannot create a temporary file for the ESP frame ring: " + e.getMessage(), e);
            }
            rings.put(key, p);
            final long t0 = System.nanoTime();
            final int half = EspRing.half(size);
            EspRing.write(p, t.suite(), t.gre(), size, half);
            System.out.printf(Locale.ROOT, "  (ring of 2 x %d %s ESP frames for %s at %s written in %.1f s)%n", half,
                t.suite().name(), dut.name(), size.label(), (System.nanoTime() - t0) / 1e9);
        }
        return p;
    }

    static Path cProgram(final Path home, final String name)
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

    /** A forwarder's warm-up: the options', at least {@link #ESP_WARMUP_MS} for ESP in a full (>= 1 s) one. */
    static int warmupMs(final Options o, final Scenario.Dut dut)
    {
        return dut.esp() != null && o.warmupMs() >= 1000 ? Math.max(o.warmupMs(), ESP_WARMUP_MS) : o.warmupMs();
    }

    /** Forwarders exit on their own a minute after the end, should SIGTERM never come (bench killed -9). */
    static int safetySeconds(final Options o)
    {
        return Math.max(o.warmupMs(), ESP_WARMUP_MS) / 1000 + o.seconds() + 60;
    }

    private static Measurement measureOnce(
        final BenchLab lab, final String name, final int run, final FrameSize size, final List<String> forwarderCommand,
        final String dutNs, final List<String> generatorCommand, final String genNs, final Options o,
        final int warmupMs) throws InterruptedException
    {
        final BenchLab.Child forwarder = lab.spawn(name, dutNs, forwarderCommand);
        forwarder.awaitReady(60_000);
        final BenchLab.Child generator = lab.spawn("generator", genNs, generatorCommand);
        generator.awaitReady(20_000);
        final long forwarderPid = forwarder.process().pid();
        sleepWatching(warmupMs, name, forwarder, generator);
        final long[] cpu0 = cpuTimes(forwarderPid, generator.process().pid());
        final long[] core0 = CpuSample.core(FORWARDER_CPU);
        final long process0 = CpuSample.processTicks(forwarderPid);
        sleepWatching(o.seconds() * 1000L, name, forwarder, generator);
        final long[] cpu1 = cpuTimes(forwarderPid, generator.process().pid());
        final long[] core1 = CpuSample.core(FORWARDER_CPU);
        final long process1 = CpuSample.processTicks(forwarderPid);
        final double background = cpu0 == null || cpu1 == null || cpu1[0] <= cpu0[0] ? -1 :
            Math.max(0, (double)((cpu1[1] - cpu0[1]) - (cpu1[2] - cpu0[2])) / (cpu1[0] - cpu0[0]));
        final CoreUse dut = CpuSample.use(core0, core1, process0, process1);
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
        final long sentBytes = g.getLong("sentBytes", Math.round(sent * size.meanBytes()));
        final long receivedBytes = g.getLong("receivedBytes", Math.round(received * size.meanBytes()));
        return new Measurement(name, run, size, forwarded, offered, elapsed, sent, received, sentBytes, receivedBytes,
            g.getLong("lost"), g.getLong("reordered"), genRxDrops, g.getLong("txDropped"), f.getLong("rx"),
            f.getLong("tx"), f.getLong("txDropped"), f.getLong("txErrors"), f.getLong("kernelRxRingFull"),
            f.getLong("kernelRxDropped"), f.getLong("kernelFillEmpty"), (int)f.getLong("cpu", -1),
            (int)g.getLong("cpu", -1), limitedBy, background, g.getLong("stalledNs", 0), dut, espOf(f));
    }

    /** The ESP counters of a forwarder's result line, as a JSON object, or null when it has none. */
    private static String espOf(final FlatJson f)
    {
        final String text = f.toString();
        if (!text.contains("\"esp"))
        {
            return null;
        }
        final StringBuilder sb = new StringBuilder("{");
        for (final String k : new String[]{"espEncrypted", "espDecrypted", "espReplayDrops", "espIcvFailures",
            "espPaddingErrors", "espSaRenewals", "espReplayWindow"})
        {
            final long v = f.getLong(k, -1);
            if (v >= 0)
            {
                sb.append(sb.length() > 1 ? "," : "").append(Json.quote(k)).append(':').append(v);
            }
        }
        final String drops = f.getString("dropSummary");
        if (drops != null)
        {
            sb.append(sb.length() > 1 ? "," : "").append("\"dropSummary\":").append(Json.quote(drops));
        }
        return sb.append('}').toString();
    }

    private static void sleepWatching(
        final long ms, final String name, final BenchLab.Child forwarder, final BenchLab.Child generator)
        throws InterruptedException
    {
        final long until = System.nanoTime() + ms * 1_000_000L;
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
                final long t = CpuSample.processTicks(pid);
                if (t < 0)
                {
                    return null;
                }
                ours += t;
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
        if (m.forwarderEsp() != null && m.forwarderEsp().matches(".*\"esp(ReplayDrops|IcvFailures|PaddingErrors)\":[1-9].*"))
        {
            cpus += "; WARNING the forwarder dropped ESP: " + m.forwarderEsp();
        }
        return String.format(Locale.ROOT,
            "  run %d/%d %5s %-13s %.3f Mpps %.2f Gbit/s back of %.3f offered (loss %.1f %%; DUT core busy %.0f %% " +
                "(irq %.0f %%); forwarder rx_ring_full %d, rx_dropped %d, txDropped %d; generator rx drops %d, " +
                "reordered %d) -> %s%s",
            m.run(), runs, m.size().label(), m.name(), m.forwardedMpps(), m.gbps(), m.offeredMpps(), m.loss() * 100,
            m.dut().busy() * 100, m.dut().irq() * 100, m.forwarderRxRingFull(), m.forwarderRxDropped(),
            m.forwarderTxDropped(), m.generatorRxDrops(), m.reordered(), verdict, cpus);
    }

    static double median(final double[] values)
    {
        return Stats.of(values).median();
    }

    private static List<Measurement> of(final List<Measurement> all, final String name, final FrameSize size)
    {
        return all.stream().filter(m -> m.name().equals(name) && m.size().equals(size)).toList();
    }

    /** The scenario of {@code o} at {@code o.size()}, from the measurements of its two forwarders among {@code all}. */
    static Result summarize(final Options o, final List<Measurement> all)
    {
        final List<Measurement> mine = of(all, sluiceName(o), o.size());
        final List<Measurement> theirs = of(all, baselineName(o), o.size());
        final List<Measurement> both = new ArrayList<>(mine);
        both.addAll(theirs);
        final SystemStats system = SystemStats.of(sluiceName(o), mine);
        final SystemStats baseline = SystemStats.of(baselineName(o), theirs);
        final double sluice = system.mpps().median();
        final double base = baseline.mpps().median();
        final double ratio = base > 0 ? Stats.round4(sluice / base) : 0;
        final double offered = median(both.stream().mapToDouble(Measurement::offeredMpps).toArray());
        final long sluiceGenLimited = mine.stream().filter(Measurement::generatorLimited).count();
        final long baseGenLimited = theirs.stream().filter(Measurement::generatorLimited).count();
        final boolean generatorBottleneck = sluiceGenLimited + baseGenLimited > 0;
        final int runs = Math.max(mine.size(), theirs.size());
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
                who.add(baselineName(o) + " in " + baseGenLimited + " of " + runs + " runs");
            }
            if (sluiceGenLimited > 0)
            {
                who.add(sluiceName(o) + " in " + sluiceGenLimited + " of " + runs + " runs");
            }
            verdict = "MAY BE THE BOTTLENECK: it was the limit for " + String.join(" and ", who) +
                " (that rate is a lower bound" + (baseGenLimited > 0 && sluiceGenLimited == 0 ?
                "; the ratio may overstate " + sluiceName(o) + ")" : ")");
        }
        final int disturbed = (int)both.stream().filter(Measurement::disturbed).count();
        final String busy = disturbed > 0 ? String.format(Locale.ROOT,
            "; WARNING: %d of %d measurements were disturbed (other processes on the CPUs, or the generator " +
                "stalled), the numbers are unreliable", disturbed, both.size()) : "";
        final String summary = String.format(Locale.ROOT,
            "%s %s: %s %.2f Mpps, %s %.2f Mpps, ratio %.2f (median of %d run%s; %.2f vs %.2f Gbit/s; generator " +
                "offered %.2f Mpps, %s%s)",
            o.scenario().name(), o.size().imix() ? "imix" : o.size().label() + "B", sluiceName(o), sluice, baselineName(o), base, ratio, runs,
            runs == 1 ? "" : "s", system.gbps().median(), baseline.gbps().median(), offered, verdict, busy);
        final double[] paired = new double[Math.min(mine.size(), theirs.size())];
        for (int i = 0; i < paired.length; i++)
        {
            final double b = theirs.get(i).forwardedMpps();
            paired[i] = b > 0 ? Stats.round4(mine.get(i).forwardedMpps() / b) : 0;
        }
        final Scenario.Dut ref = o.scenario().reference();
        final SystemStats reference = ref == null ? null : SystemStats.of(ref.name(), of(all, ref.name(), o.size()));
        return new Result(o.scenario(), o.size(), runs, sluice, base, ratio, offered, generatorBottleneck,
            summary + (reference == null || reference.mpps().median() <= 0 ? "" : String.format(Locale.ROOT,
                "; %s %.2f Mpps, %s / %s %.2f", ref.name(), reference.mpps().median(), sluiceName(o), ref.name(),
                sluice / reference.mpps().median())),
            system.mpps().max(), baseline.mpps().max(), paired, system, baseline, disturbed, both, reference);
    }

    private static String num(final double v)
    {
        return Stats.num(v);
    }

    static String toJson(final Options o, final Result r)
    {
        return toJson(o, r, null);
    }

    /**
     * The result as one JSON object: the scenario's medians first (scenario, size, mpps, baseline,
     * ratio, runs: the shape every scenario shares), then median/min/max per forwarder under
     * "systems", the crypto baseline when one was measured, and every measurement.
     */
    static String toJson(final Options o, final Result r, final CryptoBaseline.Point crypto)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("{\"scenario\":\"").append(r.scenario().name()).append("\",\"size\":").append(r.size().json())
            .append(",\"mpps\":").append(num(r.mpps()))
            .append(",\"baseline\":{\"name\":\"").append(r.baseline().name()).append("\",\"mpps\":")
            .append(num(r.baselineMpps()))
            .append("},\"ratio\":").append(num(r.ratio()))
            .append(",\"runs\":").append(r.runs())
            .append(",\"seconds\":").append(o.seconds())
            .append(",\"warmupMs\":").append(o.warmupMs())
            .append(",\"meanFrameBytes\":").append(num(r.size().meanBytes()))
            .append(",\"gbps\":").append(num(r.system().gbps().median()))
            .append(",\"baselineGbps\":").append(num(r.baseline().gbps().median()))
            .append(",\"gbpsRatio\":").append(num(r.gbpsRatio()))
            .append(",\"goal\":").append(num(r.scenario().goal()))
            .append(",\"offeredMpps\":").append(num(r.offeredMpps()))
            .append(",\"bestMpps\":").append(num(r.bestMpps()))
            .append(",\"baselineBestMpps\":").append(num(r.baselineBestMpps()))
            .append(",\"ratioPerRun\":").append(Arrays.toString(r.pairedRatios()).replace(" ", ""))
            .append(",\"generatorBottleneck\":").append(r.generatorBottleneck())
            .append(",\"disturbed\":").append(r.disturbed())
            .append(",\"summary\":").append(Json.quote(r.summary()))
            .append(",\"systems\":{").append(Json.quote(r.system().name())).append(':').append(r.system().json())
            .append(',').append(Json.quote(r.baseline().name())).append(':').append(r.baseline().json()).append('}');
        if (r.reference() != null)
        {
            final double refMpps = r.reference().mpps().median();
            sb.append(",\"reference\":{\"name\":").append(Json.quote(r.reference().name()))
                .append(",\"mpps\":").append(num(refMpps))
                .append(",\"gbps\":").append(num(r.reference().gbps().median()))
                .append(",\"ratio\":").append(refMpps > 0 ? num(Stats.round4(r.mpps() / refMpps)) : "null")
                .append(",\"stats\":").append(r.reference().json()).append('}');
        }
        if (crypto != null)
        {
            sb.append(",\"crypto\":").append(crypto.json());
            final EspCost cost = EspCost.of(r, crypto);
            if (cost != null)
            {
                sb.append(",\"espCost\":").append(cost.json());
            }
        }
        sb.append(",\"measurements\":[");
        for (int i = 0; i < r.measurements().size(); i++)
        {
            final Measurement m = r.measurements().get(i);
            if (i > 0)
            {
                sb.append(',');
            }
            sb.append("{\"name\":\"").append(m.name()).append("\",\"run\":").append(m.run())
                .append(",\"mpps\":").append(num(m.forwardedMpps()))
                .append(",\"gbps\":").append(num(m.gbps()))
                .append(",\"offeredMpps\":").append(num(m.offeredMpps()))
                .append(",\"loss\":").append(num(m.loss()))
                .append(",\"drops\":").append(m.drops())
                .append(",\"limitedBy\":\"").append(m.limitedBy()).append('"')
                .append(",\"elapsedNs\":").append(m.elapsedNs())
                .append(",\"sent\":").append(m.sent())
                .append(",\"received\":").append(m.received())
                .append(",\"sentBytes\":").append(m.sentBytes())
                .append(",\"receivedBytes\":").append(m.receivedBytes())
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
                .append(",\"dutCpu\":{\"busy\":").append(num(m.dut().busy()))
                .append(",\"user\":").append(num(m.dut().user()))
                .append(",\"system\":").append(num(m.dut().system()))
                .append(",\"irq\":").append(num(m.dut().irq()))
                .append(",\"process\":").append(num(m.dut().process())).append('}')
                .append(",\"backgroundCpu\":").append(num(m.backgroundCpu()))
                .append(",\"generatorStalled\":").append(num(m.generatorStalled()));
            if (m.forwarderEsp() != null)
            {
                sb.append(",\"forwarderEsp\":").append(m.forwarderEsp());
            }
            sb.append('}');
        }
        sb.append("]}");
        return sb.toString();
    }

    static void write(final Path file, final String text)
    {
        try
        {
            final Path parent = file.toAbsolutePath().getParent();
            if (parent != null)
            {
                Files.createDirectories(parent);
            }
            Files.writeString(file, text.endsWith("\n") ? text : text + "\n");
        }
        catch (final IOException e)
        {
            throw new BenchException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
