package io.sluice.tools.run;

import io.sluice.dataplane.run.CtlServer;
import io.sluice.dataplane.run.RunDirectory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code sluice ctl [-n NETNS] COMMAND}: talks to the gateway running in this network namespace
 * (or in NETNS): {@code show ...}, {@code clear counters}, {@code clear crypto sa},
 * {@code debug crypto ipsec}, {@code undebug all} go to its control process;
 * {@code capture [rx|tx] IFNAME|NODE -w FILE [-c N] [-s SECONDS]} to its dataplane.
 */
public final class CtlMain
{
    private CtlMain()
    {
    }

    public static int run(final String[] args) throws Exception
    {
        String netns = null;
        final List<String> words = new ArrayList<>();
        for (int i = 0; i < args.length; i++)
        {
            if (args[i].equals("-n") && words.isEmpty())
            {
                netns = args[++i];
            }
            else
            {
                words.add(args[i]);
            }
        }
        if (words.isEmpty())
        {
            throw new IllegalArgumentException("usage: sluice ctl [-n NETNS] COMMAND (show running-config, show " +
                "interfaces, show ip route, show crypto map, show crypto ipsec sa, show counters [all], show workers, show drops, " +
                "clear counters, clear crypto sa, debug crypto ipsec, undebug all, capture [rx|tx] IFNAME -w FILE [-c N] [-s SECONDS])");
        }
        final Path runDir = netns == null ? RunDirectory.forCurrentNamespace() : RunDirectory.forNamespace(netns);
        final String answer;
        if (words.getFirst().equals("capture"))
        {
            answer = call(runDir.resolve(RunDirectory.DATAPLANE_SOCKET), capture(words));
        }
        else if (String.join(" ", words).equals("show workers") || String.join(" ", words).equals("show drops"))
        {
            // what only the dataplane knows: each worker's drops, and SA handoff between workers
            answer = call(runDir.resolve(RunDirectory.DATAPLANE_SOCKET), String.join(" ", words));
        }
        else
        {
            answer = call(runDir.resolve(RunDirectory.CONTROL_SOCKET), String.join(" ", words));
        }
        final int nl = answer.indexOf('\n');
        final String status = nl < 0 ? answer : answer.substring(0, nl);
        final String text = nl < 0 ? "" : answer.substring(nl + 1);
        if (status.equals("ok"))
        {
            System.out.print(text);
            return 0;
        }
        System.err.print("sluice ctl: " + text);
        return 1;
    }

    private static String call(final Path socket, final String command) throws Exception
    {
        if (!Files.exists(socket))
        {
            throw new IllegalArgumentException("no gateway answers at " + socket + " (is 'sluice run' running in this " +
                "network namespace? its control process may be restarting)");
        }
        return CtlServer.call(socket, command);
    }

    private static String capture(final List<String> words)
    {
        String direction = "rx";
        String point = null;
        String file = null;
        long count = 100;
        long seconds = 10;
        for (int i = 1; i < words.size(); i++)
        {
            switch (words.get(i))
            {
                case "rx", "tx" -> direction = words.get(i);
                case "-w" -> file = Path.of(words.get(++i)).toAbsolutePath().toString();
                case "-c" -> count = Long.parseLong(words.get(++i));
                case "-s" -> seconds = Long.parseLong(words.get(++i));
                default -> point = words.get(i);
            }
        }
        if (point == null || file == null)
        {
            throw new IllegalArgumentException("usage: sluice ctl capture [rx|tx] IFNAME|NODE -w FILE [-c N] [-s SECONDS]");
        }
        return "capture " + direction + " " + point + " " + file + " " + count + " " + seconds;
    }
}
