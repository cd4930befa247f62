package io.sluice.dataplane.ipc;

import io.aeron.Subscription;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.ipc.codecs.CounterSnapshotDecoder;
import io.sluice.dataplane.ipc.codecs.HeartbeatDecoder;
import io.sluice.dataplane.ipc.codecs.NoMgreMappingDecoder;
import io.sluice.dataplane.ipc.codecs.PeerIdleDecoder;
import io.sluice.dataplane.ipc.codecs.PuntedPacketDecoder;
import io.sluice.dataplane.ipc.codecs.SaEventDecoder;
import io.sluice.dataplane.ipc.codecs.SaFailureDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The control process's reader of the events stream: an {@link org.agrona.concurrent.Agent} that
 * decodes each event with a reusable flyweight and calls its {@link EventHandler}. A dataplane
 * restart shows as {@link EventHandler#onDataplaneLost} then {@link EventHandler#onDataplaneConnected}
 * and a heartbeat with a new epoch.
 */
public final class EventAdapter extends StreamAdapter
{
    private final EventHandler handler;
    private final HeartbeatDecoder heartbeat = new HeartbeatDecoder();
    private final PuntedPacketDecoder puntedPacket = new PuntedPacketDecoder();
    private final SaEventDecoder saEvent = new SaEventDecoder();
    private final SaFailureDecoder saFailure = new SaFailureDecoder();
    private final PeerIdleDecoder peerIdle = new PeerIdleDecoder();
    private final NoMgreMappingDecoder noMgreMapping = new NoMgreMappingDecoder();
    private final CounterSnapshotDecoder counterSnapshot = new CounterSnapshotDecoder();
    private final CounterSnapshotView counters = new CounterSnapshotView();
    private final NameView name = new NameView();
    private final UnsafeBuffer packet = new UnsafeBuffer(new byte[0]);

    EventAdapter(final Subscription subscription, final EventHandler handler, final ErrorHandler errorHandler)
    {
        super(subscription, "sluice-event-adapter", errorHandler);
        this.handler = handler;
    }

    @Override
    void onPublisherConnected(final int sessionId)
    {
        handler.onDataplaneConnected(sessionId);
    }

    @Override
    void onPublisherLost(final int sessionId)
    {
        handler.onDataplaneLost(sessionId);
    }

    @Override
    boolean onMessage(final int templateId, final DirectBuffer buffer, final int offset, final int blockLength,
        final int version)
    {
        switch (templateId)
        {
            case HeartbeatDecoder.TEMPLATE_ID ->
            {
                final HeartbeatDecoder d = heartbeat.wrap(buffer, offset, blockLength, version);
                handler.onHeartbeat(d.epoch(), d.pid(), d.appliedGeneration(), d.timestampMillis());
            }
            case PuntedPacketDecoder.TEMPLATE_ID ->
            {
                final PuntedPacketDecoder d = puntedPacket.wrap(buffer, offset, blockLength, version);
                final short reason = d.reasonRaw();
                final int rxInterfaceIndex = d.rxInterfaceIndex();
                d.wrapRxInterface(name.bytes);
                d.wrapPacket(packet);
                handler.onPuntedPacket(reason, rxInterfaceIndex, name.view(), packet);
            }
            case SaEventDecoder.TEMPLATE_ID ->
            {
                final SaEventDecoder d = saEvent.wrap(buffer, offset, blockLength, version);
                final Direction direction = IpcCodes.direction(d.directionRaw());
                if (direction == null)
                {
                    throw malformed("direction", d.directionRaw());
                }
                handler.onSaEvent(d.spi(), direction, d.eventTypeRaw());
            }
            case SaFailureDecoder.TEMPLATE_ID ->
            {
                final SaFailureDecoder d = saFailure.wrap(buffer, offset, blockLength, version);
                handler.onSaFailure(d.spi(), d.failureTypeRaw(), d.failures(), d.lastSequence(), d.source());
            }
            case PeerIdleDecoder.TEMPLATE_ID ->
            {
                final PeerIdleDecoder d = peerIdle.wrap(buffer, offset, blockLength, version);
                final int peer = d.peer();
                final int outboundSpi = d.outboundSpi();
                final int idleSeconds = d.idleSeconds();
                d.wrapTunnel(name.bytes);
                handler.onPeerIdle(name.view(), peer, outboundSpi, idleSeconds);
            }
            case NoMgreMappingDecoder.TEMPLATE_ID ->
            {
                final NoMgreMappingDecoder d = noMgreMapping.wrap(buffer, offset, blockLength, version);
                final int nextHop = d.nextHop();
                final int source = d.source();
                final int destination = d.destination();
                d.wrapTunnel(name.bytes);
                handler.onNoMgreMapping(name.view(), nextHop, source, destination);
            }
            case CounterSnapshotDecoder.TEMPLATE_ID -> onCounterSnapshot(buffer, offset, blockLength, version);
            default ->
            {
                return false;
            }
        }
        return true;
    }

    private void onCounterSnapshot(final DirectBuffer buffer, final int offset, final int blockLength,
        final int version)
    {
        // the file name follows the counters on the wire: walk past them to it, then rewind for the handler
        final CounterSnapshotDecoder d = counterSnapshot.wrap(buffer, offset, blockLength, version);
        final long timestampNanos = d.timestampNanos();
        final CounterSnapshotDecoder.CountersDecoder group = d.counters();
        while (group.hasNext())
        {
            group.next().skipLabel();
        }
        d.wrapCountersFile(name.bytes);
        d.sbeRewind();
        counters.wrap(d.counters());
        handler.onCounterSnapshot(timestampNanos, name.view(), counters);
    }
}
