package io.sluice.controlplane.run;

import io.sluice.controlplane.config.Config;
import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.InterfaceConfig;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.IkeLog;
import io.sluice.controlplane.ike.v1.Ikev1Engine;
import io.sluice.controlplane.ike.v1.Ikev1Settings;
import io.sluice.controlplane.ike.v1.Selector;
import io.sluice.controlplane.program.ConfigProgrammer;
import io.sluice.controlplane.program.DynamicPeers;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.ipc.InjectProxy;
import io.sluice.dataplane.ipc.codecs.InjectKind;
import io.sluice.dataplane.program.DataplaneProgram;
import io.sluice.dataplane.program.SaSpec;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * IKEv1 inside the control process, on the dataplane's ports: IKE datagrams reach it as punted
 * packets (UDP 500, and 4500 with the non-ESP marker) and leave as packets injected into the
 * dataplane, routed like any of the gateway's own. Quick mode's SAs go to the dataplane over the
 * program stream, bound to the tunnel the configuration ties to that peer (a crypto map's IPsec
 * tunnel, or a GRE tunnel with {@code tunnel protection}); deleted SAs are deleted there too. The
 * gateway initiates to every such peer when it starts and again when a peer's SAs go away.
 * <p>
 * Under a dynamic crypto map entry any peer that authenticates may negotiate, and is never
 * initiated to: its SAs bind to a tunnel of its own and what it protects is routed into it while
 * they are up ({@link DynamicPeers}).
 */
final class IkeService implements Ikev1Engine.Listener
{
    private static final int RETRY_MILLIS = 5_000;

    private final ConfigProgrammer.Plan plan;
    private final Config config;
    private final InjectProxy inject;
    private final DataplaneProgram program;
    private final Consumer<String> log;
    private final List<SaSpec> sas;
    private final Ikev1Engine engine;
    /** IKEv2, for the peers of GRE tunnels whose IPsec profile says {@code set ikev2-profile}; null without. */
    private final io.sluice.controlplane.ike.v2.Ikev2Engine v2;
    private final java.util.Set<Integer> v2Peers = new java.util.HashSet<>();
    private final IkeLog.Switchable ikeLog;
    private final java.util.Map<Integer, Long> retryAt = new java.util.HashMap<>();
    /** Peers a crypto map failed over to, and the configured entry (tunnel, local address) they stand in for. */
    private final java.util.Map<Integer, ConfigProgrammer.IkePeer> failedOver = new java.util.HashMap<>();
    /** The peers of the dynamic crypto map entry; null without one. */
    private final DynamicPeers dynamic;
    /** Our IKE address: the first configured peer's local address, else the dynamic entry's. */
    private final int defaultLocal;

    private ConfigProgrammer.IkePeer ikePeer(final int address)
    {
        final ConfigProgrammer.IkePeer p = failedOver.get(address);
        return p != null ? p : plan.ikePeer(address);
    }

    /** Null when the configuration has no peer for IKE. */
    static IkeService create(final Config config, final ConfigProgrammer.Plan plan, final InjectProxy inject,
        final DataplaneProgram program, final Consumer<String> log, final List<SaSpec> sas)
    {
        if (!plan.usesIke())
        {
            return null;
        }
        return new IkeService(config, plan, inject, program, log, sas);
    }

