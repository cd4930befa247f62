package io.sluice.controlplane.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One {@code interface NAME} block. Physical interfaces carry Linux names (eth0, ens3, veth1);
 * the virtual ones keep their IOS names: {@code TunnelN} (GRE or multipoint GRE),
 * {@code LoopbackN}, {@code Virtual-TemplateN} (cloned for L2TP sessions).
 *
 * @param name               the canonical name: eth0, Tunnel0, Loopback1, Virtual-Template1.
 * @param kind               what the name makes it.
 * @param description        {@code description TEXT}.
 * @param shutdown           {@code shutdown}; interfaces are up unless shut down.
 * @param address            {@code ip address A M}, the host part kept.
 * @param secondaryAddresses {@code ip address A M secondary}, in order.
 * @param unnumbered         {@code ip unnumbered IF}: borrows that interface's address.
 * @param ipMtu              {@code ip mtu N}: the largest IP packet sent; empty: the link's MTU.
 * @param tcpAdjustMss       {@code ip tcp adjust-mss N}: TCP SYNs through this interface get an MSS of at most N.
 * @param cryptoMap          {@code crypto map NAME}.
 * @param ezvpn              {@code crypto ipsec client ezvpn NAME [inside|outside]}.
 * @param peerDefaultPool    {@code peer default ip address pool NAME} (Virtual-Template: addresses for PPP peers).
 * @param tunnel             the {@code tunnel ...} lines of a TunnelN.
 * @param nhrp               the {@code ip nhrp ...} lines of a TunnelN, if any.
 */
