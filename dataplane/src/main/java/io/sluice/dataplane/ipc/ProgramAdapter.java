package io.sluice.dataplane.ipc;

import io.aeron.Subscription;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.SecurityAssociation.DfBit;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import io.sluice.dataplane.ipc.codecs.BeginStateDecoder;
import io.sluice.dataplane.ipc.codecs.DataplaneSettingsDecoder;
import io.sluice.dataplane.ipc.codecs.EndStateDecoder;
import io.sluice.dataplane.ipc.codecs.GreTunnelAddDecoder;
import io.sluice.dataplane.ipc.codecs.GreTunnelDeleteDecoder;
import io.sluice.dataplane.ipc.codecs.IpsecTunnelAddDecoder;
import io.sluice.dataplane.ipc.codecs.TunnelProtectDecoder;
import io.sluice.dataplane.ipc.codecs.InterfaceConfigDecoder;
import io.sluice.dataplane.ipc.codecs.L2tpv2SessionAddDecoder;
import io.sluice.dataplane.ipc.codecs.L2tpv2SessionDeleteDecoder;
import io.sluice.dataplane.ipc.codecs.L2tpv3SessionAddDecoder;
import io.sluice.dataplane.ipc.codecs.L2tpv3SessionDeleteDecoder;
import io.sluice.dataplane.ipc.codecs.MgrePeerMapDecoder;
import io.sluice.dataplane.ipc.codecs.MgrePeerUnmapDecoder;
import io.sluice.dataplane.ipc.codecs.NeighbourAddDecoder;
import io.sluice.dataplane.ipc.codecs.RouteAddDecoder;
import io.sluice.dataplane.ipc.codecs.RouteDeleteDecoder;
import io.sluice.dataplane.ipc.codecs.SaAddDecoder;
import io.sluice.dataplane.ipc.codecs.SaDeleteDecoder;
import io.sluice.dataplane.ipc.codecs.SaSwitchOutboundDecoder;
import io.sluice.dataplane.l2tp.L2tpSession.Encapsulation;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The dataplane's reader of the program stream: an {@link org.agrona.concurrent.Agent} that
 * decodes each message with a reusable flyweight and calls its {@link ProgramHandler}. Nothing
 * is allocated per message. An SA's key bytes are handed over as views of the receive buffer (the
 * Aeron log, shared memory) and zeroed there as soon as the handler returns, so no key lingers in
 * the log after it has been read.
 * <p>
 * Connections ({@link ProgramHandler#onControlConnected}, {@link ProgramHandler#onControlLost})
 * come from the images of the subscription; see {@link StreamAdapter} for the one-publisher rule.
 */
public final class ProgramAdapter extends StreamAdapter
{
    private final ProgramHandler handler;
    private final BeginStateDecoder beginState = new BeginStateDecoder();
    private final EndStateDecoder endState = new EndStateDecoder();
    private final DataplaneSettingsDecoder settings = new DataplaneSettingsDecoder();
    private final InterfaceConfigDecoder interfaceConfig = new InterfaceConfigDecoder();
    private final GreTunnelAddDecoder greTunnelAdd = new GreTunnelAddDecoder();
    private final GreTunnelDeleteDecoder greTunnelDelete = new GreTunnelDeleteDecoder();
    private final TunnelProtectDecoder tunnelProtect = new TunnelProtectDecoder();
    private final IpsecTunnelAddDecoder ipsecTunnelAdd = new IpsecTunnelAddDecoder();
    private final MgrePeerMapDecoder mgrePeerMap = new MgrePeerMapDecoder();
    private final MgrePeerUnmapDecoder mgrePeerUnmap = new MgrePeerUnmapDecoder();
    private final RouteAddDecoder routeAdd = new RouteAddDecoder();
    private final RouteDeleteDecoder routeDelete = new RouteDeleteDecoder();
    private final NeighbourAddDecoder neighbourAdd = new NeighbourAddDecoder();
    private final SaAddDecoder saAdd = new SaAddDecoder();
    private final SaDeleteDecoder saDelete = new SaDeleteDecoder();
    private final SaSwitchOutboundDecoder saSwitchOutbound = new SaSwitchOutboundDecoder();
    private final L2tpv2SessionAddDecoder l2tpv2SessionAdd = new L2tpv2SessionAddDecoder();
    private final L2tpv2SessionDeleteDecoder l2tpv2SessionDelete = new L2tpv2SessionDeleteDecoder();
    private final L2tpv3SessionAddDecoder l2tpv3SessionAdd = new L2tpv3SessionAddDecoder();
    private final L2tpv3SessionDeleteDecoder l2tpv3SessionDelete = new L2tpv3SessionDeleteDecoder();
    private final NameView name = new NameView();
    private final UnsafeBuffer encryptionKey = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer integrityKey = new UnsafeBuffer(new byte[0]);
    private final SaParameters sa = new SaParameters();

    ProgramAdapter(final Subscription subscription, final ProgramHandler handler, final ErrorHandler errorHandler)
    {
        super(subscription, "sluice-program-adapter", errorHandler);
        this.handler = handler;
    }

    @Override
    void onPublisherConnected(final int sessionId)
    {
        handler.onControlConnected(sessionId);
    }

    @Override
    void onPublisherLost(final int sessionId)
    {
        handler.onControlLost(sessionId);
    }

    @Override
    boolean onMessage(final int templateId, final DirectBuffer buffer, final int offset, final int blockLength,
        final int version)
    {
        switch (templateId)
        {
            case BeginStateDecoder.TEMPLATE_ID ->
            {
                beginState.wrap(buffer, offset, blockLength, version);
                handler.onBeginState(beginState.generation());
            }
            case EndStateDecoder.TEMPLATE_ID ->
            {
                endState.wrap(buffer, offset, blockLength, version);
                handler.onEndState(endState.generation());
            }
            case DataplaneSettingsDecoder.TEMPLATE_ID ->
            {
                final DataplaneSettingsDecoder d = settings.wrap(buffer, offset, blockLength, version);
                handler.onDataplaneSettings(d.heartbeatIntervalMillis(), d.counterSnapshotIntervalMillis(),
                    d.peerIdleSeconds(), d.icmpErrorsPerSecond());
            }
            case InterfaceConfigDecoder.TEMPLATE_ID ->
            {
                final InterfaceConfigDecoder d = interfaceConfig.wrap(buffer, offset, blockLength, version);
                final int address = d.address();
                final int prefixLength = d.prefixLength();
                final int mtu = d.mtu();
                final int mss = d.tcpAdjustMss();
                final boolean shutdown = IpcCodes.bool(d.shutdownRaw());
                d.wrapName(name.bytes);
                handler.onInterfaceConfig(name.view(), address, prefixLength, mtu, mss, shutdown);
            }
            case GreTunnelAddDecoder.TEMPLATE_ID ->
            {
                final GreTunnelAddDecoder d = greTunnelAdd.wrap(buffer, offset, blockLength, version);
                final int source = d.source();
                final int destination = d.destination();
                final boolean hasKey = IpcCodes.bool(d.hasKeyRaw());
                final int key = d.key();
                final boolean sequence = IpcCodes.bool(d.sequenceRaw());
                final int ttl = d.ttl();
                final int mtu = d.mtu();
                d.wrapName(name.bytes);
                handler.onGreTunnelAdd(name.view(), source, destination, hasKey, key, sequence, ttl, mtu);
            }
            case GreTunnelDeleteDecoder.TEMPLATE_ID ->
            {
                greTunnelDelete.wrap(buffer, offset, blockLength, version).wrapName(name.bytes);
                handler.onGreTunnelDelete(name.view());
            }
            case TunnelProtectDecoder.TEMPLATE_ID ->
            {
                tunnelProtect.wrap(buffer, offset, blockLength, version).wrapName(name.bytes);
                handler.onTunnelProtect(name.view());
            }
            case IpsecTunnelAddDecoder.TEMPLATE_ID ->
            {
                final IpsecTunnelAddDecoder d = ipsecTunnelAdd.wrap(buffer, offset, blockLength, version);
                final int source = d.source();
                final int destination = d.destination();
                d.wrapName(name.bytes);
                handler.onIpsecTunnelAdd(name.view(), source, destination);
            }
            case MgrePeerMapDecoder.TEMPLATE_ID ->
            {
                final MgrePeerMapDecoder d = mgrePeerMap.wrap(buffer, offset, blockLength, version);
                final int overlay = d.overlay();
                final int nbma = d.nbma();
                d.wrapTunnel(name.bytes);
                handler.onMgrePeerMap(name.view(), overlay, nbma);
            }
            case MgrePeerUnmapDecoder.TEMPLATE_ID ->
            {
                final MgrePeerUnmapDecoder d = mgrePeerUnmap.wrap(buffer, offset, blockLength, version);
                final int overlay = d.overlay();
                final int nbma = d.nbma();
                d.wrapTunnel(name.bytes);
                handler.onMgrePeerUnmap(name.view(), overlay, nbma);
            }
            case RouteAddDecoder.TEMPLATE_ID ->
            {
                final RouteAddDecoder d = routeAdd.wrap(buffer, offset, blockLength, version);
                final int prefix = d.prefix();
                final int prefixLength = d.prefixLength();
                final int nextHop = d.nextHop();
                d.wrapInterfaceName(name.bytes);
                handler.onRouteAdd(prefix, prefixLength, name.view(), nextHop);
            }
            case RouteDeleteDecoder.TEMPLATE_ID ->
            {
                final RouteDeleteDecoder d = routeDelete.wrap(buffer, offset, blockLength, version);
                final int prefix = d.prefix();
                final int prefixLength = d.prefixLength();
                final int nextHop = d.nextHop();
                d.wrapInterfaceName(name.bytes);
                handler.onRouteDelete(prefix, prefixLength, name.view(), nextHop);
            }
            case NeighbourAddDecoder.TEMPLATE_ID ->
            {
                final NeighbourAddDecoder d = neighbourAdd.wrap(buffer, offset, blockLength, version);
                final int address = d.address();
                final long mac = d.mac();
                d.wrapInterfaceName(name.bytes);
                handler.onNeighbourAdd(name.view(), address, mac);
            }
            case SaAddDecoder.TEMPLATE_ID -> onSaAdd(buffer, offset, blockLength, version);
            case SaDeleteDecoder.TEMPLATE_ID ->
            {
                final SaDeleteDecoder d = saDelete.wrap(buffer, offset, blockLength, version);
                final Direction direction = IpcCodes.direction(d.directionRaw());
                if (direction == null)
                {
                    throw malformed("direction", d.directionRaw());
                }
                handler.onSaDelete(d.spi(), direction);
            }
            case SaSwitchOutboundDecoder.TEMPLATE_ID ->
                handler.onSaSwitchOutbound(saSwitchOutbound.wrap(buffer, offset, blockLength, version).spi());
            case L2tpv2SessionAddDecoder.TEMPLATE_ID ->
            {
                final L2tpv2SessionAddDecoder d = l2tpv2SessionAdd.wrap(buffer, offset, blockLength, version);
                final int localAddress = d.localAddress();
                final int remoteAddress = d.remoteAddress();
                final int localPort = d.localPort();
                final int remotePort = d.remotePort();
                final int localTunnelId = d.localTunnelId();
                final int localSessionId = d.localSessionId();
                final int remoteTunnelId = d.remoteTunnelId();
                final int remoteSessionId = d.remoteSessionId();
                final boolean sequencing = IpcCodes.bool(d.sequencingRaw());
                final boolean lengthBit = IpcCodes.bool(d.lengthBitRaw());
                d.wrapName(name.bytes);
                handler.onL2tpv2SessionAdd(name.view(), localAddress, remoteAddress, localPort, remotePort,
                    localTunnelId, localSessionId, remoteTunnelId, remoteSessionId, sequencing, lengthBit);
            }
            case L2tpv2SessionDeleteDecoder.TEMPLATE_ID ->
            {
                final L2tpv2SessionDeleteDecoder d = l2tpv2SessionDelete.wrap(buffer, offset, blockLength, version);
                handler.onL2tpv2SessionDelete(d.localTunnelId(), d.localSessionId());
            }
            case L2tpv3SessionAddDecoder.TEMPLATE_ID ->
            {
                final L2tpv3SessionAddDecoder d = l2tpv3SessionAdd.wrap(buffer, offset, blockLength, version);
                final Encapsulation encapsulation = IpcCodes.encapsulation(d.encapsulationRaw());
                if (encapsulation == null)
                {
                    throw malformed("encapsulation", d.encapsulationRaw());
                }
                final int localAddress = d.localAddress();
                final int remoteAddress = d.remoteAddress();
                final int localSessionId = d.localSessionId();
                final int remoteSessionId = d.remoteSessionId();
                final long localCookie = d.localCookie();
                final long remoteCookie = d.remoteCookie();
                final int cookieLength = d.cookieLength();
                d.wrapXconnectInterface(name.bytes);
                handler.onL2tpv3SessionAdd(name.view(), encapsulation, localAddress, remoteAddress, localSessionId,
                    remoteSessionId, localCookie, remoteCookie, cookieLength);
            }
            case L2tpv3SessionDeleteDecoder.TEMPLATE_ID ->
                handler.onL2tpv3SessionDelete(l2tpv3SessionDelete.wrap(buffer, offset, blockLength, version)
                    .localSessionId());
            default ->
            {
                return false;
            }
        }
        return true;
    }

    private void onSaAdd(final DirectBuffer buffer, final int offset, final int blockLength, final int version)
    {
        final SaAddDecoder d = saAdd.wrap(buffer, offset, blockLength, version);
        // var data first (it follows the fixed fields on the wire): once the keys are wrapped they are
        // zeroed whatever happens next
        d.wrapTunnel(name.bytes);
        d.wrapEncryptionKey(encryptionKey);
        d.wrapIntegrityKey(integrityKey);
        try
        {
            final Direction direction = IpcCodes.direction(d.directionRaw());
            final Mode mode = IpcCodes.mode(d.modeRaw());
            final EspEncryption encryption = IpcCodes.encryption(d.encryptionRaw());
            final EspIntegrity integrity = IpcCodes.integrity(d.integrityRaw());
            final DfBit dfBit = IpcCodes.dfBit(d.dfBitRaw());
            if (direction == null || mode == null || encryption == null || integrity == null || dfBit == null)
            {
                throw malformed(direction == null ? "direction" : mode == null ? "mode" : encryption == null ?
                    "encryption" : integrity == null ? "integrity" : "df-bit", direction == null ? d.directionRaw() :
                    mode == null ? d.modeRaw() : encryption == null ? d.encryptionRaw() : integrity == null ?
                    d.integrityRaw() : d.dfBitRaw());
            }
            sa.reset()
                .spi(d.spi())
                .direction(direction)
                .mode(mode)
                .peer(d.peer())
                .tunnel(name.view())
                .endpoints(d.tunnelSource(), d.tunnelDestination())
                .udpEncapsulation(d.udpSourcePort(), d.udpDestinationPort())
                .encryption(encryption, encryptionKey, 0, encryptionKey.capacity())
                .integrity(integrity, integrityKey, 0, integrityKey.capacity())
                .icvLength(d.icvLength())
                .esn(IpcCodes.bool(d.esnRaw()))
                .replayWindow(d.replayWindow())
                .initialSequence(d.initialSequence())
                .ttl(d.ttl())
                .dfBit(dfBit)
                .lifetimeSeconds(d.lifetimeSoftSeconds(), d.lifetimeHardSeconds())
                .lifetimeKilobytes(d.lifetimeSoftKilobytes(), d.lifetimeHardKilobytes());
            handler.onSaAdd(sa);
        }
        finally
        {
            encryptionKey.setMemory(0, encryptionKey.capacity(), (byte)0);
            integrityKey.setMemory(0, integrityKey.capacity(), (byte)0);
            sa.reset();
        }
    }
}
