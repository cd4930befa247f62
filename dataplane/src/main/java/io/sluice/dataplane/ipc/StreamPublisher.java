package io.sluice.dataplane.ipc;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.sluice.dataplane.ipc.codecs.MessageHeaderEncoder;
import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

/**
 * The writing half every proxy shares: one exclusive publication, one reusable encode buffer (a
 * message is encoded there with flyweights, then offered), and the two ways of dealing with a
 * refused offer. The control side {@link #send}s: it waits out back-pressure and a dataplane that
 * is not (yet) subscribed for a bounded time, then throws an exception that says which. The
 * dataplane {@link #trySend}s: a few attempts, then the message is dropped and counted, because
 * forwarding must not wait for a control process that may be dead.
 */
final class StreamPublisher implements AutoCloseable
{
    private final ExclusivePublication publication;
    private final String stream;
    private final long timeoutNs;
    private final int attempts;
    private final IdleStrategy idle = new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1),
        TimeUnit.MILLISECONDS.toNanos(1));
    final UnsafeBuffer buffer;
    final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private long sent;
    private long dropped;

    StreamPublisher(final ExclusivePublication publication, final String stream, final long timeoutNs,
        final int attempts)
    {
        this.publication = publication;
        this.stream = stream;
        this.timeoutNs = timeoutNs;
        this.attempts = attempts;
        this.buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            Math.min(publication.maxMessageLength(), 1 << 20), 64));
    }

    /** Control side: offers {@code length} bytes of the buffer, retrying until the timeout, else throws. */
    void send(final int length)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        idle.reset();
        while (true)
        {
            final long result = publication.offer(buffer, 0, length);
            if (result > 0)
            {
                sent++;
                return;
            }
            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED ||
                System.nanoTime() - deadline >= 0)
            {
                dropped++;
                throw new IpcException(failure(result, length));
            }
            idle.idle();
        }
    }

    /** Data side: up to {@code attempts} offers; false (and counted) when the message could not go. */
    boolean trySend(final int length)
    {
        for (int i = 0; i < attempts; i++)
        {
            final long result = publication.offer(buffer, 0, length);
            if (result > 0)
            {
                sent++;
                return true;
            }
            if (result == Publication.NOT_CONNECTED || result == Publication.CLOSED ||
                result == Publication.MAX_POSITION_EXCEEDED)
            {
                break;
            }
            Thread.onSpinWait();
        }
        dropped++;
        return false;
    }

    private String failure(final long result, final int length)
    {
        final String waited = TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms";
        if (result == Publication.NOT_CONNECTED)
        {
            return stream + " stream: nobody subscribed within " + waited + "; is the " + reader() +
                " running on the Aeron directory this process uses?";
        }
        if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION)
        {
            return stream + " stream: back-pressured for " + waited + " (the " + reader() + " reads nothing; " +
                "stuck, or far behind) with a " + length + "-byte message to send";
        }
        if (result == Publication.CLOSED)
        {
            return stream + " stream: the publication is closed";
        }
        return stream + " stream: the publication reached its maximum position; it must be re-created";
    }

    private String reader()
    {
        return stream.equals("events") ? "control process" : "dataplane";
    }

    /** Throws unless a message of {@code length} bytes fits the buffer and the publication. */
    void checkLength(final int length)
    {
        if (length > buffer.capacity())
        {
            throw new IpcException(stream + " stream: a " + length + "-byte message is longer than the " +
                buffer.capacity() + " bytes a message can have");
        }
    }

    /** The longest message that goes in one frame, unfragmented (the receiver sees it in the log buffer itself). */
    int maxPayloadLength()
    {
        return publication.maxPayloadLength();
    }

    boolean isConnected()
    {
        return publication.isConnected();
    }

    int sessionId()
    {
        return publication.sessionId();
    }

    long sent()
    {
        return sent;
    }

    long dropped()
    {
        return dropped;
    }

    @Override
    public void close()
    {
        CloseHelper.close(publication);
        buffer.setMemory(0, buffer.capacity(), (byte)0);
    }
}
