package io.sluice.dataplane.esp;

import io.sluice.dataplane.esp.EspTesting.Suite;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.testing.Packets;
import io.sluice.dataplane.testing.Rig;
import io.sluice.dataplane.worker.Handoff;
import io.sluice.dataplane.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.sluice.dataplane.esp.EspTesting.HOST_B;
import static io.sluice.dataplane.esp.EspTesting.PEER;
import static io.sluice.dataplane.testing.Packets.ip;
import static io.sluice.dataplane.testing.Packets.u16;
import static io.sluice.dataplane.testing.Packets.u32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two workers over one memory area and one SAD: an SA's packets are processed by the worker that
 * owns the SA (the first to see one), whichever worker receives them; the descriptor moves over an
 * SPSC ring, the frame does not (the owner transmits the very frame the other worker received),
 * and every frame returns to the pool it came from.
 */
class EspHandoffTest
{
    private static final int ETH = 14;
    private static final int OUT_SPI = 0x1001;
    private static final int IN_SPI = 0x2002;
    private static final Suite GCM = new Suite(EspEncryption.AES_GCM_128, EspIntegrity.NONE);
    private static final int FRAMES_EACH = 1024;

    private final Arena arena = Arena.ofShared();
    private final java.lang.foreign.MemorySegment memory = arena.allocate(2048L * FRAMES_EACH * 2, 4096);
    private final FramePool pool0 = new FramePool(memory, 2048, 384, 0, FRAMES_EACH);
    private final FramePool pool1 = new FramePool(memory, 2048, 384, FRAMES_EACH, FRAMES_EACH);
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase();
    private final Rig w0 = new Rig(pool0, sad);
    private final Rig w1 = new Rig(pool1, sad);
    private final EspTesting peer = new EspTesting();
    private Handoff handoff;

    private SecurityAssociation ourOut;
    private SecurityAssociation peerIn;
    private SecurityAssociation peerOut;
    private SecurityAssociation ourIn;

    @AfterEach
    void tearDown()
    {
        peer.close();
        arena.close();
    }

    /** Both workers programmed alike (as the program stream does), the SAs installed once in the shared SAD. */
    private void twoWorkers(final int ringRecords)
    {
        handoff = new Handoff(new FramePool[] {pool0, pool1}, ringRecords);
        w0.dp.handOffTo(handoff.lane(0));
        w1.dp.handOffTo(handoff.lane(1));
        int binding = -1;
        for (final Rig w : List.of(w0, w1))
        {
            w.learnNeighbours();
            final Interface tun = w.dp.addIpsecTunnel("Tunnel9", Rig.WAN_IP, PEER);
            w.dp.addRoute(ip("10.2.0.0"), 16, tun, 0);
            final int b = w.dp.ipsecBinding(tun, PEER);
            assertTrue(binding < 0 || binding == b, "both workers number the binding alike");
            binding = b;
        }
        ourOut = peer.builder(GCM, OUT_SPI, true, Mode.TUNNEL, 1).tunnel(binding).build();
        peerIn = peer.builder(GCM, OUT_SPI, false, Mode.TUNNEL, 1).build();
        peerOut = peer.builder(GCM, IN_SPI, true, Mode.TUNNEL, 2).endpoints(PEER, Rig.WAN_IP).build();
        ourIn = peer.builder(GCM, IN_SPI, false, Mode.TUNNEL, 2).tunnel(binding).build();
        sad.addInbound(ourIn);
        sad.switchOutbound(ourOut);
        stepBoth(2); // the workers' shared ARP copies settle; their frames go home
        returnedBefore1 = handoff.lane(1).framesReturned();
    }

    private long returnedBefore1;

