package io.sluice.dataplane.testing;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.port.Port;
import io.sluice.dataplane.worker.Worker;

import java.lang.foreign.Arena;

/**
 * A gateway on test ports: LAN 10.1.0.1/24 (host 10.1.0.10), WAN 192.0.2.1/24 (router
 * 192.0.2.254, the default route), all in memory, stepped by hand.
 */
public final class Rig implements AutoCloseable
{
    public static final long LAN_MAC = 0x0200_0000_0001L;
    public static final long WAN_MAC = 0x0200_0000_0002L;
    public static final long HOST_MAC = 0x02aa_0000_0010L;
    public static final long ROUTER_MAC = 0x02bb_0000_00feL;
    public static final int LAN_IP = Packets.ip("10.1.0.1");
    public static final int HOST_IP = Packets.ip("10.1.0.10");
    public static final int WAN_IP = Packets.ip("192.0.2.1");
    public static final int ROUTER_IP = Packets.ip("192.0.2.254");

    public final Arena arena;
    public final FramePool pool;
    public final Dataplane dp;
    public final TestPort lan;
    public final TestPort wan;
    public final Interface lanIf;
    public final Interface wanIf;
    private Worker.Job job;

    public Rig()
    {
        this(Arena.ofShared(), null, null);
    }

    /**
     * One worker of several: its own pool over memory the workers share, and the SAs they share.
     * The caller owns {@code arena}; {@link #close()} leaves it open.
     */
    public Rig(final FramePool pool, final io.sluice.dataplane.esp.SecurityAssociationDatabase sad)
    {
        this(null, pool, sad);
    }

    private Rig(final Arena arena, final FramePool pool, final io.sluice.dataplane.esp.SecurityAssociationDatabase sad)
    {
        this.arena = arena;
        this.pool = pool != null ? pool : new FramePool(arena.allocate(2048L * 2048, 4096), 2048, 384);
        this.dp = sad == null ? new Dataplane(this.pool, Dataplane.Context.small()) :
            new Dataplane(this.pool, Dataplane.Context.small(), sad);
        this.lan = new TestPort("lan", Port.LinkType.ETHERNET, this.pool);
        this.wan = new TestPort("wan", Port.LinkType.ETHERNET, this.pool);
        this.lanIf = dp.addEthernet("lan0", lan, LAN_MAC);
        this.wanIf = dp.addEthernet("wan0", wan, WAN_MAC);
        dp.setAddress(lanIf, LAN_IP, 24);
        dp.setAddress(wanIf, WAN_IP, 24);
        dp.addRoute(0, 0, wanIf, ROUTER_IP);
    }

    /** The worker's duty cycle (made on first use, so a handoff lane given before it is seen). */
    public Worker.Job job()
    {
        if (job == null)
        {
            job = dp.job();
        }
        return job;
    }

    /** Runs the worker's duty cycle a few times. */
    public void step()
    {
        final Worker.Job job = job();
        for (int i = 0; i < 4; i++)
        {
            job.doWork();
        }
    }

    /** Teaches the gateway both neighbours' MACs with ARP replies, and discards what that sent. */
    public void learnNeighbours()
    {
        lan.inject(Packets.ethernet(LAN_MAC, HOST_MAC, 0x0806,
            Packets.arp(2, HOST_MAC, HOST_IP, LAN_MAC, LAN_IP)));
        wan.inject(Packets.ethernet(WAN_MAC, ROUTER_MAC, 0x0806,
            Packets.arp(2, ROUTER_MAC, ROUTER_IP, WAN_MAC, WAN_IP)));
        step();
        // an unsolicited reply is learned only for a neighbour we asked about or that asked us:
        // send a request from each so both are in the table
        lan.inject(Packets.ethernet(-1L & 0xffff_ffff_ffffL, HOST_MAC, 0x0806,
            Packets.arp(1, HOST_MAC, HOST_IP, 0, LAN_IP)));
        wan.inject(Packets.ethernet(-1L & 0xffff_ffff_ffffL, ROUTER_MAC, 0x0806,
            Packets.arp(1, ROUTER_MAC, ROUTER_IP, 0, WAN_IP)));
        step();
        lan.takeSent();
        wan.takeSent();
    }

    /** A UDP packet from the LAN host, in an Ethernet frame to the gateway. */
    public byte[] fromHost(final int dst, final int ttl, final int flagsFragment, final byte[] payload)
    {
        return Packets.ethernet(LAN_MAC, HOST_MAC, 0x0800,
            Packets.ipv4(HOST_IP, dst, 17, ttl, 1234, flagsFragment, Packets.udp(40000, 9, payload)));
    }

    @Override
    public void close()
    {
        if (arena != null)
        {
            arena.close();
        }
    }
}
