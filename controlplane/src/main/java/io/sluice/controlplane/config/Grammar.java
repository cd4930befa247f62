package io.sluice.controlplane.config;

import io.sluice.controlplane.config.ConfigBuilder.AclBuilder;
import io.sluice.controlplane.config.ConfigBuilder.DialinBuilder;
import io.sluice.controlplane.config.ConfigBuilder.EntryBuilder;
import io.sluice.controlplane.config.ConfigBuilder.EzvpnBuilder;
import io.sluice.controlplane.config.ConfigBuilder.InterfaceBuilder;
import io.sluice.controlplane.config.ConfigBuilder.PolicyBuilder;
import io.sluice.controlplane.config.ConfigBuilder.ProfileBuilder;
import io.sluice.controlplane.config.ConfigBuilder.PubkeyBuilder;
import io.sluice.controlplane.config.ConfigBuilder.SluiceBuilder;
import io.sluice.controlplane.config.ConfigBuilder.TransformSetBuilder;
import io.sluice.controlplane.config.ConfigBuilder.VpdnGroupBuilder;
import io.sluice.controlplane.config.InterfaceConfig.Kind;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The modes of the configuration language and their commands: global commands here, the others in
 * {@link InterfaceCommands}, {@link CryptoCommands} and {@link VpdnCommands}. Built per file, as
 * the handlers write into that file's {@link ConfigBuilder}.
 * <p>
 * Besides the commands Sluice implements, the global mode knows two kinds of IOS lines so that a
 * pasted {@code show running-config} says something useful: inert lines, whose meaning is what
 * Sluice does anyway ({@code version}, {@code ip subnet-zero}, {@code no ip domain lookup}...),
 * accepted and dropped with an "ignored" note; and lines for features Sluice does not have
 * ({@code router eigrp}, {@code line vty}...), refused with the reason (a refused block's own
 * lines are dropped with it, so it costs one error).
 */
