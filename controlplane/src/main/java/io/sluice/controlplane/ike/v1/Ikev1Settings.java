package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.AccessList;
import io.sluice.controlplane.config.Config;
import io.sluice.controlplane.config.CryptoMap;
import io.sluice.controlplane.config.DynamicMap;
import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.config.LocalPool;
import io.sluice.controlplane.config.RsaPublicKey;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an {@link Ikev1Engine} negotiates with: the {@code crypto isakmp} policies and keys, DPD,
 * and per peer the quick mode policy of its crypto map entry, plus the engine's own timers.
 * Built from the parsed configuration by {@link #fromConfig}, or directly by tests.
 *
 * @param localAddress       our IKE address: the ID we send and the NAT-D hashes.
 * @param policies           {@code crypto isakmp policy}, by priority, the default suite last.
 * @param keys               {@code crypto isakmp key}.
 * @param identity           {@code crypto isakmp identity}.
 * @param hostname           our name, for {@code identity hostname}; may be null.
 * @param dpd                {@code crypto isakmp keepalive}; null: off.
 * @param phase2             quick mode policies, the first whose {@code peers} contains the peer is used.
 * @param retransmitMillis   interval between retransmissions of an unanswered message.
 * @param retransmitLimit    retransmissions before a negotiation is abandoned.
 * @param natKeepaliveMillis NAT-T keepalive interval (RFC 3948 4) when we are behind a NAT.
 * @param maxHalfOpen        responder IKE SAs not yet authenticated, at most; more first messages are dropped.
 * @param peerGroups         the {@code set peer} lists of crypto map entries, in order: after one peer fails
 *                           (DPD, or phase 1 after all retransmissions) the next is tried, after the last the first.
 * @param peerHostnames      peers named by host name ({@code set peer H} with {@code ip host H A}): address to name,
 *                           for keys bound to a host name ({@code crypto isakmp key K hostname H}).
 * @param rekeyOverlapMillis make-before-break: how long a rekeyed child SA stays after its replacement is up.
 * @param credentials        our certificate and key and the trusted CAs, for rsa-sig policies; null: none, and
 *                           rsa-sig policies are neither offered nor accepted. Its key also decrypts what peers
 *                           encrypt to us with rsa-encr.
 * @param rsaPublicKeys      {@code crypto key pubkey-chain rsa}: the peers' public keys rsa-encr encrypts to.
 * @param modeConfigGateway  mode config as a gateway (an address pool and initiate/respond); null: none.
 * @param modeConfigClient   mode config as a client: pull, wait for a push, or none.
 */
public record Ikev1Settings(
    InetAddress localAddress,
    List<Isakmp.Policy> policies,
    List<Isakmp.PresharedKey> keys,
    Isakmp.Identity identity,
    String hostname,
    Dpd dpd,
    List<Phase2Policy> phase2,
    long retransmitMillis,
    int retransmitLimit,
    long natKeepaliveMillis,
    int maxHalfOpen,
    List<List<InetAddress>> peerGroups,
    Map<InetAddress, String> peerHostnames,
    long rekeyOverlapMillis,
    Ikev1Credentials credentials,
    List<RsaPublicKey> rsaPublicKeys,
    ModeConfig.Gateway modeConfigGateway,
    ModeConfig.Client modeConfigClient)
{
    public Ikev1Settings
    {
        policies = List.copyOf(policies);
        keys = List.copyOf(keys);
        phase2 = List.copyOf(phase2);
        peerGroups = peerGroups.stream().map(List::copyOf).toList();
        peerHostnames = Map.copyOf(peerHostnames);
        rsaPublicKeys = List.copyOf(rsaPublicKeys);
        modeConfigClient = modeConfigClient == null ? ModeConfig.Client.OFF : modeConfigClient;
    }

    /** The peer after {@code failed} in its crypto map entry's {@code set peer} list (cyclic), or null without one. */
    public InetAddress nextPeer(final InetAddress failed)
    {
        for (final List<InetAddress> group : peerGroups)
        {
            final int i = group.indexOf(failed);
            if (i >= 0 && group.size() > 1)
            {
                return group.get((i + 1) % group.size());
            }
        }
        return null;
    }

    /** The host name a peer's {@code set peer} gives it, or null. */
    public String peerHostname(final InetAddress peer)
    {
        return peerHostnames.get(peer);
    }

    /** The pre-shared key bound to a host name ({@code crypto isakmp key K hostname H}), or null. */
    public Isakmp.PresharedKey keyForHostname(final String name)
    {
        for (final Isakmp.PresharedKey k : keys)
        {
            if (k.hostname().isPresent() && k.hostname().get().equalsIgnoreCase(name))
            {
                return k;
            }
        }
        return null;
    }

    /**
     * A peer's RSA public key from {@code crypto key pubkey-chain rsa}, as rsa-encr uses it.
     *
     * @param name how the configuration names it: {@code addressed-key A} or {@code named-key N}.
     * @param key  the key.
     */
    public record PeerKey(String name, PublicKey key)
    {
        boolean sameKey(final PeerKey other)
        {
            return other != null && Arrays.equals(key.getEncoded(), other.key.getEncoded());
        }

        @Override
        public String toString()
        {
            return name;
        }
    }

    /**
     * The key to encrypt nonces to a peer at {@code peer}: its {@code addressed-key}, else the
     * {@code named-key} whose {@code address} it is; null without one. Encryption keys are preferred
     * to general purpose ones, signature keys are not used.
     */
    public PeerKey encryptionKeyFor(final InetAddress peer)
    {
        final Ip4 address = ip4(peer);
        if (address == null)
        {
            return null;
        }
        final PeerKey addressed = encryptionKey(k -> k.addressed() && k.address().equals(Optional.of(address)));
        return addressed != null ? addressed :
            encryptionKey(k -> !k.addressed() && k.address().equals(Optional.of(address)));
    }

    /**
     * The key bound to an identity a peer claims: for an address its key as {@link #encryptionKeyFor(InetAddress)}
     * finds it, for a host name (FQDN or user FQDN) the {@code named-key} of that name; null otherwise.
     */
    public PeerKey encryptionKeyFor(final Payload.Identification id)
    {
        return switch (id.idType())
        {
            case Ikev1.ID_IPV4_ADDR -> id.data().length == 4 ? encryptionKeyFor(inet(Ip4.of(id.data()[0], id.data()[1],
                id.data()[2], id.data()[3]))) : null;
            case Ikev1.ID_FQDN, Ikev1.ID_USER_FQDN ->
            {
                final String name = new String(id.data(), StandardCharsets.US_ASCII);
                yield encryptionKey(k -> !k.addressed() && k.name().equalsIgnoreCase(name));
            }
            default -> null;
        };
    }

    private PeerKey encryptionKey(final java.util.function.Predicate<RsaPublicKey> which)
    {
        PeerKey general = null;
        for (final RsaPublicKey k : rsaPublicKeys)
        {
            if (k.usage() == RsaPublicKey.Usage.SIGNATURE || !which.test(k))
            {
                continue;
            }
            final PublicKey key = rsaKey(k);
            if (key == null)
            {
                continue;   // the configuration check warned: not a DER RSA public key
            }
            final PeerKey found = new PeerKey((k.addressed() ? "addressed-key " : "named-key ") + k.name() +
                (k.usage() == RsaPublicKey.Usage.GENERAL ? "" : " " + k.usage().keyword()), key);
            if (k.usage() == RsaPublicKey.Usage.ENCRYPTION)
            {
                return found;
            }
            if (general == null)
            {
                general = found;
            }
        }
        return general;
    }

    private static PublicKey rsaKey(final RsaPublicKey k)
    {
        try
        {
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(k.key().bytes()));
        }
        catch (final GeneralSecurityException | IllegalArgumentException e)
        {
            return null;
        }
    }

    /**
     * Dead peer detection timers.
     *
     * @param intervalMillis {@code keepalive SECONDS}: periodic interval, or on demand the silence allowed.
     * @param retryMillis    {@code RETRIES}: interval between retransmissions of an unanswered R-U-THERE.
     * @param mode           periodic or on-demand.
     */
    public record Dpd(long intervalMillis, long retryMillis, Isakmp.DpdMode mode)
    {
        /** The R-U-THERE retransmissions after the first before a peer is declared dead (reference 000). */
        public static final int RETRANSMISSIONS = 4;

        public static Dpd of(final Isakmp.Keepalive keepalive)
        {
            return new Dpd(keepalive.seconds() * 1000L, keepalive.retrySeconds() * 1000L, keepalive.mode());
        }
    }

    /**
     * A crypto map entry as quick mode uses it.
     *
     * @param peers         the peers it applies to.
     * @param transformSets offered in this order; a responder accepts them in this order of preference.
     * @param lifetime      SA lifetimes.
     * @param pfsGroup      {@code set pfs groupN}; 0: no PFS.
     * @param local         our proxy identity; null: our address.
     * @param remote        the peer's proxy identity; null: the peer's address.
     */
    public record Phase2Policy(Ip4Subnet peers, List<Ipsec.TransformSet> transformSets, Ipsec.Lifetime lifetime,
        int pfsGroup, Selector local, Selector remote)
    {
        public Phase2Policy
        {
            transformSets = List.copyOf(transformSets);
        }
    }

    /** The phase 2 policy for a peer, or null. */
    public Phase2Policy phase2For(final InetAddress peer)
    {
        final Ip4 address = ip4(peer);
        for (final Phase2Policy p : phase2)
        {
            if (address != null && p.peers().contains(address))
            {
                return p;
            }
        }
        return null;
    }

    /** The most specific pre-shared key for a peer address, or null. */
    public Isakmp.PresharedKey keyFor(final InetAddress peer)
    {
        final Ip4 address = ip4(peer);
        Isakmp.PresharedKey best = null;
        for (final Isakmp.PresharedKey k : keys)
        {
            if (address != null && k.matches(address) &&
                (best == null || k.address().get().prefixLength() > best.address().get().prefixLength()))
            {
                best = k;
            }
        }
        return best;
    }

    static InetAddress inet(final Ip4 address)
    {
        try
        {
            return InetAddress.getByAddress(java.nio.ByteBuffer.allocate(4).putInt(address.bits()).array());
        }
        catch (final java.net.UnknownHostException e)
        {
            throw new IllegalStateException(e);   // four bytes are always a valid address
        }
    }

    static Ip4 ip4(final InetAddress address)
    {
        if (!(address instanceof Inet4Address))
        {
            return null;
        }
        final byte[] b = address.getAddress();
        return Ip4.of(b[0], b[1], b[2], b[3]);
    }

    public Builder toBuilder()
    {
        final Builder b = new Builder(localAddress);
        b.policies = new ArrayList<>(policies);
        b.keys = new ArrayList<>(keys);
        b.identity = identity;
        b.hostname = hostname;
        b.dpd = dpd;
        b.phase2 = new ArrayList<>(phase2);
        b.retransmitMillis = retransmitMillis;
        b.retransmitLimit = retransmitLimit;
        b.natKeepaliveMillis = natKeepaliveMillis;
        b.maxHalfOpen = maxHalfOpen;
        b.peerGroups = new ArrayList<>(peerGroups);
        b.peerHostnames = new java.util.HashMap<>(peerHostnames);
        b.rekeyOverlapMillis = rekeyOverlapMillis;
        b.credentials = credentials;
        b.rsaPublicKeys = new ArrayList<>(rsaPublicKeys);
        b.modeConfigGateway = modeConfigGateway;
        b.modeConfigClient = modeConfigClient;
        return b;
    }

    public static Builder builder(final InetAddress localAddress)
    {
        return new Builder(localAddress);
    }

    /**
     * Settings from a parsed configuration: the isakmp policies (default suite last), keys,
     * identity and keepalive, and a quick mode policy per peer of every {@code ipsec-isakmp} crypto
     * map entry, its proxy identities taken from the first permit rule of its {@code match address};
     * a dynamic entry ({@code ipsec-isakmp dynamic DYN}) gives one for any peer, from DYN's first entry.
     */
    public static Ikev1Settings fromConfig(final Config config, final InetAddress localAddress)
    {
        final Isakmp isakmp = config.isakmp();
        final Builder b = builder(localAddress);
        b.policies = new ArrayList<>(isakmp.effectivePolicies());
        b.keys = new ArrayList<>(isakmp.keys());
        b.identity = isakmp.identity();
        b.hostname = config.hostname().orElse(null);
        b.dpd = isakmp.keepalive().map(Dpd::of).orElse(null);
        // sluice pki: the certificate, key and CA for rsa-sig policies (the key also for rsa-encr), read now so a
        // bad file stops the start
        config.pki().ifPresent(pki ->
        {
            try
            {
                b.credentials = Ikev1Credentials.fromPem(java.nio.file.Path.of(pki.certificate()),
                    java.nio.file.Path.of(pki.privateKey()), java.nio.file.Path.of(pki.caCertificate()));
            }
            catch (final java.io.IOException e)
            {
                throw new IllegalArgumentException("sluice pki: " + e.getMessage(), e);
            }
        });
        b.rsaPublicKeys = new ArrayList<>(config.rsaPublicKeys());
        // mode config: the pool named by crypto isakmp client configuration, started as a crypto map says
        isakmp.clientAddressPool().ifPresent(name ->
        {
            final LocalPool pool = config.localPools().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("crypto isakmp client configuration address-pool " +
                    "local " + name + ": no ip local pool " + name));
            final CryptoMap.ClientConfiguration start = config.cryptoMaps().stream()
                .flatMap(m -> m.clientConfiguration().stream()).findFirst()
                .orElse(CryptoMap.ClientConfiguration.RESPOND);
            b.modeConfigGateway = new ModeConfig.Gateway(start, pool, null, List.of());
        });
        for (final CryptoMap map : config.cryptoMaps())
        {
            for (final CryptoMap.Entry entry : map.entries())
            {
                if (entry.keying() != CryptoMap.Keying.ISAKMP)
                {
                    continue;
                }
                if (entry.dynamicMap().isPresent())
                {
                    config.dynamicMap(entry.dynamicMap().get()).flatMap(d -> d.entries().stream().findFirst())
                        .ifPresent(d -> b.phase2.add(dynamicPolicy(config, d)));
                    continue;
                }
                final List<Ipsec.TransformSet> sets = entry.transformSets().stream()
                    .map(name -> config.ipsec().transformSet(name)).flatMap(Optional::stream).toList();
                final Optional<AccessList.Rule> rule = firstPermit(config, entry.matchAddress());
                final Selector local = rule.map(Ikev1Settings::sourceSelector).orElse(null);
                final Selector remote = rule.map(Ikev1Settings::destinationSelector).orElse(null);
                final int pfs = entry.pfs().map(g -> g.number()).orElse(0);
                final List<InetAddress> group = new ArrayList<>();
                for (final CryptoMap.Peer peer : entry.peers())
                {
                    b.phase2.add(new Phase2Policy(Ip4Subnet.host(peer.address()), sets, entry.lifetime(), pfs,
                        local, remote));
                    group.add(inet(peer.address()));
                    peer.hostname().ifPresent(name -> b.peerHostnames.put(inet(peer.address()), name));
                }
                if (group.size() > 1)
                {
                    b.peerGroups.add(group);
                }
            }
        }
        return b.build();
    }

    /** The first permit line of a {@code match address} access list: what quick mode proposes. */
    private static Optional<AccessList.Rule> firstPermit(final Config config, final Optional<String> matchAddress)
    {
        return matchAddress.flatMap(config::accessList)
            .flatMap(acl -> acl.rules().stream().filter(AccessList.Rule::permit).findFirst());
    }

    private static Selector sourceSelector(final AccessList.Rule rule)
    {
        return new Selector(rule.source(), rule.protocol().orElse(0), 0);
    }

    private static Selector destinationSelector(final AccessList.Rule rule)
    {
        return new Selector(rule.destination(), rule.protocol().orElse(0), 0);
    }

    /**
     * A dynamic map entry as quick mode uses it: for any peer. Its {@code match address}, if any,
     * bounds the proxy identities as a crypto map entry's does; without one, ours may be anything the
     * peer proposes and the peer's is the address mode config lent it, else its own address.
     */
    private static Phase2Policy dynamicPolicy(final Config config, final DynamicMap.Entry entry)
    {
        final List<Ipsec.TransformSet> sets = entry.transformSets().stream()
            .map(name -> config.ipsec().transformSet(name)).flatMap(Optional::stream).toList();
        final Optional<AccessList.Rule> rule = firstPermit(config, entry.matchAddress());
        final Selector local = rule.map(Ikev1Settings::sourceSelector).orElse(Selector.of(Ip4Subnet.ANY));
        final Selector remote = rule.map(Ikev1Settings::destinationSelector).orElse(null);
        return new Phase2Policy(Ip4Subnet.ANY, sets, entry.lifetime(), entry.pfs().map(g -> g.number()).orElse(0),
            local, remote);
    }

    /** Mutable builder with the engine's defaults. */
    public static final class Builder
    {
        private final InetAddress localAddress;
        public List<Isakmp.Policy> policies = new ArrayList<>();
        public List<Isakmp.PresharedKey> keys = new ArrayList<>();
        public Isakmp.Identity identity = Isakmp.Identity.ADDRESS;
        public String hostname;
        public Dpd dpd;
        public List<Phase2Policy> phase2 = new ArrayList<>();
        public long retransmitMillis = 4000;
        public int retransmitLimit = 5;
        public long natKeepaliveMillis = 20_000;
        public int maxHalfOpen = 256;
        public List<List<InetAddress>> peerGroups = new ArrayList<>();
        public Map<InetAddress, String> peerHostnames = new java.util.HashMap<>();
        public long rekeyOverlapMillis = 10_000;
        public Ikev1Credentials credentials;
        public List<RsaPublicKey> rsaPublicKeys = new ArrayList<>();
        public ModeConfig.Gateway modeConfigGateway;
        public ModeConfig.Client modeConfigClient = ModeConfig.Client.OFF;

        private Builder(final InetAddress localAddress)
        {
            this.localAddress = localAddress;
        }

        public Builder policy(final Isakmp.Policy policy)
        {
            policies.add(policy);
            return this;
        }

        public Builder key(final Isakmp.PresharedKey key)
        {
            keys.add(key);
            return this;
        }

        public Builder dpd(final Dpd value)
        {
            dpd = value;
            return this;
        }

        public Builder phase2(final Phase2Policy policy)
        {
            phase2.add(policy);
            return this;
        }

        public Builder retransmit(final long millis, final int limit)
        {
            retransmitMillis = millis;
            retransmitLimit = limit;
            return this;
        }

        public Ikev1Settings build()
        {
            return new Ikev1Settings(localAddress, policies, keys, identity, hostname, dpd, phase2, retransmitMillis,
                retransmitLimit, natKeepaliveMillis, maxHalfOpen, peerGroups, peerHostnames, rekeyOverlapMillis, credentials,
                rsaPublicKeys, modeConfigGateway, modeConfigClient);
        }
    }
}
