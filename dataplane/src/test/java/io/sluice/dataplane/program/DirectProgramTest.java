package io.sluice.dataplane.program;

import io.sluice.dataplane.counters.CounterType;
import io.sluice.dataplane.counters.CountersFile;
import io.sluice.dataplane.counters.CountersView;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.esp.SecurityAssociationDatabase;
import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Programming a running dataplane by name, re-sent state, stale state, SA counters in the counters file. */
class DirectProgramTest
{
    private static final int PEER = Packets.ip("198.51.100.2");
    private final Rig rig = new Rig();
    private final List<String> log = new ArrayList<>();
    private final DirectProgram program = new DirectProgram(rig.dp, null, log::add);

    @AfterEach
    void tearDown()
    {
        rig.close();
    }

    private static SaSpec sa(final int spi, final boolean inbound)
    {
        return new SaSpec(spi, inbound, SecurityAssociation.Mode.TUNNEL, "VPN/10", PEER, Rig.WAN_IP, 0,
            EspEncryption.AES_GCM_128, new byte[20], EspIntegrity.NONE, new byte[0], false, 64, 3600, 4608000);
    }

    private void state(final long generation, final boolean withSecondPair)
    {
        program.beginState(generation);
        program.ipsecTunnel("VPN/10", Rig.WAN_IP, PEER);
        program.route(Packets.ip("10.2.0.0"), 16, "VPN/10", 0);
        program.addSa(sa(0x1000, true));
        program.addSa(sa(0x1001, false));
        if (withSecondPair)
        {
            program.route(Packets.ip("10.3.0.0"), 16, "VPN/10", 0);
            program.addSa(sa(0x2000, true));
        }
        program.endState(generation);
    }

    @Test
    void resentStateChangesNothingAndStaleStateIsRemoved()
    {
        state(1, true);
        final SecurityAssociation in = rig.dp.sad().inbound(0x1000);
        assertNotNull(in);
        assertNotNull(rig.dp.sad().inbound(0x2000));
        // a restarted control process re-sends its state, without the second pair
        state(2, false);
        assertEquals(in, rig.dp.sad().inbound(0x1000), "the same SA object: its window and counters go on");
        assertNull(rig.dp.sad().inbound(0x2000), "stale SA removed");
        assertEquals(-1, rig.dp.fib().get(Packets.ip("10.3.0.0"), 16), "stale route removed");
        assertTrue(rig.dp.fib().get(Packets.ip("10.2.0.0"), 16) >= 0);
        assertTrue(log.stream().anyMatch(l -> l.contains("2 stale ones removed")), log.toString());
        assertTrue(log.stream().noneMatch(l -> l.matches(".*[0-9a-f]{40}.*")), "no key material in the log");
    }

    @Test
    void aRemovedRouteLeavesTheFibAndIsNotRestoredByTheNextState()
    {
        state(1, true);
        program.removeRoute(Packets.ip("10.3.0.0"), 16);
        assertEquals(-1, rig.dp.fib().get(Packets.ip("10.3.0.0"), 16));
        assertTrue(rig.dp.fib().get(Packets.ip("10.2.0.0"), 16) >= 0, "the other route stays");
        program.removeRoute(Packets.ip("10.9.0.0"), 16); // not there: nothing to do, no error
        assertTrue(log.stream().anyMatch(l -> l.contains("route 10.3.0.0/16 removed")), log.toString());
    }