    private IkeService(final Config config, final ConfigProgrammer.Plan plan, final InjectProxy inject,
        final DataplaneProgram program, final Consumer<String> log, final List<SaSpec> sas)
    {
        this.plan = plan;
        this.config = config;
        this.inject = inject;
        this.program = program;
        this.log = log;
        this.sas = sas;
        this.ikeLog = new IkeLog.Switchable(log);
        this.defaultLocal = plan.ikePeers().isEmpty() ? plan.dynamicEntries().getFirst().local() :
            plan.ikePeers().getFirst().local();
        this.dynamic = plan.dynamicEntries().isEmpty() ? null :
            new DynamicPeers(plan.dynamicEntries().getFirst(), program, log);
        if (plan.dynamicEntries().size() > 1)
        {
            log.accept("IKE: dynamic peers use crypto map " + plan.dynamicEntries().getFirst().tunnelPrefix() +
                " only; the other dynamic entries are not used");
        }
        final InetAddress local = address(defaultLocal);
        final Ikev1Settings.Builder b = Ikev1Settings.fromConfig(config, local).toBuilder();
        // GRE tunnels with tunnel protection: quick mode for GRE between the tunnel's endpoints
        for (final ConfigProgrammer.IkePeer p : plan.ikePeers())
        {
            final Optional<InterfaceConfig> tunnel = config.interfaceNamed(p.tunnel())
                .filter(i -> i.tunnel().flatMap(InterfaceConfig.Tunnel::protection).isPresent());
            if (tunnel.isEmpty())
            {
                continue;
            }
            final Ipsec.Profile profile = config.ipsec().profile(
                tunnel.get().tunnel().get().protection().get().profile()).orElseThrow();
            final List<Ipsec.TransformSet> sets = profile.transformSets().stream()
                .map(n -> config.ipsec().transformSet(n)).flatMap(Optional::stream).toList();
            b.phase2(new Ikev1Settings.Phase2Policy(Ip4Subnet.host(new Ip4(p.peer())), sets, profile.lifetime(),
                profile.pfs().map(g -> g.number()).orElse(0),
                new Selector(Ip4Subnet.host(new Ip4(p.local())), 47, 0),
                new Selector(Ip4Subnet.host(new Ip4(p.peer())), 47, 0)));
        }
        this.engine = new Ikev1Engine(b.build(), this::send, this, ikeLog, System::currentTimeMillis,
            new SecureRandom());
        for (final ConfigProgrammer.IkePeer p : plan.ikePeers())
        {
            config.interfaceNamed(p.tunnel()).flatMap(InterfaceConfig::tunnel).flatMap(InterfaceConfig.Tunnel::protection)
                .flatMap(prot -> config.ipsec().profile(prot.profile())).flatMap(Ipsec.Profile::ikev2Profile)
                .ifPresent(name -> v2Peers.add(p.peer()));
        }
        final IkeService self = this;
        this.v2 = v2Peers.isEmpty() ? null : new io.sluice.controlplane.ike.v2.Ikev2Engine(
            io.sluice.controlplane.ike.v2.Ikev2Settings.fromConfig(config, local), this::send,
            new io.sluice.controlplane.ike.v2.Ikev2Engine.Listener()
            {
                @Override
                public void ikeSaEstablished(final InetSocketAddress peer, final String peerId)
                {
                    self.phase1Established(peer, peerId);
                }

                @Override
                public void childSaEstablished(final ChildSa sa)
                {
                    self.childSaEstablished(sa);
                }

                @Override
                public void childSaDeleted(final ChildSa sa, final String reason)
                {
                    self.childSaDeleted(sa, reason);
                }

                @Override
                public void peerDead(final InetSocketAddress peer)
                {
                    self.peerDead(peer);
                }
            }, ikeLog, System::currentTimeMillis, new SecureRandom());
    }

    private boolean tunnelIsGre(final String tunnel)
    {
        return config.interfaceNamed(tunnel).isPresent(); // a crypto map's IPsec tunnel is no configured interface
    }

