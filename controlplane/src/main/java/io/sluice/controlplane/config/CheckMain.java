package io.sluice.controlplane.config;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code sluice check -c FILE}: reads a configuration as the gateway would and says whether it
 * would load. Errors and warnings go to standard error as {@code file:line:column: message}; a
 * file that loads gets a one-line summary on standard output.
 * <pre>
 * sluice check -c FILE [-v] [--running-config]
 *   -v                list the IOS lines that were accepted and ignored
 *   --running-config  print the configuration as show running-config would
 * </pre>
 * Exit status: 0 if the file loads, 1 if it does not (or cannot be read), 2 for bad usage.
 */
public final class CheckMain
{
    private static final String USAGE = "usage: sluice check -c FILE [-v] [--running-config]";

    private CheckMain()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(run(args));
    }

    /** The launcher's entry point: {@code sluice check ARGS}. */
    public static int run(final String[] args)
    {
        return run(args, System.out, System.err, new ConfigParser());
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err, final ConfigParser parser)
    {
        String file = null;
        boolean verbose = false;
        boolean running = false;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "-c", "--config" ->
                {
                    if (i + 1 == args.length)
                    {
                        err.println("sluice check: " + args[i] + " needs a file name");
                        err.println(USAGE);
                        return 2;
                    }
                    file = args[++i];
                }
                case "-v", "--verbose" -> verbose = true;
                case "--running-config" -> running = true;
                case "-h", "--help" ->
                {
                    out.println(USAGE);
                    return 0;
                }
                default ->
                {
                    if (args[i].startsWith("--config="))
                    {
                        file = args[i].substring("--config=".length());
                        continue;
                    }
                    err.println("sluice check: unknown argument '" + args[i] + "'");
                    err.println(USAGE);
                    return 2;
                }
            }
        }
        if (file == null)
        {
            err.println("sluice check: which file? give -c FILE");
            err.println(USAGE);
            return 2;
        }

        final ParsedConfig parsed;
        try
        {
            parsed = parser.load(Path.of(file));
        }
        catch (final NoSuchFileException e)
        {
            err.println("sluice check: " + file + ": no such file");
            return 1;
        }
        catch (final IOException e)
        {
            err.println("sluice check: " + file + ": cannot read it: " + e.getMessage());
            return 1;
        }
        catch (final ConfigException e)
        {
            for (final ConfigMessage error : e.errors())
            {
                err.println(error);
            }
            err.println(file + ": " + count(e.errors().size(), "error") + "; nothing of it would be applied");
            return 1;
        }

        for (final ConfigMessage note : parsed.notes())
        {
            if (verbose || note.severity() == ConfigMessage.Severity.WARNING)
            {
                err.println(note);
            }
        }
        // what 'sluice run' would do with it: the dataplane programming, checked as a whole
        final io.sluice.controlplane.program.ConfigProgrammer.Plan plan =
            io.sluice.controlplane.program.ConfigProgrammer.plan(parsed.config());
        if (!plan.ok())
        {
            for (final String error : plan.errors())
            {
                err.println(file + ": " + error);
            }
            err.println(file + ": " + count(plan.errors().size(), "error") + " applying it; nothing of it would be applied");
            return 1;
        }
        if (verbose)
        {
            for (final String n : plan.notes())
            {
                err.println(file + ": " + n);
            }
        }
        if (running)
        {
            out.print(RunningConfig.render(parsed.config()));
        }
        out.println(file + ": OK: " + summary(parsed));
        return 0;
    }

    /** The one line: what the configuration holds. */
    static String summary(final ParsedConfig parsed)
    {
        final Config c = parsed.config();
        final List<String> parts = new ArrayList<>();
        c.hostname().ifPresent(h -> parts.add("hostname " + h));
        final long tunnels = c.tunnels().size();
        parts.add(count(c.interfaces().size(), "interface") + " (" + count(tunnels, "tunnel") + ")");
        optional(parts, c.routes().size(), "route");
        optional(parts, c.accessLists().size(), "access list");
        parts.add(count(c.isakmp().policies().size(), "isakmp policy", "isakmp policies"));
        optional(parts, c.isakmp().keys().size(), "pre-shared key");
        c.isakmp().keepalive().ifPresent(k -> parts.add("DPD " + k.mode().keyword() + " " + k.seconds() + "s"));
        optional(parts, c.ipsec().transformSets().size(), "transform set");
        optional(parts, c.ipsec().profiles().size(), "ipsec profile");
        final int entries = c.cryptoMaps().stream().mapToInt(m -> m.entries().size()).sum();
        parts.add(count(c.cryptoMaps().size(), "crypto map") + " (" + count(entries, "entry", "entries") + ")");
        optional(parts, c.ezvpnClients().size(), "Easy VPN client");
        optional(parts, c.rsaPublicKeys().size(), "RSA public key");
        optional(parts, c.vpdn().groups().size(), "vpdn-group");
        c.redundancy().ifPresent(r -> parts.add("redundancy sso"));
        final var d = c.dataplane();
        parts.add("dataplane " + d.backend().keyword() + " on " +
            (d.interfaces().isEmpty() ? "no interface" : String.join(" ", d.interfaces())) + ", " +
            count(d.workerCpus().size(), "worker") + " (cpu " +
            d.workerCpus().stream().map(String::valueOf).collect(Collectors.joining(",")) + ")");
        String text = String.join(", ", parts);
        final int warnings = parsed.warnings().size();
        final int ignored = parsed.ignored().size();
        if (warnings > 0 || ignored > 0)
        {
            text += "; " + count(warnings, "warning") + ", " + count(ignored, "IOS line", "IOS lines") + " ignored";
        }
        return text;
    }

    private static void optional(final List<String> parts, final long n, final String what)
    {
        if (n > 0)
        {
            parts.add(count(n, what));
        }
    }

    private static String count(final long n, final String one)
    {
        return count(n, one, one + "s");
    }

    private static String count(final long n, final String one, final String many)
    {
        return n + " " + (n == 1 ? one : many);
    }
}
