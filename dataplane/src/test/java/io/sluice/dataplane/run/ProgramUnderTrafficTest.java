package io.sluice.dataplane.run;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.gre.GreNamespaceTest;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.ipc.IpcContext;
import io.sluice.dataplane.ipc.ProgramAdapter;
import io.sluice.dataplane.ipc.ProgramProxy;
import io.sluice.dataplane.ipc.SaParameters;
import io.sluice.dataplane.program.DirectProgram;
import io.sluice.dataplane.testing.XdpGateway;
import io.sluice.ffi.testkit.NetnsLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Programming while forwarding: host traffic flows through an ESP tunnel between two gateways on
 * AF_XDP while the program stream (Aeron IPC, as the control process sends it) adds and deletes
 * SAs on the receiving gateway at 1,000 updates a second. No packet of the traffic is lost and
 * no ESP node drops anything: the SA database is swapped copy-on-write under the worker.
 */
class ProgramUnderTrafficTest
{
    private static final int GW1 = Dataplane.ip("192.0.2.1");
    private static final int GW2 = Dataplane.ip("192.0.2.2");
    private static final byte[] KEY_12 = bytes(20, 1);
    private static final byte[] KEY_21 = bytes(20, 2);

    private NetnsLab lab;
    private final List<XdpGateway> gateways = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        lab = NetnsLab.createOrSkip(this);
    }

    @AfterEach
    void tearDown()
    {
        gateways.forEach(XdpGateway::close);
        if (lab != null)
        {
            lab.close();
        }
    }

    private static byte[] bytes(final int n, final int seed)
    {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)(seed * 37 + i);
        }
        return b;
    }

    private static SaParameters sa(final SaParameters p, final int spi, final Direction direction, final int src,
        final int dst, final int peer, final byte[] key)
    {
        return p.reset().spi(spi).direction(direction).mode(SecurityAssociation.Mode.TUNNEL).tunnel("Tunnel1")
            .peer(peer).endpoints(src, dst).udpEncapsulation(4500, 4500)
            .encryption(EspEncryption.AES_GCM_128, key.clone());
    }

    @Test
    void thousandSaUpdatesASecondWhileTrafficFlowsLoseNothing(@TempDir final Path dir) throws Exception
    {
        final String a = lab.namespace("ha");
        final String g1 = lab.namespace("g1");
        final String g2 = lab.namespace("g2");
        final String b = lab.namespace("hb");
        final String[] la = lab.veth(a, "10.1.0.10/24", g1, null);
        final String[] wan = lab.veth(g1, null, g2, null);
        final String[] lb = lab.veth(g2, null, b, "10.2.0.10/24");
        lab.exec(a, "ip", "route", "add", "default", "via", "10.1.0.1");
        lab.exec(b, "ip", "route", "add", "default", "via", "10.2.0.1");
        final XdpGateway gw1 = new XdpGateway(g1, la[1], wan[0]);
        gateways.add(gw1);
        gw1.ethernet(la[1], "10.1.0.1/24");
        gw1.ethernet(wan[0], "192.0.2.1/24");
        final XdpGateway gw2 = new XdpGateway(g2, wan[1], lb[0]);
        gateways.add(gw2);
        gw2.ethernet(wan[1], "192.0.2.2/24");
        gw2.ethernet(lb[0], "10.2.0.1/24");
        final Interface t1 = gw1.dp().addIpsecTunnel("Tunnel1", GW1, GW2);
        gw1.dp().addRoute(Dataplane.ip("10.2.0.0"), 24, t1, 0);
        final DirectProgram p1 = new DirectProgram(gw1.dp(), null);
        final DirectProgram p2 = new DirectProgram(gw2.dp(), null);
        final List<String> log2 = new java.util.concurrent.CopyOnWriteArrayList<>();

        try (IpcContext dataplane = new IpcContext().aeronDirectoryName(dir.resolve("aeron").toString())
                .embeddedDriver(true).start();
            IpcContext control = new IpcContext().aeronDirectoryName(dir.resolve("aeron").toString())
                .embeddedDriver(false).start();
            ProgramAdapter adapter = dataplane.programAdapter(new ProgramBridge(p2, log2::add));
            ProgramProxy proxy = control.programProxy())
        {
            final AtomicBoolean polling = new AtomicBoolean(true);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread programThread = Thread.ofPlatform().name("program").start(() ->
            {
                try
                {
                    while (polling.get())
                    {
                        if (adapter.doWork() == 0)
                        {
                            Thread.onSpinWait();
                        }
                    }
                }
                catch (final Throwable t)
                {
                    failure.set(t);
                }
            });
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (!proxy.isConnected() && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            // gateway 2's whole state arrives over the program stream, as from a control process
            final SaParameters params = new SaParameters();
            proxy.beginState(1);
            proxy.ipsecTunnelAdd("Tunnel1", GW2, GW1);
            proxy.routeAdd(Dataplane.ip("10.1.0.0"), 24, "Tunnel1", 0);
            proxy.saAdd(sa(params, 0x1000, Direction.INBOUND, GW1, GW2, GW1, KEY_12));
            proxy.saAdd(sa(params, 0x2000, Direction.OUTBOUND, GW2, GW1, GW1, KEY_21));
            proxy.endState(1);
            p1.addSa(new io.sluice.dataplane.program.SaSpec(0x1000, false, SecurityAssociation.Mode.TUNNEL, "Tunnel1",
                GW2, GW1, 4500, EspEncryption.AES_GCM_128, KEY_12.clone(), io.sluice.dataplane.esp.EspIntegrity.NONE,
                new byte[0], false, 64, 0, 0));
            p1.addSa(new io.sluice.dataplane.program.SaSpec(0x2000, true, SecurityAssociation.Mode.TUNNEL, "Tunnel1",
                GW2, GW1, 4500, EspEncryption.AES_GCM_128, KEY_21.clone(), io.sluice.dataplane.esp.EspIntegrity.NONE,
                new byte[0], false, 64, 0, 0));
            while (gw2.dp().sad().inbound(0x1000) == null && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            assertNotNull(gw2.dp().sad().inbound(0x1000), "state applied: " + log2);
            gw1.start();
            gw2.start();
            final String ping = lab.exec(a, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.2.0.10");
            org.junit.jupiter.api.Assertions.assertTrue(ping.contains(" 0% packet loss"), ping + log2);

            // 3,000 SAs added and 2,999 deleted, one of each every millisecond (1,000 updates/s each way), while
            // host traffic crosses in both directions for as long as the churn lasts
            final int adds = 3000;
            final int[] updates = {0};
            final Thread churn = Thread.ofPlatform().name("churn").start(() ->
            {
                final SaParameters c = new SaParameters();
                int spi = 0x10000;
                long next = System.nanoTime();
                for (int n = 0; n < adds; n++)
                {
                    proxy.saAdd(sa(c, spi, Direction.INBOUND, GW1, GW2, GW1, bytes(20, spi)));
                    if (spi > 0x10000)
                    {
                        proxy.saDelete(spi - 1, Direction.INBOUND);
                        updates[0]++;
                    }
                    spi++;
                    updates[0]++;
                    next += 1_000_000L;
                    while (System.nanoTime() < next)
                    {
                        Thread.onSpinWait();
                    }
                }
            });
            int datagrams = 0;
            try
            {
                do
                {
                    GreNamespaceTest.udpStream(a, "10.1.0.10", b, "10.2.0.10", 500, 1000);
                    GreNamespaceTest.udpStream(b, "10.2.0.10", a, "10.1.0.10", 200, 1000);
                    datagrams += 700;
                }
                while (churn.isAlive());
            }
            finally
            {
                churn.join();
            }
            final long until = System.nanoTime() + 5_000_000_000L;
            final int lastSpi = 0x10000 + adds - 1;
            while (gw2.dp().sad().inbound(lastSpi) == null && System.nanoTime() < until)
            {
                Thread.sleep(10);
            }
            polling.set(false);
            programThread.join();
            assertNull(failure.get());
            System.out.printf("%d SA updates applied while %d datagrams crossed, none lost%n", updates[0], datagrams);
            assertEquals(2 * adds - 1, updates[0]);
            assertNotNull(gw2.dp().sad().inbound(lastSpi), "the last SA added is there");
            assertNull(gw2.dp().sad().inbound(lastSpi - 1), "the one before it was deleted");
            assertEquals(2, gw2.dp().sad().inboundCount(), "the tunnel's SA and the churn's last one");
            assertEquals(0, gw2.dp().espDecrypt().totalDrops() + gw2.dp().espEncrypt().totalDrops(),
                gw2.dp().dropSummary());
            assertEquals(0, gw2.dp().graph().internalErrors());
            org.junit.jupiter.api.Assertions.assertTrue(log2.stream().noneMatch(l -> l.contains("refused")),
                log2.toString());
        }
    }
}
