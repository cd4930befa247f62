package io.sluice.controlplane.run;

import io.sluice.controlplane.config.Config;
import io.sluice.controlplane.config.CryptoMap;
import io.sluice.controlplane.config.InterfaceConfig;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.RunningConfig;
import io.sluice.controlplane.config.StaticRoute;
import io.sluice.controlplane.config.Transforms;
import io.sluice.controlplane.program.DynamicPeers;
import io.sluice.dataplane.counters.CounterBaseline;
import io.sluice.dataplane.counters.CounterSnapshot;
import io.sluice.dataplane.counters.CounterType;
import io.sluice.dataplane.counters.CountersFile;
import io.sluice.dataplane.counters.CountersView;
import io.sluice.dataplane.program.SaSpec;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@code show} commands, in the IOS layouts the references print: configuration from the
 * loaded file, numbers from the dataplane's counters file (less the last {@code clear counters}).
 */
final class Show
{
    private final Config config;
    private final Path runDir;
    private final List<SaSpec> sas;
    private final Supplier<List<DynamicPeers.Route>> dynamicRoutes;

    Show(final Config config, final Path runDir, final List<SaSpec> sas)
    {
        this(config, runDir, sas, List::of);
    }

    /** @param dynamicRoutes the routes IKE installed to dynamic peers while their SAs are up */
    Show(final Config config, final Path runDir, final List<SaSpec> sas,
        final Supplier<List<DynamicPeers.Route>> dynamicRoutes)
    {
        this.config = config;
        this.runDir = runDir;
        this.sas = sas;
        this.dynamicRoutes = dynamicRoutes;
    }

    String answer(final String command)
    {
        return switch (command)
        {
            case "show running-config", "show run" -> RunningConfig.render(config);
            case "show ip route" -> ipRoute();
            case "show interfaces" -> interfaces();
            case "show crypto map" -> cryptoMap();
            case "show crypto ipsec sa" -> cryptoIpsecSa();
            case "show crypto isakmp policy" -> cryptoIsakmpPolicy(config.isakmp());
            case "show counters" -> counters(false);
            case "show counters all" -> counters(true);
            default -> throw new IllegalArgumentException("% Invalid input: '" + command + "'; try show running-config, " +
                "show interfaces, show ip route, show crypto map, show crypto ipsec sa, show crypto isakmp policy|sa, " +
                "show crypto session, show crypto ikev2 sa, show counters [all], show workers, show drops, clear counters, " +
                "clear crypto sa, clear crypto session [remote A], debug crypto ipsec|isakmp|ikev2, undebug all, capture");
        };
    }

    /**
     * {@code show crypto isakmp policy} as reference 004 prints it: each configured policy with
     * every value (defaults included, which running-config leaves out), then the default suite.
     */
    static String cryptoIsakmpPolicy(final io.sluice.controlplane.config.Isakmp isakmp)
    {
        final StringBuilder out = new StringBuilder("\nGlobal IKE policy\n");
        for (final io.sluice.controlplane.config.Isakmp.Policy p : isakmp.effectivePolicies())
        {
            out.append(p == io.sluice.controlplane.config.Isakmp.DEFAULT_SUITE ? "Default protection suite\n" :
                "Protection suite of priority " + p.priority() + "\n");
            out.append("  encryption algorithm:    ").append(switch (p.encryption())
            {
                case DES -> "DES - Data Encryption Standard (56 bit keys).";
                case TRIPLE_DES -> "Three key triple DES";
                case AES_128 -> "AES - Advanced Encryption Standard (128 bit keys).";
                case AES_192 -> "AES - Advanced Encryption Standard (192 bit keys).";
                case AES_256 -> "AES - Advanced Encryption Standard (256 bit keys).";
            }).append('\n');
            out.append("  hash algorithm:          ").append(switch (p.hash())
            {
                case SHA -> "Secure Hash Standard";
                case SHA256 -> "Secure Hash Standard 2 (256 bit)";
                case SHA384 -> "Secure Hash Standard 2 (384 bit)";
                case MD5 -> "Message Digest 5";
            }).append('\n');
            out.append("  authentication method:   ").append(switch (p.authentication())
            {
                case PRE_SHARE -> "Pre-Shared Key";
                case RSA_SIG -> "Rivest-Shamir-Adleman Signature";
                case RSA_ENCR -> "Rivest-Shamir-Adleman Encryption";
            }).append('\n');
            out.append("  Diffie-Hellman group:    #").append(p.group().number()).append(" (").append(switch (p.group())
            {
                case GROUP1 -> "768 bit";
                case GROUP2 -> "1024 bit";
                case GROUP5 -> "1536 bit";
                case GROUP14 -> "2048 bit";
                case GROUP15 -> "3072 bit";
                case GROUP16 -> "4096 bit";
                case GROUP19 -> "256 bit ECDH";
                case GROUP20 -> "384 bit ECDH";
                case GROUP24 -> "2048 bit, 256 bit subgroup";
            }).append(")\n");
            out.append("  lifetime:                ").append(p.lifetimeSeconds()).append(" seconds, no volume limit\n");
        }
        return out.toString();
    }

