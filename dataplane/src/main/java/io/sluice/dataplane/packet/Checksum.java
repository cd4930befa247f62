package io.sluice.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624, eqn. 3), used by IPv4,
 * ICMP, UDP, TCP and GRE.
 */
public final class Checksum
{
    private Checksum()
    {
    }

    /** Adds {@code length} bytes to a running 32-bit sum of 16-bit big-endian words. */
    public static long sum(final MemorySegment m, final long at, final int length, final long initial)
    {
        long sum = initial;
        int i = 0;
        for (; i + 4 <= length; i += 4)
        {
            sum += Bytes.u32(m, at + i) & 0xffffffffL;
        }
        for (; i + 2 <= length; i += 2)
        {
            sum += Bytes.u16(m, at + i);
        }
        if (i < length)
        {
            sum += Bytes.u8(m, at + i) << 8;
        }
        return sum;
    }

    /** Folds a running sum to 16 bits and complements it. */
    public static int fold(final long sum)
    {
        long s = sum;
        while ((s >>> 16) != 0)
        {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int)(~s & 0xffff);
    }

    /** The checksum of a region (with its checksum field zeroed, or included to verify: 0 means valid). */
    public static int compute(final MemorySegment m, final long at, final int length)
    {
        return fold(sum(m, at, length, 0));
    }

    /**
     * Checksum after one 16-bit word of the covered data changed from {@code oldWord} to
     * {@code newWord}: HC' = ~(~HC + ~m + m').
     */
    public static int update16(final int checksum, final int oldWord, final int newWord)
    {
        long sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        return (int)(~sum & 0xffff);
    }

    /** As {@link #update16} for a 32-bit field (an address). */
    public static int update32(final int checksum, final int oldValue, final int newValue)
    {
        return update16(update16(checksum, oldValue >>> 16, newValue >>> 16), oldValue & 0xffff, newValue & 0xffff);
    }

    /** The pseudo-header sum for UDP/TCP over IPv4. */
    public static long pseudoHeader(final int src, final int dst, final int protocol, final int length)
    {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
    }
}
