package io.sluice.dataplane.trace;

import io.sluice.dataplane.port.Port;

/**
 * The pcap LINKTYPE_ values (tcpdump.org/linktypes.html) for what Sluice captures: what the
 * first byte of every frame in a file is, which tells tshark where to start dissecting.
 */
public enum PcapLinkType
{
    /** LINKTYPE_ETHERNET: an Ethernet II header first (AF_XDP, AF_PACKET ports, stages before L3). */
    ETHERNET(1),
    /** LINKTYPE_RAW: an IPv4 or IPv6 header first, told apart by its version nibble (TUN ports, L3 stages). */
    RAW(101),
    /** LINKTYPE_IPV4: IPv4 only. */
    IPV4(228),
    /** LINKTYPE_IPV6: IPv6 only. */
    IPV6(229);

    private final int value;

    PcapLinkType(final int value)
    {
        this.value = value;
    }

    /** The number written in the pcap global header. */
    public int value()
    {
        return value;
    }

    /** What to capture a port's frames as. */
    public static PcapLinkType of(final Port.LinkType portLinkType)
    {
        return switch (portLinkType)
        {
            case ETHERNET -> ETHERNET;
            case IP -> RAW;
        };
    }
}
