package io.sluice.ffi.packet;

import io.sluice.ffi.libc.Errno;
import io.sluice.ffi.libc.Libc;
import io.sluice.ffi.libc.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * An AF_PACKET raw socket on one interface with a TPACKET_V3 receive ring and a transmit ring,
 * both in one shared mapping (RX first, TX after, as the kernel lays them out). Works on any
 * interface, in any driver, where AF_XDP cannot; the price is a copy each way between the rings
 * and the caller's buffers and a kernel skb per packet.
 * <p>
 * The socket is created without a protocol, so nothing is queued for it while the rings are being
 * set up, and then bound to the interface with {@code ETH_P_ALL} (in network byte order). Frames
 * this host itself sends out of the interface are not received ({@code PACKET_IGNORE_OUTGOING})
 * unless the configuration asks for them. Malformed transmit slots are skipped rather than
 * stopping the ring ({@code PACKET_LOSS}).
 * <p>
 * Not thread-safe: a socket belongs to the worker that polls it.
 */
public final class PacketSocket implements AutoCloseable
{
    static final int SOL_PACKET = 263;
    static final int PACKET_RX_RING = 5;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_VERSION = 10;
    static final int PACKET_TX_RING = 13;
    static final int PACKET_LOSS = 14;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int PACKET_IGNORE_OUTGOING = 23;
    static final int TPACKET_V3 = 2;
    static final int ETH_P_ALL = 0x0003;
    static final int PAGE_SIZE = 4096;
    /** TPACKET3_HDRLEN: the aligned header plus a sockaddr_ll; no slot may be smaller. */
    static final int TPACKET3_HDRLEN = 48 + 20;
    /** V3 receive packets are variable-size; the frame size only has to divide the block. */
    static final int RX_FRAME_SIZE = 2048;
    static final int ENOPROTOOPT = 92;

    /**
     * Ring geometry and options.
     *
     * @param rxBlockSize       bytes per receive block, a multiple of the 4 KiB page (best a power of two)
     * @param rxBlockCount      receive blocks
     * @param rxRetireTimeoutMs how long the kernel keeps a partly filled block before handing it over;
     *                          the receive latency at low rates; 0 lets the kernel derive it from link speed
     * @param txBlockSize       bytes per transmit block, a multiple of the page
     * @param txBlockCount      transmit blocks
     * @param txFrameSize       bytes per transmit slot, a multiple of 16; a frame may use all but 48 of them
     * @param qdiscBypass       send straight to the driver, skipping the qdisc ({@code PACKET_QDISC_BYPASS})
     * @param ignoreOutgoing    do not receive what this host sends out of the interface
     */
    public record Config(
        int rxBlockSize, int rxBlockCount, int rxRetireTimeoutMs, int txBlockSize, int txBlockCount, int txFrameSize,
        boolean qdiscBypass, boolean ignoreOutgoing)
    {
        public Config
        {
            requireBlocks("receive", rxBlockSize, rxBlockCount);
            requireBlocks("transmit", txBlockSize, txBlockCount);
            if (rxRetireTimeoutMs < 0)
            {
                throw new IllegalArgumentException("block retire timeout " + rxRetireTimeoutMs + " ms is negative");
            }
            if (txFrameSize < TPACKET3_HDRLEN || (txFrameSize & 15) != 0 || txFrameSize > txBlockSize)
            {
                throw new IllegalArgumentException("transmit slot size " + txFrameSize + " must be a multiple of 16 " +
                    "between " + TPACKET3_HDRLEN + " and the block size " + txBlockSize);
            }
            if ((long)rxBlockSize * rxBlockCount + (long)txBlockSize * txBlockCount > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("rings of more than 2 GiB");
            }
        }

        private static void requireBlocks(final String which, final int size, final int count)
        {
            if (size < PAGE_SIZE || size % PAGE_SIZE != 0)
            {
                throw new IllegalArgumentException(which + " block size " + size + " is not a positive multiple of " +
                    "the " + PAGE_SIZE + "-byte page");
            }
            if (count < 1)
            {
                throw new IllegalArgumentException(which + " block count " + count + " is not positive");
            }
        }

        /** 4 MiB of receive blocks handed over within 1 ms, 256 transmit slots of 2 KiB. */
        public static Config defaults()
        {
            return new Config(128 * 1024, 32, 1, 128 * 1024, 4, 2048, false, true);
        }

        public Config withRxRing(final int blockSize, final int blockCount, final int retireTimeoutMs)
        {
            return new Config(blockSize, blockCount, retireTimeoutMs, txBlockSize, txBlockCount, txFrameSize,
                qdiscBypass, ignoreOutgoing);
        }

        public Config withTxRing(final int blockSize, final int blockCount, final int frameSize)
        {
            return new Config(rxBlockSize, rxBlockCount, rxRetireTimeoutMs, blockSize, blockCount, frameSize,
                qdiscBypass, ignoreOutgoing);
        }

        public Config withQdiscBypass(final boolean bypass)
        {
            return new Config(rxBlockSize, rxBlockCount, rxRetireTimeoutMs, txBlockSize, txBlockCount, txFrameSize,
                bypass, ignoreOutgoing);
        }

        public Config withIgnoreOutgoing(final boolean ignore)
        {
            return new Config(rxBlockSize, rxBlockCount, rxRetireTimeoutMs, txBlockSize, txBlockCount, txFrameSize,
                qdiscBypass, ignore);
        }

        long rxBytes()
        {
            return (long)rxBlockSize * rxBlockCount;
        }

        long txBytes()
        {
            return (long)txBlockSize * txBlockCount;
        }
    }

