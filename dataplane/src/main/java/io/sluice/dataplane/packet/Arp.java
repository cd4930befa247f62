package io.sluice.dataplane.packet;

import java.lang.foreign.MemorySegment;

/** ARP for IPv4 over Ethernet (RFC 826). */
public final class Arp
{
    public static final int HTYPE = 0;
    public static final int PTYPE = 2;
    public static final int HLEN = 4;
    public static final int PLEN = 5;
    public static final int OPER = 6;
    public static final int SHA = 8;
    public static final int SPA = 14;
    public static final int THA = 18;
    public static final int TPA = 24;
    public static final int LENGTH = 28;

    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    private Arp()
    {
    }

    /** Ethernet/IPv4 ARP with the right sizes. */
    public static boolean isEthernetIpv4(final MemorySegment m, final long at)
    {
        return Bytes.u16(m, at + HTYPE) == 1 && Bytes.u16(m, at + PTYPE) == Ethernet.TYPE_IPV4 &&
            Bytes.u8(m, at + HLEN) == 6 && Bytes.u8(m, at + PLEN) == 4;
    }

    public static void write(
        final MemorySegment m, final long at, final int op, final long sha, final int spa, final long tha, final int tpa)
    {
        Bytes.u16(m, at + HTYPE, 1);
        Bytes.u16(m, at + PTYPE, Ethernet.TYPE_IPV4);
        Bytes.u8(m, at + HLEN, 6);
        Bytes.u8(m, at + PLEN, 4);
        Bytes.u16(m, at + OPER, op);
        Bytes.mac(m, at + SHA, sha);
        Bytes.u32(m, at + SPA, spa);
        Bytes.mac(m, at + THA, tha);
        Bytes.u32(m, at + TPA, tpa);
    }
}
