package io.sluice.ffi.testkit;

import io.sluice.ffi.libc.Libc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Test hosts on this machine: network namespaces and veth pairs with unique names, and the
 * processes started in them. {@link #close()} removes all of it, and a shutdown hook does the same
 * if the JVM exits first, so a failing test leaves nothing behind. Processes are stopped by their
 * handles, never by name.
 */
public final class NetnsLab implements AutoCloseable
{
    private final String id;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final Thread hook;
    private boolean closed;

    private NetnsLab()
    {
        this.id = Integer.toString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff), 36);
        this.hook = new Thread(this::cleanUp, "netns-lab-cleanup-" + id);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Why namespace tests cannot run here, or null when they can (root, iproute2, netns support).
     */
    public static String unavailableReason()
    {
        if (Libc.geteuid() != 0)
        {
            return "not root: network-namespace tests need root (CI runs as root)";
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip")) &&
            !Files.isExecutable(Path.of("/usr/bin/ip")))
        {
            return "iproute2 'ip' not installed (apt-get install iproute2)";
        }
        if (!Files.exists(Path.of("/proc/self/ns/net")))
        {
            return "kernel without network namespaces";
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/ethtool")) && !Files.isExecutable(Path.of("/sbin/ethtool")))
        {
            return "ethtool not installed (apt-get install ethtool)";
        }
        return null;
    }

    /**
     * A lab for a test, or the test is skipped (JUnit assumption) with the reason printed as
     * {@code SKIPPED Name: why}, when namespaces cannot be made here (not root, no ip, ...).
     */
    public static NetnsLab createOrSkip(final Object test)
    {
        final String why = unavailableReason();
        if (why != null)
        {
            System.out.println("SKIPPED " + test.getClass().getSimpleName() + ": " + why);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(why == null, why);
        return create();
    }

    public static NetnsLab create()
    {
        return new NetnsLab();
    }

    /** Short unique prefix for names made by this lab. */
    public String id()
    {
        return id;
    }

    /** Creates a namespace {@code sl<id>-<suffix>} with loopback up. */
    public String namespace(final String suffix)
    {
        final String name = "sl" + id + "-" + suffix;
        run("ip", "netns", "add", name);
        namespaces.add(name);
        run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /**
     * A veth pair between two namespaces, both ends up, with optional IPv4 addresses (CIDR, or null).
     * Names are {@code v<id><a|b><n>}, at most 15 characters.
     *
     * @return the two interface names, first in {@code nsA}
     */
    public String[] veth(final String nsA, final String addrA, final String nsB, final String addrB)
    {
        final int n = vethCount++;
        final String a = "v" + id + "a" + n;
        final String b = "v" + id + "b" + n;
        run("ip", "link", "add", a, "netns", nsA, "type", "veth", "peer", "name", b, "netns", nsB);
        if (addrA != null)
        {
            run("ip", "-n", nsA, "addr", "add", addrA, "dev", a);
        }
        if (addrB != null)
        {
            run("ip", "-n", nsB, "addr", "add", addrB, "dev", b);
        }
        // veth leaves transmit checksums to "hardware" (CHECKSUM_PARTIAL); a frame that goes through
        // an AF_XDP socket is copied as bytes and would arrive with a half-done checksum. A real NIC
        // computes it; here the sending kernel must.
        run("ip", "netns", "exec", nsA, "ethtool", "-K", a, "tx", "off");
        run("ip", "netns", "exec", nsB, "ethtool", "-K", b, "tx", "off");
        run("ip", "-n", nsA, "link", "set", a, "up");
        run("ip", "-n", nsB, "link", "set", b, "up");
        // frames sent before the kernel sees carrier on both ends are dropped: wait for it (a loaded machine can take
        // a while), so no test races the link coming up
        awaitCarrier(nsA, a);
        awaitCarrier(nsB, b);
        return new String[]{a, b};
    }

    private static void awaitCarrier(final String ns, final String ifname)
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (!run("ip", "-n", ns, "-o", "link", "show", "dev", ifname).contains("LOWER_UP"))
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException(ifname + " in " + ns + " has no carrier after 10 s");
            }
            try
            {
                Thread.sleep(5);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + ifname);
            }
        }
    }

    private int vethCount;

    /** Runs a command in a namespace and returns its output; throws if it fails. */
    public String exec(final String ns, final String... command)
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return run(cmd.toArray(String[]::new));
    }

    /** Runs a command in a namespace; returns its exit status and output without throwing. */
    public Result tryExec(final String ns, final String... command)
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return execute(cmd.toArray(String[]::new));
    }

    /** Starts a long-running command in a namespace; it is destroyed by {@link #close()}. */
    public Process spawn(final String ns, final String... command)
    {
        final List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        try
        {
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            synchronized (processes)
            {
                processes.add(p);
            }
            return p;
        }
        catch (final IOException e)
        {
            throw new IllegalStateException("cannot start " + cmd + ": " + e.getMessage(), e);
        }
    }

    public record Result(int status, String output)
    {
    }

    public static String run(final String... command)
    {
        final Result r = execute(command);
        if (r.status != 0)
        {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + r.status + "): " + r.output);
        }
        return r.output;
    }

    public static Result execute(final String... command)
    {
        try
        {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            final byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        }
        catch (final IOException e)
        {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }

    private void cleanUp()
    {
        synchronized (processes)
        {
            for (final Process p : processes)
            {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            for (final Process p : processes)
            {
                try
                {
                    p.waitFor(5, TimeUnit.SECONDS);
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                }
            }
            processes.clear();
        }
        for (int i = namespaces.size() - 1; i >= 0; i--)
        {
            execute("ip", "netns", "delete", namespaces.get(i));
        }
        namespaces.clear();
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            cleanUp();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ignored)
            {
                // already shutting down: the hook runs anyway
            }
        }
    }
}
