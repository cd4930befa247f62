package io.sluice.controlplane.config;

import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * {@code show running-config}: a {@link Config} written back in IOS layout, which
 * {@link ConfigParser} reads back into an equal model. As IOS does, values that are the default
 * are left out (a policy's {@code encryption des}, a transform set's {@code mode tunnel}...).
 * <p>
 * Secrets (pre-shared keys, NHRP authentication, Easy VPN group keys, L2TP tunnel passwords,
 * manual session keys) are printed as configured, as IOS prints them in running-config with
 * {@code no service password-encryption}: showing the running configuration is a privileged
 * operation, like reading the file itself. Everything else in this package keeps them out of
 * {@code toString()}.
 */
public final class RunningConfig
{
    private final StringBuilder out = new StringBuilder();

    private RunningConfig()
    {
    }

    public static String render(final Config config)
    {
        final RunningConfig writer = new RunningConfig();
        writer.write(config);
        return writer.out.toString();
    }

    private void line(final String text)
    {
        out.append(text).append('\n');
    }

    private void bang()
    {
        line("!");
    }

    private void write(final Config c)
    {
        line("! Sluice running configuration");
        c.hostname().ifPresent(h ->
        {
            line("hostname " + h);
            bang();
        });
        vpdn(c.vpdn());
        c.redundancy().ifPresent(r ->
        {
            line("redundancy");
            line(" mode sso");
            bang();
        });
        pubkeys(c.rsaPublicKeys());
        isakmp(c.isakmp());
        ikev2(c.ikev2());
        ipsec(c.ipsec());
        for (final EzvpnClient e : c.ezvpnClients())
        {
            ezvpn(e);
        }
        for (final DynamicMap map : c.dynamicMaps())
        {
            dynamicMap(map, c.ipsec().globalLifetime());
        }
        for (final CryptoMap map : c.cryptoMaps())
        {
            cryptoMap(map, c.ipsec().globalLifetime());
        }
        for (final InterfaceConfig i : c.interfaces())
        {
            iface(i);
        }
        for (final LocalPool pool : c.localPools())
        {
            line("ip local pool " + pool.name() + " " + pool.start() +
                (pool.end().equals(pool.start()) ? "" : " " + pool.end()));
        }
        for (final StaticRoute route : c.routes())
        {
            line("ip route " + route.prefix().network() + " " + route.prefix().mask() +
                route.interfaceName().map(n -> " " + n).orElse("") +
                route.nextHop().map(n -> " " + n).orElse("") +
                (route.distance() != StaticRoute.DEFAULT_DISTANCE ? " " + route.distance() : ""));
        }
        for (final HostEntry host : c.hosts())
        {
            line("ip host " + host.name() + " " +
                host.addresses().stream().map(Ip4::toString).collect(Collectors.joining(" ")));
        }
        if (!c.localPools().isEmpty() || !c.routes().isEmpty() || !c.hosts().isEmpty())
        {
            bang();
        }
        for (final AccessList acl : c.accessLists())
        {
            accessList(acl);
        }
        dataplane(c.dataplane());
        c.pki().ifPresent(p ->
        {
            line("sluice pki");
            line(" certificate " + p.certificate());
            line(" private-key " + p.privateKey());
            line(" ca-certificate " + p.caCertificate());
            bang();
        });
        line("end");
    }

