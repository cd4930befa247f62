package io.sluice.ffi.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The process's open file descriptors, from {@code /proc/self/fd}, to show that a failed open
 * leaks nothing. Other JVM threads may open files meanwhile, so a check compares the fds that point
 * at sockets, {@code /dev/net/tun} or anonymous inodes, and prints what is new when it fails.
 */
public final class OpenFds
{
    private OpenFds()
    {
    }

    /** fd number to link target (e.g. {@code socket:[1234]}, {@code /dev/net/tun}). */
    public static Map<Integer, String> snapshot()
    {
        final Map<Integer, String> fds = new TreeMap<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc/self/fd")))
        {
            entries.forEach(p ->
            {
                try
                {
                    fds.put(Integer.parseInt(p.getFileName().toString()), Files.readSymbolicLink(p).toString());
                }
                catch (final IOException e)
                {
                    // the fd of the directory listing itself is gone by now
                }
            });
        }
        catch (final IOException e)
        {
            throw new IllegalStateException("cannot list /proc/self/fd: " + e.getMessage(), e);
        }
        return fds;
    }

    /** How many fds are open now. */
    public static int count()
    {
        return snapshot().size();
    }

    /** Every fd open now that was not open (or pointed elsewhere) before, for a failure message. */
    public static Map<Integer, String> added(final Map<Integer, String> before)
    {
        final Map<Integer, String> added = new TreeMap<>();
        snapshot().forEach((fd, target) ->
        {
            if (!target.equals(before.get(fd)))
            {
                added.put(fd, target);
            }
        });
        return added;
    }

    /** Kernel objects (sockets, TUN queues, anon inodes such as BPF maps) open now that were not before. */
    public static Map<Integer, String> newKernelObjects(final Map<Integer, String> before)
    {
        final Map<Integer, String> added = new TreeMap<>();
        snapshot().forEach((fd, target) ->
        {
            if (!target.equals(before.get(fd)) &&
                (target.startsWith("socket:") || target.startsWith("anon_inode:") || target.equals("/dev/net/tun")))
            {
                added.put(fd, target);
            }
        });
        return added;
    }
}
