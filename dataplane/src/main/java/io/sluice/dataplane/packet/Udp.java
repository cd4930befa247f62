package io.sluice.dataplane.packet;

import java.lang.foreign.MemorySegment;

/** UDP header (RFC 768). */
public final class Udp
{
    public static final int SRC_PORT = 0;
    public static final int DST_PORT = 2;
    public static final int LENGTH_FIELD = 4;
    public static final int CHECKSUM = 6;
    public static final int LENGTH = 8;

    private Udp()
    {
    }

    public static int srcPort(final MemorySegment m, final long at)
    {
        return Bytes.u16(m, at + SRC_PORT);
    }

    public static int dstPort(final MemorySegment m, final long at)
    {
        return Bytes.u16(m, at + DST_PORT);
    }

    public static int length(final MemorySegment m, final long at)
    {
        return Bytes.u16(m, at + LENGTH_FIELD);
    }

    /** Writes a header with checksum 0 (allowed for UDP over IPv4, as tunnels commonly do). */
    public static void write(final MemorySegment m, final long at, final int srcPort, final int dstPort, final int length)
    {
        Bytes.u16(m, at + SRC_PORT, srcPort);
        Bytes.u16(m, at + DST_PORT, dstPort);
        Bytes.u16(m, at + LENGTH_FIELD, length);
        Bytes.u16(m, at + CHECKSUM, 0);
    }
}
