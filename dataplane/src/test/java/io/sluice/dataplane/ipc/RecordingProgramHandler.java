package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.l2tp.L2tpSession.Encapsulation;

import java.util.ArrayList;
import java.util.List;

import static io.sluice.dataplane.ipc.IpcTesting.hex;
import static io.sluice.dataplane.ipc.IpcTesting.ip;

/** Writes every callback down as one line holding every field (key bytes included: a test's keys). */
class RecordingProgramHandler implements ProgramHandler
{
    final List<String> lines = new ArrayList<>();
    /** Where the last SA's keys lay in the receive buffer, to look at after the handler returned. */
    long encryptionKeyAddress;
    int encryptionKeyLength;
    long integrityKeyAddress;
    int integrityKeyLength;
    /** The keys were views of direct (log buffer) memory, not of a copy on the heap. */
    boolean keysInDirectMemory;

    @Override
    public void onControlConnected(final int sessionId)
    {
        lines.add("connected " + sessionId);
    }

    @Override
    public void onControlLost(final int sessionId)
    {
        lines.add("lost " + sessionId);
    }

    @Override
    public void onBeginState(final long generation)
    {
        lines.add("begin " + generation);
    }

    @Override
    public void onEndState(final long generation)
    {
        lines.add("end " + generation);
    }

    @Override
    public void onDataplaneSettings(final int heartbeatIntervalMillis, final int counterSnapshotIntervalMillis,
        final int peerIdleSeconds, final int icmpErrorsPerSecond)
    {
        lines.add("settings heartbeat " + heartbeatIntervalMillis + " counters " + counterSnapshotIntervalMillis +
            " idle " + peerIdleSeconds + " icmp " + icmpErrorsPerSecond);
    }

    @Override
    public void onInterfaceConfig(final CharSequence name, final int address, final int prefixLength, final int mtu,
        final int tcpAdjustMss, final boolean shutdown)
    {
        lines.add("interface " + name + " " + ip(address) + "/" + prefixLength + " mtu " + mtu + " mss " +
            tcpAdjustMss + " shutdown " + shutdown);
    }

    @Override
    public void onGreTunnelAdd(final CharSequence name, final int source, final int destination, final boolean hasKey,
        final int key, final boolean sequence, final int ttl, final int mtu)
    {
        lines.add("gre add " + name + " " + ip(source) + " -> " + ip(destination) + " hasKey " + hasKey + " key " + key +
            " sequence " + sequence + " ttl " + ttl + " mtu " + mtu);
    }

    @Override
    public void onGreTunnelDelete(final CharSequence name)
    {
        lines.add("gre delete " + name);
    }

    @Override
    public void onTunnelProtect(final CharSequence name)
    {
        lines.add("protect " + name);
    }

    @Override
    public void onIpsecTunnelAdd(final CharSequence name, final int source, final int destination)
    {
        lines.add("ipsec " + name + " " + source + " " + destination);
    }

    @Override
    public void onMgrePeerMap(final CharSequence tunnel, final int overlay, final int nbma)
    {
        lines.add("map " + tunnel + " " + ip(overlay) + " -> " + ip(nbma));
    }

    @Override
    public void onMgrePeerUnmap(final CharSequence tunnel, final int overlay, final int nbma)
    {
        lines.add("unmap " + tunnel + " " + ip(overlay) + " -> " + ip(nbma));
    }

    @Override
    public void onRouteAdd(final int prefix, final int prefixLength, final CharSequence interfaceName,
        final int nextHop)
    {
        lines.add("route add " + ip(prefix) + "/" + prefixLength + " " + interfaceName + " via " + ip(nextHop));
    }

    @Override
    public void onRouteDelete(final int prefix, final int prefixLength, final CharSequence interfaceName,
        final int nextHop)
    {
        lines.add("route delete " + ip(prefix) + "/" + prefixLength + " " + interfaceName + " via " + ip(nextHop));
    }

    @Override
    public void onNeighbourAdd(final CharSequence interfaceName, final int address, final long mac)
    {
        lines.add("neighbour " + interfaceName + " " + ip(address) + " " + Long.toHexString(mac));
    }

    @Override
    public void onSaAdd(final SaParameters sa)
    {
        encryptionKeyAddress = sa.encryptionKey().addressOffset();
        encryptionKeyLength = sa.encryptionKey().capacity();
        integrityKeyAddress = sa.integrityKey().addressOffset();
        integrityKeyLength = sa.integrityKey().capacity();
        keysInDirectMemory = sa.encryptionKey().byteArray() == null && sa.integrityKey().byteArray() == null;
        lines.add("sa add spi " + Integer.toHexString(sa.spi()) + " " + sa.direction() + " " + sa.mode() + " peer " +
            ip(sa.peer()) + " tunnel " + sa.tunnel() + " " + ip(sa.tunnelSource()) + " -> " +
            ip(sa.tunnelDestination()) + " udp " + sa.udpSourcePort() + "->" + sa.udpDestinationPort() + " " +
            sa.encryption().name() + " " + hex(sa.encryptionKey()) + " " + sa.integrity().name() + " " +
            hex(sa.integrityKey()) + " icv " + sa.icvLength() + " esn " + sa.esn() + " window " + sa.replayWindow() +
            " initial " + sa.initialSequence() + " ttl " + sa.ttl() + " df " + sa.dfBit() + " seconds " +
            sa.lifetimeSoftSeconds() + "/" + sa.lifetimeHardSeconds() + " kilobytes " + sa.lifetimeSoftKilobytes() +
            "/" + sa.lifetimeHardKilobytes());
    }

    @Override
    public void onSaDelete(final int spi, final Direction direction)
    {
        lines.add("sa delete spi " + Integer.toHexString(spi) + " " + direction);
    }

    @Override
    public void onSaSwitchOutbound(final int spi)
    {
        lines.add("sa switch spi " + Integer.toHexString(spi));
    }

    @Override
    public void onL2tpv2SessionAdd(final CharSequence name, final int localAddress, final int remoteAddress,
        final int localPort, final int remotePort, final int localTunnelId, final int localSessionId,
        final int remoteTunnelId, final int remoteSessionId, final boolean sequencing, final boolean lengthBit)
    {
        lines.add("l2tpv2 add " + name + " " + ip(localAddress) + ":" + localPort + " -> " + ip(remoteAddress) + ":" +
            remotePort + " local " + localTunnelId + "/" + localSessionId + " remote " + remoteTunnelId + "/" +
            remoteSessionId + " sequencing " + sequencing + " length " + lengthBit);
    }

    @Override
    public void onL2tpv2SessionDelete(final int localTunnelId, final int localSessionId)
    {
        lines.add("l2tpv2 delete " + localTunnelId + "/" + localSessionId);
    }

    @Override
    public void onL2tpv3SessionAdd(final CharSequence xconnectInterface, final Encapsulation encapsulation,
        final int localAddress, final int remoteAddress, final int localSessionId, final int remoteSessionId,
        final long localCookie, final long remoteCookie, final int cookieLength)
    {
        lines.add("l2tpv3 add " + xconnectInterface + " " + encapsulation + " " + ip(localAddress) + " -> " +
            ip(remoteAddress) + " sessions " + Integer.toUnsignedString(localSessionId) + "/" +
            Integer.toUnsignedString(remoteSessionId) + " cookies " + Long.toHexString(localCookie) + "/" +
            Long.toHexString(remoteCookie) + " length " + cookieLength);
    }

    @Override
    public void onL2tpv3SessionDelete(final int localSessionId)
    {
        lines.add("l2tpv3 delete " + Integer.toUnsignedString(localSessionId));
    }
}
