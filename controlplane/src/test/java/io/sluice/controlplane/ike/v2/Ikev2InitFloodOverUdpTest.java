package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.DiffieHellman;
import io.sluice.controlplane.ike.IkeLog;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.sluice.controlplane.ike.v2.Pair.PSK;
import static io.sluice.controlplane.ike.v2.Pair.child;
import static io.sluice.controlplane.ike.v2.Pair.gcm;
import static io.sluice.controlplane.ike.v2.Pair.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input and load over the kernel's UDP on loopback: a responder on real sockets takes a flood
 * of well-formed IKE_SA_INIT requests from 200 source ports (each with a fresh SPI and nonce, never
 * returning a cookie, as a flood from forged addresses would), while a legitimate initiator on its
 * own sockets connects through it with a cookie.
 */
class Ikev2InitFloodOverUdpTest
{
    private static final InetAddress LOOPBACK = Pair.ip("127.0.0.1");
    private static final Ipsec.TransformSet GCM = set(EspEncryption.AES_GCM_256, EspIntegrity.NONE,
        Ipsec.EncapsulationMode.TUNNEL);
    private static final int FLOOD_SOCKETS = 200;
    private static final int COOKIE_THRESHOLD = 16;
    private static final int MAX_HALF_OPEN = 64;
    private static final long MIN_FLOOD_MILLIS = 2000;
    private static final long MAX_FLOOD_MILLIS = 10_000;

