package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

import static io.sluice.controlplane.ike.v2.Pair.PSK;
import static io.sluice.controlplane.ike.v2.Pair.child;
import static io.sluice.controlplane.ike.v2.Pair.gcm;
import static io.sluice.controlplane.ike.v2.Pair.set;
import static io.sluice.controlplane.ike.v2.Pair.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Collisions around rekeying an IKE SA: both sides rekey it at once (RFC 7296 2.8.2), with and
 * without a lost message, and a rekey crossing a delete (2.25.2). Two engines on the in-memory
 * network; the nonces that decide a collision are fixed where the verdict is asserted.
 */
class Ikev2IkeRekeyCollisionTest
{
    private static final String A = "10.0.0.1";
    private static final String B = "10.0.0.2";
    private static final Ipsec.TransformSet GCM = set(EspEncryption.AES_GCM_256, EspIntegrity.NONE,
        Ipsec.EncapsulationMode.TUNNEL);
    private static final Ikev2Settings.Dpd ON_DEMAND = new Ikev2Settings.Dpd(10_000, 2_000, Isakmp.DpdMode.ON_DEMAND);

    /** Which of the four nonces of the two crossing exchanges is the lowest (all zero). */
    enum Lowest
    {
        /** A's Ni: the SA A initiated is redundant, B's survives. */
        NONCE_A_SENT(false),
        /** B's Nr in its answer to A: still the exchange A initiated, B's SA survives. */
        NONCE_B_ANSWERED(false),
        /** B's Ni: A's SA survives. */
        NONCE_B_SENT(true),
        /** A's Nr in its answer to B: A's SA survives. */
        NONCE_A_ANSWERED(true);

        final boolean survivorFromA;

        Lowest(final boolean survivorFromA)
        {
            this.survivorFromA = survivorFromA;
        }
    }

    /** A SecureRandom whose next 32-byte draw (the engine draws each nonce as one) can be made all zero. */
    static final class NonceRandom extends SecureRandom
    {
        private final SecureRandom real = new SecureRandom();
        private boolean zeroNext;

        void zeroNextNonce()
        {
            zeroNext = true;
        }

        @Override
        public void nextBytes(final byte[] out)
        {
            if (zeroNext && out.length == 32)
            {
                zeroNext = false;
                Arrays.fill(out, (byte)0);
                return;
            }
            real.nextBytes(out);
        }
    }

    private final NonceRandom randomA = new NonceRandom();
    private final NonceRandom randomB = new NonceRandom();

