package io.sluice.dataplane.ipc;

import io.aeron.ExclusivePublication;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.ipc.codecs.CounterSnapshotEncoder;
import io.sluice.dataplane.ipc.codecs.HeartbeatEncoder;
import io.sluice.dataplane.ipc.codecs.MessageHeaderEncoder;
import io.sluice.dataplane.ipc.codecs.NoMgreMappingEncoder;
import io.sluice.dataplane.ipc.codecs.PeerIdleEncoder;
import io.sluice.dataplane.ipc.codecs.PuntReason;
import io.sluice.dataplane.ipc.codecs.PuntedPacketEncoder;
import io.sluice.dataplane.ipc.codecs.SaEventEncoder;
import io.sluice.dataplane.ipc.codecs.SaEventType;
import io.sluice.dataplane.ipc.codecs.SaFailureEncoder;
import io.sluice.dataplane.ipc.codecs.SaFailureType;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.MemorySegment;

/**
 * The dataplane's writer of the events stream: one method per event, flyweight-encoded into one
 * reusable buffer, nothing allocated per event. The dataplane must not wait for a control
 * process that may be dead or gone: each event is offered a few times and, when it cannot go
 * (no control process, back-pressure), dropped and counted; every method says which with its
 * result. One thread uses a proxy (the dataplane's control agent).
 */
public final class EventProxy implements AutoCloseable
{
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;

    /** The counters of a snapshot, by position 0..count-1. */
    public interface CounterSource
    {
        int count();

        int counterId(int index);

        CharSequence label(int index);

        long value(int index);
    }

    private final StreamPublisher out;
    private final HeartbeatEncoder heartbeat = new HeartbeatEncoder();
    private final PuntedPacketEncoder puntedPacket = new PuntedPacketEncoder();
    private final SaEventEncoder saEvent = new SaEventEncoder();
    private final SaFailureEncoder saFailure = new SaFailureEncoder();
    private final PeerIdleEncoder peerIdle = new PeerIdleEncoder();
    private final NoMgreMappingEncoder noMgreMapping = new NoMgreMappingEncoder();
    private final CounterSnapshotEncoder counterSnapshot = new CounterSnapshotEncoder();
    private final UnsafeBuffer segmentView = new UnsafeBuffer(new byte[0]);

    EventProxy(final ExclusivePublication publication, final int attempts)
    {
        this.out = new StreamPublisher(publication, "events", 0, attempts);
    }

    /** True while a control process subscribes. */
    public boolean isConnected()
    {
        return out.isConnected();
    }

    public int sessionId()
    {
        return out.sessionId();
    }

    /** @param appliedGeneration the last state generation ended, 0 for none */
    public boolean heartbeat(final long epoch, final long pid, final long appliedGeneration, final long timestampMillis)
    {
        heartbeat.wrapAndApplyHeader(out.buffer, 0, out.header)
            .epoch(epoch)
            .pid(pid)
            .appliedGeneration(appliedGeneration)
            .timestampMillis(timestampMillis);
        return out.trySend(HEADER + heartbeat.encodedLength());
    }

    /**
     * A punted control packet.
     *
     * @param reason a {@link io.sluice.dataplane.punt.PuntQueue} reason (IKE, NHRP, L2TP_CONTROL, ESP)
     */
    public boolean puntedPacket(final int reason, final int rxInterfaceIndex, final CharSequence rxInterface,
        final DirectBuffer packet, final int offset, final int length)
    {
        puntedPacket.wrapAndApplyHeader(out.buffer, 0, out.header)
            .reason(puntReason(reason))
            .rxInterfaceIndex(rxInterfaceIndex)
            .rxInterface(rxInterface)
            .putPacket(packet, offset, length);
        return out.trySend(HEADER + puntedPacket.encodedLength());
    }

