package io.sluice.dataplane.esp;

import java.util.Arrays;

/**
 * The receiver's anti-replay window (RFC 4303 3.4.3 and Appendix A): the highest authenticated
 * sequence number and a bitmap of the {@code size} numbers at and below it. With extended sequence
 * numbers only the low 32 bits travel; {@link #infer} recovers the high 32 from the window
 * (Appendix A2.2). Numbers are 64-bit and compared unsigned.
 * <p>
 * Use: {@link #infer} and {@link #check} before the ICV (no state changes, so a forged packet
 * costs no window), {@link #accept} after it. One writer: the worker that owns the inbound SA.
 * The bitmap is circular (bit {@code n mod bits}), so advancing costs nothing for in-order
 * traffic and at most one pass over the words for a jump.
 */
public final class ReplayWindow
{
    /** The smallest and largest window sizes accepted. */
    public static final int MIN_SIZE = 64;
    public static final int MAX_SIZE = 4096;
    public static final int DEFAULT_SIZE = 64;

    private static final long LOW32 = 0xffff_ffffL;

    private final int size;
    private final boolean esn;
    private final long[] words;
    private final long mask;
    private long top;

    /**
     * @param size         the window: numbers more than {@code size - 1} below the highest received are too old
     * @param esn          extended (64-bit) sequence numbers
     * @param initialTop   the highest number already received (0 for a new SA; an HA peer's for a resumed one)
     */
    public ReplayWindow(final int size, final boolean esn, final long initialTop)
    {
        if (size < MIN_SIZE || size > MAX_SIZE)
        {
            throw new IllegalArgumentException("replay window of " + size + " packets: it must be " + MIN_SIZE + ".." +
                MAX_SIZE);
        }
        if (!esn && Long.compareUnsigned(initialTop, LOW32) > 0)
        {
            throw new IllegalArgumentException("initial sequence number " + Long.toUnsignedString(initialTop) +
                " needs extended sequence numbers (it is above 2^32-1)");
        }
        this.size = size;
        this.esn = esn;
        final int bits = Integer.highestOneBit(size - 1) << 1;
        this.words = new long[Math.max(1, bits >>> 6)];
        this.mask = (long)words.length * 64 - 1;
        this.top = initialTop;
        if (initialTop != 0)
        {
            set(initialTop);
        }
    }

    public int size()
    {
        return size;
    }

    /** The highest authenticated sequence number, 0 when none. */
    public long top()
    {
        return top;
    }

    /**
     * The full sequence number of a packet that carries {@code low}: itself without ESN; with ESN
     * the high 32 bits that put it in or right of the window (RFC 4303 A2.2).
     */
    public long infer(final int low)
    {
        final long lo = low & LOW32;
        if (!esn)
        {
            return lo;
        }
        final long th = top >>> 32;
        final long tl = top & LOW32;
        final long hi;
        if (tl >= size - 1)
        {
            // Case A: the window lies in one 2^32 subspace; a number below its bottom is in the next one.
            hi = lo >= tl - size + 1 ? th : th + 1;
        }
        else
        {
            // Case B: the window spans the end of the previous subspace; numbers near 2^32 belong there.
            final long bottom = (tl - size + 1) & LOW32;
            hi = lo >= bottom && th != 0 ? th - 1 : th;
        }
        return (hi << 32) | lo;
    }

    /** {@link EspStatus#OK} for a number not seen and not too old, else {@link EspStatus#REPLAY} or {@link EspStatus#TOO_OLD}. */
    public int check(final long seq)
    {
        if (seq == 0)
        {
            return EspStatus.TOO_OLD;
        }
        if (Long.compareUnsigned(seq, top) > 0)
        {
            return EspStatus.OK;
        }
        if (Long.compareUnsigned(top - seq, size) >= 0)
        {
            return EspStatus.TOO_OLD;
        }
        return isSet(seq) ? EspStatus.REPLAY : EspStatus.OK;
    }

    /** Records an authenticated number, moving the window right if it is the new highest. */
    public void accept(final long seq)
    {
        if (Long.compareUnsigned(seq, top) > 0)
        {
            final long distance = seq - top;
            if (Long.compareUnsigned(distance, mask) > 0)
            {
                Arrays.fill(words, 0);
            }
            else
            {
                clearRange(top + 1, seq);
            }
            top = seq;
        }
        set(seq);
    }

    /** Clears bits for numbers in [from, to), fewer than the bitmap holds. */
    private void clearRange(final long from, final long to)
    {
        long n = from;
        while (n != to)
        {
            final int bit = (int)(n & mask);
            if ((bit & 63) == 0 && Long.compareUnsigned(to - n, 64) >= 0)
            {
                words[bit >>> 6] = 0;
                n += 64;
            }
            else
            {
                words[bit >>> 6] &= ~(1L << (bit & 63));
                n++;
            }
        }
    }

    private void set(final long seq)
    {
        final int bit = (int)(seq & mask);
        words[bit >>> 6] |= 1L << (bit & 63);
    }

    private boolean isSet(final long seq)
    {
        final int bit = (int)(seq & mask);
        return (words[bit >>> 6] & (1L << (bit & 63))) != 0;
    }

    @Override
    public String toString()
    {
        return "replay window " + size + (esn ? " esn" : "") + " top " + Long.toUnsignedString(top);
    }
}
