package io.sluice.controlplane.config;

/**
 * Diffie-Hellman groups as IOS numbers them (the IANA IKE group numbers): for
 * {@code crypto isakmp policy} {@code group N} and {@code set pfs groupN}.
 */
public enum DhGroup
{
    GROUP1(1, "768-bit MODP (RFC 2409)"),
    GROUP2(2, "1024-bit MODP (RFC 2409)"),
    GROUP5(5, "1536-bit MODP (RFC 3526)"),
    GROUP14(14, "2048-bit MODP (RFC 3526)"),
    GROUP15(15, "3072-bit MODP (RFC 3526)"),
    GROUP16(16, "4096-bit MODP (RFC 3526)"),
    GROUP19(19, "256-bit random ECP (RFC 5903)"),
    GROUP20(20, "384-bit random ECP (RFC 5903)"),
    GROUP24(24, "2048-bit MODP with 256-bit prime order subgroup (RFC 5114)");

    private final int number;
    private final String description;

    DhGroup(final int number, final String description)
    {
        this.number = number;
        this.description = description;
    }

    /** The IANA number, as in {@code group 14}. */
    public int number()
    {
        return number;
    }

    public String description()
    {
        return description;
    }

    /** The group of that number, or null. */
    public static DhGroup ofNumber(final int number)
    {
        for (final DhGroup group : values())
        {
            if (group.number == number)
            {
                return group;
            }
        }
        return null;
    }

    /** "1, 2, 5, 14, 15, 16, 19, 20, 24" with a prefix before each number. */
    static String list(final String prefix)
    {
        final StringBuilder text = new StringBuilder();
        for (final DhGroup group : values())
        {
            text.append(text.isEmpty() ? "" : ", ").append(prefix).append(group.number);
        }
        return text.toString();
    }
}
