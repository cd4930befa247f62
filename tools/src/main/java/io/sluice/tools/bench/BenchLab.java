package io.sluice.tools.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's machine: network namespaces and veth pairs with unique names, and the
 * processes started in them. {@link #close()} stops every process it started (SIGTERM by
 * handle, then SIGKILL) and deletes the namespaces (which takes the veth pairs with them); a
 * shutdown hook does the same when the JVM exits first (Ctrl-C). Nothing is ever killed by name.
 */
public final class BenchLab implements AutoCloseable
{
    private final String id;
    /** Guards closed, namespaces and children: creating one and cleaning up never interleave. */
    private final Object lock = new Object();
    private final List<String> namespaces = new ArrayList<>();
    private final List<Child> children = new ArrayList<>();
    private final Thread hook;
    private boolean closed;

    private BenchLab()
    {
        this.id = Integer.toString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff), 36);
        this.hook = new Thread(this::cleanUp, "bench-lab-cleanup-" + id);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static BenchLab create()
    {
        return new BenchLab();
    }

    /** Why the benchmark cannot run here (not root, no iproute2 or ethtool), or null. */
    static String unavailableReason(final boolean root)
    {
        if (!root)
        {
            return "needs root (it creates network namespaces and veth pairs and attaches XDP programs): " +
                "run it as root, e.g. sudo ./sluice bench io";
        }
        if (which("ip") == null)
        {
            return "iproute2's 'ip' is not installed (apt-get install iproute2)";
        }
        if (which("ethtool") == null)
        {
            return "ethtool is not installed (apt-get install ethtool)";
        }
        if (!Files.exists(Path.of("/proc/self/ns/net")))
        {
            return "this kernel has no network namespaces";
        }
        return null;
    }

    static Path which(final String tool)
    {
        for (final String dir : new String[]{"/usr/sbin", "/sbin", "/usr/bin", "/bin"})
        {
            final Path p = Path.of(dir, tool);
            if (Files.isExecutable(p))
            {
                return p;
            }
        }
        return null;
    }

    String id()
    {
        return id;
    }

    /** A namespace {@code sb<id>-<suffix>} with loopback up and IPv6 off (no ND/MLD chatter on the wire). */
    String namespace(final String suffix)
    {
        final String name = "sb" + id + "-" + suffix;
        synchronized (lock)
        {
            if (closed)
            {
                throw new BenchException("interrupted");
            }
            run("ip", "netns", "add", name);
            namespaces.add(name);
        }
        run("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1");
        run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /**
     * A veth pair {@code sb<id><a>} in {@code nsA} -- {@code sb<id><b>} in {@code nsB}, up, without
     * addresses, transmit checksum offload and GRO off on both ends.
     *
     * @return the two interface names
     */
    String[] veth(final String nsA, final String a, final String nsB, final String b)
    {
        return veth(nsA, a, nsB, b, 0);
    }

    /** As {@link #veth(String, String, String, String)}, with an MTU on both ends (0: the default 1500). */
    String[] veth(final String nsA, final String a, final String nsB, final String b, final int mtu)
    {
        final String ifA = "sb" + id + a;
        final String ifB = "sb" + id + b;
        run("ip", "link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB);
        for (final String[] end : new String[][]{{nsA, ifA}, {nsB, ifB}})
        {
            run("ip", "netns", "exec", end[0], "sysctl", "-qw", "net.ipv6.conf." + end[1] + ".disable_ipv6=1");
            // veth leaves transmit checksums to "hardware"; frames that pass an AF_XDP socket are
            // copied as bytes, so the sending kernel must finish them. GRO is off by default on
            // veth; say so anyway, it changes veth's receive path.
            run("ip", "netns", "exec", end[0], "ethtool", "-K", end[1], "tx", "off", "gro", "off");
            if (mtu > 0)
            {
                run("ip", "-n", end[0], "link", "set", end[1], "mtu", Integer.toString(mtu));
            }
            run("ip", "-n", end[0], "link", "set", end[1], "up");
        }
        return new String[]{ifA, ifB};
    }

    /** The MAC address of an interface in a namespace. */
    String mac(final String ns, final String ifname)
    {
        return run("ip", "netns", "exec", ns, "cat", "/sys/class/net/" + ifname + "/address").trim();
    }

    /** Starts a command in a namespace ({@code ip netns exec} execs it: the handle is the program's). */
    Child spawn(final String label, final String ns, final List<String> command)
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(command);
        return start(label, cmd);
    }

    /** Starts a command in this process's own network namespace (the hardware mode). */
    Child spawnHere(final String label, final List<String> command)
    {
        return start(label, new ArrayList<>(command));
    }

    private Child start(final String label, final List<String> cmd)
    {
        synchronized (lock)
        {
            if (closed)
            {
                throw new BenchException("interrupted");
            }
            try
            {
                final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                p.getOutputStream().close();
                final Child child = new Child(label, String.join(" ", cmd), p);
                children.add(child);
                return child;
            }
            catch (final IOException e)
            {
                throw new BenchException("cannot start " + String.join(" ", cmd) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Runs a command to completion; its output, or a BenchException with it. */
    public static String run(final String... command)
    {
        try
        {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            final byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
                throw new BenchException(String.join(" ", command) + " did not finish in 60 s");
            }
            final String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0)
            {
                throw new BenchException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " +
                    text.trim());
            }
            return text;
        }
        catch (final IOException e)
        {
            throw new BenchException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted while running " + String.join(" ", command), e);
        }
    }

    private void cleanUp()
    {
        final List<Child> toStop;
        final List<String> toDelete;
        synchronized (lock)
        {
            closed = true;
            toStop = new ArrayList<>(children);
            children.clear();
            toDelete = new ArrayList<>(namespaces);
            namespaces.clear();
        }
        for (final Child c : toStop)
        {
            c.process.destroy();
        }
        for (final Child c : toStop)
        {
            try
            {
                if (!c.process.waitFor(3, TimeUnit.SECONDS))
                {
                    c.process.destroyForcibly();
                    c.process.waitFor(3, TimeUnit.SECONDS);
                }
            }
            catch (final InterruptedException e)
            {
                c.process.destroyForcibly();
            }
        }
        for (int i = toDelete.size() - 1; i >= 0; i--)
        {
            try
            {
                run("ip", "netns", "delete", toDelete.get(i));
            }
            catch (final BenchException e)
            {
                System.err.println("sluice bench: cleaning up: " + e.getMessage());
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
            // the JVM is already shutting down: the hook runs anyway, and finds nothing left
        }
    }

    /** A started process whose output is collected line by line, as it comes. */
    static final class Child
    {
        private final String label;
        private final String command;
        private final Process process;
        private final List<String> lines = new ArrayList<>();
        private boolean eof;

        private Child(final String label, final String command, final Process process)
        {
            this.label = label;
            this.command = command;
            this.process = process;
            final Thread reader = new Thread(this::drain, "bench-output-" + label);
            reader.setDaemon(true);
            reader.start();
        }

        private void drain()
        {
            try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = in.readLine()) != null)
                {
                    synchronized (this)
                    {
                        lines.add(line);
                        notifyAll();
                    }
                }
            }
            catch (final IOException ignored)
            {
                // the process went away
            }
            finally
            {
                synchronized (this)
                {
                    eof = true;
                    notifyAll();
                }
            }
        }

        Process process()
        {
            return process;
        }

        /** Waits for a line starting with READY; fails with the output if the process exits or times out. */
        synchronized String awaitReady(final long timeoutMs) throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            int seen = 0;
            while (true)
            {
                for (; seen < lines.size(); seen++)
                {
                    if (lines.get(seen).startsWith("READY"))
                    {
                        return lines.get(seen);
                    }
                }
                if (eof)
                {
                    throw new BenchException(label + " exited before it was ready" + exitText() + "; command: " +
                        command + "\n" + output());
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0)
                {
                    throw new BenchException(label + " was not ready after " + timeoutMs + " ms; command: " +
                        command + "\n" + output());
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        /** Sends SIGTERM, waits for the exit and the end of the output; returns the last JSON line. */
        String stop(final long timeoutMs) throws InterruptedException
        {
            // SIGTERM through the handle: Process.destroy() would also close our end of its output
            process.toHandle().destroy();
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                throw new BenchException(label + " did not exit within " + timeoutMs + " ms of SIGTERM; command: " +
                    command + "\n" + output());
            }
            synchronized (this)
            {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!eof && System.nanoTime() < deadline)
                {
                    TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, deadline - System.nanoTime()));
                }
                for (int i = lines.size() - 1; i >= 0; i--)
                {
                    if (lines.get(i).startsWith("{"))
                    {
                        return lines.get(i);
                    }
                }
            }
            throw new BenchException(label + " printed no result" + exitText() + "; command: " + command + "\n" +
                output());
        }

        private String exitText()
        {
            return process.isAlive() ? "" : " (exit status " + process.exitValue() + ")";
        }

        synchronized String output()
        {
            final StringBuilder sb = new StringBuilder();
            for (final String l : lines)
            {
                sb.append("  | ").append(l).append('\n');
            }
            return sb.length() == 0 ? "  | (no output)" : sb.toString().stripTrailing();
        }
    }
}
