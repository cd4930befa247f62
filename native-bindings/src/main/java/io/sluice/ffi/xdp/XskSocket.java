package io.sluice.ffi.xdp;

import io.sluice.ffi.libc.Errno;
import io.sluice.ffi.libc.Libc;
import io.sluice.ffi.libc.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * An AF_XDP socket bound to one queue of one interface, with its four rings mapped: RX and TX
 * ({@code struct xdp_desc}), fill and completion (frame addresses). Every socket has its own
 * fill and completion rings, also when it shares a UMEM with other sockets (other interfaces
 * or queues), which is what lets one worker move a frame from one port to another unchanged.
 * <p>
 * Not thread-safe: a socket belongs to the worker that polls it.
 */
public final class XskSocket implements AutoCloseable
{
    static final int SOL_XDP = 283;
    static final int XDP_MMAP_OFFSETS = 1;
    static final int XDP_RX_RING = 2;
    static final int XDP_TX_RING = 3;
    static final int XDP_UMEM_REG = 4;
    static final int XDP_UMEM_FILL_RING = 5;
    static final int XDP_UMEM_COMPLETION_RING = 6;
    static final int XDP_STATISTICS = 7;
    static final int XDP_OPTIONS = 8;
    static final int XDP_MAX_TX_SKB_BUDGET = 9;

    static final int XDP_SHARED_UMEM = 1;
    static final int XDP_COPY = 1 << 1;
    static final int XDP_ZEROCOPY = 1 << 2;
    static final int XDP_USE_NEED_WAKEUP = 1 << 3;
    static final int XDP_OPTIONS_ZEROCOPY = 1;

    static final long XDP_PGOFF_RX_RING = 0;
    static final long XDP_PGOFF_TX_RING = 0x80000000L;
    static final long XDP_UMEM_PGOFF_FILL_RING = 0x100000000L;
    static final long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000L;

    private static final int ENOPROTOOPT = 92;

    /** How the socket moves frames: the kernel copies, or the NIC DMAs into the UMEM. */
    public enum CopyMode
    {
        /** Zero-copy if the driver can, copy otherwise. */
        AUTO,
        /** Force copy mode (XDP_COPY). */
        COPY,
        /** Require zero-copy (XDP_ZEROCOPY); fails where the driver cannot (veth). */
        ZERO_COPY
    }

    /** Ring sizes and binding options; sizes are powers of two. */
    public record Config(
        int rxSize, int txSize, int fillSize, int completionSize, CopyMode copyMode, boolean needWakeup,
        int txSkbBudget)
    {
        public Config
        {
            for (final int size : new int[]{rxSize, txSize, fillSize, completionSize})
            {
                if (size < 64 || Integer.bitCount(size) != 1)
                {
                    throw new IllegalArgumentException("AF_XDP ring size " + size + " must be a power of two >= 64");
                }
            }
        }

        public static Config defaults()
        {
            return new Config(2048, 2048, 4096, 2048, CopyMode.AUTO, true, 256);
        }

        public Config withCopyMode(final CopyMode mode)
        {
            return new Config(rxSize, txSize, fillSize, completionSize, mode, needWakeup, txSkbBudget);
        }
    }

    private final int fd;
    private final String ifname;
    private final int ifindex;
    private final int queue;
    private final Umem umem;
    private final XskRing rx;
    private final XskRing tx;
    private final XskRing fill;
    private final XskRing completion;
    private final boolean zeroCopy;
    private final MemorySegment callState;
    private final Arena arena;
    private boolean closed;

    private XskSocket(
        final int fd, final String ifname, final int ifindex, final int queue, final Umem umem, final XskRing rx,
        final XskRing tx, final XskRing fill, final XskRing completion, final boolean zeroCopy)
    {
        this.fd = fd;
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.queue = queue;
        this.umem = umem;
        this.rx = rx;
        this.tx = tx;
        this.fill = fill;
        this.completion = completion;
        this.zeroCopy = zeroCopy;
        this.arena = Arena.ofShared();
        this.callState = Libc.newCallState(arena);
    }

