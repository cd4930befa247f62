package io.sluice.controlplane.config;

/**
 * An IPv4 address, or a mask, held as its 32 bits in network order (the first octet in the top
 * byte), the form the dataplane's tables take.
 *
 * @param bits the address.
 */
public record Ip4(int bits) implements Comparable<Ip4>
{
    /** 0.0.0.0. */
    public static final Ip4 ZERO = new Ip4(0);
    /** 255.255.255.255. */
    public static final Ip4 ALL_ONES = new Ip4(-1);

    public static Ip4 of(final int a, final int b, final int c, final int d)
    {
        return new Ip4((a & 0xff) << 24 | (b & 0xff) << 16 | (c & 0xff) << 8 | (d & 0xff));
    }

    /**
     * Parses a dotted quad: four decimal numbers 0-255 of one to three digits.
     *
     * @throws IllegalArgumentException naming what is wrong.
     */
    public static Ip4 parse(final String text)
    {
        final String[] parts = text.split("\\.", -1);
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("not four numbers separated by dots");
        }
        int bits = 0;
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit))
            {
                throw new IllegalArgumentException("not four numbers separated by dots");
            }
            final int octet = Integer.parseInt(part);
            if (octet > 255)
            {
                throw new IllegalArgumentException(octet + " is above 255");
            }
            bits = bits << 8 | octet;
        }
        return new Ip4(bits);
    }

    /** True for a dotted quad this class parses. */
    public static boolean looksLikeAddress(final String text)
    {
        try
        {
            parse(text);
            return true;
        }
        catch (final IllegalArgumentException e)
        {
            return false;
        }
    }

    /** The mask of a prefix length 0-32. */
    public static Ip4 mask(final int prefixLength)
    {
        if (prefixLength < 0 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefix length " + prefixLength);
        }
        return new Ip4(prefixLength == 0 ? 0 : -1 << (32 - prefixLength));
    }

    /** True if the one bits, read as a mask, come first and without a gap (255.255.255.0, not 255.0.255.0). */
    public boolean isContiguousMask()
    {
        final int inverse = ~bits;
        return (inverse & (inverse + 1)) == 0;
    }

    /** True if, read as an ACL wildcard, the one bits come last and without a gap (0.0.0.255). */
    public boolean isContiguousWildcard()
    {
        return new Ip4(~bits).isContiguousMask();
    }

    /** The number of one bits: the prefix length of a contiguous mask. */
    public int maskLength()
    {
        return Integer.bitCount(bits);
    }

    public long unsigned()
    {
        return bits & 0xffff_ffffL;
    }

    public Ip4 and(final Ip4 other)
    {
        return new Ip4(bits & other.bits);
    }

    public Ip4 inverse()
    {
        return new Ip4(~bits);
    }

    @Override
    public int compareTo(final Ip4 other)
    {
        return Integer.compareUnsigned(bits, other.bits);
    }

    @Override
    public String toString()
    {
        return (bits >>> 24) + "." + (bits >>> 16 & 0xff) + "." + (bits >>> 8 & 0xff) + "." + (bits & 0xff);
    }
}
