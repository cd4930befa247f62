package io.sluice.dataplane;

import io.sluice.dataplane.arp.ArpInput;
import io.sluice.dataplane.arp.NeighbourTable;
import io.sluice.dataplane.ethernet.EthernetInput;
import io.sluice.dataplane.esp.EspCodec;
import io.sluice.dataplane.esp.EspDecrypt;
import io.sluice.dataplane.esp.EspEncrypt;
import io.sluice.dataplane.esp.IpsecOutput;
import io.sluice.dataplane.esp.JceCryptoEngine;
import io.sluice.dataplane.esp.SecurityAssociationDatabase;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.graph.Graph;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.gre.GreInput;
import io.sluice.dataplane.gre.GreOutput;
import io.sluice.dataplane.gre.GreTunnel;
import io.sluice.dataplane.gre.GreTunnels;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.iface.InterfaceTable;
import io.sluice.dataplane.ip4.Adjacencies;
import io.sluice.dataplane.ip4.IcmpSender;
import io.sluice.dataplane.ip4.Ip4Input;
import io.sluice.dataplane.ip4.Ip4Local;
import io.sluice.dataplane.ip4.Ip4Lookup;
import io.sluice.dataplane.ip4.Ip4Rewrite;
import io.sluice.dataplane.ip4.Reassembler;
import io.sluice.dataplane.ip4.fib.Ip4Fib;
import io.sluice.dataplane.l2tp.L2tpSession;
import io.sluice.dataplane.l2tp.L2tpSessions;
import io.sluice.dataplane.l2tp.L2tpv2Input;
import io.sluice.dataplane.l2tp.L2tpv2Output;
import io.sluice.dataplane.l2tp.L2tpv3Input;
import io.sluice.dataplane.l2tp.L2tpv3Output;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.port.Port;
import io.sluice.dataplane.punt.PuntQueue;
import io.sluice.dataplane.worker.Handoff;
import io.sluice.dataplane.worker.Worker;

