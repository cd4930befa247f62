package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;

import static io.sluice.controlplane.ike.v2.Pair.child;
import static io.sluice.controlplane.ike.v2.Pair.set;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IKE fragmentation (RFC 7383) between two engines: IKE_AUTH with certificate chains through two
 * intermediate CAs, a 576-byte fragment size, lost fragments, and fragments that must be refused.
 */
class Ikev2FragmentationTest
{
    private static final String A = "10.0.0.1";
    private static final String B = "10.0.0.2";
    private static final int SIZE = 576;
    private static final CertPki ROOT = CertPki.root("C=CH, O=Sluice, CN=Fragment Root CA");
    private static final CertPki SUB = ROOT.intermediate("C=CH, O=Sluice, CN=Fragment Sub CA 1")
        .intermediate("C=CH, O=Sluice, CN=Fragment Sub CA 2");
    private static final KeyPair KEY_A = CertPki.rsa();
    private static final KeyPair KEY_B = CertPki.rsa();

    private static Ikev2Settings settings(final String local, final String peer, final KeyPair key, final int size,
        final Ikev2Settings.Proposal proposal)
    {
        final Ipsec.TransformSet ts = set(EspEncryption.AES_GCM_256, EspIntegrity.NONE, Ipsec.EncapsulationMode.TUNNEL);
        return Ikev2Settings.builder(Pair.ip(local)).proposal(proposal).fragmentSize(size)
            .credentials(SUB.credentials(key, "C=CH, O=Sluice, CN=gw " + local, local, null, ROOT))
            .peer(Ikev2Settings.Peer.certificate(Ip4Subnet.host(Ip4.parse(peer)), null, null,
                child(null, null, 0, ts)))
            .retransmit(1000, 4).build();
    }

    private static Pair pair(final int sizeA, final int sizeB, final Ikev2Settings.Proposal proposal)
    {
        return new Pair(settings(A, B, KEY_A, sizeA, proposal), settings(B, A, KEY_B, sizeB, proposal));
    }

    private static Pair pair()
    {
        return pair(SIZE, SIZE, Pair.gcm(31));
    }

    static boolean fragment(final Pair.Datagram d)
    {
        return (d.bytes()[16] & 0xff) == Ikev2.PAYLOAD_SKF;
    }

    static int number(final Pair.Datagram d)
    {
        return ((d.bytes()[32] & 0xff) << 8) | (d.bytes()[33] & 0xff);
    }

    static int total(final Pair.Datagram d)
    {
        return ((d.bytes()[34] & 0xff) << 8) | (d.bytes()[35] & 0xff);
    }

    private static String logs(final Pair p)
    {
        return String.join("\n", p.logA) + "\n--- B ---\n" + String.join("\n", p.logB);
    }

    private static void assertUp(final Pair p)
    {
        assertEquals(1, p.eventsA.live.size(), logs(p));
        assertEquals(1, p.eventsB.live.size(), logs(p));
        Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
    }

    @Test
    void certificateChainsGoInSeveralFragmentsEachWayWithinTheFragmentSize()
    {
        for (final Ikev2Settings.Proposal proposal : List.of(Pair.gcm(31), Pair.cbc(19)))
        {
            final Pair p = pair(SIZE, SIZE, proposal);
            p.a.initiate(p.peerOfA());
            p.run();
            assertUp(p);
            final List<Pair.Datagram> fromA = p.seen.stream().filter(d -> d.fromA() && fragment(d)).toList();
            final List<Pair.Datagram> fromB = p.seen.stream().filter(d -> !d.fromA() && fragment(d)).toList();
            assertTrue(fromA.size() >= 4, fromA.size() + " fragments of A's IKE_AUTH");
            assertTrue(fromB.size() >= 4, fromB.size() + " fragments of B's IKE_AUTH");
            assertEquals(fromA.size() + fromB.size() + 2, p.seen.size(), "IKE_SA_INIT, then only fragments");
            for (final Pair.Datagram d : p.seen)
            {
                assertTrue(d.bytes().length <= SIZE - 28, d.bytes().length + " bytes");
            }
            for (int i = 0; i < fromA.size(); i++)
            {
                assertEquals(i + 1, number(fromA.get(i)));
                assertEquals(fromA.size(), total(fromA.get(i)));
            }
            assertTrue(p.logB.stream().anyMatch(l -> l.contains("in " + fromA.size() + " fragments")), logs(p));
        }
    }

    @Test
    void withoutFragmentationOnOneSideMessagesGoWhole()
    {
        final Pair p = pair(SIZE, 0, Pair.gcm(31));
        p.a.initiate(p.peerOfA());
        p.run();
        assertUp(p);
        assertEquals(4, p.seen.size());
        assertTrue(p.seen.stream().noneMatch(Ikev2FragmentationTest::fragment));
        assertTrue(p.seen.get(2).bytes().length > SIZE, "the whole IKE_AUTH request");
    }

