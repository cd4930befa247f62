package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static io.sluice.controlplane.ike.v1.Settings.builder;
import static io.sluice.controlplane.ike.v1.Settings.ip;
import static io.sluice.controlplane.ike.v1.Settings.ip4;
import static io.sluice.controlplane.ike.v1.Settings.policy;
import static io.sluice.controlplane.ike.v1.Settings.set;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Make-before-break rekeying of child SAs and of phase 1, and RESPONDER-LIFETIME, between two engines. */
class Ikev1RekeyTest
{
    private static final String A = "192.0.2.1";
    private static final String B = "192.0.2.2";
    private static final Ipsec.TransformSet TS = set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);

    private static Ikev1Settings.Phase2Policy phase2(final String peer, final long seconds)
    {
        return new Ikev1Settings.Phase2Policy(Ip4Subnet.host(ip4(peer)), List.of(TS),
            new Ipsec.Lifetime(seconds, 4_608_000), 2, null, null);
    }

    private static EnginePair pair(final int phase1Seconds, final long seconds, final long secondsB)
    {
        final var pol = policy(1, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, phase1Seconds);
        final var p = new EnginePair(builder(A, B, "k", pol, phase2(B, seconds)).build(),
            builder(B, A, "k", pol, phase2(A, secondsB)).build(), ip("198.51.100.7"));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        assertEquals(1, p.a.childSas().size(), p.logs());
        return p;
    }

    /** Every child SA of one side has its mirror on the other: same SPIs crossed, same keys crossed. */
    private static void assertMirrored(final EnginePair p)
    {
        final List<ChildSa> a = p.a.childSas();
        final List<ChildSa> b = p.b.childSas();
        assertEquals(a.size(), b.size(), p.logs());
        for (final ChildSa ca : a)
        {
            final ChildSa cb = b.stream().filter(x -> x.spiOut() == ca.spiIn()).findFirst().orElseThrow(
                () -> new AssertionError("no mirror of " + ca + " in " + b));
            assertEquals(ca.spiOut(), cb.spiIn());
            assertArrayEquals(ca.keyIn(), cb.keyOut());
            assertArrayEquals(ca.keyOut(), cb.keyIn());
        }
    }

    private static String spi(final ChildSa c)
    {
        return ChildSa.spiText(c.spiIn());
    }

    @Test
    void rekeyChildIsMakeBeforeBreakNewSaFirstOldDeletedAfterTheOverlapWithNotification()
    {
        final EnginePair p = pair(86400, 3600, 3600);
        final ChildSa old = p.a.childSas().get(0);
        final ChildSa oldB = p.b.childSas().get(0);
        assertTrue(p.a.rekeyChild(old.spiIn()));
        assertFalse(p.a.rekeyChild(old.spiIn()), "a rekey already under way");
        assertFalse(p.a.rekeyChild(0x1234_5678L), "no such SA");
        p.run();
        // both SAs live on both sides during the overlap, same proxy identities and PFS as before
        assertEquals(2, p.a.childSas().size(), p.logs());
        assertMirrored(p);
        final ChildSa fresh = p.a.childSas().get(1);
        assertEquals(old.localSelector(), fresh.localSelector());
        assertEquals(old.remoteSelector(), fresh.remoteSelector());
        assertEquals(2, fresh.pfsGroup());
        assertEquals(List.of("phase1 " + B, "up " + spi(old), "up " + spi(fresh)), p.eventsA);
        p.advance(10_000 - 1000, 500);
        assertEquals(2, p.a.childSas().size());
        p.advance(2000, 500);
        assertEquals(List.of("phase1 " + B, "up " + spi(old), "up " + spi(fresh), "down " + spi(old) + " rekeyed"),
            p.eventsA);
        // the peer heard our delete notification for the old SA
        assertTrue(p.eventsB.contains("down " + spi(oldB) + " deleted by peer"), p.eventsB + p.logs());
        assertEquals(1, p.b.childSas().size());
        assertMirrored(p);
        assertFalse(p.a.rekeyChild(old.spiIn()), "the old SA is gone");
    }

    @Test
    void childSasAreRekeyedAtTheirSoftLifetimeAndNeverLapse()
    {
        final EnginePair p = pair(86400, 120, 120);
        int minimum = Integer.MAX_VALUE;
        for (int second = 0; second < 400; second++)
        {
            p.advance(1000, 1000);
            minimum = Math.min(minimum, Math.min(p.a.childSas().size(), p.b.childSas().size()));
            for (final ChildSa c : p.a.childSas())
            {
                assertEquals(120, c.lifetimeSeconds());
            }
        }
        assertEquals(1, minimum, "traffic always had an SA on both sides\n" + p.logs());
        // the initiator rekeyed at ~90 % (108 s): ~400 / 108 rekeys, the responder never had to
        final long ups = p.eventsA.stream().filter(e -> e.startsWith("up ")).count();
        assertTrue(ups >= 4, p.eventsA.toString());
        assertEquals(ups, p.eventsB.stream().filter(e -> e.startsWith("up ")).count(), p.eventsB.toString());
        assertTrue(p.eventsA.stream().noneMatch(e -> e.contains("lifetime expired")), p.eventsA.toString());
        assertTrue(p.eventsB.stream().noneMatch(e -> e.contains("lifetime expired")), p.eventsB.toString());
        assertTrue(p.eventsA.stream().filter(e -> e.startsWith("down ")).allMatch(e -> e.endsWith(" rekeyed")));
        assertMirrored(p);
    }

    @Test
    void theResponderRekeysWhenTheInitiatorDoesNotAndAnUnrekeyedSaExpiresAtItsHardLifetime()
    {
        final EnginePair p = pair(86400, 100, 100);
        // A never sends its own rekey: only answers (drop A's quick mode initiations by dropping all its first QMs)
        final ChildSa first = p.a.childSas().get(0);
        final int[] dropped = {0};
        p.drop = d -> {
            // the initiator's own rekey attempt (at 90 s) is lost, as are its retransmissions, until 96 s
            if (d.fromA() && p.now[0] < 1_000_000 + 96_000 && p.now[0] > 1_000_000 + 89_000)
            {
                dropped[0]++;
                return true;
            }
            return false;
        };
        p.advance(99_000, 500);
        // B rekeyed at 95 %: A's stalled attempt did not stop it
        assertTrue(dropped[0] > 0);
        assertTrue(p.b.childSas().size() >= 2 || p.eventsB.stream().filter(e -> e.startsWith("up ")).count() >= 2,
            p.eventsB + p.logs());
        p.advance(20_000, 500);
        assertFalse(p.a.childSas().stream().anyMatch(c -> c.spiIn() == first.spiIn()), p.logs());
        assertFalse(p.a.childSas().isEmpty());
        assertMirrored(p);

        // no answers at all: the SA expires at its hard lifetime and both sides delete it
        final EnginePair q = pair(86400, 100, 100);
        final ChildSa only = q.a.childSas().get(0);
        q.drop = d -> true;
        q.advance(99_000, 1000);
        assertEquals(1, q.a.childSas().size());
        q.advance(2000, 1000);
        assertTrue(q.eventsA.contains("down " + spi(only) + " lifetime expired"), q.eventsA.toString());
        assertTrue(q.a.childSas().isEmpty() && q.b.childSas().isEmpty());
    }

    @Test
    void aPeerRekeyKeepsBothSasUntilThePeerDeletesTheOldOne()
    {
        final EnginePair p = pair(86400, 3600, 3600);
        final ChildSa oldA = p.a.childSas().get(0);
        final ChildSa oldB = p.b.childSas().get(0);
        // B (the quick mode responder until now) rekeys
        assertTrue(p.b.rekeyChild(oldB.spiIn()));
        p.run();
        assertEquals(2, p.a.childSas().size(), p.logs());
        assertMirrored(p);
        // A, the responder of this rekey, keeps the old SA and does not rekey it itself
        p.advance(5000, 500);
        assertEquals(2, p.a.childSas().size());
        assertFalse(p.a.rekeyChild(oldA.spiIn()), "already replaced by the peer's rekey");
        p.advance(10_000, 500);
        assertEquals(1, p.a.childSas().size());
        assertTrue(p.eventsA.contains("down " + spi(oldA) + " deleted by peer"), p.eventsA.toString());
        assertMirrored(p);
    }

    @Test
    void phase1IsRenegotiatedBeforeItExpiresWithoutDroppingChildSas()
    {
        final EnginePair p = pair(600, 86400, 86400);
        final ChildSa child = p.a.childSas().get(0);
        final String firstShow = p.a.showCryptoIsakmpSa();
        assertTrue(firstShow.contains("1001 ACTIVE"), firstShow);
        p.advance(1900_000, 1000);
        // renegotiated at 540 s, 1080 s, 1620 s; the replaced IKE SAs deleted with notification on both sides
        assertEquals(4, p.eventsA.stream().filter(e -> e.startsWith("phase1")).count(), p.eventsA.toString());
        assertEquals(4, p.eventsB.stream().filter(e -> e.startsWith("phase1")).count(), p.eventsB.toString());
        assertTrue(p.eventsA.stream().noneMatch(e -> e.startsWith("down")), p.eventsA.toString());
        assertTrue(p.eventsB.stream().noneMatch(e -> e.startsWith("down")), p.eventsB.toString());
        assertEquals(List.of(child.spiIn()), p.a.childSas().stream().map(ChildSa::spiIn).toList());
        final String show = p.a.showCryptoIsakmpSa();
        assertEquals(1, show.lines().filter(l -> l.contains("QM_IDLE")).count(), show);
        assertFalse(show.contains("1001 ACTIVE"), show);
        assertEquals(1, p.b.showCryptoIsakmpSa().lines().filter(l -> l.contains("QM_IDLE")).count());
        // the adopted child SA can still be rekeyed over the new IKE SA
        assertTrue(p.a.rekeyChild(child.spiIn()));
        p.run();
        assertEquals(2, p.a.childSas().size(), p.logs());
        assertMirrored(p);
    }

    @Test
    void aResponderWithAShorterLifetimeSendsResponderLifetimeAndTheInitiatorHonoursIt()
    {
        final EnginePair p = pair(86400, 3600, 600);
        assertEquals(600, p.a.childSas().get(0).lifetimeSeconds());
        assertEquals(600, p.b.childSas().get(0).lifetimeSeconds());
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("sending RESPONDER_LIFETIME notify: 600 s")), p.logs());
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("processing RESPONDER_LIFETIME notify: 600 s")), p.logs());
        // equal lifetimes: no notify
        final EnginePair q = pair(86400, 600, 600);
        assertTrue(q.logB.stream().noneMatch(l -> l.contains("RESPONDER_LIFETIME")), q.logs());
    }

    @Test
    void responderLifetimeDataRoundTripsAndRejectsLyingLengths()
    {
        final long[] both = Ikev1Engine.responderLifetime(Ikev1Engine.responderLifetimeData(600, 100_000));
        assertArrayEquals(new long[]{600, 100_000}, both);
        assertArrayEquals(new long[]{0, 4_608_000}, Ikev1Engine.responderLifetime(
            Ikev1Engine.responderLifetimeData(0, 4_608_000)));
        // a variable attribute that claims more bytes than there are
        final byte[] lying = {(byte)0x80, 1, 0, 1, 0, 2, 0, 9, 0, 0};
        assertThrows(Ikev1Exception.class, () -> Ikev1Engine.responderLifetime(lying));
        assertThrows(Ikev1Exception.class, () -> Ikev1Engine.responderLifetime(new byte[]{(byte)0x80, 1}));
        final Set<Long> none = java.util.Arrays.stream(Ikev1Engine.responderLifetime(new byte[0])).boxed()
            .collect(Collectors.toSet());
        assertEquals(Set.of(0L), none);
    }
}
