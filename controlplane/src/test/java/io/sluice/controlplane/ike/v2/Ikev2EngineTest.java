package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.DiffieHellman;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.sluice.controlplane.ike.v2.Pair.PSK;
import static io.sluice.controlplane.ike.v2.Pair.cbc;
import static io.sluice.controlplane.ike.v2.Pair.child;
import static io.sluice.controlplane.ike.v2.Pair.gcm;
import static io.sluice.controlplane.ike.v2.Pair.set;
import static io.sluice.controlplane.ike.v2.Pair.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two engines on an in-memory network with a virtual clock: every exchange, both roles, failures. */
class Ikev2EngineTest
{
    private static final String A = "10.0.0.1";
    private static final String B = "10.0.0.2";
    private static final Ipsec.TransformSet GCM = set(EspEncryption.AES_GCM_256, EspIntegrity.NONE,
        Ipsec.EncapsulationMode.TUNNEL);
    private static final Ipsec.TransformSet CBC = set(EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA256_128,
        Ipsec.EncapsulationMode.TUNNEL);

    private static Pair pair(final int pfs, final Ikev2Settings.Proposal proposal, final Ipsec.TransformSet set)
    {
        return new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", pfs, set), proposal).build(),
            settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", pfs, set), proposal).build());
    }

    private static Pair established(final Pair p)
    {
        p.a.initiate(p.peerOfA());
        p.run();
        assertEquals(1, p.eventsA.live.size(), String.join("\n", p.logA) + "\n---\n" + String.join("\n", p.logB));
        assertEquals(1, p.eventsB.live.size(), String.join("\n", p.logB));
        Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
        return p;
    }