    private void vpdn(final Vpdn vpdn)
    {
        if (vpdn.enabled())
        {
            line("vpdn enable");
        }
        if (!vpdn.l2tpSso())
        {
            line("no l2tp sso enable");
        }
        if (vpdn.enabled() || !vpdn.l2tpSso())
        {
            bang();
        }
        for (final Vpdn.Group g : vpdn.groups())
        {
            line("vpdn-group " + g.name());
            g.acceptDialin().ifPresent(d -> dialin("accept-dialin", d));
            g.requestDialin().ifPresent(d -> dialin("request-dialin", d));
            for (final Vpdn.InitiateTo to : g.initiateTo())
            {
                line(" initiate-to ip " + to.address() +
                    (to.limit().isPresent() ? " limit " + to.limit().getAsInt() : "") +
                    (to.priority().isPresent() ? " priority " + to.priority().getAsInt() : ""));
            }
            g.terminateFrom().ifPresent(h -> line(" terminate-from hostname " + h));
            g.localName().ifPresent(h -> line(" local name " + h));
            g.sourceIp().ifPresent(a -> line(" source-ip " + a));
            if (!g.sso())
            {
                line(" no sso enable");
            }
            g.tunnelPassword().ifPresent(p -> line(" l2tp tunnel password " + p.value()));
            if (g.tunnelAuthentication())
            {
                line(" l2tp tunnel authentication");
            }
            g.resync().ifPresent(n -> line(" l2tp tunnel resync " + n));
            g.retransmitRetries().ifPresent(n -> line(" l2tp tunnel retransmit retries " + n));
            g.retransmitTimeoutMin().ifPresent(n -> line(" l2tp tunnel retransmit timeout min " + n));
            g.retransmitTimeoutMax().ifPresent(n -> line(" l2tp tunnel retransmit timeout max " + n));
            g.helloSeconds().ifPresent(n -> line(" l2tp tunnel hello " + n));
            g.receiveWindow().ifPresent(n -> line(" l2tp tunnel receive-window " + n));
            bang();
        }
    }

    private void dialin(final String kind, final Vpdn.Dialin d)
    {
        line(" " + kind);
        if (d.protocolConfigured())
        {
            line("  protocol l2tp");
        }
        d.virtualTemplate().ifPresent(n -> line("  virtual-template " + n));
        d.domain().ifPresent(n -> line("  domain " + n));
    }

    private void pubkeys(final List<RsaPublicKey> keys)
    {
        if (keys.isEmpty())
        {
            return;
        }
        line("crypto key pubkey-chain rsa");
        for (final RsaPublicKey key : keys)
        {
            line(" " + (key.addressed() ? "addressed-key " : "named-key ") + key.name() +
                (key.usage() == RsaPublicKey.Usage.GENERAL ? "" : " " + key.usage().keyword()));
            if (!key.addressed())
            {
                key.address().ifPresent(a -> line("  address " + a));
            }
            line("  key-string");
            final String hex = HexFormat.of().formatHex(key.key().bytes()).toUpperCase(Locale.ROOT);
            for (int start = 0; start < hex.length(); start += 64)
            {
                final String row = hex.substring(start, Math.min(hex.length(), start + 64));
                final StringBuilder words = new StringBuilder("   ");
                for (int w = 0; w < row.length(); w += 8)
                {
                    words.append(w == 0 ? "" : " ").append(row, w, Math.min(row.length(), w + 8));
                }
                line(words.toString());
            }
            line("  quit");
        }
        bang();
    }

