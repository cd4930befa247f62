package io.sluice.tools.pktgen;

import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.io.xdp.XdpPort;
import io.sluice.ffi.bpf.XdpSelection;
import io.sluice.ffi.libc.NetIf;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.NetnsLab;
import io.sluice.ffi.xdp.Umem;
import io.sluice.ffi.xdp.XskSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generator and the sink: frames over a veth pair between two namespaces, every one of them
 * counted back per flow; the sink tells loss and reordering by sequence number.
 */
class PktgenTest
{
    private NetnsLab lab;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception
    {
        for (int i = open.size() - 1; i >= 0; i--)
        {
            open.get(i).close();
        }
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void theSinkSeesLossReorderingAndForeignFramesForWhatTheyAre()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final FramePool pool = new FramePool(arena.allocate(2048L * 64, 4096), 2048, 256);
            final Pktgen.Spec spec = new Pktgen.Spec(0x0200_0000_0002L, 0x0200_0000_0001L, 0x0a000001, 0x0a000002, 9,
                100, 2);
            final Pktgen.Generator gen = new Pktgen.Generator(spec, pool);
            final io.sluice.dataplane.frame.Burst burst = new io.sluice.dataplane.frame.Burst(pool.memory(), 64);
            gen.fill(burst, 8); // flow 0: seq 0..3, flow 1: seq 0..3, interleaved
            final Pktgen.Sink sink = new Pktgen.Sink(2);
            final int[] order = {0, 1, 2, 3, 6, 7, 4}; // frame 5 (flow 1 seq 2) lost; frame 4 (flow 0 seq 2) late
            for (final int i : order)
            {
                sink.count(pool.memory(), burst.address(i), burst.length(i));
            }
            sink.count(pool.memory(), burst.address(0), 14); // a runt: not ours
            assertEquals(7, sink.received());
            assertEquals(1, sink.reordered(), "flow 0 seq 2 after seq 3");
            assertEquals(2, sink.gaps(), "flow 0 skipped 2 (then filled), flow 1 skipped 2");
            assertEquals(4, sink.expectedNext(0));
            assertEquals(4, sink.expectedNext(1));
            assertEquals(1, sink.foreign());
        }
        assertThrows(IllegalArgumentException.class, () -> new Pktgen.Spec(1, 1, 1, 1, 9, 40, 1), "too small a frame");
    }

    @Test
    void everyFrameSentOverAVethPairIsCountedBackPerFlow()
    {
        lab = NetnsLab.createOrSkip(this);
        final String a = lab.namespace("pa");
        final String b = lab.namespace("pb");
        final String[] veth = lab.veth(a, null, b, null);
        final XskSocket.Config config = new XskSocket.Config(2048, 2048, 2048, 2048, XskSocket.CopyMode.COPY, true, 256);
        final Umem umemA = Umem.allocate(2048, 4096, 256, false);
        open.add(umemA::close);
        final Umem umemB = Umem.allocate(2048, 4096, 256, false);
        open.add(umemB::close);
        final FramePool poolA = XdpPort.poolFor(umemA);
        final FramePool poolB = XdpPort.poolFor(umemB);
        final XdpPort tx;
        final XdpPort rx;
        final long dstMac;
        try (NetNs ignored = NetNs.enter(a))
        {
            tx = XdpPort.open(veth[0], 0, umemA, poolA, XdpSelection.everything(), config, false);
        }
        open.add(tx::close);
        try (NetNs ignored = NetNs.enter(b))
        {
            rx = XdpPort.open(veth[1], 0, umemB, poolB, XdpSelection.everything(), config, false);
            dstMac = NetIf.hardwareAddress(veth[1]);
        }
        open.add(rx::close);
        final long srcMac;
        try (NetNs ignored = NetNs.enter(a))
        {
            srcMac = NetIf.hardwareAddress(veth[0]);
        }
        for (final int size : new int[]{64, 0})
        {
            final Pktgen.Spec spec = new Pktgen.Spec(dstMac, srcMac, 0x0a000001, 0x0a000002, 9, size, 8);
            final PktgenMain.Result r = PktgenMain.measure(spec, poolA, tx, poolB, rx, 1.0, 20_000);
            System.out.println("pktgen " + (size == 0 ? "imix" : size) + ": " + r.json());
            assertTrue(r.sent() > 10_000, r.json());
            assertEquals(r.sent(), r.received(), "nothing lost on a veth at 20 kpps: " + r.json());
            assertEquals(0, r.reordered(), r.json());
        }
    }
}