    /** Two workers: tables programmed into both, the SA once into the SAD they share. */
    @Test
    void everyWorkerIsProgrammedAlikeAndSharesTheSas()
    {
        final java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
        try
        {
            final java.lang.foreign.MemorySegment area = arena.allocate(2048L * 512, 4096);
            final SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
            final Rig w0 = new Rig(new io.sluice.dataplane.frame.FramePool(area, 2048, 384, 0, 256), sad);
            final Rig w1 = new Rig(new io.sluice.dataplane.frame.FramePool(area, 2048, 384, 256, 256), sad);
            final DirectProgram both = new DirectProgram(List.of(w0.dp, w1.dp), null, log::add);
            both.ipsecTunnel("VPN/10", Rig.WAN_IP, PEER);
            both.route(Packets.ip("10.2.0.0"), 16, "VPN/10", 0);
            both.addSa(sa(0x1000, true));
            both.addSa(sa(0x1001, false));
            for (final Rig w : List.of(w0, w1))
            {
                assertTrue(w.dp.fib().get(Packets.ip("10.2.0.0"), 16) >= 0);
                assertEquals(w0.dp.interfaces().byName("VPN/10").index(), w.dp.interfaces().byName("VPN/10").index());
            }
            assertEquals(1, sad.inboundCount());
            assertEquals(1, sad.outboundCount());
            both.removeRoute(Packets.ip("10.2.0.0"), 16);
            assertEquals(-1, w1.dp.fib().get(Packets.ip("10.2.0.0"), 16));
            final Rig other = new Rig();
            try
            {
                assertThrows(IllegalArgumentException.class,
                    () -> new DirectProgram(List.of(w0.dp, other.dp), null, log::add), "workers must share the SAD");
            }
            finally
            {
                other.close();
            }
        }
        finally
        {
            arena.close();
        }
    }

    @Test
    void aGreTunnelCannotChangeUnderARunningDataplane()
    {
        program.greTunnel("Tunnel0", Rig.WAN_IP, PEER, null);
        final IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> program.greTunnel("Tunnel0", Rig.WAN_IP, Packets.ip("198.51.100.3"), null));
        assertTrue(e.getMessage().contains("tunnel Tunnel0 exists"), e.getMessage());
    }

    @Test
    void anIpsecTunnelFailsOverToAnotherPeerAndItsSa()
    {
        rig.learnNeighbours();
        final int next = Packets.ip("198.51.100.3");
        program.ipsecTunnel("VPN/10", Rig.WAN_IP, PEER);
        program.route(Packets.ip("10.2.0.0"), 16, "VPN/10", 0);
        program.addSa(sa(0x1001, false));
        program.ipsecTunnel("VPN/10", Rig.WAN_IP, next);
        program.addSa(new SaSpec(0x4001, false, SecurityAssociation.Mode.TUNNEL, "VPN/10", next, Rig.WAN_IP, 0,
            EspEncryption.AES_GCM_128, new byte[20], EspIntegrity.NONE, new byte[0], false, 64, 0, 0));
        rig.lan.inject(rig.fromHost(Packets.ip("10.2.0.9"), 64, 0, new byte[30]));
        rig.step();
        final List<byte[]> out = rig.wan.takeSent();
        assertEquals(1, out.size(), rig.dp.dropSummary());
        assertEquals(next, Packets.u32(out.get(0), 14 + 16), "to the next peer");
        assertEquals(0x4001, Packets.u32(out.get(0), 14 + 20), "with its SA");
        assertTrue(log.stream().anyMatch(l -> l.contains("now goes to 198.51.100.3")), log.toString());
    }

    @Test
    void saCountersAppearInTheCountersFileAndLeaveWithTheSa(@TempDir final Path dir) throws Exception
    {
        try (CountersFile file = CountersFile.create(dir))
        {
            rig.dp.exportCounters(file);
            state(1, false);
            rig.dp.publishCounters();
            try (CountersView view = CountersFile.openReadOnly(file.file()))
            {
                final long sa = view.snapshot().stream().filter(c -> c.type() == CounterType.SA).count();
                assertEquals(2 * 7, sa, "seven counters for each of the two SAs");
            }
            program.deleteSa(0x1000, true);
            program.reap(System.nanoTime() + DirectProgram.RETIRE_NANOS);
            try (CountersView view = CountersFile.openReadOnly(file.file()))
            {
                assertEquals(7, view.snapshot().stream().filter(c -> c.type() == CounterType.SA).count());
            }
        }
    }
}
