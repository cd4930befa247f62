package io.sluice.controlplane.config;

import io.sluice.controlplane.config.ConfigBuilder.DialinBuilder;
import io.sluice.controlplane.config.ConfigBuilder.VpdnGroupBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * L2TP and HA (reference 001): {@code vpdn enable}, {@code vpdn-group}, {@code l2tp sso enable},
 * {@code redundancy} / {@code mode sso}; and the {@code sluice dataplane} block.
 */
final class VpdnCommands
{
    private VpdnCommands()
    {
    }

    static void register(final Grammar g)
    {
        g.global.command("vpdn enable", (a, c) ->
        {
            a.end();
            c.once("vpdn enable", a);
            c.vpdnEnabled = true;
            return null;
        });
        g.global.command("l2tp sso enable", (a, c) ->
        {
            a.end();
            c.once("l2tp sso enable", a);
            c.l2tpSso = true;
            return null;
        });
        g.global.command("no l2tp sso enable", (a, c) ->
        {
            a.end();
            c.once("l2tp sso enable", a);
            c.l2tpSso = false;
            return null;
        });
        g.global.opening("vpdn-group", g.vpdnGroup, (a, c) ->
        {
            final ConfigLine.Token token = a.peek();
            final String name = Grammar.newName(a, "a vpdn-group name");
            a.end();
            final VpdnGroupBuilder existing = c.vpdnGroups.get(name);
            if (existing != null)
            {
                throw Grammar.duplicate(token, "vpdn-group", existing.at);
            }
            final VpdnGroupBuilder group = new VpdnGroupBuilder();
            group.name = name;
            group.at = Where.at(a.line(), token);
            c.vpdnGroups.put(name, group);
            return g.vpdnGroup.frame(group, "vpdn-group " + name, a.line());
        });
        vpdnGroup(g);

        g.global.opening("redundancy", g.redundancy, (a, c) ->
        {
            a.end();
            if (c.redundancyAt != null)
            {
                throw Args.problem(a.line().token(0), "'redundancy' is already configured (" +
                    c.redundancyAt.lineText() + "); expected one redundancy block");
            }
            c.redundancyAt = new Where(a.line(), a.line().token(0).column());
            return g.redundancy.frame(c, "redundancy", a.line());
        });
        g.redundancy.command("mode", (a, c) ->
        {
            final ConfigLine.Token token = a.next("a redundancy mode", "sso");
            if (!token.text().equalsIgnoreCase("sso"))
            {
                throw Args.problem(token, "'" + token.text() + "' is not a redundancy mode Sluice offers; expected " +
                    "sso (stateful switchover between two control processes)");
            }
            a.end();
            return null;
        });

        sluice(g);
        pki(g);
    }