    /**
     * Opens, configures and binds a socket to {@code ifname} queue {@code queue} in the calling
     * thread's network namespace. The first socket on a UMEM registers it; later ones share it.
     * A bind that fails with EBUSY (the previous socket on that queue is still being torn down)
     * is retried with backoff for up to two seconds.
     */
    public static XskSocket open(final Umem umem, final String ifname, final int queue, final Config config)
    {
        final int ifindex = Libc.ifNameToIndex(ifname);
        final String subject = "AF_XDP " + ifname + " queue " + queue;
        final int fd = Libc.socket(Libc.AF_XDP, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, 0, subject);
        final MemorySegment[] maps = new MemorySegment[4];
        try (Arena arena = Arena.ofConfined())
        {
            final XskSocket owner = umem.owner();
            if (owner == null)
            {
                final MemorySegment reg = arena.allocate(32, 8);
                reg.set(JAVA_LONG, 0, umem.memory().address());
                reg.set(JAVA_LONG, 8, umem.memory().byteSize());
                reg.set(JAVA_INT, 16, umem.frameSize());
                reg.set(JAVA_INT, 20, umem.headroom());
                Libc.setsockopt(fd, SOL_XDP, XDP_UMEM_REG, reg, subject + ": UMEM registration of " +
                    umem.frameCount() + " x " + umem.frameSize() + " B frames");
            }
            Libc.setsockoptInt(fd, SOL_XDP, XDP_UMEM_FILL_RING, config.fillSize(), subject + ": fill ring");
            Libc.setsockoptInt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, config.completionSize(),
                subject + ": completion ring");
            Libc.setsockoptInt(fd, SOL_XDP, XDP_RX_RING, config.rxSize(), subject + ": RX ring");
            Libc.setsockoptInt(fd, SOL_XDP, XDP_TX_RING, config.txSize(), subject + ": TX ring");

            final MemorySegment off = arena.allocate(128, 8);
            Libc.getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, off, subject + ": ring offsets");
            // struct xdp_mmap_offsets { rx, tx, fr, cr } each { producer, consumer, desc, flags }
            maps[0] = mapRing(fd, off, 0, config.rxSize(), 16, XDP_PGOFF_RX_RING, subject + " RX ring");
            maps[1] = mapRing(fd, off, 32, config.txSize(), 16, XDP_PGOFF_TX_RING, subject + " TX ring");
            maps[2] = mapRing(fd, off, 64, config.fillSize(), 8, XDP_UMEM_PGOFF_FILL_RING, subject + " fill ring");
            maps[3] = mapRing(fd, off, 96, config.completionSize(), 8, XDP_UMEM_PGOFF_COMPLETION_RING,
                subject + " completion ring");
            final XskRing rx = ring(maps[0], off, 0, config.rxSize(), 16, false);
            final XskRing tx = ring(maps[1], off, 32, config.txSize(), 16, true);
            final XskRing fill = ring(maps[2], off, 64, config.fillSize(), 8, true);
            final XskRing completion = ring(maps[3], off, 96, config.completionSize(), 8, false);

            if (config.txSkbBudget() > 0)
            {
                try
                {
                    Libc.setsockoptInt(fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, config.txSkbBudget(), subject);
                }
                catch (final NativeException e)
                {
                    if (e.errno() != ENOPROTOOPT && e.errno() != Errno.EINVAL)
                    {
                        throw e;
                    }
                    // older kernel: the default budget of 32 applies
                }
            }

            int flags = config.needWakeup() ? XDP_USE_NEED_WAKEUP : 0;
            flags |= switch (config.copyMode())
            {
                case AUTO -> 0;
                case COPY -> XDP_COPY;
                case ZERO_COPY -> XDP_ZEROCOPY;
            };
            if (owner != null)
            {
                // the kernel takes copy mode and need_wakeup from the UMEM's first socket and
                // rejects them (EINVAL) on a sharing socket
                flags = XDP_SHARED_UMEM;
            }
            final MemorySegment sxdp = arena.allocate(16, 4);
            sxdp.set(JAVA_SHORT, 0, (short)Libc.AF_XDP);
            sxdp.set(JAVA_SHORT, 2, (short)flags);
            sxdp.set(JAVA_INT, 4, ifindex);
            sxdp.set(JAVA_INT, 8, queue);
            sxdp.set(JAVA_INT, 12, owner == null ? 0 : owner.fd);
            bindWithRetry(fd, sxdp, subject, config.copyMode());

            final MemorySegment opts = arena.allocate(JAVA_INT);
            Libc.getsockopt(fd, SOL_XDP, XDP_OPTIONS, opts, subject + ": options");
            final boolean zeroCopy = (opts.get(JAVA_INT, 0) & XDP_OPTIONS_ZEROCOPY) != 0;

