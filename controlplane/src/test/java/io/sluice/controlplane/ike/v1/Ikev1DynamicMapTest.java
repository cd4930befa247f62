package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.ConfigParser;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static io.sluice.controlplane.ike.v1.Settings.ip;
import static io.sluice.controlplane.ike.v1.Settings.ip4;
import static io.sluice.controlplane.ike.v1.Settings.policy;
import static io.sluice.controlplane.ike.v1.Settings.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A gateway configured with {@code crypto map VPN 65535 ipsec-isakmp dynamic DYN}, a wildcard
 * pre-shared key and a pool: clients it has never heard of authenticate, pull an address by mode
 * config and get quick mode under the dynamic map's transform set and PFS.
 */
class Ikev1DynamicMapTest
{
    private static final String GATEWAY = "192.0.2.1";
    private static final String PSK = "remote-access-key";
    private static final Ipsec.TransformSet TS = set("ts", EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128);

    private static Ikev1Settings gateway(final String matchAddress) throws Exception
    {
        final String text = """
            crypto isakmp policy 10
             encryption aes 256
             hash sha256
             authentication pre-share
             group 14
            crypto isakmp key %s address 0.0.0.0 0.0.0.0
            crypto isakmp client configuration address-pool local clients
            crypto ipsec transform-set ts esp-aes 256 esp-sha256-hmac
            crypto dynamic-map dyn 10
             set transform-set ts
             set pfs group14
             %s
             reverse-route
            crypto map vpn 10 ipsec-isakmp
             set peer 192.0.2.50
             set transform-set ts
             match address 110
            crypto map vpn 65535 ipsec-isakmp dynamic dyn
            interface eth0
             ip address 192.0.2.1 255.255.255.0
             crypto map vpn
            ip local pool clients 10.99.0.1 10.99.0.20
            access-list 110 permit ip 10.1.0.0 0.0.0.255 10.50.0.0 0.0.0.255
            access-list 120 permit ip 10.1.0.0 0.0.0.255 10.99.0.0 0.0.0.255
            """.formatted(PSK, matchAddress);
        return Ikev1Settings.fromConfig(new ConfigParser().parse("gw.conf", text).config(), ip(GATEWAY));
    }

    /** A strongSwan-like client: any address, pulls a virtual IP, wants the gateway's LAN {@code ours}. */
    private static EngineNet.Node client(final EngineNet net, final String address, final String ours)
    {
        final Ikev1Settings.Builder b = Ikev1Settings.builder(ip(address))
            .policy(policy(10, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, 14, 86400))
            .key(Settings.key(PSK, GATEWAY))
            .phase2(new Ikev1Settings.Phase2Policy(Ip4Subnet.host(ip4(GATEWAY)), List.of(TS),
                new Ipsec.Lifetime(3600, 4_608_000), 14, null, Selector.of(subnet(ours))));
        b.modeConfigClient = ModeConfig.Client.PULL;
        return net.add(b.build());
    }

    private static Ip4Subnet subnet(final String text)
    {
        final String[] parts = text.split("/");
        return new Ip4Subnet(ip4(parts[0]), Integer.parseInt(parts[1]));
    }

    private static void connect(final EngineNet net, final EngineNet.Node client)
    {
        client.engine().initiate(new InetSocketAddress(ip(GATEWAY), 500));
        net.run();
    }

    @Test
    void theDynamicEntryAppliesToEveryPeerWithoutAnEntryOfItsOwn() throws Exception
    {
        final Ikev1Settings s = gateway("");
        final Ikev1Settings.Phase2Policy fixed = s.phase2For(ip("192.0.2.50"));
        assertEquals("10.50.0.0/24", fixed.remote().toString());
        final Ikev1Settings.Phase2Policy dynamic = s.phase2For(ip("198.51.100.77"));
        assertSame(dynamic, s.phase2For(ip("203.0.113.9")));
        assertEquals(Ip4Subnet.ANY, dynamic.peers());
        assertEquals(List.of(TS), dynamic.transformSets());
        assertEquals(14, dynamic.pfsGroup());
        assertEquals("0.0.0.0/0", dynamic.local().toString(), "without match address: whatever the client wants of ours");
        assertNull(dynamic.remote(), "the client's side: its mode config address, else its own address");
    }

    @Test
    void unknownClientsAuthenticateWithTheWildcardKeyAndEachGetsAnAddressOfThePool() throws Exception
    {
        final EngineNet net = new EngineNet();
        final EngineNet.Node gw = net.add(gateway(""));
        final EngineNet.Node c1 = client(net, "198.51.100.7", "10.1.0.0/24");
        final EngineNet.Node c2 = client(net, "203.0.113.99", "10.1.0.0/24");
        connect(net, c1);
        connect(net, c2);
        assertTrue(gw.events().contains("assigned 198.51.100.7 10.99.0.1"), net.logs());
        assertTrue(gw.events().contains("assigned 203.0.113.99 10.99.0.2"), net.logs());
        assertEquals(2, gw.children().size(), net.logs());
        assertEquals("10.99.0.1/32", gw.children().get(0).remoteSelector());
        assertEquals("10.1.0.0/24", gw.children().get(0).localSelector());
        assertEquals("10.99.0.2/32", gw.children().get(1).remoteSelector());
        assertEquals(14, gw.children().get(1).pfsGroup());
        assertEquals(c2.children().getFirst().spiIn(), gw.children().get(1).spiOut());
    }

    @Test
    void aMatchAddressBoundsWhatTheClientMayAskFor() throws Exception
    {
        final EngineNet net = new EngineNet();
        final EngineNet.Node gw = net.add(gateway("match address 120"));
        final EngineNet.Node inside = client(net, "198.51.100.7", "10.1.0.0/24");
        final EngineNet.Node outside = client(net, "198.51.100.8", "10.7.0.0/24");
        connect(net, inside);
        connect(net, outside);
        assertEquals(1, gw.children().size(), net.logs());
        assertEquals("10.99.0.1/32", gw.children().getFirst().remoteSelector());
        assertTrue(outside.children().isEmpty(), net.logs());
        assertTrue(gw.log().stream().anyMatch(l -> l.contains("not within the crypto map entry's 10.99.0.2/32 -> " +
            "10.1.0.0/24")), net.logs());
    }
}
