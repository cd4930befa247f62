package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

import static io.sluice.controlplane.ike.v1.Settings.builder;
import static io.sluice.controlplane.ike.v1.Settings.ip;
import static io.sluice.controlplane.ike.v1.Settings.phase2;
import static io.sluice.controlplane.ike.v1.Settings.policy;
import static io.sluice.controlplane.ike.v1.Settings.set;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two Sluice engines negotiate with each other over an in-memory network with a virtual clock. */
class Ikev1EngineTest
{
    private static final String A = "192.0.2.1";
    private static final String B = "192.0.2.2";

    private static EnginePair pair(final Isakmp.Policy pa, final Isakmp.Policy pb, final Ikev1Settings.Phase2Policy qa,
        final Ikev1Settings.Phase2Policy qb)
    {
        return new EnginePair(builder(A, B, "s3cret-key", pa, qa).build(), builder(B, A, "s3cret-key", pb, qb).build(),
            ip("198.51.100.7"));
    }

    @Test
    void mainModeAndQuickModeAgreeOnKeysWithoutPfs()
    {
        final var p = pair(policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 3600),
            policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 3600),
            phase2(B, 0, set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96)),
            phase2(A, 0, set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96)));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        EnginePair.assertChildrenMirror(p);
        final ChildSa a = p.childrenA.get(0);
        assertEquals(0, a.pfsGroup());
        assertFalse(a.udpEncapsulated());
        assertEquals(ChildSa.Mode.TUNNEL, a.mode());
        assertEquals(3600, a.lifetimeSeconds());
        assertEquals(4_608_000, a.lifetimeKilobytes());
        assertEquals("192.0.2.1/32", a.localSelector());
        assertTrue(p.a.showCryptoIsakmpSa().contains("QM_IDLE"), p.a.showCryptoIsakmpSa());
        // 6 main mode + 3 quick mode messages, nothing retransmitted
        assertEquals(9, p.delivered, p.logs());
    }

    @Test
    void quickModeWithPfsAndEveryCipherAgree()
    {
        final Object[][] cases = {
            {Isakmp.Encryption.TRIPLE_DES, Isakmp.Hash.MD5, 2, 2, EspEncryption.DES3_CBC, EspIntegrity.HMAC_MD5_96},
            {Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, 14, 14, EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128},
            {Isakmp.Encryption.AES_192, Isakmp.Hash.SHA384, 19, 20, EspEncryption.AES_CBC_192, EspIntegrity.HMAC_SHA384_192},
            {Isakmp.Encryption.DES, Isakmp.Hash.SHA, 1, 5, EspEncryption.AES_GCM_128, EspIntegrity.NONE},
        };
        for (final Object[] c : cases)
        {
            final var pol = policy(5, (Isakmp.Encryption)c[0], (Isakmp.Hash)c[1], (int)c[2], 86400);
            final var ts = set("ts", (EspEncryption)c[4], (EspIntegrity)c[5]);
            final var p = pair(pol, pol, phase2(B, (int)c[3], ts), phase2(A, (int)c[3], ts));
            p.a.initiate(new InetSocketAddress(ip(B), 500));
            p.run();
            EnginePair.assertChildrenMirror(p);
            assertEquals((int)c[3], p.childrenB.get(0).pfsGroup());
        }
    }

    @Test
    void responderTakesItsFirstPolicyByPriorityWithTheShorterLifetime()
    {
        final Ikev1Settings sa = builder(A, B, "k", policy(1, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, 14, 7200),
            phase2(B, 0, set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96)))
            .policy(policy(2, Isakmp.Encryption.TRIPLE_DES, Isakmp.Hash.MD5, 2, 7200)).build();
        // the responder's first policy (3des) matches the initiator's second offer; its lifetime must be <= 7200
        final Ikev1Settings sb = builder(B, A, "k", policy(1, Isakmp.Encryption.TRIPLE_DES, Isakmp.Hash.MD5, 2, 3600),
            phase2(A, 0, set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96)))
            .policy(policy(2, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, 14, 3600)).build();
        final var p = new EnginePair(sa, sb, ip("198.51.100.7"));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        EnginePair.assertChildrenMirror(p);
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("atts are acceptable: 3DES/MD5")), p.logs());
    }

    @Test
    void responderRefusesAnOfferWhoseLifetimeIsShorterThanItsPolicy()
    {
        final var p = pair(policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 600),
            policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 3600),
            phase2(B, 0, set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96)),
            phase2(A, 0, set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96)));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        assertTrue(p.childrenA.isEmpty());
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("NO_PROPOSAL_CHOSEN")), p.logs());
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("NO_PROPOSAL_CHOSEN")), p.logs());
        assertFalse(p.a.showCryptoIsakmpSa().contains("192.0.2.2"), p.a.showCryptoIsakmpSa());
    }

    @Test
    void wrongPreSharedKeyFailsAuthenticationAndLogsThePeer()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 3600);
        final var ts = set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
        final var p = new EnginePair(builder(A, B, "right", pol, phase2(B, 0, ts)).build(),
            builder(B, A, "wrong", pol, phase2(A, 0, ts)).build(), ip("198.51.100.7"));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        assertTrue(p.childrenA.isEmpty() && p.childrenB.isEmpty());
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("authentication failed") && l.contains(A)), p.logs());
        assertFalse(String.join("\n", p.logA).contains("right") || String.join("\n", p.logB).contains("wrong"),
            "the pre-shared key must not be logged");
        // the initiator retransmits, every copy fails, and both sides give up after the retransmission limit
        p.advance(200_000, 1000);
        assertFalse(p.a.showCryptoIsakmpSa().contains(B), p.a.showCryptoIsakmpSa());
        assertFalse(p.b.showCryptoIsakmpSa().contains(A), p.b.showCryptoIsakmpSa());
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("giving up")), p.logs());
    }

    @Test
    void behindANatBothSidesFloatTo4500AndTheChildSaIsUdpEncapsulated()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA256, 14, 3600);
        final var ts = set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA256_128);
        final var p = new EnginePair(builder(A, B, "k", pol, phase2(B, 0, ts)).build(),
            builder(B, "198.51.100.7", "k", pol, phase2("198.51.100.7", 0, ts)).build(), ip("198.51.100.7"));
        p.nat = true;
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        EnginePair.assertChildrenMirror(p);
        assertTrue(p.childrenA.get(0).udpEncapsulated());
        assertEquals(4500, p.childrenA.get(0).peer().getPort());
        assertEquals(34500, p.childrenB.get(0).peer().getPort());
        // A, behind the NAT, sends keepalives on 4500
        final int before = p.wire.size();
        p.a.tick(p.now[0] + 25_000);
        assertEquals(before + 1, p.wire.size());
        assertArrayEquals(new byte[]{(byte)0xff}, p.wire.peekLast().bytes());
    }

    @Test
    void lostMessagesAreRetransmittedAndDuplicatesAnsweredAgain()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 3600);
        final var ts = set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
        final var p = pair(pol, pol, phase2(B, 2, ts), phase2(A, 2, ts));
        final int[] seen = {0};
        // drop the first MM2, the first MM6 and the first QM3: each side must recover
        p.drop = d -> {
            seen[0]++;
            return seen[0] == 2 || seen[0] == 7 || seen[0] == 10;
        };
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        p.advance(60_000, 500);
        EnginePair.assertChildrenMirror(p);
        final var ca = p.a.counters();
        final var cb = p.b.counters();
        assertTrue(ca.retransmits() + cb.retransmits() >= 3, ca + " " + cb);
        assertTrue(ca.duplicates() + cb.duplicates() >= 2, ca + " " + cb);
    }

    @Test
    void dpdAnswersAndDeclaresASilentPeerDeadAfterFourRetransmissions()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 86400);
        final var ts = set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
        final var dpd = new Ikev1Settings.Dpd(10_000, 2_000, Isakmp.DpdMode.PERIODIC);
        final var p = new EnginePair(builder(A, B, "k", pol, phase2(B, 0, ts)).dpd(dpd).build(),
            builder(B, A, "k", pol, phase2(A, 0, ts)).build(), ip("198.51.100.7"));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        EnginePair.assertChildrenMirror(p);
        p.advance(25_000, 100);
        assertTrue(p.a.counters().dpdAcksReceived() >= 2, p.a.counters().toString());
        assertEquals(p.a.counters().dpdSent(), p.b.counters().dpdAnswered());
        assertTrue(p.deadA.isEmpty());

        // B goes silent: R-U-THERE at t0, retransmissions at t0+2, +4, +6, +8 s, dead at t0+10 s
        final List<Long> sentAt = new java.util.ArrayList<>();
        p.drop = d -> {
            if (d.fromA())
            {
                sentAt.add(p.now[0]);
            }
            return true;
        };
        p.advance(30_000, 100);
        assertEquals(1, p.deadA.size(), p.logs());
        assertEquals(5, sentAt.size(), sentAt.toString());
        for (int i = 1; i < 5; i++)
        {
            assertEquals(2_000, sentAt.get(i) - sentAt.get(i - 1), sentAt.toString());
        }
        assertTrue(p.logA.contains("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer 192.0.2.2:500 Id: 192.0.2.2"),
            p.logs());
        assertFalse(p.a.established(ip(B)));
        assertTrue(p.a.childSas().isEmpty());
    }

    @Test
    void onDemandDpdSendsOnlyWhenTheDataplaneSaysIdle()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 86400);
        final var ts = set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
        final var dpd = new Ikev1Settings.Dpd(10_000, 2_000, Isakmp.DpdMode.ON_DEMAND);
        final var p = new EnginePair(builder(A, B, "k", pol, phase2(B, 0, ts)).dpd(dpd).build(),
            builder(B, A, "k", pol, phase2(A, 0, ts)).build(), ip("198.51.100.7"));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        p.advance(60_000, 500);
        assertEquals(0, p.a.counters().dpdSent());
        p.a.idle(ip(B));
        p.run();
        assertEquals(1, p.a.counters().dpdSent());
        assertEquals(1, p.a.counters().dpdAcksReceived());
    }

    @Test
    void clearDeletesBothSidesSas()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 86400);
        final var ts = set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
        final var p = pair(pol, pol, phase2(B, 0, ts), phase2(A, 0, ts));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        assertEquals(1, p.b.childSas().size());
        p.a.clear(ip(B));
        p.run();
        assertTrue(p.b.childSas().isEmpty(), p.logs());
        assertFalse(p.b.established(ip(A)), p.logs());
    }

    @Test
    void aggressiveModeNegotiates()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, 14, 86400);
        final var ts = set("t", EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128);
        final var p = pair(pol, pol, phase2(B, 14, ts), phase2(A, 14, ts));
        p.a.initiateAggressive(new InetSocketAddress(ip(B), 500));
        p.run();
        EnginePair.assertChildrenMirror(p);
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("IKE_I_AM1")), p.logs());
    }

    @Test
    void debugLogShowsStateTransitionsAndNoSecrets()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 86400);
        final var ts = set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
        final var p = pair(pol, pol, phase2(B, 0, ts), phase2(A, 0, ts));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        final String all = p.logs();
        assertTrue(all.contains("Old State = IKE_I_MM1  New State = IKE_I_MM2"), all);
        assertTrue(all.contains("Old State = IKE_R_MM4  New State = IKE_R_MM5"), all);
        assertTrue(all.contains("New State = IKE_QM_PHASE2_COMPLETE"), all);
        assertFalse(all.contains("s3cret-key"));
        final String hexKey = java.util.HexFormat.of().formatHex(p.childrenA.get(0).keyIn());
        assertFalse(all.toLowerCase().contains(hexKey.substring(0, 16)));
        assertFalse(p.childrenA.get(0).toString().contains(hexKey.substring(0, 16)));
        final var q = pair(pol, pol, phase2(B, 0, ts), phase2(A, 0, ts));
        q.a.initiate(new InetSocketAddress(ip(B), 500));
        assertTrue(q.a.showCryptoIsakmpSa().contains("192.0.2.2       192.0.2.1       MM_NO_STATE       1001 ACTIVE"),
            q.a.showCryptoIsakmpSa());
        q.b.receive(q.wire.poll().bytes(), new InetSocketAddress(ip(A), 500), 500);
        assertTrue(q.b.showCryptoIsakmpSa().contains("MM_SA_SETUP"), q.b.showCryptoIsakmpSa());
        final String show = p.b.showCryptoIsakmpSa();
        assertTrue(show.startsWith("IPv4 Crypto ISAKMP SA\ndst             src             state          conn-id status"),
            show);
        assertTrue(show.contains("192.0.2.2       192.0.2.1       QM_IDLE           1001 ACTIVE"), show);
    }

    @Test
    void corruptedCopiesOfEveryMessageAreRejectedWithoutInternalErrors()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 86400);
        final var ts = set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
        final java.util.Random random = new java.util.Random(11);
        // every message, plaintext ones included, corrupted: rejected with reasons, never an internal error
        for (int round = 0; round < 2; round++)
        {
            final boolean encryptedOnly = round == 1;
            final var p = pair(pol, pol, phase2(B, 2, ts), phase2(A, 2, ts));
            corrupt(p, random, encryptedOnly);
            if (encryptedOnly)
            {
                // encrypted messages are authenticated: corrupted copies change no state
                EnginePair.assertChildrenMirror(p);
            }
        }
    }

    /** Before each datagram is delivered, its receiver gets 30 corrupted or truncated copies of it. */
    private static void corrupt(final EnginePair p, final java.util.Random random, final boolean encryptedOnly)
    {
        final List<EnginePair.Datagram> real = new java.util.ArrayList<>();
        p.drop = d -> {
            real.add(d);
            final int marker = d.to().getPort() == 4500 ? 4 : 0;
            if (encryptedOnly && (d.bytes()[marker + 19] & Ikev1.FLAG_ENCRYPTION) == 0)
            {
                return false;
            }
            for (int i = 0; i < 30; i++)
            {
                byte[] bad = d.bytes().clone();
                if (i % 3 == 0)
                {
                    bad = Arrays.copyOf(bad, random.nextInt(bad.length));
                }
                else
                {
                    final int at = marker + (encryptedOnly ? Ikev1.HEADER_LENGTH : 0) +
                        random.nextInt(bad.length - marker - (encryptedOnly ? Ikev1.HEADER_LENGTH : 0));
                    bad[at] ^= (byte)(1 + random.nextInt(255));
                }
                (d.fromA() ? p.b : p.a).receive(bad, d.from(), d.to().getPort());
            }
            return false;
        };
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        p.advance(30_000, 500);
        assertTrue(real.size() >= 5, p.logs());
        assertTrue(p.a.counters().rejected() + p.b.counters().rejected() > 30, p.a.counters() + " " + p.b.counters());
        final String all = p.logs();
        assertFalse(all.contains("internal error"), all);
    }

    @Test
    void aFloodOfFirstMessagesFromOneAddressLeavesRoomForOtherPeers()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 86400);
        final var ts = set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
        // B has a key for the flooding address too, so its MM1s are acceptable and each makes a half-open SA
        final var p = new EnginePair(builder(A, B, "s3cret-key", pol, phase2(B, 0, ts)).build(),
            builder(B, A, "s3cret-key", pol, phase2(A, 0, ts)).key(Settings.key("x", "203.0.113.9")).build(),
            ip("198.51.100.7"));
        // a genuine MM1 (from a throwaway initiator) replayed with fresh cookies from one source
        final List<byte[]> first = new java.util.ArrayList<>();
        final Ikev1Engine attacker = new Ikev1Engine(builder("203.0.113.9", B, "x", pol, phase2(B, 0, ts)).build(),
            (d, to, port) -> first.add(d), new Ikev1Engine.Listener()
            {
            }, io.sluice.controlplane.ike.IkeLog.to(l -> { }, false), () -> p.now[0], new java.security.SecureRandom());
        attacker.initiate(new InetSocketAddress(ip(B), 500));
        final InetSocketAddress spoofed = new InetSocketAddress(ip("203.0.113.9"), 500);
        for (int i = 0; i < 500; i++)
        {
            final byte[] mm1 = first.get(0).clone();
            java.nio.ByteBuffer.wrap(mm1).putLong(0, 0x5000_0000_0000_0000L + i);
            p.b.receive(mm1, spoofed, 500);
        }
        final long halfOpen = p.b.showCryptoIsakmpSa().lines().filter(l -> l.contains("203.0.113.9")).count();
        assertEquals(Ikev1Engine.MAX_HALF_OPEN_PER_PEER, halfOpen);
        p.wire.clear();
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        EnginePair.assertChildrenMirror(p);
    }

    @Test
    void replayedQuickModeAndInformationalMessagesAreDropped()
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 86400);
        final var ts = set("t", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
        final var dpd = new Ikev1Settings.Dpd(10_000, 2_000, Isakmp.DpdMode.ON_DEMAND);
        final var p = new EnginePair(builder(A, B, "k", pol, phase2(B, 0, ts)).dpd(dpd).build(),
            builder(B, A, "k", pol, phase2(A, 0, ts)).build(), ip("198.51.100.7"));
        final List<EnginePair.Datagram> fromA = new java.util.ArrayList<>();
        p.drop = d -> {
            if (d.fromA())
            {
                fromA.add(d);
            }
            return false;
        };
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        p.a.idle(ip(B));
        p.run();
        assertEquals(1, p.b.counters().dpdAnswered());
        p.advance(40_000, 1000);
        final long rejected = p.b.counters().rejected();
        final EnginePair.Datagram qm1 = fromA.get(3);   // MM1, MM3, MM5, QM1, QM3, R-U-THERE
        final EnginePair.Datagram ruThere = fromA.get(5);
        p.b.receive(qm1.bytes(), qm1.from(), qm1.to().getPort());
        p.b.receive(ruThere.bytes(), ruThere.from(), ruThere.to().getPort());
        assertTrue(p.wire.isEmpty(), "a replay must not be answered");
        assertEquals(rejected + 2, p.b.counters().rejected());
        assertEquals(1, p.b.counters().dpdAnswered());
        assertEquals(1, p.b.childSas().size());
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("replayed quick mode message id")), p.logs());
    }
}
