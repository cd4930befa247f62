package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.IkeLog;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Two engines wired back to back through an in-memory network with a virtual clock. The network
 * can drop datagrams and can put a NAT in front of {@code a} (its source address and port are
 * rewritten, as a NAPT would), so NAT-T and retransmission run without sockets.
 */
final class EnginePair
{
    record Datagram(byte[] bytes, InetSocketAddress from, InetSocketAddress to, boolean fromA)
    {
    }

    final long[] now = {1_000_000};
    final Deque<Datagram> wire = new ArrayDeque<>();
    final List<String> logA = Collections.synchronizedList(new ArrayList<>());
    final List<String> logB = Collections.synchronizedList(new ArrayList<>());
    final List<ChildSa> childrenA = new ArrayList<>();
    final List<ChildSa> childrenB = new ArrayList<>();
    final List<InetSocketAddress> deadA = new ArrayList<>();
    final List<InetSocketAddress> deadB = new ArrayList<>();
    /** Listener calls in order: "up SPI", "down SPI reason", "phase1", "failover FROM TO",
     * "assigned PEER ADDRESS", "released PEER ADDRESS", "virtual ADDRESS"; spi as {@link ChildSa#spiText}. */
    final List<String> eventsA = new ArrayList<>();
    final List<String> eventsB = new ArrayList<>();
    final InetAddress addressA;
    final InetAddress addressB;
    /** A's address as B sees it when {@link #nat} is on. */
    final InetAddress natOutside;
    boolean nat;
    Predicate<Datagram> drop = d -> false;
    int delivered;
    Ikev1Engine a;
    Ikev1Engine b;

    EnginePair(final Ikev1Settings settingsA, final Ikev1Settings settingsB, final InetAddress natOutside)
    {
        this.addressA = settingsA.localAddress();
        this.addressB = settingsB.localAddress();
        this.natOutside = natOutside;
        final SecureRandom random = new SecureRandom();
        a = new Ikev1Engine(settingsA, (d, to, port) -> wire.add(new Datagram(d, new InetSocketAddress(addressA, port),
            to, true)), listener(childrenA, deadA, eventsA), IkeLog.to(logA::add, true), () -> now[0], random);
        b = new Ikev1Engine(settingsB, (d, to, port) -> wire.add(new Datagram(d, new InetSocketAddress(addressB, port),
            to, false)), listener(childrenB, deadB, eventsB), IkeLog.to(logB::add, true), () -> now[0], random);
    }

    static Ikev1Engine.Listener listener(final List<ChildSa> children, final List<InetSocketAddress> dead,
        final List<String> events)
    {
        return new Ikev1Engine.Listener()
        {
            @Override
            public void phase1Established(final InetSocketAddress peer, final String peerId)
            {
                events.add("phase1 " + peer.getAddress().getHostAddress());
            }

            @Override
            public void childSaEstablished(final ChildSa sa)
            {
                children.add(sa);
                events.add("up " + ChildSa.spiText(sa.spiIn()));
            }

            @Override
            public void childSaDeleted(final ChildSa sa, final String reason)
            {
                events.add("down " + ChildSa.spiText(sa.spiIn()) + " " + reason);
            }

            @Override
            public void peerDead(final InetSocketAddress peer)
            {
                dead.add(peer);
                events.add("dead " + peer.getAddress().getHostAddress());
            }

            @Override
            public void peerFailover(final InetSocketAddress failed, final InetSocketAddress next)
            {
                events.add("failover " + failed.getAddress().getHostAddress() + " " + next.getAddress().getHostAddress());
            }

            @Override
            public void addressAssigned(final InetSocketAddress peer, final InetAddress address)
            {
                events.add("assigned " + peer.getAddress().getHostAddress() + " " + address.getHostAddress());
            }

            @Override
            public void addressReleased(final InetSocketAddress peer, final InetAddress address)
            {
                events.add("released " + peer.getAddress().getHostAddress() + " " + address.getHostAddress());
            }

            @Override
            public void virtualAddressAssigned(final InetSocketAddress gateway, final InetAddress address)
            {
                events.add("virtual " + address.getHostAddress());
            }
        };
    }

    /** Delivers datagrams until the wire is empty (or a bound is hit). */
    void run()
    {
        int guard = 0;
        while (!wire.isEmpty() && guard++ < 10_000)
        {
            final Datagram d = wire.poll();
            if (drop.test(d))
            {
                continue;
            }
            delivered++;
            if (d.fromA)
            {
                // behind the NAT, A's packets leave from the NAT's outside address and a mapped port
                final InetSocketAddress src = nat ? new InetSocketAddress(natOutside, d.from.getPort() + 30000) : d.from;
                b.receive(d.bytes, src, d.to.getPort());
            }
            else
            {
                final InetSocketAddress dst = nat ? new InetSocketAddress(addressA, d.to.getPort() - 30000) : d.to;
                if (nat && !d.to.getAddress().equals(natOutside))
                {
                    continue;
                }
                a.receive(d.bytes, d.from, dst.getPort());
            }
        }
    }

    /** Advances the clock in steps, ticking both engines and delivering. */
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

    String logs()
    {
        return "--- A ---\n" + String.join("\n", logA) + "\n--- B ---\n" + String.join("\n", logB);
    }

    /** Both sides hold one child SA, each one's inbound the other's outbound, keys and algorithms alike. */
    static void assertChildrenMirror(final EnginePair p)
    {
        assertEquals(1, p.childrenA.size(), p.logs());
        assertEquals(1, p.childrenB.size(), p.logs());
        final ChildSa a = p.childrenA.get(0);
        final ChildSa b = p.childrenB.get(0);
        assertEquals(a.spiIn(), b.spiOut());
        assertEquals(a.spiOut(), b.spiIn());
        assertArrayEquals(a.keyIn(), b.keyOut());
        assertArrayEquals(a.keyOut(), b.keyIn());
        assertFalse(java.util.Arrays.equals(a.keyIn(), a.keyOut()), "directions must have different keys");
        assertEquals(a.encryption(), b.encryption());
        assertEquals(a.integrity(), b.integrity());
        assertEquals(a.encryption().keyMaterialLength() + a.integrity().keyLength(), a.keyIn().length,
            "cipher and integrity key material");
    }
}