    private void ikev2(final CryptoIkev2 v2)
    {
        for (final CryptoIkev2.Proposal p : v2.proposals())
        {
            line("crypto ikev2 proposal " + p.name());
            if (!p.encryptions().isEmpty())
            {
                line(" encryption " + String.join(" ", p.encryptions().stream().map(CryptoIkev2.Encryption::keyword)
                    .toList()));
            }
            if (!p.integrities().isEmpty())
            {
                line(" integrity " + String.join(" ", p.integrities().stream().map(CryptoIkev2.Hash::keyword).toList()));
            }
            if (!p.prfs().isEmpty())
            {
                line(" prf " + String.join(" ", p.prfs().stream().map(CryptoIkev2.Hash::keyword).toList()));
            }
            if (!p.groups().isEmpty())
            {
                line(" group " + String.join(" ", p.groups().stream().map(String::valueOf).toList()));
            }
            bang();
        }
        for (final CryptoIkev2.Policy p : v2.policies())
        {
            line("crypto ikev2 policy " + p.name());
            p.matchLocalAddress().ifPresent(a -> line(" match address local " + a));
            if (!p.proposals().isEmpty())
            {
                line(" proposal " + String.join(" ", p.proposals()));
            }
            bang();
        }
        for (final CryptoIkev2.Keyring k : v2.keyrings())
        {
            line("crypto ikev2 keyring " + k.name());
            for (final CryptoIkev2.KeyringPeer peer : k.peers())
            {
                line(" peer " + peer.name());
                line("  address " + peer.address().address() + (peer.address().prefixLength() < 32 ? " " +
                    peer.address().mask() : ""));
                if (peer.localKey().equals(peer.remoteKey()))
                {
                    line("  pre-shared-key " + peer.localKey().value());
                }
                else
                {
                    line("  pre-shared-key local " + peer.localKey().value());
                    line("  pre-shared-key remote " + peer.remoteKey().value());
                }
            }
            bang();
        }
        for (final CryptoIkev2.Profile p : v2.profiles())
        {
            line("crypto ikev2 profile " + p.name());
            for (final Ip4Subnet m : p.matchRemote())
            {
                line(" match identity remote address " + m.address() + (m.prefixLength() < 32 ? " " + m.mask() : ""));
            }
            line(" identity local " + p.localFqdn().map(f -> "fqdn " + f).orElse("address"));
            line(" authentication local " + (p.localRsaSig() ? "rsa-sig" : "pre-share"));
            line(" authentication remote " + (p.remoteRsaSig() ? "rsa-sig" : "pre-share"));
            if (!p.keyring().isEmpty())
            {
                line(" keyring local " + p.keyring());
            }
            p.dpd().ifPresent(d -> line(" dpd " + d.seconds() + " " + d.retrySeconds() + " " + d.mode().keyword()));
            if (p.lifetimeSeconds() != CryptoIkev2.Profile.DEFAULT_LIFETIME)
            {
                line(" lifetime " + p.lifetimeSeconds());
            }
            bang();
        }
        v2.cookieChallenge().ifPresent(n ->
        {
            line("crypto ikev2 cookie-challenge " + n);
            bang();
        });
    }

    private void isakmp(final Isakmp isakmp)
    {
        for (final Isakmp.Policy p : isakmp.policies())
        {
            line("crypto isakmp policy " + p.priority());
            if (p.encryption() != Isakmp.Policy.DEFAULT_ENCRYPTION)
            {
                line(" encryption " + p.encryption().keywords());
            }
            if (p.hash() != Isakmp.Policy.DEFAULT_HASH)
            {
                line(" hash " + p.hash().keyword());
            }
            if (p.authentication() != Isakmp.Policy.DEFAULT_AUTHENTICATION)
            {
                line(" authentication " + p.authentication().keyword());
            }
            if (p.group() != Isakmp.Policy.DEFAULT_GROUP)
            {
                line(" group " + p.group().number());
            }
            if (p.lifetimeSeconds() != Isakmp.Policy.DEFAULT_LIFETIME)
            {
                line(" lifetime " + p.lifetimeSeconds());
            }
            bang();
        }
        for (final Isakmp.PresharedKey key : isakmp.keys())
        {
            line("crypto isakmp key " + key.key().value() +
                key.address().map(a -> " address " + a.address() + (a.prefixLength() < 32 ? " " + a.mask() : ""))
                    .orElse("") +
                key.hostname().map(h -> " hostname " + h).orElse("") +
                (key.noXauth() ? " no-xauth" : ""));
        }
        isakmp.keepalive().ifPresent(k -> line("crypto isakmp keepalive " + k.seconds() +
            (k.retrySeconds() != Isakmp.Keepalive.DEFAULT_RETRY ? " " + k.retrySeconds() : "") +
            (k.mode() == Isakmp.DpdMode.PERIODIC ? " periodic" : "")));
        if (isakmp.identity() != Isakmp.Identity.ADDRESS)
        {
            line("crypto isakmp identity " + isakmp.identity().keyword());
        }
        isakmp.clientAddressPool().ifPresent(p -> line("crypto isakmp client configuration address-pool local " + p));
        if (!isakmp.keys().isEmpty() || isakmp.keepalive().isPresent() || isakmp.clientAddressPool().isPresent() ||
            isakmp.identity() != Isakmp.Identity.ADDRESS)
        {
            bang();
        }
    }

