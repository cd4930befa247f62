package io.sluice.ffi.tun;

import io.sluice.ffi.libc.Errno;
import io.sluice.ffi.libc.Libc;
import io.sluice.ffi.libc.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A TUN device (layer 3, {@code IFF_TUN | IFF_NO_PI}: every read or write is one bare IP packet)
 * with one or more queues, each queue a non-blocking file descriptor on {@code /dev/net/tun}.
 * <p>
 * The device is created in the network namespace of the thread that opens it (the kernel takes the
 * namespace when {@code /dev/net/tun} is opened), so open it inside {@code NetNs.enter(...)} to put
 * it in a test namespace. It is not persistent: closing the last queue removes the device.
 * <p>
 * With {@code IFF_MULTI_QUEUE} the kernel spreads the packets it routes into the device over the
 * queues by flow hash, and each queue can be read and written by its own worker thread.
 * Addresses, routes and the link state are configured from outside (iproute2, netlink).
 */
public final class Tun implements AutoCloseable
{
    /** Interface names are at most 15 bytes plus the terminating NUL. */
    public static final int IFNAMSIZ = 16;
    /** Most queues one multi-queue device may have ({@code MAX_TAP_QUEUES}). */
    public static final int MAX_QUEUES = 256;

    static final String DEVICE = "/dev/net/tun";
    /** {@code _IOW('T', 202, int)}. */
    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TUN = 0x0001;
    static final short IFF_MULTI_QUEUE = 0x0100;
    static final short IFF_NO_PI = 0x1000;
    /** {@code struct ifreq}: name[16] at 0, the flags (a union member) at 16; 40 bytes in all. */
    static final int IFREQ_SIZE = 40;
    static final int IFREQ_FLAGS = 16;
    /** Errno for a name template with no free number (not in {@link Errno}). */
    static final int ENFILE = 23;

    private final String name;
    private final int[] fds;
    private final boolean multiQueue;
    private boolean closed;

    private Tun(final String name, final int[] fds, final boolean multiQueue)
    {
        this.name = name;
        this.fds = fds;
        this.multiQueue = multiQueue;
    }

    /**
     * Creates (or attaches to) a single-queue TUN device in the calling thread's network namespace.
     *
     * @param name the interface name, at most 15 bytes; may contain one {@code %d} for the kernel to
     *             number (e.g. {@code sl%d}); null lets the kernel pick {@code tunN}
     */
    public static Tun open(final String name)
    {
        return open(DEVICE, name, 1, false);
    }

    /**
     * Creates a multi-queue TUN device with {@code queues} queues (fds), in the calling thread's
     * network namespace. Each fd can be given to a different worker.
     */
    public static Tun openMultiQueue(final String name, final int queues)
    {
        return open(DEVICE, name, queues, true);
    }

