package io.sluice.dataplane.esp;

import io.sluice.dataplane.esp.EspTesting.Suite;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bytes allocated per packet after warm-up, by this thread ({@code getCurrentThreadAllocatedBytes}).
 * NULL and CBC+HMAC allocate nothing. AES-GCM and ChaCha20-Poly1305 allocate inside the JCE: each
 * packet's nonce needs a {@code Cipher.init}, which makes the parameter spec and new GHASH/GCTR
 * (Poly1305) state; the bounds below hold that and print what was measured.
 */
class EspAllocationTest
{
    private static final int WARM_UP = 30_000;
    private static final int MEASURED = 20_000;

    private final EspTesting t = new EspTesting();

    @AfterEach
    void tearDown()
    {
        t.close();
    }

    private static long allocated()
    {
        return ((com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Encrypts a template copied into frame 2 and decrypts the result where it lies, n times. */
    private static void run(final EspTesting t, final SecurityAssociation out, final SecurityAssociation in,
        final MemorySegment template, final int length, final int n, final boolean decrypt)
    {
        final long at = 2L * EspTesting.FRAME + EspTesting.HEADROOM;
        for (int i = 0; i < n; i++)
        {
            MemorySegment.copy(template, 0, t.memory, at, length);
            if (t.codec.encrypt(t.memory, at, length, out) != EspStatus.OK)
            {
                throw new AssertionError("encrypt failed");
            }
            if (decrypt && t.codec.decrypt(t.memory, t.codec.start(), t.codec.length(), in) != EspStatus.OK)
            {
                throw new AssertionError("decrypt failed");
            }
        }
    }

    private static final class Measure
    {
        double encrypt;
        double decrypt;
    }

    private Measure measure(final Suite suite, final Mode mode, final boolean udp, final int size)
    {
        final SecurityAssociation.Builder ob = t.builder(suite, 0x7000, true, mode, 7).esn(true);
        final SecurityAssociation.Builder ib = t.builder(suite, 0x7000, false, mode, 7).esn(true).replayWindow(1024);
        if (udp)
        {
            ob.udpEncapsulation(4500, 4500);
        }
        final SecurityAssociation out = ob.build();
        final SecurityAssociation in = ib.build();
        final byte[] packet = EspTesting.udpPacket(size, 0, 1);
        final MemorySegment template = t.arena.allocate(packet.length);
        MemorySegment.copy(packet, 0, template, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, packet.length);
        run(t, out, in, template, packet.length, WARM_UP, true);
        final long a0 = allocated();
        run(t, out, in, template, packet.length, MEASURED, false);
        final long a1 = allocated();
        run(t, out, in, template, packet.length, MEASURED, true);
        final long a2 = allocated();
        final Measure m = new Measure();
        m.encrypt = (a1 - a0) / (double)MEASURED;
        m.decrypt = ((a2 - a1) - (a1 - a0)) / (double)MEASURED;
        assertEquals(WARM_UP + MEASURED, in.packets());
        out.destroy();
        in.destroy();
        return m;
    }

    @Test
    void nullAndCbcWithHmacAllocateNothingPerPacket()
    {
        for (final Suite suite : EspTesting.SUITES)
        {
            if (suite.encryption().aead())
            {
                continue;
            }
            for (final int size : new int[] {64, 1400})
            {
                final Measure m = measure(suite, size == 64 ? Mode.TUNNEL : Mode.TRANSPORT, size == 64, size);
                System.out.printf("allocation %-28s %5d B: encrypt %8.2f B/packet, decrypt %8.2f B/packet%n", suite, size,
                    m.encrypt, m.decrypt);
                assertTrue(m.encrypt < 1 && m.decrypt < 1, suite + " " + size + ": " + m.encrypt + " / " + m.decrypt);
            }
        }
    }

    @Test
    void aeadAllocatesOnlyWhatTheJceCipherInitDoes()
    {
        for (final Suite suite : EspTesting.SUITES)
        {
            if (!suite.encryption().aead())
            {
                continue;
            }
            for (final int size : new int[] {64, 1400})
            {
                final Measure m = measure(suite, Mode.TUNNEL, false, size);
                System.out.printf("allocation %-28s %5d B: encrypt %8.2f B/packet, decrypt %8.2f B/packet (inside the JCE)%n",
                    suite, size, m.encrypt, m.decrypt);
                final double bound = suite.encryption() == EspEncryption.CHACHA20_POLY1305 ? 3000 : 1500;
                assertTrue(m.encrypt < bound && m.decrypt < bound, suite + " " + size + ": " + m.encrypt + " / " +
                    m.decrypt);
            }
        }
    }
}