    private Pair established()
    {
        final Pair p = new Pair(settings(A, B, PSK, child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), gcm(31)).dpd(ON_DEMAND)
            .build(), settings(B, A, PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31)).dpd(ON_DEMAND).build(),
            randomA, randomB);
        p.a.initiate(p.peerOfA());
        p.run();
        assertEquals(1, p.eventsA.live.size(), String.join("\n", p.logA));
        assertEquals(1, p.eventsB.live.size(), String.join("\n", p.logB));
        return p;
    }

    /** Both engines start an IKE SA rekey before either request arrives, the lowest nonce placed as told. */
    private void rekeyBothAtOnce(final Pair p, final Lowest lowest)
    {
        if (lowest == Lowest.NONCE_A_SENT)
        {
            randomA.zeroNextNonce();
        }
        p.a.rekeyIke(Pair.ip(B));
        if (lowest == Lowest.NONCE_B_SENT)
        {
            randomB.zeroNextNonce();
        }
        p.b.rekeyIke(Pair.ip(A));
        // both requests are on the wire; the next nonce each engine draws is the one it answers with
        if (lowest == Lowest.NONCE_B_ANSWERED)
        {
            randomB.zeroNextNonce();
        }
        if (lowest == Lowest.NONCE_A_ANSWERED)
        {
            randomA.zeroNextNonce();
        }
        assertEquals(2, p.wire.size(), "the two CREATE_CHILD_SA requests cross");
    }

    @ParameterizedTest
    @EnumSource(Lowest.class)
    void simultaneousIkeSaRekeyKeepsTheNewSaWithoutTheLowestNonceAndItInheritsTheChildren(final Lowest lowest)
    {
        final Pair p = established();
        final long[] old = p.a.ikeSpis(Pair.ip(B));
        final ChildSa childA = p.eventsA.live.getFirst();
        final ChildSa childB = p.eventsB.live.getFirst();
        rekeyBothAtOnce(p, lowest);
        p.run();

        final String logs = String.join("\n", p.logA) + "\n--- B ---\n" + String.join("\n", p.logB);
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("simultaneous IKE SA rekey: answered the peer's")), logs);
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("simultaneous IKE SA rekey: answered the peer's")), logs);
        // the side that initiated the redundant SA says so, and deletes it; the other waits for that delete
        final List<String> loser = lowest.survivorFromA ? p.logB : p.logA;
        final List<String> winner = lowest.survivorFromA ? p.logA : p.logB;
        assertTrue(loser.stream().anyMatch(l -> l.contains("ours (SA") && l.contains("has the lowest nonce and is " +
            "deleted")), logs);
        assertTrue(winner.stream().anyMatch(l -> l.contains("the peer's (SA") && l.contains("has the lowest nonce")),
            logs);

        // one new IKE SA on each side, the same one
        assertEquals(1, p.a.ikeSaCount(), p.a.showCryptoIkev2Sa(true));
        assertEquals(1, p.b.ikeSaCount(), p.b.showCryptoIkev2Sa(true));
        final long[] now = p.a.ikeSpis(Pair.ip(B));
        assertArrayEquals(now, p.b.ikeSpis(Pair.ip(A)));
        assertNotEquals(old[0], now[0]);
        assertNotEquals(old[1], now[1]);
        assertTrue(p.a.showCryptoIkev2Sa(true).contains("Initiator of SA : " + (lowest.survivorFromA ? "Yes" : "No")),
            "the survivor is the SA " + (lowest.survivorFromA ? "A" : "B") + " initiated:\n" +
                p.a.showCryptoIkev2Sa(true));
        assertTrue(p.b.showCryptoIkev2Sa(true).contains("Initiator of SA : " + (lowest.survivorFromA ? "No" : "Yes")));
        assertEquals(2, p.eventsA.ikeUp, "the first IKE SA and the survivor; the redundant one is never announced");
        assertEquals(2, p.eventsB.ikeUp);

        // the children moved untouched
        assertEquals(List.of(childA), p.eventsA.live);
        assertEquals(List.of(childB), p.eventsB.live);
        assertEquals(List.of(childA), p.a.childSas());
        assertTrue(p.eventsA.down.isEmpty() && p.eventsB.down.isEmpty(), p.eventsA.order + " " + p.eventsB.order);
        assertEquals(0, p.a.counters().rejected() + p.b.counters().rejected(), logs);

        assertTheSurvivorWorks(p, childA);
    }

    @Test
    void simultaneousIkeSaRekeyWithRandomNoncesAlwaysAgreesOnTheSurvivor()
    {
        for (int round = 0; round < 12; round++)
        {
            final Pair p = established();
            final ChildSa childA = p.eventsA.live.getFirst();
            rekeyBothAtOnce(p, null);
            p.run();
            final boolean aLost = p.logA.stream().anyMatch(l -> l.contains("ours (SA") && l.contains("is deleted"));
            final boolean bLost = p.logB.stream().anyMatch(l -> l.contains("ours (SA") && l.contains("is deleted"));
            assertTrue(aLost != bLost, "exactly one side made the redundant SA:\n" + String.join("\n", p.logA) +
                "\n--- B ---\n" + String.join("\n", p.logB));
            assertEquals(1, p.a.ikeSaCount());
            assertEquals(1, p.b.ikeSaCount());
            assertArrayEquals(p.a.ikeSpis(Pair.ip(B)), p.b.ikeSpis(Pair.ip(A)));
            assertEquals(List.of(childA), p.eventsA.live);
            Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
        }
    }

    /**
     * Each message of the collision lost once in turn (the requests, the answers, the deletes and
     * theirs): retransmission, the cached answers of the old SA, and the timeout of an SA the peer
     * never deletes bring both sides to one IKE SA with the children.
     */
    @ParameterizedTest
    @EnumSource(value = Lowest.class, names = {"NONCE_A_SENT", "NONCE_B_SENT"})
    void simultaneousIkeSaRekeyConvergesWhenAnyOneMessageIsLost(final Lowest lowest)
    {
        for (int lost = 0; lost < 8; lost++)
        {
            final Pair p = established();
            final long[] old = p.a.ikeSpis(Pair.ip(B));
            final ChildSa childA = p.eventsA.live.getFirst();
            final ChildSa childB = p.eventsB.live.getFirst();
            final int[] count = {0};
            final int drop = lost;
            p.drop = d -> count[0]++ == drop;
            rekeyBothAtOnce(p, lowest);
            p.run();
            p.advance(120_000, 250);
            final String logs = "message " + lost + " lost\n" + String.join("\n", p.logA) + "\n--- B ---\n" +
                String.join("\n", p.logB);
            assertTrue(count[0] > lost, logs);
            assertEquals(1, p.a.ikeSaCount(), logs);
            assertEquals(1, p.b.ikeSaCount(), logs);
            final long[] now = p.a.ikeSpis(Pair.ip(B));
            assertArrayEquals(now, p.b.ikeSpis(Pair.ip(A)), logs);
            assertNotEquals(old[0], now[0]);
            assertEquals(List.of(childA), p.eventsA.live, logs);
            assertEquals(List.of(childB), p.eventsB.live, logs);
            assertTrue(p.eventsA.dead.isEmpty() && p.eventsB.dead.isEmpty(), logs);
            assertTheSurvivorWorks(p, childA);
        }
    }

    /**
     * A collision only one side sees: A's request is lost, so B completes its rekey alone and deletes
     * the old SA, and that delete is lost twice. A's retransmitted request meets the old SA B has
     * rekeyed and is refused TEMPORARY_FAILURE; A then hands the children to B's new SA, which it
     * answered, and B's delete of the old SA still finds A's.
     */
    @Test
    void aRefusedRekeyAfterAnUnnoticedCollisionHandsTheChildrenToThePeersNewSa()
    {
        final Pair p = established();
        final long[] old = p.a.ikeSpis(Pair.ip(B));
        final ChildSa childA = p.eventsA.live.getFirst();
        final int[] seen = {0};
        final int[] deletesDropped = {0};
        p.drop = d -> {
            final boolean informationalRequest = (d.bytes()[18] & 0xff) == Ikev2.INFORMATIONAL &&
                (d.bytes()[19] & Ikev2.FLAG_RESPONSE) == 0;
            if (seen[0]++ == 0)
            {
                return true;
            }
            if (!d.fromA() && informationalRequest && deletesDropped[0] < 2)
            {
                deletesDropped[0]++;
                return true;
            }
            return false;
        };
        rekeyBothAtOnce(p, null);
        p.run();
        p.advance(30_000, 250);
        final String logs = String.join("\n", p.logA) + "\n--- B ---\n" + String.join("\n", p.logB);
        assertEquals(2, deletesDropped[0], logs);
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("our IKE SA rekey refused (TEMPORARY_FAILURE) while the " +
            "peer's went through")), logs);
        assertEquals(1, p.a.ikeSaCount(), logs);
        assertEquals(1, p.b.ikeSaCount(), logs);
        assertArrayEquals(p.a.ikeSpis(Pair.ip(B)), p.b.ikeSpis(Pair.ip(A)));
        assertNotEquals(old[0], p.a.ikeSpis(Pair.ip(B))[0]);
        assertTrue(p.b.showCryptoIkev2Sa(true).contains("Initiator of SA : Yes"), "B's new SA survives");
        assertEquals(List.of(childA), p.eventsA.live, logs);
        assertTrue(p.eventsA.down.isEmpty() && p.eventsB.down.isEmpty());
        assertTheSurvivorWorks(p, childA);
    }

    /**
     * 2.25.2: A deletes the IKE SA while B rekeys it, the messages crossing. A answers the rekey
     * TEMPORARY_FAILURE (it is deleting); B answers the delete as usual and forgets its rekey.
     */
    @Test
    void aRekeyCrossingADeleteIsRefusedAndTheDeleteWins()
    {
        final Pair p = established();
        p.b.rekeyIke(Pair.ip(A));
        p.a.clear(Pair.ip(B));
        assertEquals(2, p.wire.size());
        p.run();
        final String logs = String.join("\n", p.logA) + "\n--- B ---\n" + String.join("\n", p.logB);
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("sending CREATE_CHILD_SA response") &&
            l.contains("TEMPORARY_FAILURE")), logs);
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("peer deleted the IKE SA we are rekeying: our rekey is " +
            "dropped")), logs);
        assertEquals(0, p.a.ikeSaCount(), logs);
        assertEquals(0, p.b.ikeSaCount(), logs);
        assertEquals(1, p.eventsB.ikeUp, "B never made a new IKE SA");
        assertTrue(p.eventsA.live.isEmpty() && p.eventsB.live.isEmpty());
        // nothing is left to retransmit or to time out
        p.advance(60_000, 1000);
        assertEquals(0, p.a.ikeSaCount() + p.b.ikeSaCount());
        assertTrue(p.eventsA.dead.isEmpty() && p.eventsB.dead.isEmpty());
    }

    /** The same with B's rekey arriving first: it is refused, then B receives the delete of the SA it rekeys. */
    @Test
    void aRekeyOfAnIkeSaBeingDeletedIsAnsweredTemporaryFailure()
    {
        final Pair p = established();
        p.a.clear(Pair.ip(B));
        p.b.rekeyIke(Pair.ip(A));
        // deliver B's rekey request first, A's delete after it
        final Pair.Datagram delete = p.wire.poll();
        p.run();
        p.deliver(delete);
        p.run();
        final String logs = String.join("\n", p.logA) + "\n--- B ---\n" + String.join("\n", p.logB);
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("sending CREATE_CHILD_SA response") &&
            l.contains("TEMPORARY_FAILURE")), logs);
        assertEquals(0, p.a.ikeSaCount(), logs);
        assertEquals(0, p.b.ikeSaCount(), logs);
        assertEquals(1, p.eventsB.ikeUp);
    }

    /** Liveness checks both ways, a child rekey both ways, and another IKE SA rekey, all on the surviving SA. */
    private static void assertTheSurvivorWorks(final Pair p, final ChildSa child)
    {
        final long acksA = p.a.counters().livenessAcks();
        final long acksB = p.b.counters().livenessAcks();
        p.a.idle(Pair.ip(B));
        p.b.idle(Pair.ip(A));
        p.run();
        assertEquals(acksA + 1, p.a.counters().livenessAcks(), String.join("\n", p.logA));
        assertEquals(acksB + 1, p.b.counters().livenessAcks(), String.join("\n", p.logB));
        p.a.rekeyChild(Pair.ip(B));
        p.run();
        p.b.rekeyChild(Pair.ip(A));
        p.run();
        assertEquals(1, p.eventsA.live.size(), p.eventsA.order.toString());
        assertEquals(1, p.eventsB.live.size(), p.eventsB.order.toString());
        assertNotEquals(child.spiIn(), p.eventsA.live.getFirst().spiIn());
        Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
        final long[] before = p.a.ikeSpis(Pair.ip(B));
        p.b.rekeyIke(Pair.ip(A));
        p.run();
        assertEquals(1, p.a.ikeSaCount());
        assertEquals(1, p.b.ikeSaCount());
        assertNotEquals(before[0], p.a.ikeSpis(Pair.ip(B))[0]);
        assertArrayEquals(p.a.ikeSpis(Pair.ip(B)), p.b.ikeSpis(Pair.ip(A)));
        assertEquals(1, p.eventsA.live.size());
    }
}
