package io.sluice.dataplane.packet;

import java.lang.foreign.MemorySegment;

/** The TCP fields a router touches: flags, data offset, the MSS option, the checksum. */
public final class Tcp
{
    public static final int DATA_OFFSET = 12;
    public static final int FLAGS = 13;
    public static final int CHECKSUM = 16;
    public static final int MIN_LENGTH = 20;
    public static final int FLAG_SYN = 0x02;

    private Tcp()
    {
    }

    /**
     * Lowers the MSS option of a SYN to {@code mss} if it is larger, patching the checksum
     * incrementally ({@code ip tcp adjust-mss}). Returns true when it changed the segment.
     *
     * @param length bytes of TCP header and data available at {@code at}
     */
    public static boolean clampMss(final MemorySegment m, final long at, final int length, final int mss)
    {
        if (length < MIN_LENGTH || (Bytes.u8(m, at + FLAGS) & FLAG_SYN) == 0)
        {
            return false;
        }
        final int headerLength = (Bytes.u8(m, at + DATA_OFFSET) >>> 4) << 2;
        if (headerLength < MIN_LENGTH || headerLength > length)
        {
            return false;
        }
        int i = MIN_LENGTH;
        while (i < headerLength)
        {
            final int kind = Bytes.u8(m, at + i);
            if (kind == 0)
            {
                return false;
            }
            if (kind == 1)
            {
                i++;
                continue;
            }
            if (i + 1 >= headerLength)
            {
                return false;
            }
            final int len = Bytes.u8(m, at + i + 1);
            if (len < 2 || i + len > headerLength)
            {
                return false;
            }
            if (kind == 2 && len == 4)
            {
                final int current = Bytes.u16(m, at + i + 2);
                if (current <= mss)
                {
                    return false;
                }
                Bytes.u16(m, at + i + 2, mss);
                // the option's word starts at an even offset only if i is even; patch the aligned words
                if ((i & 1) == 0)
                {
                    Bytes.u16(m, at + CHECKSUM, Checksum.update16(Bytes.u16(m, at + CHECKSUM), current, mss));
                }
                else
                {
                    patchOddOffset(m, at, i + 2, current, mss);
                }
                return true;
            }
            i += len;
        }
        return false;
    }

    /** Checksum patch for a 16-bit value at an odd offset: its bytes straddle two aligned words. */
    private static void patchOddOffset(
        final MemorySegment m, final long at, final int valueOffset, final int oldValue, final int newValue)
    {
        // the header length is a multiple of 4, so an odd value offset always has a byte after it
        // word A = [byte before, high byte], word B = [low byte, byte after]
        final int before = Bytes.u8(m, at + valueOffset - 1);
        final int after = Bytes.u8(m, at + valueOffset + 2);
        final int oldA = (before << 8) | (oldValue >>> 8);
        final int newA = (before << 8) | (newValue >>> 8);
        final int oldB = ((oldValue & 0xff) << 8) | after;
        final int newB = ((newValue & 0xff) << 8) | after;
        int c = Bytes.u16(m, at + CHECKSUM);
        c = Checksum.update16(c, oldA, newA);
        c = Checksum.update16(c, oldB, newB);
        Bytes.u16(m, at + CHECKSUM, c);
    }
}
