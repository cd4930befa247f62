package io.sluice.tools.ikebench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * IKEv2 setup rate: one strongSwan charon initiates N IKE SAs, each with a child SA from IKE_AUTH,
 * against (a) Sluice's IKEv2 engine ({@link SluiceResponder}) and (b) a strongSwan charon
 * responder, one after the other in the same run, with the same proposals, PSK, traffic selectors
 * and half-open limits; reports SAs per second, failed negotiations and the responders' CPU time.
 * <p>
 * The initiator: Debian's strongSwan does not build the load-tester plugin, so charon is driven
 * through vici instead: {@code reuse_ikesa = no} makes every {@code initiate} of the child a new
 * IKE SA, and {@code --window} connections each keep one blocking {@code initiate} in flight, so a
 * negotiation's success or failure is known one by one (load-tester only counts). All SAs come
 * from one address and port pair per target, like load-tester without {@code addrs}; the initiator
 * sends no INITIAL_CONTACT ({@code unique = never}) so no SA replaces another.
 * <p>
 * Namespaces: {@code ini} (10.81.1.1 and 10.81.2.1, selectors 10.82.1.0/24), {@code slc} (Sluice,
 * 10.81.1.2) and {@code swr} (strongSwan, 10.81.2.2), selectors 10.82.2.0/24 behind both. A fresh
 * initiator charon per target, so neither target sees the other's SAs in the initiator's tables.
 */
public final class IkeSetupBench
{
    static final String PSK = "sluice-ike-bench-0123456789";
    private static final String INITIATOR_TS = "10.82.1.0/24";
    private static final String RESPONDER_TS = "10.82.2.0/24";
    /** Half-open SAs each responder allows before cookies, and per peer address, at most. */
    static final int HALF_OPEN_LIMIT = 1024;
    private static final long INITIATE_TIMEOUT_MILLIS = 60_000;
    private static final String USAGE = """
        usage: sluice bench ike-setup [--sas N] [--warmup N] [--window N] [--ike PROPOSAL] [--esp PROPOSAL]
                                      [--targets strongswan,sluice] [--json FILE] [--keep]
          --sas N        IKE SAs (each with a child SA) measured per target (default 1000)
          --warmup N     SAs set up first and not timed (default 50)
          --window N     negotiations in flight at once (default 16, at most 512)
          --ike/--esp    proposals in strongSwan's syntax (default aes128gcm16-prfsha256-x25519 / aes128gcm16)
          --keep         keep the work directory (charon logs, the Sluice responder's log)
        Needs root and strongSwan (charon, swanctl, kernel-libipsec).""";

    /** What to run. */
    record Options(int sas, int warmup, int window, String ike, String esp, List<String> targets, Path json,
        boolean keep)
    {
        static Options parse(final String[] args)
        {
            int sas = 1000;
            int warmup = 50;
            int window = 16;
            String ike = "aes128gcm16-prfsha256-x25519";
            String esp = "aes128gcm16";
            List<String> targets = List.of("strongswan", "sluice");
            Path json = null;
            boolean keep = false;
            for (int i = 0; i < args.length; i++)
            {
                final String a = args[i];
                if (a.equals("--keep"))
                {
                    keep = true;
                    continue;
                }
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException("missing value after " + a + "\n" + USAGE);
                }
                final String v = args[++i];
                switch (a)
                {
                    case "--sas" -> sas = positive(a, v);
                    case "--warmup" -> warmup = Integer.parseInt(v);
                    case "--window" -> window = positive(a, v);
                    case "--ike" -> ike = v;
                    case "--esp" -> esp = v;
                    case "--targets" -> targets = List.of(v.split(","));
                    case "--json" -> json = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
                }
            }
            if (window > 512)
            {
                throw new IllegalArgumentException("--window " + window + ": at most 512 (the half-open limit " +
                    "of both responders is " + HALF_OPEN_LIMIT + ")");
            }
            for (final String t : targets)
            {
                if (!t.equals("sluice") && !t.equals("strongswan"))
                {
                    throw new IllegalArgumentException("--targets: '" + t + "' is neither sluice nor strongswan");
                }
            }
            SluiceResponder.ikeProposal(ike);
            SluiceResponder.transformSet(esp);
            return new Options(sas, Math.max(0, warmup), window, ike, esp, targets, json, keep);
        }

