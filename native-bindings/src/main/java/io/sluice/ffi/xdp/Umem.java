package io.sluice.ffi.xdp;

import io.sluice.ffi.libc.Libc;

import java.lang.foreign.MemorySegment;

/**
 * The packet memory AF_XDP sockets share with the kernel: {@code frameCount} frames of
 * {@code frameSize} bytes, page-aligned, from an anonymous mapping (hugepages when asked and
 * available). The kernel writes received frames at {@code headroom} bytes into a frame, which
 * leaves room to prepend encapsulation headers in place.
 * <p>
 * The UMEM is registered with the first socket that uses it; further sockets share it.
 */
public final class Umem implements AutoCloseable
{
    /** Bytes the kernel reserves in front of the packet in copy mode (XDP_PACKET_HEADROOM). */
    public static final int XDP_PACKET_HEADROOM = 256;

    private final MemorySegment memory;
    private final int frameSize;
    private final int frameCount;
    private final int headroom;
    private final boolean hugePages;
    private final java.util.ArrayList<XskSocket> sockets = new java.util.ArrayList<>();
    private boolean closed;

    private Umem(
        final MemorySegment memory, final int frameSize, final int frameCount, final int headroom,
        final boolean hugePages)
    {
        this.memory = memory;
        this.frameSize = frameSize;
        this.frameCount = frameCount;
        this.headroom = headroom;
        this.hugePages = hugePages;
    }

    /**
     * @param frameSize  2048 or 4096 (aligned chunk mode needs a power of two between 2048 and the page size)
     * @param frameCount how many frames; at least the sum of the ring sizes of the sockets using it
     * @param headroom   bytes kept free in front of every received packet, for encapsulation (>= 128 suggested)
     * @param hugePages  try MAP_HUGETLB first, fall back to normal pages
     */
    public static Umem allocate(final int frameSize, final int frameCount, final int headroom, final boolean hugePages)
    {
        if (frameSize != 2048 && frameSize != 4096)
        {
            throw new IllegalArgumentException("UMEM frame size " + frameSize + " not supported: use 2048 or 4096");
        }
        if (frameCount < 64)
        {
            throw new IllegalArgumentException("UMEM of " + frameCount + " frames is too small: at least 64 frames");
        }
        if (headroom < 0 || headroom > frameSize - XDP_PACKET_HEADROOM - 1514)
        {
            throw new IllegalArgumentException("UMEM headroom " + headroom + " does not fit a " + frameSize +
                "-byte frame with a full-size packet; at most " + (frameSize - XDP_PACKET_HEADROOM - 1514));
        }
        final long length = (long)frameSize * frameCount;
        final int prot = Libc.PROT_READ | Libc.PROT_WRITE;
        final int flags = Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_POPULATE;
        if (hugePages && length % (2L << 20) == 0)
        {
            try
            {
                final MemorySegment m = Libc.mmap(MemorySegment.NULL, length, prot, flags | Libc.MAP_HUGETLB, -1, 0,
                    "UMEM on hugepages");
                return new Umem(m, frameSize, frameCount, headroom, true);
            }
            catch (final RuntimeException ignored)
            {
                // no hugepages reserved: fall through to normal pages
            }
        }
        final MemorySegment m = Libc.mmap(MemorySegment.NULL, length, prot, flags, -1, 0, "UMEM");
        return new Umem(m, frameSize, frameCount, headroom, false);
    }

    public MemorySegment memory()
    {
        return memory;
    }

    public int frameSize()
    {
        return frameSize;
    }

    public int frameCount()
    {
        return frameCount;
    }

    public int headroom()
    {
        return headroom;
    }

    public boolean hugePages()
    {
        return hugePages;
    }

    /**
     * A live socket the UMEM is registered through, for a new socket to share, or null when none is
     * open (the next socket registers the memory again). The kernel keeps a shared UMEM alive while
     * any socket on it is open, so any of them will do.
     */
    XskSocket owner()
    {
        return sockets.isEmpty() ? null : sockets.get(0);
    }

    void attached(final XskSocket socket)
    {
        sockets.add(socket);
    }

    void detached(final XskSocket socket)
    {
        sockets.remove(socket);
    }

    /** How many open sockets use this UMEM. */
    public int socketCount()
    {
        return sockets.size();
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            if (!sockets.isEmpty())
            {
                throw new IllegalStateException("UMEM still used by " + sockets.size() +
                    " AF_XDP socket(s); close them first");
            }
            closed = true;
            Libc.munmap(memory);
        }
    }
}
