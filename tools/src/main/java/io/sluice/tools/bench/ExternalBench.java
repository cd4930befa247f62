package io.sluice.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code sluice bench SCENARIO --dut-iface IF --external-generator}: the mode for real hardware.
 * The traffic comes from a generator this bench does not run (TRex, pktgen, a hardware tester on
 * the wire); what is measured is the DUT's own side: the port's counters in
 * {@code /sys/class/net/IF/statistics} (what the NIC driver counts, which includes frames that
 * AF_XDP took) and the DUT core's time in {@code /proc/stat}, sampled at the start and end of each
 * run. For {@code io} it starts Sluice's AF_XDP forward on IF itself (echo, MACs swapped, pinned to
 * {@code --dut-cpu}); with {@code --no-forwarder} it measures whatever runs there already (a
 * gateway started by hand), for any scenario. {@code --netns NS} looks at IF inside a network
 * namespace.
 * <p>
 * Per run: forwarded rate = transmitted packets / interval, received rate likewise, Gbit/s of the
 * transmitted frames (the counters' bytes plus 4 bytes of FCS per frame, as the generator-driven
 * scenarios count), drops = rx_dropped + rx_missed_errors + rx_fifo_errors + tx_dropped, and
 * frames received but not sent back. Median, minimum and maximum over the runs.
 */
final class ExternalBench
{
    static final List<String> COUNTERS = List.of("rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_dropped",
        "tx_dropped", "rx_missed_errors", "rx_fifo_errors");

    /** One interval's deltas. */
    record Sample(int run, long elapsedNs, long rx, long tx, long txBytes, long drops, IoBench.CoreUse dut)
    {
        double mpps()
        {
            return tx * 1e3 / elapsedNs;
        }

        double rxMpps()
        {
            return rx * 1e3 / elapsedNs;
        }

        double gbps()
        {
            return (txBytes + 4 * tx) * 8.0 / elapsedNs;
        }

        /** Dropped by the port's counters, and received but not forwarded. */
        long lost()
        {
            return drops + Math.max(0, rx - tx);
        }
    }

    private ExternalBench()
    {
    }

