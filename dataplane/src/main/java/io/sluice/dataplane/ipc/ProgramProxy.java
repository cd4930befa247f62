package io.sluice.dataplane.ipc;

import io.aeron.ExclusivePublication;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.ipc.codecs.BeginStateEncoder;
import io.sluice.dataplane.ipc.codecs.DataplaneSettingsEncoder;
import io.sluice.dataplane.ipc.codecs.EndStateEncoder;
import io.sluice.dataplane.ipc.codecs.GreTunnelAddEncoder;
import io.sluice.dataplane.ipc.codecs.GreTunnelDeleteEncoder;
import io.sluice.dataplane.ipc.codecs.IpsecTunnelAddEncoder;
import io.sluice.dataplane.ipc.codecs.TunnelProtectEncoder;
import io.sluice.dataplane.ipc.codecs.InterfaceConfigEncoder;
import io.sluice.dataplane.ipc.codecs.L2tpv2SessionAddEncoder;
import io.sluice.dataplane.ipc.codecs.L2tpv2SessionDeleteEncoder;
import io.sluice.dataplane.ipc.codecs.L2tpv3SessionAddEncoder;
import io.sluice.dataplane.ipc.codecs.L2tpv3SessionDeleteEncoder;
import io.sluice.dataplane.ipc.codecs.MessageHeaderEncoder;
import io.sluice.dataplane.ipc.codecs.MgrePeerMapEncoder;
import io.sluice.dataplane.ipc.codecs.MgrePeerUnmapEncoder;
import io.sluice.dataplane.ipc.codecs.NeighbourAddEncoder;
import io.sluice.dataplane.ipc.codecs.RouteAddEncoder;
import io.sluice.dataplane.ipc.codecs.RouteDeleteEncoder;
import io.sluice.dataplane.ipc.codecs.SaAddEncoder;
import io.sluice.dataplane.ipc.codecs.SaDeleteEncoder;
import io.sluice.dataplane.ipc.codecs.SaSwitchOutboundEncoder;
import io.sluice.dataplane.l2tp.L2tpSession.Encapsulation;
import org.agrona.DirectBuffer;

/**
 * The control process's writer of the program stream: one method per message, each encoded with
 * a flyweight into one reusable buffer and offered; nothing is allocated per message. A refused
 * offer is retried (back-pressure, a dataplane not subscribed yet) up to the context's send
 * timeout, then {@link IpcException} says which it was. One thread uses a proxy.
 * <p>
 * On (re)connecting, the control process sends {@link #beginState}, its whole state, then
 * {@link #endState} with the same generation: the dataplane replaces what it had with that.
 */
public final class ProgramProxy implements AutoCloseable
{
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;

    private final StreamPublisher out;
    private final BeginStateEncoder beginState = new BeginStateEncoder();
    private final EndStateEncoder endState = new EndStateEncoder();
    private final DataplaneSettingsEncoder settings = new DataplaneSettingsEncoder();
    private final InterfaceConfigEncoder interfaceConfig = new InterfaceConfigEncoder();
    private final GreTunnelAddEncoder greTunnelAdd = new GreTunnelAddEncoder();
    private final GreTunnelDeleteEncoder greTunnelDelete = new GreTunnelDeleteEncoder();
    private final TunnelProtectEncoder tunnelProtect = new TunnelProtectEncoder();
    private final IpsecTunnelAddEncoder ipsecTunnelAdd = new IpsecTunnelAddEncoder();
    private final MgrePeerMapEncoder mgrePeerMap = new MgrePeerMapEncoder();
    private final MgrePeerUnmapEncoder mgrePeerUnmap = new MgrePeerUnmapEncoder();
    private final RouteAddEncoder routeAdd = new RouteAddEncoder();
    private final RouteDeleteEncoder routeDelete = new RouteDeleteEncoder();
    private final NeighbourAddEncoder neighbourAdd = new NeighbourAddEncoder();
    private final SaAddEncoder saAdd = new SaAddEncoder();
    private final SaDeleteEncoder saDelete = new SaDeleteEncoder();
    private final SaSwitchOutboundEncoder saSwitchOutbound = new SaSwitchOutboundEncoder();
    private final L2tpv2SessionAddEncoder l2tpv2SessionAdd = new L2tpv2SessionAddEncoder();
    private final L2tpv2SessionDeleteEncoder l2tpv2SessionDelete = new L2tpv2SessionDeleteEncoder();
    private final L2tpv3SessionAddEncoder l2tpv3SessionAdd = new L2tpv3SessionAddEncoder();
    private final L2tpv3SessionDeleteEncoder l2tpv3SessionDelete = new L2tpv3SessionDeleteEncoder();

