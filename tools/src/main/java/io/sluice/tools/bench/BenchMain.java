package io.sluice.tools.bench;

import java.util.Arrays;

/**
 * {@code sluice bench SCENARIO [ARGS]}: the end-to-end benchmarks, each against a baseline.
 * Only {@code io} so far (AF_XDP forwarding, {@link IoBench}).
 */
public final class BenchMain
{
    static final String USAGE = "usage: sluice bench io|route|gre|l2tpv3 [--size 64|1400] [--seconds N] [--runs N] [--json FILE]\n" +
        "  io: Sluice's AF_XDP forward against the C reference forwarder\n" +
        "  route, gre, l2tpv3: Sluice's forwarding graph (plain IPv4, GRE encapsulation, an L2TPv3 pseudowire)\n" +
        "  against Sluice's io forward";

    private BenchMain()
    {
    }

    public static int run(final String[] args) throws InterruptedException
    {
        if (args.length == 0)
        {
            System.err.println(USAGE);
            return 2;
        }
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0])
        {
            case "io", "route", "gre", "l2tpv3" ->
            {
                final IoBench.Options options;
                try
                {
                    options = IoBench.Options.parse(rest).withScenario(args[0]);
                }
                catch (final IllegalArgumentException e)
                {
                    System.err.println("sluice bench " + args[0] + ": " + e.getMessage() + "\n" + USAGE);
                    return 2;
                }
                try
                {
                    IoBench.run(options);
                    return 0;
                }
                catch (final BenchException e)
                {
                    System.err.println("sluice bench " + args[0] + ": " + e.getMessage());
                    return 1;
                }
            }
            case "-h", "--help", "help" ->
            {
                System.out.println(USAGE);
                return 0;
            }
            default ->
            {
                System.err.println("sluice bench: unknown scenario '" + args[0] + "'\n" + USAGE);
                return 2;
            }
        }
    }
}