    static int run(final Scenario scenario, final String[] args) throws InterruptedException
    {
        final String[] iface = {null};
        final String[] netns = {null};
        final int[] cpu = {IoBench.FORWARDER_CPU};
        final boolean[] external = {false};
        final boolean[] noForwarder = {false};
        final List<String> forwardFlags = new ArrayList<>();
        final IoBench.Options o = IoBench.Options.parse(args, (a, i) ->
        {
            switch (a[i])
            {
                case "--dut-iface" -> iface[0] = IoBench.Options.value(a, i + 1, "--dut-iface");
                case "--netns" -> netns[0] = IoBench.Options.value(a, i + 1, "--netns");
                case "--dut-cpu" -> cpu[0] = IoBench.Options.intValue(a, i + 1, "--dut-cpu", 0, 4095);
                case "--external-generator" ->
                {
                    external[0] = true;
                    return i;
                }
                case "--no-forwarder" ->
                {
                    noForwarder[0] = true;
                    return i;
                }
                case "--driver", "--zero-copy", "--copy" ->
                {
                    forwardFlags.add(a[i]);
                    return i;
                }
                default -> throw new IllegalArgumentException("unknown argument '" + a[i] + "'");
            }
            return i + 1;
        });
        if (iface[0] == null || !external[0])
        {
            throw new IllegalArgumentException("the hardware mode needs both --dut-iface IF and --external-generator " +
                "(the traffic comes from a generator you run: TRex, pktgen, a tester)");
        }
        if (!noForwarder[0] && !scenario.name().equals("io"))
        {
            throw new IllegalArgumentException("with an external generator only io starts its own forwarder (echo " +
                "on IF); for " + scenario.name() + " start the gateway yourself and add --no-forwarder");
        }
        final List<Sample> samples = new ArrayList<>();
        String forwarderJson = null;
        try (BenchLab lab = BenchLab.create())
        {
            BenchLab.Child forwarder = null;
            if (!noForwarder[0])
            {
                final List<String> cmd = new ArrayList<>();
                cmd.add(o.java());
                cmd.addAll(IoBench.JVM_FLAGS);
                cmd.addAll(List.of("-cp", o.javaClassPath(), "io.sluice.tools.Main", "forward", "--iface", iface[0],
                    "--cpu", Integer.toString(cpu[0]), "--mac-swap", "--seconds",
                    Integer.toString(o.runs() * (o.seconds() + o.warmupMs() / 1000 + 1) + 60)));
                cmd.addAll(forwardFlags);
                forwarder = netns[0] == null ? lab.spawnHere("sluice-io", cmd) : lab.spawn("sluice-io", netns[0], cmd);
                forwarder.awaitReady(60_000);
            }
            System.out.printf(Locale.ROOT, "bench %s: DUT port %s%s, core %d, %d run(s) of %d s after %d ms; " +
                    "start your generator now (traffic to %s)%n", scenario.name(), iface[0],
                netns[0] == null ? "" : " in " + netns[0], cpu[0], o.runs(), o.seconds(), o.warmupMs(),
                noForwarder[0] ? "the running gateway" : "Sluice's io forward, which sends it back out of " + iface[0]);
            for (int run = 1; run <= o.runs(); run++)
            {
                Thread.sleep(o.warmupMs());
                final Map<String, Long> c0 = counters(netns[0], iface[0]);
                final long[] core0 = CpuSample.core(cpu[0]);
                final long t0 = System.nanoTime();
                Thread.sleep(o.seconds() * 1000L);
                final Map<String, Long> c1 = counters(netns[0], iface[0]);
                final long[] core1 = CpuSample.core(cpu[0]);
                final long t1 = System.nanoTime();
                if (forwarder != null && !forwarder.process().isAlive())
                {
                    throw new BenchException("the forwarder died:\n" + forwarder.output());
                }
                final long drops = delta(c0, c1, "rx_dropped") + delta(c0, c1, "rx_missed_errors") +
                    delta(c0, c1, "rx_fifo_errors") + delta(c0, c1, "tx_dropped");
                final Sample s = new Sample(run, t1 - t0, delta(c0, c1, "rx_packets"), delta(c0, c1, "tx_packets"),
                    delta(c0, c1, "tx_bytes"), drops, CpuSample.use(core0, core1, -1, -1));
                samples.add(s);
                System.out.printf(Locale.ROOT, "  run %d/%d %s: forwarded %.3f Mpps %.2f Gbit/s, received %.3f Mpps, " +
                        "dropped %d, DUT core busy %.0f %% (irq %.0f %%)%n", run, o.runs(), iface[0], s.mpps(), s.gbps(),
                    s.rxMpps(), s.lost(), s.dut().busy() * 100, s.dut().irq() * 100);
            }
            if (forwarder != null)
            {
                forwarderJson = forwarder.stop(15_000);
            }
        }
        final String json = toJson(scenario, iface[0], o, samples, forwarderJson);
        final Stats mpps = Stats.of(samples.stream().mapToDouble(Sample::mpps).toArray());
        System.out.printf(Locale.ROOT, "%s on %s: %.3f Mpps forwarded (median of %d; min %.3f, max %.3f)%n",
            scenario.name(), iface[0], mpps.median(), samples.size(), mpps.min(), mpps.max());
        if (samples.stream().allMatch(s -> s.rx() == 0))
        {
            System.out.println("WARNING: nothing arrived on " + iface[0] + ": is the generator sending to it?");
        }
        if (o.json() != null)
        {
            IoBench.write(o.json(), json);
        }
        return 0;
    }