    @Test
    void initialContactFromARestartedPeerRemovesItsStaleIkeSa()
    {
        final Pair p = established(pair(0, gcm(31), GCM));
        assertEquals(1, p.b.ikeSaCount());
        // A restarts: a fresh engine, same identity, same address; it says INITIAL_CONTACT
        p.a = new Ikev2Engine(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), gcm(31)).build(),
            (d, to, port) -> p.wire.add(new Pair.Datagram(d, new InetSocketAddress(p.addressA, port), to, true)),
            p.eventsA, io.sluice.controlplane.ike.IkeLog.to(p.logA::add, true), () -> p.now[0],
            new java.security.SecureRandom());
        p.a.initiate(p.peerOfA());
        p.run();
        assertTrue(p.a.established(Pair.ip(B)), String.join("\n", p.logA));
        assertEquals(1, p.b.ikeSaCount(), "the stale IKE SA of the same identity is gone, the new one stays:\n" +
            String.join("\n", p.logB));
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("INITIAL_CONTACT: removing IKE SA")), String.join("\n", p.logB));
    }

    @Test
    void pskWithCurve25519AndAesGcmBringsUpOneMirroredTunnelChild()
    {
        final Pair p = established(pair(0, gcm(31), GCM));
        final ChildSa a = p.eventsA.live.getFirst();
        assertEquals(EspEncryption.AES_GCM_256, a.encryption());
        assertEquals(ChildSa.Mode.TUNNEL, a.mode());
        assertEquals("10.1.0.0/24", a.localSelector());
        assertEquals("10.2.0.0/24", a.remoteSelector());
        assertFalse(a.udpEncapsulated(), "no NAT, no UDP encapsulation");
        assertEquals(36, a.keyIn().length, "AES-256 key and salt");
        assertEquals(1, a.messageId(), "the child of IKE_AUTH");
        assertTrue(p.a.established(Pair.ip(B)) && p.b.established(Pair.ip(A)));
        assertEquals(4, p.seen.size(), "IKE_SA_INIT and IKE_AUTH, nothing more");
        assertTrue(p.logA.contains("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is UP. Peer 10.0.0.2:500 Id: 10.0.0.2"),
            String.join("\n", p.logA));
        final String show = p.a.showCryptoIkev2Sa(true);
        assertTrue(show.contains("READY") && show.contains("Encr: AES-GCM, keysize: 256, PRF: SHA256, Hash: None, " +
            "DH Grp:31, Auth sign: PSK, Auth verify: PSK") && show.contains("Remote id: 10.0.0.2") &&
            show.contains("Initiator of SA : Yes") && show.contains(ChildSa.spiText(a.spiIn())), show);
        assertTrue(p.b.showCryptoIkev2Sa(false).contains("10.0.0.2/500          10.0.0.1/500"),
            p.b.showCryptoIkev2Sa(false));
    }

    @Test
    void aesCbcSha256IkeSuiteWithEcp256AndATransportModeChild()
    {
        final Ipsec.TransformSet transport = set(EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128,
            Ipsec.EncapsulationMode.TRANSPORT);
        final Pair p = new Pair(settings(A, B, PSK, child(A + "/32", B + "/32", 0, transport), cbc(19)).build(),
            settings(B, A, PSK, child(B + "/32", A + "/32", 0, transport), cbc(19)).build());
        established(p);
        final ChildSa a = p.eventsA.live.getFirst();
        assertEquals(ChildSa.Mode.TRANSPORT, a.mode());
        assertEquals(EspIntegrity.HMAC_SHA256_128, a.integrity());
        assertEquals(32 + 32, a.keyOut().length);
        assertTrue(p.a.showCryptoIkev2Sa(false).contains("Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, " +
            "DH Grp:19"), p.a.showCryptoIkev2Sa(false));
    }

    @Test
    void responderNarrowsTrafficSelectorsToItsPolicy()
    {
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/16", "10.2.0.0/16", 0, GCM), gcm(31)).build(),
            settings(B, A, PSK, child("10.2.5.0/24", "10.1.7.0/24", 0, GCM), gcm(31)).build());
        established(p);
        assertEquals("10.1.7.0/24", p.eventsA.live.getFirst().localSelector());
        assertEquals("10.2.5.0/24", p.eventsA.live.getFirst().remoteSelector());
    }

    @Test
    void aNatInFrontOfTheInitiatorFloatsIkeTo4500AndEncapsulatesEsp()
    {
        // B knows A by the NAT's outside address, as a real responder would
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), gcm(31)).build(),
            settings(B, "192.0.2.99", PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31)).build());
        p.nat = true;
        established(p);
        final ChildSa a = p.eventsA.live.getFirst();
        final ChildSa b = p.eventsB.live.getFirst();
        assertTrue(a.udpEncapsulated() && b.udpEncapsulated());
        assertEquals(4500, a.peer().getPort());
        assertEquals(4500, a.local().getPort());
        assertEquals(new InetSocketAddress(p.natOutside, 14500), b.peer(), "B sees the NAT's mapping");
        assertEquals(500, p.seen.get(0).to().getPort());
        for (int i = 2; i < p.seen.size(); i++)
        {
            final byte[] d = p.seen.get(i).bytes();
            assertEquals(4500, p.seen.get(i).to().getPort() % 10_000);
            assertTrue(d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 0, "non-ESP marker");
        }
        assertTrue(p.a.showCryptoIkev2Sa(true).contains("NAT-T is detected inside"));
        // NAT keepalives from the side behind it
        final int before = p.seen.size();
        p.advance(21_000, 500);
        assertTrue(p.seen.subList(before, p.seen.size()).stream()
            .anyMatch(d -> d.fromA() && d.bytes().length == 1 && d.bytes()[0] == (byte)0xff), "NAT keepalive");
    }

    @Test
    void lostMessagesAreRetransmittedAndDuplicatesAnsweredFromTheCache()
    {
        final Pair p = pair(0, gcm(31), GCM);
        final int[] dropped = {0};
        // lose B's first IKE_AUTH response, and A's first IKE_SA_INIT
        p.drop = d -> {
            final int exchange = d.bytes()[18] & 0xff;
            if (dropped[0] == 0 && d.fromA() && exchange == Ikev2.IKE_SA_INIT)
            {
                dropped[0]++;
                return true;
            }
            if (dropped[0] == 1 && !d.fromA() && exchange == Ikev2.IKE_AUTH)
            {
                dropped[0]++;
                return true;
            }
            return false;
        };
        p.a.initiate(p.peerOfA());
        p.run();
        assertTrue(p.eventsA.live.isEmpty());
        p.advance(10_000, 250);
        assertEquals(2, dropped[0]);
        assertEquals(1, p.eventsA.live.size(), String.join("\n", p.logA));
        assertEquals(1, p.eventsB.live.size());
        assertTrue(p.a.counters().retransmits() >= 2);
        assertEquals(1, p.b.counters().duplicates(), "the retransmitted IKE_AUTH answered from the cache");
        Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
    }

    @Test
    void invalidKePayloadMakesTheInitiatorRetryWithTheResponderGroup()
    {
        final Ikev2Settings.Proposal both = new Ikev2Settings.Proposal(List.of(new Ikev2Settings.Cipher(
            IkeSuite.Encryption.AES_GCM_16, 256)), List.of(IkeSuite.Prf.HMAC_SHA2_256), List.of(), List.of(19, 31));
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), both).build(),
            settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31)).build());
        established(p);
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("answered INVALID_KE_PAYLOAD: retrying with DH group 31")),
            String.join("\n", p.logA));
        assertTrue(p.a.showCryptoIkev2Sa(false).contains("DH Grp:31"));
    }

    @Test
    void noAcceptableIkeProposalIsRefusedWithNoProposalChosen()
    {
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), cbc(14)).build(),
            settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31)).build());
        p.a.initiate(p.peerOfA());
        p.run();
        assertEquals(0, p.a.ikeSaCount());
        assertEquals(0, p.b.ikeSaCount());
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("failed: peer answered NO_PROPOSAL_CHOSEN")),
            String.join("\n", p.logA));
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("matches an ikev2 proposal: sending NO_PROPOSAL_CHOSEN")));
    }

    @Test
    void aWrongPreSharedKeyFailsAuthenticationOnBothSides()
    {
        final Pair p = new Pair(settings(A, B, "not-the-key", child("10.1.0.0/24", "10.2.0.0/24", 0, GCM),
            gcm(31)).build(), settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31)).build());
        p.a.initiate(p.peerOfA());
        p.run();
        assertTrue(p.eventsA.up.isEmpty() && p.eventsB.up.isEmpty());
        assertEquals(0, p.a.ikeSaCount());
        assertEquals(0, p.b.ikeSaCount());
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("authentication failed with peer 10.0.0.1:500 id 10.0.0.1: " +
            "AUTH does not verify (pre-shared key mismatch?)")), String.join("\n", p.logB));
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("peer answered AUTHENTICATION_FAILED")));
        assertEquals(1, p.b.counters().authFailures());
    }

    @Test
    void anUnacceptableChildLeavesTheIkeSaUpWithoutChildren()
    {
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, CBC), gcm(31)).build(),
            settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31)).build());
        p.a.initiate(p.peerOfA());
        p.run();
        assertTrue(p.a.established(Pair.ip(B)) && p.b.established(Pair.ip(A)));
        assertTrue(p.eventsA.up.isEmpty() && p.eventsB.up.isEmpty());
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("no child SA") && l.contains("NO_PROPOSAL_CHOSEN")),
            String.join("\n", p.logA));
        // selectors outside the responder's policy
        final Pair q = new Pair(settings(A, B, PSK, child("10.9.0.0/24", "10.2.0.0/24", 0, GCM), gcm(31)).build(),
            settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31)).build());
        q.a.initiate(q.peerOfA());
        q.run();
        assertTrue(q.a.established(Pair.ip(B)) && q.eventsA.up.isEmpty());
        assertTrue(q.logA.stream().anyMatch(l -> l.contains("TS_UNACCEPTABLE")), String.join("\n", q.logA));
    }

    @Test
    void clearDeletesChildrenAndTheIkeSaOnBothSides()
    {
        final Pair p = established(pair(0, gcm(31), GCM));
        p.a.clear(Pair.ip(B));
        p.run();
        assertEquals(0, p.a.ikeSaCount());
        assertEquals(0, p.b.ikeSaCount());
        assertTrue(p.eventsA.live.isEmpty() && p.eventsB.live.isEmpty());
        assertTrue(p.logB.contains("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer 10.0.0.1:500 Id: 10.0.0.1"),
            String.join("\n", p.logB));
    }

    @Test
    void periodicLivenessChecksDeclareASilentPeerDeadAfterFourRetransmissions()
    {
        final Ikev2Settings.Dpd dpd = new Ikev2Settings.Dpd(10_000, 2_000, Isakmp.DpdMode.PERIODIC);
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), gcm(31)).dpd(dpd)
            .build(), settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31)).build());
        established(p);
        p.advance(10_500, 100);
        assertEquals(1, p.a.counters().livenessSent());
        assertEquals(1, p.a.counters().livenessAcks(), "B answers the empty INFORMATIONAL");
        assertEquals(1, p.b.counters().livenessAnswered());
        // B goes silent: checks at 0, 2, 4, 6, 8 s, dead at 10 s
        p.drop = d -> !d.fromA();
        final List<Long> sends = new ArrayList<>();
        final long start = p.now[0];
        final int before = p.seen.size();
        while (p.eventsA.dead.isEmpty() && p.now[0] - start < 60_000)
        {
            p.advance(100, 100);
        }
        for (final Pair.Datagram d : p.seen.subList(before, p.seen.size()))
        {
            if (d.fromA())
            {
                sends.add(0L);
            }
        }
        assertEquals(1, p.eventsA.dead.size());
        assertEquals(5, sends.size(), "a check and four retransmissions");
        assertTrue(p.logA.contains("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer 10.0.0.2:500 Id: 10.0.0.2"),
            String.join("\n", p.logA));
        assertTrue(p.eventsA.live.isEmpty());
        assertEquals(0, p.a.ikeSaCount());
    }

    @Test
    void livenessRetransmissionsFollowTheRetryIntervalOnTheVirtualClock()
    {
        final Ikev2Settings.Dpd dpd = new Ikev2Settings.Dpd(10_000, 2_000, Isakmp.DpdMode.ON_DEMAND);
        final List<Long> at = new ArrayList<>();
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), gcm(31)).dpd(dpd)
            .build(), settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31)).build());
        established(p);
        p.advance(30_000, 1000);
        assertEquals(0, p.a.counters().livenessSent(), "on demand: nothing without the idle event");
        p.a.idle(Pair.ip(B));
        p.run();
        assertEquals(1, p.a.counters().livenessAcks());
        p.drop = d -> {
            if (d.fromA())
            {
                at.add(p.now[0]);
            }
            return !d.fromA();
        };
        final long t0 = p.now[0];
        p.a.idle(Pair.ip(B));
        p.run();
        while (p.eventsA.dead.isEmpty() && p.now[0] - t0 < 30_000)
        {
            p.advance(50, 50);
        }
        assertEquals(List.of(0L, 2000L, 4000L, 6000L, 8000L), at.stream().map(t -> t - t0).toList());
        assertEquals(10_000, p.now[0] - t0, "dead one retry interval after the last");
    }

    @Test
    void childRekeyIsMakeBeforeBreak()
    {
        final Pair p = established(pair(19, gcm(31), GCM));
        final ChildSa old = p.eventsA.live.getFirst();
        p.a.rekeyChild(Pair.ip(B));
        p.run();
        assertEquals(1, p.eventsA.live.size());
        assertEquals(1, p.eventsB.live.size());
        final ChildSa fresh = p.eventsA.live.getFirst();
        assertNotEquals(old.spiIn(), fresh.spiIn());
        assertEquals(19, fresh.pfsGroup());
        Pair.assertMirrored(fresh, p.eventsB.live.getFirst());
        final int up = p.eventsA.order.indexOf("up " + ChildSa.spiText(fresh.spiIn()));
        final int down = p.eventsA.order.indexOf("down " + ChildSa.spiText(old.spiIn()) + " rekeyed");
        assertTrue(up >= 0 && down > up, "new before old is deleted: " + p.eventsA.order);
        final int upB = p.eventsB.order.indexOf("up " + ChildSa.spiText(fresh.spiOut()));
        final int downB = p.eventsB.order.indexOf("down " + ChildSa.spiText(old.spiOut()) + " deleted by peer");
        assertTrue(upB >= 0 && downB > upB, p.eventsB.order.toString());
        // the responder of the IKE SA rekeys too
        p.b.rekeyChild(Pair.ip(A));
        p.run();
        assertEquals(1, p.eventsA.live.size());
        Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
        assertNotEquals(fresh.spiIn(), p.eventsA.live.getFirst().spiIn());
    }

    @Test
    void childLifetimeTriggersRekeyAt90Percent()
    {
        final Ikev2Settings.ChildPolicy shortLived = new Ikev2Settings.ChildPolicy(List.of(GCM),
            new Ipsec.Lifetime(120, 4_608_000), 0, Pair.ts("10.1.0.0/24"), Pair.ts("10.2.0.0/24"));
        final Ikev2Settings.ChildPolicy peer = new Ikev2Settings.ChildPolicy(List.of(GCM),
            new Ipsec.Lifetime(3600, 4_608_000), 0, Pair.ts("10.2.0.0/24"), Pair.ts("10.1.0.0/24"));
        final Pair p = new Pair(settings(A, B, PSK, shortLived, gcm(31)).build(), settings(B, A, PSK, peer, gcm(31)).build());
        established(p);
        final ChildSa first = p.eventsA.live.getFirst();
        p.advance(107_000, 1000);
        assertEquals(first, p.eventsA.live.getFirst(), "not yet");
        p.advance(2_000, 1000);
        assertNotEquals(first.spiIn(), p.eventsA.live.getFirst().spiIn());
        assertEquals(1, p.eventsA.live.size());
        Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
    }

    @Test
    void simultaneousChildRekeyLeavesExactlyOnePairAsRfc7296Section281Says()
    {
        for (int round = 0; round < 10; round++)
        {
            final Pair p = established(pair(0, gcm(31), GCM));
            final ChildSa old = p.eventsA.live.getFirst();
            p.a.rekeyChild(Pair.ip(B));
            p.b.rekeyChild(Pair.ip(A));
            p.run();
            p.advance(5000, 500);
            assertEquals(1, p.eventsA.live.size(), p.eventsA.order + "\n" + String.join("\n", p.logA));
            assertEquals(1, p.eventsB.live.size(), p.eventsB.order.toString());
            Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
            assertNotEquals(old.spiIn(), p.eventsA.live.getFirst().spiIn());
            assertEquals(3, p.eventsA.up.size(), "the original and two replacements were made");
            assertTrue(p.logA.stream().anyMatch(l -> l.contains("simultaneous rekey")), String.join("\n", p.logA));
        }
    }

    @Test
    void ikeSaRekeyMovesTheChildrenToTheNewSa()
    {
        final Pair p = established(pair(0, cbc(14), CBC));
        final long[] before = p.a.ikeSpis(Pair.ip(B));
        final ChildSa child = p.eventsA.live.getFirst();
        p.a.rekeyIke(Pair.ip(B));
        p.run();
        final long[] after = p.a.ikeSpis(Pair.ip(B));
        assertNotEquals(before[0], after[0]);
        assertNotEquals(before[1], after[1]);
        assertEquals(after[0], p.b.ikeSpis(Pair.ip(A))[0]);
        assertEquals(1, p.a.ikeSaCount(), "the old IKE SA is deleted");
        assertEquals(1, p.b.ikeSaCount());
        assertEquals(List.of(child), p.eventsA.live);
        assertTrue(p.eventsA.down.isEmpty() && p.eventsB.down.isEmpty());
        // the new IKE SA works: rekey the child on it, from the other side
        p.b.rekeyChild(Pair.ip(A));
        p.run();
        assertEquals(1, p.eventsA.live.size());
        Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
        assertNotEquals(child.spiIn(), p.eventsA.live.getFirst().spiIn());
    }

    @Test
    void cookiesAreDemandedAboveTheThresholdAndALegitimatePeerStillConnects()
    {
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), gcm(31)).build(),
            settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31)).cookieThreshold(0).build());
        established(p);
        assertEquals(1, p.b.counters().cookiesSent());
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("responder asks for a cookie")));
    }

    @Test
    void aFloodOfIkeSaInitFromManyPortsStaysBoundedAndCookiesKickIn()
    {
        final Ikev2Settings.Builder sb = settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31));
        sb.peer(Ikev2Settings.Peer.psk(new Ip4Subnet(Ip4.parse("198.51.100.0"), 24), "x", null));
        sb.cookieThreshold = 8;
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), gcm(31)).build(),
            sb.build());
        final SecureRandom random = new SecureRandom();
        for (int i = 0; i < 3000; i++)
        {
            final InetSocketAddress from = new InetSocketAddress(Pair.ip("198.51.100." + (1 + i % 200)), 1024 + i);
            p.b.receive(forgedInit(random), from, 500);
        }
        assertTrue(p.b.ikeSaCount() <= 8, p.b.ikeSaCount() + " half-open SAs");
        assertTrue(p.b.counters().cookiesSent() >= 2900, p.b.counters().toString());
        p.wire.clear();
        established(p);
        assertTrue(p.b.counters().cookiesSent() > 2992);
        // half-open SAs time out
        p.advance(31_000, 1000);
        assertEquals(1, p.b.ikeSaCount());
    }

    @Test
    void halfOpenStateFromOneAddressIsBounded()
    {
        final Ikev2Settings.Builder sb = settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31));
        sb.peer(Ikev2Settings.Peer.psk(Ip4Subnet.host(Ip4.parse("198.51.100.1")), "x", null));
        sb.maxHalfOpenPerPeer = 5;
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), gcm(31)).build(),
            sb.build());
        final SecureRandom random = new SecureRandom();
        for (int i = 0; i < 500; i++)
        {
            p.b.receive(forgedInit(random), new InetSocketAddress(Pair.ip("198.51.100.1"), 2000 + i), 500);
        }
        assertEquals(5, p.b.ikeSaCount());
        assertTrue(p.b.counters().halfOpenDrops() >= 495);
        p.wire.clear();
        established(p);
    }

    /** A well-formed IKE_SA_INIT request with a fresh SPI, as a flood would send. */
    private static byte[] forgedInit(final SecureRandom random)
    {
        final DiffieHellman dh = DiffieHellman.generate(31, random);
        final byte[] nonce = new byte[32];
        random.nextBytes(nonce);
        final byte[] body = PayloadCodec.encode(List.of(new Payload.Sa(List.of(new Payload.Proposal(1, Ikev2.PROTO_IKE,
            new byte[0], gcm(31).transforms()))), new Payload.KeyExchange(31, dh.publicValue()), new Payload.Nonce(nonce)));
        final byte[] d = new byte[Ikev2.HEADER_LENGTH + body.length];
        new Ikev2Header(random.nextLong() | 1, 0, Ikev2.PAYLOAD_SA, Ikev2.IKE_SA_INIT, Ikev2.FLAG_INITIATOR, 0, d.length)
            .write(d);
        System.arraycopy(body, 0, d, Ikev2.HEADER_LENGTH, body.length);
        return d;
    }

    @Test
    void corruptedCopiesOfEveryMessageNeverBreakTheEstablishedSas()
    {
        final Pair p = established(pair(0, cbc(19), CBC));
        p.a.rekeyChild(Pair.ip(B));
        p.run();
        final List<Pair.Datagram> captured = new ArrayList<>(p.seen);
        final Random random = new Random(42);
        for (int i = 0; i < 20_000; i++)
        {
            final Pair.Datagram d = captured.get(random.nextInt(captured.size()));
            byte[] bytes = d.bytes().clone();
            if (random.nextInt(4) == 0)
            {
                bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
            }
            for (int f = 1 + random.nextInt(3); f > 0 && bytes.length > 0; f--)
            {
                bytes[random.nextInt(bytes.length)] = (byte)random.nextInt(256);
            }
            final InetSocketAddress from = d.from();
            if (d.fromA())
            {
                p.b.receive(bytes, from, d.to().getPort());
            }
            else
            {
                p.a.receive(bytes, from, d.to().getPort());
            }
            p.wire.clear();
        }
        assertTrue(p.logA.stream().noneMatch(l -> l.contains("internal error")), "no bug surfaced");
        assertTrue(p.logB.stream().noneMatch(l -> l.contains("internal error")), "no bug surfaced");
        assertTrue(p.a.established(Pair.ip(B)) && p.b.established(Pair.ip(A)));
        assertEquals(1, p.eventsA.live.size());
        // the SAs still work
        p.a.rekeyChild(Pair.ip(B));
        p.run();
        assertEquals(1, p.eventsA.live.size());
        Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
    }

    @Test
    void replayedRequestsAreAnsweredFromTheCacheAndOldOnesDropped()
    {
        final Pair p = established(pair(0, gcm(31), GCM));
        p.a.rekeyChild(Pair.ip(B));
        p.run();
        final long answered = p.b.counters().duplicates();
        final Pair.Datagram authRequest = p.seen.get(2);
        p.b.receive(authRequest.bytes(), authRequest.from(), authRequest.to().getPort());
        p.run();
        assertEquals(answered, p.b.counters().duplicates(), "an old request is not answered again");
        final Pair.Datagram last = p.seen.stream().filter(Pair.Datagram::fromA)
            .filter(d -> (d.bytes()[19] & Ikev2.FLAG_RESPONSE) == 0).reduce((x, y) -> y).orElseThrow();
        p.b.receive(last.bytes(), last.from(), last.to().getPort());
        assertEquals(answered + 1, p.b.counters().duplicates(), "the last request is answered again");
        assertEquals(ByteBuffer.wrap(last.bytes(), 20, 4).getInt() + 1, messageIdOfNextRequest(p));
    }

    private static int messageIdOfNextRequest(final Pair p)
    {
        final String show = p.b.showCryptoIkev2Sa(true);
        final int at = show.indexOf("Remote next msg id: ");
        return Integer.parseInt(show.substring(at + 20).split("\\s")[0]);
    }
}