    /** {@code struct tpacket_stats_v3}, counted since the previous read. */
    public record Statistics(long packets, long drops, long freezes)
    {
    }

    private final int fd;
    private final String ifname;
    private final int ifindex;
    private final MemorySegment mapping;
    private final PacketRxRing rx;
    private final PacketTxRing tx;
    private final Arena arena;
    private final MemorySegment callState;
    private boolean closed;

    private PacketSocket(
        final int fd, final String ifname, final int ifindex, final MemorySegment mapping, final PacketRxRing rx,
        final PacketTxRing tx)
    {
        this.fd = fd;
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.mapping = mapping;
        this.rx = rx;
        this.tx = tx;
        this.arena = Arena.ofShared();
        this.callState = Libc.newCallState(arena);
    }

    /**
     * Opens a socket on {@code ifname} in the calling thread's network namespace, sets up and maps
     * both rings, and binds. On any failure everything made so far is released and the exception
     * names the interface, the step and the errno.
     */
    public static PacketSocket open(final String ifname, final Config config)
    {
        final String subject = "AF_PACKET on interface '" + ifname + "'";
        final int ifindex = indexOf(ifname, subject);
        final int fd = openSocket(subject);
        MemorySegment map = null;
        try (Arena arena = Arena.ofConfined())
        {
            Libc.setsockoptInt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3, subject + ": PACKET_VERSION TPACKET_V3");
            Libc.setsockoptInt(fd, SOL_PACKET, PACKET_LOSS, 1, subject + ": PACKET_LOSS");

            final MemorySegment req = arena.allocate(28, 4);
            ringRequest(req, config.rxBlockSize(), config.rxBlockCount(), RX_FRAME_SIZE, config.rxRetireTimeoutMs());
            setRing(fd, PACKET_RX_RING, req, subject + ": receive ring of " + config.rxBlockCount() + " x " +
                config.rxBlockSize() + " B blocks");
            // the kernel refuses a retire timeout, private area or feature word on the transmit ring
            ringRequest(req, config.txBlockSize(), config.txBlockCount(), config.txFrameSize(), 0);
            setRing(fd, PACKET_TX_RING, req, subject + ": transmit ring of " + config.txBlockCount() + " x " +
                config.txBlockSize() + " B blocks, " + config.txFrameSize() + " B slots");

            if (config.qdiscBypass())
            {
                Libc.setsockoptInt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1, subject + ": PACKET_QDISC_BYPASS");
            }
            if (config.ignoreOutgoing())
            {
                try
                {
                    Libc.setsockoptInt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, subject + ": PACKET_IGNORE_OUTGOING");
                }
                catch (final NativeException e)
                {
                    if (e.errno() != ENOPROTOOPT)
                    {
                        throw e;
                    }
                    // kernel before 4.20: outgoing frames arrive marked PACKET_OUTGOING; the reader skips them
                }
            }

            final long size = config.rxBytes() + config.txBytes();
            map = Libc.mmap(MemorySegment.NULL, size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0,
                subject + ": rings");
            final PacketRxRing rx = new PacketRxRing(map, 0, config.rxBlockSize(), config.rxBlockCount());
            final PacketTxRing tx = new PacketTxRing(map, config.rxBytes(), config.txBlockSize(),
                config.txBlockCount(), config.txFrameSize());

            final MemorySegment sll = arena.allocate(20, 4);
            sll.set(JAVA_SHORT, 0, (short)Libc.AF_PACKET);
            sll.set(JAVA_SHORT, 2, Short.reverseBytes((short)ETH_P_ALL)); // htons: sll_protocol is big-endian
            sll.set(JAVA_INT, 4, ifindex);
            Libc.bind(fd, sll, subject);
            return new PacketSocket(fd, ifname, ifindex, map, rx, tx);
        }
        catch (final RuntimeException e)
        {
            if (map != null)
            {
                Libc.munmap(map);
            }
            Libc.close(fd);
            throw e;
        }
    }

    private static int indexOf(final String ifname, final String subject)
    {
        try
        {
            return Libc.ifNameToIndex(ifname);
        }
        catch (final NativeException e)
        {
            throw new NativeException(subject + " failed: " + Errno.describe(e.errno()) + " from if_nametoindex; " +
                "no interface named '" + ifname + "' in the calling thread's network namespace", e.call(), e.errno(),
                e);
        }
    }

    private static int openSocket(final String subject)
    {
        try
        {
            return Libc.socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0, subject);
        }
        catch (final NativeException e)
        {
            if (e.errno() == Errno.EPERM || e.errno() == Errno.EACCES)
            {
                throw new NativeException(e.getMessage() + "; AF_PACKET sockets need CAP_NET_RAW", e.call(), e.errno(),
                    e);
            }
            throw e;
        }
    }

    /** {@code struct tpacket_req3}: block size, block count, frame size, frame count, retire ms, priv, features. */
    private static void ringRequest(
        final MemorySegment req, final int blockSize, final int blockCount, final int frameSize, final int retireMs)
    {
        req.fill((byte)0);
        req.set(JAVA_INT, 0, blockSize);
        req.set(JAVA_INT, 4, blockCount);
        req.set(JAVA_INT, 8, frameSize);
        req.set(JAVA_INT, 12, (blockSize / frameSize) * blockCount);
        req.set(JAVA_INT, 16, retireMs);
    }

    private static void setRing(final int fd, final int which, final MemorySegment req, final String subject)
    {
        try
        {
            Libc.setsockopt(fd, SOL_PACKET, which, req, subject);
        }
        catch (final NativeException e)
        {
            if (e.errno() == Errno.ENOMEM)
            {
                throw new NativeException(e.getMessage() + "; the kernel could not allocate the ring, ask for fewer " +
                    "or smaller blocks", e.call(), e.errno(), e);
            }
            throw e;
        }
    }

    /**
     * Asks the kernel to send every slot marked for sending ({@code sendto(fd, NULL, 0, MSG_DONTWAIT)}).
     *
     * @return bytes sent, or {@code -errno}: EAGAIN or ENOBUFS when the socket's send buffer or the device
     *         queue is full (the slots stay requested; kick again later)
     */
    public int kickTx()
    {
        return (int)Libc.sendtoRaw(callState, fd, MemorySegment.NULL, 0, Libc.MSG_DONTWAIT, MemorySegment.NULL, 0);
    }

    /** The kernel's receive counters since the previous call (reading resets them). */
    public Statistics statistics()
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment s = a.allocate(12, 4);
            Libc.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, s, "AF_PACKET on interface '" + ifname + "' statistics");
            return new Statistics(Integer.toUnsignedLong(s.get(JAVA_INT, 0)),
                Integer.toUnsignedLong(s.get(JAVA_INT, 4)), Integer.toUnsignedLong(s.get(JAVA_INT, 8)));
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

    /** Both rings: receive blocks from offset 0, transmit slots after them. */
    public MemorySegment mapping()
    {
        return mapping;
    }

    public PacketRxRing rx()
    {
        return rx;
    }

    public PacketTxRing tx()
    {
        return tx;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                Libc.munmap(mapping);
            }
            finally
            {
                Libc.close(fd);
                arena.close();
            }
        }
    }
}
