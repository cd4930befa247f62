package io.sluice.controlplane.config;

import java.util.List;
import java.util.Optional;

/**
 * {@code crypto map NAME SEQ ipsec-isakmp|ipsec-manual} entries of one map, applied to an
 * interface with {@code crypto map NAME}.
 *
 * @param name                the map's name.
 * @param entries             by sequence number, lowest first.
 * @param clientConfiguration {@code crypto map NAME client configuration address initiate|respond} (mode config).
 */
public record CryptoMap(String name, List<Entry> entries, Optional<ClientConfiguration> clientConfiguration)
{
    public CryptoMap
    {
        entries = List.copyOf(entries);
    }

    public enum ClientConfiguration
    {
        INITIATE("initiate"),
        RESPOND("respond");

        private final String keyword;

        ClientConfiguration(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }

    public enum Keying
    {
        /** SAs negotiated by IKE. */
        ISAKMP("ipsec-isakmp"),
        /** SAs from {@code set session-key}: fixed keys, no lifetime, no anti-replay. */
        MANUAL("ipsec-manual");

        private final String keyword;

        Keying(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }

    /**
     * One sequence number of a crypto map.
     *
     * @param sequence      1-65535.
     * @param keying        IKE or manual.
     * @param description   {@code description TEXT}.
     * @param peers         {@code set peer}, in the order failover tries them.
     * @param transformSets {@code set transform-set}, in order of preference (one for a manual entry).
     * @param matchAddress  {@code match address ACL}: the traffic to protect.
     * @param lifetime      {@code set security-association lifetime}, else the global lifetime.
     * @param pfs           {@code set pfs [groupN]}.
     * @param inbound       {@code set session-key inbound esp ...} (manual).
     * @param outbound      {@code set session-key outbound esp ...} (manual).
     * @param dynamicMap    {@code crypto map NAME SEQ ipsec-isakmp dynamic DYNNAME}: the entry takes its settings
     *                      from that {@link DynamicMap} and any peer that authenticates; it has no others.
     */
    public record Entry(
        int sequence,
        Keying keying,
        Optional<String> description,
        List<Peer> peers,
        List<String> transformSets,
        Optional<String> matchAddress,
        Ipsec.Lifetime lifetime,
        Optional<DhGroup> pfs,
        Optional<SessionKey> inbound,
        Optional<SessionKey> outbound,
        Optional<String> dynamicMap)
    {
        public Entry
        {
            peers = List.copyOf(peers);
            transformSets = List.copyOf(transformSets);
        }
    }

    /**
     * {@code set peer ADDRESS|HOSTNAME}: a name is one defined by {@code ip host}.
     *
     * @param hostname the name as configured, if a name was given.
     * @param address  the address, resolved through {@code ip host} for a name.
     */
    public record Peer(Optional<String> hostname, Ip4 address)
    {
        public static Peer of(final Ip4 address)
        {
            return new Peer(Optional.empty(), address);
        }

        /** As configured: the name, else the address. */
        public String text()
        {
            return hostname.orElse(address.toString());
        }
    }

    /**
     * {@code set session-key inbound|outbound esp SPI cipher HEX [authenticator HEX]}: the keys
     * of one manual SA. Lengths match the entry's transform set.
     *
     * @param spi           256-4294967295.
     * @param cipher        the cipher key (with the 4-byte salt after it for AES-GCM); empty for esp-null.
     * @param authenticator the HMAC key; empty for AES-GCM.
     */
    public record SessionKey(long spi, Optional<KeyMaterial> cipher, Optional<KeyMaterial> authenticator)
    {
    }
}
