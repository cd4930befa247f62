package io.sluice.dataplane.trace;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;

/**
 * The disk side of a capture: an agent on its own thread (never a worker's) that drains the
 * rings of one or more {@link CaptureTap}s into one pcap file, so that a slow disk costs captured
 * frames, counted by the taps, and never forwarding time.
 * <p>
 * It also ends a capture that was armed for a number of frames, by disarming the tap once the
 * worker has put that many in the ring ({@link #isFinished()} then turns true when the ring is
 * empty). Frames of several taps are written in the order they are drained, which is their order
 * within one tap but only approximately across taps.
 * <p>
 * If the file cannot be written the recorder disarms its taps, keeps draining (discarding) so
 * nothing waits, and reports the error through {@link #failure()}.
 */
public final class CaptureRecorder implements Agent
{
    /** Frames drained per tap per duty cycle, so that one busy tap does not starve the others. */
    private static final int DRAIN_LIMIT = 256;

    private final PcapWriter writer;
    private final CaptureTap[] taps;
    private final String roleName;
    private final MessageHandler toFile = this::onFrame;
    private final MessageHandler discard = (msgTypeId, buffer, index, length) ->
    {
    };
    private boolean unflushed;
    private volatile RuntimeException failure;
    private volatile boolean finished;

    /**
     * @param writer the file; the recorder closes it when it closes
     * @param taps   taps of the writer's link type, none drained by another recorder
     */
    public CaptureRecorder(final PcapWriter writer, final CaptureTap... taps)
    {
        if (taps.length == 0)
        {
            throw new IllegalArgumentException("a capture needs at least one tap");
        }
        for (final CaptureTap tap : taps)
        {
            if (tap.linkType() != writer.linkType())
            {
                throw new IllegalArgumentException("tap " + tap.name() + " captures " + tap.linkType() + " frames but " +
                    writer.file() + " holds " + writer.linkType() + ": one file per link type");
            }
        }
        this.writer = writer;
        this.taps = taps.clone();
        this.roleName = "capture-recorder " + writer.file().getFileName();
    }

    @Override
    public int doWork()
    {
        int work = 0;
        boolean allDone = true;
        for (final CaptureTap tap : taps)
        {
            work += drain(tap, DRAIN_LIMIT);
            final boolean disarmed = tap.disarmIfLimitReached();
            allDone &= disarmed && tap.isDrained();
        }
        if (unflushed && (work == 0 || allDone))
        {
            flush();
        }
        finished = allDone && !unflushed;
        return work;
    }

    /** Drains what is left, writes it out and closes the file. */
    @Override
    public void onClose()
    {
        try
        {
            for (final CaptureTap tap : taps)
            {
                while (drain(tap, Integer.MAX_VALUE) > 0)
                {
                    Thread.onSpinWait();
                }
            }
            if (failure == null)
            {
                writer.close();
            }
        }
        catch (final RuntimeException e)
        {
            fail(e);
        }
        finally
        {
            finished = true;
        }
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    /**
     * True once every tap has stopped (its frame count reached, or disarmed) and every frame it
     * captured is in the file. Read from any thread.
     */
    public boolean isFinished()
    {
        return finished;
    }

    /** Why the file stopped being written, or null. */
    public RuntimeException failure()
    {
        return failure;
    }

    /** Records written to the file so far. */
    public long recordsWritten()
    {
        return writer.records();
    }

    public PcapWriter writer()
    {
        return writer;
    }

    private int drain(final CaptureTap tap, final int limit)
    {
        if (failure != null)
        {
            return tap.ring().read(discard, limit);
        }
        try
        {
            return tap.ring().read(toFile, limit);
        }
        catch (final RuntimeException e)
        {
            fail(e);
            return 1;
        }
    }

    private void onFrame(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (msgTypeId != CaptureTap.MSG_TYPE_FRAME)
        {
            return;
        }
        writer.write(buffer.getLong(index + CaptureTap.TIMESTAMP_OFFSET),
            buffer.getInt(index + CaptureTap.ORIGINAL_LENGTH_OFFSET), buffer, index + CaptureTap.RECORD_HEADER_LENGTH,
            length - CaptureTap.RECORD_HEADER_LENGTH);
        unflushed = true;
    }

    private void flush()
    {
        try
        {
            writer.flush();
            unflushed = false;
        }
        catch (final RuntimeException e)
        {
            fail(e);
        }
    }

    private void fail(final RuntimeException e)
    {
        if (failure == null)
        {
            failure = e;
        }
        unflushed = false;
        for (final CaptureTap tap : taps)
        {
            tap.disarm();
        }
        try
        {
            writer.close();
        }
        catch (final RuntimeException ignored)
        {
            // The first failure is the one reported.
        }
    }
}
