package io.sluice.dataplane.run;

import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.ipc.ProgramHandler;
import io.sluice.dataplane.ipc.SaParameters;
import io.sluice.dataplane.l2tp.L2tpSession.Encapsulation;
import io.sluice.dataplane.program.DirectProgram;
import io.sluice.dataplane.program.SaSpec;
import org.agrona.DirectBuffer;

import java.util.function.Consumer;

/**
 * The program stream, applied: each message becomes a {@link DirectProgram} call. A message that
 * cannot be applied (an unknown interface, an SPI in use) is logged with what was wrong and the
 * stream goes on; the rest of the state is unaffected.
 */
final class ProgramBridge implements ProgramHandler
{
    private final DirectProgram program;
    private final Consumer<String> log;
    private final PeerIdleDetector idle;

    ProgramBridge(final DirectProgram program, final Consumer<String> log)
    {
        this(program, log, new PeerIdleDetector());
    }

    ProgramBridge(final DirectProgram program, final Consumer<String> log, final PeerIdleDetector idle)
    {
        this.program = program;
        this.log = log;
        this.idle = idle;
    }

    private void apply(final String what, final Runnable action)
    {
        try
        {
            action.run();
        }
        catch (final RuntimeException e)
        {
            log.accept("program: " + what + " refused: " + e.getMessage());
        }
    }

    @Override
    public void onControlConnected(final int sessionId)
    {
        log.accept("control process connected (session " + sessionId + ")");
    }

    @Override
    public void onControlLost(final int sessionId)
    {
        log.accept("control process gone (session " + sessionId + "): forwarding goes on with the current state");
    }

    @Override
    public void onBeginState(final long generation)
    {
        program.beginState(generation);
    }

    @Override
    public void onEndState(final long generation)
    {
        program.endState(generation);
    }

    @Override
    public void onDataplaneSettings(final int heartbeatIntervalMillis, final int counterSnapshotIntervalMillis,
        final int peerIdleSeconds, final int icmpErrorsPerSecond)
    {
        // on-demand DPD: the control process says how long a silent peer may stay silent
        if (peerIdleSeconds != idle.idleSeconds())
        {
            idle.idleSeconds(peerIdleSeconds);
            log.accept("peer idle detection " + (peerIdleSeconds == 0 ? "off" : "after " + peerIdleSeconds + " s"));
        }
    }

    @Override
    public void onInterfaceConfig(final CharSequence name, final int address, final int prefixLength, final int mtu,
        final int tcpAdjustMss, final boolean shutdown)
    {
        final String n = name.toString();
        apply("interface " + n, () ->
        {
            if (address != 0)
            {
                program.interfaceAddress(n, address, prefixLength);
            }
            if (mtu != 0 || tcpAdjustMss != 0)
            {
                program.interfaceMtu(n, mtu, tcpAdjustMss);
            }
        });
    }

    @Override
    public void onGreTunnelAdd(final CharSequence name, final int source, final int destination, final boolean hasKey,
        final int key, final boolean sequence, final int ttl, final int mtu)
    {
        final String n = name.toString();
        apply("tunnel " + n, () -> program.greTunnel(n, source, destination, hasKey ? Long.valueOf(key & 0xffff_ffffL) :
            null));
    }

    @Override
    public void onGreTunnelDelete(final CharSequence name)
    {
        log.accept("program: deleting tunnel " + name + " needs a dataplane restart; ignored");
    }

    @Override
    public void onTunnelProtect(final CharSequence name)
    {
        final String n = name.toString();
        apply("tunnel protection on " + n, () -> program.protectTunnel(n));
    }

    @Override
    public void onIpsecTunnelAdd(final CharSequence name, final int source, final int destination)
    {
        final String n = name.toString();
        apply("IPsec tunnel " + n, () -> program.ipsecTunnel(n, source, destination));
    }

    @Override
    public void onMgrePeerMap(final CharSequence tunnel, final int overlay, final int nbma)
    {
        final String t = tunnel.toString();
        apply("mgre map on " + t, () -> program.mgrePeer(t, overlay, nbma));
    }

    @Override
    public void onMgrePeerUnmap(final CharSequence tunnel, final int overlay, final int nbma)
    {
        log.accept("program: mGRE unmap on " + tunnel + " not supported yet; ignored");
    }

    @Override
    public void onRouteAdd(final int prefix, final int prefixLength, final CharSequence interfaceName,
        final int nextHop)
    {
        final String n = interfaceName.toString();
        apply("route", () ->
        {
            if (n.equalsIgnoreCase("Null0"))
            {
                program.nullRoute(prefix, prefixLength);
            }
            else
            {
                program.route(prefix, prefixLength, n, nextHop);
            }
        });
    }

    @Override
    public void onRouteDelete(final int prefix, final int prefixLength, final CharSequence interfaceName,
        final int nextHop)
    {
        program.removeRoute(prefix, prefixLength);
    }

    @Override
    public void onNeighbourAdd(final CharSequence interfaceName, final int address, final long mac)
    {
        log.accept("program: static neighbours are not applied by the running gateway yet; ignored");
    }

    @Override
    public void onSaAdd(final SaParameters sa)
    {
        final boolean inbound = sa.direction() == Direction.INBOUND;
        final SaSpec spec = new SaSpec(sa.spi(), inbound, sa.mode(), sa.tunnel().toString(), sa.peer(),
            inbound ? sa.tunnelDestination() : sa.tunnelSource(),
            inbound ? sa.udpSourcePort() : sa.udpDestinationPort(),
            sa.encryption(), copy(sa.encryptionKey()), sa.integrity(), copy(sa.integrityKey()), sa.esn(),
            sa.replayWindow(), sa.lifetimeHardSeconds(), sa.lifetimeHardKilobytes());
        apply(spec.toString(), () -> program.addSa(spec));
        spec.wipe();
    }

    private static byte[] copy(final DirectBuffer key)
    {
        final byte[] b = new byte[key.capacity()];
        key.getBytes(0, b);
        return b;
    }

    @Override
    public void onSaDelete(final int spi, final Direction direction)
    {
        apply("SA delete", () -> program.deleteSa(spi, direction == Direction.INBOUND));
    }

    @Override
    public void onSaSwitchOutbound(final int spi)
    {
        log.accept("program: an outbound SA takes over when it is added; switch ignored");
    }

    @Override
    public void onL2tpv2SessionAdd(final CharSequence name, final int localAddress, final int remoteAddress,
        final int localPort, final int remotePort, final int localTunnelId, final int localSessionId,
        final int remoteTunnelId, final int remoteSessionId, final boolean sequencing, final boolean lengthBit)
    {
        log.accept("program: L2TP sessions are applied by the L2TP issue's control side; ignored");
    }

    @Override
    public void onL2tpv2SessionDelete(final int localTunnelId, final int localSessionId)
    {
    }

    @Override
    public void onL2tpv3SessionAdd(final CharSequence xconnectInterface, final Encapsulation encapsulation,
        final int localAddress, final int remoteAddress, final int localSessionId, final int remoteSessionId,
        final long localCookie, final long remoteCookie, final int cookieLength)
    {
        log.accept("program: L2TP sessions are applied by the L2TP issue's control side; ignored");
    }

    @Override
    public void onL2tpv3SessionDelete(final int localSessionId)
    {
    }
}
