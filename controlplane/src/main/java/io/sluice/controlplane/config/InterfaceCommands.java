package io.sluice.controlplane.config;

import io.sluice.controlplane.config.ConfigBuilder.InterfaceBuilder;
import io.sluice.controlplane.config.InterfaceConfig.Kind;

import java.util.Optional;

/**
 * The interface mode: addresses, MTU, MSS, shutdown, and for TunnelN the {@code tunnel} and
 * {@code ip nhrp} lines (reference 003).
 */
final class InterfaceCommands
{
    private InterfaceCommands()
    {
    }

    static void register(final Grammar g)
    {
        final Mode<InterfaceBuilder> m = g.iface;
        m.command("description", (a, i) ->
        {
            i.once("description", a);
            final String text = a.rest("a description");
            if (text.length() > 240)
            {
                throw new ConfigProblem(a.line().token(1).column(), "the description is " + text.length() +
                    " characters long; expected at most 240");
            }
            i.description = text;
            return null;
        });

        m.command("ip address", (a, i) ->
        {
            final ConfigLine.Token addressToken = a.peek();
            final Ip4 address = a.address("an IPv4 address");
            final Ip4 mask = a.mask();
            final boolean secondary = a.accept("secondary") != null;
            a.end();
            final Ip4Subnet subnet = new Ip4Subnet(address, mask.maskLength());
            if (mask.maskLength() < 31 && (address.equals(subnet.network()) ||
                address.equals(new Ip4(subnet.network().bits() | subnet.wildcard().bits()))))
            {
                throw Args.problem(addressToken, "'" + address + "' is the " +
                    (address.equals(subnet.network()) ? "network" : "broadcast") + " address of " +
                    subnet.network() + "/" + subnet.prefixLength() + "; expected a host address");
            }
            if (secondary)
            {
                i.secondaries.add(subnet);
                i.secondariesAt.add(Where.at(a.line(), addressToken));
                return null;
            }
            i.once("ip address", a);
            if (i.unnumbered != null)
            {
                throw Args.problem(addressToken, "'ip address' conflicts with ip unnumbered (" +
                    i.unnumbered.where().lineText() + "); expected one or the other");
            }
            i.address = subnet;
            i.addressAt = Where.at(a.line(), addressToken);
            return null;
        });

        m.command("no ip address", (a, i) ->
        {
            a.end();
            i.once("ip address", a);
            return null;
        });

        m.command("ip unnumbered", (a, i) ->
        {
            i.once("ip unnumbered", a);
            final Ref lender = Grammar.interfaceRef(a);
            a.end();
            if (i.address != null)
            {
                throw Args.problem(a.line().token(1), "'unnumbered' conflicts with ip address (" +
                    i.addressAt.lineText() + "); expected one or the other");
            }
            i.unnumbered = lender;
            return null;
        });

        m.command("ip mtu", (a, i) ->
        {
            i.once("ip mtu", a);
            i.ipMtu = a.intNumber("an MTU in bytes", 68, 9216);
            a.end();
            return null;
        });

        m.command("ip tcp adjust-mss", (a, i) ->
        {
            i.once("ip tcp adjust-mss", a);
            i.tcpAdjustMss = a.intNumber("a maximum segment size in bytes", 500, 1460);
            a.end();
            return null;
        });

        m.hidden("no ip redirects", null, (a, i) ->
        {
            g.root.ignored(a.line(), "Sluice never sends ICMP redirects");
            return null;
        });
        m.hidden("no ip split-horizon", null, (a, i) ->
        {
            g.root.ignored(a.line(), "Sluice runs no routing protocol, so there is no split horizon to turn off");
            return null;
        });
        m.hidden("speed", null, (a, i) -> linkSetting(g, a, "speed"));
        m.hidden("duplex", null, (a, i) -> linkSetting(g, a, "duplex"));
        for (final String word : new String[] {"half-duplex", "full-duplex", "clock", "clockrate", "bandwidth"})
        {
            m.hidden(word, null, (a, i) ->
            {
                throw Args.problem(a.line().token(0), "'" + a.line().words(1) + "' is not supported: link " +
                    "settings are left to the Linux driver (set them with ethtool)");
            });
        }

        m.command("shutdown", (a, i) ->
        {
            a.end();
            i.once("shutdown", a);
            i.shutdown = true;
            return null;
        });
        m.command("no shutdown", (a, i) ->
        {
            a.end();
            i.once("shutdown", a);
            i.shutdown = false;
            return null;
        });

        m.command("crypto map", (a, i) ->
        {
            i.once("crypto map", a);
            requireKind(a, i, "crypto", Kind.PHYSICAL, Kind.TUNNEL);
            i.cryptoMap = Grammar.nameRef(a, "a crypto map name");
            a.end();
            return null;
        });

        m.command("crypto ipsec client ezvpn", (a, i) ->
        {
            i.once("crypto ipsec client ezvpn", a);
            requireKind(a, i, "crypto", Kind.PHYSICAL, Kind.TUNNEL);
            i.ezvpn = Grammar.nameRef(a, "an Easy VPN client name");
            final String side = a.accept("inside", "outside");
            a.end();
            i.ezvpnInside = "inside".equals(side);
            return null;
        });

        m.command("peer default ip address pool", (a, i) ->
        {
            i.once("peer default ip address pool", a);
            requireKind(a, i, "peer", Kind.VIRTUAL_TEMPLATE);
            i.peerPool = Grammar.nameRef(a, "a pool name");
            a.end();
            return null;
        });

        tunnelCommands(m);
        NhrpCommands.register(m);
    }