    /** A punted control packet straight from frame memory. */
    public boolean puntedPacket(final int reason, final int rxInterfaceIndex, final CharSequence rxInterface,
        final MemorySegment memory, final long at, final int length)
    {
        segmentView.wrap(memory.address() + at, length);
        return puntedPacket(reason, rxInterfaceIndex, rxInterface, segmentView, 0, length);
    }

    /** @param event one {@link io.sluice.dataplane.esp.EspEvents} bit */
    public boolean saEvent(final int spi, final Direction direction, final int event)
    {
        saEvent.wrapAndApplyHeader(out.buffer, 0, out.header)
            .spi(spi)
            .direction(IpcCodes.direction(direction))
            .eventType(SaEventType.get((short)event));
        return out.trySend(HEADER + saEvent.encodedLength());
    }

    /**
     * @param status   an {@link io.sluice.dataplane.esp.EspStatus} code: REPLAY, TOO_OLD, ICV_FAILURE or BAD_PADDING
     * @param failures packets refused since the last notice
     */
    public boolean saFailure(final int spi, final int status, final long failures, final long lastSequence,
        final int source)
    {
        saFailure.wrapAndApplyHeader(out.buffer, 0, out.header)
            .spi(spi)
            .failureType(SaFailureType.get((short)status))
            .failures(failures)
            .lastSequence(lastSequence)
            .source(source);
        return out.trySend(HEADER + saFailure.encodedLength());
    }

    public boolean peerIdle(final CharSequence tunnel, final int peer, final int outboundSpi, final int idleSeconds)
    {
        peerIdle.wrapAndApplyHeader(out.buffer, 0, out.header)
            .peer(peer)
            .outboundSpi(outboundSpi)
            .idleSeconds(idleSeconds)
            .tunnel(tunnel);
        return out.trySend(HEADER + peerIdle.encodedLength());
    }

    public boolean noMgreMapping(final CharSequence tunnel, final int nextHop, final int source, final int destination)
    {
        noMgreMapping.wrapAndApplyHeader(out.buffer, 0, out.header)
            .nextHop(nextHop)
            .source(source)
            .destination(destination)
            .tunnel(tunnel);
        return out.trySend(HEADER + noMgreMapping.encodedLength());
    }

    /**
     * Counter values (any subset: none at all when the control process reads the counters file).
     *
     * @param countersFile the file that holds every counter, empty for none
     * @throws IpcException when the snapshot is longer than a message can be: send it in parts
     */
    public boolean counterSnapshot(final long timestampNanos, final CharSequence countersFile,
        final CounterSource counters)
    {
        final int count = counters.count();
        long length = HEADER + CounterSnapshotEncoder.BLOCK_LENGTH + 4 + 2 + countersFile.length();
        for (int i = 0; i < count; i++)
        {
            length += CounterSnapshotEncoder.CountersEncoder.sbeBlockLength() + 2 + counters.label(i).length();
        }
        if (count > 0xfffe || length > Integer.MAX_VALUE)
        {
            throw new IpcException("events stream: a snapshot of " + count + " counters is too long for a message");
        }
        out.checkLength((int)length);
        final CounterSnapshotEncoder.CountersEncoder group = counterSnapshot
            .wrapAndApplyHeader(out.buffer, 0, out.header)
            .timestampNanos(timestampNanos)
            .countersCount(count);
        for (int i = 0; i < count; i++)
        {
            group.next().counterId(counters.counterId(i)).value(counters.value(i)).label(counters.label(i));
        }
        counterSnapshot.countersFile(countersFile);
        return out.trySend(HEADER + counterSnapshot.encodedLength());
    }

    /** Events sent, and events dropped (no control process, or it did not keep up). */
    public long sent()
    {
        return out.sent();
    }

    public long dropped()
    {
        return out.dropped();
    }

    @Override
    public void close()
    {
        out.close();
    }

    private static PuntReason puntReason(final int reason)
    {
        return PuntReason.get((short)reason);
    }
}