    ProgramProxy(final ExclusivePublication publication, final long sendTimeoutNs)
    {
        this.out = new StreamPublisher(publication, "program", sendTimeoutNs, 1);
    }

    /** True once a dataplane subscribes; until then (and for the send timeout) sends wait. */
    public boolean isConnected()
    {
        return out.isConnected();
    }

    /** The Aeron session of this control process's program stream (what the dataplane sees connect). */
    public int sessionId()
    {
        return out.sessionId();
    }

    public void beginState(final long generation)
    {
        beginState.wrapAndApplyHeader(out.buffer, 0, out.header).generation(generation);
        out.send(HEADER + beginState.encodedLength());
    }

    public void endState(final long generation)
    {
        endState.wrapAndApplyHeader(out.buffer, 0, out.header).generation(generation);
        out.send(HEADER + endState.encodedLength());
    }

    /**
     * @param heartbeatIntervalMillis       0: the dataplane's default
     * @param counterSnapshotIntervalMillis 0: no snapshots (the counters file has them)
     * @param peerIdleSeconds               0: no idle-peer events
     */
    public void dataplaneSettings(final int heartbeatIntervalMillis, final int counterSnapshotIntervalMillis,
        final int peerIdleSeconds, final int icmpErrorsPerSecond)
    {
        settings.wrapAndApplyHeader(out.buffer, 0, out.header)
            .heartbeatIntervalMillis(heartbeatIntervalMillis)
            .counterSnapshotIntervalMillis(counterSnapshotIntervalMillis)
            .peerIdleSeconds(peerIdleSeconds)
            .icmpErrorsPerSecond(icmpErrorsPerSecond);
        out.send(HEADER + settings.encodedLength());
    }

    /**
     * @param address      0 for none
     * @param mtu          IP MTU, 0 for the default
     * @param tcpAdjustMss 0 for off
     */
    public void interfaceConfig(final CharSequence name, final int address, final int prefixLength, final int mtu,
        final int tcpAdjustMss, final boolean shutdown)
    {
        interfaceConfig.wrapAndApplyHeader(out.buffer, 0, out.header)
            .address(address)
            .prefixLength(prefixLength(prefixLength))
            .mtu(uint16("mtu", mtu))
            .tcpAdjustMss(uint16("tcp adjust-mss", tcpAdjustMss))
            .shutdown(IpcCodes.bool(shutdown))
            .name(name);
        out.send(HEADER + interfaceConfig.encodedLength());
    }

    /**
     * @param destination 0 for multipoint GRE
     * @param mtu         IP MTU, 0 for the default
     */
    public void greTunnelAdd(final CharSequence name, final int source, final int destination, final boolean hasKey,
        final int key, final boolean sequence, final int ttl, final int mtu)
    {
        greTunnelAdd.wrapAndApplyHeader(out.buffer, 0, out.header)
            .source(source)
            .destination(destination)
            .hasKey(IpcCodes.bool(hasKey))
            .key(key)
            .sequence(IpcCodes.bool(sequence))
            .ttl(uint8("ttl", ttl))
            .mtu(uint16("mtu", mtu))
            .name(name);
        out.send(HEADER + greTunnelAdd.encodedLength());
    }

    public void greTunnelDelete(final CharSequence name)
    {
        greTunnelDelete.wrapAndApplyHeader(out.buffer, 0, out.header).name(name);
        out.send(HEADER + greTunnelDelete.encodedLength());
    }

    public void tunnelProtect(final CharSequence name)
    {
        tunnelProtect.wrapAndApplyHeader(out.buffer, 0, out.header).name(name);
        out.send(HEADER + tunnelProtect.encodedLength());
    }

    public void ipsecTunnelAdd(final CharSequence name, final int source, final int destination)
    {
        ipsecTunnelAdd.wrapAndApplyHeader(out.buffer, 0, out.header).source(source).destination(destination).name(name);
        out.send(HEADER + ipsecTunnelAdd.encodedLength());
    }

