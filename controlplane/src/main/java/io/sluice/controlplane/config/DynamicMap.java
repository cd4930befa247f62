package io.sluice.controlplane.config;

import java.util.List;
import java.util.Optional;

/**
 * {@code crypto dynamic-map NAME SEQ} entries of one dynamic map: a template for peers whose
 * address is not known in advance (remote-access clients, sites on dynamic addresses), used by a
 * {@code crypto map NAME SEQ ipsec-isakmp dynamic DYNNAME} entry. It names no peer: any peer that
 * authenticates (a wildcard {@code crypto isakmp key K address 0.0.0.0 0.0.0.0}, or a
 * certificate) may negotiate SAs under it (reference 004).
 *
 * @param name    the dynamic map's name.
 * @param entries by sequence number, lowest first.
 */
public record DynamicMap(String name, List<Entry> entries)
{
    public DynamicMap
    {
        entries = List.copyOf(entries);
    }

    /**
     * One sequence number of a dynamic map.
     *
     * @param sequence      1-65535.
     * @param description   {@code description TEXT}.
     * @param transformSets {@code set transform-set}, in order of preference.
     * @param matchAddress  {@code match address ACL}: optional; bounds the proxy identities a peer may propose
     *                      (its first permit rule: source ours, destination the peer's).
     * @param lifetime      {@code set security-association lifetime}, else the global lifetime.
     * @param pfs           {@code set pfs [groupN]}.
     * @param reverseRoute  {@code reverse-route}: route each peer's protected network (its remote proxy
     *                      identity) into its tunnel while its SAs are up.
     */
    public record Entry(
        int sequence,
        Optional<String> description,
        List<String> transformSets,
        Optional<String> matchAddress,
        Ipsec.Lifetime lifetime,
        Optional<DhGroup> pfs,
        boolean reverseRoute)
    {
        public Entry
        {
            transformSets = List.copyOf(transformSets);
        }
    }
}
