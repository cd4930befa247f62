package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.IkeLog;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.function.Predicate;

/**
 * Two IKEv2 engines back to back through an in-memory network on a virtual clock. The network can
 * drop datagrams and can put a NAT in front of {@code a} (its source address and port rewritten,
 * as a NAPT would), so NAT-T and retransmission run without sockets.
 */
final class Pair
{
    static final String PSK = "pair-psk-0123456789";

    record Datagram(byte[] bytes, InetSocketAddress from, InetSocketAddress to, boolean fromA)
    {
    }

    /** Everything one engine told its listener, in order. */
    static final class Events implements Ikev2Engine.Listener
    {
        final List<String> order = Collections.synchronizedList(new ArrayList<>());
        final List<ChildSa> up = new ArrayList<>();
        final List<ChildSa> down = new ArrayList<>();
        final List<ChildSa> live = new ArrayList<>();
        final List<InetSocketAddress> dead = new ArrayList<>();
        int ikeUp;

        @Override
        public void ikeSaEstablished(final InetSocketAddress peer, final String peerId)
        {
            ikeUp++;
            order.add("ike " + peerId);
        }

        @Override
        public void childSaEstablished(final ChildSa sa)
        {
            up.add(sa);
            live.add(sa);
            order.add("up " + ChildSa.spiText(sa.spiIn()));
        }

        @Override
        public void childSaDeleted(final ChildSa sa, final String reason)
        {
            down.add(sa);
            live.remove(sa);
            order.add("down " + ChildSa.spiText(sa.spiIn()) + " " + reason);
        }

        @Override
        public void peerDead(final InetSocketAddress peer)
        {
            dead.add(peer);
            order.add("dead " + peer);
        }
    }

    final long[] now = {1_000_000};
    final Deque<Datagram> wire = new ArrayDeque<>();
    final List<Datagram> seen = new ArrayList<>();
    final List<String> logA = Collections.synchronizedList(new ArrayList<>());
    final List<String> logB = Collections.synchronizedList(new ArrayList<>());
    final Events eventsA = new Events();
    final Events eventsB = new Events();
    final InetAddress addressA;
    final InetAddress addressB;
    final InetAddress natOutside = ip("192.0.2.99");
    boolean nat;
    Predicate<Datagram> drop = d -> false;
    Ikev2Engine a;
    Ikev2Engine b;

    Pair(final Ikev2Settings settingsA, final Ikev2Settings settingsB)
    {
        this(settingsA, settingsB, new SecureRandom(), new SecureRandom());
    }

    /** With each engine's own source of randomness (nonces, SPIs, DH keys). */
    Pair(final Ikev2Settings settingsA, final Ikev2Settings settingsB, final SecureRandom randomA,
        final SecureRandom randomB)
    {
        addressA = settingsA.localAddress();
        addressB = settingsB.localAddress();
        a = new Ikev2Engine(settingsA, (d, to, port) -> wire.add(new Datagram(d, new InetSocketAddress(addressA, port),
            to, true)), eventsA, IkeLog.to(logA::add, true), () -> now[0], randomA);
        b = new Ikev2Engine(settingsB, (d, to, port) -> wire.add(new Datagram(d, new InetSocketAddress(addressB, port),
            to, false)), eventsB, IkeLog.to(logB::add, true), () -> now[0], randomB);
    }

    /** Delivers datagrams until the wire is empty. */
    void run()
    {
        int guard = 0;
        while (!wire.isEmpty() && guard++ < 10_000)
        {
            deliver(wire.poll());
        }
    }

    void deliver(final Datagram d)
    {
        seen.add(d);
        if (drop.test(d))
        {
            return;
        }
        if (d.fromA)
        {
            final InetSocketAddress from = nat ? new InetSocketAddress(natOutside, d.from.getPort() + 10_000) : d.from;
            b.receive(d.bytes, from, d.to.getPort());
        }
        else
        {
            if (nat && !d.to.getAddress().equals(natOutside))
            {
                return;
            }
            a.receive(d.bytes, new InetSocketAddress(d.from.getAddress(), d.from.getPort()),
                nat ? d.to.getPort() - 10_000 : d.to.getPort());
        }
    }

    /** Advances the clock in steps, ticking both engines and delivering what they send. */
    void advance(final long millis, final long step)
    {
        for (long t = 0; t < millis; t += step)
        {
            now[0] += step;
            a.tick(now[0]);
            b.tick(now[0]);
            run();
        }
    }

    InetSocketAddress peerOfA()
    {
        return new InetSocketAddress(addressB, 500);
    }

    /** A's and B's child lists describe the same SAs from both ends. */
    static void assertMirrored(final ChildSa x, final ChildSa y)
    {
        org.junit.jupiter.api.Assertions.assertEquals(x.spiIn(), y.spiOut());
        org.junit.jupiter.api.Assertions.assertEquals(x.spiOut(), y.spiIn());
        org.junit.jupiter.api.Assertions.assertArrayEquals(x.keyIn(), y.keyOut());
        org.junit.jupiter.api.Assertions.assertArrayEquals(x.keyOut(), y.keyIn());
        org.junit.jupiter.api.Assertions.assertEquals(x.encryption(), y.encryption());
        org.junit.jupiter.api.Assertions.assertEquals(x.integrity(), y.integrity());
        org.junit.jupiter.api.Assertions.assertEquals(x.mode(), y.mode());
        org.junit.jupiter.api.Assertions.assertEquals(x.localSelector(), y.remoteSelector());
    }

    // ---------------------------------------------------------------------------- settings

    static InetAddress ip(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final UnknownHostException e)
        {
            throw new IllegalArgumentException(e);
        }
    }

    static Ikev2Settings.Proposal gcm(final int group)
    {
        return Ikev2Settings.Proposal.of(IkeSuite.Encryption.AES_GCM_16, 256, IkeSuite.Prf.HMAC_SHA2_256,
            IkeSuite.Integrity.NONE, group);
    }

    static Ikev2Settings.Proposal cbc(final int group)
    {
        return Ikev2Settings.Proposal.of(IkeSuite.Encryption.AES_CBC, 256, IkeSuite.Prf.HMAC_SHA2_256,
            IkeSuite.Integrity.HMAC_SHA2_256_128, group);
    }

    static Ipsec.TransformSet set(final EspEncryption e, final EspIntegrity i, final Ipsec.EncapsulationMode mode)
    {
        return new Ipsec.TransformSet("ts", e, i, mode);
    }

    static Ikev2Settings.ChildPolicy child(final String local, final String remote, final int pfs,
        final Ipsec.TransformSet... sets)
    {
        return new Ikev2Settings.ChildPolicy(List.of(sets), new Ipsec.Lifetime(3600, 4_608_000), pfs, ts(local), ts(remote));
    }

    static TrafficSelector ts(final String cidr)
    {
        if (cidr == null)
        {
            return null;
        }
        final String[] p = cidr.split("/");
        return TrafficSelector.of(new Ip4Subnet(Ip4.parse(p[0]), Integer.parseInt(p[1])));
    }

    static Ikev2Settings.Builder settings(final String local, final String peer, final String key,
        final Ikev2Settings.ChildPolicy child, final Ikev2Settings.Proposal... proposals)
    {
        final Ikev2Settings.Builder b = Ikev2Settings.builder(ip(local));
        for (final Ikev2Settings.Proposal p : proposals)
        {
            b.proposal(p);
        }
        b.peer(Ikev2Settings.Peer.psk(Ip4Subnet.host(Ip4.parse(peer)), key, child));
        return b;
    }
}
