package io.sluice.controlplane.config;

/**
 * {@code ip local pool NAME START [END]}: addresses handed to IKE mode-config clients and PPP peers.
 *
 * @param name  the pool's name.
 * @param start the first address.
 * @param end   the last address, equal to start for a single address.
 */
public record LocalPool(String name, Ip4 start, Ip4 end)
{
    public long size()
    {
        return end.unsigned() - start.unsigned() + 1;
    }
}
