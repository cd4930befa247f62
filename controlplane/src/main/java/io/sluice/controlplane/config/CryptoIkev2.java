package io.sluice.controlplane.config;

import java.util.List;
import java.util.Optional;

/**
 * The IKEv2 settings in the IOS style: {@code crypto ikev2 proposal}, {@code policy},
 * {@code keyring} and {@code profile}, and {@code crypto ikev2 cookie-challenge}. An IPsec
 * profile uses IKEv2 when it says {@code set ikev2-profile NAME}.
 *
 * @param proposals       {@code crypto ikev2 proposal NAME}, in order of definition.
 * @param policies        {@code crypto ikev2 policy NAME}, in order of definition.
 * @param keyrings        {@code crypto ikev2 keyring NAME}.
 * @param profiles        {@code crypto ikev2 profile NAME}.
 * @param cookieChallenge {@code crypto ikev2 cookie-challenge N}: half-open SAs above which cookies are demanded.
 */
public record CryptoIkev2(List<Proposal> proposals, List<Policy> policies, List<Keyring> keyrings,
    List<Profile> profiles, Optional<Integer> cookieChallenge)
{
    public static final CryptoIkev2 NONE = new CryptoIkev2(List.of(), List.of(), List.of(), List.of(), Optional.empty());

    public CryptoIkev2
    {
        proposals = List.copyOf(proposals);
        policies = List.copyOf(policies);
        keyrings = List.copyOf(keyrings);
        profiles = List.copyOf(profiles);
    }

    public Optional<Proposal> proposal(final String name)
    {
        return proposals.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public Optional<Keyring> keyring(final String name)
    {
        return keyrings.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public Optional<Profile> profile(final String name)
    {
        return profiles.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** IKE SA ciphers: {@code encryption aes-cbc-128 aes-gcm-256 ...}. */
    public enum Encryption
    {
        AES_CBC_128("aes-cbc-128"), AES_CBC_192("aes-cbc-192"), AES_CBC_256("aes-cbc-256"),
        AES_GCM_128("aes-gcm-128"), AES_GCM_256("aes-gcm-256"), CHACHA20_POLY1305("chacha20-poly1305");

        private final String keyword;

        Encryption(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }

        public boolean aead()
        {
            return this == AES_GCM_128 || this == AES_GCM_256 || this == CHACHA20_POLY1305;
        }
    }

    /** Integrity and PRF hashes: {@code integrity sha256}, {@code prf sha384}. */
    public enum Hash
    {
        SHA1("sha1"), SHA256("sha256"), SHA384("sha384"), SHA512("sha512");

        private final String keyword;

        Hash(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }

    /** The DH groups IKEv2 accepts here. */
    public static final List<Integer> GROUPS = List.of(14, 15, 16, 19, 20, 31);

    /**
     * {@code crypto ikev2 proposal NAME}: every combination of its lists is acceptable.
     *
     * @param prfs empty: the integrity hashes are the PRFs (as IOS does without {@code prf}).
     */
    public record Proposal(String name, List<Encryption> encryptions, List<Hash> integrities, List<Hash> prfs,
        List<Integer> groups)
    {
        public Proposal
        {
            encryptions = List.copyOf(encryptions);
            integrities = List.copyOf(integrities);
            prfs = List.copyOf(prfs);
            groups = List.copyOf(groups);
        }
    }

    /** {@code crypto ikev2 policy NAME}: {@code proposal P...} and {@code match address local A}. */
    public record Policy(String name, List<String> proposals, Optional<Ip4> matchLocalAddress)
    {
        public Policy
        {
            proposals = List.copyOf(proposals);
        }
    }

    /** {@code crypto ikev2 keyring NAME} with its {@code peer} blocks. */
    public record Keyring(String name, List<KeyringPeer> peers)
    {
        public Keyring
        {
            peers = List.copyOf(peers);
        }
    }

    /**
     * {@code peer NAME} in a keyring: {@code address A [MASK]}, {@code pre-shared-key [local|remote] KEY}.
     *
     * @param localKey  what we authenticate with.
     * @param remoteKey what the peer authenticates with (the same key unless local and remote are set apart).
     */
    public record KeyringPeer(String name, Ip4Subnet address, Secret localKey, Secret remoteKey)
    {
    }

    /**
     * {@code crypto ikev2 profile NAME}.
     *
     * @param matchRemote     {@code match identity remote address A [MASK]}: the peers it applies to.
     * @param localFqdn       {@code identity local fqdn NAME}; empty: {@code identity local address}.
     * @param keyring         {@code keyring local NAME}.
     * @param dpd             {@code dpd INTERVAL RETRY on-demand|periodic}.
     * @param lifetimeSeconds {@code lifetime S}, 86400 by default.
     */
    public record Profile(String name, List<Ip4Subnet> matchRemote, Optional<String> localFqdn, String keyring,
        Optional<Isakmp.Keepalive> dpd, int lifetimeSeconds, boolean localRsaSig, boolean remoteRsaSig)
    {
        public static final int DEFAULT_LIFETIME = 86400;

        public Profile
        {
            matchRemote = List.copyOf(matchRemote);
        }
    }
}
