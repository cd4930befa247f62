package io.sluice.dataplane.packet;

import java.lang.foreign.MemorySegment;

/** ICMP for IPv4 (RFC 792): the types and codes a router sends and answers. */
public final class Icmp4
{
    public static final int TYPE = 0;
    public static final int CODE = 1;
    public static final int CHECKSUM = 2;
    public static final int REST = 4;
    public static final int LENGTH = 8;

    public static final int ECHO_REPLY = 0;
    public static final int DEST_UNREACHABLE = 3;
    public static final int ECHO_REQUEST = 8;
    public static final int TIME_EXCEEDED = 11;

    public static final int CODE_NET_UNREACHABLE = 0;
    public static final int CODE_HOST_UNREACHABLE = 1;
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    public static final int CODE_TTL_EXCEEDED = 0;

    private Icmp4()
    {
    }

    public static int type(final MemorySegment m, final long at)
    {
        return Bytes.u8(m, at + TYPE);
    }

    public static int code(final MemorySegment m, final long at)
    {
        return Bytes.u8(m, at + CODE);
    }
}