    static String toJson(
        final Scenario scenario, final String iface, final IoBench.Options o, final List<Sample> samples,
        final String forwarderJson)
    {
        final Stats mpps = Stats.of(samples.stream().mapToDouble(Sample::mpps).toArray());
        final Stats rx = Stats.of(samples.stream().mapToDouble(Sample::rxMpps).toArray());
        final Stats gbps = Stats.of(samples.stream().mapToDouble(Sample::gbps).toArray());
        final Stats drops = Stats.of(samples.stream().mapToDouble(Sample::lost).toArray());
        final Stats cpu = Stats.of(samples.stream().filter(s -> s.dut().busy() >= 0)
            .mapToDouble(s -> s.dut().busy()).toArray());
        final StringBuilder sb = new StringBuilder("{\"scenario\":").append(Json.quote(scenario.name()))
            .append(",\"mode\":\"external-generator\",\"iface\":").append(Json.quote(iface))
            .append(",\"mpps\":").append(Stats.num(mpps.median()))
            .append(",\"runs\":").append(samples.size())
            .append(",\"seconds\":").append(o.seconds())
            .append(",\"gbps\":").append(Stats.num(gbps.median()))
            .append(",\"systems\":{\"dut\":{\"mpps\":").append(mpps.json())
            .append(",\"rxMpps\":").append(rx.json())
            .append(",\"gbps\":").append(gbps.json())
            .append(",\"drops\":").append(drops.json())
            .append(",\"dutCpu\":").append(cpu.json()).append("}}")
            .append(",\"forwarder\":").append(forwarderJson == null ? "null" : forwarderJson)
            .append(",\"measurements\":[");
        for (int i = 0; i < samples.size(); i++)
        {
            final Sample s = samples.get(i);
            sb.append(i > 0 ? "," : "").append("{\"run\":").append(s.run())
                .append(",\"elapsedNs\":").append(s.elapsedNs())
                .append(",\"rxPackets\":").append(s.rx())
                .append(",\"txPackets\":").append(s.tx())
                .append(",\"txBytes\":").append(s.txBytes())
                .append(",\"portDrops\":").append(s.drops())
                .append(",\"mpps\":").append(Stats.num(s.mpps()))
                .append(",\"gbps\":").append(Stats.num(s.gbps()))
                .append(",\"dutCpu\":").append(Stats.num(s.dut().busy()))
                .append(",\"dutIrqCpu\":").append(Stats.num(s.dut().irq())).append('}');
        }
        return sb.append("]}").toString();
    }

    private static long delta(final Map<String, Long> a, final Map<String, Long> b, final String key)
    {
        final Long x = a.get(key);
        final Long y = b.get(key);
        return x == null || y == null ? 0 : Math.max(0, y - x);
    }

    /** The port's statistics (those it has of {@link #COUNTERS}), here or in a namespace. */
    static Map<String, Long> counters(final String netns, final String iface)
    {
        final Map<String, Long> values = new HashMap<>();
        if (netns == null)
        {
            final Path dir = Path.of("/sys/class/net", iface, "statistics");
            if (!Files.isDirectory(dir))
            {
                throw new BenchException("no interface " + iface + " here (" + dir + " is missing)");
            }
            for (final String c : COUNTERS)
            {
                try
                {
                    values.put(c, Long.parseLong(Files.readString(dir.resolve(c)).trim()));
                }
                catch (final IOException | NumberFormatException e)
                {
                    // a driver without this counter: it counts as 0
                }
            }
            return values;
        }
        final String out = BenchLab.run("ip", "netns", "exec", netns, "grep", "-s", "", "-r",
            "/sys/class/net/" + iface + "/statistics/");
        for (final String line : out.split("\n"))
        {
            final int colon = line.lastIndexOf(':');
            if (colon < 0)
            {
                continue;
            }
            final String name = line.substring(line.lastIndexOf('/', colon) + 1, colon);
            if (COUNTERS.contains(name))
            {
                try
                {
                    values.put(name, Long.parseLong(line.substring(colon + 1).trim()));
                }
                catch (final NumberFormatException ignored)
                {
                    // not a number: leave it out
                }
            }
        }
        return values;
    }
}
