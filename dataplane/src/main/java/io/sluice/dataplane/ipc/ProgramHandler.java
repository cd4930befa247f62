package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.l2tp.L2tpSession.Encapsulation;

/**
 * What the dataplane does with the program stream, one callback per message, called on the
 * {@link ProgramAdapter}'s thread. Names ({@link CharSequence}) and {@link SaParameters} are views
 * of the receive buffer, valid during the call only: copy what must be kept. A callback that
 * throws is reported to the context's error handler and the next message is read.
 * <p>
 * Addresses are IPv4 as big-endian ints (10.0.0.1 is 0x0a000001).
 * <p>
 * Connections: {@link #onControlConnected} when a control process's program publication
 * appears, {@link #onControlLost} when it is gone (the process exited or was killed, or a newer
 * control process took over: the newest one is the one listened to). The dataplane keeps
 * forwarding with what it has in between. A control process that connects sends
 * {@link #onBeginState}, its whole state, {@link #onEndState} with the same generation: what the
 * generation did not name is stale and is removed then.
 */
public interface ProgramHandler
{
    void onControlConnected(int sessionId);

    void onControlLost(int sessionId);

    void onBeginState(long generation);

    void onEndState(long generation);

    void onDataplaneSettings(int heartbeatIntervalMillis, int counterSnapshotIntervalMillis, int peerIdleSeconds,
        int icmpErrorsPerSecond);

    void onInterfaceConfig(CharSequence name, int address, int prefixLength, int mtu, int tcpAdjustMss,
        boolean shutdown);

    void onGreTunnelAdd(CharSequence name, int source, int destination, boolean hasKey, int key, boolean sequence,
        int ttl, int mtu);

    void onGreTunnelDelete(CharSequence name);

    void onTunnelProtect(CharSequence name);

    void onIpsecTunnelAdd(CharSequence name, int source, int destination);

    void onMgrePeerMap(CharSequence tunnel, int overlay, int nbma);

    void onMgrePeerUnmap(CharSequence tunnel, int overlay, int nbma);

    void onRouteAdd(int prefix, int prefixLength, CharSequence interfaceName, int nextHop);

    void onRouteDelete(int prefix, int prefixLength, CharSequence interfaceName, int nextHop);

    void onNeighbourAdd(CharSequence interfaceName, int address, long mac);

    /** The keys in {@code sa} are zeroed in the receive buffer as soon as this returns. */
    void onSaAdd(SaParameters sa);

    void onSaDelete(int spi, Direction direction);

    void onSaSwitchOutbound(int spi);

    void onL2tpv2SessionAdd(CharSequence name, int localAddress, int remoteAddress, int localPort, int remotePort,
        int localTunnelId, int localSessionId, int remoteTunnelId, int remoteSessionId, boolean sequencing,
        boolean lengthBit);

    void onL2tpv2SessionDelete(int localTunnelId, int localSessionId);

    void onL2tpv3SessionAdd(CharSequence xconnectInterface, Encapsulation encapsulation, int localAddress,
        int remoteAddress, int localSessionId, int remoteSessionId, long localCookie, long remoteCookie,
        int cookieLength);

    void onL2tpv3SessionDelete(int localSessionId);
}