    private static Mode.Frame<?> linkSetting(final Grammar g, final Args a, final String what)
    {
        final ConfigLine.Token value = a.next("a value", "auto");
        a.end();
        if (!value.text().equalsIgnoreCase("auto"))
        {
            throw Args.problem(value, "'" + what + " " + value.text() + "' is not supported: link settings are " +
                "left to the Linux driver (set them with ethtool); expected auto");
        }
        g.root.ignored(a.line(), "the link negotiates by itself, as Linux drivers do");
        return null;
    }

    /** Refuses a command on the wrong kind of interface, naming the first word of the command. */
    static void requireKind(final Args a, final InterfaceBuilder i, final String word, final Kind... kinds)
    {
        if (i.kind == null)
        {
            return;
        }
        for (final Kind kind : kinds)
        {
            if (i.kind == kind)
            {
                return;
            }
        }
        final ConfigLine.Token token = a.line().tokens.stream()
            .filter(t -> t.text().equalsIgnoreCase(word)).findFirst().orElse(a.line().token(0));
        final String allowed = switch (kinds[0])
        {
            case TUNNEL -> "interface TunnelN";
            case VIRTUAL_TEMPLATE -> "interface Virtual-TemplateN";
            default -> "a physical or tunnel interface";
        };
        throw Args.problem(token, "'" + a.line().words(a.line().size() > 1 ? 2 : 1) + "' is not valid on " + i.name +
            "; expected it under " + allowed);
    }

    private static void tunnelCommands(final Mode<InterfaceBuilder> m)
    {
        m.command("tunnel source", (a, i) ->
        {
            i.once("tunnel source", a);
            requireKind(a, i, "tunnel", Kind.TUNNEL);
            final ConfigLine.Token token = a.peek();
            if (token == null)
            {
                throw a.missing("a tunnel source", "an interface name or an address");
            }
            i.sourceAt = a.where();
            if (Ip4.looksLikeAddress(token.text()))
            {
                i.source = new InterfaceConfig.SourceAddress(a.address("an address"));
            }
            else
            {
                i.sourceInterface = Grammar.interfaceRef(a);
                i.source = new InterfaceConfig.SourceInterface(i.sourceInterface.name());
            }
            a.end();
            return null;
        });

        m.command("tunnel destination", (a, i) ->
        {
            i.once("tunnel destination", a);
            requireKind(a, i, "tunnel", Kind.TUNNEL);
            i.destination = a.address("a tunnel destination address");
            a.end();
            i.destinationAt = new Where(a.line(), a.line().token(0).column());
            return null;
        });

        m.command("tunnel mode", (a, i) ->
        {
            i.once("tunnel mode", a);
            requireKind(a, i, "tunnel", Kind.TUNNEL);
            final String mode = a.keyword("a tunnel mode", "gre ip or gre multipoint", "gre", "ipsec");
            if (mode.equals("ipsec"))
            {
                throw Args.problem(a.previous(), "'ipsec' tunnels (virtual tunnel interfaces) are not supported " +
                    "yet; expected gre ip or gre multipoint");
            }
            final String over = a.accept("ip", "multipoint");
            a.end();
            i.mode = "multipoint".equals(over) ? InterfaceConfig.TunnelMode.GRE_MULTIPOINT :
                InterfaceConfig.TunnelMode.GRE_IP;
            i.modeAt = new Where(a.line(), a.line().token(0).column());
            return null;
        });

        m.command("tunnel key", (a, i) ->
        {
            i.once("tunnel key", a);
            requireKind(a, i, "tunnel", Kind.TUNNEL);
            i.key = a.number("a tunnel key", 0, 4294967295L);
            a.end();
            return null;
        });

        m.command("tunnel protection ipsec profile", (a, i) ->
        {
            i.once("tunnel protection", a);
            requireKind(a, i, "tunnel", Kind.TUNNEL);
            i.protection = Grammar.nameRef(a, "an ipsec profile name");
            i.protectionShared = a.accept("shared") != null;
            a.end();
            return null;
        });
    }

