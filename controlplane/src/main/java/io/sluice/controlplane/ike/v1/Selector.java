package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;

import java.nio.ByteBuffer;

/**
 * A quick mode proxy identity (RFC 2407 4.6.2): an IPv4 prefix, an IP protocol (0: any) and a
 * port (0: any). A /32 goes on the wire as ID_IPV4_ADDR, anything wider as ID_IPV4_ADDR_SUBNET.
 */
public record Selector(Ip4Subnet subnet, int protocol, int port)
{
    public static Selector host(final Ip4 address)
    {
        return new Selector(Ip4Subnet.host(address), 0, 0);
    }

    public static Selector of(final Ip4Subnet subnet)
    {
        return new Selector(subnet, 0, 0);
    }

    public Payload.Identification toPayload()
    {
        if (subnet.prefixLength() == 32)
        {
            return new Payload.Identification(Ikev1.ID_IPV4_ADDR, protocol, port,
                ByteBuffer.allocate(4).putInt(subnet.address().bits()).array());
        }
        return new Payload.Identification(Ikev1.ID_IPV4_ADDR_SUBNET, protocol, port,
            ByteBuffer.allocate(8).putInt(subnet.network().bits()).putInt(subnet.mask().bits()).array());
    }

    /**
     * The selector of a quick mode ID payload.
     *
     * @throws Ikev1Exception (INVALID-ID-INFORMATION) for a type other than an IPv4 address or subnet,
     *                        a wrong length or a non-contiguous mask.
     */
    public static Selector read(final Payload.Identification id)
    {
        final byte[] d = id.data();
        final ByteBuffer b = ByteBuffer.wrap(d);
        if (id.idType() == Ikev1.ID_IPV4_ADDR && d.length == 4)
        {
            return new Selector(Ip4Subnet.host(new Ip4(b.getInt())), id.protocol(), id.port());
        }
        if (id.idType() == Ikev1.ID_IPV4_ADDR_SUBNET && d.length == 8)
        {
            final Ip4 address = new Ip4(b.getInt());
            final Ip4 mask = new Ip4(b.getInt());
            if (!mask.isContiguousMask())
            {
                throw new Ikev1Exception(Ikev1.INVALID_ID_INFORMATION, "proxy identity with mask " + mask);
            }
            return new Selector(new Ip4Subnet(address.and(mask), mask.maskLength()), id.protocol(), id.port());
        }
        throw new Ikev1Exception(Ikev1.INVALID_ID_INFORMATION, "proxy identity of type " + id.idType() + " and " +
            d.length + " bytes (IPv4 address or subnet expected)");
    }

    /** True if everything {@code other} selects is selected by this. */
    public boolean covers(final Selector other)
    {
        return subnet.prefixLength() <= other.subnet.prefixLength() && subnet.contains(other.subnet.address()) &&
            (protocol == 0 || protocol == other.protocol) && (port == 0 || port == other.port);
    }

    @Override
    public String toString()
    {
        return subnet.network() + "/" + subnet.prefixLength() + (protocol != 0 ? " proto " + protocol : "") +
            (port != 0 ? " port " + port : "");
    }
}