    @Test
    void aFloodOfIkeSaInitOverUdpStaysBoundedDemandsCookiesAndALegitimatePeerStillConnects() throws Exception
    {
        final List<String> responderLog = new CopyOnWriteArrayList<>();
        final List<String> initiatorLog = new CopyOnWriteArrayList<>();
        final List<ChildSa> initiatorChildren = new CopyOnWriteArrayList<>();
        final List<DatagramChannel> flood = new ArrayList<>();
        try (LoopbackUdp responderUdp = LoopbackUdp.open(LOOPBACK); LoopbackUdp initiatorUdp = LoopbackUdp.open(LOOPBACK))
        {
            final Ikev2Settings.Builder rs = Pair.settings("127.0.0.1", "127.0.0.1", PSK,
                child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31));
            rs.cookieThreshold = COOKIE_THRESHOLD;
            rs.maxHalfOpen = MAX_HALF_OPEN;
            rs.maxHalfOpenPerPeer = MAX_HALF_OPEN;
            final Ikev2Engine responder = new Ikev2Engine(rs.build(), responderUdp::send, new Ikev2Engine.Listener()
            {
            }, IkeLog.to(responderLog::add, false), LoopbackUdp::now, new SecureRandom());
            final Ikev2Engine initiator = new Ikev2Engine(Pair.settings("127.0.0.1", "127.0.0.1", PSK,
                child("10.1.0.0/24", "10.2.0.0/24", 0, GCM), gcm(31)).retransmit(500, 6).build(), initiatorUdp::send,
                new Ikev2Engine.Listener()
                {
                    @Override
                    public void childSaEstablished(final ChildSa sa)
                    {
                        initiatorChildren.add(sa);
                    }
                }, IkeLog.to(initiatorLog::add, true), LoopbackUdp::now, new SecureRandom());
            initiatorUdp.peer(responderUdp);
            responderUdp.start(responder, 50, "ike2-flood-responder");
            initiatorUdp.start(initiator, 50, "ike2-flood-initiator");
            for (int i = 0; i < FLOOD_SOCKETS; i++)
            {
                final DatagramChannel c = DatagramChannel.open();
                c.bind(new InetSocketAddress(LOOPBACK, 0));
                c.configureBlocking(false);
                flood.add(c);
            }

            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong sent = new AtomicLong();
            final AtomicLong cookiesReceived = new AtomicLong();
            final Throwable[] floodFailure = new Throwable[1];
            final InetSocketAddress target = responderUdp.ikeAddress();
            final Thread flooder = new Thread(() -> {
                try
                {
                    flood(flood, target, stop, sent, cookiesReceived);
                }
                catch (final Throwable e)
                {
                    floodFailure[0] = e;
                }
            }, "ike2-flood");
            final long start = LoopbackUdp.now();
            flooder.start();

            // the legitimate peer starts once the flood has filled the half-open SAs up to the cookie threshold
            int maxHalfOpen = 0;
            while (sent.get() < 2 * FLOOD_SOCKETS && LoopbackUdp.now() - start < MAX_FLOOD_MILLIS)
            {
                maxHalfOpen = Math.max(maxHalfOpen, responder.ikeSaCount());
                Thread.sleep(5);
            }
            initiator.initiate(new InetSocketAddress(LOOPBACK, Ikev2Engine.IKE_PORT));
            while (LoopbackUdp.now() - start < MAX_FLOOD_MILLIS &&
                (initiatorChildren.isEmpty() || LoopbackUdp.now() - start < MIN_FLOOD_MILLIS))
            {
                maxHalfOpen = Math.max(maxHalfOpen, responder.ikeSaCount());
                Thread.sleep(5);
            }
            final boolean establishedDuringFlood = initiator.established(LOOPBACK) && !initiatorChildren.isEmpty();
            stop.set(true);
            flooder.join(5000);

            final Ikev2Engine.Counters counters = responder.counters();
            final String diagnostics = "\nflood sent " + sent.get() + ", cookies back " + cookiesReceived.get() +
                "\nresponder " + counters + "\n" + String.join("\n", responderLog) + "\n--- initiator ---\n" +
                String.join("\n", initiatorLog);
            System.out.println("IKE_SA_INIT flood: " + sent.get() + " requests in " + (LoopbackUdp.now() - start) +
                " ms, " + cookiesReceived.get() + " COOKIE notifies back, at most " + maxHalfOpen + " IKE SAs held; " +
                counters);
            assertNull(floodFailure[0], diagnostics);
            assertTrue(sent.get() >= 5000, "many thousands of requests: " + diagnostics);
            assertTrue(establishedDuringFlood, "the legitimate peer established under the flood:" + diagnostics);
            assertTrue(initiatorLog.stream().anyMatch(l -> l.contains("responder asks for a cookie")), diagnostics);
            // bounded: below the cookie threshold nothing new is kept, so half-open SAs never pass it
            // (one more for the legitimate peer that came back with its cookie)
            assertTrue(maxHalfOpen <= COOKIE_THRESHOLD + 1 && maxHalfOpen <= MAX_HALF_OPEN,
                "at most " + maxHalfOpen + " IKE SAs held" + diagnostics);
            assertTrue(responder.ikeSaCount() <= COOKIE_THRESHOLD + 1, diagnostics);
            assertTrue(counters.cookiesSent() >= 1000, diagnostics);
            assertTrue(cookiesReceived.get() >= 1000, "the flood's sockets got COOKIE notifies" + diagnostics);
            assertTrue(responder.established(LOOPBACK), diagnostics);
            assertEquals(1, responder.childSas().size(), diagnostics);
            Pair.assertMirrored(initiatorChildren.getFirst(), responder.childSas().getFirst());
            assertNull(responderUdp.failure(), diagnostics);
            assertNull(initiatorUdp.failure(), diagnostics);
            assertEquals(0, counters.rejected(), diagnostics);
            assertTrue(responderLog.stream().noneMatch(l -> l.contains("internal error")), diagnostics);
            assertTrue(initiatorLog.stream().noneMatch(l -> l.contains("internal error")), diagnostics);
        }
        finally
        {
            for (final DatagramChannel c : flood)
            {
                c.close();
            }
        }
    }

    /**
     * One IKE_SA_INIT from each socket in turn, every few milliseconds (a pace the responder keeps up
     * with, so the legitimate peer is not lost to a full socket buffer), each with a fresh SPI and
     * nonce and one of a few KE values; and counts the COOKIE notifies that come back.
     */
    private static void flood(final List<DatagramChannel> sockets, final InetSocketAddress target,
        final AtomicBoolean stop, final AtomicLong sent, final AtomicLong cookies) throws IOException,
        InterruptedException
    {
        final SecureRandom secure = new SecureRandom();
        final byte[][] ke = new byte[16][];
        for (int i = 0; i < ke.length; i++)
        {
            ke[i] = DiffieHellman.generate(31, secure).publicValue();
        }
        final SplittableRandom random = new SplittableRandom(secure.nextLong());
        final ByteBuffer in = ByteBuffer.allocate(2048);
        long n = 0;
        while (!stop.get())
        {
            for (final DatagramChannel c : sockets)
            {
                c.send(ByteBuffer.wrap(init(random, ke[(int)(n++ % ke.length)])), target);
                while (c.receive(in.clear()) != null)
                {
                    in.flip();
                    final byte[] d = new byte[in.remaining()];
                    in.get(d);
                    if (asksForCookie(d))
                    {
                        cookies.incrementAndGet();
                    }
                }
            }
            sent.set(n);
            Thread.sleep(20);
        }
    }

    private static byte[] init(final SplittableRandom random, final byte[] ke)
    {
        final byte[] nonce = new byte[32];
        random.nextBytes(nonce);
        final byte[] body = PayloadCodec.encode(List.of(new Payload.Sa(List.of(new Payload.Proposal(1, Ikev2.PROTO_IKE,
            new byte[0], gcm(31).transforms()))), new Payload.KeyExchange(31, ke), new Payload.Nonce(nonce)));
        final byte[] d = new byte[Ikev2.HEADER_LENGTH + body.length];
        new Ikev2Header(random.nextLong() | 1, 0, Ikev2.PAYLOAD_SA, Ikev2.IKE_SA_INIT, Ikev2.FLAG_INITIATOR, 0, d.length)
            .write(d);
        System.arraycopy(body, 0, d, Ikev2.HEADER_LENGTH, body.length);
        return d;
    }

    private static boolean asksForCookie(final byte[] d)
    {
        final Ikev2Header h = Ikev2Header.parse(d, d.length);
        return h.exchange() == Ikev2.IKE_SA_INIT && h.response() && PayloadCodec.parse(h.nextPayload(), d,
            Ikev2.HEADER_LENGTH, d.length, false).notify(Ikev2.COOKIE) != null;
    }
}
