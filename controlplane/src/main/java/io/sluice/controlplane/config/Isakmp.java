package io.sluice.controlplane.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The IKEv1 (ISAKMP) settings: {@code crypto isakmp policy}, {@code key}, {@code keepalive},
 * {@code identity} and {@code client configuration address-pool}.
 *
 * @param policies          by priority, highest (lowest number) first, with IOS defaults filled in.
 * @param keys              pre-shared keys, in order.
 * @param keepalive         {@code crypto isakmp keepalive}: dead peer detection; empty: off.
 * @param identity          {@code crypto isakmp identity}, {@link Identity#ADDRESS} by default.
 * @param clientAddressPool {@code crypto isakmp client configuration address-pool local NAME} (mode config).
 */
public record Isakmp(
    List<Policy> policies,
    List<PresharedKey> keys,
    Optional<Keepalive> keepalive,
    Identity identity,
    Optional<String> clientAddressPool)
{
    /**
     * IOS's default protection suite, tried after the configured policies ("Default protection
     * suite" in {@code show crypto isakmp policy}): DES, SHA-1, RSA signatures, group 1, one day.
     */
    public static final Policy DEFAULT_SUITE = new Policy(
        65536, Encryption.DES, Hash.SHA, Authentication.RSA_SIG, DhGroup.GROUP1, Policy.DEFAULT_LIFETIME);

    public Isakmp
    {
        policies = List.copyOf(policies);
        keys = List.copyOf(keys);
    }

    /** The policies IKE offers and accepts: the configured ones, then the default suite. */
    public List<Policy> effectivePolicies()
    {
        final List<Policy> all = new ArrayList<>(policies);
        all.add(DEFAULT_SUITE);
        return List.copyOf(all);
    }

    /**
     * {@code crypto isakmp policy PRIORITY} with its lines; what is not configured has the IOS
     * default (encryption des, hash sha, authentication rsa-sig, group 1, lifetime 86400).
     *
     * @param priority        1-10000, 1 first.
     * @param encryption      {@code encryption des|3des|aes [128|192|256]} (also {@code encr}).
     * @param hash            {@code hash sha|sha256|sha384|md5}.
     * @param authentication  {@code authentication pre-share|rsa-sig|rsa-encr}.
     * @param group           {@code group N}.
     * @param lifetimeSeconds {@code lifetime S}, 60-86400.
     */
    public record Policy(
        int priority,
        Encryption encryption,
        Hash hash,
        Authentication authentication,
        DhGroup group,
        int lifetimeSeconds)
    {
        public static final int DEFAULT_LIFETIME = 86400;
        public static final Encryption DEFAULT_ENCRYPTION = Encryption.DES;
        public static final Hash DEFAULT_HASH = Hash.SHA;
        public static final Authentication DEFAULT_AUTHENTICATION = Authentication.RSA_SIG;
        public static final DhGroup DEFAULT_GROUP = DhGroup.GROUP1;
    }

    /** IKE SA ciphers, with their key lengths. */
    public enum Encryption
    {
        DES("des", "DES/CBC/NoPadding", 8),
        TRIPLE_DES("3des", "DESede/CBC/NoPadding", 24),
        AES_128("aes", "AES/CBC/NoPadding", 16),
        AES_192("aes 192", "AES/CBC/NoPadding", 24),
        AES_256("aes 256", "AES/CBC/NoPadding", 32);

        private final String keywords;
        private final String transformation;
        private final int keyLength;

        Encryption(final String keywords, final String transformation, final int keyLength)
        {
            this.keywords = keywords;
            this.transformation = transformation;
            this.keyLength = keyLength;
        }

        /** How the running configuration writes it after {@code encryption}. */
        public String keywords()
        {
            return keywords;
        }

        /** The JCE transformation. */
        public String transformation()
        {
            return transformation;
        }

        /** The key in bytes. */
        public int keyLength()
        {
            return keyLength;
        }
    }

    /** IKE SA hashes (as HMAC for the PRF and integrity). */
    public enum Hash
    {
        SHA("sha", "HmacSHA1"),
        SHA256("sha256", "HmacSHA256"),
        SHA384("sha384", "HmacSHA384"),
        MD5("md5", "HmacMD5");

        private final String keyword;
        private final String mac;

        Hash(final String keyword, final String mac)
        {
            this.keyword = keyword;
            this.mac = mac;
        }

        public String keyword()
        {
            return keyword;
        }

        /** The JCE Mac algorithm. */
        public String mac()
        {
            return mac;
        }
    }

    public enum Authentication
    {
        PRE_SHARE("pre-share"),
        RSA_SIG("rsa-sig"),
        RSA_ENCR("rsa-encr");

        private final String keyword;

        Authentication(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }

    /**
     * {@code crypto isakmp key KEY address A [MASK] [no-xauth]} or
     * {@code crypto isakmp key KEY hostname H [no-xauth]}.
     *
     * @param key      the pre-shared key, as configured.
     * @param address  the peer address and mask (host bits kept as configured); /32 when no mask is given.
     * @param hostname the peer's host name, for peers identified by name.
     * @param noXauth  {@code no-xauth}: do not ask this peer for Xauth.
     */
    public record PresharedKey(Secret key, Optional<Ip4Subnet> address, Optional<String> hostname, boolean noXauth)
    {
        /** True if the key applies to the peer at that address. */
        public boolean matches(final Ip4 peer)
        {
            return address.isPresent() && address.get().contains(peer);
        }
    }

    /**
     * {@code crypto isakmp keepalive SECONDS [RETRY] [periodic|on-demand]}: dead peer detection
     * (RFC 3706) or Cisco keepalives, whichever the peer supports.
     *
     * @param seconds      10-3600: with periodic, the interval between R-U-THERE messages; on demand, how long
     *                     a peer may stay silent while we send before we ask.
     * @param retrySeconds 2-60, 2 by default: the interval between retransmissions of an unanswered R-U-THERE.
     * @param mode         on-demand by default.
     */
    public record Keepalive(int seconds, int retrySeconds, DpdMode mode)
    {
        public static final int DEFAULT_RETRY = 2;
    }

    public enum DpdMode
    {
        /** Ask only when there is traffic to send and nothing has come back: the IOS default. */
        ON_DEMAND("on-demand"),
        /** Ask at every interval. */
        PERIODIC("periodic");

        private final String keyword;

        DpdMode(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }

    /** {@code crypto isakmp identity}: what we send as our IKE identity. */
    public enum Identity
    {
        ADDRESS("address"),
        HOSTNAME("hostname"),
        DN("dn");

        private final String keyword;

        Identity(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }
}