    private static InetAddress address(final int ip)
    {
        try
        {
            return InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(ip).array());
        }
        catch (final UnknownHostException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static int ip(final InetAddress a)
    {
        return ByteBuffer.wrap(a.getAddress()).getInt();
    }

    void debug(final boolean on)
    {
        ikeLog.debug(on);
    }

    String showCryptoIsakmpSa()
    {
        return engine.showCryptoIsakmpSa();
    }

    /**
     * {@code show crypto session}: per peer, the interface its SAs bind to, the session status as
     * IOS words it (UP-ACTIVE: IKE and IPsec up; UP-IDLE: IKE only; UP-NO-IKE: IPsec without IKE;
     * DOWN-NEGOTIATING), its IKE SAs and the flows its IPsec SAs protect.
     */
    String showCryptoSession()
    {
        final java.util.List<io.sluice.controlplane.ike.IkeSession> ike = new java.util.ArrayList<>(engine.sessions());
        final java.util.List<ChildSa> children = new java.util.ArrayList<>(engine.childSas());
        if (v2 != null)
        {
            ike.addAll(v2.sessions());
            children.addAll(v2.childSas());
        }
        final java.util.Map<InetAddress, InetSocketAddress> peers = new java.util.LinkedHashMap<>();
        ike.forEach(i -> peers.putIfAbsent(i.peer().getAddress(), i.peer()));
        children.forEach(c -> peers.putIfAbsent(c.peer().getAddress(), c.peer()));
        final StringBuilder out = new StringBuilder("Crypto session current status\n");
        for (final var e : peers.entrySet())
        {
            final java.util.List<io.sluice.controlplane.ike.IkeSession> sessions =
                ike.stream().filter(i -> i.peer().getAddress().equals(e.getKey())).toList();
            final java.util.List<ChildSa> flows =
                children.stream().filter(c -> c.peer().getAddress().equals(e.getKey())).toList();
            final boolean ikeUp = sessions.stream().anyMatch(io.sluice.controlplane.ike.IkeSession::established);
            final String status = ikeUp ? (flows.isEmpty() ? "UP-IDLE" : "UP-ACTIVE") :
                !flows.isEmpty() ? "UP-NO-IKE" : "DOWN-NEGOTIATING";
            final int peer = ip(e.getKey());
            final String tunnel = plan.ikePeers().stream().filter(p -> p.peer() == peer).map(ConfigProgrammer.IkePeer::tunnel)
                .findFirst().orElse(dynamic != null && dynamic.peers().contains(new Ip4(peer)) ?
                    dynamic.tunnel(new Ip4(peer)) : "-");
            out.append("\nInterface: ").append(tunnel).append('\n');
            out.append("Session status: ").append(status).append('\n');
            out.append("Peer: ").append(e.getKey().getHostAddress()).append(" port ").append(e.getValue().getPort())
                .append('\n');
            for (final io.sluice.controlplane.ike.IkeSession i : sessions)
            {
                out.append("  ").append(i.version()).append(" SA: local ").append(i.local().getAddress().getHostAddress())
                    .append('/').append(i.local().getPort()).append(" remote ").append(i.peer().getAddress().getHostAddress())
                    .append('/').append(i.peer().getPort()).append(i.established() ? " Active" : " Inactive").append('\n');
            }
            final java.util.Map<String, Integer> flowSas = new java.util.LinkedHashMap<>();
            for (final ChildSa c : flows)
            {
                flowSas.merge(flow(c.localSelector()) + " " + flow(c.remoteSelector()), 2, Integer::sum);
            }
            flowSas.forEach((f, n) -> out.append("  IPSEC FLOW: permit ").append(f.contains("proto 47") ? "47 " : "ip ")
                .append(f.replace(" proto 47", "")).append('\n').append("        Active SAs: ").append(n)
                .append(", origin: crypto map").append('\n'));
        }
        return out.toString();
    }

    /** "10.1.0.0/24" as IOS writes a flow's side: "10.1.0.0/255.255.255.0" ("host A" for a /32). */
    private static String flow(final String selector)
    {
        final String[] w = selector.split(" ", 2);
        final String[] p = w[0].split("/");
        final int len = p.length > 1 ? Integer.parseInt(p[1]) : 32;
        final String side = len == 32 ? "host " + p[0] : p[0] + "/" + Ip4.mask(len);
        return w.length > 1 ? side + " " + w[1] : side;
    }

    /** {@code clear crypto session remote A}: the peer's IKE and IPsec SAs deleted, the peer told. */
    boolean clearSession(final InetAddress peer)
    {
        final boolean known = engine.established(peer) || (v2 != null && v2.established(peer)) ||
            engine.childSas().stream().anyMatch(c -> c.peer().getAddress().equals(peer)) ||
            (v2 != null && v2.childSas().stream().anyMatch(c -> c.peer().getAddress().equals(peer)));
        if (v2 != null)
        {
            v2.clear(peer);
        }
        engine.clear(peer);
        final int p = ip(peer);
        if (plan.ikePeers().stream().anyMatch(k -> k.peer() == p))
        {
            retryAt.put(p, System.currentTimeMillis() + 500);   // a configured peer is negotiated again, as after clear crypto sa
        }
        return known;
    }

    String showCryptoIkev2Sa(final boolean detailed)
    {
        return v2 == null ? " IPv4 Crypto IKEv2  SA\n" : v2.showCryptoIkev2Sa(detailed);
    }

    private boolean usesV2(final int peer)
    {
        return v2 != null && v2Peers.contains(peer);
    }

    /** Starts phase 1 with every peer the configuration names. */
    void initiateAll()
    {
        for (final ConfigProgrammer.IkePeer p : plan.ikePeers())
        {
            initiate(p.peer());
        }
    }

    private void initiate(final int peer)
    {
        if (usesV2(peer))
        {
            if (!v2.established(address(peer)))
            {
                log.accept("IKEv2: initiating with " + new Ip4(peer));
                v2.initiate(new InetSocketAddress(address(peer), Ikev1Engine.IKE_PORT));
            }
        }
        else if (!engine.established(address(peer)))
        {
            log.accept("IKE: initiating with " + new Ip4(peer));
            engine.initiate(new InetSocketAddress(address(peer), Ikev1Engine.IKE_PORT));
        }
        retryAt.put(peer, System.currentTimeMillis() + RETRY_MILLIS);
    }

    /** The dataplane saw traffic go to {@code peer} and nothing come back: on-demand DPD asks it (R-U-THERE). */
    void idle(final int peer)
    {
        log.accept("IKE: " + new Ip4(peer) + " silent while we send: DPD on demand");
        if (usesV2(peer))
        {
            v2.idle(address(peer));
        }
        else
        {
            engine.idle(address(peer));
        }
    }

    /**
     * The dataplane says an SA crossed its soft lifetime (kilobytes, seconds, or its sequence numbers
     * running out): negotiate its successor now, make-before-break; the old SA is deleted once the
     * new one is in (both engines also rekey on their own before a lifetime in seconds ends).
     */
    void softLifetime(final int spi)
    {
        for (final SaSpec s : sas)
        {
            if (s.spi() == spi)
            {
                log.accept("IKE: SA " + ChildSa.spiText(spi & 0xffff_ffffL) + " reached its soft lifetime: rekeying");
                if (usesV2(s.peer()))
                {
                    v2.rekeyChild(address(s.peer()));
                }
                else
                {
                    rekeyV1(spi);
                }
                return;
            }
        }
    }

    private void rekeyV1(final int spi)
    {
        for (final ChildSa c : engine.childSas())
        {
            if ((int)c.spiIn() == spi || (int)c.spiOut() == spi)
            {
                if (!engine.rekeyChild(c.spiIn()))
                {
                    log.accept("IKE: " + ChildSa.spiText(c.spiIn()) + " is already being rekeyed");
                }
                return;
            }
        }
    }

    /** The routes to dynamic peers, for {@code show ip route}. */
    List<DynamicPeers.Route> dynamicRoutes()
    {
        return dynamic == null ? List.of() : dynamic.routes();
    }

    /**
     * {@code clear crypto sa}: every IKE SA and its children deleted (with notifications); new ones
     * follow with configured peers, dynamic peers come back if they want to.
     */
    void clearAll()
    {
        if (dynamic != null)
        {
            for (final Ip4 peer : dynamic.peers())
            {
                engine.clear(address(peer.bits()));
            }
        }
        for (final ConfigProgrammer.IkePeer p : plan.ikePeers())
        {
            if (usesV2(p.peer()))
            {
                v2.clear(address(p.peer()));
            }
            engine.clear(address(p.peer()));
            retryAt.put(p.peer(), System.currentTimeMillis() + 500);
        }
    }

    void tick(final long nowMillis)
    {
        engine.tick(nowMillis);
        if (v2 != null)
        {
            v2.tick(nowMillis);
        }
        for (final ConfigProgrammer.IkePeer p : plan.ikePeers())
        {
            final Long at = retryAt.get(p.peer());
            if (at != null && nowMillis >= at && !hasChild(p.peer()))
            {
                initiate(p.peer());
            }
        }
    }

    private boolean hasChild(final int peer)
    {
        final List<ChildSa> children = usesV2(peer) ? v2.childSas() : engine.childSas();
        return children.stream().anyMatch(c -> ip(c.peer().getAddress()) == peer);
    }

    /** A punted IPv4 packet carrying UDP to port 500 or 4500. */
    void onPunt(final byte[] packet)
    {
        if (packet.length < 28 || (packet[0] >> 4) != 4)
        {
            return;
        }
        final ByteBuffer b = ByteBuffer.wrap(packet);
        final int ihl = (packet[0] & 0xf) * 4;
        if (packet[9] != 17 || packet.length < ihl + 8)
        {
            return;
        }
        final int src = b.getInt(12);
        final int sport = b.getShort(ihl) & 0xffff;
        final int dport = b.getShort(ihl + 2) & 0xffff;
        final int udpLength = Math.min(b.getShort(ihl + 4) & 0xffff, packet.length - ihl);
        final byte[] payload = java.util.Arrays.copyOfRange(packet, ihl + 8, ihl + Math.max(8, udpLength));
        // the ISAKMP header's version (RFC 7296 3.1: major version 2) says which engine: after the non-ESP marker on 4500
        final int header = dport == Ikev1Engine.NAT_T_PORT ? 4 : 0;
        final boolean isV2 = payload.length > header + 17 && ((payload[header + 17] >> 4) & 0xf) == 2;
        if (isV2 && v2 != null)
        {
            v2.receive(payload, new InetSocketAddress(address(src), sport), dport);
        }
        else if (!isV2)
        {
            engine.receive(payload, new InetSocketAddress(address(src), sport), dport);
        }
        else
        {
            log.accept("IKE: an IKEv2 message from " + new Ip4(src) + " but no peer is configured for IKEv2; dropped");
        }
    }

    /** The engine's datagram as an IPv4/UDP packet the dataplane routes out. */
    private void send(final byte[] datagram, final InetSocketAddress to, final int localPort)
    {
        final int dst = ip(to.getAddress());
        final ConfigProgrammer.IkePeer p = ikePeer(dst);
        final int src = p != null ? p.local() : defaultLocal;
        final int total = 28 + datagram.length;
        final ByteBuffer b = ByteBuffer.allocate(total);
        b.put((byte)0x45).put((byte)0xc0).putShort((short)total).putShort((short)0).putShort((short)0x4000)
            .put((byte)64).put((byte)17).putShort((short)0).putInt(src).putInt(dst);
        b.putShort(10, (short)checksum(b.array(), 0, 20, 0));
        b.position(20);
        b.putShort((short)localPort).putShort((short)to.getPort()).putShort((short)(8 + datagram.length))
            .putShort((short)0).put(datagram);
        // UDP checksum over the pseudo-header (RFC 768)
        final long pseudo = ((src >>> 16) & 0xffff) + (src & 0xffff) + ((dst >>> 16) & 0xffff) + (dst & 0xffff) + 17 +
            8 + datagram.length;
        int c = checksum(b.array(), 20, 8 + datagram.length, pseudo);
        b.putShort(26, (short)(c == 0 ? 0xffff : c));
        inject.inject(InjectKind.ROUTE, "", 0, b.array());
    }

    private static int checksum(final byte[] a, final int from, final int length, final long initial)
    {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2)
        {
            sum += ((a[from + i] & 0xff) << 8) | (a[from + i + 1] & 0xff);
        }
        if ((length & 1) != 0)
        {
            sum += (a[from + length - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int)(~sum & 0xffff);
    }

    @Override
    public void phase1Established(final InetSocketAddress peer, final String peerId)
    {
        log.accept("IKE: phase 1 up with " + peer.getAddress().getHostAddress() + " (" + peerId + ")");
    }

    @Override
    public void childSaEstablished(final ChildSa c)
    {
        final int peer = ip(c.peer().getAddress());
        final ConfigProgrammer.IkePeer p = ikePeer(peer);
        if (p == null && dynamic == null)
        {
            log.accept("IKE: SAs with " + c.peer() + " bind to no tunnel of the configuration; not installed");
            return;
        }
        final String tunnel = p != null ? p.tunnel() : dynamic.tunnel(new Ip4(peer));
        final int local = p != null ? p.local() : dynamic.entry().local();
        final SecurityAssociation.Mode mode = c.mode() == ChildSa.Mode.TRANSPORT ? SecurityAssociation.Mode.TRANSPORT :
            SecurityAssociation.Mode.TUNNEL;
        final int udp = c.udpEncapsulated() ? c.peer().getPort() : 0;
        final SaSpec in = new SaSpec((int)c.spiIn(), true, mode, tunnel, peer, local, udp, c.encryption(),
            ChildSa.cipherKey(c.encryption(), c.keyIn()), c.integrity(),
            ChildSa.integrityKey(c.encryption(), c.integrity(), c.keyIn()), false, 64, c.lifetimeSeconds(),
            c.lifetimeKilobytes());
        final SaSpec out = new SaSpec((int)c.spiOut(), false, mode, tunnel, peer, local, udp, c.encryption(),
            ChildSa.cipherKey(c.encryption(), c.keyOut()), c.integrity(),
            ChildSa.integrityKey(c.encryption(), c.integrity(), c.keyOut()), false, 64, c.lifetimeSeconds(),
            c.lifetimeKilobytes());
        synchronized (sas)
        {
            sas.add(withoutKeys(in));
            sas.add(withoutKeys(out));
        }
        // inbound first: the peer may use its new outbound SA as soon as quick mode completes
        program.addSa(in);
        program.addSa(out);
        log.accept("IKE: " + c + " installed on " + tunnel);
        if (p == null)
        {
            final Ip4Subnet remote = selectorPrefix(c.remoteSelector());
            if (remote != null)
            {
                dynamic.childUp(new Ip4(peer), c.spiIn(), remote);
            }
        }
    }

    /** The prefix of a selector as {@link ChildSa} writes it: "10.0.0.0/24" or "10.0.0.1/32 proto 47". */
    static Ip4Subnet selectorPrefix(final String selector)
    {
        try
        {
            final String[] parts = selector.trim().split("[/ ]");
            return new Ip4Subnet(Ip4.parse(parts[0]), Integer.parseInt(parts[1]));
        }
        catch (final RuntimeException e)
        {
            return null;
        }
    }

    private static SaSpec withoutKeys(final SaSpec s)
    {
        return new SaSpec(s.spi(), s.inbound(), s.mode(), s.tunnel(), s.peer(), s.local(), s.udpPort(),
            s.encryption(), new byte[0], s.integrity(), new byte[0], s.esn(), s.replayWindow(), s.lifetimeSeconds(),
            s.lifetimeKilobytes());
    }

    @Override
    public void childSaDeleted(final ChildSa c, final String reason)
    {
        synchronized (sas)
        {
            sas.removeIf(s -> s.spi() == (int)c.spiIn() && s.inbound() || s.spi() == (int)c.spiOut() && !s.inbound());
        }
        program.deleteSa((int)c.spiIn(), true);
        program.deleteSa((int)c.spiOut(), false);
        log.accept("IKE: " + ChildSa.spiText(c.spiIn()) + "/" + ChildSa.spiText(c.spiOut()) + " deleted: " + reason);
        final int peer = ip(c.peer().getAddress());
        if (ikePeer(peer) == null && dynamic != null)
        {
            dynamic.childDown(new Ip4(peer), c.spiIn());  // nothing to re-initiate: a dynamic peer comes back by itself
            return;
        }
        retryAt.put(peer, System.currentTimeMillis() + 1000);
    }

    @Override
    public void addressAssigned(final InetSocketAddress peer, final InetAddress address)
    {
        if (dynamic != null)
        {
            dynamic.addressLent(new Ip4(ip(peer.getAddress())), new Ip4(ip(address)));
        }
    }

    @Override
    public void addressReleased(final InetSocketAddress peer, final InetAddress address)
    {
        if (dynamic != null)
        {
            dynamic.addressReturned(new Ip4(ip(peer.getAddress())), new Ip4(ip(address)));
        }
    }

    @Override
    public void peerDead(final InetSocketAddress peer)
    {
        retryAt.put(ip(peer.getAddress()), System.currentTimeMillis() + 1000);
    }

    @Override
    public void peerFailover(final InetSocketAddress failed, final InetSocketAddress next)
    {
        // the engine goes on with the crypto map entry's next 'set peer': stop retrying the dead one, and point the
        // entry's IPsec tunnel at the next peer so its SAs have somewhere to go
        retryAt.remove(ip(failed.getAddress()));
        final ConfigProgrammer.IkePeer was = ikePeer(ip(failed.getAddress()));
        if (was != null && !tunnelIsGre(was.tunnel()))
        {
            final int to = ip(next.getAddress());
            failedOver.put(to, new ConfigProgrammer.IkePeer(to, was.tunnel(), was.local(), was.mode()));
            program.ipsecTunnel(was.tunnel(), was.local(), to);
        }
        log.accept("IKE: " + failed.getAddress().getHostAddress() + " is gone; trying the next peer " +
            next.getAddress().getHostAddress());
    }
}
