package io.sluice.controlplane.program;

import io.sluice.controlplane.config.AccessList;
import io.sluice.controlplane.config.Config;
import io.sluice.controlplane.config.CryptoMap;
import io.sluice.controlplane.config.DynamicMap;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.InterfaceConfig;
import io.sluice.controlplane.config.StaticRoute;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.ReplayWindow;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.program.DataplaneProgram;
import io.sluice.dataplane.program.SaSpec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Turns a loaded configuration into dataplane programming: interface addresses and MTUs, GRE
 * tunnels (point-to-point and multipoint with their static NHRP maps), tunnel protection, static
 * routes, and crypto maps with manual keys. The whole plan is computed and checked first
 * ({@link #plan}); only a plan without errors is applied, so a bad file programs nothing.
 * <p>
 * A crypto map becomes route-based state, as the dataplane forwards by route: an ACL line that
 * permits GRE between the interface's address and the peer protects the GRE tunnel with those
 * endpoints (GRE over IPsec, the classic pre-DMVPN configuration); any other permit line sends its
 * destination prefix into a hidden IPsec tunnel interface to the peer, named {@code MAP/SEQ}.
 * Source addresses, protocols and ports of such a line do not narrow what is encrypted (the
 * dataplane has no per-packet policy lookup yet): the plan says so in its log.
 * {@code ipsec-isakmp} entries and {@code tunnel protection} wait for IKE to push their SAs. A
 * dynamic entry ({@code ipsec-isakmp dynamic DYN}) programs nothing up front: its peers are not
 * known until they authenticate, and {@link DynamicPeers} makes each one's tunnel and routes then.
 */
public final class ConfigProgrammer
{
    /** One step of the plan: what it does, for the log, and the call. */
    public record Step(String description, Consumer<DataplaneProgram> action)
    {
    }

    /**
     * Where IKE's SAs for a peer go: the tunnel interface they bind to, the mode the transform
     * sets ask for, and our address facing that peer.
     */
    public record IkePeer(int peer, String tunnel, int local, SecurityAssociation.Mode mode)
    {
    }

    /**
     * A {@code crypto map MAP SEQ ipsec-isakmp dynamic DYN} entry on an interface: IKE takes any peer
     * that authenticates under it, and each such peer gets an IPsec tunnel of its own when its SAs
     * come up ({@link DynamicPeers}), named {@code MAP/SEQ/N}.
     *
     * @param map             the crypto map.
     * @param sequence        the entry's sequence number in it.
     * @param dynamicMap      the dynamic map it uses.
     * @param dynamicSequence the dynamic map entry quick mode uses (its first).
     * @param local           our address on the interface the map is applied to.
     * @param reverseRoute    {@code reverse-route}: route each peer's remote proxy identity into its tunnel.
     */
    public record DynamicEntry(String map, int sequence, String dynamicMap, int dynamicSequence, int local,
        boolean reverseRoute)
    {
        /** The prefix of the peers' tunnel names: {@code MAP/SEQ}. */
        public String tunnelPrefix()
        {
            return map + "/" + sequence;
        }

        /** "crypto dynamic-map DYN SEQ". */
        public String dynamicEntryText()
        {
            return "crypto dynamic-map " + dynamicMap + " " + dynamicSequence;
        }
    }

    /** The plan: steps to apply, decisions to log, errors that stop it all, and IKE's peers. */
    public record Plan(List<Step> steps, List<String> notes, List<String> errors, List<IkePeer> ikePeers,
        List<DynamicEntry> dynamicEntries)
    {
        /** True if IKE has something to do: a peer to negotiate with, or a dynamic entry to answer under. */
        public boolean usesIke()
        {
            return !ikePeers.isEmpty() || !dynamicEntries.isEmpty();
        }

        /** The IKE peer entry for an address, or null. */
        public IkePeer ikePeer(final int address)
        {
            for (final IkePeer p : ikePeers)
            {
                if (p.peer() == address)
                {
                    return p;
                }
            }
            return null;
        }

        public boolean ok()
        {
            return errors.isEmpty();
        }

        /** Applies every step in order; throws if the plan had errors. */
        public void apply(final DataplaneProgram program)
        {
            if (!ok())
            {
                throw new IllegalStateException("configuration not applied: " + String.join("; ", errors));
            }
            for (final Step s : steps)
            {
                try
                {
                    s.action().accept(program);
                }
                catch (final RuntimeException e)
                {
                    throw new IllegalStateException(s.description() + ": " + e.getMessage(), e);
                }
            }
        }
    }

    private final Config config;
    private final List<Step> steps = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final Set<String> protectedTunnels = new LinkedHashSet<>();
    private final List<IkePeer> ikePeers = new ArrayList<>();
    private final List<DynamicEntry> dynamicEntries = new ArrayList<>();

    private ConfigProgrammer(final Config config)
    {
        this.config = config;
    }

    /** Computes and checks the programming for {@code config}. */
    public static Plan plan(final Config config)
    {
        final ConfigProgrammer p = new ConfigProgrammer(config);
        p.interfaces();
        p.tunnels();
        p.routes();
        p.cryptoMaps();
        return new Plan(List.copyOf(p.steps), List.copyOf(p.notes), List.copyOf(p.errors), List.copyOf(p.ikePeers),
            List.copyOf(p.dynamicEntries));
    }

    private void step(final String description, final Consumer<DataplaneProgram> action)
    {
        steps.add(new Step(description, action));
    }

    // ------------------------------------------------------------------ interfaces

    private void interfaces()
    {
        for (final InterfaceConfig ifc : config.interfaces())
        {
            if (ifc.kind() != InterfaceConfig.Kind.PHYSICAL)
            {
                if (ifc.kind() != InterfaceConfig.Kind.TUNNEL)
                {
                    notes.add("interface " + ifc.name() + ": " + ifc.kind().name().toLowerCase() +
                        " interfaces are not programmed into the dataplane");
                }
                continue;
            }
            if (ifc.shutdown())
            {
                notes.add("interface " + ifc.name() + ": shutdown, not programmed");
                continue;
            }
            addressesAndMtu(ifc);
        }
    }

    private void addressesAndMtu(final InterfaceConfig ifc)
    {
        for (final Ip4Subnet a : ifc.addresses())
        {
            step("interface " + ifc.name() + ": ip address " + a,
                p -> p.interfaceAddress(ifc.name(), a.address().bits(), a.prefixLength()));
        }
        if (ifc.ipMtu().isPresent() || ifc.tcpAdjustMss().isPresent())
        {
            step("interface " + ifc.name() + ": ip mtu / tcp adjust-mss",
                p -> p.interfaceMtu(ifc.name(), ifc.ipMtu().orElse(0), ifc.tcpAdjustMss().orElse(0)));
        }
    }

    private Optional<Integer> primaryAddress(final String ifname)
    {
        return config.interfaceNamed(ifname).flatMap(InterfaceConfig::address).map(s -> s.address().bits());
    }

    // ------------------------------------------------------------------ tunnels

    private void tunnels()
    {
        for (final InterfaceConfig ifc : config.tunnels())
        {
            if (ifc.shutdown())
            {
                notes.add("interface " + ifc.name() + ": shutdown, not programmed");
                continue;
            }
            final InterfaceConfig.Tunnel t = ifc.tunnel().orElseThrow();
            final Integer source = tunnelSource(ifc, t);
            if (source == null)
            {
                continue;
            }
            final boolean multipoint = t.mode() == InterfaceConfig.TunnelMode.GRE_MULTIPOINT;
            final int destination = multipoint ? 0 : t.destination().map(d -> d.bits()).orElse(0);
            if (!multipoint && destination == 0)
            {
                // as on IOS: the tunnel interface exists but stays down (the parser warns about it too)
                notes.add("interface " + ifc.name() + ": no tunnel destination and not multipoint: down, not programmed");
                continue;
            }
            final Long key = t.key().isPresent() ? t.key().getAsLong() : null;
            step("interface " + ifc.name() + ": tunnel mode " + t.mode().keywords(),
                p -> p.greTunnel(ifc.name(), source, destination, key));
            addressesAndMtu(ifc);
            ifc.nhrp().ifPresent(n -> n.maps().forEach(m -> step(
                "interface " + ifc.name() + ": ip nhrp map " + m.overlay() + " " + m.nbma(),
                p -> p.mgrePeer(ifc.name(), m.overlay().bits(), m.nbma().bits()))));
            if (!multipoint && ifc.nhrp().map(n -> !n.maps().isEmpty()).orElse(false))
            {
                errors.add("interface " + ifc.name() + ": 'ip nhrp map' needs 'tunnel mode gre multipoint'");
            }
            t.protection().ifPresent(prot ->
            {
                if (config.ipsec().profile(prot.profile()).isEmpty())
                {
                    errors.add("interface " + ifc.name() + ": tunnel protection ipsec profile " + prot.profile() +
                        ": no such 'crypto ipsec profile'");
                    return;
                }
                protect(ifc.name());
                notes.add("interface " + ifc.name() + ": protected by ipsec profile " + prot.profile() +
                    "; its SAs come from IKE");
                if (!multipoint)
                {
                    final boolean transport = config.ipsec().profile(prot.profile()).get().transformSets().stream()
                        .map(n -> config.ipsec().transformSet(n)).flatMap(Optional::stream)
                        .findFirst().map(ts -> ts.mode() == Ipsec.EncapsulationMode.TRANSPORT).orElse(false);
                    ikePeers.add(new IkePeer(destination, ifc.name(), source, transport ?
                        SecurityAssociation.Mode.TRANSPORT : SecurityAssociation.Mode.TUNNEL));
                }
            });
        }
    }

    private Integer tunnelSource(final InterfaceConfig ifc, final InterfaceConfig.Tunnel t)
    {
        if (t.source().isEmpty())
        {
            errors.add("interface " + ifc.name() + ": no 'tunnel source'");
            return null;
        }
        return switch (t.source().get())
        {
            case InterfaceConfig.SourceAddress a -> a.address().bits();
            case InterfaceConfig.SourceInterface s ->
            {
                final Optional<Integer> a = primaryAddress(s.name());
                if (a.isEmpty())
                {
                    errors.add("interface " + ifc.name() + ": tunnel source " + s.name() +
                        (config.interfaceNamed(s.name()).isEmpty() ? " is not configured" : " has no ip address"));
                    yield null;
                }
                yield a.get();
            }
        };
    }

    private void protect(final String tunnel)
    {
        if (protectedTunnels.add(tunnel))
        {
            step("interface " + tunnel + ": tunnel protection", p -> p.protectTunnel(tunnel));
        }
    }

    // ------------------------------------------------------------------ routes

    private void routes()
    {
        for (final StaticRoute r : config.routes())
        {
            final String what = "ip route " + r.prefix();
            final int prefix = r.prefix().address().bits();
            final int length = r.prefix().prefixLength();
            if (r.interfaceName().filter(n -> n.equalsIgnoreCase("Null0")).isPresent())
            {
                step(what + " Null0", p -> p.nullRoute(prefix, length));
                continue;
            }
            final int nextHop = r.nextHop().map(h -> h.bits()).orElse(0);
            final String ifname = r.interfaceName().orElseGet(() -> resolve(nextHop, 0));
            if (ifname == null)
            {
                // as IOS: a static route whose next hop does not resolve stays out of the routing table
                notes.add(what + ": not installed: next hop " + r.nextHop().map(Object::toString).orElse("?") +
                    " is on no connected subnet and no route with an interface covers it");
                continue;
            }
            if (config.interfaceNamed(ifname).isEmpty())
            {
                errors.add(what + ": interface " + ifname + " is not configured");
                continue;
            }
            step(what + " " + ifname + (nextHop != 0 ? " " + r.nextHop().get() : ""),
                p -> p.route(prefix, length, ifname, nextHop));
        }
    }

    /** The interface for a next hop: its connected subnet, else the longest static route that names one. */
    private String resolve(final int address, final int depth)
    {
        final String connected = connectedInterface(address);
        if (connected != null || depth > 8)
        {
            return connected;
        }
        StaticRoute best = null;
        for (final StaticRoute r : config.routes())
        {
            if (r.prefix().contains(new io.sluice.controlplane.config.Ip4(address)) &&
                (best == null || r.prefix().prefixLength() > best.prefix().prefixLength()) &&
                r.prefix().prefixLength() > 0 || (best == null && r.prefix().prefixLength() == 0))
            {
                best = r;
            }
        }
        if (best == null)
        {
            return null;
        }
        if (best.interfaceName().isPresent())
        {
            return best.interfaceName().get().equalsIgnoreCase("Null0") ? null : best.interfaceName().get();
        }
        return best.nextHop().map(h -> resolve(h.bits(), depth + 1)).orElse(null);
    }

    private String connectedInterface(final int address)
    {
        for (final InterfaceConfig ifc : config.interfaces())
        {
            for (final Ip4Subnet s : ifc.addresses())
            {
                if (s.prefixLength() < 32 && s.contains(new io.sluice.controlplane.config.Ip4(address)))
                {
                    return ifc.name();
                }
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ crypto maps

    private void cryptoMaps()
    {
        for (final InterfaceConfig ifc : config.interfaces())
        {
            if (ifc.cryptoMap().isEmpty() || ifc.shutdown())
            {
                continue;
            }
            final String mapName = ifc.cryptoMap().get();
            final Optional<CryptoMap> map = config.cryptoMap(mapName);
            if (map.isEmpty())
            {
                errors.add("interface " + ifc.name() + ": crypto map " + mapName + ": no such crypto map");
                continue;
            }
            final Optional<Integer> local = primaryAddress(ifc.name());
            if (local.isEmpty())
            {
                errors.add("interface " + ifc.name() + ": crypto map " + mapName + " needs an ip address on it");
                continue;
            }
            for (final CryptoMap.Entry e : map.get().entries())
            {
                cryptoMapEntry(ifc, mapName, e, local.get());
            }
        }
    }

    private void cryptoMapEntry(final InterfaceConfig ifc, final String mapName, final CryptoMap.Entry e,
        final int local)
    {
        if (e.dynamicMap().isPresent())
        {
            dynamicEntry(mapName, e, local);
            return;
        }
        final boolean manual = e.keying() == CryptoMap.Keying.MANUAL;
        final String what = "crypto map " + mapName + " " + e.sequence() + " " + e.keying().keyword();
        if (e.peers().isEmpty())
        {
            errors.add(what + ": no 'set peer'");
            return;
        }
        if (e.transformSets().isEmpty())
        {
            errors.add(what + ": no 'set transform-set'");
            return;
        }
        final Optional<Ipsec.TransformSet> ts = config.ipsec().transformSet(e.transformSets().getFirst());
        if (ts.isEmpty())
        {
            errors.add(what + ": transform set " + e.transformSets().getFirst() + " is not defined");
            return;
        }
        if (e.matchAddress().isEmpty())
        {
            errors.add(what + ": no 'match address'");
            return;
        }
        final Optional<AccessList> acl = config.accessList(e.matchAddress().get());
        if (acl.isEmpty())
        {
            errors.add(what + ": match address " + e.matchAddress().get() + ": no such access list");
            return;
        }
        if (manual && (e.inbound().isEmpty() || e.outbound().isEmpty()))
        {
            errors.add(what + ": needs both 'set session-key inbound' and 'set session-key outbound'");
            return;
        }
        final int peer = e.peers().getFirst().address().bits();
        if (e.peers().size() > 1)
        {
            notes.add(what + ": " + (manual ? "manual keys use" : "the dataplane tunnel goes to") +
                " the first peer only (" + e.peers().getFirst().text() + ")");
        }
        final boolean transport = ts.get().mode() == Ipsec.EncapsulationMode.TRANSPORT;
        String tunnel = null;
        for (final AccessList.Rule rule : acl.get().rules())
        {
            if (!rule.permit())
            {
                continue;
            }
            final String greTunnel = rule.protocol().orElse(-1) == 47 ? greTunnelBetween(local, peer, rule) : null;
            if (greTunnel != null)
            {
                if (tunnel != null && !tunnel.equals(greTunnel))
                {
                    errors.add(what + ": one manual SA pair cannot protect both " + tunnel + " and " + greTunnel);
                    return;
                }
                tunnel = greTunnel;
                protect(greTunnel);
                notes.add(what + ": protects GRE tunnel " + greTunnel + " (GRE over IPsec, " +
                    (transport ? "transport" : "tunnel") + " mode)");
                continue;
            }
            if (transport)
            {
                errors.add(what + ": transform set " + ts.get().name() + " is 'mode transport', which protects only " +
                    "GRE between this interface and the peer; access list " + acl.get().name() + " permits other traffic");
                return;
            }
            final String ipsecTunnel = mapName + "/" + e.sequence();
            if (tunnel == null)
            {
                tunnel = ipsecTunnel;
                step(what + ": IPsec tunnel to " + e.peers().getFirst().text(),
                    p -> p.ipsecTunnel(ipsecTunnel, local, peer));
            }
            else if (!tunnel.equals(ipsecTunnel))
            {
                errors.add(what + ": access list " + acl.get().name() + " mixes GRE and other traffic");
                return;
            }
            final Ip4Subnet dst = rule.destination();
            step(what + ": traffic to " + dst + " goes to " + e.peers().getFirst().text(),
                p -> p.route(dst.address().bits(), dst.prefixLength(), ipsecTunnel, 0));
            if (rule.source().prefixLength() != 0 || rule.protocol().isPresent() || rule.sourcePort().isPresent() ||
                rule.destinationPort().isPresent())
            {
                notes.add(what + ": '" + dst + "' is encrypted whatever its source, protocol and ports (the " +
                    "dataplane encrypts by destination route)");
            }
        }
        if (tunnel == null)
        {
            errors.add(what + ": access list " + acl.get().name() + " permits nothing");
            return;
        }
        final String boundTo = tunnel;
        final SecurityAssociation.Mode mode = transport ? SecurityAssociation.Mode.TRANSPORT :
            SecurityAssociation.Mode.TUNNEL;
        if (!manual)
        {
            ikePeers.add(new IkePeer(peer, boundTo, local, mode));
            notes.add(what + ": SAs with " + e.peers().getFirst().text() + " come from IKE and bind to " + boundTo);
            return;
        }
        for (final boolean inbound : new boolean[]{true, false})
        {
            final CryptoMap.SessionKey key = inbound ? e.inbound().get() : e.outbound().get();
            final String dir = inbound ? "inbound" : "outbound";
            final byte[] cipher = key.cipher().map(k -> k.bytes()).orElse(new byte[0]);
            final byte[] auth = key.authenticator().map(k -> k.bytes()).orElse(new byte[0]);
            if (cipher.length != ts.get().encryption().keyMaterialLength())
            {
                errors.add(what + ": set session-key " + dir + " esp " + key.spi() + " cipher: " +
                    ts.get().encryption().displayName() + " takes " + ts.get().encryption().keyMaterialLength() +
                    " bytes of key, this one has " + cipher.length);
                continue;
            }
            if (ts.get().integrity() != EspIntegrity.NONE && auth.length != ts.get().integrity().keyLength())
            {
                errors.add(what + ": set session-key " + dir + " esp " + key.spi() + " authenticator: " +
                    ts.get().integrity().displayName() + " takes " + ts.get().integrity().keyLength() +
                    " bytes of key, this one has " + auth.length);
                continue;
            }
            final int spi = (int)key.spi();
            step(what + ": " + dir + " SA spi " + key.spi() + " (" + ts.get().name() + ")",
                p -> p.addSa(new SaSpec(spi, inbound, mode, boundTo, peer, local, 0, ts.get().encryption(),
                    cipher.clone(), ts.get().integrity(), auth.clone(), false, ReplayWindow.DEFAULT_SIZE, 0, 0)));
        }
    }

    /**
     * A dynamic entry programs nothing now: its peers are not known. Each peer's tunnel and routes
     * are made when its SAs come up, by {@link DynamicPeers}; here the entry is checked and handed
     * to IKE.
     */
    private void dynamicEntry(final String mapName, final CryptoMap.Entry e, final int local)
    {
        final String name = e.dynamicMap().get();
        final String what = "crypto map " + mapName + " " + e.sequence() + " ipsec-isakmp dynamic " + name;
        final Optional<DynamicMap> dynamic = config.dynamicMap(name);
        if (dynamic.isEmpty() || dynamic.get().entries().isEmpty())
        {
            errors.add(what + ": no such crypto dynamic-map");
            return;
        }
        final DynamicMap.Entry first = dynamic.get().entries().getFirst();
        final String entryText = "crypto dynamic-map " + name + " " + first.sequence();
        if (first.transformSets().isEmpty())
        {
            errors.add(entryText + ": no 'set transform-set'");
            return;
        }
        for (final String setName : first.transformSets())
        {
            final Optional<Ipsec.TransformSet> ts = config.ipsec().transformSet(setName);
            if (ts.isEmpty())
            {
                errors.add(entryText + ": transform set " + setName + " is not defined");
                return;
            }
            if (ts.get().mode() == Ipsec.EncapsulationMode.TRANSPORT)
            {
                errors.add(entryText + ": transform set " + setName + " is 'mode transport'; a dynamic peer's " +
                    "traffic goes through a tunnel of its own, which needs mode tunnel");
                return;
            }
        }
        if (dynamic.get().entries().size() > 1)
        {
            notes.add(what + ": quick mode uses " + entryText + " only; its other entries (" +
                dynamic.get().entries().stream().skip(1).map(d -> String.valueOf(d.sequence()))
                    .reduce((a, b) -> a + ", " + b).orElse("") + ") are not used");
        }
        final DynamicEntry entry = new DynamicEntry(mapName, e.sequence(), name, first.sequence(), local,
            first.reverseRoute());
        dynamicEntries.add(entry);
        notes.add(what + ": any peer that authenticates; its SAs bind to a tunnel of its own (" +
            entry.tunnelPrefix() + "/N) made when they come up, and " + (first.reverseRoute() ?
            "its protected network (reverse-route) and " : "") + "the address mode config lends it " +
            (first.reverseRoute() ? "are" : "is") + " routed into that tunnel while they are up");
    }

    private String greTunnelBetween(final int local, final int peer, final AccessList.Rule rule)
    {
        if (rule.source().prefixLength() != 32 || rule.source().address().bits() != local ||
            rule.destination().prefixLength() != 32 || rule.destination().address().bits() != peer)
        {
            return null;
        }
        for (final InterfaceConfig t : config.tunnels())
        {
            final InterfaceConfig.Tunnel tc = t.tunnel().orElseThrow();
            if (tc.mode() == InterfaceConfig.TunnelMode.GRE_IP && tc.destination().map(d -> d.bits() == peer)
                .orElse(false) && !t.shutdown())
            {
                final Integer source = tc.source().map(s -> switch (s)
                {
                    case InterfaceConfig.SourceAddress a -> a.address().bits();
                    case InterfaceConfig.SourceInterface si -> primaryAddress(si.name()).orElse(0);
                }).orElse(0);
                if (source == local)
                {
                    return t.name();
                }
            }
        }
        return null;
    }
}
