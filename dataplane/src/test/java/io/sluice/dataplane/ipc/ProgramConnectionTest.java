package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.sluice.dataplane.Dataplane.ip;
import static io.sluice.dataplane.ipc.IpcTesting.pollUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who the dataplane listens to, and what a control process hears when nobody listens. */
class ProgramConnectionTest
{
    @TempDir
    Path tmp;

    @Test
    void aNewerControlProcessSupersedesAnOlderOneThatIsStillThere()
    {
        final Path dir = tmp.resolve("aeron");
        final RecordingProgramHandler handler = new RecordingProgramHandler();
        try (IpcContext dataplane = IpcTesting.dataplane(dir);
            ProgramAdapter adapter = dataplane.programAdapter(handler);
            IpcContext old = IpcTesting.control(dir);
            ProgramProxy oldProxy = old.programProxy())
        {
            oldProxy.beginState(1);
            pollUntil(adapter, () -> handler.lines.size() == 2, 10, "the old control process");
            try (IpcContext next = IpcTesting.control(dir);
                ProgramProxy nextProxy = next.programProxy())
            {
                IpcTesting.awaitConnected(nextProxy::isConnected, "the new control process");
                pollUntil(adapter, () -> adapter.currentSessionId() == nextProxy.sessionId(), 10, "the switch");
                oldProxy.routeAdd(ip("10.0.0.0"), 8, "eth0", 0);
                nextProxy.beginState(2);
                pollUntil(adapter, () -> handler.lines.contains("begin 2"), 10, "the new generation");
                pollUntil(adapter, () -> adapter.discarded() == 1, 10, "the old one's last message to be drained");
                assertEquals(List.of("connected " + oldProxy.sessionId(), "begin 1", "lost " + oldProxy.sessionId(),
                    "connected " + nextProxy.sessionId(), "begin 2"), handler.lines,
                    "the old process's late route is not mixed into the new one's state");
            }
            pollUntil(adapter, () -> handler.lines.size() == 6, 10, "the new one to go when it closes");
            assertEquals("lost " + handler.lines.get(3).substring("connected ".length()), handler.lines.get(5));
            assertFalse(adapter.isPublisherConnected(), "the superseded one is not taken back");
        }
    }

    @Test
    void aControlProcessFailsClearlyWhenNoDataplaneSubscribes()
    {
        final Path dir = tmp.resolve("aeron");
        try (IpcContext dataplane = IpcTesting.dataplane(dir);
            IpcContext control = IpcTesting.control(dir).sendTimeoutNs(TimeUnit.MILLISECONDS.toNanos(200));
            ProgramProxy proxy = control.programProxy())
        {
            final long start = System.nanoTime();
            final IpcException e = assertThrows(IpcException.class, () -> proxy.beginState(1));
            assertTrue(e.getMessage().contains("program stream: nobody subscribed within 200 ms") &&
                e.getMessage().contains("dataplane"), e.getMessage());
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "it waited for one");
            assertEquals(1, proxy.failed());
            assertTrue(dataplane.driver() != null);
        }
    }

    @Test
    void aControlProcessFailsClearlyWhenTheDataplaneStopsReading()
    {
        final Path dir = tmp.resolve("aeron");
        try (IpcContext dataplane = IpcTesting.dataplane(dir);
            ProgramAdapter neverPolled = dataplane.programAdapter(new RecordingProgramHandler());
            IpcContext control = IpcTesting.control(dir).sendTimeoutNs(TimeUnit.MILLISECONDS.toNanos(200));
            ProgramProxy proxy = control.programProxy())
        {
            IpcTesting.awaitConnected(proxy::isConnected, "the program stream");
            final SaParameters sa = new SaParameters().encryption(EspEncryption.AES_GCM_256, new byte[36])
                .direction(Direction.INBOUND).tunnel("Tunnel1");
            final IpcException e = assertThrows(IpcException.class, () ->
            {
                for (int i = 0; i < 1_000_000; i++)
                {
                    proxy.saAdd(sa.spi(i));
                }
            });
            assertTrue(e.getMessage().startsWith("program stream: back-pressured for 200 ms (the dataplane reads " +
                "nothing; stuck, or far behind)"), e.getMessage());
            assertTrue(proxy.sent() > 1000, "a window's worth went first: " + proxy.sent());
            assertEquals(0, neverPolled.messages());
        }
    }
}
