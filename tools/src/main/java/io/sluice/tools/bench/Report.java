package io.sluice.tools.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The report of a {@code bench all} run: {@code report.md} (for people: goals, the scenario x size
 * table against each baseline, the crypto limit, JMH) and {@code summary.json} (the same numbers
 * for programs).
 */
final class Report
{
    private Report()
    {
    }

    /** The C forwarder's median Mpps at a size in this run, or 0 when it was not measured. */
    static double cMpps(final BenchAll.Outcome out, final FrameSize size)
    {
        final double[] v = out.measurements().stream()
            .filter(m -> m.name().equals(Scenario.C_AFXDP.name()) && m.size().equals(size))
            .mapToDouble(IoBench.Measurement::forwardedMpps).toArray();
        return Stats.of(v).median();
    }

    static boolean goalMet(final IoBench.Result r)
    {
        return r.scenario().goal() > 0 && r.ratio() >= r.scenario().goal();
    }

    static String markdown(final BenchAll.Outcome out, final List<Path> charts)
    {
        final BenchAll.Config c = out.config();
        final IoBench.Options o = c.options();
        final StringBuilder sb = new StringBuilder();
        sb.append("# Sluice benchmark ").append(out.date(), 0, Math.min(10, out.date().length())).append("\n\n");
        sb.append("- Machine: ").append(out.host()).append('\n');
        sb.append("- Started: ").append(out.date()).append(String.format(Locale.ROOT, ", took %.0f s%n",
            out.elapsedSeconds()));
        sb.append("- Command: `./").append(c.command().trim()).append("` (as root, from the repository root)\n");
        sb.append(String.format(Locale.ROOT, "- Method: per size, every forwarder in turn, %d run(s) of %d s after " +
                "%d ms warm-up, the order reversed every other run; AF_XDP copy mode on veth between two network " +
                "namespaces; generator (`perf/target/c/xdp_gen`) on CPU %d, forwarder on CPU %d. Numbers are " +
                "median (min-max) over the runs; every ratio compares medians measured in this same run. Gbit/s " +
                "counts the frames as sent, FCS included. IMIX is 64/570/1518-byte frames 7:4:1 (mean %.1f B).%n",
            o.runs(), o.seconds(), o.warmupMs(), IoBench.GENERATOR_CPU, IoBench.FORWARDER_CPU,
            FrameSize.IMIX.meanBytes()));
        sb.append('\n');
        for (final Path chart : charts)
        {
            sb.append("![").append(chart.getFileName()).append("](").append(chart.getFileName()).append(")\n\n");
        }

        final List<Scenario> withGoals = c.scenarios().stream().filter(s -> s.goal() > 0).toList();
        if (!withGoals.isEmpty() && !out.results().isEmpty())
        {
            sb.append("## Goals\n\n| goal |");
            for (final FrameSize size : c.sizes())
            {
                sb.append(' ').append(size.label()).append(" |");
            }
            sb.append("\n| --- |").append(" ---: |".repeat(c.sizes().size())).append('\n');
            for (final Scenario s : withGoals)
            {
                sb.append(String.format(Locale.ROOT, "| %s >= %.2f x %s |", s.system().name(), s.goal(),
                    s.baseline().name()));
                for (final FrameSize size : c.sizes())
                {
                    final IoBench.Result r = result(out, s, size);
                    sb.append(r == null ? " - |" : String.format(Locale.ROOT, " %.2f %s |", r.ratio(),
                        goalMet(r) ? "met" : "**not met**"));
                }
                sb.append('\n');
            }
            sb.append('\n');
        }

        if (!out.results().isEmpty())
        {
            sb.append("## Forwarding: each scenario against its baseline\n\n");
            sb.append("| scenario | size | system | Mpps | Gbit/s | loss | DUT core busy (irq) | baseline | baseline Mpps " +
                "| ratio | vs C forwarder | goal |\n");
            sb.append("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |\n");
            for (final IoBench.Result r : out.results())
            {
                final double c0 = cMpps(out, r.size());
                sb.append(String.format(Locale.ROOT,
                    "| %s | %s | %s | %.3f (%.3f-%.3f) | %.2f | %.1f %% | %s | %s | %.3f | %.2f | %s | %s |%n",
                    r.scenario().name(), r.size().label(), r.system().name(), r.mpps(), r.system().mpps().min(),
                    r.system().mpps().max(), r.system().gbps().median(), r.system().loss().median() * 100,
                    cpu(r.system()), r.baseline().name(), r.baselineMpps(), r.ratio(),
                    c0 > 0 ? String.format(Locale.ROOT, "%.2f", r.mpps() / c0) : "-",
                    r.scenario().goal() > 0 ? String.format(Locale.ROOT, ">= %.2f: %s", r.scenario().goal(),
                        goalMet(r) ? "met" : "**not met**") : "-"));
            }
            sb.append('\n');
            final List<String> notes = new ArrayList<>();
            for (final IoBench.Result r : out.results())
            {
                if (r.generatorBottleneck() || r.disturbed() > 0)
                {
                    notes.add("- " + r.summary());
                }
            }
            if (!notes.isEmpty())
            {
                sb.append("Caveats, from the per-scenario summaries (the generator as a limit, or other load on the " +
                    "CPUs during a measurement):\n\n");
                notes.forEach(n -> sb.append(n).append('\n'));
                sb.append('\n');
            }
            sb.append("Per-run numbers, drops and DUT CPU split: `SCENARIO-SIZE.json` (`systems` and " +
                "`measurements`), `summary.json`, `bench.log`.\n\n");
        }

        esp(out, sb);
        vpn(out, sb);

        if (out.crypto() != null)
        {
            sb.append("## Crypto limit (one core, CPU ").append(out.crypto().cpu()).append(")\n\n");
            sb.append("Per packet, as ESP in tunnel mode would encrypt a frame of that size (its IPv4 packet, " +
                "trailer, padding); Gbit/s counts the frames, as above. ").append(out.crypto().openssl())
                .append("; ").append(out.crypto().jdk()).append(".\n\n");
            sb.append("| algorithm | size | bytes encrypted | openssl Mpps | openssl Gbit/s | JCE Mpps | JCE Gbit/s " +
                "| JCE / openssl |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (final CryptoBaseline.Point p : out.crypto().points())
            {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.3f | %.2f | %.3f | %.2f | %.2f |%n",
                    p.algorithm(), p.size().label(), p.plaintextBytes(), p.opensslMpps(), p.opensslGbps(),
                    p.jceMpps(), p.jceGbps(), p.opensslMpps() > 0 ? p.jceMpps() / p.opensslMpps() : 0));
            }
            sb.append('\n');
        }