    /** The {@code ip nhrp} lines. */
    private static final class NhrpCommands
    {
        static void register(final Mode<InterfaceBuilder> m)
        {
            m.command("ip nhrp authentication", (a, i) ->
            {
                nhrp(a, i, "authentication");
                final ConfigLine.Token token = a.next("an authentication string", "at most 8 characters");
                a.end();
                if (token.text().length() > 8)
                {
                    throw Args.problem(token, "the NHRP authentication string is " + token.text().length() +
                        " characters long; expected at most 8");
                }
                i.nhrpAuthentication = new Secret(token.text());
                return null;
            });
            m.command("ip nhrp network-id", (a, i) ->
            {
                nhrp(a, i, "network-id");
                i.networkId = a.number("a network id", 1, 4294967295L);
                a.end();
                return null;
            });
            m.command("ip nhrp holdtime", (a, i) ->
            {
                nhrp(a, i, "holdtime");
                i.holdtime = a.intNumber("a holdtime in seconds", 1, 65535);
                a.end();
                return null;
            });
            m.command("ip nhrp map", (a, i) ->
            {
                nhrp(a, i, null);
                if (a.accept("multicast") != null)
                {
                    if (a.accept("dynamic") != null)
                    {
                        a.end();
                        i.multicastDynamic = true;
                        return null;
                    }
                    final ConfigLine.Token token = a.peek();
                    if (token != null && !Ip4.looksLikeAddress(token.text()))
                    {
                        throw Args.not(token, "an NBMA address", "dynamic or an address");
                    }
                    final Ip4 nbma = a.address("an NBMA address");
                    a.end();
                    if (i.multicastNbma.contains(nbma))
                    {
                        throw Args.problem(token, "'" + nbma + "' is already a multicast destination; expected " +
                            "each once");
                    }
                    i.multicastNbma.add(nbma);
                    return null;
                }
                final ConfigLine.Token overlayToken = a.peek();
                final Ip4 overlay = a.address("a tunnel address");
                final Ip4 nbma = a.address("an NBMA address");
                a.end();
                if (i.nhrpMaps.stream().anyMatch(map -> map.overlay().equals(overlay)))
                {
                    throw Args.problem(overlayToken, "'" + overlay + "' is already mapped; expected one " +
                        "ip nhrp map per tunnel address");
                }
                i.nhrpMaps.add(new InterfaceConfig.NhrpMap(overlay, nbma));
                i.nhrpMapsAt.add(Where.at(a.line(), overlayToken));
                return null;
            });
            m.command("ip nhrp nhs", (a, i) ->
            {
                nhrp(a, i, null);
                final ConfigLine.Token token = a.peek();
                final Ip4 address = a.address("a next-hop server address");
                Ip4 nbma = null;
                if (a.accept("nbma") != null)
                {
                    nbma = a.address("an NBMA address");
                }
                final boolean multicast = a.accept("multicast") != null;
                a.end();
                if (i.servers.stream().anyMatch(s -> s.address().equals(address)))
                {
                    throw Args.problem(token, "'" + address + "' is already a next-hop server; expected each once");
                }
                i.servers.add(new InterfaceConfig.NhrpServer(address, Optional.ofNullable(nbma), multicast));
                i.serversAt.add(Where.at(a.line(), token));
                return null;
            });
            m.command("ip nhrp registration", (a, i) ->
            {
                nhrp(a, i, null);
                final String what = a.keyword("a registration setting", "timeout S or no-unique",
                    "timeout", "no-unique");
                if (what.equals("timeout"))
                {
                    i.once("ip nhrp registration timeout", a);
                    i.registrationTimeout = a.intNumber("a registration interval in seconds", 1, 65535);
                }
                else
                {
                    i.registrationNoUnique = true;
                }
                a.end();
                return null;
            });
            m.command("ip nhrp redirect", (a, i) ->
            {
                nhrp(a, i, "redirect");
                a.end();
                i.redirect = true;
                return null;
            });
            m.command("ip nhrp shortcut", (a, i) ->
            {
                nhrp(a, i, "shortcut");
                a.end();
                i.shortcut = true;
                return null;
            });
        }

        private static void nhrp(final Args a, final InterfaceBuilder i, final String once)
        {
            requireKind(a, i, "nhrp", Kind.TUNNEL);
            if (once != null)
            {
                i.once("ip nhrp " + once, a);
            }
            if (i.nhrpAt == null)
            {
                i.nhrpAt = new Where(a.line(), a.line().token(0).column());
            }
        }
    }
}
