package io.sluice.controlplane.config;

import java.util.Optional;

/**
 * {@code ip route PREFIX MASK (IF | NEXTHOP | IF NEXTHOP) [DISTANCE]}.
 *
 * @param prefix        the destination, without host bits.
 * @param interfaceName the outgoing interface, if given.
 * @param nextHop       the next hop, if given; without an interface it is resolved through the other routes.
 * @param distance      administrative distance 1-255, 1 by default.
 */
public record StaticRoute(Ip4Subnet prefix, Optional<String> interfaceName, Optional<Ip4> nextHop, int distance)
{
    public static final int DEFAULT_DISTANCE = 1;
}
