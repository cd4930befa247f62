package io.sluice.ffi.libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Interface facts from the kernel by ioctl on a datagram socket ({@code struct ifreq}), in the
 * calling thread's network namespace.
 */
public final class NetIf
{
    private static final long SIOCGIFMTU = 0x8921;
    private static final long SIOCGIFHWADDR = 0x8927;
    private static final int IFREQ_SIZE = 40;
    private static final int IFNAMSIZ = 16;

    private NetIf()
    {
    }

    private static MemorySegment ifreq(final Arena arena, final String name)
    {
        final byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (bytes.length >= IFNAMSIZ)
        {
            throw new IllegalArgumentException("interface name '" + name + "' longer than 15 characters");
        }
        final MemorySegment req = arena.allocate(IFREQ_SIZE, 8);
        for (int i = 0; i < bytes.length; i++)
        {
            req.set(JAVA_BYTE, i, bytes[i]);
        }
        return req;
    }

    /** The MAC address as the low 48 bits of a long. */
    public static long hardwareAddress(final String name)
    {
        final int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0, "ioctl socket");
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment req = ifreq(arena, name);
            Libc.ioctl(fd, SIOCGIFHWADDR, req, "SIOCGIFHWADDR on " + name);
            long mac = 0;
            for (int i = 0; i < 6; i++)
            {
                mac = (mac << 8) | (req.get(JAVA_BYTE, IFNAMSIZ + 2 + i) & 0xff);
            }
            return mac;
        }
        finally
        {
            Libc.close(fd);
        }
    }

    public static int mtu(final String name)
    {
        final int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0, "ioctl socket");
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment req = ifreq(arena, name);
            Libc.ioctl(fd, SIOCGIFMTU, req, "SIOCGIFMTU on " + name);
            return req.get(JAVA_INT, IFNAMSIZ);
        }
        finally
        {
            Libc.close(fd);
        }
    }
}
