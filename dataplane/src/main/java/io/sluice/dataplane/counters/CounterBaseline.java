package io.sluice.dataplane.counters;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What {@code clear counters} means without touching the workers' counters: the values at the
 * moment of the clear, kept beside the counters file ({@value #FILE_NAME}), and subtracted by
 * every later reader.
 * <p>
 * Why not zero the counters in the file: each counter has one writer, a worker, which updates it
 * with a plain read and a release store. A reader storing zero would race that update and be
 * undone by the next increment (or undo it), and it would make the file writable by readers. The
 * counters stay monotonic, as rate calculations and monitoring expect, and a clear costs the
 * dataplane nothing. When the dataplane gets its own clear request (over the program stream) it
 * can keep doing this on its side.
 * <p>
 * A baseline is tied to one writer instance (pid and start time) and to each counter's
 * registration id, so that it is never applied to a new dataplane's counters, nor to a counter
 * that reused a freed slot. The dataplane deletes the file with its counters on a clean stop.
 */
public final class CounterBaseline
{
    public static final String FILE_NAME = "counters-baseline.dat";

    private static final int MAGIC = 0x534c4342;
    private static final int VERSION = 1;
    private static final CounterBaseline NONE = new CounterBaseline(0, 0, Map.of());

    private final long writerPid;
    private final long startTimestampMs;
    private final Map<Integer, Entry> entries;

    private record Entry(long registrationId, long value)
    {
    }

    private CounterBaseline(final long writerPid, final long startTimestampMs, final Map<Integer, Entry> entries)
    {
        this.writerPid = writerPid;
        this.startTimestampMs = startTimestampMs;
        this.entries = entries;
    }

    /** No clear yet: values are shown as they are. */
    public static CounterBaseline none()
    {
        return NONE;
    }

    /** Where the baseline of a view's counters is kept. */
    public static Path fileFor(final CountersView view)
    {
        return view.file().resolveSibling(FILE_NAME);
    }

    /**
     * The baseline of the last clear of these counters, or {@link #none()} when there was none,
     * or it belongs to an earlier dataplane that used the same directory.
     */
    public static CounterBaseline load(final CountersView view)
    {
        final Path file = fileFor(view);
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file)))
        {
            if (in.readInt() != MAGIC || in.readInt() != VERSION)
            {
                return NONE;
            }
            final long pid = in.readLong();
            final long start = in.readLong();
            if (pid != view.writerPid() || start != view.startTimestampMs())
            {
                return NONE;
            }
            final int count = in.readInt();
            final Map<Integer, Entry> entries = new HashMap<>();
            for (int i = 0; i < count; i++)
            {
                final int id = in.readInt();
                entries.put(id, new Entry(in.readLong(), in.readLong()));
            }
            return new CounterBaseline(pid, start, entries);
        }
        catch (final NoSuchFileException | EOFException e)
        {
            return NONE;
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot read the counters baseline " + file + ": " + e, e);
        }
    }

    /**
     * Clears the counters that {@code which} selects (others keep their earlier baseline) and
     * stores the result for later readers.
     *
     * @return the new baseline, to apply to the listing that follows
     */
    public static CounterBaseline clear(final CountersView view, final Predicate<CounterSnapshot> which)
    {
        final CounterBaseline previous = load(view);
        final Map<Integer, Entry> entries = new HashMap<>(previous.entries);
        for (final CounterSnapshot counter : view.snapshot())
        {
            if (which.test(counter))
            {
                entries.put(counter.id(), new Entry(counter.registrationId(), counter.value()));
            }
        }
        final CounterBaseline baseline = new CounterBaseline(view.writerPid(), view.startTimestampMs(), entries);
        baseline.save(fileFor(view));
        return baseline;
    }

    /** Clears every counter. */
    public static CounterBaseline clearAll(final CountersView view)
    {
        return clear(view, counter -> true);
    }

    /**
     * A counter's value since the last clear. A value below its baseline cannot come from the same
     * monotonic counter, so it is shown whole.
     */
    public long sinceCleared(final int counterId, final long registrationId, final long value)
    {
        final Entry entry = entries.get(counterId);
        if (entry == null || entry.registrationId != registrationId || value < entry.value)
        {
            return value;
        }
        return value - entry.value;
    }

    /** Writes a new file and renames it over the old one, so a concurrent reader sees one or the other. */
    private void save(final Path file)
    {
        final Path temporary = file.resolveSibling(FILE_NAME + ".tmp-" + ProcessHandle.current().pid());
        try
        {
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(temporary,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)))
            {
                out.writeInt(MAGIC);
                out.writeInt(VERSION);
                out.writeLong(writerPid);
                out.writeLong(startTimestampMs);
                out.writeInt(entries.size());
                for (final Map.Entry<Integer, Entry> e : entries.entrySet())
                {
                    out.writeInt(e.getKey());
                    out.writeLong(e.getValue().registrationId);
                    out.writeLong(e.getValue().value);
                }
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException e)
        {
            try
            {
                Files.deleteIfExists(temporary);
            }
            catch (final IOException ignored)
            {
                // Reporting the first failure matters more.
            }
            throw new UncheckedIOException("cannot store the counters baseline " + file +
                " (the counters directory is the gateway user's; run as that user): " + e, e);
        }
    }
}
