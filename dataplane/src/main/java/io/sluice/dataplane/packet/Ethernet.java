package io.sluice.dataplane.packet;

import java.lang.foreign.MemorySegment;

/** Ethernet II header: destination, source, ethertype. */
public final class Ethernet
{
    public static final int DST = 0;
    public static final int SRC = 6;
    public static final int TYPE = 12;
    public static final int LENGTH = 14;

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_VLAN = 0x8100;
    public static final int TYPE_IPV6 = 0x86dd;

    public static final long BROADCAST = 0xffff_ffff_ffffL;

    private Ethernet()
    {
    }

    public static long dst(final MemorySegment m, final long at)
    {
        return Bytes.mac(m, at + DST);
    }

    public static long src(final MemorySegment m, final long at)
    {
        return Bytes.mac(m, at + SRC);
    }

    public static int type(final MemorySegment m, final long at)
    {
        return Bytes.u16(m, at + TYPE);
    }

    public static void write(final MemorySegment m, final long at, final long dst, final long src, final int type)
    {
        Bytes.mac(m, at + DST, dst);
        Bytes.mac(m, at + SRC, src);
        Bytes.u16(m, at + TYPE, type);
    }

    /** Group (multicast or broadcast) bit of a destination. */
    public static boolean isGroup(final long mac)
    {
        return (mac & 0x0100_0000_0000L) != 0;
    }
}
