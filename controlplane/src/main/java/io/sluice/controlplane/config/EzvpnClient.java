package io.sluice.controlplane.config;

import java.util.List;
import java.util.Optional;

/**
 * {@code crypto ipsec client ezvpn NAME}: the remote side of Cisco Easy VPN (IKEv1 with Xauth and
 * mode config), bound to interfaces with {@code crypto ipsec client ezvpn NAME [inside|outside]}.
 *
 * @param name    the name.
 * @param connect {@code connect auto|manual}, auto by default.
 * @param group   {@code group NAME key KEY}.
 * @param mode    {@code mode client|network-extension|network-plus}, client by default.
 * @param peers   {@code peer A}, in failover order.
 */
public record EzvpnClient(String name, Connect connect, Optional<Group> group, Mode mode, List<CryptoMap.Peer> peers)
{
    public EzvpnClient
    {
        peers = List.copyOf(peers);
    }

    public enum Connect
    {
        AUTO("auto"),
        MANUAL("manual");

        private final String keyword;

        Connect(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }

    public enum Mode
    {
        CLIENT("client"),
        NETWORK_EXTENSION("network-extension"),
        NETWORK_PLUS("network-plus");

        private final String keyword;

        Mode(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }

    /**
     * @param name the Easy VPN group.
     * @param key  its pre-shared key.
     */
    public record Group(String name, Secret key)
    {
    }
}
