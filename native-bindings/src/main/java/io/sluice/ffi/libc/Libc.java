package io.sluice.ffi.libc;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * libc through the FFM API. Two tiers:
 * <ul>
 *   <li>control-path calls ({@link #socket}, {@link #bind}, ...) check the result and throw a
 *   {@link NativeException} naming the call, its subject and the errno;</li>
 *   <li>data-path calls ({@code ...Raw}) take a caller-owned call-state segment (see
 *   {@link #newCallState}), never throw, never allocate, and return {@code -errno} on failure.</li>
 * </ul>
 * errno is captured by the linker ({@code captureCallState}), since the JVM may clobber it
 * between the call and any later read.
 */
public final class Libc
{
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_PACKET = 17;
    public static final int AF_XDP = 44;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVBUF = 8;
    public static final int SO_SNDBUF = 7;
    public static final int MSG_DONTWAIT = 0x40;

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_HUGETLB = 0x40000;

    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;

    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;

    public static final int CLONE_NEWNET = 0x40000000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_CAPTURE = Linker.Option.captureCallState("errno");
    private static final ThreadLocal<MemorySegment> THREAD_CALL_STATE =
        ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private static final MethodHandle SOCKET = errnoCall("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle BIND = errnoCall("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle SETSOCKOPT =
        errnoCall("setsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle GETSOCKOPT =
        errnoCall("getsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle IOCTL = LINKER.downcallHandle(
        LOOKUP.findOrThrow("ioctl"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
        ERRNO_CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP =
        errnoCall("mmap", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle MUNMAP = errnoCall("munmap", JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle POLL = errnoCall("poll", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SENDTO =
        errnoCall("sendto", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle RECVFROM =
        errnoCall("recvfrom", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle READ = errnoCall("read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle WRITE = errnoCall("write", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    // read/write with the buffer as a plain address: a port moving one frame of a large pool passes
    // pool base + offset and creates no slice segment per packet (pointers are 64-bit longs on LP64)
    private static final MethodHandle READ_AT = errnoCall("read", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle WRITE_AT = errnoCall("write", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    // readv: a TUN read cuts a packet to the buffer and returns the cut length; a second buffer shows the rest
    private static final MethodHandle READV = errnoCall("readv", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle OPEN = LINKER.downcallHandle(
        LOOKUP.findOrThrow("open"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
        ERRNO_CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FCNTL = LINKER.downcallHandle(
        LOOKUP.findOrThrow("fcntl"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG),
        ERRNO_CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = errnoCall("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle IF_NAMETOINDEX = errnoCall("if_nametoindex", JAVA_INT, ADDRESS);
    private static final MethodHandle SCHED_SETAFFINITY =
        errnoCall("sched_setaffinity", JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS);
    private static final MethodHandle SCHED_GETAFFINITY =
        errnoCall("sched_getaffinity", JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS);
    private static final MethodHandle SCHED_GETCPU = plainCall("sched_getcpu", JAVA_INT);
    private static final MethodHandle SETNS = errnoCall("setns", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle GETEUID = plainCall("geteuid", JAVA_INT);
    private static final MethodHandle GETTID = plainCall("gettid", JAVA_INT);
    private static final MethodHandle STRERROR = plainCall("strerror", ADDRESS, JAVA_INT);
    private static final MethodHandle SYSCALL4 = LINKER.downcallHandle(
        LOOKUP.findOrThrow("syscall"),
        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
        ERRNO_CAPTURE, Linker.Option.firstVariadicArg(1));

    private Libc()
    {
    }

    private static MethodHandle errnoCall(final String name, final ValueLayout result, final MemoryLayout... args)
    {
        return LINKER.downcallHandle(LOOKUP.findOrThrow(name), FunctionDescriptor.of(result, args), ERRNO_CAPTURE);
    }

    private static MethodHandle plainCall(final String name, final ValueLayout result, final MemoryLayout... args)
    {
        return LINKER.downcallHandle(LOOKUP.findOrThrow(name), FunctionDescriptor.of(result, args));
    }

    /** A call-state segment for the {@code ...Raw} calls; one per thread that uses them. */
    public static MemorySegment newCallState(final Arena arena)
    {
        return arena.allocate(CALL_STATE);
    }

    /** The errno captured in a call-state segment by the last call made with it. */
    public static int errno(final MemorySegment callState)
    {
        return (int)ERRNO.get(callState, 0L);
    }

    private static MemorySegment state()
    {
        return THREAD_CALL_STATE.get();
    }

    private static RuntimeException rethrow(final Throwable t)
    {
        if (t instanceof RuntimeException re)
        {
            return re;
        }
        if (t instanceof Error e)
        {
            throw e;
        }
        return new IllegalStateException(t);
    }

    private static int check(final String call, final String subject, final int rc, final MemorySegment st)
    {
        if (rc < 0)
        {
            throw new NativeException(call, subject, errno(st));
        }
        return rc;
    }

    // ---------------------------------------------------------------- control path

    public static int socket(final int domain, final int type, final int protocol, final String subject)
    {
        final MemorySegment st = state();
        try
        {
            return check("socket", subject, (int)SOCKET.invokeExact(st, domain, type, protocol), st);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static void bind(final int fd, final MemorySegment addr, final String subject)
    {
        final MemorySegment st = state();
        try
        {
            check("bind", subject, (int)BIND.invokeExact(st, fd, addr, (int)addr.byteSize()), st);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** bind returning {@code -errno} instead of throwing, for callers that retry (AF_XDP EBUSY). */
    public static int bindRaw(final int fd, final MemorySegment addr)
    {
        final MemorySegment st = state();
        try
        {
            final int rc = (int)BIND.invokeExact(st, fd, addr, (int)addr.byteSize());
            return rc < 0 ? -errno(st) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static void setsockopt(
        final int fd, final int level, final int name, final MemorySegment value, final String subject)
    {
        final MemorySegment st = state();
        try
        {
            check("setsockopt", subject,
                (int)SETSOCKOPT.invokeExact(st, fd, level, name, value, (int)value.byteSize()), st);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static void setsockoptInt(final int fd, final int level, final int name, final int value, final String subject)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment v = arena.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, value);
            setsockopt(fd, level, name, v, subject);
        }
    }

    /** getsockopt into {@code value}; returns the length the kernel wrote. */
    public static int getsockopt(
        final int fd, final int level, final int name, final MemorySegment value, final String subject)
    {
        final MemorySegment st = state();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment len = arena.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int)value.byteSize());
            check("getsockopt", subject, (int)GETSOCKOPT.invokeExact(st, fd, level, name, value, len), st);
            return len.get(JAVA_INT, 0);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int ioctl(final int fd, final long request, final MemorySegment arg, final String subject)
    {
        final MemorySegment st = state();
        try
        {
            return check("ioctl", subject, (int)IOCTL.invokeExact(st, fd, request, arg), st);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** mmap; the returned segment has the mapped length. */
    public static MemorySegment mmap(
        final MemorySegment addr, final long length, final int prot, final int flags, final int fd, final long offset,
        final String subject)
    {
        final MemorySegment st = state();
        try
        {
            final MemorySegment p = (MemorySegment)MMAP.invokeExact(st, addr, length, prot, flags, fd, offset);
            if (p.address() == -1L)
            {
                throw new NativeException("mmap", subject + ", " + length + " bytes", errno(st));
            }
            return p.reinterpret(length);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static void munmap(final MemorySegment mapping)
    {
        final MemorySegment st = state();
        try
        {
            check("munmap", "", (int)MUNMAP.invokeExact(st, mapping, mapping.byteSize()), st);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int open(final String path, final int flags, final String subject)
    {
        final MemorySegment st = state();
        try (Arena arena = Arena.ofConfined())
        {
            return check("open", subject == null ? path : subject,
                (int)OPEN.invokeExact(st, arena.allocateFrom(path), flags, 0), st);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static void setNonBlocking(final int fd, final String subject)
    {
        final MemorySegment st = state();
        try
        {
            final int flags = check("fcntl(F_GETFL)", subject, (int)FCNTL.invokeExact(st, fd, F_GETFL, 0L), st);
            check("fcntl(F_SETFL)", subject, (int)FCNTL.invokeExact(st, fd, F_SETFL, (long)(flags | O_NONBLOCK)), st);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** close; errors are ignored except EBADF, which means a double close (a bug). */
    public static void close(final int fd)
    {
        if (fd < 0)
        {
            return;
        }
        final MemorySegment st = state();
        try
        {
            final int rc = (int)CLOSE.invokeExact(st, fd);
            if (rc < 0 && errno(st) == Errno.EBADF)
            {
                throw new NativeException("close", "fd " + fd, Errno.EBADF);
            }
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** Interface index of a name in the calling thread's network namespace. */
    public static int ifNameToIndex(final String name)
    {
        final MemorySegment st = state();
        try (Arena arena = Arena.ofConfined())
        {
            final int index = (int)IF_NAMETOINDEX.invokeExact(st, arena.allocateFrom(name));
            if (index == 0)
            {
                final int errno = errno(st);
                throw new NativeException("if_nametoindex", "interface " + name,
                    errno == 0 || errno == Errno.ENXIO ? Errno.ENODEV : errno);
            }
            return index;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** Pins the calling thread to one CPU. */
    public static void pinCurrentThread(final int cpu)
    {
        if (cpu < 0 || cpu >= 1024)
        {
            throw new IllegalArgumentException("CPU " + cpu + " out of range 0..1023");
        }
        final MemorySegment st = state();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment set = arena.allocate(128);
            set.set(JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            check("sched_setaffinity", "cpu " + cpu, (int)SCHED_SETAFFINITY.invokeExact(st, 0, 128L, set), st);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** The CPUs the calling thread may run on. */
    public static int[] currentAffinity()
    {
        final MemorySegment st = state();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment set = arena.allocate(128);
            check("sched_getaffinity", "", (int)SCHED_GETAFFINITY.invokeExact(st, 0, 128L, set), st);
            int count = 0;
            for (int cpu = 0; cpu < 1024; cpu++)
            {
                if ((set.get(JAVA_LONG, (cpu / 64) * 8L) & (1L << (cpu % 64))) != 0)
                {
                    count++;
                }
            }
            final int[] cpus = new int[count];
            int i = 0;
            for (int cpu = 0; cpu < 1024; cpu++)
            {
                if ((set.get(JAVA_LONG, (cpu / 64) * 8L) & (1L << (cpu % 64))) != 0)
                {
                    cpus[i++] = cpu;
                }
            }
            return cpus;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int currentCpu()
    {
        try
        {
            return (int)SCHED_GETCPU.invokeExact();
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** setns(2) for the calling thread only. */
    public static void setns(final int fd, final int nstype, final String subject)
    {
        final MemorySegment st = state();
        try
        {
            check("setns", subject, (int)SETNS.invokeExact(st, fd, nstype), st);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int geteuid()
    {
        try
        {
            return (int)GETEUID.invokeExact();
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int gettid()
    {
        try
        {
            return (int)GETTID.invokeExact();
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static String strerror(final int errno)
    {
        try
        {
            final MemorySegment s = (MemorySegment)STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** A raw syscall with up to three arguments; returns the result or {@code -errno}. */
    public static long syscall(final long number, final long a1, final long a2, final long a3)
    {
        final MemorySegment st = state();
        try
        {
            final long rc = (long)SYSCALL4.invokeExact(st, number, a1, a2, a3);
            return rc < 0 ? -errno(st) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- data path: no throw, no allocation

    /** sendto returning bytes sent or {@code -errno}. */
    public static long sendtoRaw(
        final MemorySegment callState, final int fd, final MemorySegment buf, final long len, final int flags,
        final MemorySegment addr, final int addrLen)
    {
        try
        {
            final long rc = (long)SENDTO.invokeExact(callState, fd, buf, len, flags, addr, addrLen);
            return rc < 0 ? -errno(callState) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** recvfrom returning bytes received or {@code -errno}. */
    public static long recvfromRaw(
        final MemorySegment callState, final int fd, final MemorySegment buf, final long len, final int flags,
        final MemorySegment addr, final MemorySegment addrLen)
    {
        try
        {
            final long rc = (long)RECVFROM.invokeExact(callState, fd, buf, len, flags, addr, addrLen);
            return rc < 0 ? -errno(callState) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** read returning bytes read or {@code -errno}. */
    public static long readRaw(final MemorySegment callState, final int fd, final MemorySegment buf, final long len)
    {
        try
        {
            final long rc = (long)READ.invokeExact(callState, fd, buf, len);
            return rc < 0 ? -errno(callState) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** write returning bytes written or {@code -errno}. */
    public static long writeRaw(final MemorySegment callState, final int fd, final MemorySegment buf, final long len)
    {
        try
        {
            final long rc = (long)WRITE.invokeExact(callState, fd, buf, len);
            return rc < 0 ? -errno(callState) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * read into native memory at {@code address} (not bounds-checked: the caller owns
     * {@code len} bytes there), returning bytes read or {@code -errno}. Allocates nothing.
     */
    public static long readRaw(final MemorySegment callState, final int fd, final long address, final long len)
    {
        try
        {
            final long rc = (long)READ_AT.invokeExact(callState, fd, address, len);
            return rc < 0 ? -errno(callState) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * write from native memory at {@code address} (not bounds-checked), returning bytes written or
     * {@code -errno}. Allocates nothing.
     */
    public static long writeRaw(final MemorySegment callState, final int fd, final long address, final long len)
    {
        try
        {
            final long rc = (long)WRITE_AT.invokeExact(callState, fd, address, len);
            return rc < 0 ? -errno(callState) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * readv into the {@code count} {@code struct iovec}s (16 bytes each: base address, length) in
     * {@code iov}, returning bytes read or {@code -errno}. Allocates nothing.
     */
    public static long readvRaw(
        final MemorySegment callState, final int fd, final MemorySegment iov, final int count)
    {
        try
        {
            final long rc = (long)READV.invokeExact(callState, fd, iov, count);
            return rc < 0 ? -errno(callState) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** poll returning the ready count or {@code -errno}. */
    public static int pollRaw(final MemorySegment callState, final MemorySegment fds, final int nfds, final int timeoutMs)
    {
        try
        {
            final int rc = (int)POLL.invokeExact(callState, fds, (long)nfds, timeoutMs);
            return rc < 0 ? -errno(callState) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }
}
