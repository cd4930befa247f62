package io.sluice.dataplane.l2tp;

import io.sluice.dataplane.packet.Bytes;

/**
 * The data-path state of one L2TP session.
 * <ul>
 *   <li>L2TPv3 (RFC 3931): an Ethernet pseudowire ({@code xconnect}) between a port and the
 *   session, over IP protocol 115 or over UDP; session IDs and optional cookies (0, 4 or 8 bytes)
 *   in each direction.</li>
 *   <li>L2TPv2 (RFC 2661): a routed PPP session over UDP: tunnel and session IDs in each
 *   direction, optional sequence numbers and length field; IPv4 inside PPP.</li>
 * </ul>
 */
public final class L2tpSession
{
    public enum Encapsulation
    {
        IP,
        UDP
    }

    final int index;
    final int version;
    final Encapsulation encapsulation;
    final int localAddress;
    final int remoteAddress;
    final int localPort;
    final int remotePort;
    final int localSessionId;
    final int remoteSessionId;
    final int localTunnelId;
    final int remoteTunnelId;
    final long localCookie;
    final long remoteCookie;
    final int cookieLength;
    final int iface;
    final boolean sequencing;
    final boolean lengthBit;
    int txNs;
    long rxPackets;
    long rxBytes;
    long txPackets;
    long txBytes;

    L2tpSession(
        final int index, final int version, final Encapsulation encapsulation, final int localAddress,
        final int remoteAddress, final int localPort, final int remotePort, final int localTunnelId,
        final int remoteTunnelId, final int localSessionId, final int remoteSessionId, final long localCookie,
        final long remoteCookie, final int cookieLength, final int iface, final boolean sequencing,
        final boolean lengthBit)
    {
        this.index = index;
        this.version = version;
        this.encapsulation = encapsulation;
        this.localAddress = localAddress;
        this.remoteAddress = remoteAddress;
        this.localPort = localPort;
        this.remotePort = remotePort;
        this.localTunnelId = localTunnelId;
        this.remoteTunnelId = remoteTunnelId;
        this.localSessionId = localSessionId;
        this.remoteSessionId = remoteSessionId;
        this.localCookie = localCookie;
        this.remoteCookie = remoteCookie;
        this.cookieLength = cookieLength;
        this.iface = iface;
        this.sequencing = sequencing;
        this.lengthBit = lengthBit;
    }

    public int index()
    {
        return index;
    }

    public int version()
    {
        return version;
    }

    /** The interface: the xconnect port's (v3) or the routed session interface (v2). */
    public int iface()
    {
        return iface;
    }

    public long rxPackets()
    {
        return rxPackets;
    }

    public long txPackets()
    {
        return txPackets;
    }

    public long rxBytes()
    {
        return rxBytes;
    }

    public long txBytes()
    {
        return txBytes;
    }

    @Override
    public String toString()
    {
        return "L2TPv" + version + " session " + (version == 3 ? localSessionId + "/" + remoteSessionId :
            localTunnelId + ":" + localSessionId + "/" + remoteTunnelId + ":" + remoteSessionId) + " " +
            Bytes.ip4ToString(localAddress) + " -> " + Bytes.ip4ToString(remoteAddress) + " over " + encapsulation;
    }
}
