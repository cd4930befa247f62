package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Config;
import io.sluice.controlplane.config.CryptoIkev2;
import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.Isakmp;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What an {@link Ikev2Engine} negotiates with: the IKE proposals, per peer the pre-shared keys
 * and the child SA policy, our identity, liveness checks and the engine's own timers and limits.
 * Built from the parsed configuration by {@link #fromConfig}, or directly by tests.
 *
 * @param localAddress        our IKE address: the default identity and the NAT detection hashes.
 * @param proposals           IKE proposals offered in this order; a responder accepts any of them.
 * @param peers               per peer: keys, identities, child policy; the first whose {@code match} contains the peer applies.
 * @param dpd                 liveness checks ({@code dpd} / {@code crypto isakmp keepalive}); null: off.
 * @param ikeLifetimeSeconds  IKE SA lifetime; the original initiator rekeys it at 90%.
 * @param retransmitMillis    first retransmission interval of an unanswered request (doubling, up to 8x).
 * @param retransmitLimit     retransmissions before the peer is given up.
 * @param natKeepaliveMillis  NAT-T keepalive interval when we are behind a NAT.
 * @param maxHalfOpen         responder IKE SAs not yet authenticated, at most; further IKE_SA_INIT requests are dropped.
 * @param maxHalfOpenPerPeer  the same, from one address.
 * @param cookieThreshold     half-open SAs above which IKE_SA_INIT requests must return a COOKIE (2.6); 0: always.
 * @param halfOpenMillis      how long a responder keeps an IKE SA that is not authenticated.
 * @param credentials         our certificate chain and key and the CAs we trust; null: pre-shared keys only. Peers
 *                            without a local key ({@link Peer#certificate}) are authenticated to with it, peers
 *                            without a remote key must authenticate with a certificate chaining to these CAs.
 * @param fragmentSize        IKE fragmentation (RFC 7383): offered in IKE_SA_INIT, and when both support it, protected
 *                            messages whose datagram (IPv4 and UDP headers, non-ESP marker included) would exceed this
 *                            many bytes go as SKF fragments; 0: fragmentation neither offered nor used.
 */
public record Ikev2Settings(
    InetAddress localAddress,
    List<Proposal> proposals,
    List<Peer> peers,
    Dpd dpd,
    long ikeLifetimeSeconds,
    long retransmitMillis,
    int retransmitLimit,
    long natKeepaliveMillis,
    int maxHalfOpen,
    int maxHalfOpenPerPeer,
    int cookieThreshold,
    long halfOpenMillis,
    Ikev2Credentials credentials,
    int fragmentSize)
{
    public Ikev2Settings
    {
        proposals = List.copyOf(proposals);
        peers = List.copyOf(peers);
    }

    /** RFC 7383's usual limit: an IKE datagram (IP and UDP headers included) that fits the IPv6 minimum MTU. */
    public static final int DEFAULT_FRAGMENT_SIZE = 1280;

    /** Settings for pre-shared keys only (no certificates), fragmenting above {@link #DEFAULT_FRAGMENT_SIZE}. */
    public Ikev2Settings(final InetAddress localAddress, final List<Proposal> proposals, final List<Peer> peers,
        final Dpd dpd, final long ikeLifetimeSeconds, final long retransmitMillis, final int retransmitLimit,
        final long natKeepaliveMillis, final int maxHalfOpen, final int maxHalfOpenPerPeer, final int cookieThreshold,
        final long halfOpenMillis)
    {
        this(localAddress, proposals, peers, dpd, ikeLifetimeSeconds, retransmitMillis, retransmitLimit,
            natKeepaliveMillis, maxHalfOpen, maxHalfOpenPerPeer, cookieThreshold, halfOpenMillis, null,
            DEFAULT_FRAGMENT_SIZE);
    }

    /** An IKE proposal ({@code crypto ikev2 proposal}): every combination of its lists is acceptable. */
    public record Proposal(List<Cipher> ciphers, List<IkeSuite.Prf> prfs, List<IkeSuite.Integrity> integrities,
        List<Integer> groups)
    {
        public Proposal
        {
            ciphers = List.copyOf(ciphers);
            prfs = List.copyOf(prfs);
            integrities = List.copyOf(integrities);
            groups = List.copyOf(groups);
        }

        /** One cipher, PRF, integrity and group. */
        public static Proposal of(final IkeSuite.Encryption e, final int keyBits, final IkeSuite.Prf prf,
            final IkeSuite.Integrity integrity, final int group)
        {
            return new Proposal(List.of(new Cipher(e, keyBits)), List.of(prf),
                e.aead() ? List.of() : List.of(integrity), List.of(group));
        }

        /** The transforms of the proposal substructure (AEAD ciphers and others do not mix in one proposal). */
        public List<Payload.Transform> transforms()
        {
            final List<Payload.Transform> t = new ArrayList<>();
            for (final Cipher c : ciphers)
            {
                t.add(Payload.Transform.of(Ikev2.TRANSFORM_ENCR, c.encryption().id(),
                    c.encryption().keyLengthAttribute() ? c.keyBits() : 0));
            }
            prfs.forEach(p -> t.add(Payload.Transform.of(Ikev2.TRANSFORM_PRF, p.id())));
            if (ciphers.stream().anyMatch(c -> !c.encryption().aead()))
            {
                integrities.forEach(i -> t.add(Payload.Transform.of(Ikev2.TRANSFORM_INTEG, i.id())));
            }
            groups.forEach(g -> t.add(Payload.Transform.of(Ikev2.TRANSFORM_DH, g)));
            return t;
        }
    }

    public record Cipher(IkeSuite.Encryption encryption, int keyBits)
    {
    }

    /**
     * One peer, or a range of them.
     *
     * @param match       the peer addresses this applies to.
     * @param localKey    the pre-shared key we authenticate with.
     * @param remoteKey   the pre-shared key the peer authenticates with (the same as {@code localKey} unless configured apart).
     * @param localId     our identity; null: our address.
     * @param remoteId    the identity the peer must present (ID type and text, e.g. an FQDN); null: any.
     * @param child       the child SA policy; null: IKE SA only (a responder then refuses children).
     */
    public record Peer(Ip4Subnet match, byte[] localKey, byte[] remoteKey, Identity localId, Identity remoteId,
        ChildPolicy child)
    {
        public static Peer psk(final Ip4Subnet match, final String key, final ChildPolicy child)
        {
            final byte[] k = key.getBytes(StandardCharsets.UTF_8);
            return new Peer(match, k, k, null, null, child);
        }

        /**
         * Certificates both ways ({@code authentication local/remote rsa-sig}): we sign with
         * {@link Ikev2Settings#credentials}, the peer's certificate must chain to its CAs and name the
         * identity it presents, which must be {@code remoteId} if given.
         */
        public static Peer certificate(final Ip4Subnet match, final Identity localId, final Identity remoteId,
            final ChildPolicy child)
        {
            return new Peer(match, null, null, localId, remoteId, child);
        }
    }

    /** An identity: ID type ({@link Ikev2#ID_IPV4_ADDR}, {@link Ikev2#ID_FQDN}, ...) and its text. */
    public record Identity(int idType, String value)
    {
        public Payload.Identification toPayload(final int payloadType)
        {
            final byte[] data = switch (idType)
            {
                case Ikev2.ID_IPV4_ADDR -> java.nio.ByteBuffer.allocate(4).putInt(Ip4.parse(value).bits()).array();
                case Ikev2.ID_DER_ASN1_DN -> dn(value);
                default -> value.getBytes(StandardCharsets.US_ASCII);
            };
            return new Payload.Identification(payloadType, idType, data);
        }

        public boolean matches(final Payload.Identification id)
        {
            if (id.idType() == Ikev2.ID_DER_ASN1_DN && idType == Ikev2.ID_DER_ASN1_DN)
            {
                try
                {
                    return new org.bouncycastle.asn1.x500.X500Name(value).equals(
                        org.bouncycastle.asn1.x500.X500Name.getInstance(id.data()));
                }
                catch (final IllegalArgumentException e)
                {
                    return false;
                }
            }
            return id.idType() == idType && java.util.Arrays.equals(toPayload(id.type()).data(), id.data());
        }

        /** A DN in the usual text form ("C=CH, O=Sluice, CN=gw"), DER encoded, in the order written. */
        private static byte[] dn(final String text)
        {
            try
            {
                return new org.bouncycastle.asn1.x500.X500Name(text).getEncoded();
            }
            catch (final java.io.IOException e)
            {
                throw new IllegalArgumentException("not a distinguished name: " + text, e);
            }
        }
    }

    /**
     * The child SA policy of a peer (an IPsec profile or crypto map entry).
     *
     * @param transformSets in order of preference.
     * @param lifetime      child SA lifetime; the side that created a child rekeys it at 90%.
     * @param pfsGroup      DH group for CREATE_CHILD_SA (rekeys and further children); 0: no PFS.
     * @param local         our traffic selector; null: our address.
     * @param remote        the peer's traffic selector; null: the peer's address.
     */
    public record ChildPolicy(List<Ipsec.TransformSet> transformSets, Ipsec.Lifetime lifetime, int pfsGroup,
        TrafficSelector local, TrafficSelector remote)
    {
        public ChildPolicy
        {
            transformSets = List.copyOf(transformSets);
        }
    }

    /**
     * Liveness checks, with the semantics of {@code crypto isakmp keepalive} (reference 000).
     *
     * @param intervalMillis periodic interval, or on demand the silence allowed.
     * @param retryMillis    interval between retransmissions of an unanswered check.
     * @param mode           periodic or on-demand.
     */
    public record Dpd(long intervalMillis, long retryMillis, Isakmp.DpdMode mode)
    {
        /** Retransmissions after the first check before the peer is declared dead. */
        public static final int RETRANSMISSIONS = 4;

        public static Dpd of(final Isakmp.Keepalive keepalive)
        {
            return new Dpd(keepalive.seconds() * 1000L, keepalive.retrySeconds() * 1000L, keepalive.mode());
        }
    }

    /** The peer configuration for an address, or null. */
    public Peer peerFor(final InetAddress address)
    {
        final Ip4 ip = ip4(address);
        Peer best = null;
        for (final Peer p : peers)
        {
            if (ip != null && p.match().contains(ip) && (best == null || p.match().prefixLength() > best.match().prefixLength()))
            {
                best = p;
            }
        }
        return best;
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

    public static Builder builder(final InetAddress localAddress)
    {
        return new Builder(localAddress);
    }

    /**
     * Settings from a parsed configuration: the proposals of the {@code crypto ikev2 policy} blocks
     * that match {@code localAddress} (all proposals without policies), and a peer per
     * {@code match identity remote address} of every IKEv2 profile an IPsec profile names with
     * {@code set ikev2-profile}: its keyring's key for that address, the IPsec profile's transform
     * sets, lifetime and PFS group, the profile's DPD (else {@code crypto isakmp keepalive}).
     */
    public static Ikev2Settings fromConfig(final Config config, final InetAddress localAddress)
    {
        final CryptoIkev2 v2 = config.ikev2();
        final Builder b = builder(localAddress);
        final List<String> names = new ArrayList<>();
        final Ip4 local = ip4(localAddress);
        for (final CryptoIkev2.Policy policy : v2.policies())
        {
            if (policy.matchLocalAddress().map(a -> a.equals(local)).orElse(true))
            {
                policy.proposals().stream().filter(n -> !names.contains(n)).forEach(names::add);
            }
        }
        if (v2.policies().isEmpty())
        {
            v2.proposals().forEach(p -> names.add(p.name()));
        }
        for (final String name : names)
        {
            v2.proposal(name).ifPresent(p -> b.proposals.addAll(proposals(p)));
        }
        config.isakmp().keepalive().ifPresent(k -> b.dpd = Dpd.of(k));
        v2.cookieChallenge().ifPresent(n -> b.cookieThreshold = n);
        for (final Ipsec.Profile ipsecProfile : config.ipsec().profiles())
        {
            final CryptoIkev2.Profile profile = ipsecProfile.ikev2Profile().flatMap(v2::profile).orElse(null);
            if (profile == null)
            {
                continue;
            }
            profile.dpd().ifPresent(k -> b.dpd = Dpd.of(k));
            b.ikeLifetimeSeconds = profile.lifetimeSeconds();
            final ChildPolicy child = new ChildPolicy(ipsecProfile.transformSets().stream()
                .map(n -> config.ipsec().transformSet(n)).flatMap(java.util.Optional::stream).toList(),
                ipsecProfile.lifetime(), ipsecProfile.pfs().map(g -> g.number()).orElse(0), null, null);
            final Identity localId = profile.localFqdn().map(f -> new Identity(Ikev2.ID_FQDN, f)).orElse(null);
            final List<CryptoIkev2.KeyringPeer> keys = v2.keyring(profile.keyring()).map(CryptoIkev2.Keyring::peers)
                .orElse(List.of());
            if (profile.localRsaSig() || profile.remoteRsaSig())
            {
                b.credentials = credentials(config);
            }
            for (final Ip4Subnet match : profile.matchRemote())
            {
                if (profile.localRsaSig() && profile.remoteRsaSig())
                {
                    b.peers.add(Peer.certificate(match, localId, null, child));
                    continue;
                }
                // a pre-shared key on at least one side: from the keyring; rsa-sig sides sign or verify certificates
                keys.stream().filter(k -> k.address().contains(match.address())).findFirst().ifPresent(k ->
                    b.peers.add(new Peer(match,
                        profile.localRsaSig() ? null : k.localKey().value().getBytes(StandardCharsets.UTF_8),
                        profile.remoteRsaSig() ? null : k.remoteKey().value().getBytes(StandardCharsets.UTF_8),
                        localId, null, child)));
            }
        }
        return b.build();
    }

    /** The {@code sluice pki} files, read now: a missing or bad file stops the start, naming it. */
    private static Ikev2Credentials credentials(final Config config)
    {
        final io.sluice.controlplane.config.Pki pki = config.pki().orElseThrow(() ->
            new IllegalArgumentException("an IKEv2 profile authenticates with rsa-sig but there is no 'sluice pki'"));
        try
        {
            return Ikev2Credentials.fromPem(java.nio.file.Path.of(pki.certificate()),
                java.nio.file.Path.of(pki.privateKey()), java.nio.file.Path.of(pki.caCertificate()));
        }
        catch (final java.io.IOException e)
        {
            throw new IllegalArgumentException("sluice pki: " + e.getMessage(), e);
        }
    }

    /** A configured proposal as wire proposals: AEAD and other ciphers never share one (RFC 7296 3.3). */
    static List<Proposal> proposals(final CryptoIkev2.Proposal p)
    {
        final List<IkeSuite.Prf> prfs = (p.prfs().isEmpty() ? p.integrities() : p.prfs()).stream()
            .map(h -> switch (h)
            {
                case SHA1 -> IkeSuite.Prf.HMAC_SHA1;
                case SHA256 -> IkeSuite.Prf.HMAC_SHA2_256;
                case SHA384 -> IkeSuite.Prf.HMAC_SHA2_384;
                case SHA512 -> IkeSuite.Prf.HMAC_SHA2_512;
            }).toList();
        final List<IkeSuite.Integrity> integrities = p.integrities().stream().map(h -> switch (h)
        {
            case SHA1 -> IkeSuite.Integrity.HMAC_SHA1_96;
            case SHA256 -> IkeSuite.Integrity.HMAC_SHA2_256_128;
            case SHA384 -> IkeSuite.Integrity.HMAC_SHA2_384_192;
            case SHA512 -> IkeSuite.Integrity.HMAC_SHA2_512_256;
        }).toList();
        final List<Cipher> aead = new ArrayList<>();
        final List<Cipher> other = new ArrayList<>();
        for (final CryptoIkev2.Encryption e : p.encryptions())
        {
            final Cipher c = switch (e)
            {
                case AES_CBC_128 -> new Cipher(IkeSuite.Encryption.AES_CBC, 128);
                case AES_CBC_192 -> new Cipher(IkeSuite.Encryption.AES_CBC, 192);
                case AES_CBC_256 -> new Cipher(IkeSuite.Encryption.AES_CBC, 256);
                case AES_GCM_128 -> new Cipher(IkeSuite.Encryption.AES_GCM_16, 128);
                case AES_GCM_256 -> new Cipher(IkeSuite.Encryption.AES_GCM_16, 256);
                case CHACHA20_POLY1305 -> new Cipher(IkeSuite.Encryption.CHACHA20_POLY1305, 256);
            };
            (e.aead() ? aead : other).add(c);
        }
        final List<Proposal> out = new ArrayList<>();
        if (!aead.isEmpty())
        {
            out.add(new Proposal(aead, prfs, List.of(), p.groups()));
        }
        if (!other.isEmpty() && !integrities.isEmpty())
        {
            out.add(new Proposal(other, prfs, integrities, p.groups()));
        }
        return out;
    }

    public Builder toBuilder()
    {
        final Builder b = new Builder(localAddress);
        b.proposals = new ArrayList<>(proposals);
        b.peers = new ArrayList<>(peers);
        b.dpd = dpd;
        b.ikeLifetimeSeconds = ikeLifetimeSeconds;
        b.retransmitMillis = retransmitMillis;
        b.retransmitLimit = retransmitLimit;
        b.natKeepaliveMillis = natKeepaliveMillis;
        b.maxHalfOpen = maxHalfOpen;
        b.maxHalfOpenPerPeer = maxHalfOpenPerPeer;
        b.cookieThreshold = cookieThreshold;
        b.halfOpenMillis = halfOpenMillis;
        b.credentials = credentials;
        b.fragmentSize = fragmentSize;
        return b;
    }

    /** Mutable builder with the engine's defaults. */
    public static final class Builder
    {
        private final InetAddress localAddress;
        public List<Proposal> proposals = new ArrayList<>();
        public List<Peer> peers = new ArrayList<>();
        public Dpd dpd;
        public long ikeLifetimeSeconds = 86400;
        public long retransmitMillis = 2000;
        public int retransmitLimit = 5;
        public long natKeepaliveMillis = 20_000;
        public int maxHalfOpen = 1024;
        public int maxHalfOpenPerPeer = 32;
        public int cookieThreshold = 256;
        public long halfOpenMillis = 30_000;
        public Ikev2Credentials credentials;
        public int fragmentSize = DEFAULT_FRAGMENT_SIZE;

        private Builder(final InetAddress localAddress)
        {
            this.localAddress = localAddress;
        }

        public Builder proposal(final Proposal p)
        {
            proposals.add(p);
            return this;
        }

        public Builder peer(final Peer p)
        {
            peers.add(p);
            return this;
        }

        public Builder dpd(final Dpd value)
        {
            dpd = value;
            return this;
        }

        public Builder retransmit(final long millis, final int limit)
        {
            retransmitMillis = millis;
            retransmitLimit = limit;
            return this;
        }

        public Builder cookieThreshold(final int value)
        {
            cookieThreshold = value;
            return this;
        }

        /** Our certificate and key and the CAs we trust, for peers that use certificates. */
        public Builder credentials(final Ikev2Credentials value)
        {
            credentials = value;
            return this;
        }

        /** Largest IKE datagram before protected messages are fragmented (RFC 7383); 0: no fragmentation. */
        public Builder fragmentSize(final int bytes)
        {
            if (bytes != 0 && bytes < 576)
            {
                throw new IllegalArgumentException("IKE fragment size " + bytes + " below 576 (0 turns fragmentation off)");
            }
            fragmentSize = bytes;
            return this;
        }

        public Ikev2Settings build()
        {
            return new Ikev2Settings(localAddress, proposals, peers, dpd, ikeLifetimeSeconds, retransmitMillis,
                retransmitLimit, natKeepaliveMillis, maxHalfOpen, maxHalfOpenPerPeer, cookieThreshold, halfOpenMillis,
                credentials, fragmentSize);
        }
    }
}
