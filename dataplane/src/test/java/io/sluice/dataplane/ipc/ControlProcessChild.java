package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;

import static io.sluice.dataplane.Dataplane.ip;

/**
 * A control process for the tests: joins the dataplane's driver on the Aeron directory given,
 * sends one generation of state (begin, a GRE tunnel, routes, an SA, end), prints
 * {@code SENT <session id>} and waits to be killed. It exits by itself when its standard input
 * closes, so that a test JVM that dies cannot leave it running.
 * <p>
 * Arguments: aeron-dir generation tunnel-name spi route...(a.b.c.d/len)
 */
public final class ControlProcessChild
{
    private ControlProcessChild()
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
                // the parent is gone either way
            }
            Runtime.getRuntime().halt(3);
        }, "stdin-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        final long generation = Long.parseLong(args[1]);
        final String tunnel = args[2];
        final int spi = Integer.parseInt(args[3], 16);
        try (IpcContext ipc = new IpcContext().aeronDirectoryName(args[0]).embeddedDriver(false).start();
            ProgramProxy program = ipc.programProxy())
        {
            program.beginState(generation);
            program.greTunnelAdd(tunnel, ip("198.51.100.1"), ip("198.51.100.2"), false, 0, false, 255, 0);
            for (int i = 4; i < args.length; i++)
            {
                final String[] route = args[i].split("/");
                program.routeAdd(ip(route[0]), Integer.parseInt(route[1]), tunnel, 0);
            }
            final byte[] key = new byte[20];
            key[0] = (byte)spi;
            program.saAdd(new SaParameters().spi(spi).direction(Direction.INBOUND).tunnel(tunnel)
                .encryption(EspEncryption.AES_GCM_128, key));
            program.endState(generation);
            System.out.println("SENT " + program.sessionId());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
