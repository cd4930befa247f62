package io.sluice.controlplane.program;

import io.sluice.controlplane.config.ConfigParser;
import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dynamic crypto map entry: nothing is programmed for it up front; each peer gets a tunnel when
 * its SAs come up, the address mode config lent it (and with {@code reverse-route} what it
 * protects) is routed into that tunnel, and all of it goes with the peer's last SA.
 */
class DynamicPeersTest
{
    private static final String GATEWAY = """
        crypto isakmp key clients address 0.0.0.0 0.0.0.0
        crypto isakmp client configuration address-pool local clients
        crypto ipsec transform-set ts esp-aes 256 esp-sha256-hmac
        crypto dynamic-map dyn 10
         set transform-set ts
         %s
        crypto dynamic-map dyn 20
         set transform-set ts
        crypto map vpn 65535 ipsec-isakmp dynamic dyn
        interface eth-wan
         ip address 192.0.2.1 255.255.255.0
         crypto map vpn
        interface eth-lan
         ip address 10.1.0.1 255.255.255.0
        ip local pool clients 10.99.0.1 10.99.0.20
        """;

    private static final Ip4 C1 = Ip4.parse("198.51.100.7");
    private static final Ip4 C2 = Ip4.parse("203.0.113.99");

    private final ConfigProgrammerTest.Recorder dataplane = new ConfigProgrammerTest.Recorder();
    private final List<String> log = new ArrayList<>();

    private static ConfigProgrammer.Plan plan(final String reverseRoute) throws Exception
    {
        return ConfigProgrammer.plan(new ConfigParser().parse("gw.conf", GATEWAY.formatted(reverseRoute)).config());
    }

    private DynamicPeers peers(final String reverseRoute) throws Exception
    {
        final ConfigProgrammer.Plan plan = plan(reverseRoute);
        assertTrue(plan.ok(), plan.errors().toString());
        return new DynamicPeers(plan.dynamicEntries().getFirst(), dataplane, log::add);
    }

    private static Ip4Subnet prefix(final String text)
    {
        final String[] parts = text.split("/");
        return new Ip4Subnet(Ip4.parse(parts[0]), Integer.parseInt(parts[1]));
    }

    @Test
    void aDynamicEntryProgramsNothingUntilAPeerComes() throws Exception
    {
        final ConfigProgrammer.Plan plan = plan("reverse-route");
        assertTrue(plan.ok(), plan.errors().toString());
        assertTrue(plan.ikePeers().isEmpty());
        assertTrue(plan.usesIke());
        assertEquals(List.of(new ConfigProgrammer.DynamicEntry("vpn", 65535, "dyn", 10, Ip4.parse("192.0.2.1").bits(),
            true)), plan.dynamicEntries());
        final ConfigProgrammerTest.Recorder r = new ConfigProgrammerTest.Recorder();
        plan.apply(r);
        assertTrue(r.calls.stream().noneMatch(c -> c.startsWith("ipsec ") || c.startsWith("route ")), r.calls.toString());
        assertTrue(plan.notes().contains("crypto map vpn 65535 ipsec-isakmp dynamic dyn: quick mode uses crypto " +
            "dynamic-map dyn 10 only; its other entries (20) are not used"), plan.notes().toString());
    }

    @Test
    void aPeersLentAddressIsRoutedIntoItsOwnTunnelUntilItsLastSaGoes() throws Exception
    {
        final DynamicPeers peers = peers("");
        peers.addressLent(C1, Ip4.parse("10.99.0.1"));
        assertEquals("vpn/65535/1", peers.tunnel(C1));
        peers.childUp(C1, 0x1001, prefix("10.99.0.1/32"));
        assertEquals(List.of("ipsec vpn/65535/1 192.0.2.1 198.51.100.7", "route 10.99.0.1/32 vpn/65535/1 0.0.0.0"),
            dataplane.calls);
        assertTrue(log.contains("route 10.99.0.1/32 -> peer 198.51.100.7 installed (vpn/65535/1, mode config " +
            "address)"), log.toString());
        assertEquals(List.of("S        10.99.0.1/32 [1/0] via 198.51.100.7, vpn/65535/1 (mode config address)"),
            DynamicPeers.showLines(peers.routes()));

        // rekeyed: the new SA pair comes up before the old one goes; the route stays until the last
        assertEquals("vpn/65535/1", peers.tunnel(C1));
        peers.childUp(C1, 0x1002, prefix("10.99.0.1/32"));
        peers.childDown(C1, 0x1001);
        assertEquals(2, dataplane.calls.size(), dataplane.calls.toString());
        peers.childDown(C1, 0x1002);
        assertEquals("null 10.99.0.1/32", dataplane.calls.getLast(), "a pool address is dropped, not sent in clear");
        assertTrue(log.contains("route 10.99.0.1/32 -> peer 198.51.100.7 removed (vpn/65535/1; the pool address goes " +
            "to Null0 until it is lent again)"), log.toString());
        assertTrue(peers.routes().isEmpty());
        assertTrue(peers.peers().isEmpty());
    }

