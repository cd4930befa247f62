package io.sluice.dataplane.counters;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A read-only mapping of a dataplane's counters file, from any process of the gateway user
 * ({@code sluice ctl show counters}). Reading never writes the file and never stops or slows the
 * writer: values are read with acquire semantics from the counters the workers update in place,
 * and a counter being allocated becomes visible only once its metadata is complete.
 * <p>
 * The mapping stays valid after the writer exits or deletes the file, so a view of a dead writer
 * shows the last values; {@link #writerStatus()} says whether they still move.
 */
public final class CountersView implements AutoCloseable
{
    /** The slack allowed between two readings of one process's start time (clock-tick rounding). */
    private static final long START_TIME_TOLERANCE_MS = 1_000;

    private final Path file;
    private final Arena arena;
    private final long writerPid;
    private final long startTimestampMs;
    private final long writerProcessStartMs;
    private final int maxCounters;
    private final CountersReader reader;

    private CountersView(final Path file, final Arena arena, final long writerPid, final long startTimestampMs,
        final long writerProcessStartMs, final int maxCounters, final CountersReader reader)
    {
        this.file = file;
        this.arena = arena;
        this.writerPid = writerPid;
        this.startTimestampMs = startTimestampMs;
        this.writerProcessStartMs = writerProcessStartMs;
        this.maxCounters = maxCounters;
        this.reader = reader;
    }

    static CountersView open(final Path file)
    {
        final Arena arena = Arena.ofShared();
        try
        {
            final MemorySegment mapped;
            final long size;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
            {
                size = channel.size();
                if (size < CountersLayout.HEADER_LENGTH)
                {
                    throw new IllegalStateException("counters file " + file + " is " + size +
                        " bytes, shorter than its header: not a Sluice counters file");
                }
                mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            final UnsafeBuffer header = new UnsafeBuffer(mapped.address(), CountersLayout.HEADER_LENGTH);
            final int magic = header.getInt(CountersLayout.MAGIC_OFFSET);
            if (magic != CountersLayout.MAGIC)
            {
                throw new IllegalStateException("counters file " + file + " has magic 0x" + Integer.toHexString(magic) +
                    ", not 0x" + Integer.toHexString(CountersLayout.MAGIC) + ": not a Sluice counters file");
            }
            final int version = header.getIntAcquire(CountersLayout.VERSION_OFFSET);
            if (version != CountersLayout.VERSION)
            {
                throw new IllegalStateException("counters file " + file + " has format version " + version +
                    "; this build reads version " + CountersLayout.VERSION + ": use the sluice that runs the dataplane");
            }
            final int metadataLength = header.getInt(CountersLayout.METADATA_LENGTH_OFFSET);
            final int valuesLength = header.getInt(CountersLayout.VALUES_LENGTH_OFFSET);
            if (metadataLength <= 0 || valuesLength <= 0 ||
                metadataLength != CountersLayout.metadataLength(valuesLength / CountersReader.COUNTER_LENGTH) ||
                CountersLayout.fileLength(metadataLength, valuesLength) > size)
            {
                throw new IllegalStateException("counters file " + file + " is damaged: buffers of " + metadataLength +
                    " + " + valuesLength + " bytes do not fit its " + size + " bytes");
            }
            final long base = mapped.address();
            final CountersReader reader = new CountersReader(
                new UnsafeBuffer(base + CountersLayout.metadataOffset(), metadataLength),
                new UnsafeBuffer(base + CountersLayout.valuesOffset(metadataLength), valuesLength),
                StandardCharsets.UTF_8);
            return new CountersView(file, arena, header.getLong(CountersLayout.WRITER_PID_OFFSET),
                header.getLong(CountersLayout.START_TIMESTAMP_OFFSET),
                header.getLong(CountersLayout.WRITER_PROCESS_START_OFFSET),
                valuesLength / CountersReader.COUNTER_LENGTH, reader);
        }
        catch (final NoSuchFileException e)
        {
            arena.close();
            throw new IllegalStateException("no counters file at " + file +
                ": is the dataplane running, with this instance name or directory?", e);
        }
        catch (final AccessDeniedException e)
        {
            arena.close();
            throw new IllegalStateException("cannot read counters file " + file +
                ": it is readable by the gateway user only; run as that user", e);
        }
        catch (final IOException e)
        {
            arena.close();
            throw new UncheckedIOException("cannot map counters file " + file + ": " + e, e);
        }
        catch (final RuntimeException e)
        {
            arena.close();
            throw e;
        }
    }

    public Path file()
    {
        return file;
    }

    public long writerPid()
    {
        return writerPid;
    }

    /** When the writer created the file, epoch ms. */
    public long startTimestampMs()
    {
        return startTimestampMs;
    }

    public int maxCounters()
    {
        return maxCounters;
    }

    /** The Agrona reader over the mapping, for callers that walk the records themselves. */
    public CountersReader reader()
    {
        return reader;
    }

    /**
     * Whether the writer still runs, checked now (it may die while the view is open). A pid alone
     * could have been reused by an unrelated process since, so the process's start time must match
     * the one the writer recorded. The pid is that of the writer's pid namespace: a reader in
     * another namespace sees {@link WriterStatus#EXITED} or {@link WriterStatus#PID_REUSED}.
     */
    public WriterStatus writerStatus()
    {
        final Optional<ProcessHandle> process = ProcessHandle.of(writerPid);
        if (process.isEmpty() || !process.get().isAlive())
        {
            return WriterStatus.EXITED;
        }
        final long startMs = CountersFile.processStartMs(process.get());
        if (writerProcessStartMs != 0 && startMs != 0 && Math.abs(startMs - writerProcessStartMs) > START_TIME_TOLERANCE_MS)
        {
            return WriterStatus.PID_REUSED;
        }
        return WriterStatus.ALIVE;
    }

    /** True when the values can no longer change because the writer is gone. */
    public boolean isStale()
    {
        return !writerStatus().isAlive();
    }

    /** One line for a person: whose counters these are, and whether they are still live. */
    public String describeWriter()
    {
        final String since = Instant.ofEpochMilli(startTimestampMs).toString();
        return switch (writerStatus())
        {
            case ALIVE -> "counters of dataplane pid " + writerPid + " since " + since;
            case EXITED -> "STALE: dataplane pid " + writerPid + " (since " + since +
                ") is not running; these are its last values, left by a crash (a clean stop deletes " + file + ")";
            case PID_REUSED -> "STALE: dataplane pid " + writerPid + " (since " + since +
                ") has exited and its pid now belongs to another process; these are its last values";
        };
    }

    /** The current value of one counter. */
    public long value(final int counterId)
    {
        return reader.getCounterValue(counterId);
    }

    /** All allocated counters, zeros included, with their raw values. */
    public List<CounterSnapshot> snapshot()
    {
        return snapshot(true, CounterBaseline.none());
    }

    /**
     * The allocated counters in id order, each less its baseline from the last clear.
     *
     * @param includeZero false to list only counters whose value (after the baseline) is not zero,
     *                    which is what {@code show counters} prints by default
     */
    public List<CounterSnapshot> snapshot(final boolean includeZero, final CounterBaseline baseline)
    {
        final List<CounterSnapshot> snapshots = new ArrayList<>();
        reader.forEach((counterId, typeId, keyBuffer, label) ->
        {
            final long registrationId = reader.getCounterRegistrationId(counterId);
            final long value = baseline.sinceCleared(counterId, registrationId, reader.getCounterValue(counterId));
            if (includeZero || value != 0)
            {
                snapshots.add(new CounterSnapshot(counterId, CounterType.of(typeId), typeId,
                    keyBuffer.getLong(CountersLayout.KEY_KEY_OFFSET), keyBuffer.getInt(CountersLayout.KEY_ITEM_OFFSET),
                    label, value, registrationId));
            }
        });
        return snapshots;
    }

    /** Unmaps the file; the view and its {@link #reader()} must not be used after. */
    @Override
    public void close()
    {
        if (arena.scope().isAlive())
        {
            arena.close();
        }
    }

    @Override
    public String toString()
    {
        return "CountersView{" + file + ", pid " + writerPid + ", " + maxCounters + " counters}";
    }
}
