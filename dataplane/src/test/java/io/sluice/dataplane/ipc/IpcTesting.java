package io.sluice.dataplane.ipc;

import io.sluice.dataplane.packet.Bytes;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Contexts with short driver timeouts, so that a dead control process is noticed in about a second. */
final class IpcTesting
{
    static final long LIVENESS_NS = TimeUnit.MILLISECONDS.toNanos(1500);

    private IpcTesting()
    {
    }

    /** The dataplane's side: embedded driver on {@code dir}. */
    static IpcContext dataplane(final Path dir)
    {
        final IpcContext ctx = new IpcContext().aeronDirectoryName(dir.toString()).embeddedDriver(true)
            .sendTimeoutNs(TimeUnit.SECONDS.toNanos(5));
        ctx.driverContext()
            .clientLivenessTimeoutNs(LIVENESS_NS)
            .timerIntervalNs(TimeUnit.MILLISECONDS.toNanos(100))
            .publicationLingerTimeoutNs(TimeUnit.MILLISECONDS.toNanos(200))
            .imageLivenessTimeoutNs(LIVENESS_NS);
        return ctx.start();
    }

    /** A control process's side: the driver on {@code dir}. */
    static IpcContext control(final Path dir)
    {
        return new IpcContext().aeronDirectoryName(dir.toString()).embeddedDriver(false)
            .sendTimeoutNs(TimeUnit.SECONDS.toNanos(5)).start();
    }

    /** Polls until {@code done}, failing after {@code seconds}. */
    static void pollUntil(final StreamAdapter adapter, final BooleanSupplier done, final int seconds, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out after " + seconds + " s waiting for " + what);
            }
            if (adapter.doWork() == 0)
            {
                Thread.onSpinWait();
            }
        }
    }

    static void awaitConnected(final BooleanSupplier connected, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!connected.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
        }
    }

    /** True when a file under the Aeron directory (the log buffers: shared memory) holds {@code pattern}. */
    static boolean aeronFilesContain(final Path aeronDir, final byte[] pattern)
    {
        try (var files = Files.walk(aeronDir))
        {
            for (final Path f : files.filter(Files::isRegularFile).toList())
            {
                if (indexOf(Files.readAllBytes(f), pattern) >= 0)
                {
                    return true;
                }
            }
            return false;
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    private static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static String ip(final int address)
    {
        return Bytes.ip4ToString(address);
    }

    static String hex(final DirectBuffer buffer)
    {
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < buffer.capacity(); i++)
        {
            b.append(String.format("%02x", buffer.getByte(i)));
        }
        return b.toString();
    }
}
