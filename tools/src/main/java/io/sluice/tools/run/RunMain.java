package io.sluice.tools.run;

import io.sluice.controlplane.config.ConfigException;
import io.sluice.controlplane.config.ConfigParser;
import io.sluice.controlplane.config.DataplaneSettings;
import io.sluice.controlplane.config.ParsedConfig;
import io.sluice.controlplane.program.ConfigProgrammer;
import io.sluice.dataplane.run.RunDirectory;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code sluice run -c FILE}: a gateway in the current network namespace as two processes, the
 * dataplane (forwarding, started first) and the control process (configuration, IKE), which talk
 * over Aeron IPC. This process supervises them: a control process that dies is started again
 * while the dataplane keeps forwarding; a dataplane that dies ends the gateway. Logs of both go
 * to standard output. SIGTERM (or Ctrl-C) stops both cleanly and removes the run directory.
 */
public final class RunMain
{
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private RunMain()
    {
    }

    static void log(final String line)
    {
        System.out.println(LocalTime.now().format(TIME) + " run: " + line);
        System.out.flush();
    }

    public static int run(final String[] args) throws Exception
    {
        Path configFile = null;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "-c", "--config" -> configFile = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'; usage: sluice run -c FILE");
            }
        }
        if (configFile == null)
        {
            throw new IllegalArgumentException("usage: sluice run -c FILE");
        }
        final ParsedConfig parsed;
        try
        {
            parsed = new ConfigParser().load(configFile);
        }
        catch (final ConfigException e)
        {
            System.err.println(e.getMessage());
            return 1;
        }
        final ConfigProgrammer.Plan plan = ConfigProgrammer.plan(parsed.config());
        if (!plan.ok())
        {
            System.err.println(configFile + ": cannot be applied:");
            plan.errors().forEach(e -> System.err.println("  " + e));
            return 1;
        }
        final DataplaneSettings settings = parsed.config().dataplane();
        if (settings.backend() == DataplaneSettings.IoBackend.DPDK)
        {
            System.err.println(configFile + ": io backend dpdk: not available to 'sluice run' yet; use afxdp (the " +
                "default) or tun");
            return 1;
        }
        if (settings.interfaces().isEmpty())
        {
            System.err.println(configFile + ": no physical interface to forward on");
            return 1;
        }
        final Path runDir = RunDirectory.create(RunDirectory.forCurrentNamespace());
        Files.writeString(runDir.resolve("run.pid"), ProcessHandle.current().pid() + "\n");
        final Supervisor supervisor = new Supervisor(configFile.toAbsolutePath(), runDir, settings);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            supervisor.stop();
            try
            {
                stopped.await(15, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ignored)
            {
                // exiting anyway
            }
        }));
        try
        {
            return supervisor.supervise();
        }
        finally
        {
            supervisor.stop();
            RunDirectory.deleteTree(runDir);
            log("gateway stopped, " + runDir + " removed");
            stopped.countDown();
        }
    }

    /** Starts and watches the two processes. */
    private static final class Supervisor
    {
        private final Path config;
        private final Path runDir;
        private final DataplaneSettings settings;
        private volatile boolean stopping;
        private volatile Process dataplane;
        private volatile Process control;

        Supervisor(final Path config, final Path runDir, final DataplaneSettings settings)
        {
            this.config = config;
            this.runDir = runDir;
            this.settings = settings;
        }

        private static List<String> java(final String... args)
        {
            final List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("io.sluice.tools.Main");
            cmd.addAll(List.of(args));
            return cmd;
        }

        int supervise() throws Exception
        {
            final String cpus = settings.workerCpus().isEmpty() ? "-1" :
                String.join(",", settings.workerCpus().stream().map(String::valueOf).toList());
            log("starting the dataplane on " + String.join(", ", settings.interfaces()) + " with " +
                Math.max(1, settings.workerCpus().size()) + " worker(s)");
            dataplane = new ProcessBuilder(java("dataplane", "--run-dir", runDir.toString(), "--interfaces",
                String.join(",", settings.interfaces()), "--cpus", cpus, "--xdp", settings.xdpMode().keyword(), "--backend",
                settings.backend().keyword())).inheritIO().start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(runDir.resolve("dataplane.ready")))
            {
                if (!dataplane.isAlive())
                {
                    log("the dataplane failed to start (exit status " + dataplane.exitValue() + ")");
                    return 1;
                }
                if (System.nanoTime() > deadline)
                {
                    log("the dataplane did not get ready in 60 s");
                    return 1;
                }
                Thread.sleep(20);
            }
            int restarts = 0;
            long lastStart = 0;
            while (!stopping)
            {
                lastStart = System.nanoTime();
                log("starting the control process with " + config);
                control = new ProcessBuilder(java("control", "--config", config.toString(), "--run-dir",
                    runDir.toString())).inheritIO().start();
                while (control.isAlive() && dataplane.isAlive() && !stopping)
                {
                    control.waitFor(100, TimeUnit.MILLISECONDS);
                }
                if (stopping)
                {
                    break;
                }
                if (!dataplane.isAlive())
                {
                    log("the dataplane exited (status " + dataplane.exitValue() + "): stopping the gateway");
                    return 1;
                }
                final int status = control.exitValue();
                if (status == 1 && System.nanoTime() - lastStart < TimeUnit.SECONDS.toNanos(5) && restarts == 0)
                {
                    log("the control process refused to start (status 1): stopping the gateway");
                    return 1;
                }
                restarts++;
                log("the control process exited (status " + status + "): the dataplane keeps forwarding; " +
                    "restarting it (restart " + restarts + ")");
                Thread.sleep(Math.min(5000, 200L * restarts));
            }
            return 0;
        }

        synchronized void stop()
        {
            if (stopping && control == null && dataplane == null)
            {
                return;
            }
            stopping = true;
            for (final Process p : new Process[]{control, dataplane})
            {
                if (p != null && p.isAlive())
                {
                    p.destroy();
                    try
                    {
                        if (!p.waitFor(10, TimeUnit.SECONDS))
                        {
                            log("process " + p.pid() + " did not stop in 10 s: killing it");
                            p.destroyForcibly();
                            p.waitFor(5, TimeUnit.SECONDS);
                        }
                    }
                    catch (final InterruptedException e)
                    {
                        p.destroyForcibly();
                    }
                }
            }
            control = null;
            dataplane = null;
        }
    }
}
