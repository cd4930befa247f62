package io.sluice.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time from /proc: one CPU's line of /proc/stat, a process's user + system ticks. Differences
 * of two samples give a core's utilisation over an interval ({@link IoBench.CoreUse}).
 */
final class CpuSample
{
    /** Indexes into {@link #core}'s array. */
    static final int USER = 0;
    static final int SYSTEM = 1;
    static final int IDLE = 2;
    static final int IRQ = 3;
    static final int TOTAL = 4;

    private CpuSample()
    {
    }

    /** {user + nice, system, idle + iowait, irq + softirq, total} ticks of CPU {@code cpu}; null when unreadable. */
    static long[] core(final int cpu)
    {
        try
        {
            final String prefix = "cpu" + cpu + " ";
            for (final String line : Files.readAllLines(Path.of("/proc/stat")))
            {
                if (line.startsWith(prefix))
                {
                    final String[] f = line.trim().split("\\s+");
                    final long[] v = new long[8];
                    for (int i = 0; i < 8 && i + 1 < f.length; i++)
                    {
                        v[i] = Long.parseLong(f[i + 1]);
                    }
                    // user nice system idle iowait irq softirq steal
                    final long total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
                    return new long[]{v[0] + v[1], v[2], v[3] + v[4], v[5] + v[6], total};
                }
            }
            return null;
        }
        catch (final IOException | RuntimeException e)
        {
            return null;
        }
    }

    /** utime + stime of a process, all its threads, in ticks; -1 when it is gone. */
    static long processTicks(final long pid)
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            final String[] p = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(p[11]) + Long.parseLong(p[12]);
        }
        catch (final IOException | RuntimeException e)
        {
            return -1;
        }
    }

    /** The core's use between two samples; the process's ticks as a share of the core's. */
    static IoBench.CoreUse use(final long[] a, final long[] b, final long processA, final long processB)
    {
        if (a == null || b == null || b[TOTAL] <= a[TOTAL])
        {
            return IoBench.CoreUse.UNKNOWN;
        }
        final double total = b[TOTAL] - a[TOTAL];
        final double idle = (b[IDLE] - a[IDLE]) / total;
        final double process = processA < 0 || processB < 0 ? -1 : (processB - processA) / total;
        return new IoBench.CoreUse(Math.max(0, 1 - idle), (b[USER] - a[USER]) / total, (b[SYSTEM] - a[SYSTEM]) / total,
            (b[IRQ] - a[IRQ]) / total, process);
    }
}