public record InterfaceConfig(
    String name,
    Kind kind,
    Optional<String> description,
    boolean shutdown,
    Optional<Ip4Subnet> address,
    List<Ip4Subnet> secondaryAddresses,
    Optional<String> unnumbered,
    OptionalInt ipMtu,
    OptionalInt tcpAdjustMss,
    Optional<String> cryptoMap,
    Optional<EzvpnAttachment> ezvpn,
    Optional<String> peerDefaultPool,
    Optional<Tunnel> tunnel,
    Optional<Nhrp> nhrp)
{
    public InterfaceConfig
    {
        secondaryAddresses = List.copyOf(secondaryAddresses);
    }

    public enum Kind
    {
        /** A Linux network device the dataplane binds to. */
        PHYSICAL,
        TUNNEL,
        LOOPBACK,
        VIRTUAL_TEMPLATE
    }

    /** The primary address followed by the secondaries. */
    public List<Ip4Subnet> addresses()
    {
        if (address.isEmpty())
        {
            return secondaryAddresses;
        }
        final List<Ip4Subnet> all = new ArrayList<>();
        all.add(address.get());
        all.addAll(secondaryAddresses);
        return List.copyOf(all);
    }

    /**
     * {@code crypto ipsec client ezvpn NAME [inside|outside]}.
     *
     * @param name   the Easy VPN client.
     * @param inside true for the inside (protected) side; outside is the default.
     */
    public record EzvpnAttachment(String name, boolean inside)
    {
    }

    /**
     * The {@code tunnel ...} lines of a TunnelN.
     *
     * @param source      {@code tunnel source IF|A}.
     * @param destination {@code tunnel destination A}: point-to-point GRE only.
     * @param mode        {@code tunnel mode gre ip} (default) or {@code gre multipoint}.
     * @param key         {@code tunnel key N} (RFC 2890).
     * @param protection  {@code tunnel protection ipsec profile NAME [shared]}.
     */
    public record Tunnel(
        Optional<TunnelSource> source,
        Optional<Ip4> destination,
        TunnelMode mode,
        OptionalLong key,
        Optional<TunnelProtection> protection)
    {
    }

    /** {@code tunnel source}: an interface, whose address is used, or an address. */
    public sealed interface TunnelSource permits SourceInterface, SourceAddress
    {
    }

    /** @param name the interface whose primary address is the tunnel's source. */
    public record SourceInterface(String name) implements TunnelSource
    {
    }

    /** @param address the tunnel's source address. */
    public record SourceAddress(Ip4 address) implements TunnelSource
    {
    }

    public enum TunnelMode
    {
        /** Point-to-point GRE over IPv4 (RFC 2784): the IOS default. */
        GRE_IP("gre ip"),
        /** Multipoint GRE: the far end of each packet comes from NHRP (DMVPN). */
        GRE_MULTIPOINT("gre multipoint");

        private final String keywords;

        TunnelMode(final String keywords)
        {
            this.keywords = keywords;
        }

        /** How the running configuration writes it. */
        public String keywords()
        {
            return keywords;
        }
    }

    /**
     * {@code tunnel protection ipsec profile NAME [shared]}.
     *
     * @param profile the {@code crypto ipsec profile}.
     * @param shared  several tunnels with one source share one set of SAs.
     */
    public record TunnelProtection(String profile, boolean shared)
    {
    }

    /**
     * The {@code ip nhrp ...} lines of a tunnel (RFC 2332 with the DMVPN behaviour).
     *
     * @param authentication       {@code ip nhrp authentication STRING}: at most 8 characters, sent in clear.
     * @param networkId            {@code ip nhrp network-id N}: NHRP runs on the interface only with one.
     * @param holdtime             {@code ip nhrp holdtime S}: how long others keep our mappings, 7200 by default.
     * @param maps                 {@code ip nhrp map OVERLAY NBMA}: static mappings, in order.
     * @param multicastDynamic     {@code ip nhrp map multicast dynamic}: replicate multicast to registered peers.
     * @param multicastNbma        {@code ip nhrp map multicast NBMA}: replicate multicast to these, in order.
     * @param servers              {@code ip nhrp nhs A [nbma B] [multicast]}: next-hop servers, in order.
     * @param registrationTimeout  {@code ip nhrp registration timeout S}; empty: a third of the holdtime.
     * @param registrationNoUnique {@code ip nhrp registration no-unique}: registrations do not set the unique flag.
     * @param redirect             {@code ip nhrp redirect}: the hub tells spokes of a shorter path (DMVPN phase 3).
     * @param shortcut             {@code ip nhrp shortcut}: spokes install the paths they are told (DMVPN phase 3).
     */
    public record Nhrp(
        Optional<Secret> authentication,
        OptionalLong networkId,
        int holdtime,
        List<NhrpMap> maps,
        boolean multicastDynamic,
        List<Ip4> multicastNbma,
        List<NhrpServer> servers,
        OptionalInt registrationTimeout,
        boolean registrationNoUnique,
        boolean redirect,
        boolean shortcut)
    {
        /** IOS's holdtime when none is configured. */
        public static final int DEFAULT_HOLDTIME = 7200;

        public Nhrp
        {
            maps = List.copyOf(maps);
            multicastNbma = List.copyOf(multicastNbma);
            servers = List.copyOf(servers);
        }

        /** The interval between registrations: configured, else a third of the holdtime. */
        public int effectiveRegistrationTimeout()
        {
            return registrationTimeout.orElse(holdtime / 3);
        }
    }

    /**
     * {@code ip nhrp map OVERLAY NBMA}.
     *
     * @param overlay the tunnel (protocol) address.
     * @param nbma    the underlay (non-broadcast multi-access) address it is reached at.
     */
    public record NhrpMap(Ip4 overlay, Ip4 nbma)
    {
    }

    /**
     * {@code ip nhrp nhs A [nbma B] [multicast]}.
     *
     * @param address   the server's tunnel address.
     * @param nbma      its underlay address when given on this line (else from an {@code ip nhrp map}).
     * @param multicast also replicate multicast to it.
     */
    public record NhrpServer(Ip4 address, Optional<Ip4> nbma, boolean multicast)
    {
    }
}
