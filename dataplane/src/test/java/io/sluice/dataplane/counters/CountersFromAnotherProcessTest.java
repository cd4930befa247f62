package io.sluice.dataplane.counters;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@code sluice ctl show counters} will do: read a running dataplane's counters from another JVM. */
class CountersFromAnotherProcessTest
{
    @TempDir
    Path tmp;

    @Test
    @Timeout(120)
    void readsTheCountersOfARunningWriterAndCallsThemStaleOnceItIsKilled() throws Exception
    {
        final Path dir = tmp.resolve("sluice-child");
        final Process child = new ProcessBuilder(childJava(CountersWriterChild.class.getName(), dir.toString()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        try
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8));
            // Read on another thread so that a silent child fails the test instead of hanging it.
            final String ready = CompletableFuture.supplyAsync(() -> readLine(out)).get(60, TimeUnit.SECONDS);
            assertNotNull(ready, "the child exited (status " + (child.isAlive() ? "?" : child.exitValue()) +
                ") before creating its counters file; its errors are above");
            assertTrue(ready.startsWith("READY " + child.pid()), ready);

            try (CountersView view = CountersFile.openReadOnly(dir))
            {
                assertEquals(child.pid(), view.writerPid());
                assertEquals(WriterStatus.ALIVE, view.writerStatus(), view.describeWriter());
                final CounterSnapshot rx = find(view, "port veth1: rx-packets");
                assertEquals(CounterType.PORT, rx.type());
                assertEquals(1, rx.key());
                assertEquals(PortCounterSet.Item.RX_PACKETS.code(), rx.item());
                assertEquals(CounterType.DROP, find(view, "ip4-input drop: bad-checksum (port veth1)").type());

                long last = view.value(rx.id());
                for (int reading = 0; reading < 5; reading++)
                {
                    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    long now = view.value(rx.id());
                    while (now <= last && System.nanoTime() < deadline)
                    {
                        Thread.sleep(10);
                        now = view.value(rx.id());
                    }
                    assertTrue(now > last, "rx-packets stuck at " + last);
                    last = now;
                }

                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                assertEquals(WriterStatus.EXITED, view.writerStatus(), "an open view notices the writer's death");
                final long after = view.value(rx.id());
                Thread.sleep(50);
                assertEquals(after, view.value(rx.id()), "a dead writer's counters no longer move");
            }

            assertTrue(Files.exists(dir.resolve(CountersFile.FILE_NAME)), "a killed writer cannot delete its file");
            try (CountersView stale = CountersFile.openReadOnly(dir))
            {
                assertTrue(stale.isStale());
                assertTrue(stale.describeWriter().contains("STALE: dataplane pid " + child.pid()), stale.describeWriter());
                assertTrue(find(stale, "port veth1: rx-packets").value() > 0, "the last values can still be read");
            }
        }
        finally
        {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static String readLine(final BufferedReader reader)
    {
        try
        {
            return reader.readLine();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    private static CounterSnapshot find(final CountersView view, final String label)
    {
        return view.snapshot().stream().filter(c -> c.label().equals(label)).findFirst()
            .orElseThrow(() -> new AssertionError("no counter '" + label + "' in " + view.snapshot()));
    }

    private static List<String> childJava(final String mainClass, final String... args)
    {
        final String java = ProcessHandle.current().info().command().orElse("java");
        final List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            "-Xmx64m", "-cp", classPath(), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    /** The test class path, plus this class's own location in case surefire hands over a manifest-only jar. */
    private static String classPath()
    {
        final List<String> entries = new ArrayList<>(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
        final String testClasses = Path.of(CountersWriterChild.class.getProtectionDomain().getCodeSource().getLocation()
            .getPath()).toString();
        if (!entries.contains(testClasses))
        {
            entries.add(testClasses);
        }
        return String.join(File.pathSeparator, entries);
    }
}
