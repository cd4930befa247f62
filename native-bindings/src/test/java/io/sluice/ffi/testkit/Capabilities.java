package io.sluice.ffi.testkit;

import io.sluice.ffi.libc.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Runs a piece of a test as root without any effective capability, to show what a user without
 * CAP_NET_ADMIN or CAP_NET_RAW is told. Capabilities belong to a thread (raw {@code capset} with
 * pid 0 changes the caller only), so the work runs on a fresh thread that drops them, and puts
 * them back before it ends; the rest of the JVM keeps its own.
 */
public final class Capabilities
{
    private static final long SYS_CAPGET = 125;
    private static final long SYS_CAPSET = 126;
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    private Capabilities()
    {
    }

    /**
     * Calls {@code before} (e.g. entering a namespace, which itself needs CAP_SYS_ADMIN) and then
     * {@code work} without effective capabilities, then {@code after} with them back, all on one
     * new thread; returns what {@code work} returned or threw.
     */
    public static <T> Outcome<T> withoutEffective(final Runnable before, final Callable<T> work, final Runnable after)
    {
        final AtomicReference<Outcome<T>> result = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            before.run();
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment header = arena.allocate(8, 4);
                final MemorySegment saved = arena.allocate(24, 4);
                header.set(JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
                check("capget", Libc.syscall(SYS_CAPGET, header.address(), saved.address(), 0));
                final MemorySegment dropped = arena.allocate(24, 4);
                dropped.copyFrom(saved);
                dropped.set(JAVA_INT, 0, 0);  // effective, capabilities 0..31
                dropped.set(JAVA_INT, 12, 0); // effective, capabilities 32..63
                header.set(JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
                check("capset", Libc.syscall(SYS_CAPSET, header.address(), dropped.address(), 0));
                try
                {
                    result.set(new Outcome<>(work.call(), null));
                }
                catch (final Throwable t)
                {
                    result.set(new Outcome<>(null, t));
                }
                finally
                {
                    header.set(JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
                    check("capset", Libc.syscall(SYS_CAPSET, header.address(), saved.address(), 0));
                }
            }
            finally
            {
                after.run();
            }
        }, "without-capabilities");
        thread.start();
        try
        {
            thread.join();
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (result.get() == null)
        {
            throw new IllegalStateException("the capability-less thread died before running the work");
        }
        return result.get();
    }

    private static void check(final String call, final long rc)
    {
        if (rc < 0)
        {
            throw new IllegalStateException(call + " failed: errno " + -rc);
        }
    }

    /** What the work returned, or what it threw. */
    public record Outcome<T>(T value, Throwable thrown)
    {
    }
}
