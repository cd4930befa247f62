package io.sluice.dataplane.packet;

import java.lang.foreign.MemorySegment;

/** IPv4 header (RFC 791): named offsets and accessors; {@code at} is the first header byte. */
public final class Ipv4
{
    public static final int VERSION_IHL = 0;
    public static final int TOS = 1;
    public static final int TOTAL_LENGTH = 2;
    public static final int ID = 4;
    public static final int FLAGS_FRAGMENT = 6;
    public static final int TTL = 8;
    public static final int PROTOCOL = 9;
    public static final int CHECKSUM = 10;
    public static final int SRC = 12;
    public static final int DST = 16;
    public static final int MIN_LENGTH = 20;

    public static final int FLAG_DF = 0x4000;
    public static final int FLAG_MF = 0x2000;
    public static final int OFFSET_MASK = 0x1fff;

    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_GRE = 47;
    public static final int PROTO_ESP = 50;
    public static final int PROTO_L2TP = 115;

    private Ipv4()
    {
    }

    public static int version(final MemorySegment m, final long at)
    {
        return Bytes.u8(m, at) >>> 4;
    }

    /** Header length in bytes. */
    public static int headerLength(final MemorySegment m, final long at)
    {
        return (Bytes.u8(m, at) & 0x0f) << 2;
    }

    public static int totalLength(final MemorySegment m, final long at)
    {
        return Bytes.u16(m, at + TOTAL_LENGTH);
    }

    public static int flagsFragment(final MemorySegment m, final long at)
    {
        return Bytes.u16(m, at + FLAGS_FRAGMENT);
    }

    public static boolean isFragment(final MemorySegment m, final long at)
    {
        return (flagsFragment(m, at) & (FLAG_MF | OFFSET_MASK)) != 0;
    }

    public static int ttl(final MemorySegment m, final long at)
    {
        return Bytes.u8(m, at + TTL);
    }

    public static int protocol(final MemorySegment m, final long at)
    {
        return Bytes.u8(m, at + PROTOCOL);
    }

    public static int src(final MemorySegment m, final long at)
    {
        return Bytes.u32(m, at + SRC);
    }

    public static int dst(final MemorySegment m, final long at)
    {
        return Bytes.u32(m, at + DST);
    }

    public static int id(final MemorySegment m, final long at)
    {
        return Bytes.u16(m, at + ID);
    }

    public static int tos(final MemorySegment m, final long at)
    {
        return Bytes.u8(m, at + TOS);
    }

    /** True when the header checksum verifies. */
    public static boolean checksumValid(final MemorySegment m, final long at, final int headerLength)
    {
        return Checksum.compute(m, at, headerLength) == 0;
    }

    /** Recomputes the header checksum from scratch. */
    public static void updateChecksum(final MemorySegment m, final long at)
    {
        final int hl = headerLength(m, at);
        Bytes.u16(m, at + CHECKSUM, 0);
        Bytes.u16(m, at + CHECKSUM, Checksum.compute(m, at, hl));
    }

    /** Decrements TTL and patches the checksum incrementally (RFC 1624). */
    public static void decrementTtl(final MemorySegment m, final long at)
    {
        final int oldWord = Bytes.u16(m, at + TTL);
        final int newWord = oldWord - 0x100;
        Bytes.u16(m, at + TTL, newWord);
        Bytes.u16(m, at + CHECKSUM, Checksum.update16(Bytes.u16(m, at + CHECKSUM), oldWord, newWord));
    }

    /** Writes a 20-byte header with a fresh checksum. */
    public static void write(
        final MemorySegment m, final long at, final int tos, final int totalLength, final int id, final int flagsFragment,
        final int ttl, final int protocol, final int src, final int dst)
    {
        Bytes.u8(m, at, 0x45);
        Bytes.u8(m, at + TOS, tos);
        Bytes.u16(m, at + TOTAL_LENGTH, totalLength);
        Bytes.u16(m, at + ID, id);
        Bytes.u16(m, at + FLAGS_FRAGMENT, flagsFragment);
        Bytes.u8(m, at + TTL, ttl);
        Bytes.u8(m, at + PROTOCOL, protocol);
        Bytes.u16(m, at + CHECKSUM, 0);
        Bytes.u32(m, at + SRC, src);
        Bytes.u32(m, at + DST, dst);
        Bytes.u16(m, at + CHECKSUM, Checksum.compute(m, at, MIN_LENGTH));
    }
}
