package io.sluice.dataplane.counters;

import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The dataplane's counters, in a memory-mapped file that other processes read while it runs
 * ({@code sluice ctl show counters}), as Aeron's CnC file carries the media driver's counters:
 * an Agrona {@link CountersManager} over the metadata and values buffers of the file laid out by
 * {@link CountersLayout}.
 * <p>
 * The dataplane creates one per instance, by default {@code /dev/shm/sluice-<name>/counters.dat}
 * (tmpfs: the values live in memory and never hit a disk), with the directory 0700 and the file
 * 0600 because port names, tunnel endpoints and SPIs are the gateway user's business. A clean
 * {@link #close()} deletes the file; one left behind by a crash is detected as stale by readers
 * ({@link CountersView#writerStatus()}) and replaced by the next {@link #create}.
 * <p>
 * Threads: allocation and {@link #free} run on the control path (they take this object's lock,
 * and allocate). The {@link AtomicCounter}s they return are for one writer thread each: a worker
 * increments its own with {@link AtomicCounter#incrementRelease()} or adds with
 * {@link AtomicCounter#getAndAddRelease(long)}, a plain read and a release store of the sum, no
 * lock, no atomic read-modify-write, no allocation; readers see whole values. Counters that more
 * than one worker would update are allocated once per worker (same type, key and item) and summed
 * by the reader.
 * <p>
 * {@link #close()} unmaps the file: close it only after every worker holding one of its counters
 * has stopped, since a counter's increment writes straight to the mapped address and would crash
 * the JVM afterwards.
 */
public final class CountersFile implements AutoCloseable
{
    public static final String FILE_NAME = "counters.dat";
    public static final int DEFAULT_MAX_COUNTERS = 8192;
    /**
     * How long a freed counter's slot stays unused, so that a reader which listed it a moment ago
     * does not show the next counter's value under the old label.
     */
    public static final long DEFAULT_FREE_TO_REUSE_TIMEOUT_MS = 1_000;

    private static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_PERMISSIONS = PosixFilePermissions.fromString("rw-------");
    private static final Pattern INSTANCE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final String TEMPORARY_PREFIX = FILE_NAME + ".tmp-";

    private final Path directory;
    private final Path file;
    private final Arena arena;
    private final CountersManager manager;
    private final int maxCounters;
    private long nextRegistrationId = 1;
    private boolean closed;

    private CountersFile(final Path directory, final Path file, final Arena arena, final CountersManager manager,
        final int maxCounters)
    {
        this.directory = directory;
        this.file = file;
        this.arena = arena;
        this.manager = manager;
        this.maxCounters = maxCounters;
    }

    /**
     * Where an instance's counters live unless configured: {@code /dev/shm/sluice-<name>}, or under
     * {@code java.io.tmpdir} on a system without {@code /dev/shm}.
     *
     * @param instanceName letters, digits, '.', '_' and '-', so that it cannot leave the directory
     */
    public static Path defaultDirectory(final String instanceName)
    {
        if (!INSTANCE_NAME.matcher(instanceName).matches())
        {
            throw new IllegalArgumentException("dataplane instance name '" + instanceName +
                "' must be 1-64 letters, digits, '.', '_' or '-'");
        }
        final Path shm = Path.of("/dev/shm");
        final Path parent = Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        return parent.resolve("sluice-" + instanceName);
    }

    /** Creates the counters file of an instance with room for {@link #DEFAULT_MAX_COUNTERS}. */
    public static CountersFile create(final Path directory)
    {
        return create(directory, DEFAULT_MAX_COUNTERS, DEFAULT_FREE_TO_REUSE_TIMEOUT_MS);
    }

    /**
     * Creates {@code directory/counters.dat}, replacing a stale one left by a dead writer.
     *
     * @throws IllegalStateException if a running process writes the file there already (two
     *                               dataplanes with one instance name), or the directory belongs
     *                               to another user
     */
    public static CountersFile create(final Path directory, final int maxCounters, final long freeToReuseTimeoutMs)
    {
        if (maxCounters < 1 || maxCounters > CountersLayout.MAX_COUNTERS_LIMIT)
        {
            throw new IllegalArgumentException("maxCounters " + maxCounters + " must be in [1, " +
                CountersLayout.MAX_COUNTERS_LIMIT + "]");
        }
        final Path dir = directory.toAbsolutePath();
        final Path file = dir.resolve(FILE_NAME);
        final long pid = ProcessHandle.current().pid();
        final Path temporary = dir.resolve(TEMPORARY_PREFIX + pid);
        final int metadataLength = CountersLayout.metadataLength(maxCounters);
        final int valuesLength = CountersLayout.valuesLength(maxCounters);
        final long length = CountersLayout.fileLength(metadataLength, valuesLength);

        Arena arena = null;
        try
        {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIRECTORY_PERMISSIONS));
            Files.deleteIfExists(temporary);
            arena = Arena.ofShared();
            final MemorySegment mapped;
            try (FileChannel channel = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(FILE_PERMISSIONS)))
            {
                Files.setPosixFilePermissions(temporary, FILE_PERMISSIONS);
                makePrivate(dir, Files.getOwner(temporary));
                replaceIfStale(file);
                deleteAbandonedTemporaries(dir);
                mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, length, arena);
            }

            final long base = mapped.address();
            final UnsafeBuffer header = new UnsafeBuffer(base, CountersLayout.HEADER_LENGTH);
            final UnsafeBuffer metadata = new UnsafeBuffer(base + CountersLayout.metadataOffset(), metadataLength);
            final UnsafeBuffer values = new UnsafeBuffer(base + CountersLayout.valuesOffset(metadataLength), valuesLength);
            final EpochClock clock = SystemEpochClock.INSTANCE;
            final CountersManager manager = new CountersManager(metadata, values, StandardCharsets.UTF_8, clock,
                freeToReuseTimeoutMs);

            header.putInt(CountersLayout.MAGIC_OFFSET, CountersLayout.MAGIC);
            header.putInt(CountersLayout.METADATA_LENGTH_OFFSET, metadataLength);
            header.putInt(CountersLayout.VALUES_LENGTH_OFFSET, valuesLength);
            header.putLong(CountersLayout.WRITER_PID_OFFSET, pid);
            header.putLong(CountersLayout.START_TIMESTAMP_OFFSET, clock.time());
            header.putLong(CountersLayout.WRITER_PROCESS_START_OFFSET, processStartMs(ProcessHandle.current()));
            header.putIntRelease(CountersLayout.VERSION_OFFSET, CountersLayout.VERSION);

            // Readers only ever find a complete file under the final name.
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new CountersFile(dir, file, arena, manager, maxCounters);
        }
        catch (final IOException e)
        {
            if (arena != null)
            {
                arena.close();
            }
            deleteQuietly(temporary);
            throw new UncheckedIOException("cannot create the counters file " + file + ": " + e, e);
        }
        catch (final RuntimeException e)
        {
            if (arena != null)
            {
                arena.close();
            }
            deleteQuietly(temporary);
            throw e;
        }
    }

    /**
     * Maps the counters file of a (normally running) dataplane read-only, for listing.
     *
     * @param path the counters file, or the instance directory holding {@value #FILE_NAME}
     */
    public static CountersView openReadOnly(final Path path)
    {
        return CountersView.open(Files.isDirectory(path) ? path.resolve(FILE_NAME) : path);
    }

    public Path file()
    {
        return file;
    }

    public Path directory()
    {
        return directory;
    }

    public int maxCounters()
    {
        return maxCounters;
    }

    /** How many more counters fit. */
    public synchronized int available()
    {
        return manager.available();
    }

    /**
     * Allocates a counter, zeroed, for one writer thread.
     *
     * @param key   the object counted (port index, stage id, tunnel id, SPI)
     * @param item  what of it is counted (a {@link PortCounterSet.Item} code, a drop reason code), 0 if one thing
     * @param label what a person reads, e.g. {@code ip4-input drop: ttl-expired (port veth1)}; UTF-8,
     *              cut at {@link CountersReader#MAX_LABEL_LENGTH} bytes
     * @throws IllegalStateException when the file is full, naming its capacity
     */
    public synchronized AtomicCounter allocate(final CounterType type, final long key, final int item,
        final String label)
    {
        if (closed)
        {
            throw new IllegalStateException("counters file " + file + " is closed");
        }
        if (type == CounterType.UNKNOWN)
        {
            throw new IllegalArgumentException("allocate a counter of a known type, not " + type);
        }
        if (manager.available() == 0)
        {
            throw new IllegalStateException("counters file " + file + " is full (" + maxCounters +
                " counters): raise the dataplane's max counters; cannot add '" + label + "'");
        }
        final AtomicCounter counter = manager.newCounter(label, type.typeId(), keyBuffer ->
        {
            keyBuffer.putLong(CountersLayout.KEY_KEY_OFFSET, key);
            keyBuffer.putInt(CountersLayout.KEY_ITEM_OFFSET, item);
        });
        manager.setCounterRegistrationId(counter.id(), nextRegistrationId++);
        return counter;
    }

    /** {@link #allocate(CounterType, long, int, String)} with item 0. */
    public AtomicCounter allocate(final CounterType type, final long key, final String label)
    {
        return allocate(type, key, 0, label);
    }

    /**
     * A stage's packet counter, labelled {@code <stage> packets} or {@code <stage> packets (<where>)}.
     *
     * @param where which copy this is when there are several, e.g. {@code worker 1}; null if one
     */
    public AtomicCounter allocateStage(final int stageId, final String stageName, final String where)
    {
        return allocate(CounterType.STAGE, stageId, 0, stageName + " packets" + suffix(where));
    }

    /**
     * A stage's counter of drops for one reason, labelled as VPP names its node errors:
     * {@code ip4-input drop: ttl-expired (port veth1)}.
     */
    public AtomicCounter allocateDrop(final int stageId, final String stageName, final int reasonCode,
        final String reason, final String where)
    {
        return allocate(CounterType.DROP, stageId, reasonCode, stageName + " drop: " + reason + suffix(where));
    }

    /**
     * Returns a counter's slot to the file (after {@link #DEFAULT_FREE_TO_REUSE_TIMEOUT_MS} it may
     * be reused). Free counters through here rather than {@link AtomicCounter#close()} so that
     * freeing after {@link #close()} cannot write to an unmapped file.
     */
    public synchronized void free(final AtomicCounter counter)
    {
        if (closed)
        {
            counter.disconnectCountersManager();
        }
        counter.close();
    }

    /** A reader over this process's own mapping, for counter snapshots sent from inside. */
    public CountersReader reader()
    {
        return manager;
    }

    /**
     * Unmaps and deletes the file (and a reader's clear baseline beside it), then the directory if
     * nothing else is in it. Every worker using these counters must have stopped.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        arena.close();
        deleteQuietly(file);
        deleteQuietly(directory.resolve(CounterBaseline.FILE_NAME));
        try
        {
            Files.deleteIfExists(directory);
        }
        catch (final DirectoryNotEmptyException ignored)
        {
            // Something else lives there (an Aeron directory, a capture): leave it.
        }
        catch (final IOException ignored)
        {
            // Best effort: the counters file itself is gone, which is what readers look for.
        }
    }

    @Override
    public String toString()
    {
        return "CountersFile{" + file + ", " + maxCounters + " counters}";
    }

    static long processStartMs(final ProcessHandle process)
    {
        return process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }

    private static String suffix(final String where)
    {
        return where == null || where.isEmpty() ? "" : " (" + where + ")";
    }

    /**
     * Makes the directory 0700, after checking that whoever runs the dataplane owns it (the owner
     * of a file just created in it): a directory of someone else's could let them swap the file
     * that {@code sluice ctl} reads.
     */
    private static void makePrivate(final Path dir, final UserPrincipal me) throws IOException
    {
        final UserPrincipal owner = Files.getOwner(dir);
        if (!owner.equals(me))
        {
            throw new IllegalStateException("counters directory " + dir + " belongs to " + owner.getName() +
                ", not to " + me.getName() + " who runs the dataplane: remove it or choose another directory");
        }
        Files.setPosixFilePermissions(dir, DIRECTORY_PERMISSIONS);
    }

    private static void replaceIfStale(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            return;
        }
        WriterStatus status = WriterStatus.EXITED;
        long pid = 0;
        try (CountersView existing = CountersView.open(file))
        {
            status = existing.writerStatus();
            pid = existing.writerPid();
        }
        catch (final IllegalStateException unreadable)
        {
            // Not a counters file we can read: nothing of ours depends on it, replace it.
        }
        if (status.isAlive())
        {
            throw new IllegalStateException("counters file " + file + " is in use by a running dataplane (pid " + pid +
                "): stop it, or give this one another instance name or directory");
        }
        Files.deleteIfExists(file.resolveSibling(CounterBaseline.FILE_NAME));
        Files.deleteIfExists(file);
    }

    /** Temporary files of creators that died between creating and renaming them. */
    private static void deleteAbandonedTemporaries(final Path dir) throws IOException
    {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, TEMPORARY_PREFIX + "*"))
        {
            for (final Path temporary : stream)
            {
                final String pidText = temporary.getFileName().toString().substring(TEMPORARY_PREFIX.length());
                try
                {
                    final long pid = Long.parseLong(pidText);
                    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                    {
                        continue;
                    }
                }
                catch (final NumberFormatException ignored)
                {
                    // Not one of ours by name, but in our private directory: delete.
                }
                deleteQuietly(temporary);
            }
        }
    }

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final NoSuchFileException ignored)
        {
            // Already gone.
        }
        catch (final IOException ignored)
        {
            // Cleanup only: the caller is already reporting or has finished.
        }
    }
}