    private static byte[] fromPeer(final byte[] ip)
    {
        return Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0800, ip);
    }

    private static byte[] reply(final int seed)
    {
        return Packets.ipv4(HOST_B, Rig.HOST_IP, 17, 60, seed, 0, Packets.udp(9, 40000, Packets.pattern(100, seed)));
    }

    private static byte[] hostPacket(final int seed)
    {
        return Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, Packets.ipv4(Rig.HOST_IP, HOST_B, 17, 64, seed, 0,
            Packets.udp(40000, 9, Packets.pattern(100, seed))));
    }

    private void stepBoth(final int times)
    {
        for (int i = 0; i < times; i++)
        {
            w0.step();
            w1.step();
        }
    }

    @Test
    void inboundPacketsOnTheOtherWorkerAreOpenedByTheOwnerInTheSameFrame()
    {
        twoWorkers(256);
        // worker 0 sees the SA first and owns it
        w0.wan.inject(fromPeer(peer.encrypt(peerOut, reply(1))));
        stepBoth(1);
        assertEquals(0, ourIn.worker());
        assertEquals(1, w0.lan.takeSent().size(), w0.dp.dropSummary());
        assertTrue(pool0.owns(w0.lan.takeSentAddresses().get(0)));

        for (int i = 2; i <= 11; i++)
        {
            w1.wan.inject(fromPeer(peer.encrypt(peerOut, reply(i))));
        }
        stepBoth(3);
        assertTrue(w1.lan.takeSent().isEmpty(), "worker 1 does not open another worker's SA");
        final List<byte[]> delivered = w0.lan.takeSent();
        assertEquals(10, delivered.size(), w0.dp.dropSummary() + " / " + w1.dp.dropSummary());
        final Set<Integer> ids = new HashSet<>();
        for (final byte[] f : delivered)
        {
            ids.add(u16(f, ETH + 4));
        }
        assertEquals(Set.of(2, 3, 4, 5, 6, 7, 8, 9, 10, 11), ids, "every packet once, its own IP id");
        for (final long at : w0.lan.takeSentAddresses())
        {
            assertTrue(pool1.owns(at), "worker 0 sent the frame worker 1 received: no copy");
        }
        assertEquals(11, ourIn.packets());
        assertEquals(10, handoff.lane(1).handedOver(Handoff.ESP_DECRYPT));
        assertEquals(10, handoff.lane(0).received(Handoff.ESP_DECRYPT));
        stepBoth(1);
        assertEquals(10, handoff.lane(1).framesReturned() - returnedBefore1, "the frames went home to worker 1's pool");
        assertEquals(FRAMES_EACH, pool0.available());
        assertEquals(FRAMES_EACH, pool1.available());
        assertEquals(0, handoff.lane(0).framesLost() + handoff.lane(1).framesLost());
    }

    @Test
    void outboundPacketsAreSealedByTheOwnerWithOneSequence()
    {
        twoWorkers(256);
        w1.lan.inject(hostPacket(1));
        stepBoth(1);
        assertEquals(1, ourOut.worker(), "worker 1 saw the outbound SA first");
        for (int i = 2; i <= 9; i++)
        {
            (i % 2 == 0 ? w0 : w1).lan.inject(hostPacket(i));
        }
        stepBoth(3);
        assertTrue(w0.wan.takeSent().isEmpty(), "worker 0 seals nothing of worker 1's SA");
        final List<byte[]> sent = w1.wan.takeSent();
        assertEquals(9, sent.size(), w0.dp.dropSummary() + " / " + w1.dp.dropSummary());
        final Set<Long> sequences = new HashSet<>();
        for (final byte[] f : sent)
        {
            assertEquals(OUT_SPI, u32(f, ETH + 20));
            sequences.add(u32(f, ETH + 24) & 0xffff_ffffL);
            final byte[] inner = peer.decryptOk(peerIn, java.util.Arrays.copyOfRange(f, ETH, f.length));
            assertEquals(HOST_B, u32(inner, 16));
        }
        assertEquals(Set.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), sequences);
        assertEquals(9, ourOut.packets());
        assertEquals(4, handoff.lane(0).handedOver(Handoff.ESP_ENCRYPT));
    }

    @Test
    void aFullRingDropsTheSurplusCountedAndLosesNoFrame()
    {
        twoWorkers(4);
        w0.wan.inject(fromPeer(peer.encrypt(peerOut, reply(1))));
        stepBoth(1);
        w0.lan.takeSent();
        for (int i = 2; i <= 21; i++)
        {
            w1.wan.inject(fromPeer(peer.encrypt(peerOut, reply(i))));
        }
        // worker 1 alone: its burst of 20 finds room for 4 on the ring to worker 0
        w1.step();
        assertEquals(16, w1.dp.espDecrypt().drops("handoff-ring-full"));
        assertEquals(16, handoff.lane(1).ringFull());
        stepBoth(3);
        assertEquals(4, w0.lan.takeSent().size());
        assertEquals(5, ourIn.packets());
        assertEquals(FRAMES_EACH, pool0.available());
        assertEquals(FRAMES_EACH, pool1.available(), "dropped and handed-over frames all came back");
    }

    /**
     * The reason for the handoff: both workers running on their own threads, every packet sent
     * twice, once to each worker. With one writer of the replay window each sequence number is
     * accepted exactly once; two writers racing would let duplicates through or lose counts.
     */
    @Test
    void onTwoThreadsEachSequenceNumberIsAcceptedExactlyOnce() throws Exception
    {
        twoWorkers(1024);
        final int n = 600;
        final List<byte[]> packets = new ArrayList<>();
        for (int i = 1; i <= n; i++)
        {
            packets.add(fromPeer(peer.encrypt(peerOut, reply(i))));
        }
        for (int i = 0; i < n; i++)
        {
            w0.wan.inject(packets.get(i));
        }
        for (int i = 0; i < n; i++)
        {
            w1.wan.inject(packets.get(i));
        }
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Thread[] threads = new Thread[2];
        final Rig[] rigs = {w0, w1};
        for (int t = 0; t < 2; t++)
        {
            final Worker.Job job = rigs[t].job();
            threads[t] = new Thread(() ->
            {
                try
                {
                    while (!stop.get())
                    {
                        job.doWork();
                    }
                }
                catch (final Throwable e)
                {
                    failures.add(e);
                }
            }, "worker-" + t);
        }
        for (final Thread t : threads)
        {
            t.start();
        }
        final long deadline = System.nanoTime() + 20_000_000_000L;
        while (ourIn.packets() + ourIn.replayDrops() + ourIn.tooOldDrops() < 2L * n && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        Thread.sleep(50);
        stop.set(true);
        for (final Thread t : threads)
        {
            t.join(5000);
        }
        assertTrue(failures.isEmpty(), failures.toString());
        final List<byte[]> delivered = new ArrayList<>(w0.lan.takeSent());
        delivered.addAll(w1.lan.takeSent());
        final Set<Integer> ids = new HashSet<>();
        for (final byte[] f : delivered)
        {
            assertTrue(ids.add(u16(f, ETH + 4)), "delivered twice: IP id " + u16(f, ETH + 4));
        }
        assertEquals(n, ourIn.packets(), "each sequence number accepted once");
        assertEquals(n, ourIn.replayDrops() + ourIn.tooOldDrops(), "each duplicate dropped and counted");
        assertEquals(delivered.size(), n);
        final int owner = ourIn.worker();
        assertTrue(owner == 0 || owner == 1);
        assertEquals(n, handoff.lane(1 - owner).handedOver(Handoff.ESP_DECRYPT), "the non-owner handed all its packets over");
        // the workers are stopped: give the frames in the return rings back
        handoff.lane(0).returnFrames();
        handoff.lane(1).returnFrames();
        assertEquals(FRAMES_EACH, pool0.available());
        assertEquals(FRAMES_EACH, pool1.available());
    }

    /**
     * Each worker has its own neighbour table; the NIC may put an ARP reply on another worker's
     * queue than the one that asked. The receiving worker answers and shares the packet, so the
     * worker holding a packet for that neighbour learns it and sends the packet.
     */
    @Test
    void anArpReplyOnTheOtherWorkerReleasesWhatTheAskingWorkerHolds()
    {
        handoff = new Handoff(new FramePool[] {pool0, pool1}, 64);
        w0.dp.handOffTo(handoff.lane(0));
        w1.dp.handOffTo(handoff.lane(1));
        // a host packet for the internet on worker 0: the router's MAC is unknown, the packet is held, ARP asked
        w0.lan.inject(Packets.ethernet(Rig.LAN_MAC, Rig.HOST_MAC, 0x0800, Packets.ipv4(Rig.HOST_IP, ip("203.0.113.9"),
            17, 64, 7, 0, Packets.udp(40000, 9, Packets.pattern(60, 7)))));
        stepBoth(1);
        final List<byte[]> asked = w0.wan.takeSent();
        assertEquals(1, asked.size(), w0.dp.dropSummary());
        assertEquals(0x0806, u16(asked.get(0), 12), "an ARP request for the router");
        // the router's reply arrives on worker 1's queue
        w1.wan.inject(Packets.ethernet(Rig.WAN_MAC, Rig.ROUTER_MAC, 0x0806,
            Packets.arp(2, Rig.ROUTER_MAC, Rig.ROUTER_IP, Rig.WAN_MAC, Rig.WAN_IP)));
        stepBoth(3);
        final List<byte[]> sent = w0.wan.takeSent();
        assertEquals(1, sent.size(), "worker 0 learned from worker 1's copy and sent what it held: " +
            w0.dp.dropSummary() + " / " + w1.dp.dropSummary());
        assertEquals(0x0800, u16(sent.get(0), 12));
        assertTrue(w1.wan.takeSent().isEmpty(), "a reply is not answered");
        assertTrue(w0.dp.neighbours().find(w0.wanIf.index(), Rig.ROUTER_IP) >= 0);
        assertTrue(w1.dp.neighbours().find(w1.wanIf.index(), Rig.ROUTER_IP) >= 0);

        // a request for our address on worker 1: answered once, by worker 1; worker 0 learns the asker too
        w1.lan.inject(Packets.ethernet(-1L & 0xffff_ffff_ffffL, Rig.HOST_MAC, 0x0806,
            Packets.arp(1, Rig.HOST_MAC, Rig.HOST_IP, 0, Rig.LAN_IP)));
        stepBoth(3);
        assertEquals(1, w1.lan.takeSent().size(), "one reply");
        assertTrue(w0.lan.takeSent().isEmpty(), "the copy is not answered");
        assertTrue(w0.dp.neighbours().find(w0.lanIf.index(), Rig.HOST_IP) >= 0);
        stepBoth(1);
        assertEquals(FRAMES_EACH, pool0.available());
        assertEquals(FRAMES_EACH, pool1.available(), "the copies' frames came home");
    }
}
