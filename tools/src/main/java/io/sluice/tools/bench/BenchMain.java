package io.sluice.tools.bench;

import java.util.Arrays;

/**
 * {@code sluice bench SCENARIO [ARGS]}: the end-to-end benchmarks, each against a baseline measured
 * in the same run ({@link Scenario}, {@link IoBench}); {@code crypto} (the crypto limit,
 * {@link CryptoBaseline}), {@code jmh} (the micro-benchmarks, {@link JmhBench}), {@code all} (the
 * standard set and its report, {@link BenchAll}); with {@code --dut-iface IF --external-generator}
 * a scenario measures a DUT port's own counters while something else sends ({@link ExternalBench}).
 */
public final class BenchMain
{
    static final String USAGE = usage();

    private BenchMain()
    {
    }

    private static String usage()
    {
        final StringBuilder sb = new StringBuilder("usage: sluice bench SCENARIO [--size 64..1518|imix] [--seconds N] " +
            "[--runs N] [--warmup-ms MS] [--json FILE]\n");
        for (final Scenario s : Scenario.ALL)
        {
            sb.append(String.format("  %-22s %s%n", s.name(), s.description()));
        }
        sb.append("       sluice bench SCENARIO --dut-iface IF --external-generator [--dut-cpu N] [--no-forwarder] " +
            "[--netns NS] [--seconds N] [--runs N] [--json FILE]\n");
        sb.append("                the DUT port's own counters while an external generator (TRex, pktgen) sends\n");
        sb.append("       sluice bench baseline-strongswan|baseline-wireguard [--seconds N] [--runs N] [--json FILE]\n");
        sb.append("                strongSwan (kernel-libipsec) or wireguard-go between two namespaces, iperf3 TCP and " +
            "UDP through it\n");
        sb.append("       sluice bench crypto [--size ...] [--algorithms A,B] [--json FILE]\n");
        sb.append("                openssl speed and the bare JCE cipher per packet, on the forwarder CPU\n");
        sb.append("       sluice bench jmh [PATTERN] [--json FILE] [JMH ARGS]\n");
        sb.append("                the JMH micro-benchmarks in perf/, results folded into one JSON\n");
        sb.append("       sluice bench all [--quick] [--out DIR] [--scenarios A,B] [--sizes 64,imix] [--seconds N] " +
            "[--runs N] [--no-jmh] [--no-baselines]\n");
        sb.append("                every scenario x 64/512/1400/imix, crypto and JMH baselines, a Markdown report and " +
            "PNG charts in perf/results/DATE/");
        return sb.toString();
    }

    public static int run(final String[] args) throws InterruptedException
    {
        if (args.length == 0)
        {
            System.err.println(USAGE);
            return 2;
        }
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        final String what = args[0];
        try
        {
            switch (what)
            {
                case "-h", "--help", "help" ->
                {
                    System.out.println(USAGE);
                    return 0;
                }
                case "all" ->
                {
                    return BenchAll.run(rest);
                }
                case "crypto" ->
                {
                    return BenchAll.crypto(rest);
                }
                case "baseline-strongswan", "baseline-wireguard" ->
                {
                    return VpnBaseline.main(what, rest);
                }
                case "jmh" ->
                {
                    return JmhBench.main(rest);
                }
                default ->
                {
                    final io.sluice.tools.bench.Scenario scenario = Scenario.named(what);
                    if (Arrays.asList(rest).contains("--external-generator") || Arrays.asList(rest).contains("--dut-iface"))
                    {
                        return ExternalBench.run(scenario, rest);
                    }
                    IoBench.run(IoBench.Options.parse(rest).withScenario(scenario));
                    return 0;
                }
            }
        }
        catch (final IllegalArgumentException e)
        {
            System.err.println("sluice bench " + what + ": " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        catch (final BenchException e)
        {
            System.err.println("sluice bench " + what + ": " + e.getMessage());
            return 1;
        }
    }
}
