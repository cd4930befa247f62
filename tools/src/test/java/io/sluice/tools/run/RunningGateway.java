package io.sluice.tools.run;

import io.sluice.ffi.testkit.NetnsLab;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A gateway a test starts with {@code sluice run -c FILE} in a namespace of its {@link NetnsLab},
 * as a person would (no test hooks): its console is kept for assertions, {@code sluice ctl}
 * talks to it, and {@link #close()} stops it with SIGTERM (the lab removes anything left).
 */
final class RunningGateway implements AutoCloseable
{
    private final String ns;
    private final Process process;
    private final StringBuffer log = new StringBuffer();

    private RunningGateway(final String ns, final Process process)
    {
        this.ns = ns;
        this.process = process;
    }

    static RunningGateway start(final NetnsLab lab, final String ns, final Path config)
    {
        final Process p = lab.spawn(ns, java("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
            "io.sluice.tools.Main", "run", "-c", config.toString()).toArray(String[]::new));
        final RunningGateway g = new RunningGateway(ns, p);
        Thread.ofVirtual().start(() ->
        {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    g.log.append(line).append('\n');
                }
            }
            catch (final Exception ignored)
            {
                // the gateway ended
            }
        });
        return g;
    }

    private static List<String> java(final String... args)
    {
        final List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
            "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Everything the gateway (supervisor, dataplane and control process) printed so far. */
    String log()
    {
        return log.toString();
    }

    boolean contains(final String text)
    {
        return log.toString().contains(text);
    }

    /** How many times {@code text} appears in the log. */
    int occurrences(final String text)
    {
        final String s = log.toString();
        int n = 0;
        for (int i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + 1))
        {
            n++;
        }
        return n;
    }

    /** {@code sluice ctl -n NS COMMAND}: its output; fails the test on a non-zero exit. */
    String ctl(final String... command)
    {
        final List<String> cmd = java("-cp", System.getProperty("java.class.path"), "io.sluice.tools.Main", "ctl", "-n",
            ns);
        cmd.addAll(List.of(command));
        final NetnsLab.Result r = NetnsLab.execute(cmd.toArray(String[]::new));
        assertEquals(0, r.status(), "ctl " + String.join(" ", command) + ": " + r.output());
        return r.output();
    }

    /**
     * Waits for {@code condition}; fails with the gateway's log and {@code diagnostics} when it
     * does not come in time or the gateway exits.
     */
    void await(final BooleanSupplier condition, final long millis, final String what,
        final Supplier<String> diagnostics) throws InterruptedException
    {
        final long until = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean())
        {
            if (System.currentTimeMillis() > until || !process.isAlive())
            {
                throw new AssertionError("waiting for " + what + (process.isAlive() ? "" : " (the gateway exited)") +
                    ":\n" + log + "\n" + diagnostics.get());
            }
            Thread.sleep(50);
        }
    }

    /** Waits for {@code text} in the log. */
    void awaitLog(final String text, final long millis, final Supplier<String> diagnostics) throws InterruptedException
    {
        await(() -> contains(text), millis, "'" + text + "' in the gateway's log", diagnostics);
    }

    @Override
    public void close() throws InterruptedException
    {
        process.destroy();
        process.waitFor(20, TimeUnit.SECONDS);
    }
}
