package io.sluice.tools.bench;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code sluice bench all}: the standard set in one run, so that every number has its baselines
 * from the same minutes on the same machine. In order: the crypto limit ({@link CryptoBaseline});
 * every scenario's forwarder and baseline at 64, 512, 1400 bytes and IMIX, each forwarder measured
 * once per run and size and shared by the scenarios that need it ({@link IoBench#measure}); the JMH
 * micro-benchmarks ({@link JmhBench}). Writes to {@code perf/results/DATE/} (or {@code --out}): one
 * JSON per scenario and size in the shape {@code bench SCENARIO --json} writes, {@code crypto.json},
 * {@code jmh.json}, {@code summary.json}, {@code report.md} ({@link Report}), PNG charts
 * ({@link Charts}) and {@code bench.log}.
 * <p>
 * {@code --quick} is the smoke version: one run of 1 s per forwarder and size, one algorithm, a
 * minimal JMH pass; its default output directory is {@code perf/results/DATE-quick}.
 */
final class BenchAll
{
    /** Full run: 3 runs x 2 s per forwarder and size; 6 forwarders x 4 sizes take about 6 minutes here. */
    static final int SECONDS = 2;
    static final int RUNS = 3;
    /** Each iperf3 test through strongSwan or wireguard-go, in a full run. */
    static final int VPN_SECONDS = 3;

    /** What to run. */
    record Config(
        IoBench.Options options, boolean quick, Path out, List<Scenario> scenarios, List<FrameSize> sizes,
        List<String> algorithms, List<List<String>> jmh, String command, List<String> baselines)
    {
    }

    /** Everything one run produced, for the report and the charts. */
    record Outcome(
        Config config, String date, String host, double elapsedSeconds, List<IoBench.Result> results,
        List<IoBench.Measurement> measurements, CryptoBaseline.Result crypto, List<JmhBench.Row> jmh,
        List<VpnBaseline.Result> baselines)
    {
    }

    private BenchAll()
    {
    }

    static Config parse(final String[] args)
    {
        final boolean quick = List.of(args).contains("--quick");
        final Path[] out = {null};
        final List<Scenario> scenarios = new ArrayList<>(Scenario.standard());
        // the VPNs users would run instead: in a full run; in a quick or narrowed one when named in --scenarios
        final List<String> baselines = new ArrayList<>(quick ? List.of() : VpnBaseline.NAMES);
        final List<FrameSize> sizes = new ArrayList<>(FrameSize.STANDARD);
        final List<String> algorithms = new ArrayList<>(quick ? List.of("aes-gcm-128") :
            CryptoBaseline.ALGORITHMS.stream().map(CryptoBaseline.Algorithm::name).toList());
        final boolean[] jmh = {true};
        final String[] jmhPattern = {null};
        final boolean[] seconds = {false};
        final boolean[] runs = {false};
        final boolean[] warmup = {false};
        final IoBench.Options parsed = IoBench.Options.parse(args, (a, i) ->
        {
            switch (a[i])
            {
                case "--quick" ->
                {
                    return i;
                }
                case "--no-jmh" ->
                {
                    jmh[0] = false;
                    return i;
                }
                case "--no-baselines" ->
                {
                    baselines.clear();
                    return i;
                }
                case "--out" -> out[0] = Path.of(IoBench.Options.value(a, i + 1, "--out"));
                case "--jmh" -> jmhPattern[0] = IoBench.Options.value(a, i + 1, "--jmh");
                case "--scenarios" ->
                {
                    scenarios.clear();
                    baselines.clear();
                    for (final String s : IoBench.Options.value(a, i + 1, "--scenarios").split(","))
                    {
                        if (VpnBaseline.NAMES.contains(s.trim()))
                        {
                            baselines.add(s.trim());
                        }
                        else
                        {
                            scenarios.add(Scenario.named(s.trim()));
                        }
                    }
                }
                case "--sizes" ->
                {
                    sizes.clear();
                    for (final String s : IoBench.Options.value(a, i + 1, "--sizes").split(","))
                    {
                        sizes.add(FrameSize.parse(s.trim()));
                    }
                }
                case "--algorithms" ->
                {
                    algorithms.clear();
                    for (final String s : IoBench.Options.value(a, i + 1, "--algorithms").split(","))
                    {
                        if (!s.isBlank())
                        {
                            algorithms.add(CryptoBaseline.algorithm(s.trim()).name());
                        }
                    }
                }
                default -> throw new IllegalArgumentException("unknown argument '" + a[i] + "'");
            }
            return i + 1;
        });
        // --seconds, --runs, --warmup-ms given on the command line win over the defaults of the mode
        for (final String a : args)
        {
            seconds[0] |= a.equals("--seconds");
            runs[0] |= a.equals("--runs");
            warmup[0] |= a.equals("--warmup-ms");
        }
        final IoBench.Options o = new IoBench.Options(parsed.size(), seconds[0] ? parsed.seconds() : quick ? 1 : SECONDS,
            runs[0] ? parsed.runs() : quick ? 1 : RUNS, null, warmup[0] ? parsed.warmupMs() : quick ? 500 : 1000,
            parsed.home(), parsed.java(), parsed.javaClassPath(), parsed.scenario());
        final String date = LocalDate.now().toString();
        final Path dir = out[0] != null ? out[0] : o.home().resolve("perf/results").resolve(quick ? date + "-quick" : date);
        final List<List<String>> jmhGroups = new ArrayList<>();
        if (jmh[0])
        {
            if (jmhPattern[0] != null)
            {
                // a pattern and any JMH options of its own ("GraphBenchmark -p size=64"), run briefly
                jmhGroups.add(concat(List.of(jmhPattern[0].trim().split("\\s+")),
                    List.of("-f", "1", "-wi", "1", "-i", "1", "-w", "200ms", "-r", "300ms")));
            }
            else if (quick)
            {
                jmhGroups.add(List.of("GraphBenchmark", "-p", "size=64", "-f", "1", "-wi", "1", "-i", "1", "-w", "500ms",
                    "-r", "500ms"));
            }
            else
            {
                final List<String> brief = List.of("-f", "1", "-wi", "1", "-i", "2", "-w", "1s", "-r", "1s");
                jmhGroups.add(concat(List.of("GraphBenchmark"), brief));
                jmhGroups.add(concat(List.of("Ip4FibBenchmark"), brief));
                jmhGroups.add(concat(List.of("EspBenchmark", "-p", "algorithm=aes-gcm-128",
                    "-p", "size=64,1400"), brief));
            }
        }
        return new Config(o, quick, dir, List.copyOf(scenarios), List.copyOf(sizes), List.copyOf(algorithms),
            jmhGroups, "sluice bench all " + String.join(" ", filterInternal(args)), List.copyOf(baselines));
    }

    /** The command line as a person would type it again: without the test harness's --home/--java/--java-cp. */
    private static List<String> filterInternal(final String[] args)
    {
        final List<String> kept = new ArrayList<>();
        for (int i = 0; i < args.length; i++)
        {
            if (args[i].equals("--home") || args[i].equals("--java") || args[i].equals("--java-cp"))
            {
                i++;
                continue;
            }
            kept.add(args[i]);
        }
        return kept;
    }

    private static List<String> concat(final List<String> a, final List<String> b)
    {
        final List<String> c = new ArrayList<>(a);
        c.addAll(b);
        return c;
    }

    static int run(final String[] args) throws InterruptedException
    {
        final Config c = parse(args);
        run(c);
        return 0;
    }

    static Outcome run(final Config c) throws InterruptedException
    {
        final IoBench.Options o = c.options();
        final long start = System.nanoTime();
        try
        {
            Files.createDirectories(c.out());
        }
        catch (final IOException e)
        {
            throw new BenchException("cannot create " + c.out() + ": " + e.getMessage(), e);
        }
        final PrintStream console = System.out;
        try (PrintStream log = new PrintStream(new FileOutputStream(c.out().resolve("bench.log").toFile()), true,
            StandardCharsets.UTF_8))
        {
            final PrintStream tee = new PrintStream(new Tee(console, log), true, StandardCharsets.UTF_8);
            System.setOut(tee);
            try
            {
                return runLogged(c, o, start);
            }
            finally
            {
                System.setOut(console);
                tee.flush();
            }
        }
        catch (final IOException e)
        {
            throw new BenchException("cannot write " + c.out().resolve("bench.log") + ": " + e.getMessage(), e);
        }
    }

    private static Outcome runLogged(final Config c, final IoBench.Options o, final long start)
        throws InterruptedException, IOException
    {
        final String date = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        System.out.println("bench all: " + c.command());
        System.out.println("bench all: scenarios " + c.scenarios().stream().map(Scenario::name).toList() + " at " +
            c.sizes() + "; " + o.runs() + " run(s) of " + o.seconds() + " s; crypto " + c.algorithms() + "; jmh " +
            (c.jmh().isEmpty() ? "off" : c.jmh().size() + " group(s)") + "; results in " + c.out());

        CryptoBaseline.Result crypto = null;
        if (!c.algorithms().isEmpty())
        {
            System.out.println("bench all: crypto baselines on CPU " + IoBench.FORWARDER_CPU);
            crypto = cryptoBaselines(c);
            System.out.print(crypto.text());
            IoBench.write(c.out().resolve("crypto.json"), crypto.json());
        }

        final List<IoBench.Result> results = new ArrayList<>();
        List<IoBench.Measurement> all = List.of();
        if (!c.scenarios().isEmpty())
        {
            all = IoBench.measure(o, Scenario.dutsOf(c.scenarios()), c.sizes(),
                (d, size) -> Scenario.wanted(c.scenarios(), d, size),
                m -> System.out.println(IoBench.describe(m, o.runs())));
            for (final Scenario s : c.scenarios())
            {
                for (final FrameSize size : s.sizesAmong(c.sizes()))
                {
                    final IoBench.Options so = o.withScenario(s).withSize(size);
                    final IoBench.Result r = IoBench.summarize(so, all);
                    results.add(r);
                    System.out.println(r.summary());
                    final CryptoBaseline.Point cryptoPoint = crypto != null && s.cipher() != null ?
                        cryptoFor(crypto, s.cipher(), size) : null;
                    final EspCost cost = EspCost.of(r, cryptoPoint);
                    if (cost != null)
                    {
                        System.out.println(cost.text());
                    }
                    IoBench.write(c.out().resolve(s.name() + "-" + size.label() + ".json"),
                        IoBench.toJson(so, r, cryptoPoint));
                }
            }
        }

        final List<VpnBaseline.Result> vpns = new ArrayList<>();
        for (final String name : c.baselines())
        {
            // one run each: iperf3 over a user-space VPN varies less between runs than it costs time
            System.out.println("bench all: " + name);
            final VpnBaseline.Result r = VpnBaseline.measure(name, VPN_SECONDS, 1);
            System.out.print(r.text());
            vpns.add(r);
            IoBench.write(c.out().resolve(name + ".json"), r.json());
        }

        final List<JmhBench.Row> jmh = new ArrayList<>();
        if (!c.jmh().isEmpty())
        {
            try (PrintStream jmhLog = new PrintStream(new FileOutputStream(c.out().resolve("jmh.log").toFile()), true,
                StandardCharsets.UTF_8))
            {
                int group = 0;
                for (final List<String> args : c.jmh())
                {
                    System.out.println("bench all: jmh " + String.join(" ", args) + " (output in jmh.log)");
                    final Path file = c.out().resolve("jmh-" + (++group) + ".json");
                    final List<JmhBench.Row> rows = JmhBench.run(o, args, file, jmhLog);
                    System.out.print(JmhBench.text(rows));
                    jmh.addAll(rows);
                    Files.deleteIfExists(file);
                }
            }
            IoBench.write(c.out().resolve("jmh.json"), JmhBench.json(jmh));
        }

        final double elapsed = (System.nanoTime() - start) / 1e9;
        final Outcome outcome = new Outcome(c, date, host(), elapsed, results, all, crypto, jmh, vpns);
        IoBench.write(c.out().resolve("summary.json"), Report.summaryJson(outcome));
        final List<Path> charts = Charts.write(outcome, c.out());
        Files.writeString(c.out().resolve("report.md"), Report.markdown(outcome, charts));
        System.out.printf(Locale.ROOT, "bench all: done in %.0f s; report %s%n", elapsed, c.out().resolve("report.md"));
        return outcome;
    }

    /** The crypto point of one algorithm at one size, for the scenario JSON's "crypto", or null. */
    static CryptoBaseline.Point cryptoFor(final CryptoBaseline.Result crypto, final String algorithm,
        final FrameSize size)
    {
        for (final CryptoBaseline.Point p : crypto.points())
        {
            if (p.algorithm().equals(algorithm) && p.size().equals(size))
            {
                return p;
            }
        }
        return null;
    }

    /**
     * Each algorithm at the sizes its ESP scenarios run at in this run (all sizes when no scenario
     * of this run uses it): the crypto limit beside every ESP number, and no time spent on the rest.
     */
    static CryptoBaseline.Result cryptoBaselines(final Config c) throws InterruptedException
    {
        final List<CryptoBaseline.Point> points = new ArrayList<>();
        CryptoBaseline.Result last = null;
        for (final String algorithm : c.algorithms())
        {
            final List<FrameSize> sizes = new ArrayList<>();
            for (final Scenario s : c.scenarios())
            {
                if (algorithm.equals(s.cipher()))
                {
                    s.sizesAmong(c.sizes()).stream().filter(z -> !sizes.contains(z)).forEach(sizes::add);
                }
            }
            final List<FrameSize> ordered = c.sizes().stream().filter(z -> sizes.isEmpty() || sizes.contains(z)).toList();
            last = CryptoBaseline.measure(List.of(algorithm), ordered, 1, c.quick() ? 300 : 600, IoBench.FORWARDER_CPU);
            points.addAll(last.points());
        }
        return new CryptoBaseline.Result(last.cpu(), last.openssl(), last.jdk(), points);
    }

    /** {@code sluice bench crypto}: the crypto baselines alone. */
    static int crypto(final String[] args) throws InterruptedException
    {
        final List<String> algorithms = new ArrayList<>();
        final IoBench.Options o = IoBench.Options.parse(args, (a, i) ->
        {
            if (!a[i].equals("--algorithms"))
            {
                throw new IllegalArgumentException("unknown argument '" + a[i] + "'");
            }
            for (final String s : IoBench.Options.value(a, i + 1, "--algorithms").split(","))
            {
                algorithms.add(CryptoBaseline.algorithm(s.trim()).name());
            }
            return i + 1;
        });
        if (algorithms.isEmpty())
        {
            CryptoBaseline.ALGORITHMS.forEach(a -> algorithms.add(a.name()));
        }
        final CryptoBaseline.Result r = CryptoBaseline.measure(algorithms, List.of(o.size()), o.seconds() >= 5 ? 1 :
            o.seconds(), 600, IoBench.FORWARDER_CPU);
        System.out.print(r.text());
        if (o.json() != null)
        {
            IoBench.write(o.json(), r.json());
        }
        return 0;
    }

    /** The machine, for the report: CPU model, count, kernel, JDK. */
    static String host()
    {
        String model = "unknown CPU";
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
            {
                if (line.startsWith("model name"))
                {
                    model = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        }
        catch (final IOException ignored)
        {
            // leave it unknown
        }
        String kernel = System.getProperty("os.version");
        return model + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, Linux " + kernel + ", " +
            System.getProperty("java.vm.name") + " " + System.getProperty("java.version");
    }

    /** Writes to two streams: the console and the log. */
    private static final class Tee extends OutputStream
    {
        private final OutputStream a;
        private final OutputStream b;

        Tee(final OutputStream a, final OutputStream b)
        {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(final int x) throws IOException
        {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(final byte[] buf, final int off, final int len) throws IOException
        {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException
        {
            a.flush();
            b.flush();
        }
    }
}