    @Test
    void eachPeerHasItsOwnTunnelAndAFreedTunnelGoesToTheNextPeer() throws Exception
    {
        final DynamicPeers peers = peers("");
        peers.addressLent(C1, Ip4.parse("10.99.0.1"));
        peers.addressLent(C2, Ip4.parse("10.99.0.2"));
        peers.childUp(C1, 1, prefix("10.99.0.1/32"));
        peers.childUp(C2, 2, prefix("10.99.0.2/32"));
        assertEquals("vpn/65535/1", peers.tunnel(C1));
        assertEquals("vpn/65535/2", peers.tunnel(C2));
        peers.childDown(C1, 1);
        final Ip4 c3 = Ip4.parse("192.0.2.200");
        peers.addressLent(c3, Ip4.parse("10.99.0.1"));
        assertEquals("vpn/65535/1", peers.tunnel(c3));
        peers.childUp(c3, 3, prefix("10.99.0.1/32"));
        assertTrue(dataplane.calls.contains("ipsec vpn/65535/1 192.0.2.1 192.0.2.200"), "pointed at the new peer");
        assertEquals("route 10.99.0.1/32 vpn/65535/1 0.0.0.0", dataplane.calls.getLast());
        assertTrue(log.contains("dynamic peer 192.0.2.200 (crypto dynamic-map dyn 10): IPsec tunnel vpn/65535/1 " +
            "reused (it went to 198.51.100.7)"), log.toString());
        assertEquals(List.of(C2, c3), peers.peers());
    }

    @Test
    void otherIdentitiesAreRoutedOnlyWithReverseRouteAndNeverOverThePeersOwnAddress() throws Exception
    {
        final DynamicPeers without = peers("");
        without.childUp(C1, 1, prefix("10.50.0.0/24"));
        assertTrue(dataplane.calls.stream().noneMatch(c -> c.startsWith("route ")), dataplane.calls.toString());
        assertTrue(log.contains("route 10.50.0.0/24 -> peer 198.51.100.7 not installed: mode config did not lend it " +
            "and crypto dynamic-map dyn 10 has no reverse-route"), log.toString());

        final DynamicPeers with = peers("reverse-route");
        with.childUp(C2, 2, prefix("10.50.0.0/24"));
        assertEquals("route 10.50.0.0/24 vpn/65535/1 0.0.0.0", dataplane.calls.getLast());
        with.childUp(C2, 3, prefix("0.0.0.0/0"));
        with.childUp(C2, 4, prefix("203.0.113.99/32"));
        with.childUp(C2, 5, prefix("192.0.2.0/24"));
        assertEquals("route 10.50.0.0/24 vpn/65535/1 0.0.0.0", dataplane.calls.getLast());
        assertTrue(log.contains("route 0.0.0.0/0 -> peer 203.0.113.99 not installed: it covers the peer's own " +
            "address, which IKE and ESP reach outside the tunnel"), log.toString());
        assertTrue(log.contains("route 192.0.2.0/24 -> peer 203.0.113.99 not installed: it covers the gateway's own " +
            "address 192.0.2.1"), log.toString());
    }

    @Test
    void aSecondPeerClaimingTheSameNetworkTakesItAndTheFirstLeavingDoesNotRemoveIt() throws Exception
    {
        final DynamicPeers peers = peers("reverse-route");
        peers.childUp(C1, 1, prefix("10.50.0.0/24"));
        peers.childUp(C2, 2, prefix("10.50.0.0/24"));
        assertTrue(log.contains("route 10.50.0.0/24 -> peer 203.0.113.99 installed (vpn/65535/2, reverse-route; it " +
            "went to peer 198.51.100.7 before)"), log.toString());
        peers.childDown(C1, 1);
        assertEquals("route 10.50.0.0/24 vpn/65535/2 0.0.0.0", dataplane.calls.getLast());
        assertEquals(1, peers.routes().size());
        // the last peer with it leaves: a reverse-route network leaves the table (it was never the pool's)
        peers.childDown(C2, 2);
        assertEquals("unroute 10.50.0.0/24", dataplane.calls.getLast());
        assertTrue(peers.routes().isEmpty());
    }
}
