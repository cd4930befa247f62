package io.sluice.controlplane.config;

import io.sluice.controlplane.config.InterfaceConfig.Kind;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.io.ByteArrayOutputStream;
import java.security.KeyFactory;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * What the lines of one file have set so far, with the places of the names they use. Once the
 * file is read, {@link #build()} checks the names against the definitions and the values against
 * each other, and builds the {@link Config} if nothing is wrong.
 */
final class ConfigBuilder extends Block
{
    final String file;
    final int cpus;
    final List<ConfigMessage> errors = new ArrayList<>();
    final List<ConfigMessage> notes = new ArrayList<>();

    String hostname;
    Where hostnameAt;
    final Map<String, InterfaceBuilder> interfaces = new LinkedHashMap<>();
    final List<RouteBuilder> routes = new ArrayList<>();
    final Map<String, AclBuilder> accessLists = new LinkedHashMap<>();
    final Map<String, HostEntry> hosts = new LinkedHashMap<>();
    final Map<String, Where> hostsAt = new HashMap<>();
    final Map<String, LocalPool> pools = new LinkedHashMap<>();
    final Map<String, Where> poolsAt = new HashMap<>();
    final TreeMap<Integer, PolicyBuilder> policies = new TreeMap<>();
    final List<KeyBuilder> keys = new ArrayList<>();
    Isakmp.Keepalive keepalive;
    Where keepaliveAt;
    Isakmp.Identity identity = Isakmp.Identity.ADDRESS;
    Ref clientPool;
    final Map<String, TransformSetBuilder> transformSets = new LinkedHashMap<>();
    final Map<String, ProfileBuilder> profiles = new LinkedHashMap<>();
    Long globalSeconds;
    Long globalKilobytes;
    final Map<String, DynamicMapBuilder> dynamicMaps = new LinkedHashMap<>();
    final Map<String, CryptoMapBuilder> cryptoMaps = new LinkedHashMap<>();
    final Map<String, EzvpnBuilder> ezvpns = new LinkedHashMap<>();
    final List<PubkeyBuilder> pubkeys = new ArrayList<>();
    final Ikev2Commands.State ikev2 = new Ikev2Commands.State();
    boolean vpdnEnabled;
    boolean l2tpSso = true;
    final Map<String, VpdnGroupBuilder> vpdnGroups = new LinkedHashMap<>();
    Where redundancyAt;
    final SluiceBuilder sluice = new SluiceBuilder();
    final PkiBuilder pki = new PkiBuilder();

    ConfigBuilder(final String file, final int cpus)
    {
        this.file = file;
        this.cpus = cpus;
    }

    void error(final ConfigMessage message)
    {
        errors.add(message);
    }

    void warn(final Where where, final String message)
    {
        notes.add(where.warning(message));
    }

    void ignored(final ConfigLine line, final String why)
    {
        final String text = line.textFrom(0);
        notes.add(line.message(1, ConfigMessage.Severity.IGNORED,
            "'" + (text.length() > 60 ? text.substring(0, 57) + "..." : text) + "': " + why));
    }

    // ---------------------------------------------------------------- blocks

    static final class InterfaceBuilder extends Block
    {
        String name;
        Kind kind;
        Where at;
        String description;
        boolean shutdown;
        Ip4Subnet address;
        Where addressAt;
        final List<Ip4Subnet> secondaries = new ArrayList<>();
        final List<Where> secondariesAt = new ArrayList<>();
        Ref unnumbered;
        Integer ipMtu;
        Integer tcpAdjustMss;
        Ref cryptoMap;
        Ref ezvpn;
        boolean ezvpnInside;
        Ref peerPool;
        // tunnel
        boolean tunnelLines;
        InterfaceConfig.TunnelSource source;
        Ref sourceInterface;
        Where sourceAt;
        Ip4 destination;
        Where destinationAt;
        InterfaceConfig.TunnelMode mode = InterfaceConfig.TunnelMode.GRE_IP;
        Where modeAt;
        Long key;
        Ref protection;
        boolean protectionShared;
        // nhrp
        Where nhrpAt;
        Secret nhrpAuthentication;
        Long networkId;
        Integer holdtime;
        final List<InterfaceConfig.NhrpMap> nhrpMaps = new ArrayList<>();
        final List<Where> nhrpMapsAt = new ArrayList<>();
        boolean multicastDynamic;
        final List<Ip4> multicastNbma = new ArrayList<>();
        final List<InterfaceConfig.NhrpServer> servers = new ArrayList<>();
        final List<Where> serversAt = new ArrayList<>();
        Integer registrationTimeout;
        boolean registrationNoUnique;
        boolean redirect;
        boolean shortcut;
    }

    record RouteBuilder(StaticRoute route, Where at, Ref interfaceRef, Where nextHopAt)
    {
    }

    static final class AclBuilder extends Block
    {
        String name;
        boolean extended;
        Where at;
        final List<AccessList.Item> items = new ArrayList<>();
    }

    static final class PolicyBuilder extends Block
    {
        int priority;
        Where at;
        Isakmp.Encryption encryption = Isakmp.Policy.DEFAULT_ENCRYPTION;
        Isakmp.Hash hash = Isakmp.Policy.DEFAULT_HASH;
        Isakmp.Authentication authentication = Isakmp.Policy.DEFAULT_AUTHENTICATION;
        DhGroup group = Isakmp.Policy.DEFAULT_GROUP;
        int lifetime = Isakmp.Policy.DEFAULT_LIFETIME;
    }

    record KeyBuilder(Isakmp.PresharedKey key, Where at)
    {
    }

    static final class TransformSetBuilder extends Block
    {
        String name;
        Where at;
        EspEncryption encryption;
        EspIntegrity integrity;
        Ipsec.EncapsulationMode mode = Ipsec.EncapsulationMode.TUNNEL;
    }

    static final class ProfileBuilder extends Block
    {
        String name;
        Where at;
        final List<Ref> transformSets = new ArrayList<>();
        Long seconds;
        Long kilobytes;
        DhGroup pfs;
        Ref ikev2Profile;
    }

    static final class CryptoMapBuilder extends Block
    {
        String name;
        Where at;
        final TreeMap<Integer, EntryBuilder> entries = new TreeMap<>();
        CryptoMap.ClientConfiguration clientConfiguration;
    }

    /**
     * @param address  the address given, or null for a name.
     * @param hostname the name given, resolved by {@code ip host} once the file is read.
     */
    record PeerRef(Ip4 address, Ref hostname)
    {
    }

    static final class EntryBuilder extends Block
    {
        String map;
        int sequence;
        CryptoMap.Keying keying;
        Where at;
        String description;
        final List<PeerRef> peers = new ArrayList<>();
        final List<Ref> transformSets = new ArrayList<>();
        Ref matchAddress;
        Long seconds;
        Long kilobytes;
        Where lifetimeAt;
        DhGroup pfs;
        Where pfsAt;
        SessionKeyBuilder inbound;
        SessionKeyBuilder outbound;
        Ref dynamicMap;
    }

    static final class DynamicMapBuilder
    {
        String name;
        Where at;
        final TreeMap<Integer, DynamicEntryBuilder> entries = new TreeMap<>();
    }

    static final class DynamicEntryBuilder extends Block
    {
        String map;
        int sequence;
        Where at;
        String description;
        final List<Ref> transformSets = new ArrayList<>();
        Ref matchAddress;
        Long seconds;
        Long kilobytes;
        DhGroup pfs;
        boolean reverseRoute;
    }

    static final class SessionKeyBuilder extends Block
    {
        Where at;
        long spi;
        Where spiAt;
        KeyMaterial cipher;
        Where cipherAt;
        KeyMaterial authenticator;
        Where authenticatorAt;
    }

    static final class EzvpnBuilder extends Block
    {
        String name;
        Where at;
        EzvpnClient.Connect connect = EzvpnClient.Connect.AUTO;
        EzvpnClient.Group group;
        EzvpnClient.Mode mode = EzvpnClient.Mode.CLIENT;
        final List<PeerRef> peers = new ArrayList<>();
    }

    static final class PubkeyBuilder extends Block
    {
        boolean addressed;
        String name;
        RsaPublicKey.Usage usage;
        Where at;
        Ip4 address;
        boolean keyString;
        final ByteArrayOutputStream key = new ByteArrayOutputStream();
    }

    static final class VpdnGroupBuilder extends Block
    {
        String name;
        Where at;
        boolean sso = true;
        DialinBuilder acceptDialin;
        DialinBuilder requestDialin;
        final List<Vpdn.InitiateTo> initiateTo = new ArrayList<>();
        Where initiateToAt;
        String terminateFrom;
        String localName;
        Ip4 sourceIp;
        Secret tunnelPassword;
        boolean tunnelAuthentication;
        Integer resync;
        Integer retransmitRetries;
        Integer retransmitTimeoutMin;
        Integer retransmitTimeoutMax;
        Where retransmitTimeoutMaxAt;
        Integer hello;
        Integer receiveWindow;
    }

    static final class DialinBuilder extends Block
    {
        Where at;
        boolean protocol;
        Integer virtualTemplate;
        Where virtualTemplateAt;
        String domain;
    }

    static final class SluiceBuilder extends Block
    {
        Where at;
        DataplaneSettings.IoBackend backend;
        List<Ref> interfaces;
        List<Integer> cpus;
        DataplaneSettings.XdpMode xdpMode;
    }

    static final class PkiBuilder extends Block
    {
        Where at;
        String certificate;
        String privateKey;
        String caCertificate;
    }

    private Optional<Pki> buildPki()
    {
        if (pki.at == null)
        {
            return Optional.empty();
        }
        if (pki.certificate == null || pki.privateKey == null || pki.caCertificate == null)
        {
            error(pki.at.error("'sluice pki' needs certificate, private-key and ca-certificate; missing " +
                (pki.certificate == null ? "certificate" : pki.privateKey == null ? "private-key" : "ca-certificate")));
            return Optional.empty();
        }
        return Optional.of(new Pki(pki.certificate, pki.privateKey, pki.caCertificate));
    }

    // ---------------------------------------------------------------- build

    /** Checks what only the whole file can tell, then builds the model, or throws with every error. */
    ParsedConfig build() throws ConfigException
    {
        final List<InterfaceConfig> interfaceModels = buildInterfaces();
        final List<StaticRoute> routeModels = buildRoutes();
        final List<AccessList> aclModels = accessLists.values().stream()
            .map(a -> new AccessList(a.name, a.extended, a.items)).toList();
        final Isakmp isakmp = buildIsakmp();
        final Ipsec.Lifetime global = new Ipsec.Lifetime(
            globalSeconds != null ? globalSeconds : Ipsec.Lifetime.DEFAULT_SECONDS,
            globalKilobytes != null ? globalKilobytes : Ipsec.Lifetime.DEFAULT_KILOBYTES);
        final Ipsec ipsec = buildIpsec(global);
        final CryptoIkev2 ikev2Model = ikev2.build(this);
        final List<DynamicMap> dynamicMapModels = buildDynamicMaps(global);
        final List<CryptoMap> maps = buildCryptoMaps(global);
        final List<EzvpnClient> ezvpnModels = buildEzvpns();
        final List<RsaPublicKey> keyModels = buildPubkeys();
        final Vpdn vpdn = buildVpdn();
        final DataplaneSettings dataplane = buildDataplane();

        if (!errors.isEmpty())
        {
            final List<ConfigMessage> sorted = new ArrayList<>(errors);
            Collections.sort(sorted);
            throw new ConfigException(sorted);
        }
        final Config config = new Config(
            Optional.ofNullable(hostname),
            interfaceModels,
            routeModels,
            aclModels,
            List.copyOf(hosts.values()),
            List.copyOf(pools.values()),
            isakmp,
            ipsec,
            ikev2Model,
            dynamicMapModels,
            maps,
            ezvpnModels,
            keyModels,
            vpdn,
            redundancyAt != null ? Optional.of(Redundancy.SSO) : Optional.empty(),
            dataplane,
            buildPki());
        final List<ConfigMessage> sortedNotes = new ArrayList<>(notes);
        Collections.sort(sortedNotes);
        return new ParsedConfig(config, sortedNotes);
    }

    private static String undefined(final Ref ref, final String what, final String definer)
    {
        return "'" + ref.name() + "' is not " + what + "; expected the name of " + definer;
    }

    private InterfaceBuilder interfaceOf(final Ref ref)
    {
        final InterfaceBuilder found = interfaces.get(ref.name());
        if (found == null)
        {
            error(ref.where().error(undefined(ref, "a configured interface", "an 'interface' block")));
        }
        return found;
    }

    private void checkDefined(final Ref ref, final Map<String, ?> definitions, final String what, final String definer)
    {
        if (ref != null && !definitions.containsKey(ref.name()))
        {
            error(ref.where().error(undefined(ref, what, definer)));
        }
    }

    private List<InterfaceConfig> buildInterfaces()
    {
        checkOverlaps();
        final List<InterfaceConfig> models = new ArrayList<>();
        for (final InterfaceBuilder i : interfaces.values())
        {
            if (i.unnumbered != null)
            {
                final InterfaceBuilder lender = interfaceOf(i.unnumbered);
                if (lender == i)
                {
                    error(i.unnumbered.where().error("'" + i.unnumbered.name() +
                        "' is this interface; expected another interface with an address"));
                }
                else if (lender != null && lender.address == null)
                {
                    warn(i.unnumbered.where(), i.unnumbered.name() + " has no ip address to lend");
                }
            }
            checkDefined(i.cryptoMap, cryptoMaps, "a defined crypto map", "a 'crypto map NAME SEQ'");
            checkDefined(i.ezvpn, ezvpns, "a defined Easy VPN client", "a 'crypto ipsec client ezvpn'");
            checkDefined(i.peerPool, pools, "a defined address pool", "an 'ip local pool'");
            Optional<InterfaceConfig.Tunnel> tunnel = Optional.empty();
            if (i.kind == Kind.TUNNEL)
            {
                tunnel = Optional.of(buildTunnel(i));
            }
            Optional<InterfaceConfig.Nhrp> nhrp = Optional.empty();
            if (i.nhrpAt != null)
            {
                nhrp = Optional.of(buildNhrp(i));
            }
            models.add(new InterfaceConfig(
                i.name,
                i.kind,
                Optional.ofNullable(i.description),
                i.shutdown,
                Optional.ofNullable(i.address),
                i.secondaries,
                Optional.ofNullable(i.unnumbered).map(Ref::name),
                i.ipMtu != null ? OptionalInt.of(i.ipMtu) : OptionalInt.empty(),
                i.tcpAdjustMss != null ? OptionalInt.of(i.tcpAdjustMss) : OptionalInt.empty(),
                Optional.ofNullable(i.cryptoMap).map(Ref::name),
                Optional.ofNullable(i.ezvpn).map(r -> new InterfaceConfig.EzvpnAttachment(r.name(), i.ezvpnInside)),
                Optional.ofNullable(i.peerPool).map(Ref::name),
                tunnel,
                nhrp));
        }
        return models;
    }

    /** IOS refuses an address whose subnet overlaps another interface's. */
    private void checkOverlaps()
    {
        record Owned(String owner, Ip4Subnet subnet, Where at)
        {
        }
        final List<Owned> seen = new ArrayList<>();
        for (final InterfaceBuilder i : interfaces.values())
        {
            final List<Owned> own = new ArrayList<>();
            if (i.address != null)
            {
                own.add(new Owned(i.name, i.address, i.addressAt));
            }
            for (int s = 0; s < i.secondaries.size(); s++)
            {
                own.add(new Owned(i.name, i.secondaries.get(s), i.secondariesAt.get(s)));
            }
            for (final Owned mine : own)
            {
                for (final Owned other : seen)
                {
                    if (mine.subnet().overlaps(other.subnet()))
                    {
                        error(mine.at().error("'" + mine.subnet().address() + "' overlaps " + other.owner() + "'s " +
                            other.subnet() + " (" + other.at().lineText() + "); expected a subnet of its own"));
                    }
                }
            }
            seen.addAll(own);
        }
    }

    private InterfaceConfig.Tunnel buildTunnel(final InterfaceBuilder i)
    {
        if (i.sourceInterface != null)
        {
            final InterfaceBuilder source = interfaceOf(i.sourceInterface);
            if (source == i)
            {
                error(i.sourceInterface.where().error("'" + i.sourceInterface.name() +
                    "' is the tunnel itself; expected the interface the tunnel's packets leave by"));
            }
            else if (source != null && source.address == null && source.unnumbered == null)
            {
                warn(i.sourceInterface.where(), i.sourceInterface.name() + " has no ip address: " + i.name +
                    " has no source address until it gets one");
            }
        }
        else if (i.source instanceof InterfaceConfig.SourceAddress(final Ip4 address) && !isLocal(address))
        {
            warn(i.sourceAt, "no interface has the address " + address + ": " + i.name + " stays down");
        }
        if (i.mode == InterfaceConfig.TunnelMode.GRE_MULTIPOINT && i.destination != null)
        {
            error(i.destinationAt.error("'tunnel destination' is not allowed with 'tunnel mode gre multipoint'" +
                (i.modeAt != null ? " (" + i.modeAt.lineText() + ")" : "") +
                ": NHRP gives each packet's destination; expected one or the other"));
        }
        if (i.source == null)
        {
            warn(i.at, i.name + " has no tunnel source: it stays down");
        }
        if (i.mode == InterfaceConfig.TunnelMode.GRE_IP && i.destination == null)
        {
            warn(i.at, i.name + " has no tunnel destination and is not multipoint: it stays down");
        }
        checkDefined(i.protection, profiles, "a defined ipsec profile", "a 'crypto ipsec profile'");
        return new InterfaceConfig.Tunnel(
            Optional.ofNullable(i.source),
            Optional.ofNullable(i.destination),
            i.mode,
            i.key != null ? OptionalLong.of(i.key) : OptionalLong.empty(),
            Optional.ofNullable(i.protection).map(p -> new InterfaceConfig.TunnelProtection(p.name(), i.protectionShared)));
    }

    private boolean isLocal(final Ip4 address)
    {
        for (final InterfaceBuilder i : interfaces.values())
        {
            if (i.address != null && i.address.address().equals(address) ||
                i.secondaries.stream().anyMatch(s -> s.address().equals(address)))
            {
                return true;
            }
        }
        return false;
    }

    private InterfaceConfig.Nhrp buildNhrp(final InterfaceBuilder i)
    {
        if (i.networkId == null)
        {
            warn(i.nhrpAt, i.name + " has ip nhrp lines but no 'ip nhrp network-id': NHRP stays off on it");
        }
        for (int s = 0; s < i.servers.size(); s++)
        {
            final InterfaceConfig.NhrpServer server = i.servers.get(s);
            final boolean mapped = i.nhrpMaps.stream().anyMatch(m -> m.overlay().equals(server.address()));
            if (server.nbma().isEmpty() && !mapped)
            {
                warn(i.serversAt.get(s), "next-hop server " + server.address() + " has no 'ip nhrp map " +
                    server.address() + " NBMA' and no nbma address: " + i.name + " cannot reach it");
            }
        }
        if (i.address != null)
        {
            for (int m = 0; m < i.nhrpMaps.size(); m++)
            {
                final Ip4 overlay = i.nhrpMaps.get(m).overlay();
                if (!i.address.contains(overlay))
                {
                    warn(i.nhrpMapsAt.get(m), overlay + " is outside " + i.name + "'s subnet " + i.address);
                }
            }
        }
        return new InterfaceConfig.Nhrp(
            Optional.ofNullable(i.nhrpAuthentication),
            i.networkId != null ? OptionalLong.of(i.networkId) : OptionalLong.empty(),
            i.holdtime != null ? i.holdtime : InterfaceConfig.Nhrp.DEFAULT_HOLDTIME,
            i.nhrpMaps,
            i.multicastDynamic,
            i.multicastNbma,
            i.servers,
            i.registrationTimeout != null ? OptionalInt.of(i.registrationTimeout) : OptionalInt.empty(),
            i.registrationNoUnique,
            i.redirect,
            i.shortcut);
    }

    private List<StaticRoute> buildRoutes()
    {
        final List<StaticRoute> models = new ArrayList<>();
        final Map<StaticRoute, Where> seen = new HashMap<>();
        for (final RouteBuilder r : routes)
        {
            if (r.interfaceRef() != null && !r.interfaceRef().name().equalsIgnoreCase("Null0"))
            {
                interfaceOf(r.interfaceRef()); // Null0 is IOS's discard interface: always there
            }
            final Where before = seen.putIfAbsent(r.route(), r.at());
            if (before != null)
            {
                error(r.at().error("'" + r.route().prefix() + "' is already routed this way (" + before.lineText() +
                    "); expected each ip route once"));
                continue;
            }
            final Optional<Ip4> nextHop = r.route().nextHop();
            if (nextHop.isPresent())
            {
                if (isLocal(nextHop.get()))
                {
                    warn(r.nextHopAt(), "next hop " + nextHop.get() + " is an address of this gateway");
                }
                else if (r.interfaceRef() == null && !connected(nextHop.get()))
                {
                    warn(r.nextHopAt(), "next hop " + nextHop.get() +
                        " is on no connected subnet: it must resolve through another route");
                }
            }
            models.add(r.route());
        }
        return models;
    }

    private boolean connected(final Ip4 address)
    {
        for (final InterfaceBuilder i : interfaces.values())
        {
            if (i.address != null && i.address.contains(address) ||
                i.secondaries.stream().anyMatch(s -> s.contains(address)))
            {
                return true;
            }
        }
        return false;
    }

    private Isakmp buildIsakmp()
    {
        checkDefined(clientPool, pools, "a defined address pool", "an 'ip local pool'");
        final List<Isakmp.Policy> models = new ArrayList<>();
        for (final PolicyBuilder p : policies.values())
        {
            if (p.authentication == Isakmp.Authentication.PRE_SHARE && keys.isEmpty() && ezvpns.isEmpty())
            {
                warn(p.at, "policy " + p.priority + " authenticates with pre-shared keys but no " +
                    "'crypto isakmp key' is configured");
            }
            if (p.authentication == Isakmp.Authentication.RSA_ENCR && pubkeys.isEmpty())
            {
                warn(p.at, "policy " + p.priority + " uses rsa-encr but no peer key is configured " +
                    "under 'crypto key pubkey-chain rsa'");
            }
            models.add(new Isakmp.Policy(p.priority, p.encryption, p.hash, p.authentication, p.group, p.lifetime));
        }
        return new Isakmp(
            models,
            keys.stream().map(KeyBuilder::key).toList(),
            Optional.ofNullable(keepalive),
            identity,
            Optional.ofNullable(clientPool).map(Ref::name));
    }

    private Ipsec buildIpsec(final Ipsec.Lifetime global)
    {
        final List<Ipsec.TransformSet> sets = transformSets.values().stream()
            .map(t -> new Ipsec.TransformSet(t.name, t.encryption, t.integrity, t.mode)).toList();
        final List<Ipsec.Profile> profileModels = new ArrayList<>();
        for (final ProfileBuilder p : profiles.values())
        {
            for (final Ref set : p.transformSets)
            {
                checkTransformSet(set);
            }
            if (p.transformSets.isEmpty())
            {
                warn(p.at, "profile " + p.name + " has no 'set transform-set': it cannot protect anything");
            }
            if (p.ikev2Profile != null && !ikev2.profiles.containsKey(p.ikev2Profile.name()))
            {
                warn(p.ikev2Profile.where(), "ikev2-profile " + p.ikev2Profile.name() + " is not a defined " +
                    "'crypto ikev2 profile': this profile cannot negotiate with IKEv2");
            }
            profileModels.add(new Ipsec.Profile(
                p.name,
                p.transformSets.stream().map(Ref::name).toList(),
                lifetime(p.seconds, p.kilobytes, global),
                Optional.ofNullable(p.pfs),
                Optional.ofNullable(p.ikev2Profile).map(Ref::name)));
        }
        return new Ipsec(sets, profileModels, global);
    }

    private static Ipsec.Lifetime lifetime(final Long seconds, final Long kilobytes, final Ipsec.Lifetime global)
    {
        return new Ipsec.Lifetime(
            seconds != null ? seconds : global.seconds(), kilobytes != null ? kilobytes : global.kilobytes());
    }

    private TransformSetBuilder checkTransformSet(final Ref ref)
    {
        final TransformSetBuilder set = transformSets.get(ref.name());
        if (set == null)
        {
            error(ref.where().error(undefined(ref, "a defined transform set", "a 'crypto ipsec transform-set'")));
        }
        return set;
    }

    private List<CryptoMap> buildCryptoMaps(final Ipsec.Lifetime global)
    {
        final Map<Long, Where> inboundSpis = new HashMap<>();
        final List<CryptoMap> models = new ArrayList<>();
        for (final CryptoMapBuilder map : cryptoMaps.values())
        {
            final List<CryptoMap.Entry> entries = new ArrayList<>();
            for (final EntryBuilder e : map.entries.values())
            {
                final List<CryptoMap.Peer> peers = new ArrayList<>();
                for (final PeerRef peer : e.peers)
                {
                    resolve(peer).ifPresent(peers::add);
                }
                TransformSetBuilder set = null;
                for (final Ref ref : e.transformSets)
                {
                    set = checkTransformSet(ref);
                }
                checkMatchAddress(e.matchAddress);
                final String title = "crypto map " + map.name + " " + e.sequence;
                if (e.dynamicMap != null)
                {
                    checkDynamicEntry(map, e, title);
                }
                else if (e.keying == CryptoMap.Keying.ISAKMP)
                {
                    if (e.peers.isEmpty() || e.matchAddress == null || e.transformSets.isEmpty())
                    {
                        warn(e.at, title + " is incomplete (it needs set peer, set transform-set and match " +
                            "address): IOS leaves it disabled");
                    }
                }
                else
                {
                    checkManual(e, title, set, inboundSpis);
                }
                entries.add(new CryptoMap.Entry(
                    e.sequence,
                    e.keying,
                    Optional.ofNullable(e.description),
                    peers,
                    e.transformSets.stream().map(Ref::name).toList(),
                    Optional.ofNullable(e.matchAddress).map(Ref::name),
                    lifetime(e.seconds, e.kilobytes, global),
                    Optional.ofNullable(e.pfs),
                    Optional.ofNullable(e.inbound).map(ConfigBuilder::sessionKey),
                    Optional.ofNullable(e.outbound).map(ConfigBuilder::sessionKey),
                    Optional.ofNullable(e.dynamicMap).map(Ref::name)));
            }
            models.add(new CryptoMap(map.name, entries, Optional.ofNullable(map.clientConfiguration)));
        }
        return models;
    }

    private void checkMatchAddress(final Ref matchAddress)
    {
        if (matchAddress == null)
        {
            return;
        }
        final AclBuilder acl = accessLists.get(matchAddress.name());
        if (acl == null)
        {
            error(matchAddress.where().error(undefined(matchAddress, "a defined access list",
                "an 'access-list' (its number) or an 'ip access-list extended'")));
        }
        else if (!acl.extended)
        {
            error(matchAddress.where().error("'" + matchAddress.name() +
                "' is a standard access list; expected an extended one (100-199, 2000-2699, or " +
                "ip access-list extended)"));
        }
    }

    /**
     * {@code crypto map NAME SEQ ipsec-isakmp dynamic DYN}: DYN must be defined, and the entry should
     * be the map's last, as IOS advises: a dynamic entry takes any peer, so an entry after it that
     * names a peer is never tried.
     */
    private void checkDynamicEntry(final CryptoMapBuilder map, final EntryBuilder e, final String title)
    {
        if (!dynamicMaps.containsKey(e.dynamicMap.name()))
        {
            error(e.dynamicMap.where().error(undefined(e.dynamicMap, "a defined dynamic map",
                "a 'crypto dynamic-map NAME SEQ'")));
        }
        final Integer later = map.entries.higherKey(e.sequence);
        if (later != null && map.entries.get(later).dynamicMap == null)
        {
            warn(e.at, title + " is dynamic and comes before entry " + later + ", which it hides: a dynamic " +
                "entry takes any peer; expected dynamic entries last (the highest sequence numbers)");
        }
    }

    private List<DynamicMap> buildDynamicMaps(final Ipsec.Lifetime global)
    {
        final List<DynamicMap> models = new ArrayList<>();
        for (final DynamicMapBuilder map : dynamicMaps.values())
        {
            final List<DynamicMap.Entry> entries = new ArrayList<>();
            for (final DynamicEntryBuilder e : map.entries.values())
            {
                for (final Ref ref : e.transformSets)
                {
                    checkTransformSet(ref);
                }
                checkMatchAddress(e.matchAddress);
                if (e.transformSets.isEmpty())
                {
                    warn(e.at, "crypto dynamic-map " + map.name + " " + e.sequence + " has no set transform-set: " +
                        "IOS leaves it disabled");
                }
                entries.add(new DynamicMap.Entry(
                    e.sequence,
                    Optional.ofNullable(e.description),
                    e.transformSets.stream().map(Ref::name).toList(),
                    Optional.ofNullable(e.matchAddress).map(Ref::name),
                    lifetime(e.seconds, e.kilobytes, global),
                    Optional.ofNullable(e.pfs),
                    e.reverseRoute));
            }
            final boolean used = cryptoMaps.values().stream().flatMap(m -> m.entries.values().stream())
                .anyMatch(e -> e.dynamicMap != null && e.dynamicMap.name().equals(map.name));
            if (!used)
            {
                warn(map.at, "dynamic map " + map.name + " is used by no 'crypto map NAME SEQ ipsec-isakmp dynamic " +
                    map.name + "'");
            }
            models.add(new DynamicMap(map.name, entries));
        }
        return models;
    }

    private static CryptoMap.SessionKey sessionKey(final SessionKeyBuilder k)
    {
        return new CryptoMap.SessionKey(k.spi, Optional.ofNullable(k.cipher), Optional.ofNullable(k.authenticator));
    }

    private Optional<CryptoMap.Peer> resolve(final PeerRef peer)
    {
        if (peer.address() != null)
        {
            return Optional.of(CryptoMap.Peer.of(peer.address()));
        }
        final HostEntry host = hosts.get(peer.hostname().name());
        if (host == null)
        {
            error(peer.hostname().where().error("'" + peer.hostname().name() + "' is not an address or a host " +
                "defined by 'ip host' (Sluice resolves no names); expected an address such as 192.0.2.1"));
            return Optional.empty();
        }
        return Optional.of(new CryptoMap.Peer(Optional.of(host.name()), host.addresses().get(0)));
    }

    private void checkManual(
        final EntryBuilder e, final String title, final TransformSetBuilder set, final Map<Long, Where> inboundSpis)
    {
        if (e.inbound == null || e.outbound == null || e.peers.isEmpty() || e.transformSets.isEmpty() ||
            e.matchAddress == null)
        {
            warn(e.at, title + " is incomplete (it needs set peer, set transform-set, match address and both " +
                "session keys): IOS leaves it disabled");
        }
        if (e.lifetimeAt != null)
        {
            warn(e.lifetimeAt, "manual SAs do not expire: the lifetime of " + title + " is not used");
        }
        if (e.pfsAt != null)
        {
            warn(e.pfsAt, "manual SAs have no key exchange: the pfs of " + title + " is not used");
        }
        if (e.inbound != null)
        {
            final Where other = inboundSpis.putIfAbsent(e.inbound.spi, e.inbound.spiAt);
            if (other != null)
            {
                error(e.inbound.spiAt.error("'" + e.inbound.spi + "' is already an inbound SPI (" +
                    other.lineText() + "); expected an inbound SPI of its own"));
            }
        }
        if (set == null || set.encryption == null)
        {
            return;
        }
        for (final SessionKeyBuilder key : new SessionKeyBuilder[] {e.inbound, e.outbound})
        {
            if (key != null)
            {
                checkKeys(key, set);
            }
        }
    }

    private void checkKeys(final SessionKeyBuilder key, final TransformSetBuilder set)
    {
        final String transforms = Transforms.keywords(set.encryption, set.integrity);
        if (set.encryption == EspEncryption.NULL)
        {
            if (key.cipher != null)
            {
                error(key.cipherAt.error("'cipher' is not used with esp-null (transform set " + set.name +
                    "); expected authenticator only"));
            }
        }
        else if (key.cipher == null)
        {
            error(key.at.error("missing cipher key; expected 'cipher HEX' with " + set.encryption.keyMaterialLength() +
                " bytes for " + transforms + " (transform set " + set.name + ")"));
        }
        else if (key.cipher.length() != set.encryption.keyMaterialLength())
        {
            final int want = set.encryption.keyMaterialLength();
            error(key.cipherAt.error("the cipher key is " + key.cipher.length() + " bytes; expected " + want +
                " bytes (" + want * 2 + " hex digits" +
                (set.encryption.saltLength() > 0 ? ", the key then the 4-byte salt" : "") + ") for " +
                Transforms.keyword(set.encryption) + " (transform set " + set.name + ")"));
        }
        if (set.integrity == EspIntegrity.NONE)
        {
            if (key.authenticator != null)
            {
                error(key.authenticatorAt.error("'authenticator' is not used with " + transforms +
                    ", which authenticates by itself (transform set " + set.name + "); expected no authenticator"));
            }
        }
        else if (key.authenticator == null)
        {
            error(key.at.error("missing authenticator key; expected 'authenticator HEX' with " +
                set.integrity.keyLength() + " bytes for " + Transforms.keyword(set.integrity) +
                " (transform set " + set.name + ")"));
        }
        else if (key.authenticator.length() != set.integrity.keyLength())
        {
            final int want = set.integrity.keyLength();
            error(key.authenticatorAt.error("the authenticator key is " + key.authenticator.length() +
                " bytes; expected " + want + " bytes (" + want * 2 + " hex digits) for " +
                Transforms.keyword(set.integrity) + " (transform set " + set.name + ")"));
        }
    }

    private List<EzvpnClient> buildEzvpns()
    {
        final List<EzvpnClient> models = new ArrayList<>();
        for (final EzvpnBuilder e : ezvpns.values())
        {
            final List<CryptoMap.Peer> peers = new ArrayList<>();
            for (final PeerRef peer : e.peers)
            {
                resolve(peer).ifPresent(peers::add);
            }
            if (e.peers.isEmpty())
            {
                warn(e.at, "Easy VPN client " + e.name + " has no peer");
            }
            models.add(new EzvpnClient(e.name, e.connect, Optional.ofNullable(e.group), e.mode, peers));
        }
        return models;
    }

    private List<RsaPublicKey> buildPubkeys()
    {
        final List<RsaPublicKey> models = new ArrayList<>();
        for (final PubkeyBuilder p : pubkeys)
        {
            final byte[] bytes = p.key.toByteArray();
            if (!p.keyString || bytes.length == 0)
            {
                error(p.at.error("'" + p.name + "' has no key-string; expected 'key-string', the key in hex, " +
                    "then 'quit'"));
                continue;
            }
            try
            {
                KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(bytes));
            }
            catch (final Exception e)
            {
                warn(p.at, "the key-string of " + p.name + " is not a DER RSA public key: IKE will not be able " +
                    "to use it");
            }
            models.add(new RsaPublicKey(p.addressed, p.name, p.usage, Optional.ofNullable(p.address),
                new KeyMaterial(bytes)));
        }
        return models;
    }

    private Vpdn buildVpdn()
    {
        final List<Vpdn.Group> models = new ArrayList<>();
        for (final VpdnGroupBuilder g : vpdnGroups.values())
        {
            if (!vpdnEnabled)
            {
                warn(g.at, "vpdn-group " + g.name + " is configured but 'vpdn enable' is not: it stays idle");
            }
            if (g.retransmitTimeoutMin != null && g.retransmitTimeoutMax != null &&
                g.retransmitTimeoutMin > g.retransmitTimeoutMax)
            {
                error(g.retransmitTimeoutMaxAt.error("'" + g.retransmitTimeoutMax +
                    "' is below the retransmit timeout min " + g.retransmitTimeoutMin + "; expected max >= min"));
            }
            if (!g.initiateTo.isEmpty() && g.requestDialin == null)
            {
                warn(g.initiateToAt, "initiate-to is used by request-dialin, which vpdn-group " + g.name + " lacks");
            }
            models.add(new Vpdn.Group(
                g.name,
                g.sso,
                dialin(g.acceptDialin, g.name),
                dialin(g.requestDialin, g.name),
                g.initiateTo,
                Optional.ofNullable(g.terminateFrom),
                Optional.ofNullable(g.localName),
                Optional.ofNullable(g.sourceIp),
                Optional.ofNullable(g.tunnelPassword),
                g.tunnelAuthentication,
                optional(g.resync),
                optional(g.retransmitRetries),
                optional(g.retransmitTimeoutMin),
                optional(g.retransmitTimeoutMax),
                optional(g.hello),
                optional(g.receiveWindow)));
        }
        return new Vpdn(vpdnEnabled, l2tpSso, models);
    }

    private Optional<Vpdn.Dialin> dialin(final DialinBuilder d, final String group)
    {
        if (d == null)
        {
            return Optional.empty();
        }
        if (!d.protocol)
        {
            warn(d.at, "vpdn-group " + group + " has no 'protocol l2tp' here: IOS accepts no tunnels without it");
        }
        if (d.virtualTemplate != null)
        {
            final String name = "Virtual-Template" + d.virtualTemplate;
            if (!interfaces.containsKey(name))
            {
                error(d.virtualTemplateAt.error("'" + d.virtualTemplate + "' is not a configured virtual template; " +
                    "expected the number of an 'interface " + name + "' block"));
            }
        }
        return Optional.of(new Vpdn.Dialin(d.protocol, optional(d.virtualTemplate), Optional.ofNullable(d.domain)));
    }

    private static OptionalInt optional(final Integer value)
    {
        return value != null ? OptionalInt.of(value) : OptionalInt.empty();
    }

    private DataplaneSettings buildDataplane()
    {
        final List<String> names = new ArrayList<>();
        final boolean defaultInterfaces = sluice.interfaces == null;
        if (defaultInterfaces)
        {
            for (final InterfaceBuilder i : interfaces.values())
            {
                if (i.kind == Kind.PHYSICAL && !i.shutdown)
                {
                    names.add(i.name);
                }
            }
        }
        else
        {
            for (final Ref ref : sluice.interfaces)
            {
                final InterfaceBuilder i = interfaces.get(ref.name());
                if (i == null)
                {
                    error(ref.where().error(undefined(ref, "a configured interface", "an 'interface' block")));
                }
                else if (i.kind != Kind.PHYSICAL)
                {
                    error(ref.where().error("'" + ref.name() + "' is not a physical interface; expected a Linux " +
                        "interface such as eth0 (tunnels run inside the dataplane)"));
                }
                names.add(ref.name());
            }
            for (final InterfaceBuilder i : interfaces.values())
            {
                if (i.kind == Kind.PHYSICAL && !i.shutdown && !names.contains(i.name))
                {
                    warn(i.at, i.name + " is not in 'io interfaces': the dataplane does not use it");
                }
            }
        }
        for (final InterfaceBuilder i : interfaces.values())
        {
            if (i.sourceInterface != null && interfaces.containsKey(i.sourceInterface.name()) &&
                interfaces.get(i.sourceInterface.name()).kind == Kind.PHYSICAL &&
                !names.contains(i.sourceInterface.name()))
            {
                warn(i.sourceInterface.where(), i.sourceInterface.name() +
                    " is not an interface of the dataplane: " + i.name + " cannot send");
            }
        }
        final boolean defaultCpus = sluice.cpus == null;
        final List<Integer> workerCpus = defaultCpus ? List.of(cpus - 1) : sluice.cpus;
        return new DataplaneSettings(
            sluice.backend != null ? sluice.backend : DataplaneSettings.IoBackend.AFXDP,
            names,
            workerCpus,
            defaultInterfaces,
            defaultCpus,
            sluice.xdpMode != null ? sluice.xdpMode : DataplaneSettings.XdpMode.AUTO);
    }
}
