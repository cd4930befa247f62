package io.sluice.dataplane.packet;

/**
 * L2TP headers. Version 2 (RFC 2661) over UDP 1701: flags/version, [length], tunnel ID,
 * session ID, [Ns, Nr], [offset size, pad]. Version 3 (RFC 3931) over IP protocol 115:
 * session ID (0 = control), cookie; over UDP: flags/version, reserved, session ID, cookie.
 */
public final class L2tp
{
    public static final int UDP_PORT = 1701;

    public static final int T = 0x8000;
    public static final int L = 0x4000;
    public static final int S = 0x0800;
    public static final int O = 0x0200;
    public static final int P = 0x0100;
    public static final int VERSION_MASK = 0x000f;
    /** Bits of the v2 flags word that RFC 2661 reserves (must be zero). */
    public static final int V2_RESERVED = 0x3000 | 0x0400 | 0x00f0;

    /** v3 over UDP: flags/version (2), reserved (2), session ID (4). */
    public static final int V3_UDP_HEADER = 8;
    /** v3 over IP: session ID (4). */
    public static final int V3_IP_HEADER = 4;

    public static final int PPP_ADDRESS_CONTROL = 0xff03;
    public static final int PPP_IPV4 = 0x0021;

    private L2tp()
    {
    }
}