    public void mgrePeerMap(final CharSequence tunnel, final int overlay, final int nbma)
    {
        mgrePeerMap.wrapAndApplyHeader(out.buffer, 0, out.header).overlay(overlay).nbma(nbma).tunnel(tunnel);
        out.send(HEADER + mgrePeerMap.encodedLength());
    }

    /** @param nbma the mapping is removed only while it still points there; 0: whatever it points at */
    public void mgrePeerUnmap(final CharSequence tunnel, final int overlay, final int nbma)
    {
        mgrePeerUnmap.wrapAndApplyHeader(out.buffer, 0, out.header).overlay(overlay).nbma(nbma).tunnel(tunnel);
        out.send(HEADER + mgrePeerUnmap.encodedLength());
    }

    /** @param nextHop 0: directly connected through the interface; interface {@code Null0} drops */
    public void routeAdd(final int prefix, final int prefixLength, final CharSequence interfaceName, final int nextHop)
    {
        routeAdd.wrapAndApplyHeader(out.buffer, 0, out.header)
            .prefix(prefix)
            .prefixLength(prefixLength(prefixLength))
            .nextHop(nextHop)
            .interfaceName(interfaceName);
        out.send(HEADER + routeAdd.encodedLength());
    }

    public void routeDelete(final int prefix, final int prefixLength, final CharSequence interfaceName,
        final int nextHop)
    {
        routeDelete.wrapAndApplyHeader(out.buffer, 0, out.header)
            .prefix(prefix)
            .prefixLength(prefixLength(prefixLength))
            .nextHop(nextHop)
            .interfaceName(interfaceName);
        out.send(HEADER + routeDelete.encodedLength());
    }

    /** @param mac the 48-bit MAC in the low bits, first byte highest */
    public void neighbourAdd(final CharSequence interfaceName, final int address, final long mac)
    {
        neighbourAdd.wrapAndApplyHeader(out.buffer, 0, out.header).address(address).mac(mac)
            .interfaceName(interfaceName);
        out.send(HEADER + neighbourAdd.encodedLength());
    }

    /**
     * Sends an SA. The keys are copied from the caller's buffers into the message; this proxy's
     * encode buffer is zeroed after the offer, and the dataplane zeroes the log buffer's copy once
     * it has read it.
     */
    public void saAdd(final SaParameters sa)
    {
        final DirectBuffer encryptionKey = sa.encryptionKey();
        final DirectBuffer integrityKey = sa.integrityKey();
        int length = 0;
        try
        {
            saAdd.wrapAndApplyHeader(out.buffer, 0, out.header)
                .spi(sa.spi())
                .direction(IpcCodes.direction(sa.direction()))
                .mode(IpcCodes.mode(sa.mode()))
                .peer(sa.peer())
                .tunnelSource(sa.tunnelSource())
                .tunnelDestination(sa.tunnelDestination())
                .udpSourcePort(uint16("UDP source port", sa.udpSourcePort()))
                .udpDestinationPort(uint16("UDP destination port", sa.udpDestinationPort()))
                .encryption(IpcCodes.encryption(sa.encryption()))
                .integrity(IpcCodes.integrity(sa.integrity()))
                .icvLength(uint8("ICV length", sa.icvLength()))
                .esn(IpcCodes.bool(sa.esn()))
                .replayWindow(uint16("replay window", sa.replayWindow()))
                .initialSequence(sa.initialSequence())
                .ttl(uint8("ttl", sa.ttl()))
                .dfBit(IpcCodes.dfBit(sa.dfBit()))
                .lifetimeSoftSeconds(sa.lifetimeSoftSeconds())
                .lifetimeHardSeconds(sa.lifetimeHardSeconds())
                .lifetimeSoftKilobytes(sa.lifetimeSoftKilobytes())
                .lifetimeHardKilobytes(sa.lifetimeHardKilobytes())
                .tunnel(sa.tunnel())
                .putEncryptionKey(encryptionKey, 0, encryptionKey.capacity())
                .putIntegrityKey(integrityKey, 0, integrityKey.capacity());
            length = HEADER + saAdd.encodedLength();
            if (length > out.maxPayloadLength())
            {
                // a fragmented message is reassembled in a copy: the dataplane could not zero the log's keys
                throw new IpcException("program stream: an SA add of " + length + " bytes does not fit one " +
                    out.maxPayloadLength() + "-byte frame; is the tunnel name '" + sa.tunnel() + "' right?");
            }
            out.send(length);
        }
        finally
        {
            out.buffer.setMemory(0, length == 0 ? out.buffer.capacity() : length, (byte)0);
        }
    }

