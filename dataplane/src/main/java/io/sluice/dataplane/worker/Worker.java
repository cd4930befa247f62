package io.sluice.dataplane.worker;

import io.sluice.ffi.libc.Libc;
import org.agrona.concurrent.Agent;

/**
 * A worker core: an Agrona agent that pins its thread to one CPU when it starts and then runs
 * its job to completion on every duty cycle. What the job is (a forwarding graph, a cross-connect)
 * is given to it; the worker only owns the thread's placement and life.
 */
public final class Worker implements Agent
{
    /** The work of one duty cycle; returns how much was done (0 lets the idle strategy back off). */
    @FunctionalInterface
    public interface Job
    {
        int doWork();
    }

    private final String name;
    private final int cpu;
    private final Job job;
    private final Runnable onClose;
    private volatile int runningOnCpu = -1;

    /**
     * @param cpu the CPU to pin to, or -1 to leave the thread where the scheduler puts it
     */
    public Worker(final String name, final int cpu, final Job job, final Runnable onClose)
    {
        this.name = name;
        this.cpu = cpu;
        this.job = job;
        this.onClose = onClose;
    }

    @Override
    public void onStart()
    {
        if (cpu >= 0)
        {
            Libc.pinCurrentThread(cpu);
        }
        runningOnCpu = Libc.currentCpu();
    }

    @Override
    public int doWork()
    {
        return job.doWork();
    }

    @Override
    public void onClose()
    {
        if (onClose != null)
        {
            onClose.run();
        }
    }

    /** The CPU the thread was on right after pinning (-1 before start). */
    public int runningOnCpu()
    {
        return runningOnCpu;
    }

    @Override
    public String roleName()
    {
        return name;
    }
}
