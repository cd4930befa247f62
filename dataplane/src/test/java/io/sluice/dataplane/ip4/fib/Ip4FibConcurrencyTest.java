package io.sluice.dataplane.ip4.fib;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.sluice.dataplane.ip4.fib.Ip4FibTest.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One writer changes routes while reader threads look up without pause: a reader must only ever
 * see the answer before or the answer after a change.
 */
class Ip4FibConcurrencyTest
{
    private static final long RUN_NANOS = 1_500_000_000L;
    private static final int READERS = 2;

    @Test
    void readersSeeTheOldOrTheNewRouteWhileAMoreSpecificPrefixFlaps()
    {
        final Ip4Fib fib = new Ip4Fib(256); // retired groups pile up and are reclaimed in bulk: the writer rarely waits
        fib.add(ip("10.0.0.0"), 8, 7);
        fib.add(ip("10.1.2.0"), 24, 1);
        // address -> the answers a reader may see: {always} or {without the flapping prefix, with it}
        final int[] addresses = {ip("10.1.2.5"), ip("10.1.2.130"), ip("10.1.2.200"), ip("10.1.3.1"), ip("10.1.2.255")};
        final int[][] allowed = {{1}, {1, 2}, {1, 2, 3}, {7}, {1, 2}};

        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<String> failure = new AtomicReference<>();
        final AtomicLong lookups = new AtomicLong();
        final List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < READERS; r++)
        {
            final boolean burst = r % 2 == 1;
            final Thread reader = new Thread(() ->
            {
                final Ip4Fib.Reader handle = fib.registerReader();
                final int[] results = new int[addresses.length];
                long done = 0;
                while (running.get() && failure.get() == null)
                {
                    for (int i = 0; i < 64; i++)
                    {
                        if (burst)
                        {
                            fib.lookupBurst(addresses, results, addresses.length);
                        }
                        else
                        {
                            for (int a = 0; a < addresses.length; a++)
                            {
                                results[a] = fib.lookup(addresses[a]);
                            }
                        }
                        for (int a = 0; a < addresses.length; a++)
                        {
                            if (!contains(allowed[a], results[a]))
                            {
                                failure.compareAndSet(null, Ip4Fib.format(addresses[a]) + " answered " + results[a]);
                            }
                        }
                        done += addresses.length;
                    }
                    handle.quiescent();
                }
                handle.close();
                lookups.addAndGet(done);
            }, "fib-reader-" + r);
            readers.add(reader);
            reader.start();
        }

        long flaps = 0;
        final long deadline = System.nanoTime() + RUN_NANOS;
        while (System.nanoTime() < deadline && failure.get() == null)
        {
            fib.add(ip("10.1.2.128"), 25, 2); // expands 10.1.2.0/24 into a group
            fib.add(ip("10.1.2.200"), 32, 3);
            fib.remove(ip("10.1.2.200"), 32);
            fib.remove(ip("10.1.2.128"), 25); // collapses it again
            awaitFreeGroup(fib, failure);
            flaps++;
        }
        running.set(false);
        joinAll(readers);
        System.out.printf("flap: %d flaps of a /25 and a /32 against %d lookups%n", flaps, lookups.get());
        assertNull(failure.get());
        assertTrue(flaps > 100, "the writer made progress: " + flaps);
        assertEquals(1, fib.lookup(ip("10.1.2.130")));
    }

    /**
     * One tbl8 group shared by two /24s in turn: each expansion of one /24 reuses the group the
     * other one just gave up. A reader that loaded the reference before a collapse must not read
     * the group once it holds the other /24's routes; the writer waits for the readers'
     * quiescent points before it reuses the group.
     */
    @Test
    void aGroupIsNotReusedForAnotherSlash24WhileAReaderMayHoldIt()
    {
        final Ip4Fib fib = new Ip4Fib(1);
        fib.add(ip("10.1.1.0"), 24, 1);
        fib.add(ip("10.2.2.0"), 24, 3);
        final int[] addresses = new int[64];
        for (int i = 0; i < addresses.length; i++)
        {
            addresses[i] = (i % 2 == 0 ? ip("10.1.1.0") : ip("10.2.2.0")) | (i * 37 & 0xff);
        }

        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<String> failure = new AtomicReference<>();
        final List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < READERS; r++)
        {
            final Thread reader = new Thread(() ->
            {
                final Ip4Fib.Reader handle = fib.registerReader();
                final int[] results = new int[addresses.length];
                while (running.get() && failure.get() == null)
                {
                    fib.lookupBurst(addresses, results, addresses.length);
                    for (int i = 0; i < addresses.length; i++)
                    {
                        // 10.1.1.x: 1, or 2 inside 10.1.1.0/25; 10.2.2.x: 3, or 4 inside 10.2.2.0/25
                        final int low = i % 2 == 0 ? 1 : 3;
                        final boolean inFlapping = (addresses[i] & 0x80) == 0;
                        if (results[i] != low && !(inFlapping && results[i] == low + 1))
                        {
                            failure.compareAndSet(null, Ip4Fib.format(addresses[i]) + " answered " + results[i]);
                        }
                    }
                    handle.quiescent();
                }
                handle.close();
            }, "fib-reader-" + r);
            readers.add(reader);
            reader.start();
        }

        long swaps = 0;
        final long deadline = System.nanoTime() + RUN_NANOS;
        while (System.nanoTime() < deadline && failure.get() == null)
        {
            fib.add(ip("10.1.1.0"), 25, 2);
            fib.remove(ip("10.1.1.0"), 25);
            if (!awaitFreeGroup(fib, failure))
            {
                break;
            }
            fib.add(ip("10.2.2.0"), 25, 4);
            fib.remove(ip("10.2.2.0"), 25);
            if (!awaitFreeGroup(fib, failure))
            {
                break;
            }
            swaps++;
        }
        running.set(false);
        joinAll(readers);
        System.out.printf("reuse: %d swaps of one group between two /24s%n", swaps);
        assertNull(failure.get());
        assertTrue(swaps >= 10, "the writer made progress: " + swaps);
    }

    /** The writer's side of a grace period: spin until the readers let the retired group go. */
    private static boolean awaitFreeGroup(final Ip4Fib fib, final AtomicReference<String> failure)
    {
        final long giveUp = System.nanoTime() + 5_000_000_000L;
        while (fib.reclaimTbl8Groups() == 0)
        {
            if (failure.get() != null)
            {
                return false;
            }
            if (System.nanoTime() > giveUp)
            {
                failure.compareAndSet(null, "readers did not pass a quiescent point for 5 s");
                return false;
            }
            Thread.yield(); // more runnable threads than CPUs here: let a reader reach its quiescent point
        }
        return true;
    }

    private static boolean contains(final int[] values, final int value)
    {
        for (final int v : values)
        {
            if (v == value)
            {
                return true;
            }
        }
        return false;
    }

    private static void joinAll(final List<Thread> threads)
    {
        for (final Thread thread : threads)
        {
            try
            {
                thread.join(10_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError(ex);
            }
        }
    }
}