    @Test
    void aLostRequestFragmentIsRetransmittedWithAllTheOthersAsAUnit()
    {
        final Pair p = pair();
        final boolean[] dropped = {false};
        p.drop = d -> d.fromA() && fragment(d) && number(d) == 2 && !dropped[0] && (dropped[0] = true);
        p.a.initiate(p.peerOfA());
        p.run();
        assertEquals(0, p.eventsB.ikeUp, "B waits for the missing fragment");
        final List<Pair.Datagram> first = p.seen.stream().filter(d -> d.fromA() && fragment(d)).toList();
        p.advance(1500, 100);
        assertUp(p);
        final List<Pair.Datagram> all = p.seen.stream().filter(d -> d.fromA() && fragment(d)).toList();
        assertEquals(2 * first.size(), all.size(), "every fragment sent twice");
        for (int i = 0; i < first.size(); i++)
        {
            assertArrayEquals(first.get(i).bytes(), all.get(first.size() + i).bytes(), "retransmitted unchanged");
        }
        assertEquals(1, p.a.counters().retransmits());
        assertEquals(first.size() - 1, p.b.counters().duplicates(), "fragments B had already were ignored");
    }

    @Test
    void aLostResponseFragmentIsAnsweredOnceOnTheRetransmittedFirstFragment()
    {
        final Pair p = pair();
        final boolean[] dropped = {false};
        p.drop = d -> !d.fromA() && fragment(d) && number(d) == 3 && !dropped[0] && (dropped[0] = true);
        p.a.initiate(p.peerOfA());
        p.run();
        assertEquals(0, p.eventsA.ikeUp);
        final long responseFragments = p.seen.stream().filter(d -> !d.fromA() && fragment(d)).count();
        p.advance(1500, 100);
        assertUp(p);
        assertEquals(2 * responseFragments, p.seen.stream().filter(d -> !d.fromA() && fragment(d)).count(),
            "B's response resent once, not once per request fragment");
    }

    @Test
    void malformedCorruptAndOverlappingFragmentsAreRefused()
    {
        final Pair p = pair();
        final List<Pair.Datagram> captured = new ArrayList<>();
        p.drop = d -> d.fromA() && fragment(d) && captured.add(d);
        p.a.initiate(p.peerOfA());
        p.run();
        p.drop = d -> false;
        assertTrue(captured.size() >= 3);
        final long droppedBefore = p.b.counters().dropped();

        // fragment number 0, number above the total, a total above the limit: refused before decryption
        p.deliver(withNumbers(captured.getFirst(), 0, total(captured.getFirst())));
        p.deliver(withNumbers(captured.getFirst(), captured.size() + 1, captured.size()));
        p.deliver(withNumbers(captured.getFirst(), 1, Ikev2Engine.MAX_FRAGMENTS + 1));
        // a changed total is covered by the ICV; so is a flipped bit of ciphertext
        p.deliver(withNumbers(captured.get(1), 2, captured.size() + 1));
        final byte[] flipped = captured.get(1).bytes().clone();
        flipped[flipped.length - 20] ^= 1;
        p.deliver(new Pair.Datagram(flipped, captured.get(1).from(), captured.get(1).to(), true));
        // a non-first fragment claiming a next payload
        final byte[] next = captured.get(1).bytes().clone();
        next[28] = (byte)Ikev2.PAYLOAD_IDI;
        p.deliver(new Pair.Datagram(next, captured.get(1).from(), captured.get(1).to(), true));
        p.run();
        assertEquals(droppedBefore + 6, p.b.counters().dropped(), logs(p));
        assertEquals(0, p.eventsB.ikeUp);

        // the genuine fragments, the first one twice (an overlap): kept once, the message completes once
        p.deliver(captured.getFirst());
        p.deliver(captured.getFirst());
        for (final Pair.Datagram d : captured.subList(1, captured.size()))
        {
            p.deliver(d);
        }
        p.run();
        assertUp(p);
        assertEquals(1, p.eventsB.ikeUp);
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("SKF fragment 1 of " + captured.size() + " of message 1 again")),
            logs(p));
    }

    @Test
    void anIncompleteMessageIsForgottenAfterTheTimeout()
    {
        final Pair p = pair(SIZE, SIZE, Pair.gcm(31));
        final List<Pair.Datagram> captured = new ArrayList<>();
        p.drop = d -> d.fromA() && fragment(d) && captured.add(d);
        p.a.initiate(p.peerOfA());
        p.run();
        p.drop = d -> false;
        p.deliver(captured.getFirst());
        p.b.tick(p.now[0] + Ikev2Engine.FRAGMENT_TIMEOUT_MILLIS - 1);
        assertTrue(p.logB.stream().noneMatch(l -> l.contains("timed out")), logs(p));
        p.b.tick(p.now[0] + Ikev2Engine.FRAGMENT_TIMEOUT_MILLIS);
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("incomplete fragmented message 1 (1 of " + captured.size() +
            " fragments) timed out")), logs(p));
        // the rest alone no longer completes the message
        for (final Pair.Datagram d : captured.subList(1, captured.size()))
        {
            p.deliver(d);
        }
        assertEquals(0, p.eventsB.ikeUp, logs(p));
    }

    private static Pair.Datagram withNumbers(final Pair.Datagram d, final int number, final int total)
    {
        final byte[] b = d.bytes().clone();
        b[32] = (byte)(number >>> 8);
        b[33] = (byte)number;
        b[34] = (byte)(total >>> 8);
        b[35] = (byte)total;
        return new Pair.Datagram(b, d.from(), d.to(), d.fromA());
    }
}