    private void ipsec(final Ipsec ipsec)
    {
        final Ipsec.Lifetime global = ipsec.globalLifetime();
        if (global.seconds() != Ipsec.Lifetime.DEFAULT_SECONDS)
        {
            line("crypto ipsec security-association lifetime seconds " + global.seconds());
        }
        if (global.kilobytes() != Ipsec.Lifetime.DEFAULT_KILOBYTES)
        {
            line("crypto ipsec security-association lifetime kilobytes " + global.kilobytes());
        }
        for (final Ipsec.TransformSet set : ipsec.transformSets())
        {
            line("crypto ipsec transform-set " + set.name() + " " + set.transforms());
            if (set.mode() != Ipsec.EncapsulationMode.TUNNEL)
            {
                line(" mode " + set.mode().keyword());
            }
        }
        if (!ipsec.transformSets().isEmpty() || !global.equals(Ipsec.Lifetime.DEFAULT))
        {
            bang();
        }
        for (final Ipsec.Profile p : ipsec.profiles())
        {
            line("crypto ipsec profile " + p.name());
            lifetime(p.lifetime(), global);
            if (!p.transformSets().isEmpty())
            {
                line(" set transform-set " + String.join(" ", p.transformSets()));
            }
            p.pfs().ifPresent(g -> line(" set pfs group" + g.number()));
            p.ikev2Profile().ifPresent(n -> line(" set ikev2-profile " + n));
            bang();
        }
    }

    private void lifetime(final Ipsec.Lifetime lifetime, final Ipsec.Lifetime global)
    {
        if (lifetime.seconds() != global.seconds())
        {
            line(" set security-association lifetime seconds " + lifetime.seconds());
        }
        if (lifetime.kilobytes() != global.kilobytes())
        {
            line(" set security-association lifetime kilobytes " + lifetime.kilobytes());
        }
    }

    private void ezvpn(final EzvpnClient e)
    {
        line("crypto ipsec client ezvpn " + e.name());
        line(" connect " + e.connect().keyword());
        e.group().ifPresent(g -> line(" group " + g.name() + " key " + g.key().value()));
        line(" mode " + e.mode().keyword());
        for (final CryptoMap.Peer peer : e.peers())
        {
            line(" peer " + peer.text());
        }
        bang();
    }

    private void cryptoMap(final CryptoMap map, final Ipsec.Lifetime global)
    {
        map.clientConfiguration().ifPresent(c ->
            line("crypto map " + map.name() + " client configuration address " + c.keyword()));
        for (final CryptoMap.Entry e : map.entries())
        {
            if (e.dynamicMap().isPresent())
            {
                line("crypto map " + map.name() + " " + e.sequence() + " " + e.keying().keyword() + " dynamic " +
                    e.dynamicMap().get());
                continue;
            }
            line("crypto map " + map.name() + " " + e.sequence() + " " + e.keying().keyword());
            e.description().ifPresent(d -> line(" description " + d));
            for (final CryptoMap.Peer peer : e.peers())
            {
                line(" set peer " + peer.text());
            }
            e.inbound().ifPresent(k -> sessionKey("inbound", k));
            e.outbound().ifPresent(k -> sessionKey("outbound", k));
            lifetime(e.lifetime(), global);
            if (!e.transformSets().isEmpty())
            {
                line(" set transform-set " + String.join(" ", e.transformSets()));
            }
            e.pfs().ifPresent(g -> line(" set pfs group" + g.number()));
            e.matchAddress().ifPresent(a -> line(" match address " + a));
        }
        bang();
    }