            final XskSocket socket = new XskSocket(fd, ifname, ifindex, queue, umem, rx, tx, fill, completion, zeroCopy);
            umem.attached(socket);
            return socket;
        }
        catch (final RuntimeException e)
        {
            for (final MemorySegment m : maps)
            {
                if (m != null)
                {
                    Libc.munmap(m);
                }
            }
            Libc.close(fd);
            throw e;
        }
    }

    private static MemorySegment mapRing(
        final int fd, final MemorySegment off, final int base, final int size, final int entrySize, final long pgoff,
        final String subject)
    {
        final long desc = off.get(JAVA_LONG, base + 16);
        return Libc.mmap(MemorySegment.NULL, desc + (long)size * entrySize, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, pgoff, subject);
    }

    private static XskRing ring(
        final MemorySegment map, final MemorySegment off, final int base, final int size, final int entrySize,
        final boolean producer)
    {
        return new XskRing(map, off.get(JAVA_LONG, base), off.get(JAVA_LONG, base + 8), off.get(JAVA_LONG, base + 24),
            off.get(JAVA_LONG, base + 16), size, entrySize, producer);
    }

    private static void bindWithRetry(
        final int fd, final MemorySegment sxdp, final String subject, final CopyMode mode)
    {
        long backoffMs = 10;
        final long deadline = System.nanoTime() + 2_000_000_000L;
        while (true)
        {
            final int rc = Libc.bindRaw(fd, sxdp);
            if (rc >= 0)
            {
                return;
            }
            final int errno = -rc;
            if (errno == Errno.EBUSY && System.nanoTime() < deadline)
            {
                try
                {
                    Thread.sleep(backoffMs);
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                    throw new NativeException("bind", subject + ", interrupted while retrying EBUSY", errno);
                }
                backoffMs = Math.min(backoffMs * 2, 200);
                continue;
            }
            if (mode == CopyMode.ZERO_COPY && (errno == Errno.EOPNOTSUPP || errno == Errno.EINVAL))
            {
                throw new NativeException("bind(" + subject + ") failed: " + Errno.describe(errno) +
                    "; the driver cannot do AF_XDP zero-copy here, use copy mode", "bind", errno, null);
            }
            if (errno == Errno.EBUSY)
            {
                throw new NativeException("bind(" + subject + ") failed: " + Errno.describe(errno) +
                    " for 2 s; another AF_XDP socket holds this queue", "bind", errno, null);
            }
            throw new NativeException("bind", subject, errno);
        }
    }

    /** Asks the kernel to transmit what is on the TX ring (copy mode needs it, zero-copy when flagged). */
    public int kickTx()
    {
        final long rc = Libc.sendtoRaw(callState, fd, MemorySegment.NULL, 0, Libc.MSG_DONTWAIT, MemorySegment.NULL, 0);
        return (int)rc;
    }

    /** Wakes the kernel to refill RX when the fill ring asks for it. */
    public int kickRx()
    {
        return (int)Libc.recvfromRaw(callState, fd, MemorySegment.NULL, 0, Libc.MSG_DONTWAIT, MemorySegment.NULL,
            MemorySegment.NULL);
    }

    /** {@code struct xdp_statistics}: rx_dropped, rx_invalid_descs, tx_invalid_descs, rx_ring_full,
     * rx_fill_ring_empty_descs, tx_ring_empty_descs. */
    public long[] statistics()
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment s = a.allocate(48, 8);
            Libc.getsockopt(fd, SOL_XDP, XDP_STATISTICS, s, "AF_XDP " + ifname + " statistics");
            final long[] out = new long[6];
            for (int i = 0; i < 6; i++)
            {
                out[i] = s.get(JAVA_LONG, i * 8L);
            }
            return out;
        }
    }

    public int fd()
    {
        return fd;
    }

    public String ifname()
    {
        return ifname;
    }

    public int ifindex()
    {
        return ifindex;
    }

    public int queue()
    {
        return queue;
    }

    public Umem umem()
    {
        return umem;
    }

    public XskRing rx()
    {
        return rx;
    }

    public XskRing tx()
    {
        return tx;
    }

    public XskRing fill()
    {
        return fill;
    }

    public XskRing completion()
    {
        return completion;
    }

    public boolean zeroCopy()
    {
        return zeroCopy;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            umem.detached(this);
            Libc.munmap(rx.mapping());
            Libc.munmap(tx.mapping());
            Libc.munmap(fill.mapping());
            Libc.munmap(completion.mapping());
            Libc.close(fd);
            arena.close();
        }
    }
}
