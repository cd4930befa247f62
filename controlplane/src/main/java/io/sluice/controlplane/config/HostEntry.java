package io.sluice.controlplane.config;

import java.util.List;

/**
 * {@code ip host NAME A1 [A2 ... A8]}: a static name, for {@code set peer NAME} and
 * {@code crypto isakmp key ... hostname NAME}. Sluice resolves no names through DNS.
 *
 * @param name      the host name.
 * @param addresses one to eight addresses, the first preferred.
 */
public record HostEntry(String name, List<Ip4> addresses)
{
    public HostEntry
    {
        addresses = List.copyOf(addresses);
    }
}
