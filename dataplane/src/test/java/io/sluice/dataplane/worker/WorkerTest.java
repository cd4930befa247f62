package io.sluice.dataplane.worker;

import io.sluice.ffi.libc.Libc;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerTest
{
    @Test
    void runsItsJobOnThePinnedCpuAndClosesOnce() throws Exception
    {
        final int[] cpus = Libc.currentAffinity();
        final int cpu = cpus[cpus.length - 1];
        final AtomicInteger cycles = new AtomicInteger();
        final AtomicInteger wrongCpu = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final Worker worker = new Worker("test-worker", cpu, () ->
        {
            if (Libc.currentCpu() != cpu)
            {
                wrongCpu.incrementAndGet();
            }
            cycles.incrementAndGet();
            return 0;
        }, closed::incrementAndGet);
        final AgentRunner runner = new AgentRunner(new SleepingMillisIdleStrategy(1), Throwable::printStackTrace,
            null, worker);
        AgentRunner.startOnThread(runner);
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (cycles.get() < 20 && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        runner.close();
        assertTrue(cycles.get() >= 20, "job ran");
        assertEquals(cpu, worker.runningOnCpu());
        assertEquals(0, wrongCpu.get(), "every cycle on the pinned CPU");
        assertEquals(1, closed.get());
        assertEquals("test-worker", worker.roleName());
    }
}
