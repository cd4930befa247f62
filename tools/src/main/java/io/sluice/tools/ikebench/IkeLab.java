package io.sluice.tools.ikebench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The IKE benchmark's machine: network namespaces joined by veth pairs, with unique names, and the
 * processes started in them. {@link #close()} stops every process it started by its handle
 * (SIGTERM, then SIGKILL) and deletes the namespaces, which takes the veth pairs along; a shutdown
 * hook does the same if the JVM exits first. Nothing is ever stopped by name.
 */
final class IkeLab implements AutoCloseable
{
    private final String id = Integer.toString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff), 36);
    private final Object lock = new Object();
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final Thread hook = new Thread(this::cleanUp, "ike-lab-cleanup");
    private boolean closed;

    IkeLab()
    {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Why namespaces and charon cannot be used here, or null. */
    static String unavailableReason()
    {
        if (!"root".equals(System.getProperty("user.name")))
        {
            return "needs root (it creates network namespaces and runs charon in them)";
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip")) &&
            !Files.isExecutable(Path.of("/usr/bin/ip")))
        {
            return "iproute2's 'ip' is not installed (apt-get install iproute2)";
        }
        if (!Files.isExecutable(Path.of("/usr/bin/unshare")))
        {
            return "unshare (util-linux) is not installed";
        }
        return Charon.unavailableReason();
    }

    /** A namespace {@code ikb<id>-<suffix>} with loopback up and IPv6 off. */
    String namespace(final String suffix)
    {
        final String name = "ikb" + id + "-" + suffix;
        synchronized (lock)
        {
            if (closed)
            {
                throw new IllegalStateException("the lab is closed");
            }
            run("ip", "netns", "add", name);
            namespaces.add(name);
        }
        run("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1");
        run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /** A veth pair between two namespaces with an address (CIDR) on each end, both up. */
    void veth(final String nsA, final String addressA, final String nsB, final String addressB)
    {
        final String a = "ikb" + id + "a" + namespaces.indexOf(nsB);
        final String b = "ikb" + id + "b" + namespaces.indexOf(nsB);
        run("ip", "link", "add", a, "netns", nsA, "type", "veth", "peer", "name", b, "netns", nsB);
        run("ip", "-n", nsA, "addr", "add", addressA, "dev", a);
        run("ip", "-n", nsB, "addr", "add", addressB, "dev", b);
        run("ip", "-n", nsA, "link", "set", a, "up");
        run("ip", "-n", nsB, "link", "set", b, "up");
    }

    /** An address (CIDR) on a namespace's loopback: the inner side of its traffic selectors. */
    void loopbackAddress(final String ns, final String cidr)
    {
        run("ip", "-n", ns, "addr", "add", cidr, "dev", "lo");
    }

    /**
     * Starts a command in a namespace ({@code ip netns exec} execs it, so the handle is the
     * program's own). Its stderr goes to {@code log}, and so does its stdout unless
     * {@code pipeStdout}: then stdin and stdout stay pipes to talk to it.
     */
    Process spawn(final String ns, final List<String> command, final Path log, final boolean pipeStdout)
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(command);
        synchronized (lock)
        {
            if (closed)
            {
                throw new IllegalStateException("the lab is closed");
            }
            try
            {
                final ProcessBuilder pb = new ProcessBuilder(cmd);
                if (pipeStdout)
                {
                    pb.redirectError(log.toFile());
                }
                else
                {
                    pb.redirectErrorStream(true).redirectOutput(log.toFile());
                }
                final Process p = pb.start();
                if (!pipeStdout)
                {
                    p.getOutputStream().close();
                }
                processes.add(p);
                return p;
            }
            catch (final IOException e)
            {
                throw new IllegalStateException("cannot start " + String.join(" ", cmd) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Stops one process this lab started: SIGTERM, then SIGKILL after 5 s. */
    static void stop(final Process p)
    {
        if (p == null)
        {
            return;
        }
        p.destroy();
        try
        {
            if (!p.waitFor(5, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
        catch (final InterruptedException e)
        {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a command to completion; its output, or an exception that carries it (the bench harness's). */
    static String run(final String... command)
    {
        return io.sluice.tools.bench.BenchLab.run(command);
    }

    private void cleanUp()
    {
        final List<Process> toStop;
        final List<String> toDelete;
        synchronized (lock)
        {
            closed = true;
            toStop = new ArrayList<>(processes);
            processes.clear();
            toDelete = new ArrayList<>(namespaces);
            namespaces.clear();
        }
        toStop.forEach(Process::destroy);
        toStop.forEach(IkeLab::stop);
        for (int i = toDelete.size() - 1; i >= 0; i--)
        {
            try
            {
                run("ip", "netns", "delete", toDelete.get(i));
            }
            catch (final RuntimeException e)
            {
                System.err.println("ike bench: cleaning up: " + e.getMessage());
            }
        }
    }

    @Override
    public void close()
    {
        cleanUp();
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ignored)
        {
            // the JVM is already shutting down and runs the hook itself
        }
    }
}