    private static void vpdnGroup(final Grammar g)
    {
        final Mode<VpdnGroupBuilder> m = g.vpdnGroup;
        m.command("sso enable", (a, v) ->
        {
            a.end();
            v.once("sso enable", a);
            v.sso = true;
            return null;
        });
        m.command("no sso enable", (a, v) ->
        {
            a.end();
            v.once("sso enable", a);
            v.sso = false;
            return null;
        });
        m.command("l2tp tunnel resync", (a, v) ->
        {
            v.once("l2tp tunnel resync", a);
            v.resync = a.intNumber("a number of packets", 1, 65535);
            a.end();
            return null;
        });
        m.command("l2tp tunnel retransmit", (a, v) ->
        {
            final String what = a.keyword("a retransmit setting", "retries N or timeout min|max S",
                "retries", "timeout");
            if (what.equals("retries"))
            {
                v.once("l2tp tunnel retransmit retries", a);
                v.retransmitRetries = a.intNumber("a number of retries", 5, 1000);
            }
            else
            {
                final String bound = a.keyword("min or max", "min S or max S", "min", "max");
                v.once("l2tp tunnel retransmit timeout " + bound, a);
                final Where at = a.where();
                final int seconds = a.intNumber("a timeout in seconds", 1, 8);
                if (bound.equals("min"))
                {
                    v.retransmitTimeoutMin = seconds;
                }
                else
                {
                    v.retransmitTimeoutMax = seconds;
                    v.retransmitTimeoutMaxAt = at;
                }
            }
            a.end();
            return null;
        });
        m.command("l2tp tunnel hello", (a, v) ->
        {
            v.once("l2tp tunnel hello", a);
            v.hello = a.intNumber("a hello interval in seconds (0: none)", 0, 1000);
            a.end();
            return null;
        });
        m.command("l2tp tunnel receive-window", (a, v) ->
        {
            v.once("l2tp tunnel receive-window", a);
            v.receiveWindow = a.intNumber("a receive window in packets", 1, 65535);
            a.end();
            return null;
        });
        m.command("l2tp tunnel password", (a, v) ->
        {
            v.once("l2tp tunnel password", a);
            ConfigLine.Token token = a.next("a tunnel password", "the password");
            if (token.text().equals("0") && a.more())
            {
                token = a.next("a tunnel password", "the password");
            }
            a.end();
            if (token.text().length() > 128)
            {
                throw Args.problem(token, "the tunnel password is " + token.text().length() +
                    " characters long; expected at most 128");
            }
            v.tunnelPassword = new Secret(token.text());
            return null;
        });
        m.command("l2tp tunnel authentication", (a, v) ->
        {
            a.end();
            v.once("l2tp tunnel authentication", a);
            v.tunnelAuthentication = true;
            return null;
        });
        m.hidden("12tp", null, (a, v) ->
        {
            throw Args.problem(a.line().token(0), "'12tp' is not a command; expected l2tp (a letter l, not the digit 1)");
        });
        for (final String kind : new String[] {"accept-dialin", "request-dialin"})
        {
            m.opening(kind, g.dialin, (a, v) ->
            {
                a.end();
                final DialinBuilder dialin = new DialinBuilder();
                dialin.at = new Where(a.line(), a.line().token(0).column());
                if (kind.equals("accept-dialin"))
                {
                    v.once("accept-dialin", a);
                    v.acceptDialin = dialin;
                }
                else
                {
                    v.once("request-dialin", a);
                    v.requestDialin = dialin;
                }
                return g.dialin.frame(dialin, kind, a.line());
            });
        }
        m.command("initiate-to ip", (a, v) ->
        {
            final Where at = a.where();
            final Ip4 address = a.address("an LNS address");
            OptionalInt limit = OptionalInt.empty();
            OptionalInt priority = OptionalInt.empty();
            while (a.more())
            {
                final String option = a.keyword("limit or priority", "limit N or priority N", "limit", "priority");
                if (option.equals("limit"))
                {
                    limit = OptionalInt.of(a.intNumber("a session limit", 1, 65535));
                }
                else
                {
                    priority = OptionalInt.of(a.intNumber("a priority", 1, 32767));
                }
            }
            if (v.initiateToAt == null)
            {
                v.initiateToAt = at;
            }
            if (v.initiateTo.stream().anyMatch(i -> i.address().equals(address)))
            {
                throw new ConfigProblem(at.column(), "'" + address + "' is already an initiate-to address; expected " +
                    "each once");
            }
            v.initiateTo.add(new Vpdn.InitiateTo(address, limit, priority));
            return null;
        });
        m.command("terminate-from hostname", (a, v) ->
        {
            v.once("terminate-from", a);
            v.terminateFrom = Grammar.hostName(a);
            a.end();
            return null;
        });
        m.command("local name", (a, v) ->
        {
            v.once("local name", a);
            v.localName = Grammar.hostName(a);
            a.end();
            return null;
        });
        m.command("source-ip", (a, v) ->
        {
            v.once("source-ip", a);
            v.sourceIp = a.address("a source address");
            a.end();
            return null;
        });

        g.dialin.command("protocol", (a, d) ->
        {
            d.once("protocol", a);
            final ConfigLine.Token token = a.next("a tunnel protocol", "l2tp");
            if (!token.text().equalsIgnoreCase("l2tp"))
            {
                throw Args.problem(token, "'" + token.text() + "' is not a tunnel protocol Sluice offers; expected l2tp");
            }
            a.end();
            d.protocol = true;
            return null;
        });
        g.dialin.command("virtual-template", (a, d) ->
        {
            d.once("virtual-template", a);
            d.virtualTemplateAt = a.where();
            d.virtualTemplate = a.intNumber("a virtual template number", 1, 4095);
            a.end();
            return null;
        });
        g.dialin.command("domain", (a, d) ->
        {
            d.once("domain", a);
            d.domain = Grammar.hostName(a);
            a.end();
            return null;
        });
    }