    private void dynamicMap(final DynamicMap map, final Ipsec.Lifetime global)
    {
        for (final DynamicMap.Entry e : map.entries())
        {
            line("crypto dynamic-map " + map.name() + " " + e.sequence());
            e.description().ifPresent(d -> line(" description " + d));
            lifetime(e.lifetime(), global);
            if (!e.transformSets().isEmpty())
            {
                line(" set transform-set " + String.join(" ", e.transformSets()));
            }
            e.pfs().ifPresent(g -> line(" set pfs group" + g.number()));
            e.matchAddress().ifPresent(a -> line(" match address " + a));
            if (e.reverseRoute())
            {
                line(" reverse-route");
            }
        }
        bang();
    }

    private void sessionKey(final String direction, final CryptoMap.SessionKey key)
    {
        line(" set session-key " + direction + " esp " + key.spi() +
            key.cipher().map(k -> " cipher " + k.hex()).orElse("") +
            key.authenticator().map(k -> " authenticator " + k.hex()).orElse(""));
    }

    private void iface(final InterfaceConfig i)
    {
        line("interface " + i.name());
        i.description().ifPresent(d -> line(" description " + d));
        i.address().ifPresent(a -> line(" ip address " + a.address() + " " + a.mask()));
        for (final Ip4Subnet a : i.secondaryAddresses())
        {
            line(" ip address " + a.address() + " " + a.mask() + " secondary");
        }
        i.unnumbered().ifPresent(u -> line(" ip unnumbered " + u));
        if (i.address().isEmpty() && i.unnumbered().isEmpty())
        {
            line(" no ip address");
        }
        i.ipMtu().ifPresent(m -> line(" ip mtu " + m));
        i.tcpAdjustMss().ifPresent(m -> line(" ip tcp adjust-mss " + m));
        i.nhrp().ifPresent(this::nhrp);
        i.peerDefaultPool().ifPresent(p -> line(" peer default ip address pool " + p));
        if (i.shutdown())
        {
            line(" shutdown");
        }
        i.tunnel().ifPresent(t ->
        {
            t.source().ifPresent(s -> line(" tunnel source " + switch (s)
            {
                case InterfaceConfig.SourceInterface(final String name) -> name;
                case InterfaceConfig.SourceAddress(final Ip4 address) -> address.toString();
            }));
            t.destination().ifPresent(d -> line(" tunnel destination " + d));
            if (t.mode() != InterfaceConfig.TunnelMode.GRE_IP)
            {
                line(" tunnel mode " + t.mode().keywords());
            }
            t.key().ifPresent(k -> line(" tunnel key " + k));
            t.protection().ifPresent(p -> line(" tunnel protection ipsec profile " + p.profile() +
                (p.shared() ? " shared" : "")));
        });
        i.cryptoMap().ifPresent(m -> line(" crypto map " + m));
        i.ezvpn().ifPresent(e -> line(" crypto ipsec client ezvpn " + e.name() + (e.inside() ? " inside" : "")));
        bang();
    }

    private void nhrp(final InterfaceConfig.Nhrp n)
    {
        final int before = out.length();
        n.authentication().ifPresent(a -> line(" ip nhrp authentication " + a.value()));
        if (n.multicastDynamic())
        {
            line(" ip nhrp map multicast dynamic");
        }
        for (final InterfaceConfig.NhrpMap map : n.maps())
        {
            line(" ip nhrp map " + map.overlay() + " " + map.nbma());
        }
        for (final Ip4 nbma : n.multicastNbma())
        {
            line(" ip nhrp map multicast " + nbma);
        }
        n.networkId().ifPresent(id -> line(" ip nhrp network-id " + id));
        for (final InterfaceConfig.NhrpServer server : n.servers())
        {
            line(" ip nhrp nhs " + server.address() + server.nbma().map(b -> " nbma " + b).orElse("") +
                (server.multicast() ? " multicast" : ""));
        }
        n.registrationTimeout().ifPresent(t -> line(" ip nhrp registration timeout " + t));
        if (n.registrationNoUnique())
        {
            line(" ip nhrp registration no-unique");
        }
        if (n.redirect())
        {
            line(" ip nhrp redirect");
        }
        if (n.shortcut())
        {
            line(" ip nhrp shortcut");
        }
        if (n.holdtime() != InterfaceConfig.Nhrp.DEFAULT_HOLDTIME || out.length() == before)
        {
            line(" ip nhrp holdtime " + n.holdtime());
        }
    }

