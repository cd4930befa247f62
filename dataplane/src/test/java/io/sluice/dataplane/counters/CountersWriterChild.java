package io.sluice.dataplane.counters;

import java.nio.file.Path;

/**
 * A child process for the tests, standing in for a running dataplane: creates a counters file in
 * the directory given, says READY, and increments its counters until killed. It exits by itself
 * when its standard input closes, so that a test JVM that dies cannot leave it running.
 */
public final class CountersWriterChild
{
    private CountersWriterChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Thread watchdog = new Thread(() ->
        {
            try
            {
                while (System.in.read() >= 0)
                {
                    Thread.onSpinWait();
                }
            }
            catch (final Exception ignored)
            {
                // The parent is gone either way.
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        final CountersFile counters = CountersFile.create(Path.of(args[0]), 64, 0);
        final PortCounterSet port = PortCounterSet.allocate(counters, 1, "veth1");
        final var drops = counters.allocateDrop(4, "ip4-input", 1, "bad-checksum", "port veth1");
        System.out.println("READY " + ProcessHandle.current().pid() + " " + counters.file());
        System.out.flush();
        for (long i = 0; ; i++)
        {
            port.rxPackets.incrementRelease();
            port.rxBytes.getAndAddRelease(64);
            if (i % 10 == 0)
            {
                drops.incrementRelease();
            }
            if (i % 100 == 0)
            {
                Thread.sleep(1);
            }
        }
    }
}