    private static void pki(final Grammar g)
    {
        g.global.opening("sluice pki", g.pki, (a, c) ->
        {
            a.end();
            if (c.pki.at != null)
            {
                throw Args.problem(a.line().token(0), "'sluice pki' is already configured (" + c.pki.at.lineText() +
                    "); expected one such block");
            }
            c.pki.at = new Where(a.line(), a.line().token(0).column());
            return g.pki.frame(c.pki, "sluice pki", a.line());
        });
        g.pki.command("certificate", (a, p) ->
        {
            p.once("certificate", a);
            p.certificate = pemFile(a, "this gateway's certificate");
            return null;
        });
        g.pki.command("private-key", (a, p) ->
        {
            p.once("private-key", a);
            p.privateKey = pemFile(a, "this gateway's private key");
            return null;
        });
        g.pki.command("ca-certificate", (a, p) ->
        {
            p.once("ca-certificate", a);
            p.caCertificate = pemFile(a, "the CA certificate peers chain to");
            return null;
        });
    }

    private static String pemFile(final Args a, final String what)
    {
        final ConfigLine.Token t = a.next("a PEM file with " + what, "an absolute path such as /etc/sluice/gw.pem");
        if (!t.text().startsWith("/"))
        {
            throw Args.not(t, "a PEM file with " + what, "an absolute path such as /etc/sluice/gw.pem");
        }
        a.end();
        return t.text();
    }

    private static void sluice(final Grammar g)
    {
        g.global.opening("sluice dataplane", g.sluice, (a, c) ->
        {
            a.end();
            if (c.sluice.at != null)
            {
                throw Args.problem(a.line().token(0), "'sluice dataplane' is already configured (" +
                    c.sluice.at.lineText() + "); expected one such block");
            }
            c.sluice.at = new Where(a.line(), a.line().token(0).column());
            return g.sluice.frame(c.sluice, "sluice dataplane", a.line());
        });
        g.sluice.command("io backend", (a, s) ->
        {
            s.once("io backend", a);
            final String backend = a.keyword("an I/O backend", "afxdp, dpdk or tun", "afxdp", "dpdk", "tun");
            a.end();
            s.backend = switch (backend)
            {
                case "afxdp" -> DataplaneSettings.IoBackend.AFXDP;
                case "dpdk" -> DataplaneSettings.IoBackend.DPDK;
                default -> DataplaneSettings.IoBackend.TUN;
            };
            return null;
        });
        g.sluice.command("io xdp", (a, s) ->
        {
            s.once("io xdp", a);
            final String mode = a.keyword("an XDP mode", "auto, native or generic", "auto", "native", "generic");
            a.end();
            s.xdpMode = switch (mode)
            {
                case "native" -> DataplaneSettings.XdpMode.NATIVE;
                case "generic" -> DataplaneSettings.XdpMode.GENERIC;
                default -> DataplaneSettings.XdpMode.AUTO;
            };
            return null;
        });
        g.sluice.command("io interfaces", (a, s) ->
        {
            if (!a.more())
            {
                throw a.missing("an interface name", Grammar.INTERFACE_EXPECTED);
            }
            if (s.interfaces == null)
            {
                s.interfaces = new ArrayList<>();
            }
            while (a.more())
            {
                final Ref ref = Grammar.interfaceRef(a);
                if (s.interfaces.stream().anyMatch(r -> r.name().equals(ref.name())))
                {
                    throw new ConfigProblem(ref.where().column(), "'" + ref.name() +
                        "' is already listed; expected each interface once");
                }
                s.interfaces.add(ref);
            }
            return null;
        });
        g.sluice.command("worker cpus", (a, s) ->
        {
            s.once("worker cpus", a);
            final int cpus = g.root.cpus;
            final String expected = "CPU numbers 0-" + (cpus - 1) + " (this machine has " + cpus + "), " +
                "as 1 3, 1,3 or 1-3";
            if (!a.more())
            {
                throw a.missing("a CPU list", expected);
            }
            final List<Integer> list = new ArrayList<>();
            while (a.more())
            {
                final ConfigLine.Token token = a.next("a CPU list", expected);
                for (final String part : token.text().split(",", -1))
                {
                    final String[] range = part.split("-", -1);
                    if (range.length > 2 || !part.matches("\\d{1,4}(-\\d{1,4})?"))
                    {
                        throw Args.not(token, "a CPU list", expected);
                    }
                    final int low = Integer.parseInt(range[0]);
                    final int high = range.length == 2 ? Integer.parseInt(range[1]) : low;
                    if (high < low || high >= cpus)
                    {
                        throw Args.problem(token, "'" + token.text() + "' is out of range; expected " + expected);
                    }
                    for (int cpu = low; cpu <= high; cpu++)
                    {
                        if (list.contains(cpu))
                        {
                            throw Args.problem(token, "'" + token.text() + "' lists CPU " + cpu +
                                " twice; expected each CPU once");
                        }
                        list.add(cpu);
                    }
                }
            }
            s.cpus = List.copyOf(list);
            return null;
        });
    }
}