import org.agrona.concurrent.CachedNanoClock;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One gateway's forwarding state and its graph: interfaces, FIB and adjacencies, neighbours,
 * tunnels and sessions, and the nodes, wired. Configuration calls come from the control side
 * (tests, the config loader, later the control process over IPC); {@link #job()} is what a
 * worker runs.
 * <pre>
 *  port -> ethernet-input -> arp-input
 *                         -> ip4-input -> ip4-lookup -> ip4-local -> gre-input / l2tpv2-input / l2tpv3-input / punt
 *                                                                 -> esp-decrypt -> ip4-input (IPsec tunnel)
 *                                                                                -> ip4-local (protected GRE)
 *                                                    -> ip4-rewrite -> port
 *                                                    -> gre-output / l2tpv2-output -> ip4-lookup (outer)
 *                                                    -> gre-output (protected) -> esp-encrypt -> ip4-lookup
 *                                                    -> ipsec-output -> esp-encrypt -> ip4-lookup
 *          (xconnect port) -> l2tpv3-output -> ip4-lookup (outer)
 * </pre>
 * IPsec: SAs live in the {@link #sad()}; an outbound SA serves one <em>binding</em>, a tunnel
 * interface and a peer ({@link #ipsecBinding}): a route-based IPsec tunnel has one, a protected
 * point-to-point GRE tunnel one, a protected multipoint GRE tunnel one per NBMA peer. The SA's
 * {@code tunnel(...)} is that binding number, for inbound SAs too (it says which interface the
 * decrypted packets belong to).
 */
public final class Dataplane
{
    /** Sizes of the tables; defaults suit a gateway, tests pass smaller ones. */
    public record Context(int maxTbl8Groups, int neighbours, int puntRingBytes, int reassemblySlots, int icmpPerSecond)
    {
        public static Context defaults()
        {
            return new Context(4096, 4096, 1 << 20, 64, 100);
        }

        public static Context small()
        {
            return new Context(64, 256, 1 << 16, 16, 1000);
        }
    }

    private static final long TIMER_NANOS = 100_000_000L;

    private final FramePool pool;
    private final Graph graph;
    private final InterfaceTable interfaces = new InterfaceTable();
    private final Ip4Fib fib;
    private final Adjacencies adjacencies = new Adjacencies();
    private final NeighbourTable neighbours;
    private final GreTunnels greTunnels = new GreTunnels();
    private final L2tpSessions l2tpSessions = new L2tpSessions();
    private final PuntQueue punts;
    private final IcmpSender icmp;
    private final Reassembler reassembler;
    private final int dropAdjacency;
    private int[] portInterface = new int[0];
    private volatile int[] tunnelKind = new int[0];

    private static final int TUNNEL_GRE = 1;
    private static final int TUNNEL_L2TPV2 = 2;
    private static final int TUNNEL_IPSEC = 3;

    private final SecurityAssociationDatabase sad;
    private Handoff.Lane handoff;
    private final CachedNanoClock clock = new CachedNanoClock();
    private final EspCodec espCodec;
    private final Map<Long, Integer> bindingIds = new HashMap<>();
    private volatile int[] bindingIface = {-1};
    private volatile int[] ifaceBinding = new int[0];
    private volatile int[] ipsecDestination = new int[0];
    private long ipsecNoSa;
    /** Packets the control side sends (IKE, NHRP): copied in by it, into frames by the worker. */
    private final org.agrona.concurrent.ringbuffer.OneToOneRingBuffer injectRing =
        new org.agrona.concurrent.ringbuffer.OneToOneRingBuffer(new org.agrona.concurrent.UnsafeBuffer(
            java.nio.ByteBuffer.allocateDirect((1 << 20) + org.agrona.concurrent.ringbuffer.RingBufferDescriptor.TRAILER_LENGTH)));
    private long injected;
    private long injectDropped;

    private final EthernetInput ethernetInput;
    private final ArpInput arpInput;
    private final Ip4Input ip4Input;
    private final Ip4Local ip4Local;
    private final GreInput greInput;
    private final L2tpv2Input l2tpv2Input;
    private final L2tpv3Input l2tpv3Input;
    private final L2tpv3Output l2tpv3Output;
    private final Ip4Lookup ip4Lookup;
    private final GreOutput greOutput;
    private final L2tpv2Output l2tpv2Output;
    private final Ip4Rewrite ip4Rewrite;
    private final IpsecOutput ipsecOutput;
    private final EspEncrypt espEncrypt;
    private final EspDecrypt espDecrypt;

    public Dataplane(final FramePool pool, final Context context)
    {
        this(pool, context, new SecurityAssociationDatabase());
    }

    /**
     * A worker's dataplane that shares its SAs with the other workers' ({@link #handOffTo}): each
     * SA is processed by one worker, the first to see a packet of it.
     */
    public Dataplane(final FramePool pool, final Context context, final SecurityAssociationDatabase sad)
    {
        this.pool = pool;
        this.sad = sad;
        this.graph = new Graph(pool);
        this.fib = new Ip4Fib(context.maxTbl8Groups());
        this.neighbours = new NeighbourTable(Integer.highestOneBit(context.neighbours() * 2 - 1));
        this.punts = new PuntQueue(Integer.highestOneBit(context.puntRingBytes() * 2 - 1));
        this.icmp = new IcmpSender(this, context.icmpPerSecond(), 20);
        this.reassembler = new Reassembler(graph, context.reassemblySlots());
        this.dropAdjacency = adjacencies.add(Adjacencies.DROP, 0, 0);
        this.clock.update(System.nanoTime());
        this.espCodec = new EspCodec(new JceCryptoEngine(), clock, pool.frameSize());
        // node order is the order of a packet's first pass; tunnels loop back through ip4-lookup
        this.ethernetInput = new EthernetInput(this);
        this.l2tpv3Output = new L2tpv3Output(this);
        this.arpInput = new ArpInput(this);
        this.ip4Input = new Ip4Input(this);
        this.ip4Lookup = new Ip4Lookup(this);
        this.ip4Local = new Ip4Local(this);
        this.espDecrypt = new EspDecrypt(this, espCodec);
        this.greInput = new GreInput(this);
        this.l2tpv2Input = new L2tpv2Input(this);
        this.l2tpv3Input = new L2tpv3Input(this);
        this.greOutput = new GreOutput(this);
        this.l2tpv2Output = new L2tpv2Output(this);
        this.ipsecOutput = new IpsecOutput(this);
        this.espEncrypt = new EspEncrypt(this, espCodec);
        this.ip4Rewrite = new Ip4Rewrite(this);
    }

    // ------------------------------------------------------------------ configuration (control side)

    /** An Ethernet port (AF_XDP, AF_PACKET) as an interface. */
    public synchronized Interface addEthernet(final String name, final Port port, final long mac)
    {
        if (port.linkType() != Port.LinkType.ETHERNET)
        {
            throw new IllegalArgumentException("interface " + name + ": port " + port.name() + " is not Ethernet");
        }
        return addPortInterface(name, port, Interface.Kind.ETHERNET, mac);
    }

    /** A port carrying bare IP packets (TUN) as an interface. */
    public synchronized Interface addIpPort(final String name, final Port port)
    {
        return addPortInterface(name, port, Interface.Kind.IP, 0);
    }

    private Interface addPortInterface(final String name, final Port port, final Interface.Kind kind, final long mac)
    {
        final int p = graph.addPort(port);
        final Interface ifc = interfaces.add(name, kind, p, mac, Interface.DEFAULT_MTU);
        portInterface = Arrays.copyOf(portInterface, p + 1);
        portInterface[p] = ifc.index();
        growTunnelKinds();
        return ifc;
    }

    /** {@code ip address A/len}: the connected subnet and the local address go into the FIB. */
    public synchronized void setAddress(final Interface ifc, final int address, final int prefixLength)
    {
        interfaces.setAddress(ifc, address, prefixLength);
        final int mask = prefixLength == 32 ? -1 : ~(-1 >>> prefixLength);
        final int kind = ifc.kind() == Interface.Kind.TUNNEL ? Adjacencies.TUNNEL : Adjacencies.ATTACHED;
        if (prefixLength < 32)
        {
            fib.add(address & mask, prefixLength, adjacencies.add(kind, ifc.index(), 0));
        }
        fib.add(address, 32, adjacencies.add(Adjacencies.LOCAL, ifc.index(), 0));
    }

    /**
     * {@code interface TunnelN} with {@code tunnel mode gre [multipoint]}: a tunnel interface
     * (IP MTU 1476 by default: 1500 less GRE and outer IPv4).
     *
     * @param destination 0 for multipoint GRE
     * @param key         the tunnel key, or null for none
     */
    public synchronized Interface addGreTunnel(
        final String name, final int source, final int destination, final Integer key, final boolean sequence)
    {
        final Interface ifc = interfaces.add(name, Interface.Kind.TUNNEL, -1, 0, 1476);
        final GreTunnel t = greTunnels.add(ifc.index(), source, destination, key != null, key == null ? 0 : key,
            sequence, 255);
        InterfaceTable.tunnelOf(ifc, t.index());
        growTunnelKinds();
        setTunnelKind(ifc.index(), TUNNEL_GRE);
        return ifc;
    }

    /** A multipoint GRE peer mapping (overlay -> NBMA), as NHRP will install them. */
    public void mapMgrePeer(final Interface tunnel, final int overlay, final int nbma)
    {
        greTunnels.get(tunnel.tunnel()).mapPeer(overlay, nbma);
    }

    /** An L2TPv3 Ethernet pseudowire: every frame of {@code port} goes into the session and back. */
    public synchronized L2tpSession addL2tpv3Xconnect(
        final Interface port, final L2tpSession.Encapsulation encapsulation, final int local, final int remote,
        final int localSessionId, final int remoteSessionId, final long localCookie, final long remoteCookie,
        final int cookieLength)
    {
        if (port.kind() != Interface.Kind.ETHERNET)
        {
            throw new IllegalArgumentException("xconnect needs an Ethernet interface, " + port.name() + " is not");
        }
        final L2tpSession s = l2tpSessions.addV3(encapsulation, local, remote, localSessionId, remoteSessionId,
            localCookie, remoteCookie, cookieLength, port.index());
        port.xconnectSession(s.index());
        return s;
    }

    /** An L2TPv2 data session as a routed interface carrying PPP/IPv4. */
    public synchronized Interface addL2tpv2Session(
        final String name, final int local, final int remote, final int localTunnelId, final int localSessionId,
        final int remoteTunnelId, final int remoteSessionId, final boolean sequencing, final boolean lengthBit)
    {
        final Interface ifc = interfaces.add(name, Interface.Kind.TUNNEL, -1, 0, 1460);
        final L2tpSession s = l2tpSessions.addV2(local, remote, 1701, 1701, localTunnelId, localSessionId,
            remoteTunnelId, remoteSessionId, ifc.index(), sequencing, lengthBit);
        InterfaceTable.tunnelOf(ifc, s.index());
        growTunnelKinds();
        setTunnelKind(ifc.index(), TUNNEL_L2TPV2);
        return ifc;
    }

    /**
     * A route-based IPsec tunnel interface ({@code tunnel mode ipsec ipv4}, and what a crypto
     * map's protected destinations become): packets routed into it leave as ESP from
     * {@code source} to {@code destination} under the outbound SA of its binding. IP MTU 1500: the
     * ESP overhead is checked against the egress MTU per packet, by esp-encrypt.
     */
    public synchronized Interface addIpsecTunnel(final String name, final int source, final int destination)
    {
        if (source == 0 || destination == 0)
        {
            throw new IllegalArgumentException("IPsec tunnel " + name + ": needs a source and a destination address");
        }
        final Interface ifc = interfaces.add(name, Interface.Kind.TUNNEL, -1, 0, Interface.DEFAULT_MTU);
        growTunnelKinds();
        final int[] dst = Arrays.copyOf(ipsecDestination, Math.max(ipsecDestination.length, ifc.index() + 1));
        dst[ifc.index()] = destination;
        ipsecDestination = dst;
        setTunnelKind(ifc.index(), TUNNEL_IPSEC);
        ipsecBinding(ifc, destination);
        return ifc;
    }

    /**
     * Points a route-based IPsec tunnel at another peer (a crypto map failing over to its next
     * {@code set peer}): the routes stay, outbound packets take the new peer's binding (and its SA,
     * once there is one) from the next packet on; the old peer's SAs stay until they are deleted.
     */
    public synchronized void retargetIpsecTunnel(final Interface tunnel, final int destination)
    {
        if (tunnelKind[tunnel.index()] != TUNNEL_IPSEC)
        {
            throw new IllegalArgumentException(tunnel.name() + " is not an IPsec tunnel");
        }
        final int[] dst = ipsecDestination.clone();
        dst[tunnel.index()] = destination;
        ipsecDestination = dst;
        final long key = ((long)tunnel.index() << 32) | (destination & 0xffff_ffffL);
        Integer id = bindingIds.get(key);
        if (id == null)
        {
            id = bindingIface.length;
            final int[] next = Arrays.copyOf(bindingIface, id + 1);
            next[id] = tunnel.index();
            bindingIface = next;
            bindingIds.put(key, id);
        }
        final int[] b = ifaceBinding.clone();
        b[tunnel.index()] = id;
        ifaceBinding = b;
    }

    /** {@code tunnel protection ipsec profile} on a GRE tunnel: its packets go out and must come in as ESP. */
    public synchronized void protectGreTunnel(final Interface tunnel)
    {
        if (tunnelKind[tunnel.index()] != TUNNEL_GRE)
        {
            throw new IllegalArgumentException("tunnel protection: " + tunnel.name() + " is not a GRE tunnel");
        }
        greTunnels.get(tunnel.tunnel()).protect();
    }

    /**
     * The IPsec binding for a tunnel interface and a peer, made on first use: what SAs for that
     * peer carry as their {@code tunnel(...)}. For a point-to-point tunnel the peer is its
     * destination; for a multipoint GRE tunnel an NBMA address.
     */
    public synchronized int ipsecBinding(final Interface tunnel, final int peer)
    {
        final int kind = tunnelKind.length > tunnel.index() ? tunnelKind[tunnel.index()] : 0;
        final boolean ipsecTunnel = kind == TUNNEL_IPSEC;
        final GreTunnel gre = kind == TUNNEL_GRE ? greTunnels.get(tunnel.tunnel()) : null;
        if (!ipsecTunnel && gre == null)
        {
            throw new IllegalArgumentException(tunnel.name() + " is neither an IPsec tunnel nor a GRE tunnel");
        }
        if (gre != null && !gre.isProtected())
        {
            throw new IllegalArgumentException(tunnel.name() + " has no tunnel protection");
        }
        final int expected = ipsecTunnel ? ipsecDestination[tunnel.index()] : gre.destination();
        if (expected != 0 && peer != expected)
        {
            throw new IllegalArgumentException(tunnel.name() + " is point-to-point to " + Bytes.ip4ToString(expected) +
                ", not " + Bytes.ip4ToString(peer));
        }
        final long key = ((long)tunnel.index() << 32) | (peer & 0xffff_ffffL);
        final Integer existing = bindingIds.get(key);
        if (existing != null)
        {
            return existing;
        }
        final int id = bindingIface.length;
        final int[] next = Arrays.copyOf(bindingIface, id + 1);
        next[id] = tunnel.index();
        bindingIface = next;
        bindingIds.put(key, id);
        if (gre != null)
        {
            gre.bind(peer, id);
        }
        else
        {
            final int[] b = Arrays.copyOf(ifaceBinding, Math.max(ifaceBinding.length, tunnel.index() + 1));
            b[tunnel.index()] = id;
            ifaceBinding = b;
        }
        return id;
    }

    /** Data path: the binding of a route-based IPsec tunnel interface. */
    public int ipsecBindingOf(final Interface tunnel)
    {
        final int[] b = ifaceBinding;
        return tunnel.index() < b.length ? b[tunnel.index()] : 0;
    }

    /** Data path: the interface an SA's binding belongs to, null for an unknown binding. */
    public Interface ipsecBindingInterface(final int binding)
    {
        final int[] b = bindingIface;
        return binding > 0 && binding < b.length ? interfaces.get(b[binding]) : null;
    }

    public boolean isGreTunnel(final Interface ifc)
    {
        final int[] k = tunnelKind;
        return ifc.index() < k.length && k[ifc.index()] == TUNNEL_GRE;
    }

    /** Data path: a packet for a binding that has no outbound SA (yet); IKE will want to know. */
    public void ipsecNoSa(final int binding)
    {
        ipsecNoSa++;
    }

    /** Packets dropped because their binding had no outbound SA. */
    public long ipsecNoSaPackets()
    {
        return ipsecNoSa;
    }

    /** {@code ip route prefix/len via nextHop out ifc} (nextHop 0: directly connected through ifc). */
    public synchronized void addRoute(final int prefix, final int length, final Interface ifc, final int nextHop)
    {
        final int kind = ifc.kind() == Interface.Kind.TUNNEL ? Adjacencies.TUNNEL : Adjacencies.ATTACHED;
        fib.add(prefix, length, adjacencies.add(kind, ifc.index(), nextHop));
    }

    /**
     * A static neighbour ({@code arp A MAC arpa}): used without ARP, refreshed by nothing. For
     * peers that do not answer ARP (benchmarks against a generator) and for tests.
     */
    public synchronized void addNeighbour(final Interface ifc, final int address, final long mac)
    {
        if (neighbours.learn(ifc.index(), address, mac, Long.MAX_VALUE / 2) < 0)
        {
            throw new IllegalStateException("neighbour table full adding " + Bytes.ip4ToString(address));
        }
    }

    /** A route to Null0: matching packets are dropped and counted. */
    public synchronized void addNullRoute(final int prefix, final int length)
    {
        fib.add(prefix, length, dropAdjacency);
    }

    public synchronized boolean removeRoute(final int prefix, final int length)
    {
        return fib.remove(prefix, length);
    }

    private void growTunnelKinds()
    {
        if (tunnelKind.length < interfaces.size())
        {
            tunnelKind = Arrays.copyOf(tunnelKind, interfaces.size() + 16);
        }
    }

    private void setTunnelKind(final int iface, final int kind)
    {
        final int[] next = tunnelKind.clone();
        next[iface] = kind;
        tunnelKind = next;
    }

    /**
     * Sends an IPv4 packet the gateway itself makes (IKE, NHRP): routed by its destination like
     * any packet of ours. Control side, any thread but one at a time; the worker takes it on its
     * next duty cycle. Returns false when the ring is full or the packet too big for a frame.
     */
    public synchronized boolean inject(final org.agrona.DirectBuffer packet, final int offset, final int length)
    {
        if (length < 20 || length > pool.frameSize() - pool.dataOffset())
        {
            injectDropped++;
            return false;
        }
        final int index = injectRing.tryClaim(1, length);
        if (index <= 0)
        {
            injectDropped++;
            return false;
        }
        injectRing.buffer().putBytes(index, packet, offset, length);
        injectRing.commit(index);
        return true;
    }

    /** Packets injected so far, and refused (ring full, too big, no free frame). */
    public long injected()
    {
        return injected;
    }

    public long injectDropped()
    {
        return injectDropped;
    }

    private final org.agrona.concurrent.UnsafeBuffer injectView = new org.agrona.concurrent.UnsafeBuffer(new byte[0]);
    private final org.agrona.concurrent.MessageHandler injectHandler = this::onInjected;

    private void onInjected(final int type, final org.agrona.MutableDirectBuffer buffer, final int index,
        final int length)
    {
        final long frame = pool.allocate();
        if (frame < 0)
        {
            injectDropped++;
            return;
        }
        final long at = frame + pool.dataOffset();
        injectView.wrap(pool.memory().address() + at, length);
        injectView.putBytes(0, buffer, index, length);
        final int f = pool.index(at);
        graph.meta().flags[f] = io.sluice.dataplane.graph.Meta.LOCAL_ORIGIN;
        graph.meta().rxInterface[f] = -1;
        graph.enqueue(ip4Lookup, at, length);
        injected++;
    }

    /** Worker: takes what the control side injected into frames and routes them (no allocation). */
    private int drainInjected()
    {
        return injectRing.read(injectHandler, 64);
    }

    // ------------------------------------------------------------------ data path

    /** The encapsulation node for a packet routed into a tunnel interface. */
    public Node tunnelOutput(final Interface ifc)
    {
        return switch (tunnelKind[ifc.index()])
        {
            case TUNNEL_L2TPV2 -> l2tpv2Output;
            case TUNNEL_IPSEC -> ipsecOutput;
            default -> greOutput;
        };
    }

    /**
     * Makes this dataplane one of several workers sharing SAs: an SA's packets that arrive here
     * while another worker owns the SA go to it over {@code lane}, and theirs come here. Call
     * before the worker starts.
     */
    public synchronized void handOffTo(final Handoff.Lane lane)
    {
        this.handoff = lane;
    }

    /** This worker's end of the SA handoff rings, or null when it is the only worker. */
    public Handoff.Lane handoff()
    {
        return handoff;
    }

    /**
     * The worker's duty cycle: packets other workers handed over, a burst from each port through
     * the graph, then transmit.
     */
    public Worker.Job job()
    {
        final Burst rx = new Burst(pool.memory(), Burst.DEFAULT_CAPACITY);
        final Handoff.Lane lane = handoff;
        final int[] handedRxIf = graph.meta().rxInterface;
        final int[] handedFlags = graph.meta().flags;
        final int[] handedBinding = graph.meta().espBinding;
        final Handoff.Receiver fromOtherWorkers =
            (target, address, length, rxInterface, flags, binding) ->
            {
                final int frame = pool.index(address);
                handedRxIf[frame] = rxInterface;
                handedFlags[frame] = flags | Meta.HANDED_OVER;
                handedBinding[frame] = binding;
                graph.enqueue(target == Handoff.ESP_DECRYPT ? espDecrypt :
                    target == Handoff.ESP_ENCRYPT ? espEncrypt : arpInput, address, length);
            };
        final long[] nextTimer = {System.nanoTime() + TIMER_NANOS};
        // the FIB reuses a freed tbl8 group only after every registered reader has passed a
        // quiescent point, so a lookup in flight never reads another /24's routes
        final Ip4Fib.Reader fibReader = fib.registerReader();
        return () ->
        {
            fibReader.quiescent();
            final long now = System.nanoTime();
            graph.tick(now);
            clock.update(now);
            int work = 0;
            if (lane != null)
            {
                lane.returnFrames();
                if (lane.receive(fromOtherWorkers, io.sluice.dataplane.graph.Graph.VECTOR_CAPACITY) > 0)
                {
                    work += graph.run();
                }
            }
            if (drainInjected() > 0)
            {
                work += graph.run();
            }
            for (int p = 0; p < graph.portCount(); p++)
            {
                final Port port = graph.port(p);
                final int n = port.receive(rx);
                if (n == 0)
                {
                    continue;
                }
                graph.captureReceived(p, rx);
                final Interface ifc = interfaces.get(portInterface[p]);
                final Node first = ifc.kind() == Interface.Kind.ETHERNET ? ethernetInput : ip4Input;
                final int[] rxIf = graph.meta().rxInterface;
                final int[] flags = graph.meta().flags;
                for (int i = 0; i < n; i++)
                {
                    final int frame = pool.index(rx.address(i));
                    rxIf[frame] = ifc.index();
                    flags[frame] = 0;
                    graph.enqueue(first, rx.address(i), rx.length(i));
                }
                rx.clear();
                work += graph.run();
            }
            graph.flush();
            if (now >= nextTimer[0])
            {
                nextTimer[0] = now + TIMER_NANOS;
                reassembler.expireOld(now);
                ip4Rewrite.expireHeld(now);
                neighbours.age(now);
                for (int p = 0; p < graph.portCount(); p++)
                {
                    graph.port(p).poll();
                }
                publishCounters();
            }
            return work;
        };
    }

    // ------------------------------------------------------------------ counters and capture (control side)

    /**
     * Puts this dataplane's counters into a counters file that other processes read
     * ({@code sluice ctl show counters}): every node's packets and drops by reason, every port's
     * and tunnel's packets and bytes. Nodes count in plain fields on the worker; the worker
     * copies them into the file every 100 ms (VPP's per-thread counters, summed when read), so the
     * per-packet path pays nothing for it. Call before the worker starts.
     */
    public synchronized void exportCounters(final io.sluice.dataplane.counters.CountersFile file)
    {
        exportCounters(file, java.util.List.of(this));
    }

    /**
     * The same for several workers' dataplanes ({@code workers}, this one among them, all
     * programmed alike): each counter is the sum over the workers, as VPP sums its per-thread
     * counters when they are read. This dataplane's worker publishes them.
     */
    public synchronized void exportCounters(
        final io.sluice.dataplane.counters.CountersFile file, final java.util.List<Dataplane> workers)
    {
        this.countersFile = file;
        final java.util.List<Runnable> next = new java.util.ArrayList<>(publishers);
        int stageId = 0;
        for (final Node n : graph.nodes())
        {
            final int index = stageId;
            final Node[] same = workers.stream().map(d -> d.graph.nodes().get(index)).toArray(Node[]::new);
            final org.agrona.concurrent.status.AtomicCounter packets = file.allocateStage(stageId, n.name(), null);
            next.add(() ->
            {
                long sum = 0;
                for (final Node node : same)
                {
                    sum += node.packets();
                }
                packets.setRelease(sum);
            });
            for (int r = 0; r < n.dropReasonCount(); r++)
            {
                final int reason = r;
                final org.agrona.concurrent.status.AtomicCounter drop =
                    file.allocateDrop(stageId, n.name(), reason, n.dropReason(reason), null);
                next.add(() ->
                {
                    long sum = 0;
                    for (final Node node : same)
                    {
                        sum += node.drops(reason);
                    }
                    drop.setRelease(sum);
                });
            }
            stageId++;
        }
        for (int p = 0; p < graph.portCount(); p++)
        {
            final int index = p;
            final io.sluice.dataplane.port.PortCounters[] c = workers.stream()
                .map(d -> d.graph.port(index).counters()).toArray(io.sluice.dataplane.port.PortCounters[]::new);
            final io.sluice.dataplane.counters.PortCounterSet set = io.sluice.dataplane.counters.PortCounterSet.allocate(
                file, p, interfaces.get(portInterface[p]).name());
            next.add(() ->
            {
                long rxPackets = 0, rxBytes = 0, txPackets = 0, txBytes = 0, txDropped = 0, rxNoBuffer = 0;
                long txErrors = 0, rxErrors = 0;
                for (final io.sluice.dataplane.port.PortCounters w : c)
                {
                    rxPackets += w.rxPackets;
                    rxBytes += w.rxBytes;
                    txPackets += w.txPackets;
                    txBytes += w.txBytes;
                    txDropped += w.txDropped;
                    rxNoBuffer += w.rxNoBuffer;
                    txErrors += w.txErrors;
                    rxErrors += w.rxErrors;
                }
                set.rxPackets.setRelease(rxPackets);
                set.rxBytes.setRelease(rxBytes);
                set.txPackets.setRelease(txPackets);
                set.txBytes.setRelease(txBytes);
                set.txDropped.setRelease(txDropped);
                set.rxNoBuffer.setRelease(rxNoBuffer);
                set.txErrors.setRelease(txErrors);
                set.rxErrors.setRelease(rxErrors);
            });
        }
        for (int t = 0; t < greTunnels.size(); t++)
        {
            final int index = t;
            final GreTunnel tunnel = greTunnels.get(t);
            final GreTunnel[] same = workers.stream().map(d -> d.greTunnels.get(index)).toArray(GreTunnel[]::new);
            final String name = interfaces.get(tunnel.iface()).name();
            final org.agrona.concurrent.status.AtomicCounter[] c = new org.agrona.concurrent.status.AtomicCounter[4];
            final String[] items = {"rx-packets", "rx-bytes", "tx-packets", "tx-bytes"};
            for (int i = 0; i < 4; i++)
            {
                c[i] = file.allocate(io.sluice.dataplane.counters.CounterType.TUNNEL, tunnel.iface(), i + 1,
                    "tunnel " + name + ": " + items[i]);
            }
            next.add(() ->
            {
                long rp = 0, rb = 0, tp = 0, tb = 0;
                for (final GreTunnel g : same)
                {
                    rp += g.rxPackets();
                    rb += g.rxBytes();
                    tp += g.txPackets();
                    tb += g.txBytes();
                }
                c[0].setRelease(rp);
                c[1].setRelease(rb);
                c[2].setRelease(tp);
                c[3].setRelease(tb);
            });
        }
        publishers = next;
    }

    private volatile java.util.List<Runnable> publishers = java.util.List.of();
    private io.sluice.dataplane.counters.CountersFile countersFile;
    private final Map<io.sluice.dataplane.esp.SecurityAssociation, SaCounters> saCounters = new HashMap<>();

    /** The counters items of an SA, in item order: what {@code show crypto ipsec sa} reads. */
    public static final String[] SA_COUNTER_ITEMS = {"packets", "bytes", "replay-drops", "icv-failures",
        "padding-errors", "drops", "lifetime-events"};

    private record SaCounters(Runnable publisher, org.agrona.concurrent.status.AtomicCounter[] counters)
    {
    }

    /**
     * Puts an SA's counters into the counters file (key: the SPI; item: 0-6 for inbound
     * {@link #SA_COUNTER_ITEMS}, 16-22 for outbound), published with the others. No-op without a
     * counters file. Control side, when the SA is installed.
     */
    public synchronized void exportSa(final io.sluice.dataplane.esp.SecurityAssociation sa)
    {
        if (countersFile == null || saCounters.containsKey(sa))
        {
            return;
        }
        final boolean in = sa.direction() == io.sluice.dataplane.esp.SecurityAssociation.Direction.INBOUND;
        final org.agrona.concurrent.status.AtomicCounter[] c =
            new org.agrona.concurrent.status.AtomicCounter[SA_COUNTER_ITEMS.length];
        for (int i = 0; i < c.length; i++)
        {
            c[i] = countersFile.allocate(io.sluice.dataplane.counters.CounterType.SA, sa.spi() & 0xffff_ffffL,
                (in ? 0 : 16) + i, String.format("sa 0x%08x %s: %s", sa.spi(), in ? "in" : "out", SA_COUNTER_ITEMS[i]));
        }
        final Runnable publisher = () ->
        {
            c[0].setRelease(sa.packets());
            c[1].setRelease(sa.bytes());
            c[2].setRelease(sa.replayDrops() + sa.tooOldDrops());
            c[3].setRelease(sa.icvFailures());
            c[4].setRelease(sa.paddingErrors());
            long drops = 0;
            for (int s = 1; s < io.sluice.dataplane.esp.EspStatus.COUNT; s++)
            {
                drops += sa.drops(s);
            }
            c[5].setRelease(drops);
            c[6].setRelease(Integer.bitCount(sa.events()));
        };
        saCounters.put(sa, new SaCounters(publisher, c));
        final java.util.List<Runnable> next = new java.util.ArrayList<>(publishers);
        next.add(publisher);
        publishers = next;
    }

    /** Takes an SA's counters out of the file (it is being deleted); their last values are published first. */
    public synchronized void unexportSa(final io.sluice.dataplane.esp.SecurityAssociation sa)
    {
        final SaCounters sc = saCounters.remove(sa);
        if (sc == null)
        {
            return;
        }
        sc.publisher().run();
        final java.util.List<Runnable> next = new java.util.ArrayList<>(publishers);
        next.remove(sc.publisher());
        publishers = next;
        for (final org.agrona.concurrent.status.AtomicCounter c : sc.counters())
        {
            countersFile.free(c);
        }
    }

    /** Copies the worker's counts into the counters file; on the worker (or, in tests, while it is stopped). */
    public void publishCounters()
    {
        for (final Runnable r : publishers)
        {
            r.run();
        }
    }

    /**
     * A capture tap at a point of the graph: {@code rx NAME} or {@code tx NAME} for an interface's
     * port, or a node's name for what enters that node. The tap is installed unarmed; the caller
     * arms it and runs a {@link io.sluice.dataplane.trace.CaptureRecorder} to write the pcap file.
     */
    public synchronized io.sluice.dataplane.trace.CaptureTap capture(final String point)
    {
        final String[] words = point.trim().split("\\s+");
        if (words.length == 2 && (words[0].equals("rx") || words[0].equals("tx")))
        {
            final Interface ifc = interfaces.byName(words[1]);
            if (ifc.port() < 0)
            {
                throw new IllegalArgumentException("capture " + point + ": " + ifc.name() +
                    " is a tunnel; capture its packets at a node (gre-output, gre-input, ...) or on the port");
            }
            final io.sluice.dataplane.trace.CaptureTap tap = new io.sluice.dataplane.trace.CaptureTap(point,
                io.sluice.dataplane.trace.PcapLinkType.of(graph.port(ifc.port()).linkType()));
            graph.tapPort(ifc.port(), words[0].equals("tx"), tap);
            return tap;
        }
        if (words.length == 1)
        {
            final Node node = graph.node(words[0]);
            if (node == arpInput)
            {
                throw new IllegalArgumentException("capture arp-input: ARP has no pcap link type without its " +
                    "Ethernet header; capture rx of the port instead");
            }
            final io.sluice.dataplane.trace.CaptureTap tap =
                new io.sluice.dataplane.trace.CaptureTap(point, node.inputLinkType());
            node.tap(tap);
            return tap;
        }
        throw new IllegalArgumentException("capture point '" + point + "': expected 'rx IFNAME', 'tx IFNAME' or a " +
            "node name (" + graph.nodes().stream().map(Node::name).toList() + ")");
    }

    /** Takes the capture tap at {@code point} away (what {@link #capture} installed). */
    public synchronized void removeCapture(final String point)
    {
        final String[] words = point.trim().split("\\s+");
        if (words.length == 2 && (words[0].equals("rx") || words[0].equals("tx")))
        {
            graph.tapPort(interfaces.byName(words[1]).port(), words[0].equals("tx"), null);
        }
        else
        {
            graph.node(words[0]).tap(null);
        }
    }

    // ------------------------------------------------------------------ accessors for nodes, tests, show

    public FramePool pool()
    {
        return pool;
    }

    public Graph graph()
    {
        return graph;
    }

    public InterfaceTable interfaces()
    {
        return interfaces;
    }

    public Ip4Fib fib()
    {
        return fib;
    }

    public Adjacencies adjacencies()
    {
        return adjacencies;
    }

    public NeighbourTable neighbours()
    {
        return neighbours;
    }

    public GreTunnels greTunnels()
    {
        return greTunnels;
    }

    public L2tpSessions l2tpSessions()
    {
        return l2tpSessions;
    }

    public PuntQueue punts()
    {
        return punts;
    }

    public IcmpSender icmp()
    {
        return icmp;
    }

    public Reassembler reassembler()
    {
        return reassembler;
    }

    public EthernetInput ethernetInput()
    {
        return ethernetInput;
    }

    public ArpInput arpInput()
    {
        return arpInput;
    }

    public Ip4Input ip4Input()
    {
        return ip4Input;
    }

    public Ip4Local ip4Local()
    {
        return ip4Local;
    }

    public GreInput greInput()
    {
        return greInput;
    }

    public L2tpv2Input l2tpv2Input()
    {
        return l2tpv2Input;
    }

    public L2tpv3Input l2tpv3Input()
    {
        return l2tpv3Input;
    }

    public L2tpv3Output l2tpv3Output()
    {
        return l2tpv3Output;
    }

    public Ip4Lookup ip4Lookup()
    {
        return ip4Lookup;
    }

    public GreOutput greOutput()
    {
        return greOutput;
    }

    public Ip4Rewrite ip4Rewrite()
    {
        return ip4Rewrite;
    }

    /** The security association database: inbound SAs by SPI, the outbound SA of each binding. */
    public SecurityAssociationDatabase sad()
    {
        return sad;
    }

    public IpsecOutput ipsecOutput()
    {
        return ipsecOutput;
    }

    public EspEncrypt espEncrypt()
    {
        return espEncrypt;
    }

    public EspDecrypt espDecrypt()
    {
        return espDecrypt;
    }

    /** The crypto engine the ESP nodes use (its failure count is worth showing). */
    public io.sluice.dataplane.esp.CryptoEngine cryptoEngine()
    {
        return espCodec.engine();
    }

    /** Every node's non-zero drop counters, one line each: {@code node: reason N}. */
    public String dropSummary()
    {
        final StringBuilder b = new StringBuilder();
        for (final Node n : graph.nodes())
        {
            for (int i = 0; i < n.dropReasonCount(); i++)
            {
                if (n.drops(i) != 0)
                {
                    b.append(n.name()).append(": ").append(n.dropReason(i)).append(' ').append(n.drops(i)).append('\n');
                }
            }
        }
        return b.toString();
    }

    public static int ip(final String dotted)
    {
        return Bytes.parseIp4(dotted);
    }
}
