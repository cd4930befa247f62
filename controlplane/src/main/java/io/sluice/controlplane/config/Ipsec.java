package io.sluice.controlplane.config;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.util.List;
import java.util.Optional;

/**
 * {@code crypto ipsec transform-set}, {@code crypto ipsec profile} and the global
 * {@code crypto ipsec security-association lifetime}.
 *
 * @param transformSets  in order of definition.
 * @param profiles       in order of definition.
 * @param globalLifetime what entries and profiles without their own lifetime use.
 */
public record Ipsec(List<TransformSet> transformSets, List<Profile> profiles, Lifetime globalLifetime)
{
    public Ipsec
    {
        transformSets = List.copyOf(transformSets);
        profiles = List.copyOf(profiles);
    }

    public Optional<TransformSet> transformSet(final String name)
    {
        return transformSets.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    public Optional<Profile> profile(final String name)
    {
        return profiles.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /**
     * {@code crypto ipsec transform-set NAME TRANSFORM...} mapped to the dataplane's algorithms.
     * Only ESP: IOS's {@code ah-*} and {@code comp-lzs} are refused.
     *
     * @param name       the name.
     * @param encryption ESP cipher; {@link EspEncryption#NULL} for {@code esp-null} or an authentication-only set.
     * @param integrity  ESP integrity; {@link EspIntegrity#NONE} with AES-GCM.
     * @param mode       {@code mode tunnel} (default) or {@code mode transport}.
     */
    public record TransformSet(String name, EspEncryption encryption, EspIntegrity integrity, EncapsulationMode mode)
    {
        /** The IOS transform keywords, as the running configuration writes them: "esp-aes 256 esp-sha-hmac". */
        public String transforms()
        {
            return Transforms.keywords(encryption, integrity);
        }
    }

    public enum EncapsulationMode
    {
        TUNNEL("tunnel"),
        TRANSPORT("transport");

        private final String keyword;

        EncapsulationMode(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }

    /**
     * {@code crypto ipsec profile NAME}: the IPsec policy of a protected tunnel interface.
     *
     * @param name          the name.
     * @param transformSets {@code set transform-set T...}, in order of preference.
     * @param lifetime      {@code set security-association lifetime}, else the global lifetime.
     * @param pfs           {@code set pfs [groupN]}; empty: no PFS.
     * @param ikev2Profile  {@code set ikev2-profile NAME}: IKEv2 instead of IKEv1.
     */
    public record Profile(
        String name,
        List<String> transformSets,
        Lifetime lifetime,
        Optional<DhGroup> pfs,
        Optional<String> ikev2Profile)
    {
        public Profile
        {
            transformSets = List.copyOf(transformSets);
        }
    }

    /**
     * SA lifetimes: the SA is renegotiated at whichever comes first.
     *
     * @param seconds   120-86400, 3600 by default.
     * @param kilobytes 2560-4294967295, 4608000 by default.
     */
    public record Lifetime(long seconds, long kilobytes)
    {
        public static final long DEFAULT_SECONDS = 3600;
        public static final long DEFAULT_KILOBYTES = 4_608_000;
        public static final Lifetime DEFAULT = new Lifetime(DEFAULT_SECONDS, DEFAULT_KILOBYTES);
    }
}
