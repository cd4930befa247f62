package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;

/**
 * An IPv4 traffic selector (RFC 7296 3.13.1, TS_IPV4_ADDR_RANGE): a protocol (0: any), a port
 * range and an address range, inclusive.
 */
public record TrafficSelector(int protocol, int startPort, int endPort, Ip4 start, Ip4 end)
{
    public static TrafficSelector of(final Ip4Subnet subnet)
    {
        return of(subnet, 0);
    }

    /** The whole subnet, all ports, one protocol (0: any). */
    public static TrafficSelector of(final Ip4Subnet subnet, final int protocol)
    {
        return new TrafficSelector(protocol, 0, 65535, subnet.network(), new Ip4(subnet.network().bits() |
            subnet.wildcard().bits()));
    }

    /** True if every packet this selects is also selected by {@code outer}. */
    public boolean within(final TrafficSelector outer)
    {
        return (outer.protocol == 0 || outer.protocol == protocol) && outer.startPort <= startPort &&
            endPort <= outer.endPort && outer.start.unsigned() <= start.unsigned() &&
            end.unsigned() <= outer.end.unsigned();
    }

    /** The part of this selector inside {@code other}, or null if they do not overlap (narrowing, 2.9). */
    public TrafficSelector intersect(final TrafficSelector other)
    {
        if (protocol != 0 && other.protocol != 0 && protocol != other.protocol)
        {
            return null;
        }
        final long s = Math.max(start.unsigned(), other.start.unsigned());
        final long e = Math.min(end.unsigned(), other.end.unsigned());
        final int ps = Math.max(startPort, other.startPort);
        final int pe = Math.min(endPort, other.endPort);
        if (s > e || ps > pe)
        {
            return null;
        }
        return new TrafficSelector(protocol != 0 ? protocol : other.protocol, ps, pe, new Ip4((int)s), new Ip4((int)e));
    }

    /** "10.0.0.0/24", "10.0.0.1/32 proto 47", "10.0.0.1-10.0.0.9 port 500": as ChildSa's selectors read. */
    @Override
    public String toString()
    {
        final long size = end.unsigned() - start.unsigned() + 1;
        String range = start + "-" + end;
        if (Long.bitCount(size) == 1 && (start.unsigned() & (size - 1)) == 0)
        {
            range = start + "/" + (32 - Long.numberOfTrailingZeros(size));
        }
        final String ports = startPort == 0 && endPort == 65535 ? "" : startPort == endPort ? " port " + startPort :
            " ports " + startPort + "-" + endPort;
        return range + (protocol != 0 ? " proto " + protocol : "") + ports;
    }
}
