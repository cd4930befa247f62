package io.sluice.dataplane.ipc;

import io.aeron.FragmentAssembler;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.sluice.dataplane.ipc.codecs.MessageHeaderDecoder;
import org.agrona.AsciiSequenceView;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.function.Consumer;

/**
 * The reading half every adapter shares: an {@link Agent} that polls one subscription, listens
 * to one publisher at a time and hands whole messages to {@link #onMessage}.
 * <p>
 * One publisher at a time: the newest image (the latest process to connect) is the current one.
 * When it appears the subclass hears {@link #onPublisherConnected}; when it goes (its process
 * exited or died and the driver timed it out) or a newer one supersedes it,
 * {@link #onPublisherLost}. A superseded publisher is never listened to again: its images are
 * drained and their messages discarded (counted), because a control process that is being
 * replaced must not mix its last messages into its successor's full state. Image changes are
 * found by looking at the subscription's images on this thread, so the callbacks come in order
 * with the messages.
 * <p>
 * Nothing is allocated per message: decoders and views are fields, lambdas are made once.
 */
abstract class StreamAdapter implements Agent, FragmentHandler, AutoCloseable
{
    static final int DEFAULT_FRAGMENT_LIMIT = 64;

    private final Subscription subscription;
    private final String roleName;
    private final ErrorHandler errorHandler;
    private final FragmentAssembler assembler = new FragmentAssembler(this);
    private final Consumer<Image> findNewest = this::findNewest;
    private final Consumer<Image> drainSuperseded = this::drainSuperseded;
    private final FragmentHandler discard = this::discard;
    final MessageHeaderDecoder messageHeader = new MessageHeaderDecoder();
    private Image current;
    private Image newest;
    private long adopted = Long.MIN_VALUE;
    private int drained;
    private long messages;
    private long discarded;
    private long unknown;
    private long failed;

    StreamAdapter(final Subscription subscription, final String roleName, final ErrorHandler errorHandler)
    {
        this.subscription = subscription;
        this.roleName = roleName;
        this.errorHandler = errorHandler;
    }

    /** Polls: image changes first, then up to {@value #DEFAULT_FRAGMENT_LIMIT} fragments of the current publisher. */
    @Override
    public int doWork()
    {
        return poll(DEFAULT_FRAGMENT_LIMIT);
    }

    public int poll(final int fragmentLimit)
    {
        int work = 0;
        if (current != null && current.isClosed())
        {
            final int sessionId = current.sessionId();
            current = null;
            assembler.freeSessionBuffer(sessionId);
            onPublisherLost(sessionId);
            work++;
        }
        newest = null;
        subscription.forEachImage(findNewest);
        if (newest != null)
        {
            if (current != null)
            {
                final int sessionId = current.sessionId();
                assembler.freeSessionBuffer(sessionId);
                onPublisherLost(sessionId);
            }
            current = newest;
            newest = null;
            adopted = current.correlationId();
            onPublisherConnected(current.sessionId());
            work++;
        }
        if (current != null)
        {
            work += current.poll(assembler, fragmentLimit);
        }
        if (subscription.imageCount() > (current == null ? 0 : 1))
        {
            drained = 0;
            subscription.forEachImage(drainSuperseded);
            work += drained;
        }
        return work;
    }

    /** Images newer than the last one adopted: a publisher connected since. */
    private void findNewest(final Image image)
    {
        if (image.correlationId() > adopted && !image.isClosed() &&
            (newest == null || image.correlationId() > newest.correlationId()))
        {
            newest = image;
        }
    }

    /**
     * Images older than the one adopted: superseded publishers, never listened to again (their
     * messages would be increments to a state their successor has replaced). A newer image that
     * appeared since {@link #findNewest} ran is left alone for the next poll to adopt.
     */
    private void drainSuperseded(final Image image)
    {
        if (image.correlationId() < adopted)
        {
            drained += image.poll(discard, DEFAULT_FRAGMENT_LIMIT);
        }
    }

    private void discard(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        discarded++;
    }

    @Override
    public final void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        messages++;
        try
        {
            if (length < MessageHeaderDecoder.ENCODED_LENGTH)
            {
                throw new IllegalArgumentException(roleName + ": a " + length + "-byte message has no header");
            }
            messageHeader.wrap(buffer, offset);
            if (messageHeader.schemaId() != MessageHeaderDecoder.SCHEMA_ID)
            {
                unknown++;
                return;
            }
            if (!onMessage(messageHeader.templateId(), buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH,
                messageHeader.blockLength(), messageHeader.version()))
            {
                unknown++;
            }
        }
        catch (final RuntimeException e)
        {
            failed++;
            errorHandler.onError(e);
        }
    }

    /**
     * One message; false when its template is not this stream's (counted as unknown).
     *
     * @param offset where the message's block starts, after the header
     */
    abstract boolean onMessage(int templateId, DirectBuffer buffer, int offset, int blockLength, int version);

    void onPublisherConnected(final int sessionId)
    {
    }

    void onPublisherLost(final int sessionId)
    {
    }

    /** A malformed value in a message: thrown on the control path, reported to the error handler. */
    final IllegalArgumentException malformed(final String what, final int raw)
    {
        return new IllegalArgumentException(roleName + ": message " + messageHeader.templateId() + " has an unknown " +
            what + " value " + raw);
    }

    /** The session ID of the publisher listened to, or 0 when none is connected. */
    public int currentSessionId()
    {
        return current == null ? 0 : current.sessionId();
    }

    public boolean isPublisherConnected()
    {
        return current != null;
    }

    /** Messages read from the current publisher (handled, unknown or failed). */
    public long messages()
    {
        return messages;
    }

    /** Fragments of superseded publishers, thrown away. */
    public long discarded()
    {
        return discarded;
    }

    /** Messages of another schema or of a template this stream does not carry. */
    public long unknown()
    {
        return unknown;
    }

    /** Messages that did not decode or whose handler threw (each went to the error handler). */
    public long failed()
    {
        return failed;
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    @Override
    public void onClose()
    {
        CloseHelper.close(subscription);
    }

    @Override
    public void close()
    {
        onClose();
    }

    /** A var-data name as a CharSequence over the receive buffer: no copy, no allocation. */
    static final class NameView
    {
        final UnsafeBuffer bytes = new UnsafeBuffer(new byte[0]);
        private final AsciiSequenceView view = new AsciiSequenceView();

        CharSequence view()
        {
            return view.wrap(bytes, 0, bytes.capacity());
        }
    }
}
