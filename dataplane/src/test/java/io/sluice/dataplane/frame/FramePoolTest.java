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
}
