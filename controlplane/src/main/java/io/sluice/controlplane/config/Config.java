package io.sluice.controlplane.config;

import java.util.List;
import java.util.Optional;

/**
 * A whole configuration, checked: every name it uses is defined, every number in range, every
 * key the right length. Immutable; built only by {@link ConfigParser}, printed back by
 * {@link RunningConfig}. Secrets are kept (IKE and the dataplane need them) but no
 * {@code toString()} here shows them.
 *
 * @param hostname      {@code hostname NAME}.
 * @param interfaces    in order of definition.
 * @param routes        {@code ip route}, in order.
 * @param accessLists   numbered and named, in order of first use.
 * @param hosts         {@code ip host}, in order.
 * @param localPools    {@code ip local pool}, in order.
 * @param isakmp        IKEv1 settings.
 * @param ipsec         transform sets, profiles, global lifetime.
 * @param ikev2         {@code crypto ikev2} proposals, policies, keyrings and profiles.
 * @param dynamicMaps   {@code crypto dynamic-map}, in order of definition.
 * @param cryptoMaps    in order of definition.
 * @param ezvpnClients  {@code crypto ipsec client ezvpn}, in order.
 * @param rsaPublicKeys {@code crypto key pubkey-chain rsa}, in order.
 * @param vpdn          L2TP.
 * @param redundancy    {@code redundancy} / {@code mode sso}, if configured.
 * @param dataplane     the {@code sluice dataplane} settings, defaults filled in.
 * @param pki           the {@code sluice pki} files, if configured.
 */
public record Config(
    Optional<String> hostname,
    List<InterfaceConfig> interfaces,
    List<StaticRoute> routes,
    List<AccessList> accessLists,
    List<HostEntry> hosts,
    List<LocalPool> localPools,
    Isakmp isakmp,
    Ipsec ipsec,
    CryptoIkev2 ikev2,
    List<DynamicMap> dynamicMaps,
    List<CryptoMap> cryptoMaps,
    List<EzvpnClient> ezvpnClients,
    List<RsaPublicKey> rsaPublicKeys,
    Vpdn vpdn,
    Optional<Redundancy> redundancy,
    DataplaneSettings dataplane,
    Optional<Pki> pki)
{
    public Config
    {
        interfaces = List.copyOf(interfaces);
        routes = List.copyOf(routes);
        accessLists = List.copyOf(accessLists);
        hosts = List.copyOf(hosts);
        localPools = List.copyOf(localPools);
        dynamicMaps = List.copyOf(dynamicMaps);
        cryptoMaps = List.copyOf(cryptoMaps);
        ezvpnClients = List.copyOf(ezvpnClients);
        rsaPublicKeys = List.copyOf(rsaPublicKeys);
    }

    public Optional<InterfaceConfig> interfaceNamed(final String name)
    {
        return interfaces.stream().filter(i -> i.name().equals(name)).findFirst();
    }

    public Optional<AccessList> accessList(final String name)
    {
        return accessLists.stream().filter(a -> a.name().equals(name)).findFirst();
    }

    public Optional<CryptoMap> cryptoMap(final String name)
    {
        return cryptoMaps.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    public Optional<DynamicMap> dynamicMap(final String name)
    {
        return dynamicMaps.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    public Optional<EzvpnClient> ezvpnClient(final String name)
    {
        return ezvpnClients.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    public List<InterfaceConfig> tunnels()
    {
        return interfaces.stream().filter(i -> i.kind() == InterfaceConfig.Kind.TUNNEL).toList();
    }
}
