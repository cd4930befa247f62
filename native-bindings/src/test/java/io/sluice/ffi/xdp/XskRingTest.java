package io.sluice.ffi.xdp;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ring index arithmetic against a simulated kernel side: producer 0, consumer 64,
 * flags 128, descriptors from 192.
 */
class XskRingTest
{
    private static final long PROD = 0;
    private static final long CONS = 64;
    private static final long FLAGS = 128;
    private static final long DESC = 192;

    private static MemorySegment area(final Arena arena, final int size, final int entry)
    {
        return arena.allocate(DESC + (long)size * entry, 64);
    }

    @Test
    void producerCannotOverrunTheKernelAndSeesFreedSlots()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = area(arena, 64, 8);
            final XskRing fill = new XskRing(m, PROD, CONS, FLAGS, DESC, 64, 8, true);
            assertEquals(64, fill.reserve(100), "at most the ring size");
            assertEquals(0, fill.reserve(1), "full");
            fill.submit();
            assertEquals(64, m.get(JAVA_INT, PROD));
            m.set(JAVA_INT, CONS, 10); // the kernel consumed ten
            assertEquals(10, fill.reserve(32));
            final int first = fill.producerIndex() - 10;
            fill.putAddress(first, 0xabcdL);
            assertEquals(0xabcdL, m.get(JAVA_LONG, DESC + (long)(first & 63) * 8), "wraps by mask");
        }
    }

    @Test
    void consumerSeesOnlyWhatTheKernelPublishedAndReleasesIt()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = area(arena, 64, 16);
            final XskRing rx = new XskRing(m, PROD, CONS, FLAGS, DESC, 64, 16, false);
            assertEquals(0, rx.available(64));
            m.set(JAVA_LONG, DESC, 4096L);
            m.set(JAVA_INT, DESC + 8, 60);
            m.set(JAVA_INT, PROD, 1);
            assertEquals(1, rx.available(64));
            assertEquals(4096L, rx.address(rx.consumerIndex()));
            assertEquals(60, rx.length(rx.consumerIndex()));
            rx.release(1);
            assertEquals(1, m.get(JAVA_INT, CONS));
            assertEquals(0, rx.available(64));
        }
    }

    @Test
    void indicesWrapAroundTwoToThe32()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = area(arena, 64, 8);
            m.set(JAVA_INT, PROD, -5); // 0xfffffffb
            m.set(JAVA_INT, CONS, -5);
            final XskRing ring = new XskRing(m, PROD, CONS, FLAGS, DESC, 64, 8, true);
            assertEquals(64, ring.reserve(64));
            ring.submit();
            assertEquals(59, m.get(JAVA_INT, PROD), "producer wrapped past 2^32");
            m.set(JAVA_INT, CONS, 59);
            assertEquals(64, ring.free(64));
        }
    }

    @Test
    void needWakeupFollowsTheKernelFlag()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment m = area(arena, 64, 16);
            final XskRing tx = new XskRing(m, PROD, CONS, FLAGS, DESC, 64, 16, true);
            assertFalse(tx.needsWakeup());
            m.set(JAVA_INT, FLAGS, XskRing.NEED_WAKEUP);
            assertTrue(tx.needsWakeup());
        }
    }
}