    private void accessList(final AccessList acl)
    {
        if (acl.numbered())
        {
            for (final AccessList.Item item : acl.items())
            {
                line("access-list " + acl.name() + " " + item(item, acl.extended()));
            }
        }
        else
        {
            line("ip access-list " + (acl.extended() ? "extended " : "standard ") + acl.name());
            for (final AccessList.Item item : acl.items())
            {
                line(" " + item(item, acl.extended()));
            }
        }
        bang();
    }

    private static String item(final AccessList.Item item, final boolean extended)
    {
        return switch (item)
        {
            case AccessList.Remark(final String text) -> "remark " + text;
            case AccessList.Rule rule -> rule(rule, extended);
        };
    }

    private static String rule(final AccessList.Rule rule, final boolean extended)
    {
        final StringBuilder text = new StringBuilder(rule.permit() ? "permit" : "deny");
        if (extended)
        {
            final int protocol = rule.protocol().orElse(-1);
            final int index = protocol < 0 ? 0 : List.of(-1, 1, 6, 17, 47, 50, 51).indexOf(protocol);
            text.append(' ').append(index >= 0 ? Grammar.PROTOCOLS.get(index) : Integer.toString(protocol));
            final boolean udp = protocol == 17;
            text.append(' ').append(address(rule.source()));
            rule.sourcePort().ifPresent(p -> text.append(' ').append(port(p, udp)));
            text.append(' ').append(address(rule.destination()));
            rule.destinationPort().ifPresent(p -> text.append(' ').append(port(p, udp)));
        }
        else
        {
            text.append(' ').append(address(rule.source()));
        }
        if (rule.log())
        {
            text.append(" log");
        }
        return text.toString();
    }

    private static String address(final Ip4Subnet subnet)
    {
        if (subnet.prefixLength() == 0)
        {
            return "any";
        }
        if (subnet.prefixLength() == 32)
        {
            return "host " + subnet.address();
        }
        return subnet.address() + " " + subnet.wildcard();
    }

    private static String port(final AccessList.PortMatch match, final boolean udp)
    {
        final String low = Ports.name(match.low(), udp);
        return match.operator().name().toLowerCase(Locale.ROOT) + " " + low +
            (match.operator() == AccessList.PortMatch.Operator.RANGE ? " " + Ports.name(match.high(), udp) : "");
    }

    private void dataplane(final DataplaneSettings d)
    {
        final boolean backend = d.backend() != DataplaneSettings.IoBackend.AFXDP;
        final boolean xdp = d.xdpMode() != DataplaneSettings.XdpMode.AUTO;
        if (!backend && !xdp && d.defaultInterfaces() && d.defaultCpus())
        {
            return;
        }
        line("sluice dataplane");
        if (backend)
        {
            line(" io backend " + d.backend().keyword());
        }
        if (!d.defaultInterfaces() && !d.interfaces().isEmpty())
        {
            line(" io interfaces " + String.join(" ", d.interfaces()));
        }
        if (xdp)
        {
            line(" io xdp " + d.xdpMode().keyword());
        }
        if (!d.defaultCpus())
        {
            line(" worker cpus " + d.workerCpus().stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        bang();
    }
}
