package io.sluice.dataplane.counters;

import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CountersFileTest
{
    @TempDir
    Path tmp;

    @Test
    void countersIncrementedByTheWriterAreReadThroughASecondMapping()
    {
        final Path dir = tmp.resolve("sluice-test");
        try (CountersFile counters = CountersFile.create(dir, 64, 0))
        {
            final PortCounterSet veth1 = PortCounterSet.allocate(counters, 3, "veth1");
            final AtomicCounter ttl = counters.allocateDrop(7, "ip4-input", 2, "ttl-expired", "port veth1");
            final AtomicCounter stage = counters.allocateStage(7, "ip4-input", "worker 0");
            final AtomicCounter sa = counters.allocate(CounterType.SA, 0xc0ffeeL, 1, "sa 0x00c0ffee out: packets");
            for (int i = 0; i < 10; i++)
            {
                veth1.rxPackets.incrementRelease();
                veth1.rxBytes.getAndAddRelease(1500);
                stage.incrementRelease();
            }
            ttl.incrementRelease();
            sa.getAndAddRelease(5);

            try (CountersView view = CountersFile.openReadOnly(dir))
            {
                assertEquals(ProcessHandle.current().pid(), view.writerPid());
                assertEquals(WriterStatus.ALIVE, view.writerStatus());
                assertFalse(view.isStale());
                assertEquals(64, view.maxCounters());

                final List<CounterSnapshot> nonZero = view.snapshot(false, CounterBaseline.none());
                assertEquals(List.of(
                    "PORT 3/1 port veth1: rx-packets = 10",
                    "PORT 3/2 port veth1: rx-bytes = 15000",
                    "DROP 7/2 ip4-input drop: ttl-expired (port veth1) = 1",
                    "STAGE 7/0 ip4-input packets (worker 0) = 10",
                    "SA 12648430/1 sa 0x00c0ffee out: packets = 5"), nonZero.stream().map(CountersFileTest::line).toList());
                assertEquals(11, view.snapshot().size(), "eight port counters, a drop, a stage and an SA, zeros included");

                veth1.rxPackets.incrementRelease();
                assertEquals(11, view.value(veth1.rxPackets.id()), "the second mapping sees the writer's stores live");
            }
        }
    }

    @Test
    void theFileIsPrivateToTheGatewayUserAndDeletedOnCleanClose() throws Exception
    {
        final Path dir = tmp.resolve("sluice-private");
        final Path file;
        try (CountersFile counters = CountersFile.create(dir))
        {
            file = counters.file();
            assertEquals(dir.resolve(CountersFile.FILE_NAME), file);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals(CountersLayout.fileLength(CountersLayout.metadataLength(CountersFile.DEFAULT_MAX_COUNTERS),
                CountersLayout.valuesLength(CountersFile.DEFAULT_MAX_COUNTERS)), Files.size(file));
            try (var entries = Files.list(dir))
            {
                assertEquals(List.of(file), entries.toList(), "no temporary file left beside it");
            }
        }
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(dir), "an emptied instance directory is removed too");
    }

    @Test
    void theDefaultDirectoryIsInSharedMemoryAndNamedForTheInstance()
    {
        assertEquals(Path.of("/dev/shm/sluice-gw1"), CountersFile.defaultDirectory("gw1"));
        assertThrows(IllegalArgumentException.class, () -> CountersFile.defaultDirectory("../etc"));
    }

    @Test
    void refusesToTakeOverTheFileOfARunningWriter()
    {
        final Path dir = tmp.resolve("sluice-twice");
        try (CountersFile first = CountersFile.create(dir, 16, 0))
        {
            final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CountersFile.create(dir, 16, 0));
            assertTrue(e.getMessage().contains("in use by a running dataplane (pid " + ProcessHandle.current().pid()),
                e.getMessage());
            assertTrue(Files.exists(first.file()), "the running writer's file is left alone");
        }
    }

    @Test
    void clearSubtractsABaselineAndLeavesTheWritersCountersAlone()
    {
        final Path dir = tmp.resolve("sluice-clear");
        try (CountersFile counters = CountersFile.create(dir, 16, 0))
        {
            final AtomicCounter rx = counters.allocate(CounterType.PORT, 0, PortCounterSet.Item.RX_PACKETS.code(),
                "port eth0: rx-packets");
            final AtomicCounter drops = counters.allocateDrop(1, "esp-decrypt", 4, "replay", null);
            rx.getAndAddRelease(100);
            drops.getAndAddRelease(7);

            try (CountersView view = CountersFile.openReadOnly(dir))
            {
                final CounterBaseline cleared = CounterBaseline.clear(view, c -> c.type() == CounterType.PORT);
                assertTrue(Files.exists(CounterBaseline.fileFor(view)));
                assertEquals(List.of("DROP 1/4 esp-decrypt drop: replay = 7"),
                    view.snapshot(false, cleared).stream().map(CountersFileTest::line).toList());
                rx.getAndAddRelease(5);
            }
            assertEquals(105, rx.get(), "the worker's counter itself is never reset");

            try (CountersView later = CountersFile.openReadOnly(dir))
            {
                final CounterBaseline loaded = CounterBaseline.load(later);
                assertEquals(List.of("PORT 0/1 port eth0: rx-packets = 5", "DROP 1/4 esp-decrypt drop: replay = 7"),
                    later.snapshot(false, loaded).stream().map(CountersFileTest::line).toList(),
                    "another reader applies the stored baseline");
                assertEquals(List.of(), later.snapshot(false, CounterBaseline.clearAll(later)));
            }
        }
    }

    @Test
    void aBaselineIsNotAppliedToACounterThatReusedAFreedSlot()
    {
        final Path dir = tmp.resolve("sluice-reuse");
        try (CountersFile counters = CountersFile.create(dir, 4, 0))
        {
            final AtomicCounter old = counters.allocate(CounterType.TUNNEL, 1, "tunnel 1: packets");
            old.getAndAddRelease(50);
            try (CountersView view = CountersFile.openReadOnly(dir))
            {
                CounterBaseline.clearAll(view);
                counters.free(old);
                final AtomicCounter reused = counters.allocate(CounterType.TUNNEL, 2, "tunnel 2: packets");
                assertEquals(old.id(), reused.id(), "a timeout of 0 lets the slot be reused at once");
                reused.getAndAddRelease(60);
                assertEquals(List.of("TUNNEL 2/0 tunnel 2: packets = 60"),
                    view.snapshot(false, CounterBaseline.load(view)).stream().map(CountersFileTest::line).toList());
            }
        }
    }

    @Test
    void aFullFileSaysHowManyCountersItHolds()
    {
        try (CountersFile counters = CountersFile.create(tmp.resolve("sluice-full"), 2, 0))
        {
            counters.allocate(CounterType.STAGE, 1, "a");
            counters.allocate(CounterType.STAGE, 2, "b");
            final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> counters.allocate(CounterType.STAGE, 3, "c"));
            assertTrue(e.getMessage().contains("full (2 counters)"), e.getMessage());
        }
    }

    @Test
    void aReaderRefusesAFileThatIsNotACountersFileAndNamesAMissingOne() throws Exception
    {
        final Path junk = tmp.resolve("junk.dat");
        Files.write(junk, new byte[4096]);
        final IllegalStateException notOurs = assertThrows(IllegalStateException.class,
            () -> CountersFile.openReadOnly(junk));
        assertTrue(notOurs.getMessage().contains("not a Sluice counters file"), notOurs.getMessage());

        final IllegalStateException missing = assertThrows(IllegalStateException.class,
            () -> CountersFile.openReadOnly(tmp.resolve("sluice-nothing")));
        assertTrue(missing.getMessage().contains("is the dataplane running"), missing.getMessage());
    }

    @Test
    void aStaleFileIsReplacedByTheNextWriter() throws Exception
    {
        final Path dir = tmp.resolve("sluice-stale");
        Files.createDirectories(dir);
        final Path file = dir.resolve(CountersFile.FILE_NAME);
        final CountersFile counters = CountersFile.create(dir, 8, 0);
        final byte[] copy;
        try
        {
            counters.allocate(CounterType.PORT, 1, "old").incrementRelease();
            // Keep a copy of the live file, as a crash would have left it, but with a pid that is not running.
            copy = Files.readAllBytes(file);
            final long deadPid = deadPid();
            for (int i = 0; i < 8; i++)
            {
                copy[CountersLayout.WRITER_PID_OFFSET + i] = (byte)(deadPid >>> (8 * i));
            }
        }
        finally
        {
            counters.close();
        }
        Files.createDirectories(dir);
        Files.write(file, copy);
        try (CountersView stale = CountersFile.openReadOnly(dir))
        {
            assertEquals(WriterStatus.EXITED, stale.writerStatus(), stale.describeWriter());
            assertTrue(stale.describeWriter().startsWith("STALE: dataplane pid "), stale.describeWriter());
        }
        try (CountersFile fresh = CountersFile.create(dir, 8, 0); CountersView view = CountersFile.openReadOnly(dir))
        {
            assertEquals(WriterStatus.ALIVE, view.writerStatus());
            assertEquals(List.of(), view.snapshot(), "the stale counters are gone");
            assertNotEquals(0, fresh.available());
        }
    }

    @Test
    void incrementingACounterAllocatesNothing()
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (CountersFile counters = CountersFile.create(tmp.resolve("sluice-alloc"), 8, 0))
        {
            final AtomicCounter packets = counters.allocate(CounterType.PORT, 0, 1, "port p: rx-packets");
            final AtomicCounter bytes = counters.allocate(CounterType.PORT, 0, 2, "port p: rx-bytes");
            long leastAllocated = Long.MAX_VALUE;
            for (int round = 0; round < 5; round++)
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100_000; i++)
                {
                    packets.incrementRelease();
                    bytes.getAndAddRelease(64);
                }
                leastAllocated = Math.min(leastAllocated, threads.getCurrentThreadAllocatedBytes() - before);
            }
            // An allocation per increment would show in every round; the least of five is free of JIT noise.
            assertEquals(0, leastAllocated, "bytes allocated by 200,000 increments");
            assertEquals(500_000, packets.get());
        }
    }

    static String line(final CounterSnapshot c)
    {
        return c.type() + " " + c.key() + "/" + c.item() + " " + c.label() + " = " + c.value();
    }

    /** The pid of a process that has just exited and been reaped: nothing runs under it for a while. */
    private static long deadPid() throws Exception
    {
        final Process exited = new ProcessBuilder("/bin/true").start();
        exited.waitFor();
        return exited.pid();
    }
}