    /** Opens through {@code device} instead of {@value #DEVICE}: tests use it to show the missing-node message. */
    static Tun open(final String device, final String requested, final int queues, final boolean multiQueue)
    {
        if (queues < 1 || queues > MAX_QUEUES)
        {
            throw new IllegalArgumentException("TUN queue count " + queues + " outside 1.." + MAX_QUEUES);
        }
        if (!multiQueue && queues != 1)
        {
            throw new IllegalArgumentException("a TUN device without IFF_MULTI_QUEUE has exactly one queue");
        }
        final byte[] nameBytes = requested == null ? new byte[0] : requested.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length >= IFNAMSIZ)
        {
            // the kernel would silently cut the name at 15 bytes and create a device nobody asked for
            throw new IllegalArgumentException("TUN device name '" + requested + "' is " + nameBytes.length +
                " bytes long; Linux interface names are at most " + (IFNAMSIZ - 1) + " bytes (IFNAMSIZ " + IFNAMSIZ +
                ")");
        }
        final short flags = (short)(IFF_TUN | IFF_NO_PI | (multiQueue ? IFF_MULTI_QUEUE : 0));
        final int[] fds = new int[queues];
        Arrays.fill(fds, -1);
        String name = requested == null || requested.isEmpty() ? "tun%d" : requested;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment ifr = arena.allocate(IFREQ_SIZE, 8);
            for (int q = 0; q < queues; q++)
            {
                final String subject = "TUN device '" + name + "'" + (multiQueue ? " queue " + q : "");
                fds[q] = openDevice(device, subject);
                ifr.fill((byte)0);
                final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
                MemorySegment.copy(bytes, 0, ifr, JAVA_BYTE, 0, bytes.length);
                ifr.set(JAVA_SHORT, IFREQ_FLAGS, flags);
                setIff(fds[q], ifr, subject, name, multiQueue);
                // the kernel writes back the real name (a %d template resolved); later queues attach to it
                name = ifr.getString(0);
            }
            return new Tun(name, fds, multiQueue);
        }
        catch (final RuntimeException e)
        {
            for (final int fd : fds)
            {
                Libc.close(fd);
            }
            throw e;
        }
    }

    private static int openDevice(final String device, final String subject)
    {
        try
        {
            return Libc.open(device, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC, subject + ": " + device);
        }
        catch (final NativeException e)
        {
            final String hint = switch (e.errno())
            {
                case Errno.ENOENT, Errno.ENODEV, Errno.ENXIO -> "; " + device + " is missing: the kernel has no TUN " +
                    "support (CONFIG_TUN) or the device node was not created (mknod " + device + " c 10 200)";
                case Errno.EPERM, Errno.EACCES -> "; " + device + " must be readable and writable by this user " +
                    "(it is usually root's only), and making a device needs CAP_NET_ADMIN";
                default -> "";
            };
            if (hint.isEmpty())
            {
                throw e;
            }
            throw new NativeException(e.getMessage() + hint, e.call(), e.errno(), e);
        }
    }

    private static void setIff(
        final int fd, final MemorySegment ifr, final String subject, final String name, final boolean multiQueue)
    {
        try
        {
            Libc.ioctl(fd, TUNSETIFF, ifr, subject);
        }
        catch (final NativeException e)
        {
            final String hint = switch (e.errno())
            {
                case Errno.EPERM, Errno.EACCES -> "; creating or attaching to TUN device '" + name + "' needs " +
                    "CAP_NET_ADMIN in its network namespace, or the device belongs to another user";
                case Errno.EBUSY -> "; TUN device '" + name + "' already exists with a queue attached" +
                    (multiQueue ? "" : " (a single-queue device takes one fd: open it multi-queue, or pick another " +
                    "name)");
                case Errno.EINVAL -> exists(name)
                    ? "; an interface named '" + name + "' already exists and is not a " +
                    (multiQueue ? "multi-queue" : "single-queue") + " TUN device"
                    : "; '" + name + "' is not a valid interface name (no '/', ':' or whitespace, not '.' or '..')";
                case ENFILE -> "; the name template '" + name + "' has no free number left";
                default -> "";
            };
            throw new NativeException("ioctl(TUNSETIFF) on " + subject + " failed: " + Errno.describe(e.errno()) +
                hint, "ioctl(TUNSETIFF)", e.errno(), e);
        }
    }

    /** Whether an interface of this name exists in the calling thread's namespace (for a message only). */
    private static boolean exists(final String name)
    {
        try
        {
            Libc.ifNameToIndex(name);
            return true;
        }
        catch (final RuntimeException e)
        {
            return false;
        }
    }

    /** The device's name as the kernel has it (a {@code %d} template resolved). */
    public String name()
    {
        return name;
    }

    public int queues()
    {
        return fds.length;
    }

    public boolean multiQueue()
    {
        return multiQueue;
    }

    /** The non-blocking fd of one queue: read gives one IP packet or EAGAIN, write sends one. */
    public int fd(final int queue)
    {
        if (closed)
        {
            throw new IllegalStateException("TUN device " + name + " is closed");
        }
        return fds[queue];
    }

    /** Closes every queue; the device disappears with its last queue. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            for (int q = 0; q < fds.length; q++)
            {
                Libc.close(fds[q]);
                fds[q] = -1;
            }
        }
    }

    @Override
    public String toString()
    {
        return "TUN " + name + " (" + fds.length + (multiQueue ? " queues, multi-queue)" : " queue)");
    }
}