    private static String ip(final int a)
    {
        return (a >>> 24) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255);
    }

    private List<CounterSnapshot> snapshot(final boolean includeZero)
    {
        try (CountersView view = CountersFile.openReadOnly(runDir.resolve(CountersFile.FILE_NAME)))
        {
            return view.snapshot(includeZero, CounterBaseline.load(view));
        }
    }

    private String counters(final boolean all)
    {
        final StringBuilder b = new StringBuilder();
        for (final CounterSnapshot c : snapshot(all))
        {
            b.append(String.format("%-72s %d%n", c.label(), c.value()));
        }
        return b.toString();
    }

    private String ipRoute()
    {
        final StringBuilder b = new StringBuilder();
        b.append("Codes: C - connected, S - static, L - local\n\n");
        for (final InterfaceConfig i : config.interfaces())
        {
            if (i.shutdown())
            {
                continue;
            }
            for (final Ip4Subnet s : i.addresses())
            {
                b.append(String.format("C        %s is directly connected, %s%n", s.network() + "/" + s.prefixLength(),
                    i.name()));
                b.append(String.format("L        %s/32 is directly connected, %s%n", s.address(), i.name()));
            }
        }
        for (final StaticRoute r : config.routes())
        {
            b.append(String.format("S        %s [%d/0]%s%s%n", r.prefix(), r.distance(),
                r.nextHop().map(h -> " via " + h).orElse(""),
                r.interfaceName().map(n -> r.nextHop().isPresent() ? ", " + n : " is directly connected, " + n)
                    .orElse("")));
        }
        // the routes IKE installs to dynamic peers: IOS shows reverse-route routes as static ones too
        for (final String line : DynamicPeers.showLines(dynamicRoutes.get()))
        {
            b.append(line).append('\n');
        }
        return b.toString();
    }

    private String interfaces()
    {
        final Map<String, Long> port = new HashMap<>();
        for (final CounterSnapshot c : snapshot(true))
        {
            if (c.type() == CounterType.PORT)
            {
                port.put(c.label(), c.value());
            }
        }
        final StringBuilder b = new StringBuilder();
        for (final InterfaceConfig i : config.interfaces())
        {
            b.append(i.name()).append(" is ").append(i.shutdown() ? "administratively down" : "up")
                .append(", line protocol is ").append(i.shutdown() ? "down" : "up").append('\n');
            i.address().ifPresent(a -> b.append("  Internet address is ").append(a).append('\n'));
            i.ipMtu().ifPresent(m -> b.append("  IP MTU ").append(m).append(" bytes\n"));
            i.tunnel().ifPresent(t ->
            {
                b.append("  Tunnel mode ").append(t.mode().keywords()).append('\n');
                t.destination().ifPresent(d -> b.append("  Tunnel destination ").append(d).append('\n'));
                t.protection().ifPresent(p -> b.append("  Tunnel protection via IPSec (profile \"")
                    .append(p.profile()).append("\")\n"));
            });
            final String p = "port " + i.name() + ": ";
            if (port.containsKey(p + "rx-packets"))
            {
                b.append(String.format("     %d packets input, %d bytes, %d no buffer%n", port.get(p + "rx-packets"),
                    port.get(p + "rx-bytes"), port.get(p + "rx-no-buffer")));
                b.append(String.format("     %d packets output, %d bytes, %d output drops%n",
                    port.get(p + "tx-packets"), port.get(p + "tx-bytes"), port.get(p + "tx-dropped")));
            }
        }
        return b.toString();
    }

    private String cryptoMap()
    {
        final StringBuilder b = new StringBuilder();
        for (final CryptoMap map : config.cryptoMaps())
        {
            for (final CryptoMap.Entry e : map.entries())
            {
                b.append(String.format("Crypto Map \"%s\" %d %s%n", map.name(), e.sequence(), e.keying().keyword()));
                if (e.dynamicMap().isPresent())
                {
                    b.append("        Dynamic map template tag: ").append(e.dynamicMap().get()).append('\n');
                    config.dynamicMap(e.dynamicMap().get()).flatMap(d -> d.entries().stream().findFirst())
                        .ifPresent(d -> b.append("        Transform sets={ ").append(String.join(", ",
                            d.transformSets())).append(" }\n").append(d.reverseRoute() ?
                            "        Reverse Route Injection Enabled\n" : ""));
                    continue;
                }
                e.peers().forEach(p -> b.append("        Peer = ").append(p.text()).append('\n'));
                e.matchAddress().ifPresent(a -> b.append("        Extended IP access list ").append(a).append('\n'));
                b.append("        Transform sets={ ").append(String.join(", ", e.transformSets())).append(" }\n");
                final List<String> on = config.interfaces().stream()
                    .filter(i -> i.cryptoMap().map(map.name()::equals).orElse(false)).map(InterfaceConfig::name).toList();
                b.append("        Interfaces using crypto map ").append(map.name()).append(":\n");
                on.forEach(i -> b.append("                ").append(i).append('\n'));
            }
        }
        return b.toString();
    }

    private String cryptoIpsecSa()
    {
        final Map<String, Long> sa = new HashMap<>();
        for (final CounterSnapshot c : snapshot(true))
        {
            if (c.type() == CounterType.SA)
            {
                sa.put(c.key() + "/" + c.item(), c.value());
            }
        }
        final StringBuilder b = new StringBuilder();
        final Map<String, List<SaSpec>> byTunnel = new java.util.LinkedHashMap<>();
        for (final SaSpec s : sas)
        {
            byTunnel.computeIfAbsent(s.tunnel(), k -> new java.util.ArrayList<>()).add(s);
        }
        for (final var entry : byTunnel.entrySet())
        {
            final List<SaSpec> list = entry.getValue();
            final SaSpec any = list.getFirst();
            long encaps = 0;
            long decaps = 0;
            long verifyFailures = 0;
            long replay = 0;
            for (final SaSpec s : list)
            {
                final long key = s.spi() & 0xffff_ffffL;
                final int base = s.inbound() ? 0 : 16;
                if (s.inbound())
                {
                    decaps += sa.getOrDefault(key + "/" + base, 0L);
                    verifyFailures += sa.getOrDefault(key + "/" + (base + 3), 0L);
                    replay += sa.getOrDefault(key + "/" + (base + 2), 0L);
                }
                else
                {
                    encaps += sa.getOrDefault(key + "/" + base, 0L);
                }
            }
            b.append("interface: ").append(entry.getKey()).append('\n');
            b.append("    local addr ").append(ip(any.local())).append('\n').append('\n');
            b.append("   protected vrf: (none)\n");
            b.append("   current_peer ").append(ip(any.peer())).append(" port 500\n");
            b.append("     PERMIT, flags={origin_is_acl,}\n");
            b.append(String.format("    #pkts encaps: %d, #pkts encrypt: %d, #pkts digest: %d%n", encaps, encaps, encaps));
            b.append(String.format("    #pkts decaps: %d, #pkts decrypt: %d, #pkts verify: %d%n", decaps, decaps, decaps));
            b.append(String.format("    #pkts verify failed: %d, #pkts replay failed: %d%n", verifyFailures, replay));
            b.append(String.format("    #send errors 0, #recv errors %d%n%n", verifyFailures + replay));
            b.append("     local crypto endpt.: ").append(ip(any.local())).append(", remote crypto endpt.: ")
                .append(ip(any.peer())).append('\n');
            list.stream().filter(s -> !s.inbound()).findFirst().ifPresent(s ->
                b.append(String.format("     current outbound spi: 0x%X(%d)%n", s.spi(), s.spi() & 0xffff_ffffL)));
            for (final boolean inbound : new boolean[]{true, false})
            {
                b.append(inbound ? "\n     inbound esp sas:\n" : "\n     outbound esp sas:\n");
                for (final SaSpec s : list)
                {
                    if (s.inbound() != inbound)
                    {
                        continue;
                    }
                    b.append(String.format("      spi: 0x%X(%d)%n", s.spi(), s.spi() & 0xffff_ffffL));
                    b.append("        transform: ").append(Transforms.keywords(s.encryption(), s.integrity()))
                        .append(" ,\n");
                    b.append("        in use settings ={").append(s.mode() ==
                        io.sluice.dataplane.esp.SecurityAssociation.Mode.TUNNEL ? "Tunnel" : "Transport").append(", }\n");
                    b.append(s.lifetimeSeconds() > 0 ? String.format(
                        "        sa timing: remaining key lifetime (k/sec): (%d/%d)%n", s.lifetimeKilobytes(),
                        s.lifetimeSeconds()) : "        sa timing: manual keys, no lifetime\n");
                    b.append("        replay detection support: ").append(inbound ? "Y" : "N").append('\n');
                    b.append("        Status: ACTIVE\n");
                }
            }
            b.append('\n');
        }
        if (b.isEmpty())
        {
            b.append("No SAs\n");
        }
        return b.toString();
    }

}
