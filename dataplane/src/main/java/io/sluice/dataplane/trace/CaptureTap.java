package io.sluice.dataplane.trace;

import io.sluice.dataplane.counters.CounterType;
import io.sluice.dataplane.counters.CountersFile;
import io.sluice.dataplane.frame.Burst;
import org.agrona.BufferUtil;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A capture point on the data path (a port's receive or transmit, a stage's input), VPP's
 * {@code trace add} and tcpdump in one: while armed, the worker copies each frame it passes, with
 * its timestamp, into a preallocated single-producer ring, and a {@link CaptureRecorder} on
 * another thread drains the ring to a pcap file. The worker never waits for the disk: when the
 * ring is full the frame is not captured and {@link #droppedFrames()} goes up.
 * <p>
 * Off by default. An unarmed tap costs the worker one volatile read and one branch per call,
 * so a port or stage keeps its tap in place always and {@code sluice ctl capture} arms it.
 * <p>
 * Threads: one worker thread calls {@link #capture} (the ring has one producer; a stage run by
 * several workers has a tap per worker). Arming and disarming are control-path calls from any
 * thread. The captured and dropped counts are {@link AtomicCounter}s the worker alone writes,
 * so they can live in the dataplane's counters file (type CAPTURE).
 * <p>
 * Ring record: {@code long epochNanos, int originalLength, int unused, bytes[capturedLength]}.
 */
public final class CaptureTap implements AutoCloseable
{
    /** Enough for ~700 full 1500-byte frames between two drains of the recorder. */
    public static final int DEFAULT_RING_CAPACITY = 1 << 20;
    /** The per-frame header in the ring, before the frame's bytes. */
    public static final int RECORD_HEADER_LENGTH = 16;
    static final int TIMESTAMP_OFFSET = 0;
    static final int ORIGINAL_LENGTH_OFFSET = 8;
    static final int MSG_TYPE_FRAME = 1;
    /** The key item of a tap's captured-frames counter ({@link CounterType#CAPTURE}). */
    public static final int ITEM_CAPTURED = 1;
    /** The key item of a tap's dropped-frames counter ({@link CounterType#CAPTURE}). */
    public static final int ITEM_DROPPED = 2;

    private final String name;
    private final PcapLinkType linkType;
    private final int snapLength;
    private final EpochNanoClock clock;
    private final AtomicCounter captured;
    private final AtomicCounter dropped;
    private final Arena arena;
    private final MemorySegment ringMemory;
    private final UnsafeBuffer ringBuffer;
    private final OneToOneRingBuffer ring;

    /** The worker reads this on every call; everything else is read only when it is true. */
    private volatile boolean armed;
    /** The captured count at which to stop; written before {@link #armed} is set, so the worker sees it. */
    private long stopAt = Long.MAX_VALUE;

    /**
     * A tap with a 1 MiB ring, whole frames up to 64 KiB, and counts of its own (not in the
     * counters file).
     */
    public CaptureTap(final String name, final PcapLinkType linkType)
    {
        this(name, linkType, DEFAULT_RING_CAPACITY, PcapWriter.DEFAULT_SNAP_LENGTH, new OffsetEpochNanoClock(),
            standaloneCounter(), standaloneCounter());
    }

    /**
     * A tap whose captured and dropped counts are in the dataplane's counters file, labelled
     * {@code capture <name>: frames} and {@code capture <name>: dropped (ring full)}, so that
     * {@code show counters} tells a person their capture is missing frames. The counters outlive
     * {@link #close()}: free them through the counters file when the tap goes.
     *
     * @param tapId the key of both counters
     */
    public static CaptureTap inCountersFile(final CountersFile counters, final int tapId, final String name,
        final PcapLinkType linkType)
    {
        final AtomicCounter captured = counters.allocate(CounterType.CAPTURE, tapId, ITEM_CAPTURED,
            "capture " + name + ": frames");
        final AtomicCounter dropped = counters.allocate(CounterType.CAPTURE, tapId, ITEM_DROPPED,
            "capture " + name + ": dropped (ring full)");
        return new CaptureTap(name, linkType, DEFAULT_RING_CAPACITY, PcapWriter.DEFAULT_SNAP_LENGTH,
            new OffsetEpochNanoClock(), captured, dropped);
    }

    /**
     * @param ringCapacity bytes for frames in flight, a power of two; at least 8 times the largest
     *                     record ({@link #RECORD_HEADER_LENGTH} + snap length), the ring's limit
     * @param snapLength   the most bytes kept of a frame
     * @param clock        epoch time of a capture; {@link OffsetEpochNanoClock} reads it without a
     *                     system call, one per frame or per burst
     * @param captured     counts frames put in the ring
     * @param dropped      counts frames not captured because the ring was full
     */
    public CaptureTap(final String name, final PcapLinkType linkType, final int ringCapacity, final int snapLength,
        final EpochNanoClock clock, final AtomicCounter captured, final AtomicCounter dropped)
    {
        if (snapLength < 1 || snapLength > PcapWriter.MAX_SNAP_LENGTH)
        {
            throw new IllegalArgumentException("snap length " + snapLength + " must be in [1, " +
                PcapWriter.MAX_SNAP_LENGTH + "]");
        }
        if (ringCapacity <= 0 || Integer.bitCount(ringCapacity) != 1)
        {
            throw new IllegalArgumentException("capture ring capacity " + ringCapacity + " must be a power of two");
        }
        final int longestRecord = RECORD_HEADER_LENGTH + snapLength;
        if (ringCapacity / 8 < longestRecord)
        {
            throw new IllegalArgumentException("capture ring capacity " + ringCapacity + " is too small for snap length " +
                snapLength + ": a ring takes records up to 1/8 of its capacity, so use at least " +
                Integer.highestOneBit(longestRecord * 8 - 1) * 2);
        }
        this.name = name;
        this.linkType = linkType;
        this.snapLength = snapLength;
        this.clock = clock;
        this.captured = captured;
        this.dropped = dropped;
        this.arena = Arena.ofShared();
        final int length = ringCapacity + RingBufferDescriptor.TRAILER_LENGTH;
        this.ringMemory = arena.allocate(length, 64);
        this.ringBuffer = new UnsafeBuffer(ringMemory.address(), length);
        this.ring = new OneToOneRingBuffer(ringBuffer);
    }

    public String name()
    {
        return name;
    }

    public PcapLinkType linkType()
    {
        return linkType;
    }

    public int snapLength()
    {
        return snapLength;
    }

    /**
     * Captures one frame if armed. Called by the worker; copies at most the snap length, allocates
     * nothing, never blocks or throws.
     *
     * @param memory the frame memory (a UMEM, a pool)
     * @param offset where the frame starts in it
     * @param length the frame's length
     */
    public void capture(final MemorySegment memory, final long offset, final int length)
    {
        if (armed)
        {
            record(memory, offset, length, clock.nanoTime());
        }
    }

    /** Captures every frame of a burst if armed, with one timestamp for the burst. */
    public void capture(final Burst burst)
    {
        if (armed)
        {
            final MemorySegment memory = burst.memory();
            final long now = clock.nanoTime();
            for (int i = 0, count = burst.count(); i < count; i++)
            {
                record(memory, burst.address(i), burst.length(i), now);
            }
        }
    }

    public boolean isArmed()
    {
        return armed;
    }

    /**
     * Starts capturing.
     *
     * @param maxFrames stop after this many more frames, or 0 to capture until {@link #disarm()}
     */
    public synchronized void arm(final long maxFrames)
    {
        if (maxFrames < 0)
        {
            throw new IllegalArgumentException("frame count " + maxFrames + " must be 0 (no limit) or more");
        }
        final long already = captured.get();
        stopAt = maxFrames == 0 || maxFrames > Long.MAX_VALUE - already ? Long.MAX_VALUE : already + maxFrames;
        armed = true;
    }

    /** Stops capturing; frames already in the ring are still written by the recorder. */
    public synchronized void disarm()
    {
        armed = false;
    }

    /**
     * Disarms the tap once it has captured the frames it was armed for, so that the worker goes
     * back to paying one branch. Called by the recorder, not the worker, so that the worker never
     * writes the armed flag and an arm from the control thread cannot be lost.
     *
     * @return true if the tap is (now) disarmed
     */
    synchronized boolean disarmIfLimitReached()
    {
        if (armed && captured.get() >= stopAt)
        {
            armed = false;
        }
        return !armed;
    }

    /** Frames put in the ring since the tap was made. */
    public long capturedFrames()
    {
        return captured.get();
    }

    /** Frames not captured because the ring was full: the recorder (the disk) fell behind. */
    public long droppedFrames()
    {
        return dropped.get();
    }

    /** The ring the recorder drains. */
    RingBuffer ring()
    {
        return ring;
    }

    /** True when no captured frame waits in the ring. */
    boolean isDrained()
    {
        return ring.producerPosition() == ring.consumerPosition();
    }

    /** Frees the ring. The worker must no longer call {@link #capture}, nor a recorder drain it. */
    @Override
    public void close()
    {
        armed = false;
        if (arena.scope().isAlive())
        {
            arena.close();
        }
    }

    @Override
    public String toString()
    {
        return "CaptureTap{" + name + ", " + linkType + ", armed " + armed + ", captured " + captured.get() +
            ", dropped " + dropped.get() + "}";
    }

    private void record(final MemorySegment memory, final long offset, final int length, final long epochNanos)
    {
        if (captured.getPlain() >= stopAt)
        {
            return;
        }
        final int capturedLength = Math.min(length, snapLength);
        final int index = ring.tryClaim(MSG_TYPE_FRAME, RECORD_HEADER_LENGTH + capturedLength);
        if (index < 0)
        {
            dropped.incrementRelease();
            return;
        }
        ringBuffer.putLong(index + TIMESTAMP_OFFSET, epochNanos);
        ringBuffer.putInt(index + ORIGINAL_LENGTH_OFFSET, length);
        MemorySegment.copy(memory, offset, ringMemory, index + RECORD_HEADER_LENGTH, capturedLength);
        ring.commit(index);
        captured.incrementRelease();
    }

    private static AtomicCounter standaloneCounter()
    {
        return new AtomicCounter(new UnsafeBuffer(BufferUtil.allocateDirectAligned(CountersReader.COUNTER_LENGTH, 64)), 0);
    }
}
