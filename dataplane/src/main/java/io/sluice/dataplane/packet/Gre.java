package io.sluice.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * GRE (RFC 2784) with key and sequence number (RFC 2890). The first 16 bits are
 * C, R, K, S, s, Recur(3), flags(5), version(3).
 */
public final class Gre
{
    public static final int FLAGS = 0;
    public static final int PROTOCOL = 2;
    public static final int BASE_LENGTH = 4;

    public static final int C = 0x8000;
    public static final int K = 0x2000;
    public static final int S = 0x1000;
    /** R, s and the first Recur bit: RFC 2784 receivers discard packets with any of them set. */
    public static final int MUST_BE_ZERO = 0x4000 | 0x0800 | 0x0400;
    public static final int VERSION_MASK = 0x0007;

    public static final int PROTO_IPV4 = 0x0800;
    public static final int PROTO_NHRP = 0x2001;
    public static final int PROTO_TEB = 0x6558;

    private Gre()
    {
    }

    /** Header length implied by the flags: 4 + 4 (checksum) + 4 (key) + 4 (sequence). */
    public static int headerLength(final int flags)
    {
        return BASE_LENGTH + ((flags & C) != 0 ? 4 : 0) + ((flags & K) != 0 ? 4 : 0) + ((flags & S) != 0 ? 4 : 0);
    }

    /** Offset of the key field, valid when K is set. */
    public static int keyOffset(final int flags)
    {
        return BASE_LENGTH + ((flags & C) != 0 ? 4 : 0);
    }

    /** Offset of the sequence field, valid when S is set. */
    public static int sequenceOffset(final int flags)
    {
        return keyOffset(flags) + ((flags & K) != 0 ? 4 : 0);
    }

    /**
     * Writes a header; returns its length.
     *
     * @param key      the key, used when {@code hasKey}
     * @param sequence the sequence number, used when {@code hasSequence}
     */
    public static int write(
        final MemorySegment m, final long at, final int protocol, final boolean hasKey, final int key,
        final boolean hasSequence, final int sequence)
    {
        final int flags = (hasKey ? K : 0) | (hasSequence ? S : 0);
        Bytes.u16(m, at + FLAGS, flags);
        Bytes.u16(m, at + PROTOCOL, protocol);
        int off = BASE_LENGTH;
        if (hasKey)
        {
            Bytes.u32(m, at + off, key);
            off += 4;
        }
        if (hasSequence)
        {
            Bytes.u32(m, at + off, sequence);
            off += 4;
        }
        return off;
    }
}
