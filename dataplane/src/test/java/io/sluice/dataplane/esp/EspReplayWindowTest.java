package io.sluice.dataplane.esp;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The anti-replay window on its own (RFC 4303 3.4.3, Appendix A), against a plain model. */
class EspReplayWindowTest
{
    private static final long TWO_32 = 1L << 32;

    private static int receive(final ReplayWindow w, final long seq)
    {
        final int status = w.check(w.infer((int)seq));
        if (status == EspStatus.OK)
        {
            w.accept(w.infer((int)seq));
        }
        return status;
    }

    @Test
    void acceptsInOrderAndOutOfOrderOnceEach()
    {
        final ReplayWindow w = new ReplayWindow(64, false, 0);
        for (long s = 1; s <= 10; s++)
        {
            assertEquals(EspStatus.OK, receive(w, s));
        }
        assertEquals(EspStatus.REPLAY, receive(w, 10));
        assertEquals(EspStatus.REPLAY, receive(w, 3));
        assertEquals(EspStatus.OK, receive(w, 20));
        assertEquals(EspStatus.OK, receive(w, 15));
        assertEquals(EspStatus.REPLAY, receive(w, 15));
        assertEquals(20, w.top());
    }

    @Test
    void dropsSequenceZeroAndNumbersLeftOfTheWindow()
    {
        final ReplayWindow w = new ReplayWindow(64, false, 0);
        assertEquals(EspStatus.TOO_OLD, receive(w, 0));
        assertEquals(EspStatus.OK, receive(w, 100));
        assertEquals(EspStatus.OK, receive(w, 37), "100 - 63 is the window's left edge");
        assertEquals(EspStatus.TOO_OLD, receive(w, 36));
        assertEquals(EspStatus.TOO_OLD, receive(w, 1));
    }

    @Test
    void largeJumpClearsTheWindow()
    {
        final ReplayWindow w = new ReplayWindow(128, false, 0);
        for (long s = 1; s <= 128; s++)
        {
            assertEquals(EspStatus.OK, receive(w, s));
        }
        assertEquals(EspStatus.OK, receive(w, 100_000));
        for (long s = 100_000 - 127; s < 100_000; s++)
        {
            assertEquals(EspStatus.OK, receive(w, s), "seq " + s + " is new, though its bit once held " + (s % 128));
        }
        assertEquals(EspStatus.TOO_OLD, receive(w, 100_000 - 128));
    }

    @Test
    void matchesAModelForEveryWindowSizeShape()
    {
        for (final int size : new int[] {64, 65, 100, 128, 1000, 4096})
        {
            final ReplayWindow w = new ReplayWindow(size, false, 0);
            final BitSet seen = new BitSet();
            long top = 0;
            final Random random = new Random(size);
            long next = 1;
            for (int i = 0; i < 20_000; i++)
            {
                final long s = Math.max(1, next + random.nextInt(size * 3) - size * 2);
                next += random.nextInt(3);
                final int expected = s + size <= top ? EspStatus.TOO_OLD : seen.get((int)s) ? EspStatus.REPLAY :
                    EspStatus.OK;
                assertEquals(expected, receive(w, s), "size " + size + " seq " + s + " top " + top);
                if (expected == EspStatus.OK)
                {
                    seen.set((int)s);
                    top = Math.max(top, s);
                }
            }
        }
    }

    @Test
    void refusesWindowSizesOutside64To4096()
    {
        assertThrows(IllegalArgumentException.class, () -> new ReplayWindow(63, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new ReplayWindow(4097, false, 0));
        assertEquals(4096, new ReplayWindow(4096, true, 0).size());
    }

    // ------------------------------------------------------------------ ESN, RFC 4303 Appendix A2

    @Test
    void esnInfersTheHighBitsInsideOneSubspace()
    {
        final ReplayWindow w = new ReplayWindow(64, true, 5 * TWO_32 + 1000);
        assertEquals(5 * TWO_32 + 1000, w.infer(1000));
        assertEquals(5 * TWO_32 + 937, w.infer(937), "the window's bottom");
        assertEquals(6 * TWO_32 + 936, w.infer(936), "below the window: the next subspace");
        assertEquals(5 * TWO_32 + 5000, w.infer(5000));
    }

    @Test
    void esnInfersTheHighBitsWhenTheWindowSpansTwoSubspaces()
    {
        final ReplayWindow w = new ReplayWindow(64, true, 5 * TWO_32 + 10);
        assertEquals(5 * TWO_32 + 10, w.infer(10));
        assertEquals(4 * TWO_32 + 0xffff_fff0L, w.infer(0xffff_fff0), "late packet from before the rollover");
        assertEquals(4 * TWO_32 + 0xffff_ffcbL, w.infer(0xffff_ffcb), "the window's bottom, 10 - 63 mod 2^32");
        assertEquals(5 * TWO_32 + 0xffff_ffcaL, w.infer(0xffff_ffca), "below the bottom: this subspace, far ahead");
    }

    @Test
    void esnRollsOverAcrossTwoToThe32InBothDirections()
    {
        final ReplayWindow w = new ReplayWindow(64, true, TWO_32 - 20);
        for (long s = TWO_32 - 19; s <= TWO_32 + 5; s++)
        {
            if (s % 3 != 2)
            {
                assertEquals(EspStatus.OK, receive(w, s));
            }
        }
        assertEquals(TWO_32 + 5, w.top());
        // Late packets from below 2^32 arrive after the window moved above it.
        for (long s = TWO_32 - 19; s <= TWO_32 + 5; s++)
        {
            assertEquals(s % 3 == 2 ? EspStatus.OK : EspStatus.REPLAY, receive(w, s), "seq " + Long.toHexString(s));
        }
        assertEquals(TWO_32 + 5, w.top());
        // With ESN nothing is "too old": below the window's bottom reads as the next subspace (and fails the ICV).
        assertEquals(2 * TWO_32 - 59, w.infer((int)(TWO_32 - 59)));
    }

    @Test
    void withoutEsnNumbersAreTheirLow32Bits()
    {
        final ReplayWindow w = new ReplayWindow(64, false, 0xffff_fff0L);
        assertEquals(0xffff_ffffL, w.infer(-1));
        assertEquals(EspStatus.OK, receive(w, 0xffff_ffffL));
        assertEquals(EspStatus.TOO_OLD, receive(w, 0), "no wrap without ESN");
        assertEquals(EspStatus.TOO_OLD, receive(w, 1));
        assertTrue(w.toString().contains("top 4294967295"));
    }

    @Test
    void esnAtTheStartNeverInfersANegativeSubspace()
    {
        final ReplayWindow w = new ReplayWindow(64, true, 0);
        assertEquals(1, w.infer(1));
        assertEquals(0xffff_fff0L, w.infer(0xffff_fff0), "a sender far ahead in subspace 0, not subspace -1");
    }
}
