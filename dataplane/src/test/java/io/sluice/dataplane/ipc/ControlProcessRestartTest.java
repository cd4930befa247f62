package io.sluice.dataplane.ipc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.sluice.dataplane.ipc.IpcTesting.pollUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control process is another JVM: the dataplane (this JVM, embedded driver) takes its state,
 * notices when it is killed, keeps what it has, and takes the next control process's state in
 * place of the first one's.
 */
class ControlProcessRestartTest
{
    @TempDir
    Path tmp;

    @Test
    @Timeout(60)
    void aKilledControlProcessIsNoticedAndTheNextOnesGenerationReplacesItsState() throws Exception
    {
        final Path dir = tmp.resolve("aeron");
        final StateModel model = new StateModel();
        final List<Process> children = new ArrayList<>();
        try (IpcContext dataplane = IpcTesting.dataplane(dir);
            ProgramAdapter adapter = dataplane.programAdapter(model))
        {
            final Process first = start(children, dir, "1", "Tunnel1", "100", "10.1.0.0/16", "10.2.0.0/16",
                "10.3.0.0/16");
            final int firstSession = awaitSent(first);
            pollUntil(adapter, () -> model.applied == 1, 20, "generation 1 from the first control process");
            assertEquals(Map.of(
                "route 10.1.0.0/16 Tunnel1", 1L,
                "route 10.2.0.0/16 Tunnel1", 1L,
                "route 10.3.0.0/16 Tunnel1", 1L,
                "sa 100 INBOUND Tunnel1 key 00", 1L,
                "tunnel Tunnel1", 1L), model.sorted());
            assertEquals("connected " + firstSession, model.lines.getFirst());
            assertEquals("begin 1", model.lines.get(1));

            first.destroyForcibly();
            assertTrue(first.waitFor(20, TimeUnit.SECONDS));
            final long killed = System.nanoTime();
            pollUntil(adapter, () -> model.lines.contains("lost " + firstSession), 20,
                "the dataplane to notice the control process died");
            System.out.printf("control process loss noticed %d ms after the kill%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
            assertEquals(5, model.objects.size(), "the dataplane keeps its state (and forwards) without control");
            assertFalse(adapter.isPublisherConnected());

            final Process second = start(children, dir, "2", "Tunnel2", "200", "10.2.0.0/16", "10.4.0.0/16");
            final int secondSession = awaitSent(second);
            assertNotEquals(firstSession, secondSession);
            pollUntil(adapter, () -> model.applied == 2, 20, "generation 2 from the second control process");
            assertEquals(Map.of(
                "route 10.2.0.0/16 Tunnel2", 2L,
                "route 10.4.0.0/16 Tunnel2", 2L,
                "sa 200 INBOUND Tunnel2 key 00", 2L,
                "tunnel Tunnel2", 2L), model.sorted(), "the second generation replaced the first, no merge");
            final int lost = model.lines.indexOf("lost " + firstSession);
            assertEquals(List.of("lost " + firstSession, "connected " + secondSession, "begin 2"),
                model.lines.subList(lost, lost + 3));
            assertEquals("end 2", model.lines.getLast());
            assertEquals(0, adapter.failed());
        }
        finally
        {
            for (final Process p : children)
            {
                p.destroyForcibly();
                p.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    private static Process start(final List<Process> children, final Path dir, final String... args)
        throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(javaCommand(), "--enable-native-access=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", classPath(), ControlProcessChild.class.getName(),
            dir.toString()));
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        return p;
    }

    /** Waits for the child's {@code SENT <session>} line: its whole generation is in the log. */
    private static int awaitSent(final Process child) throws Exception
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.UTF_8));
        final String line = CompletableFuture.supplyAsync(() -> readLine(out)).get(30, TimeUnit.SECONDS);
        assertNotNull(line, "the control process exited (status " + (child.isAlive() ? "?" : child.exitValue()) +
            ") before sending its state; its errors are above");
        assertTrue(line.startsWith("SENT "), line);
        return Integer.parseInt(line.substring(5).trim());
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

    private static String javaCommand()
    {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
            "java").toString());
    }

    /** The test class path, plus the test classes' own location in case surefire hands over a manifest-only jar. */
    private static String classPath()
    {
        final List<String> entries = new ArrayList<>(List.of(System.getProperty("java.class.path")
            .split(File.pathSeparator)));
        final String testClasses = Path.of(ControlProcessChild.class.getProtectionDomain().getCodeSource()
            .getLocation().getPath()).toString();
        if (!entries.contains(testClasses))
        {
            entries.add(testClasses);
        }
        return String.join(File.pathSeparator, entries);
    }
}