final class Grammar
{
    static final String INTERFACE_EXPECTED =
        "a Linux interface name such as eth0 (or TunnelN, LoopbackN, Virtual-TemplateN)";
    private static final Pattern VIRTUAL = Pattern.compile("(?i)(tunnel|tu|loopback|lo|virtual-template)(\\d+)");
    private static final Pattern IOS_HARDWARE = Pattern.compile(
        "(?i)(fastethernet|gigabitethernet|tengigabitethernet|ethernet|serial|bri|atm|pos|async|dialer|" +
        "virtual-access|port-channel|multilink|cellular)\\d.*");
    private static final Pattern LINUX = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.@-]{0,14}");
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z][A-Za-z0-9-]{0,62}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})");

    final ConfigBuilder root;
    final Mode<ConfigBuilder> global =
        new Mode<>("global configuration", "", () -> null, false);
    final Mode<InterfaceBuilder> iface =
        new Mode<>("interface", "interface NAME", InterfaceBuilder::new, false);
    final Mode<AclBuilder> acl =
        new Mode<>("ip access-list", "ip access-list extended|standard NAME", AclBuilder::new, false);
    final Mode<PolicyBuilder> policy =
        new Mode<>("crypto isakmp policy", "crypto isakmp policy N", PolicyBuilder::new, false);
    final Mode<TransformSetBuilder> transformSet =
        new Mode<>("crypto ipsec transform-set", "crypto ipsec transform-set NAME TRANSFORMS",
            TransformSetBuilder::new, false);
    final Mode<ProfileBuilder> profile =
        new Mode<>("crypto ipsec profile", "crypto ipsec profile NAME", ProfileBuilder::new, false);
    final Mode<EntryBuilder> mapEntry =
        new Mode<>("crypto map", "crypto map NAME SEQ", EntryBuilder::new, false);
    final Mode<ConfigBuilder.DynamicEntryBuilder> dynamicEntry =
        new Mode<>("crypto dynamic-map", "crypto dynamic-map NAME SEQ", ConfigBuilder.DynamicEntryBuilder::new, false);
    final Mode<EzvpnBuilder> ezvpn =
        new Mode<>("crypto ipsec client ezvpn", "crypto ipsec client ezvpn NAME", EzvpnBuilder::new, false);
    final Mode<ConfigBuilder> pubkeyChain =
        new Mode<>("crypto key pubkey-chain rsa", "crypto key pubkey-chain rsa", () -> null, false);
    final Mode<PubkeyBuilder> pubkey =
        new Mode<>("public key", "named-key NAME or addressed-key A", PubkeyBuilder::new, false);
    final Mode<PubkeyBuilder> keyString =
        new Mode<>("key-string", "key-string", PubkeyBuilder::new, false);
    final Mode<VpdnGroupBuilder> vpdnGroup =
        new Mode<>("vpdn-group", "vpdn-group NAME", VpdnGroupBuilder::new, false);
    final Mode<DialinBuilder> dialin =
        new Mode<>("accept-dialin or request-dialin", "accept-dialin or request-dialin", DialinBuilder::new, false);
    final Mode<ConfigBuilder> redundancy =
        new Mode<>("redundancy", "redundancy", () -> null, false);
    final Mode<SluiceBuilder> sluice =
        new Mode<>("sluice dataplane", "sluice dataplane", SluiceBuilder::new, false);
    final Mode<ConfigBuilder.PkiBuilder> pki =
        new Mode<>("sluice pki", "sluice pki", ConfigBuilder.PkiBuilder::new, false);
    final Mode<Ikev2Commands.ProposalBuilder> ikev2Proposal =
        new Mode<>("crypto ikev2 proposal", "crypto ikev2 proposal NAME", Ikev2Commands.ProposalBuilder::new, false);
    final Mode<Ikev2Commands.PolicyBuilder> ikev2Policy =
        new Mode<>("crypto ikev2 policy", "crypto ikev2 policy NAME", Ikev2Commands.PolicyBuilder::new, false);
    final Mode<Ikev2Commands.KeyringBuilder> ikev2Keyring =
        new Mode<>("crypto ikev2 keyring", "crypto ikev2 keyring NAME", Ikev2Commands.KeyringBuilder::new, false);
    final Mode<Ikev2Commands.PeerBuilder> ikev2Peer =
        new Mode<>("keyring peer", "peer NAME", Ikev2Commands.PeerBuilder::new, false);
    final Mode<Ikev2Commands.ProfileBuilder> ikev2Profile =
        new Mode<>("crypto ikev2 profile", "crypto ikev2 profile NAME", Ikev2Commands.ProfileBuilder::new, false);
    final Mode<Object> unsupported =
        new Mode<>("unsupported block", "", Object::new, true);

    Grammar(final ConfigBuilder root)
    {
        this.root = root;
        globalCommands();
        accessListCommands();
        inertAndUnsupported();
        InterfaceCommands.register(this);
        CryptoCommands.register(this);
        Ikev2Commands.register(this);
        VpdnCommands.register(this);
    }

    /** Every mode, for telling where a misplaced line belongs. */
    List<Mode<?>> modes()
    {
        return List.of(global, iface, acl, policy, transformSet, profile, mapEntry, dynamicEntry, ezvpn, pubkeyChain,
            pubkey, vpdnGroup, dialin, redundancy, sluice, pki, ikev2Proposal, ikev2Policy, ikev2Keyring, ikev2Peer,
            ikev2Profile);
    }

    // ---------------------------------------------------------------- shared readers

    /**
     * An interface name: a Linux one (kept as written), or TunnelN, LoopbackN, Virtual-TemplateN in
     * any case ({@code Tu0}, {@code Lo0} too), made canonical.
     */
    static InterfaceName interfaceName(final ConfigLine.Token token)
    {
        final String text = token.text();
        final Matcher virtual = VIRTUAL.matcher(text);
        if (virtual.matches())
        {
            final String type = virtual.group(1).toLowerCase();
            final Kind kind = type.startsWith("t") ? Kind.TUNNEL : type.startsWith("l") ? Kind.LOOPBACK :
                Kind.VIRTUAL_TEMPLATE;
            final String canonical = kind == Kind.TUNNEL ? "Tunnel" : kind == Kind.LOOPBACK ? "Loopback" :
                "Virtual-Template";
            final long min = kind == Kind.VIRTUAL_TEMPLATE ? 1 : 0;
            final long max = kind == Kind.VIRTUAL_TEMPLATE ? 4095 : Integer.MAX_VALUE;
            final String digits = virtual.group(2);
            final long number = digits.length() > 10 ? Long.MAX_VALUE : Long.parseLong(digits);
            if (number < min || number > max)
            {
                throw Args.problem(token, "'" + text + "' is not an interface name: " + digits +
                    " is out of range; expected " + canonical + "N with N " + min + "-" + max);
            }
            return new InterfaceName(canonical + number, kind);
        }
        if (text.contains("/") || IOS_HARDWARE.matcher(text).matches())
        {
            throw Args.problem(token, "'" + text + "' is an IOS hardware interface name; expected " +
                INTERFACE_EXPECTED);
        }
        if (!LINUX.matcher(text).matches())
        {
            throw Args.not(token, "an interface name", INTERFACE_EXPECTED);
        }
        return new InterfaceName(text, Kind.PHYSICAL);
    }

    /**
     * @param name the canonical name.
     * @param kind what it names.
     */
    record InterfaceName(String name, Kind kind)
    {
    }

    /** A reference to an interface, canonicalised, checked once the file is read. */
    static Ref interfaceRef(final Args args)
    {
        final ConfigLine.Token token = args.next("an interface name", INTERFACE_EXPECTED);
        return new Ref(interfaceName(token).name(), Where.at(args.line(), token));
    }

    /** A name of something defined in the file (transform set, profile, map...). */
    static Ref nameRef(final Args args, final String what)
    {
        final ConfigLine.Token token = args.next(what, what);
        return Ref.of(args.line(), token);
    }

    /** A new name: letters, digits and {@code - _ . :}, at most 64 characters. */
    static String newName(final Args args, final String what)
    {
        final ConfigLine.Token token = args.next(what, what);
        if (token.text().length() > 64 || !token.text().matches("[A-Za-z0-9_.:-]+"))
        {
            throw Args.not(token, what, "letters, digits and - _ . :, at most 64 characters");
        }
        return token.text();
    }

    /** A host name as {@code ip host} and {@code crypto isakmp key ... hostname} take it. */
    static String hostName(final Args args)
    {
        final ConfigLine.Token token = args.next("a host name", "a name such as peer.example.com");
        if (!HOST.matcher(token.text()).matches())
        {
            throw Args.not(token, "a host name", "letters, digits, dots and hyphens");
        }
        return token.text();
    }

    /** @param what without an article: "transform set". */
    static ConfigProblem duplicate(final ConfigLine.Token token, final String what, final Where before)
    {
        return Args.problem(token, "'" + token.text() + "' is already defined (" + before.lineText() +
            "); expected each " + what + " defined once");
    }

    /** "a", "a or b", "a, b or c". */
    static String orList(final List<String> words)
    {
        if (words.size() < 2)
        {
            return String.join("", words);
        }
        return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.get(words.size() - 1);
    }

    /** "a" or "an" before the word. */
    static String article(final String word)
    {
        return "aeiou".indexOf(Character.toLowerCase(word.charAt(0))) >= 0 ? "an " + word : "a " + word;
    }

    // ---------------------------------------------------------------- global

    private void globalCommands()
    {
        global.command("hostname", (a, c) ->
        {
            c.once("hostname", a);
            final ConfigLine.Token token = a.next("a host name", "a name such as gw1");
            String name = token.text();
            if (name.length() > 2 && name.startsWith("\"") && name.endsWith("\""))
            {
                name = name.substring(1, name.length() - 1);
            }
            if (!HOSTNAME.matcher(name).matches())
            {
                throw Args.not(token, "a host name", "letters, digits and hyphens, starting with a letter");
            }
            a.end();
            c.hostname = name;
            c.hostnameAt = Where.at(a.line(), token);
            return null;
        });

        global.opening("interface", iface, (a, c) ->
        {
            final ConfigLine.Token token = a.next("an interface name", INTERFACE_EXPECTED);
            final InterfaceName name = interfaceName(token);
            a.end();
            final InterfaceBuilder existing = c.interfaces.get(name.name());
            if (existing != null)
            {
                throw duplicate(token, "interface", existing.at);
            }
            final InterfaceBuilder block = new InterfaceBuilder();
            block.name = name.name();
            block.kind = name.kind();
            block.at = Where.at(a.line(), token);
            c.interfaces.put(block.name, block);
            return iface.frame(block, "interface " + block.name, a.line());
        });

        global.command("ip route", (a, c) ->
        {
            final ConfigLine.Token prefixToken = a.peek();
            final Ip4 prefix = a.address("a destination prefix");
            final ConfigLine.Token maskToken = a.peek();
            final Ip4 mask = a.mask();
            final Ip4Subnet subnet = new Ip4Subnet(prefix, mask.maskLength());
            if (subnet.hasHostBits())
            {
                throw Args.problem(prefixToken, "'" + prefix + "' has host bits set for mask " + maskToken.text() +
                    "; expected " + subnet.network());
            }
            final ConfigLine.Token hop = a.peek();
            if (hop == null)
            {
                throw a.missing("an interface or next hop", "an interface name or a next-hop address");
            }
            Ref interfaceRef = null;
            Ip4 nextHop = null;
            Where nextHopAt = null;
            if (Ip4.looksLikeAddress(hop.text()))
            {
                nextHopAt = a.where();
                nextHop = a.address("a next hop");
            }
            else
            {
                interfaceRef = interfaceRef(a);
                if (a.more() && Ip4.looksLikeAddress(a.peek().text()))
                {
                    nextHopAt = a.where();
                    nextHop = a.address("a next hop");
                }
            }
            int distance = StaticRoute.DEFAULT_DISTANCE;
            if (a.more())
            {
                distance = a.intNumber("an administrative distance", 1, 255);
            }
            a.end();
            final StaticRoute route = new StaticRoute(subnet, Optional.ofNullable(interfaceRef).map(Ref::name),
                Optional.ofNullable(nextHop), distance);
            c.routes.add(new ConfigBuilder.RouteBuilder(route, Where.at(a.line(), prefixToken), interfaceRef, nextHopAt));
            return null;
        });

        global.command("ip host", (a, c) ->
        {
            final ConfigLine.Token nameToken = a.peek();
            final String name = hostName(a);
            final List<Ip4> addresses = new ArrayList<>();
            addresses.add(a.address("an address"));
            while (a.more())
            {
                if (addresses.size() == 8)
                {
                    throw Args.problem(a.peek(), "'" + a.peek().text() + "' is a ninth address; expected at most 8");
                }
                addresses.add(a.address("an address"));
            }
            final Where before = c.hostsAt.get(name);
            if (before != null)
            {
                throw duplicate(nameToken, "ip host", before);
            }
            c.hosts.put(name, new HostEntry(name, addresses));
            c.hostsAt.put(name, Where.at(a.line(), nameToken));
            return null;
        });

        global.command("ip local pool", (a, c) ->
        {
            final ConfigLine.Token nameToken = a.peek();
            final String name = newName(a, "a pool name");
            final Ip4 start = a.address("a first address");
            Ip4 end = start;
            if (a.more())
            {
                final ConfigLine.Token endToken = a.peek();
                end = a.address("a last address");
                if (end.compareTo(start) < 0)
                {
                    throw Args.problem(endToken, "'" + end + "' is below the first address " + start +
                        "; expected a last address at or above it");
                }
            }
            a.end();
            final Where before = c.poolsAt.get(name);
            if (before != null)
            {
                throw duplicate(nameToken, "ip local pool", before);
            }
            c.pools.put(name, new LocalPool(name, start, end));
            c.poolsAt.put(name, Where.at(a.line(), nameToken));
            return null;
        });
    }

    // ---------------------------------------------------------------- access lists

    private void accessListCommands()
    {
        global.command("access-list", (a, c) ->
        {
            final ConfigLine.Token numberToken = a.next("an access-list number",
                "1-99 or 1300-1999 (standard), 100-199 or 2000-2699 (extended)");
            final String text = numberToken.text();
            final long number = text.matches("\\d{1,5}") ? Long.parseLong(text) : -1;
            final boolean standard = number >= 1 && number <= 99 || number >= 1300 && number <= 1999;
            final boolean extended = number >= 100 && number <= 199 || number >= 2000 && number <= 2699;
            if (!standard && !extended)
            {
                throw Args.not(numberToken, "an access-list number",
                    "1-99 or 1300-1999 (standard), 100-199 or 2000-2699 (extended)");
            }
            AclBuilder list = c.accessLists.get(text);
            if (list == null)
            {
                // Defined even if this line is refused, so that what names it gets no second error.
                list = new AclBuilder();
                list.name = text;
                list.extended = extended;
                list.at = Where.at(a.line(), numberToken);
                c.accessLists.put(text, list);
            }
            list.items.add(aclItem(a, extended));
            return null;
        });

        global.opening("ip access-list", acl, (a, c) ->
        {
            final String type = a.keyword("an access-list type", "extended or standard", "extended", "standard");
            final ConfigLine.Token nameToken = a.peek();
            final String name = newName(a, "an access-list name");
            a.end();
            final AclBuilder existing = c.accessLists.get(name);
            if (existing != null)
            {
                throw duplicate(nameToken, "access list", existing.at);
            }
            final AclBuilder list = new AclBuilder();
            list.name = name;
            list.extended = type.equals("extended");
            list.at = Where.at(a.line(), nameToken);
            c.accessLists.put(name, list);
            return acl.frame(list, "ip access-list " + type + " " + name, a.line());
        });
        for (final String action : new String[] {"permit", "deny", "remark"})
        {
            acl.command(action, (a, list) ->
            {
                final Args whole = new Args(a.line(), 0);
                list.items.add(aclItem(whole, list.extended));
                return null;
            });
        }
    }

    /** {@code permit|deny ...} or {@code remark TEXT}, after the list number. */
    private AccessList.Item aclItem(final Args a, final boolean extended)
    {
        final String action = a.keyword("permit, deny or remark", "permit, deny or remark", "permit", "deny", "remark");
        if (action.equals("remark"))
        {
            return new AccessList.Remark(a.rest("a remark"));
        }
        final boolean permit = action.equals("permit");
        if (!extended)
        {
            final Ip4Subnet source = aclAddress(a, true);
            final boolean log = a.accept("log") != null;
            a.end();
            return new AccessList.Rule(permit, OptionalInt.empty(), source, Optional.empty(), Ip4Subnet.ANY,
                Optional.empty(), log);
        }
        final OptionalInt protocol = protocol(a);
        final boolean ports = protocol.isPresent() && (protocol.getAsInt() == 6 || protocol.getAsInt() == 17);
        final Ip4Subnet source = aclAddress(a, false);
        final Optional<AccessList.PortMatch> sourcePort = portMatch(a, ports, protocol);
        final Ip4Subnet destination = aclAddress(a, false);
        final Optional<AccessList.PortMatch> destinationPort = portMatch(a, ports, protocol);
        final boolean log = a.accept("log") != null;
        a.end();
        return new AccessList.Rule(permit, protocol, source, sourcePort, destination, destinationPort, log);
    }

    static final List<String> PROTOCOLS = List.of("ip", "icmp", "tcp", "udp", "gre", "esp", "ahp");
    private static final int[] PROTOCOL_NUMBERS = {-1, 1, 6, 17, 47, 50, 51};

    private static OptionalInt protocol(final Args a)
    {
        final String expected = "ip, tcp, udp, icmp, gre, esp, ahp or a protocol number 0-255";
        final ConfigLine.Token token = a.next("a protocol", expected);
        if (token.text().matches("\\d{1,3}"))
        {
            final int number = Integer.parseInt(token.text());
            if (number > 255)
            {
                throw Args.problem(token, "'" + token.text() + "' is out of range; expected " + expected);
            }
            return OptionalInt.of(number);
        }
        final Args.Resolution resolution = Args.resolve(token.text(), PROTOCOLS);
        if (resolution.match() == null)
        {
            throw Args.not(token, "a protocol", expected);
        }
        final int number = PROTOCOL_NUMBERS[PROTOCOLS.indexOf(resolution.match())];
        return number < 0 ? OptionalInt.empty() : OptionalInt.of(number);
    }

    /** {@code any}, {@code host A}, {@code A WILDCARD} (the wildcard optional in a standard list). */
    private Ip4Subnet aclAddress(final Args a, final boolean standard)
    {
        final String expected = standard ? "any, host A, or A [WILDCARD]" : "any, host A, or A WILDCARD";
        final ConfigLine.Token token = a.next("an address", expected);
        if (Args.resolve(token.text(), List.of("any", "host")).match() instanceof final String word)
        {
            if (word.equals("any"))
            {
                return Ip4Subnet.ANY;
            }
            return Ip4Subnet.host(a.address("an address"));
        }
        if (!Ip4.looksLikeAddress(token.text()))
        {
            throw Args.not(token, "an address", expected);
        }
        final Ip4 address = Args.parseAddress(token, "an address");
        Ip4 wildcard = Ip4.ZERO;
        if (!standard || a.more() && Ip4.looksLikeAddress(a.peek().text()))
        {
            wildcard = a.wildcard();
        }
        final Ip4Subnet subnet = new Ip4Subnet(address, wildcard.inverse().maskLength());
        if (subnet.hasHostBits())
        {
            root.warn(Where.at(a.line(), token), token.text() + " " + wildcard + " has host bits set: it matches " +
                subnet.network() + "/" + subnet.prefixLength() + ", as IOS does");
            return new Ip4Subnet(subnet.network(), subnet.prefixLength());
        }
        return subnet;
    }

    private static final List<String> PORT_OPERATORS = List.of("eq", "neq", "lt", "gt", "range");

    private static Optional<AccessList.PortMatch> portMatch(final Args a, final boolean ports, final OptionalInt protocol)
    {
        final ConfigLine.Token token = a.peek();
        if (token == null || !PORT_OPERATORS.contains(token.text().toLowerCase()))
        {
            return Optional.empty();
        }
        if (!ports)
        {
            throw Args.problem(token, "'" + token.text() + "' compares ports, which only tcp and udp have; " +
                "expected an address or the end of the line");
        }
        a.next("", "");
        final AccessList.PortMatch.Operator operator =
            AccessList.PortMatch.Operator.valueOf(token.text().toUpperCase());
        final boolean udp = protocol.getAsInt() == 17;
        final int low = Ports.read(a, udp);
        int high = low;
        if (operator == AccessList.PortMatch.Operator.RANGE)
        {
            final ConfigLine.Token highToken = a.peek();
            high = Ports.read(a, udp);
            if (high < low)
            {
                throw Args.problem(highToken, "'" + highToken.text() + "' is below the range's start " + low +
                    "; expected a port at or above it");
            }
        }
        return Optional.of(new AccessList.PortMatch(operator, low, high));
    }

    // ---------------------------------------------------------------- inert and unsupported IOS lines

    private void inertAndUnsupported()
    {
        inert("version", "the IOS image version, not a setting");
        inert("service timestamps", "Sluice's logs always carry timestamps");
        inert("no service password-encryption", "Sluice keeps secrets as configured (see show running-config)");
        inert("boot-start-marker", "IOS boot image markers");
        inert("boot-end-marker", "IOS boot image markers");
        inert("boot system", "Sluice boots no IOS image");
        inert("building configuration...", "show running-config output, not configuration");
        inert("current configuration", "show running-config output, not configuration");
        inert("ip subnet-zero", "Sluice always allows subnet zero");
        inert("ip classless", "Sluice always routes classless");
        inert("ip cef", "Sluice always forwards in its dataplane");
        inert("no ip domain lookup", "Sluice resolves no names through DNS");
        inert("no ip domain-lookup", "Sluice resolves no names through DNS");
        inert("no aaa new-model", "Sluice has no AAA");
        inert("no ip http server", "Sluice has no web server");
        inert("no ip http secure-server", "Sluice has no web server");
        inert("no voice", "Sluice has no voice features");

        unsupported("router", true, "dynamic routing is not part of Sluice (use ip route, or a routing daemon beside it)");
        unsupported("line", true, "Sluice has no terminal lines (it is managed with sluice ctl)");
        unsupported("ip http", false, "Sluice has no web server");
        unsupported("ip ssh", false, "Sluice has no SSH server of its own");
        unsupported("ip audit", false, "Sluice has no intrusion detection");
        unsupported("ip nat", false, "Sluice does no NAT");
        unsupported("ip dhcp", true, "Sluice has no DHCP server");
        unsupported("fax", false, "Sluice has no voice or fax features");
        unsupported("voice", true, "Sluice has no voice or fax features");
        unsupported("service", false, "only 'service timestamps' and 'no service password-encryption' are known");
        unsupported("snmp-server", false, "Sluice has no SNMP agent (counters are read with sluice ctl)");
        unsupported("logging", false, "Sluice logs through its own logging configuration");
        unsupported("ntp", false, "Sluice takes the time from the host");
        unsupported("username", false, "Sluice has no local users");
        unsupported("enable", false, "Sluice has no privileged EXEC mode");
        unsupported("aaa", false, "Sluice has no AAA");
        unsupported("banner", false, "Sluice has no login banner");
        unsupported("control-plane", true, "Sluice has no control-plane policing");
        unsupported("ipv6", false, "Sluice configures IPv4 only");
        unsupported("crypto dynamic-map", true, "dynamic crypto maps are not supported yet");
        unsupported("crypto pki", true,
            "Sluice takes certificates as PEM files: use a 'sluice pki' block (certificate, private-key, ca-certificate)");
        unsupported("crypto ca", true, "Sluice has no PKI configuration yet");
        unsupported("crypto key generate", false,
            "an action, not configuration: Sluice keeps its own keys in files");
        global.hidden("12tp", null, (a, c) ->
        {
            throw Args.problem(a.line().token(0), "'12tp' is not a command; expected l2tp (a letter l, not the digit 1)");
        });
    }

    private void inert(final String path, final String why)
    {
        global.hidden(path, null, (a, c) ->
        {
            c.ignored(a.line(), why);
            return null;
        });
    }

    private void unsupported(final String path, final boolean block, final String why)
    {
        final int words = path.split(" ").length;
        global.hidden(path, block ? unsupported : null, (a, c) ->
        {
            throw Args.problem(a.line().token(0), "'" + a.line().words(words) + "' is not supported: " + why);
        });
    }
}
