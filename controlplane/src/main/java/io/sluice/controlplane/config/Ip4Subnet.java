package io.sluice.controlplane.config;

/**
 * An address with a prefix length: an interface address ({@code ip address 10.0.0.1
 * 255.255.255.0} keeps its host part), a route's prefix, an ACL's address and wildcard, or a
 * pre-shared key's peer range. Whether host bits may be set depends on where it is used, so this
 * type does not normalise.
 *
 * @param address      the address as configured.
 * @param prefixLength 0-32.
 */
public record Ip4Subnet(Ip4 address, int prefixLength)
{
    /** 0.0.0.0/0: any address. */
    public static final Ip4Subnet ANY = new Ip4Subnet(Ip4.ZERO, 0);

    public Ip4Subnet
    {
        if (prefixLength < 0 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefix length " + prefixLength);
        }
    }

    public static Ip4Subnet host(final Ip4 address)
    {
        return new Ip4Subnet(address, 32);
    }

    public Ip4 mask()
    {
        return Ip4.mask(prefixLength);
    }

    /** The ACL form of the mask: 0.0.0.255 for /24. */
    public Ip4 wildcard()
    {
        return mask().inverse();
    }

    /** The address with its host bits cleared. */
    public Ip4 network()
    {
        return address.and(mask());
    }

    public boolean hasHostBits()
    {
        return !network().equals(address);
    }

    public boolean contains(final Ip4 other)
    {
        return other.and(mask()).equals(network());
    }

    /** True if the two networks share an address. */
    public boolean overlaps(final Ip4Subnet other)
    {
        final int shorter = Math.min(prefixLength, other.prefixLength);
        final Ip4 mask = Ip4.mask(shorter);
        return address.and(mask).equals(other.address.and(mask));
    }

    @Override
    public String toString()
    {
        return address + "/" + prefixLength;
    }
}
