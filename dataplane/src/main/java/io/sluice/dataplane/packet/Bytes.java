package io.sluice.dataplane.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Network-order (big-endian) field access on packet memory, unaligned. Every header class
 * reads and writes through these, so byte order lives in one place.
 */
public final class Bytes
{
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    private Bytes()
    {
    }

    public static int u8(final MemorySegment m, final long at)
    {
        return m.get(U8, at) & 0xff;
    }

    public static void u8(final MemorySegment m, final long at, final int v)
    {
        m.set(U8, at, (byte)v);
    }

    public static int u16(final MemorySegment m, final long at)
    {
        return m.get(U16, at) & 0xffff;
    }

    public static void u16(final MemorySegment m, final long at, final int v)
    {
        m.set(U16, at, (short)v);
    }

    public static int u32(final MemorySegment m, final long at)
    {
        return m.get(U32, at);
    }

    public static void u32(final MemorySegment m, final long at, final int v)
    {
        m.set(U32, at, v);
    }

    /** A 48-bit MAC address as the low bits of a long, first octet most significant. */
    public static long mac(final MemorySegment m, final long at)
    {
        return ((long)u16(m, at) << 32) | (u32(m, at + 2) & 0xffffffffL);
    }

    public static void mac(final MemorySegment m, final long at, final long mac)
    {
        u16(m, at, (int)(mac >>> 32));
        u32(m, at + 2, (int)mac);
    }

    /** Copies bytes within one segment (overlap allowed, as memmove). */
    public static void move(final MemorySegment m, final long from, final long to, final long length)
    {
        MemorySegment.copy(m, from, m, to, length);
    }

    public static String ip4ToString(final int a)
    {
        return (a >>> 24) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }

    /** Parses a dotted-quad IPv4 address; throws IllegalArgumentException naming the text. */
    public static int parseIp4(final String text)
    {
        final String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (a.b.c.d)");
        }
        int a = 0;
        for (final String p : parts)
        {
            final int v;
            try
            {
                v = Integer.parseInt(p);
            }
            catch (final NumberFormatException e)
            {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (a.b.c.d)");
            }
            if (v < 0 || v > 255 || p.isEmpty() || (p.length() > 1 && p.charAt(0) == '0'))
            {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address: octet '" + p + "'");
            }
            a = (a << 8) | v;
        }
        return a;
    }

    public static String macToString(final long mac)
    {
        final StringBuilder b = new StringBuilder(17);
        for (int i = 5; i >= 0; i--)
        {
            final int octet = (int)(mac >>> (i * 8)) & 0xff;
            b.append(Character.forDigit(octet >> 4, 16)).append(Character.forDigit(octet & 0xf, 16));
            if (i > 0)
            {
                b.append(':');
            }
        }
        return b.toString();
    }

    public static long parseMac(final String text)
    {
        final String[] parts = text.trim().split("[:-]");
        if (parts.length != 6)
        {
            throw new IllegalArgumentException("'" + text + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
        }
        long mac = 0;
        for (final String p : parts)
        {
            mac = (mac << 8) | Integer.parseInt(p, 16);
        }
        return mac;
    }
}