        if (!out.jmh().isEmpty())
        {
            sb.append("## JMH micro-benchmarks\n\n");
            sb.append("Brief runs (").append(String.join("; ", c.jmh().stream().map(g -> String.join(" ", g)).toList()))
                .append("); full ones: `./sluice bench jmh PATTERN`.\n\n");
            sb.append("| benchmark | params | score | error | unit |\n| --- | --- | ---: | ---: | --- |\n");
            for (final JmhBench.Row r : out.jmh())
            {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %s | %s |%n", r.shortName(), r.params(),
                    r.score(), Double.isFinite(r.error()) ? String.format(Locale.ROOT, "%.3f", r.error()) : "-",
                    r.unit()));
            }
            sb.append('\n');
        }
        sb.append("## Reproduce\n\n```\nsudo ./").append(c.command().trim())
            .append("\n```\n\nNumbers from a shared 2-vCPU VM are noisy: compare ratios within one run, not absolute " +
                "numbers across runs.\n");
        return sb.toString();
    }

    /** The ESP scenarios: cost beyond the cipher, and GRE over ESP against GRE. */
    private static void esp(final BenchAll.Outcome out, final StringBuilder sb)
    {
        final List<IoBench.Result> esp = out.results().stream().filter(r -> r.scenario().esp()).toList();
        if (esp.isEmpty())
        {
            return;
        }
        sb.append("## ESP: cost beyond the cipher\n\n");
        sb.append(String.format(Locale.ROOT, "Per packet, from the median rates of this run: the ESP forwarder's time " +
            "less Sluice's io forward's (what ESP adds, the routing graph included), over the bare cipher's time " +
            "for the same bytes (the JCE loop, and openssl). Goal (issue 4): <= %.2f x the JCE cipher at 1400 B. " +
            "Encrypt: plain frames in, ESP tunnel mode out (the generator counts them by port and length). " +
            "Decrypt: the generator replays a ring of frames the harness encrypted once, two halves under two " +
            "SPIs; the forwarder renews the SA of the half not in flight, so anti-replay (window 64) stays on " +
            "(replay drops, if any, are in the JSON's `forwarderEsp`). The cipher loops encrypt: for decrypt they " +
            "stand for the same work (GCM, ChaCha20-Poly1305), or more (CBC decrypts faster).%n%n",
            Scenario.ESP_OVER_CIPHER_GOAL));
        sb.append("| scenario | size | Mpps | Gbit/s | ns/packet | io ns/packet | ESP adds ns | JCE cipher ns | x JCE " +
            "| openssl ns | x openssl | goal |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: " +
            "| ---: | --- |\n");
        for (final IoBench.Result r : esp)
        {
            final CryptoBaseline.Point p = out.crypto() == null ? null :
                BenchAll.cryptoFor(out.crypto(), r.scenario().cipher(), r.size());
            final EspCost c = EspCost.of(r, p);
            if (c == null)
            {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %.2f | - | - | - | - | - | - | - | - |%n",
                    r.scenario().name(), r.size().label(), r.mpps(), r.system().gbps().median()));
                continue;
            }
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %.2f | %.0f | %.0f | %.0f | %.0f | %.2f | %.0f " +
                    "| %.2f | %s |%n", r.scenario().name(), r.size().label(), r.mpps(), r.system().gbps().median(),
                c.espNs(), c.ioNs(), c.extraNs(), c.jceNs(), c.overJce(), c.opensslNs(), c.overOpenssl(),
                c.goal() > 0 ? String.format(Locale.ROOT, "<= %.2f: %s%s", c.goal(), c.goalMet() ? "met" :
                    "**not met**", c.generatorLimited() ? " (generator-limited)" : "") : "-"));
        }
        sb.append('\n');
        final List<IoBench.Result> withRef = esp.stream().filter(r -> r.reference() != null &&
            r.reference().mpps().median() > 0).toList();
        if (!withRef.isEmpty())
        {
            sb.append("GRE over ESP against GRE alone (same run; decrypt is held against GRE encapsulation, the " +
                "harness has no GRE decapsulation forwarder):\n\n| scenario | size | Mpps | reference | reference Mpps " +
                "| ratio |\n| --- | ---: | ---: | --- | ---: | ---: |\n");
            for (final IoBench.Result r : withRef)
            {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %s | %.3f | %.2f |%n", r.scenario().name(),
                    r.size().label(), r.mpps(), r.reference().name(), r.reference().mpps().median(),
                    r.mpps() / r.reference().mpps().median()));
            }
            sb.append('\n');
        }
    }

    /** What users would run instead: strongSwan with kernel-libipsec and wireguard-go, against Sluice's ESP. */
    private static void vpn(final BenchAll.Outcome out, final StringBuilder sb)
    {
        if (out.baselines().isEmpty())
        {
            return;
        }
        sb.append("## Against what users would run instead\n\n");
        sb.append("strongSwan (charon, kernel-libipsec: ESP AES-GCM-128 in user space over TUN, UDP 4500) and " +
            "wireguard-go, each between two namespaces like the forwarders', measured with iperf3 from one end's " +
            "inner address to the other's: TCP with the MSS of a 1400-byte frame, UDP unlimited with the payload " +
            "of a 1400-byte frame, and IMIX mixed 7:4:1 from UDP at 64, 570 and 1518 bytes. Gbit/s counts the " +
            "packets that arrived at their frame size, as for Sluice. Both VPN ends share the two CPUs; Sluice's " +
            "number is one forwarder core doing one direction. Goal (issue 6): Sluice's ESP-GCM >= 5x.\n\n");
        final FrameSize f1400 = FrameSize.of(1400);
        final String[] sluice = {"esp-gcm128", "esp-gcm128-decrypt", "gre-esp"};
        sb.append("| system | TCP 1400 Gbit/s | UDP 1400 Gbit/s | UDP IMIX Gbit/s |");
        for (final String s : sluice)
        {
            sb.append(' ').append(s).append(" / it, 1400 (TCP) | ").append(s).append(" / it, IMIX |");
        }
        sb.append("\n| --- | ---: | ---: | ---: |").append(" ---: | ---: |".repeat(sluice.length)).append('\n');
        for (final VpnBaseline.Result v : out.baselines())
        {
            if (v.error() != null)
            {
                sb.append("| ").append(v.system()).append(" | not measured: ").append(v.error().replace('|', '/'))
                    .append(" |\n");
                continue;
            }
            final double tcp = v.gbps("tcp", f1400);
            final double imix = v.gbps("udp", FrameSize.IMIX);
            sb.append(String.format(Locale.ROOT, "| %s (%s) | %.3f | %.3f | %.3f |", v.system(), v.version(), tcp,
                v.gbps("udp", f1400), imix));
            for (final String s : sluice)
            {
                sb.append(ratio(out, s, f1400, tcp)).append(ratio(out, s, FrameSize.IMIX, imix));
            }
            sb.append('\n');
        }
        sb.append('\n');
    }

    private static String ratio(final BenchAll.Outcome out, final String scenario, final FrameSize size,
        final double theirs)
    {
        for (final IoBench.Result r : out.results())
        {
            if (r.scenario().name().equals(scenario) && r.size().equals(size) && theirs > 0)
            {
                final double x = r.system().gbps().median() / theirs;
                return String.format(Locale.ROOT, " %.1f x %s |", x, x >= 5 ? "(met)" : "(**not met**)");
            }
        }
        return " - |";
    }

    /** ",espCost":{...} and ",reference":{...} for a scenario of summary.json, when it has them. */
    private static String espJson(final BenchAll.Outcome out, final IoBench.Result r)
    {
        final StringBuilder sb = new StringBuilder();
        if (r.reference() != null)
        {
            sb.append(",\"reference\":{\"name\":").append(Json.quote(r.reference().name())).append(",\"mpps\":")
                .append(Stats.num(r.reference().mpps().median())).append(",\"ratio\":")
                .append(r.reference().mpps().median() > 0 ? Stats.num(r.mpps() / r.reference().mpps().median()) : "null")
                .append('}');
        }
        final EspCost c = out.crypto() == null || r.scenario().cipher() == null ? null :
            EspCost.of(r, BenchAll.cryptoFor(out.crypto(), r.scenario().cipher(), r.size()));
        if (c != null)
        {
            sb.append(",\"espCost\":").append(c.json());
        }
        return sb.toString();
    }

    private static String cpu(final IoBench.SystemStats s)
    {
        return s.dutBusy().median() <= 0 && s.dutBusy().max() <= 0 ? "-" :
            String.format(Locale.ROOT, "%.0f %% (%.0f %%)", s.dutBusy().median() * 100, s.dutIrq().median() * 100);
    }

    static IoBench.Result result(final BenchAll.Outcome out, final Scenario s, final FrameSize size)
    {
        for (final IoBench.Result r : out.results())
        {
            if (r.scenario().equals(s) && r.size().equals(size))
            {
                return r;
            }
        }
        return null;
    }

    static String summaryJson(final BenchAll.Outcome out)
    {
        final IoBench.Options o = out.config().options();
        final StringBuilder sb = new StringBuilder("{\"date\":").append(Json.quote(out.date()))
            .append(",\"host\":").append(Json.quote(out.host()))
            .append(",\"command\":").append(Json.quote(out.config().command()))
            .append(",\"elapsedSeconds\":").append(Stats.num(out.elapsedSeconds()))
            .append(",\"runs\":").append(o.runs())
            .append(",\"seconds\":").append(o.seconds())
            .append(",\"warmupMs\":").append(o.warmupMs())
            .append(",\"scenarios\":[");
        for (int i = 0; i < out.results().size(); i++)
        {
            final IoBench.Result r = out.results().get(i);
            final double c0 = cMpps(out, r.size());
            sb.append(i > 0 ? "," : "").append("{\"scenario\":").append(Json.quote(r.scenario().name()))
                .append(",\"size\":").append(r.size().json())
                .append(",\"system\":").append(Json.quote(r.system().name()))
                .append(",\"mpps\":").append(Stats.num(r.mpps()))
                .append(",\"gbps\":").append(Stats.num(r.system().gbps().median()))
                .append(",\"baseline\":{\"name\":").append(Json.quote(r.baseline().name()))
                .append(",\"mpps\":").append(Stats.num(r.baselineMpps()))
                .append(",\"gbps\":").append(Stats.num(r.baseline().gbps().median())).append('}')
                .append(",\"ratio\":").append(Stats.num(r.ratio()))
                .append(",\"gbpsRatio\":").append(Stats.num(r.gbpsRatio()))
                .append(",\"vsCForwarder\":").append(c0 > 0 ? Stats.num(Stats.round4(r.mpps() / c0)) : "null")
                .append(",\"goal\":").append(r.scenario().goal() > 0 ? Stats.num(r.scenario().goal()) : "null")
                .append(",\"goalMet\":").append(r.scenario().goal() > 0 ? Boolean.toString(goalMet(r)) : "null")
                .append(",\"generatorBottleneck\":").append(r.generatorBottleneck())
                .append(",\"disturbed\":").append(r.disturbed())
                .append(",\"systems\":{").append(Json.quote(r.system().name())).append(':').append(r.system().json())
                .append(',').append(Json.quote(r.baseline().name())).append(':').append(r.baseline().json())
                .append('}').append(espJson(out, r)).append('}');
        }
        sb.append("],\"crypto\":").append(out.crypto() == null ? "null" : out.crypto().json())
            .append(",\"jmh\":").append(JmhBench.json(out.jmh()))
            .append(",\"vpnBaselines\":[");
        for (int i = 0; i < out.baselines().size(); i++)
        {
            sb.append(i > 0 ? "," : "").append(out.baselines().get(i).json());
        }
        sb.append("]}");
        return sb.toString();
    }
}
