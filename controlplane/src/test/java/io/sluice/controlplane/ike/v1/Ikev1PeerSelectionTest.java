package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.ConfigParser;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.config.Secret;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.sluice.controlplane.ike.v1.Settings.ip;
import static io.sluice.controlplane.ike.v1.Settings.key;
import static io.sluice.controlplane.ike.v1.Settings.phase2;
import static io.sluice.controlplane.ike.v1.Settings.policy;
import static io.sluice.controlplane.ike.v1.Settings.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failover across the {@code set peer} lines of a crypto map entry, and when aggressive mode is initiated. */
class Ikev1PeerSelectionTest
{
    private static final String A = "192.0.2.1";
    private static final String B1 = "192.0.2.11";
    private static final String B2 = "192.0.2.12";
    private static final Isakmp.Policy POLICY = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA256, 14, 86400);
    private static final io.sluice.controlplane.config.Ipsec.TransformSet TS = set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA256_128);

    /** A with one crypto map entry whose peers are B1 then B2; B1 and B2 answer A. */
    private static EngineNet network(final Ikev1Settings.Dpd dpd, final boolean withB1)
    {
        final EngineNet net = new EngineNet();
        final Ikev1Settings.Builder a = Ikev1Settings.builder(ip(A)).policy(POLICY).key(key("k1", B1)).key(key("k2", B2))
            .phase2(phase2(B1, 0, TS)).phase2(phase2(B2, 0, TS)).dpd(dpd).retransmit(1000, 2);
        a.peerGroups.add(List.of(ip(B1), ip(B2)));
        net.add(a.build());
        if (withB1)
        {
            net.add(Ikev1Settings.builder(ip(B1)).policy(POLICY).key(key("k1", A)).phase2(phase2(A, 0, TS)).build());
        }
        net.add(Ikev1Settings.builder(ip(B2)).policy(POLICY).key(key("k2", A)).phase2(phase2(A, 0, TS)).build());
        return net;
    }

    @Test
    void whenPhase1ToTheFirstPeerFailsTheNextPeerOfTheEntryIsTried()
    {
        final EngineNet net = network(null, false);
        final EngineNet.Node a = net.nodes.get(ip(A));
        a.engine().initiate(new InetSocketAddress(ip(B1), 500));
        net.run();
        // MM1, retransmitted after 1 s and 2 s, given up after 4 s more
        net.advance(6000, 500);
        assertTrue(a.children().isEmpty());
        net.advance(2000, 500);
        assertTrue(a.events().contains("failover " + B1 + " " + B2), a.events() + net.logs());
        assertEquals(1, a.engine().childSas().size(), net.logs());
        assertEquals(ip(B2), a.engine().childSas().get(0).peer().getAddress());
        assertEquals(1, net.nodes.get(ip(B2)).engine().childSas().size());
        assertTrue(a.log().stream().anyMatch(l -> l.contains("peer " + B1 + " failed (phase 1 failed after 2 " +
            "retransmissions): failing over to the next peer " + B2)), net.logs());
    }

    @Test
    void whenDpdDeclaresThePeerDeadTheNextPeerTakesOverAndAfterTheLastTheFirst()
    {
        final EngineNet net = network(new Ikev1Settings.Dpd(10_000, 2_000, Isakmp.DpdMode.PERIODIC), true);
        final EngineNet.Node a = net.nodes.get(ip(A));
        a.engine().initiate(new InetSocketAddress(ip(B1), 500));
        net.run();
        assertEquals(ip(B1), a.engine().childSas().get(0).peer().getAddress());
        net.silent.add(ip(B1));
        // periodic R-U-THERE after 10 s, 4 retransmissions 2 s apart, dead 2 s later
        net.advance(23_000, 500);
        final int dead = a.events().indexOf("dead " + B1);
        assertTrue(dead >= 0, a.events() + net.logs());
        assertEquals("failover " + B1 + " " + B2, a.events().get(dead + 1), a.events().toString());
        assertTrue(a.events().contains("down " + io.sluice.controlplane.ike.ChildSa.spiText(a.children().get(0).spiIn()) +
            " peers alive"), a.events().toString());
        assertEquals(1, a.engine().childSas().size(), net.logs());
        assertEquals(ip(B2), a.engine().childSas().get(0).peer().getAddress());
        assertTrue(a.log().contains("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer " + B1 + ":500 Id: " + B1));

        // B2 dies too, B1 is back: the list wraps around to the first peer
        net.silent.clear();
        net.silent.add(ip(B2));
        net.advance(30_000, 500);
        assertTrue(a.events().contains("failover " + B2 + " " + B1), a.events().toString());
        assertEquals(ip(B1), a.engine().childSas().get(0).peer().getAddress(), net.logs());
    }

    @Test
    void aggressiveModeIsInitiatedWhenOnlyAKeyBoundToThePeersHostNameAuthenticatesIt()
    {
        final EngineNet net = new EngineNet();
        final Ikev1Settings.Builder a = Ikev1Settings.builder(ip(A)).policy(POLICY).key(hostKey("by-name", "rtr-b"))
            .phase2(phase2(B1, 14, TS));
        a.identity = Isakmp.Identity.HOSTNAME;
        a.hostname = "rtr-a";
        a.peerHostnames.put(ip(B1), "rtr-b");
        final Ikev1Settings.Builder b = Ikev1Settings.builder(ip(B1)).policy(POLICY).key(hostKey("by-name", "rtr-a"))
            .phase2(phase2(A, 14, TS));
        b.identity = Isakmp.Identity.HOSTNAME;
        b.hostname = "rtr-b";
        final EngineNet.Node na = net.add(a.build());
        final EngineNet.Node nb = net.add(b.build());
        na.engine().initiate(new InetSocketAddress(ip(B1), 500));
        net.run();
        assertTrue(na.log().stream().anyMatch(l -> l.contains("Old State = IKE_READY  New State = IKE_I_AM1")), net.logs());
        assertTrue(nb.log().stream().anyMatch(l -> l.contains("matching key for host name rtr-a: success")), net.logs());
        assertEquals(1, na.engine().childSas().size(), net.logs());
        assertEquals(1, nb.engine().childSas().size(), net.logs());
        assertTrue(na.events().contains("phase1 " + B1));
    }

    @Test
    void mainModeIsInitiatedWhenAnAddressKeyExistsEvenWithHostNameIdentity()
    {
        final EngineNet net = new EngineNet();
        final Ikev1Settings.Builder a = Ikev1Settings.builder(ip(A)).policy(POLICY).key(key("k", B1))
            .key(hostKey("other", "rtr-b")).phase2(phase2(B1, 0, TS));
        a.identity = Isakmp.Identity.HOSTNAME;
        a.hostname = "rtr-a";
        a.peerHostnames.put(ip(B1), "rtr-b");
        final EngineNet.Node na = net.add(a.build());
        final EngineNet.Node nb = net.add(Ikev1Settings.builder(ip(B1)).policy(POLICY).key(key("k", A))
            .phase2(phase2(A, 0, TS)).build());
        na.engine().initiate(new InetSocketAddress(ip(B1), 500));
        net.run();
        assertTrue(na.log().contains("ISAKMP: Can not start Aggressive mode, trying Main mode."), net.logs());
        assertTrue(na.log().stream().anyMatch(l -> l.contains("New State = IKE_I_MM1")), net.logs());
        assertTrue(na.log().stream().noneMatch(l -> l.contains("IKE_I_AM1")), net.logs());
        assertEquals(1, nb.engine().childSas().size(), net.logs());
    }

    @Test
    void failoverGroupsAndPeerHostNamesComeFromTheCryptoMap() throws Exception
    {
        final var parsed = new ConfigParser().parse("gw.conf", """
            hostname gw
            ip host rtr-b 192.0.2.12
            crypto isakmp policy 10
             authentication pre-share
            crypto isakmp identity hostname
            crypto isakmp key s3cret hostname rtr-b
            crypto ipsec transform-set txfm esp-aes esp-sha-hmac
            crypto map green 1 ipsec-isakmp
             set peer 192.0.2.11
             set peer rtr-b
             set transform-set txfm
             match address 101
            access-list 101 permit ip 10.0.1.0 0.0.0.255 10.0.2.0 0.0.0.255
            """);
        final Ikev1Settings s = Ikev1Settings.fromConfig(parsed.config(), ip(A));
        assertEquals(List.of(List.of(ip(B1), ip(B2))), s.peerGroups());
        assertEquals(Map.of(ip(B2), "rtr-b"), s.peerHostnames());
        assertEquals(ip(B2), s.nextPeer(ip(B1)));
        assertEquals(ip(B1), s.nextPeer(ip(B2)));
        assertEquals("s3cret", s.keyForHostname("RTR-B").key().value());
    }

    private static Isakmp.PresharedKey hostKey(final String secret, final String host)
    {
        return new Isakmp.PresharedKey(new Secret(secret), Optional.empty(), Optional.of(host), false);
    }
}
