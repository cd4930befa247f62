package io.sluice.ffi.bpf;

import io.sluice.ffi.libc.Errno;
import io.sluice.ffi.libc.Libc;
import io.sluice.ffi.libc.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The bpf(2) system call, directly: no libbpf, no BTF. Only what AF_XDP needs: an XSKMAP,
 * an XDP program, a BPF link that attaches it (and detaches it when the last fd closes, so a
 * killed process leaves nothing behind), and map updates.
 */
public final class Bpf
{
    static final long SYS_BPF = 321; // x86_64
    static final int ATTR_SIZE = 144; // sizeof(union bpf_attr) on 6.x kernels

    public static final int BPF_MAP_CREATE = 0;
    public static final int BPF_MAP_LOOKUP_ELEM = 1;
    public static final int BPF_MAP_UPDATE_ELEM = 2;
    public static final int BPF_MAP_DELETE_ELEM = 3;
    public static final int BPF_PROG_LOAD = 5;
    public static final int BPF_LINK_CREATE = 28;

    public static final int BPF_MAP_TYPE_XSKMAP = 17;
    public static final int BPF_PROG_TYPE_XDP = 6;
    public static final int BPF_XDP = 37;

    public static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
    public static final int XDP_FLAGS_SKB_MODE = 1 << 1;
    public static final int XDP_FLAGS_DRV_MODE = 1 << 2;

    private Bpf()
    {
    }

    private static long call(final int cmd, final MemorySegment attr)
    {
        return Libc.syscall(SYS_BPF, cmd, attr.address(), ATTR_SIZE);
    }

    private static NativeException failure(final String what, final String subject, final int errno)
    {
        if (errno == Errno.EPERM)
        {
            return new NativeException("bpf(" + what + ") (" + subject + ") failed: " + Errno.describe(errno) +
                "; AF_XDP needs root or CAP_BPF, CAP_NET_ADMIN and CAP_NET_RAW", "bpf(" + what + ")", errno, null);
        }
        return new NativeException("bpf(" + what + ")", subject, errno);
    }

    private static void putName(final MemorySegment attr, final long offset, final String name)
    {
        final byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final int n = Math.min(bytes.length, 15);
        for (int i = 0; i < n; i++)
        {
            attr.set(JAVA_BYTE, offset + i, bytes[i]);
        }
    }

    /** Creates a map with 4-byte keys and values; returns its fd. */
    public static int mapCreate(final int type, final int maxEntries, final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, type);
            attr.set(JAVA_INT, 4, 4);
            attr.set(JAVA_INT, 8, 4);
            attr.set(JAVA_INT, 12, maxEntries);
            putName(attr, 28, name);
            final long rc = call(BPF_MAP_CREATE, attr);
            if (rc < 0)
            {
                throw failure("BPF_MAP_CREATE", "map " + name + ", " + maxEntries + " entries", (int)-rc);
            }
            return (int)rc;
        }
    }

    public static void mapUpdate(final int mapFd, final int key, final int value)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment kv = arena.allocate(8, 8);
            kv.set(JAVA_INT, 0, key);
            kv.set(JAVA_INT, 4, value);
            final MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, mapFd);
            attr.set(JAVA_LONG, 8, kv.address());
            attr.set(JAVA_LONG, 16, kv.address() + 4);
            attr.set(JAVA_LONG, 24, 0L);
            final long rc = call(BPF_MAP_UPDATE_ELEM, attr);
            if (rc < 0)
            {
                throw failure("BPF_MAP_UPDATE_ELEM", "map fd " + mapFd + ", key " + key, (int)-rc);
            }
        }
    }

    /** Deletes a key; a missing key is not an error. */
    public static void mapDelete(final int mapFd, final int key)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment k = arena.allocate(JAVA_INT);
            k.set(JAVA_INT, 0, key);
            final MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, mapFd);
            attr.set(JAVA_LONG, 8, k.address());
            final long rc = call(BPF_MAP_DELETE_ELEM, attr);
            if (rc < 0 && rc != -Errno.ENOENT)
            {
                throw failure("BPF_MAP_DELETE_ELEM", "map fd " + mapFd + ", key " + key, (int)-rc);
            }
        }
    }

    /**
     * Loads a program. On a verifier rejection the exception carries the verifier's log.
     */
    public static int progLoad(final int type, final long[] insns, final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment code = arena.allocate(insns.length * 8L, 8);
            for (int i = 0; i < insns.length; i++)
            {
                code.set(JAVA_LONG, i * 8L, insns[i]);
            }
            final MemorySegment license = arena.allocateFrom("GPL");
            final MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, type);
            attr.set(JAVA_INT, 4, insns.length);
            attr.set(JAVA_LONG, 8, code.address());
            attr.set(JAVA_LONG, 16, license.address());
            putName(attr, 48, name);
            attr.set(JAVA_INT, 68, type == BPF_PROG_TYPE_XDP ? BPF_XDP : 0);
            long rc = call(BPF_PROG_LOAD, attr);
            if (rc >= 0)
            {
                return (int)rc;
            }
            if (rc == -Errno.EACCES || rc == -Errno.EINVAL)
            {
                final int logSize = 1 << 16;
                final MemorySegment log = arena.allocate(logSize);
                attr.set(JAVA_INT, 24, 1);
                attr.set(JAVA_INT, 28, logSize);
                attr.set(JAVA_LONG, 32, log.address());
                rc = call(BPF_PROG_LOAD, attr);
                if (rc >= 0)
                {
                    return (int)rc;
                }
                throw new NativeException("bpf(BPF_PROG_LOAD) (program " + name + ") failed: " +
                    Errno.describe((int)-rc) + "; verifier log:\n" + log.getString(0),
                    "bpf(BPF_PROG_LOAD)", (int)-rc, null);
            }
            throw failure("BPF_PROG_LOAD", "program " + name, (int)-rc);
        }
    }

    /**
     * Attaches an XDP program to an interface (of the calling thread's namespace) with a BPF link;
     * the program goes when the link fd is closed, also when the process dies.
     */
    public static int linkXdp(final int progFd, final int ifindex, final String ifname, final int xdpFlags)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, progFd);
            attr.set(JAVA_INT, 4, ifindex);
            attr.set(JAVA_INT, 8, BPF_XDP);
            attr.set(JAVA_INT, 12, xdpFlags);
            final long rc = call(BPF_LINK_CREATE, attr);
            if (rc < 0)
            {
                final int errno = (int)-rc;
                final String mode = (xdpFlags & XDP_FLAGS_DRV_MODE) != 0 ? "native (driver)" : "generic (skb)";
                if (errno == Errno.EBUSY || errno == Errno.EEXIST)
                {
                    throw new NativeException("interface " + ifname + " already has an XDP program attached (" +
                        Errno.describe(errno) + "); remove it first (ip link set dev " + ifname +
                        " xdp off, or stop the process holding it)", "bpf(BPF_LINK_CREATE)", errno, null);
                }
                if (errno == Errno.EOPNOTSUPP || errno == Errno.EINVAL)
                {
                    throw new NativeException("interface " + ifname + " does not support XDP in " + mode + " mode (" +
                        Errno.describe(errno) + ")", "bpf(BPF_LINK_CREATE)", errno, null);
                }
                throw failure("BPF_LINK_CREATE", "XDP on " + ifname + ", " + mode + " mode", errno);
            }
            return (int)rc;
        }
    }
}
