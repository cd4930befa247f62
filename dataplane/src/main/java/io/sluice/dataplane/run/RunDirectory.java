package io.sluice.dataplane.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where a running gateway keeps what other processes reach it by: the control socket, the
 * counters file, the Aeron directory, the pid files. One per network namespace (a gateway owns
 * its namespace's interfaces), named by the namespace's inode so that {@code sluice ctl -n NS}
 * finds it from outside the namespace: {@code /run/sluice/net-INODE/}. Readable by its owner only.
 */
public final class RunDirectory
{
    public static final String CONTROL_SOCKET = "control.sock";
    public static final String DATAPLANE_SOCKET = "dataplane.sock";
    public static final String AERON = "aeron";
    private static final Path BASE = Path.of(System.getProperty("sluice.run.base", "/run/sluice"));

    private RunDirectory()
    {
    }

    /**
     * The IPC settings of a gateway: by default the dataplane embeds the Aeron media driver with
     * its directory inside the run directory; with {@code -Dsluice.ipc.embedded.driver=false} an
     * external driver is used, at {@code -Dsluice.ipc.dir} (which it must have created).
     */
    public static io.sluice.dataplane.ipc.IpcContext ipcContext(final Path runDir)
    {
        final io.sluice.dataplane.ipc.IpcContext ipc = new io.sluice.dataplane.ipc.IpcContext();
        if (ipc.embeddedDriver() || System.getProperty(io.sluice.dataplane.ipc.IpcContext.DIR_PROP) == null)
        {
            ipc.aeronDirectoryName(runDir.resolve(AERON).toString());
        }
        return ipc;
    }

    /** The directory for the network namespace this process is in. */
    public static Path forCurrentNamespace() throws IOException
    {
        return BASE.resolve("net-" + inode(Path.of("/proc/self/ns/net")));
    }

    /** The directory for a named namespace ({@code ip netns add NAME}). */
    public static Path forNamespace(final String name) throws IOException
    {
        final Path ns = Path.of("/run/netns", name);
        if (!Files.exists(ns))
        {
            throw new IllegalArgumentException("no network namespace '" + name + "' (" + ns + " does not exist)");
        }
        return BASE.resolve("net-" + inode(ns));
    }

    private static long inode(final Path nsFile) throws IOException
    {
        return ((Number)Files.getAttribute(nsFile, "unix:ino")).longValue();
    }

    /** Creates the directory (0700) for a gateway about to start; refuses if one is running there. */
    public static Path create(final Path dir) throws IOException
    {
        Files.createDirectories(dir.getParent());
        if (Files.exists(dir.resolve("run.pid")))
        {
            final long pid = Long.parseLong(Files.readString(dir.resolve("run.pid")).trim());
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
            {
                throw new IllegalStateException("a gateway is already running in this network namespace (pid " + pid +
                    ", " + dir + ")");
            }
            deleteTree(dir);
        }
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }

    public static void deleteTree(final Path dir) throws IOException
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (var walk = Files.walk(dir))
        {
            for (final Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(p);
            }
        }
    }
}
