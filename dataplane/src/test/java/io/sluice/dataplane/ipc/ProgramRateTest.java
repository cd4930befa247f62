package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * SA programming at 1,000 messages a second for 3 seconds, the data side an agent on its own
 * thread as in the dataplane: every message arrives, in order, keys intact. Nothing is asserted
 * about speed.
 */
class ProgramRateTest
{
    private static final int PER_SECOND = 1000;
    private static final int SECONDS = 3;
    private static final int MESSAGES = PER_SECOND * SECONDS;

    @TempDir
    Path tmp;

    /** Records on the agent thread into arrays; {@code count} publishes them to the test thread. */
    private static final class SaRecorder extends RecordingProgramHandler
    {
        final int[] kind = new int[MESSAGES];
        final int[] spi = new int[MESSAGES];
        volatile int count;
        volatile int badKeys;
        volatile int other;

        @Override
        public void onSaAdd(final SaParameters sa)
        {
            final int n = count;
            kind[n] = 1;
            spi[n] = sa.spi();
            if (sa.encryptionKey().capacity() != 20 || sa.encryptionKey().getInt(0) != sa.spi() ||
                sa.integrityKey().capacity() != 0 || sa.encryption() != EspEncryption.AES_GCM_128)
            {
                badKeys++;
            }
            count = n + 1;
        }

        @Override
        public void onSaDelete(final int spi, final Direction direction)
        {
            final int n = count;
            kind[n] = direction == Direction.INBOUND ? 2 : 3;
            this.spi[n] = spi;
            count = n + 1;
        }

        @Override
        public void onControlConnected(final int sessionId)
        {
        }

        @Override
        public void onControlLost(final int sessionId)
        {
            other++;
        }
    }

    @Test
    @Timeout(30)
    void thousandSaAddsAndDeletesASecondAllArriveInOrder()
    {
        final Path dir = tmp.resolve("aeron");
        final SaRecorder recorder = new SaRecorder();
        final List<Throwable> errors = new ArrayList<>();
        try (IpcContext dataplane = IpcTesting.dataplane(dir).errorHandler(errors::add);
            IpcContext control = IpcTesting.control(dir);
            ProgramProxy proxy = control.programProxy())
        {
            final ProgramAdapter adapter = dataplane.programAdapter(recorder);
            try (AgentRunner runner = new AgentRunner(new BackoffIdleStrategy(), errors::add, null, adapter))
            {
                AgentRunner.startOnThread(runner);
                IpcTesting.awaitConnected(proxy::isConnected, "the program stream");

                final byte[] key = new byte[20];
                final org.agrona.concurrent.UnsafeBuffer keyView = new org.agrona.concurrent.UnsafeBuffer(key);
                final SaParameters sa = new SaParameters().direction(Direction.INBOUND).tunnel("Tunnel1");
                final long start = System.nanoTime();
                final long interval = TimeUnit.SECONDS.toNanos(1) / PER_SECOND;
                for (int i = 0; i < MESSAGES; i++)
                {
                    final long due = start + i * interval;
                    while (System.nanoTime() < due)
                    {
                        LockSupport.parkNanos(50_000);
                    }
                    final int spi = 0x1000 + i / 2;
                    if (i % 2 == 0)
                    {
                        keyView.putInt(0, spi);
                        proxy.saAdd(sa.spi(spi).encryption(EspEncryption.AES_GCM_128, key)
                            .integrity(EspIntegrity.NONE, (byte[])null));
                    }
                    else
                    {
                        proxy.saDelete(spi, Direction.INBOUND);
                    }
                }
                final long sentIn = System.nanoTime() - start;

                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (recorder.count < MESSAGES && System.nanoTime() < deadline)
                {
                    LockSupport.parkNanos(1_000_000);
                }
                System.out.printf("%d SA messages sent in %d ms, %d received%n", MESSAGES,
                    TimeUnit.NANOSECONDS.toMillis(sentIn), recorder.count);
            }
            assertEquals(List.of(), errors);
            assertEquals(MESSAGES, recorder.count, "every message arrives");
            for (int i = 0; i < MESSAGES; i++)
            {
                final int spi = 0x1000 + i / 2;
                assertEquals(i % 2 == 0 ? 1 : 2, recorder.kind[i], "message " + i + " is an " +
                    (i % 2 == 0 ? "add" : "inbound delete"));
                assertEquals(spi, recorder.spi[i], "message " + i + " in order");
            }
            assertEquals(0, recorder.badKeys, "every SA's key arrived intact");
            assertEquals(0, recorder.other);
            assertEquals(MESSAGES, proxy.sent());
        }
    }
}