        private static int positive(final String option, final String v)
        {
            final int n = Integer.parseInt(v);
            if (n <= 0)
            {
                throw new IllegalArgumentException(option + " must be positive");
            }
            return n;
        }
    }

    /** One target's numbers. */
    record TargetResult(String target, int attempted, int established, int failed, int warmupFailed,
        double seconds, double latencyP50Millis, double latencyP99Millis, double responderCpuSeconds,
        long responderIkeSas, long responderChildSas, Map<String, Long> responderCounters, List<String> errors)
    {
        double rate()
        {
            return seconds > 0 ? established / seconds : 0;
        }

        /** Failed negotiations, the untimed warm-up included. */
        int failedTotal()
        {
            return failed + warmupFailed;
        }
    }

    /** The whole run. */
    record Result(Options options, List<TargetResult> targets)
    {
        TargetResult target(final String name)
        {
            return targets.stream().filter(t -> t.target().equals(name)).findFirst().orElse(null);
        }

        /** Sluice's rate over strongSwan's, or NaN when one is missing. */
        double ratio()
        {
            final TargetResult s = target("sluice");
            final TargetResult w = target("strongswan");
            return s == null || w == null || w.rate() == 0 ? Double.NaN : s.rate() / w.rate();
        }

        boolean goalMet()
        {
            final TargetResult s = target("sluice");
            return s != null && s.failedTotal() == 0 && ratio() >= 1.0;
        }

        String table()
        {
            final StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "IKEv2 setup rate: %d SAs (+%d warm-up) per target, %d in flight, " +
                "IKE %s, ESP %s, PSK%n", options.sas(), options.warmup(), options.window(), options.ike(),
                options.esp()));
            sb.append(String.format(Locale.ROOT, "%-11s %6s %7s %8s %9s %8s %8s %12s %9s%n", "responder", "SAs",
                "failed", "seconds", "SAs/s", "p50 ms", "p99 ms", "CPU ms/SA", "resp SAs"));
            for (final TargetResult t : targets)
            {
                sb.append(String.format(Locale.ROOT, "%-11s %6d %7d %8.2f %9.1f %8.1f %8.1f %12.2f %9s%n", t.target(),
                    t.established(), t.failedTotal(), t.seconds(), t.rate(), t.latencyP50Millis(),
                    t.latencyP99Millis(), t.established() == 0 ? 0 : 1000 * t.responderCpuSeconds() / t.established(),
                    t.responderIkeSas() + "/" + t.responderChildSas()));
            }
            final double r = ratio();
            if (!Double.isNaN(r))
            {
                sb.append(String.format(Locale.ROOT, "Sluice/strongSwan: %.2f (goal: >= 1.00 with 0 failed): %s%n", r,
                    goalMet() ? "met" : "NOT met"));
            }
            for (final TargetResult t : targets)
            {
                t.errors().stream().limit(3).forEach(e -> sb.append("  ").append(t.target()).append(" failure: ")
                    .append(e).append('\n'));
            }
            return sb.toString();
        }

        String json()
        {
            final StringBuilder sb = new StringBuilder("{\"benchmark\":\"ike-setup\"");
            sb.append(",\"sas\":").append(options.sas()).append(",\"warmup\":").append(options.warmup())
                .append(",\"window\":").append(options.window()).append(",\"ike_proposal\":")
                .append(quote(options.ike())).append(",\"esp_proposal\":").append(quote(options.esp()))
                .append(",\"auth\":\"psk\",\"initiator\":\"strongSwan charon via vici, reuse_ikesa=no\"")
                .append(",\"half_open_limit\":").append(HALF_OPEN_LIMIT).append(",\"targets\":[");
            for (int i = 0; i < targets.size(); i++)
            {
                final TargetResult t = targets.get(i);
                sb.append(i == 0 ? "" : ",").append("{\"target\":").append(quote(t.target()))
                    .append(",\"attempted\":").append(t.attempted()).append(",\"established\":").append(t.established())
                    .append(",\"failed\":").append(t.failed()).append(",\"warmup_failed\":").append(t.warmupFailed())
                    .append(",\"seconds\":").append(num(t.seconds())).append(",\"sas_per_second\":")
                    .append(num(t.rate())).append(",\"latency_p50_ms\":").append(num(t.latencyP50Millis()))
                    .append(",\"latency_p99_ms\":").append(num(t.latencyP99Millis()))
                    .append(",\"responder_cpu_seconds\":").append(num(t.responderCpuSeconds()))
                    .append(",\"responder_ike_sas\":").append(t.responderIkeSas())
                    .append(",\"responder_child_sas\":").append(t.responderChildSas())
                    .append(",\"responder_counters\":{");
                int k = 0;
                for (final Map.Entry<String, Long> e : t.responderCounters().entrySet())
                {
                    sb.append(k++ == 0 ? "" : ",").append(quote(e.getKey())).append(':').append(e.getValue());
                }
                sb.append("},\"errors\":[");
                for (int j = 0; j < Math.min(10, t.errors().size()); j++)
                {
                    sb.append(j == 0 ? "" : ",").append(quote(t.errors().get(j)));
                }
                sb.append("]}");
            }
            final double r = ratio();
            sb.append("],\"ratio_sluice_to_strongswan\":").append(Double.isNaN(r) ? "null" : num(r))
                .append(",\"goal_met\":").append(goalMet()).append('}');
            return sb.toString();
        }
    }

    private IkeSetupBench()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        System.exit(run(args));
    }

    /** {@code sluice bench ike-setup [options]}: 0 when it ran (whatever the numbers), 1 when it could not. */
    public static int run(final String[] args) throws Exception
    {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h")))
        {
            System.out.println(USAGE);
            return 0;
        }
        final Options options = Options.parse(args);
        final String why = IkeLab.unavailableReason();
        if (why != null)
        {
            System.err.println("sluice bench ike-setup: cannot run: " + why);
            return 1;
        }
        final Result result = measure(options, System.out);
        System.out.print(result.table());
        System.out.println(result.json());
        if (options.json() != null)
        {
            Files.writeString(options.json(), result.json() + "\n");
            System.out.println("written to " + options.json());
        }
        return 0;
    }

    /** Builds the namespaces, starts both responders, measures each target in turn, cleans up. */
    static Result measure(final Options o, final java.io.PrintStream progress) throws Exception
    {
        final Path work = Files.createTempDirectory("sluice-ikebench-");
        boolean ok = false;
        try (IkeLab lab = new IkeLab())
        {
            final String ini = lab.namespace("ini");
            final String slc = lab.namespace("slc");
            final String swr = lab.namespace("swr");
            lab.veth(ini, "10.81.1.1/24", slc, "10.81.1.2/24");
            lab.veth(ini, "10.81.2.1/24", swr, "10.81.2.2/24");
            lab.loopbackAddress(ini, "10.82.1.1/24");
            lab.loopbackAddress(slc, "10.82.2.1/24");
            lab.loopbackAddress(swr, "10.82.2.1/24");
            final List<TargetResult> results = new ArrayList<>();
            for (final String target : o.targets())
            {
                progress.println("ike-setup: " + target + ": " + (o.warmup() + o.sas()) + " SAs, " + o.window() +
                    " in flight ...");
                results.add(target.equals("sluice") ?
                    measureSluice(lab, o, ini, slc, work.resolve("sluice")) :
                    measureStrongSwan(lab, o, ini, swr, work.resolve("strongswan")));
            }
            ok = results.stream().allMatch(t -> t.failedTotal() == 0);
            return new Result(o, results);
        }
        finally
        {
            if (o.keep() || !ok)
            {
                progress.println("ike-setup: logs kept in " + work);
            }
            else
            {
                deleteTree(work);
            }
        }
    }

    private static TargetResult measureSluice(final IkeLab lab, final Options o, final String ini, final String slc,
        final Path dir) throws Exception
    {
        Files.createDirectories(dir);
        final Map<String, String> args = new LinkedHashMap<>();
        args.put("local", "10.81.1.2");
        args.put("peers", "10.81.1.0/24");
        args.put("psk", PSK);
        args.put("ike", o.ike());
        args.put("esp", o.esp());
        args.put("local-ts", RESPONDER_TS);
        args.put("remote-ts", INITIATOR_TS);
        // one initiator address carries every SA: the per-peer cap must not be the limit
        args.put("max-half-open", Integer.toString(HALF_OPEN_LIMIT));
        args.put("max-half-open-per-peer", Integer.toString(HALF_OPEN_LIMIT));
        args.put("cookie-threshold", Integer.toString(HALF_OPEN_LIMIT));
        args.put("log", dir.resolve("sluice-ike.log").toString());
        final Process p = lab.spawn(slc, SluiceResponder.command(args), dir.resolve("sluice-responder.err"), true);
        try
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8));
            final String ready = out.readLine();
            if (ready == null || !ready.startsWith("READY"))
            {
                throw new IOException("the Sluice responder did not start: " + ready + "\n" +
                    tail(dir.resolve("sluice-responder.err")));
            }
            final OutputStream in = p.getOutputStream();
            return measureTarget("sluice", lab, o, ini, "10.81.1.1", "10.81.1.2", dir,
                p.pid(), () -> {
                    in.write("stats\n".getBytes(StandardCharsets.US_ASCII));
                    in.flush();
                    final Map<String, Long> stats = flatJson(out.readLine());
                    return stats;
                });
        }
        finally
        {
            IkeLab.stop(p);
        }
    }

    private static TargetResult measureStrongSwan(final IkeLab lab, final Options o, final String ini,
        final String swr, final Path dir) throws Exception
    {
        final String settings = """
            # one initiator address carries every SA: neither cookies nor the per-address cap may be the limit
            cookie_threshold = %1$d
            block_threshold = %1$d
            """.formatted(HALF_OPEN_LIMIT);
        final String swanctl = """
            connections {
              bench {
                version = 2
                mobike = no
                local_addrs = 10.81.2.2
                remote_addrs = 10.81.2.0/24
                proposals = %s
                local {
                  auth = psk
                  id = 10.81.2.2
                }
                remote {
                  auth = psk
                }
                children {
                  net {
                    esp_proposals = %s
                    local_ts = %s
                    remote_ts = %s
                    mode = tunnel
                  }
                }
              }
            }
            secrets {
              ike-bench {
                secret = "%s"
              }
            }
            """.formatted(o.ike(), o.esp(), RESPONDER_TS, INITIATOR_TS, PSK);
        try (Charon responder = Charon.start(lab, swr, dir.resolve("responder"), settings, swanctl))
        {
            return measureTarget("strongswan", lab, o, ini, "10.81.2.1", "10.81.2.2", dir, responder.pid(), () -> {
                final Map<String, Long> stats = new LinkedHashMap<>();
                try (Vici v = Vici.connect(responder.viciSocket()))
                {
                    final Map<String, Object> s = v.request("stats", Map.of());
                    if (s.get("ikesas") instanceof Map<?, ?> ikesas)
                    {
                        stats.put("ike_sas", Long.parseLong(String.valueOf(ikesas.get("total"))));
                        stats.put("half_open", Long.parseLong(String.valueOf(ikesas.get("half-open"))));
                    }
                    long children = 0;
                    for (final Map<String, Object> e : v.collect("list-sas", Map.of("noblock", "yes"), "list-sa"))
                    {
                        for (final Object ike : e.values())
                        {
                            if (ike instanceof Map<?, ?> sa && sa.get("child-sas") instanceof Map<?, ?> cs)
                            {
                                children += cs.values().stream().filter(c -> c instanceof Map<?, ?> m &&
                                    "INSTALLED".equals(m.get("state"))).count();
                            }
                        }
                    }
                    stats.put("child_up", children);
                }
                return stats;
            });
        }
    }

    @FunctionalInterface
    private interface Stats
    {
        Map<String, Long> get() throws IOException;
    }

    /** Starts an initiator charon for one target, warms up, measures, reads the responder's counts. */
    private static TargetResult measureTarget(final String target, final IkeLab lab, final Options o, final String ini,
        final String local, final String remote, final Path dir, final long responderPid, final Stats stats)
        throws Exception
    {
        final String settings = """
            # every initiate is a new IKE SA (load-tester's behaviour)
            reuse_ikesa = no
            # the blocking vici initiates hold a worker thread each
            threads = %d
            retransmit_timeout = 2.0
            retransmit_tries = 3
            """.formatted(o.window() + 16);
        final String swanctl = """
            connections {
              bench {
                version = 2
                mobike = no
                local_addrs = %1$s
                remote_addrs = %2$s
                proposals = %3$s
                encap = yes
                unique = never
                keyingtries = 1
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
                    esp_proposals = %4$s
                    local_ts = %5$s
                    remote_ts = %6$s
                    mode = tunnel
                    start_action = none
                  }
                }
              }
            }
            secrets {
              ike-bench {
                id = %2$s
                secret = "%7$s"
              }
            }
            """.formatted(local, remote, o.ike(), o.esp(), INITIATOR_TS, RESPONDER_TS, PSK);
        try (Charon initiator = Charon.start(lab, ini, dir.resolve("initiator"), settings, swanctl))
        {
            final Phase warm = drive(initiator, o.warmup(), o.window());
            final double cpu0 = cpuSeconds(responderPid);
            final Phase run = drive(initiator, o.sas(), o.window());
            final double cpu = cpuSeconds(responderPid) - cpu0;
            final Map<String, Long> counters = waitForResponder(stats, warm.established + run.established);
            final List<String> errors = new ArrayList<>(warm.errors);
            errors.addAll(run.errors);
            if (!errors.isEmpty())
            {
                errors.add("initiator log: " + initiator.logTail().replace('\n', ' '));
            }
            return new TargetResult(target, o.sas(), run.established, run.failed(), warm.failed(), run.seconds,
                run.percentile(0.5), run.percentile(0.99), cpu, counters.getOrDefault("ike_sas", -1L),
                counters.getOrDefault("child_up", -1L), counters, errors);
        }
    }

    /** The responder's counts, once it has the child SAs the initiator has (it installs after answering). */
    private static Map<String, Long> waitForResponder(final Stats stats, final long expected) throws Exception
    {
        Map<String, Long> s = stats.get();
        final long until = System.nanoTime() + 5_000_000_000L;
        while (s.getOrDefault("child_up", 0L) < expected && System.nanoTime() < until)
        {
            Thread.sleep(100);
            s = stats.get();
        }
        return s;
    }

    /** One batch of negotiations. */
    private record Phase(int established, int attempted, double seconds, List<Double> latencies, List<String> errors)
    {
        int failed()
        {
            return attempted - established;
        }

        double percentile(final double q)
        {
            if (latencies.isEmpty())
            {
                return 0;
            }
            return latencies.get(Math.min(latencies.size() - 1, (int)Math.ceil(q * latencies.size()) - 1));
        }
    }

    /**
     * {@code count} negotiations, {@code window} at a time: each worker holds one vici connection
     * and one blocking {@code initiate} (success once the child SA is installed, failure with
     * charon's reason otherwise).
     */
    private static Phase drive(final Charon initiator, final int count, final int window) throws Exception
    {
        if (count == 0)
        {
            return new Phase(0, 0, 0, List.of(), List.of());
        }
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger established = new AtomicInteger();
        final List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        final List<String> errors = Collections.synchronizedList(new ArrayList<>());
        final List<Vici> connections = new ArrayList<>();
        try
        {
            for (int i = 0; i < Math.min(window, count); i++)
            {
                connections.add(Vici.connect(initiator.viciSocket()));
            }
            final List<Thread> workers = new ArrayList<>();
            final long start = System.nanoTime();
            for (final Vici v : connections)
            {
                workers.add(Thread.ofPlatform().name("ike-bench-initiate").start(() -> {
                    while (next.getAndIncrement() < count)
                    {
                        final long t0 = System.nanoTime();
                        try
                        {
                            final Map<String, Object> r = v.request("initiate", Map.of("child", "net", "ike", "bench",
                                "timeout", Long.toString(INITIATE_TIMEOUT_MILLIS), "init-limits", "no"));
                            if ("yes".equals(r.get("success")))
                            {
                                established.incrementAndGet();
                                latencies.add((System.nanoTime() - t0) / 1e6);
                            }
                            else
                            {
                                errors.add(String.valueOf(r.get("errmsg")));
                            }
                        }
                        catch (final IOException e)
                        {
                            errors.add(e.getMessage());
                            return;
                        }
                    }
                }));
            }
            for (final Thread t : workers)
            {
                t.join();
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            final List<Double> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            if (!initiator.alive())
            {
                errors.add("the initiator charon exited" + initiator.logTail());
            }
            return new Phase(established.get(), count, seconds, sorted, new ArrayList<>(errors));
        }
        finally
        {
            connections.forEach(Vici::close);
        }
    }

    /** User plus system CPU time of a process, from /proc. */
    static double cpuSeconds(final long pid)
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields 14 and 15 of stat(5); f[0] is field 3
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        }
        catch (final IOException | RuntimeException e)
        {
            return Double.NaN;
        }
    }

    /** A flat JSON object of integers (what {@link SluiceResponder} prints). */
    static Map<String, Long> flatJson(final String line) throws IOException
    {
        if (line == null || !line.startsWith("{") || !line.endsWith("}"))
        {
            throw new IOException("the Sluice responder answered '" + line + "' to stats");
        }
        final Map<String, Long> m = new LinkedHashMap<>();
        final String body = line.substring(1, line.length() - 1);
        if (!body.isBlank())
        {
            for (final String kv : body.split(","))
            {
                final int colon = kv.indexOf(':');
                m.put(kv.substring(0, colon).replace("\"", "").trim(), Long.parseLong(kv.substring(colon + 1).trim()));
            }
        }
        return m;
    }

    private static String tail(final Path file)
    {
        try
        {
            final List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        }
        catch (final IOException e)
        {
            return "(" + file + ": " + e.getMessage() + ")";
        }
    }

    private static String quote(final String s)
    {
        final StringBuilder sb = new StringBuilder("\"");
        for (final char c : s.toCharArray())
        {
            switch (c)
            {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c < 0x20 ? String.format("\\u%04x", (int)c) : String.valueOf(c));
            }
        }
        return sb.append('"').toString();
    }

    private static String num(final double v)
    {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "null";
    }

    private static void deleteTree(final Path dir) throws IOException
    {
        try (var files = Files.walk(dir))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