    public void saDelete(final int spi, final Direction direction)
    {
        saDelete.wrapAndApplyHeader(out.buffer, 0, out.header).spi(spi).direction(IpcCodes.direction(direction));
        out.send(HEADER + saDelete.encodedLength());
    }

    /** Make-before-break: the outbound SA {@code spi}, added before, takes over its binding; delete the old one later. */
    public void saSwitchOutbound(final int spi)
    {
        saSwitchOutbound.wrapAndApplyHeader(out.buffer, 0, out.header).spi(spi);
        out.send(HEADER + saSwitchOutbound.encodedLength());
    }

    /** An L2TPv2 data session (PPP carrying IPv4 over UDP) as the routed interface {@code name}. */
    public void l2tpv2SessionAdd(final CharSequence name, final int localAddress, final int remoteAddress,
        final int localPort, final int remotePort, final int localTunnelId, final int localSessionId,
        final int remoteTunnelId, final int remoteSessionId, final boolean sequencing, final boolean lengthBit)
    {
        l2tpv2SessionAdd.wrapAndApplyHeader(out.buffer, 0, out.header)
            .localAddress(localAddress)
            .remoteAddress(remoteAddress)
            .localPort(uint16("local port", localPort))
            .remotePort(uint16("remote port", remotePort))
            .localTunnelId(uint16("local tunnel ID", localTunnelId))
            .localSessionId(uint16("local session ID", localSessionId))
            .remoteTunnelId(uint16("remote tunnel ID", remoteTunnelId))
            .remoteSessionId(uint16("remote session ID", remoteSessionId))
            .sequencing(IpcCodes.bool(sequencing))
            .lengthBit(IpcCodes.bool(lengthBit))
            .name(name);
        out.send(HEADER + l2tpv2SessionAdd.encodedLength());
    }

    public void l2tpv2SessionDelete(final int localTunnelId, final int localSessionId)
    {
        l2tpv2SessionDelete.wrapAndApplyHeader(out.buffer, 0, out.header)
            .localTunnelId(uint16("local tunnel ID", localTunnelId))
            .localSessionId(uint16("local session ID", localSessionId));
        out.send(HEADER + l2tpv2SessionDelete.encodedLength());
    }

    /** An L2TPv3 Ethernet pseudowire between the port {@code xconnectInterface} and the session. */
    public void l2tpv3SessionAdd(final CharSequence xconnectInterface, final Encapsulation encapsulation,
        final int localAddress, final int remoteAddress, final int localSessionId, final int remoteSessionId,
        final long localCookie, final long remoteCookie, final int cookieLength)
    {
        l2tpv3SessionAdd.wrapAndApplyHeader(out.buffer, 0, out.header)
            .encapsulation(IpcCodes.encapsulation(encapsulation))
            .localAddress(localAddress)
            .remoteAddress(remoteAddress)
            .localSessionId(localSessionId)
            .remoteSessionId(remoteSessionId)
            .localCookie(localCookie)
            .remoteCookie(remoteCookie)
            .cookieLength(uint8("cookie length", cookieLength))
            .xconnectInterface(xconnectInterface);
        out.send(HEADER + l2tpv3SessionAdd.encodedLength());
    }

    public void l2tpv3SessionDelete(final int localSessionId)
    {
        l2tpv3SessionDelete.wrapAndApplyHeader(out.buffer, 0, out.header).localSessionId(localSessionId);
        out.send(HEADER + l2tpv3SessionDelete.encodedLength());
    }

    /** Messages sent, and messages that failed (each of which threw). */
    public long sent()
    {
        return out.sent();
    }

    public long failed()
    {
        return out.dropped();
    }

    @Override
    public void close()
    {
        out.close();
    }

    private static short prefixLength(final int length)
    {
        if (length < 0 || length > 32)
        {
            throw new IllegalArgumentException("prefix length " + length + ": must be 0..32");
        }
        return (short)length;
    }

    static short uint8(final String what, final int value)
    {
        if (value < 0 || value > 0xff)
        {
            throw new IllegalArgumentException(what + " " + value + ": must be 0..255");
        }
        return (short)value;
    }

    static int uint16(final String what, final int value)
    {
        if (value < 0 || value > 0xffff)
        {
            throw new IllegalArgumentException(what + " " + value + ": must be 0..65535");
        }
        return value;
    }
}
