package io.sluice.tools;

import io.sluice.ffi.libc.NativeException;
import io.sluice.tools.forward.ForwardMain;

import java.util.Arrays;

/**
 * Entry point behind the {@code ./sluice} launcher: one subcommand per verb.
 */
public final class Main
{
    private Main()
    {
    }

    public static void main(final String[] args)
    {
        if (args.length == 0)
        {
            System.err.println("usage: sluice COMMAND [ARGS] (see ./sluice help)");
            System.exit(2);
        }
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try
        {
            final int status = switch (args[0])
            {
                case "forward" -> ForwardMain.run(rest);
                case "bench" -> rest.length > 0 && rest[0].equals("ike-setup") ?
                    io.sluice.tools.ikebench.IkeSetupBench.run(Arrays.copyOfRange(rest, 1, rest.length)) :
                    io.sluice.tools.bench.BenchMain.run(rest);
                case "demo" -> io.sluice.tools.demo.DemoMain.run(rest);
                case "check" -> io.sluice.controlplane.config.CheckMain.run(rest);
                case "run" -> io.sluice.tools.run.RunMain.run(rest);
                case "ctl" -> io.sluice.tools.run.CtlMain.run(rest);
                case "pktgen" -> io.sluice.tools.pktgen.PktgenMain.run(rest);
                case "dataplane" -> io.sluice.dataplane.run.DataplaneProcess.run(rest);
                case "control" -> io.sluice.controlplane.run.ControlProcess.run(rest);
                default ->
                {
                    System.err.println("sluice: unknown command '" + args[0] + "'");
                    yield 2;
                }
            };
            System.exit(status);
        }
        catch (final IllegalArgumentException | NativeException e)
        {
            System.err.println("sluice " + args[0] + ": " + e.getMessage());
            System.exit(1);
        }
        catch (final InterruptedException e)
        {
            System.exit(130);
        }
        catch (final Exception e)
        {
            System.err.println("sluice " + args[0] + ": " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }
}
