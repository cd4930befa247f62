package io.sluice.dataplane.frame;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FramePoolTest
{
    @Test
    void handsOutEveryFrameOnceThenRunsDry()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final FramePool pool = new FramePool(arena.allocate(8 * 2048, 4096), 2048, 256);
            final java.util.Set<Long> seen = new java.util.HashSet<>();
            for (int i = 0; i < 8; i++)
            {
                final long f = pool.allocate();
                assertEquals(0, f % 2048, "frame aligned");
                assertEquals(true, seen.add(f), "no frame twice");
            }
            assertEquals(-1, pool.allocate());
            assertEquals(0, pool.available());
        }
    }

    @Test
    void releasingAnyAddressInsideAFrameReturnsThatFrame()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final FramePool pool = new FramePool(arena.allocate(4 * 2048, 4096), 2048, 256);
            final long f = pool.allocate();
            pool.release(f + 256 + 60); // a descriptor points into the frame, after headroom
            assertEquals(4, pool.available());
            assertEquals(f, pool.allocate(), "the same frame comes back first");
            assertEquals(f, pool.frameOf(f + 1999));
        }
    }

    @Test
    void rejectsSizesThatCannotWork()
    {
        try (Arena arena = Arena.ofConfined())
        {
            assertThrows(IllegalArgumentException.class, () -> new FramePool(arena.allocate(4096), 3000, 0));
            assertThrows(IllegalArgumentException.class, () -> new FramePool(arena.allocate(4096), 2048, 2048));
            assertThrows(IllegalArgumentException.class, () -> new FramePool(arena.allocate(1024), 2048, 0));
        }
    }

    @Test
    void poolsSharingOneAreaOwnTheirRangeAndSendOtherFramesHome()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final java.lang.foreign.MemorySegment area = arena.allocate(8 * 2048, 4096);
            final FramePool a = new FramePool(area, 2048, 256, 0, 3);
            final FramePool b = new FramePool(area, 2048, 256, 3, 5);
            assertEquals(3, a.capacity());
            assertEquals(5, b.capacity());
            assertEquals(8, a.frames(), "metadata covers the whole area");
            final java.util.List<Long> home = new java.util.ArrayList<>();
            a.foreignFrames(home::add);
            final long fromB = b.allocate();
            assertEquals(true, fromB >= 3 * 2048, "b hands out only its own frames");
            a.release(fromB + 300);
            assertEquals(java.util.List.of(fromB), home, "a frame of b released on a goes home, not into a's stack");
            assertEquals(3, a.available());
            assertThrows(IllegalArgumentException.class, () -> new FramePool(area, 2048, 256, 6, 3));
        }
    }

    @Test
    void spscRingPassesRecordsWholeAcrossWraparound() throws Exception
    {
        final io.sluice.dataplane.worker.SpscLongRing ring = new io.sluice.dataplane.worker.SpscLongRing(8, 2);
        final int total = 200_000;
        final Thread producer = new Thread(() ->
        {
            for (long i = 0; i < total; i++)
            {
                int slot;
                while ((slot = ring.claim()) < 0)
                {
                    Thread.onSpinWait();
                }
                ring.put(slot, 0, i);
                ring.put(slot, 1, ~i);
                ring.commit();
            }
        });
        producer.start();
        long expected = 0;
        while (expected < total)
        {
            final int n = ring.available();
            for (int k = 0; k < n; k++)
            {
                final int slot = ring.peek(k);
                assertEquals(expected, ring.get(slot, 0), "in order, none lost");
                assertEquals(~expected, ring.get(slot, 1), "the record whole");
                expected++;
            }
            ring.release(n);
        }
        producer.join();
        assertEquals(0, ring.size());
        final io.sluice.dataplane.worker.SpscLongRing small = new io.sluice.dataplane.worker.SpscLongRing(2, 1);
        assertEquals(true, small.offer(1) && small.offer(2));
        assertEquals(false, small.offer(3), "full: refused, not overwritten");
        assertEquals(1, small.get(small.peek(0), 0));
    }
}
