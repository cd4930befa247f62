package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import org.agrona.DirectBuffer;

/**
 * What the control process does with the events stream, one callback per message, called on the
 * {@link EventAdapter}'s thread. Names and packets are views of the receive buffer, valid during
 * the call only. Addresses are IPv4 as big-endian ints.
 */
public interface EventHandler
{
    /** A dataplane's events publication appeared (a newer one supersedes an older one). */
    void onDataplaneConnected(int sessionId);

    /** The dataplane's events publication is gone: it exited or died, or a newer one took over. */
    void onDataplaneLost(int sessionId);

    /**
     * Hello, then every heartbeat interval.
     *
     * @param epoch             differs for every start of the dataplane: a new one means its state is gone
     * @param appliedGeneration the last state generation the dataplane ended (0: none)
     */
    void onHeartbeat(long epoch, long pid, long appliedGeneration, long timestampMillis);

    /**
     * A control packet the dataplane does not handle itself (IKE, NHRP, L2TP control).
     *
     * @param reason a {@link io.sluice.dataplane.punt.PuntQueue} reason
     * @param packet from its IPv4 header; capacity = its length
     */
    void onPuntedPacket(int reason, int rxInterfaceIndex, CharSequence rxInterface, DirectBuffer packet);

    /** @param event one {@link io.sluice.dataplane.esp.EspEvents} bit: soft/hard lifetime, sequence soft/exhausted */
    void onSaEvent(int spi, Direction direction, int event);

    /**
     * Packets an inbound SA refused since the last notice.
     *
     * @param status an {@link io.sluice.dataplane.esp.EspStatus} code: replay, too-old, ICV failure, bad padding
     */
    void onSaFailure(int spi, int status, long failures, long lastSequence, int source);

    /** Sent to {@code peer} but nothing received for {@code idleSeconds}: time for an on-demand DPD. */
    void onPeerIdle(CharSequence tunnel, int peer, int outboundSpi, int idleSeconds);

    /** A packet was routed to {@code nextHop} on a multipoint GRE tunnel that has no NBMA mapping for it. */
    void onNoMgreMapping(CharSequence tunnel, int nextHop, int source, int destination);

    /** Counter values; {@code countersFile} (empty for none) holds all of them. */
    void onCounterSnapshot(long timestampNanos, CharSequence countersFile, CounterSnapshotView counters);
}
