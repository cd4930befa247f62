package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.DiffieHellman;
import io.sluice.controlplane.ike.IkeHash;
import io.sluice.controlplane.ike.IkeLog;
import io.sluice.controlplane.ike.IkeUdpTransport;
import io.sluice.controlplane.ike.NatDetection;
import io.sluice.controlplane.ike.v2.Ikev2Sa.Child;
import io.sluice.controlplane.ike.v2.Ikev2Sa.Request;
import io.sluice.controlplane.ike.v2.Ikev2Sa.Request.Kind;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The IKEv2 protocol engine (RFC 7296): IKE_SA_INIT and IKE_AUTH with pre-shared keys or
 * certificates (RSA and ECDSA signatures, RFC 7427 when the peer announces it), IKE fragmentation
 * (RFC 7383: SKF fragments sent above the fragment size, reassembled with limits), CREATE_CHILD_SA (new
 * children, child and IKE SA rekeying, make-before-break, simultaneous child rekeying as 2.8.1 says and
 * simultaneous IKE SA rekeying as 2.8.2 says, with the rekey/delete collisions of 2.25.2),
 * INFORMATIONAL (delete, notify, liveness checks), NAT detection
 * with the float to 4500, retransmission and message-id windows of one, INVALID_KE_PAYLOAD and
 * COOKIE (2.6) with bounded half-open state.
 * <p>
 * A pure library, the same shape as the IKEv1 engine: it owns no socket and no thread.
 * {@link #receive} takes each datagram that arrived on UDP 500 or 4500 (as on the wire, with the
 * non-ESP marker on 4500), {@link #tick} drives retransmissions, lifetimes, liveness checks and
 * NAT keepalives, datagrams leave through the {@link Output}, negotiated SAs go to the
 * {@link Listener}. Public methods are synchronized. Nothing a peer sends can throw out of
 * {@link #receive}: every rejection is logged with the peer and the reason, counted, and dropped.
 */
public final class Ikev2Engine implements IkeUdpTransport.Endpoint
{
    public static final int IKE_PORT = 500;
    public static final int NAT_T_PORT = 4500;
    private static final long COOKIE_SECRET_MILLIS = 60_000;
    /** How long the fragments of an incomplete message are kept (RFC 7383 2.6.2). */
    static final long FRAGMENT_TIMEOUT_MILLIS = 10_000;
    /** The most fragments, and reassembled bytes, one message may have. */
    static final int MAX_FRAGMENTS = 64;
    static final int MAX_REASSEMBLED_BYTES = 64 * 1024;

    /** Where datagrams go: the UDP payload as it goes on the wire from {@code localPort}. */
    @FunctionalInterface
    public interface Output
    {
        void send(byte[] datagram, InetSocketAddress to, int localPort);
    }

    /** What the rest of the control process hears about. */
    public interface Listener
    {
        /** IKE_AUTH completed (or a rekeyed IKE SA replaced the old one) with a peer whose identity is {@code peerId}. */
        default void ikeSaEstablished(final InetSocketAddress peer, final String peerId)
        {
        }

        /** A child SA is ready for the dataplane (on a rekey, before the old one is deleted). */
        default void childSaEstablished(final ChildSa sa)
        {
        }

        /** A child SA is gone (rekeyed, deleted by either side, expired, or its peer is dead). */
        default void childSaDeleted(final ChildSa sa, final String reason)
        {
        }

        /** Liveness checks (or retransmissions) gave up on a peer: its IKE and child SAs are deleted. */
        default void peerDead(final InetSocketAddress peer)
        {
        }
    }

    /** Counters of what the engine did. */
    public record Counters(long received, long sent, long rejected, long dropped, long retransmits, long duplicates,
        long livenessSent, long livenessAcks, long livenessAnswered, long cookiesSent, long halfOpenDrops,
        long authFailures, long espOnIkePort)
    {
    }

    private final Ikev2Settings settings;
    private final Output output;
    private final Listener listener;
    private final IkeLog log;
    private final LongSupplier clock;
    private final SecureRandom random;
    /** By our SPI. */
    private final Map<Long, Ikev2Sa> sas = new LinkedHashMap<>();
    /** The SAs answered in IKE_SA_INIT and not yet authenticated (stale entries are dropped when met). */
    private final java.util.Set<Ikev2Sa> halfOpenSas = new java.util.LinkedHashSet<>();
    /** Inbound ESP SPIs of our installed child SAs: a new one is never one of them. */
    private final java.util.Set<Long> inboundSpis = new java.util.HashSet<>();
    private int nextId = 1;
    private byte[] cookieSecret;
    private byte[] previousCookieSecret;
    private int cookieVersion;
    private long cookieSecretSince;

    private long received;
    private long sent;
    private long rejected;
    private long dropped;
    private long retransmits;
    private long duplicates;
    private long livenessSent;
    private long livenessAcks;
    private long livenessAnswered;
    private long cookiesSent;
    private long halfOpenDrops;
    private long authFailures;
    private long espOnIkePort;

    public Ikev2Engine(final Ikev2Settings settings, final Output output, final Listener listener, final IkeLog log,
        final LongSupplier clockMillis, final SecureRandom random)
    {
        this.settings = settings;
        this.output = output;
        this.listener = listener;
        this.log = log;
        this.clock = clockMillis;
        this.random = random;
        this.cookieSecret = randomBytes(32);
        this.cookieSecretSince = clockMillis.getAsLong();
    }

    // =====================================================================================
    // public API
    // =====================================================================================

    /** A datagram that arrived on UDP 500. */
    public void receive(final byte[] datagram, final InetSocketAddress from)
    {
        receive(datagram, from, IKE_PORT);
    }

    /**
     * A datagram that arrived on {@code localPort} (500, or 4500 where IKE messages carry the
     * four-byte non-ESP marker and a single 0xFF byte is a NAT keepalive).
     */
    @Override
    public synchronized void receive(final byte[] datagram, final InetSocketAddress from, final int localPort)
    {
        received++;
        byte[] d = datagram;
        if (localPort == NAT_T_PORT)
        {
            if (d.length == 1 && d[0] == (byte)0xff)
            {
                return;
            }
            if (d.length < 4 || d[0] != 0 || d[1] != 0 || d[2] != 0 || d[3] != 0)
            {
                espOnIkePort++;
                return;
            }
            d = Arrays.copyOfRange(d, 4, d.length);
        }
        try
        {
            handle(d, from, localPort, clock.getAsLong());
        }
        catch (final Ikev2Exception e)
        {
            rejected++;
            log.event("IKEv2: rejected message from " + text(from) + ": " + e.getMessage() + " (" +
                Ikev2.notifyName(e.notifyType()) + ")");
        }
        catch (final RuntimeException e)
        {
            rejected++;
            log.event("IKEv2: internal error handling a message from " + text(from) + ": " + e);
        }
    }

    /** Drives retransmissions, lifetimes, rekeying, liveness checks and NAT keepalives. */
    @Override
    public synchronized void tick(final long now)
    {
        if (now - cookieSecretSince >= COOKIE_SECRET_MILLIS)
        {
            previousCookieSecret = cookieSecret;
            cookieSecret = randomBytes(32);
            cookieVersion++;
            cookieSecretSince = now;
        }
        for (final Ikev2Sa sa : new ArrayList<>(sas.values()))
        {
            if (sas.get(sa.ourSpi()) != sa)
            {
                continue;
            }
            if (sa.state == Ikev2Sa.State.INIT_ANSWERED && now - sa.createdAt >= settings.halfOpenMillis())
            {
                debug(sa, "half-open SA with " + text(sa.peer) + " timed out");
                remove(sa);
                continue;
            }
            if (sa.state == Ikev2Sa.State.REKEYED && now >= sa.expiresAt)
            {
                debug(sa, "rekeyed IKE SA with " + text(sa.peer) + " was never deleted by the peer: removing it");
                remove(sa);
                continue;
            }
            if (!retransmit(sa, now))
            {
                continue;
            }
            if (sa.reassembly != null && now - sa.reassembly.startedAt >= FRAGMENT_TIMEOUT_MILLIS)
            {
                dropped++;
                debug(sa, "incomplete fragmented message " + sa.reassembly.messageId + " (" + sa.reassembly.received +
                    " of " + sa.reassembly.total + " fragments) timed out");
                sa.reassembly = null;
            }
            if (sa.established())
            {
                if (now >= sa.expiresAt)
                {
                    deleteIke(sa, "lifetime expired", now);
                    continue;
                }
                if (sa.initiator && now >= sa.rekeyAt && !sa.rekeyingIke)
                {
                    startIkeRekey(sa, now);
                }
                childTimers(sa, now);
                livenessTick(sa, now);
                if (sas.get(sa.ourSpi()) == sa && sa.natLocal && now >= sa.nextNatKeepalive)
                {
                    sa.nextNatKeepalive = now + settings.natKeepaliveMillis();
                    output.send(new byte[]{(byte)0xff}, sa.peer, NAT_T_PORT);
                }
            }
        }
    }

    /** Starts IKE_SA_INIT with a peer, or a new child on the IKE SA that is up with it. */
    public synchronized void initiate(final InetSocketAddress peer)
    {
        final long now = clock.getAsLong();
        final Ikev2Sa existing = saFor(peer.getAddress());
        if (existing != null)
        {
            if (existing.established() && existing.children.isEmpty())
            {
                createChild(existing, now);
            }
            return;
        }
        final Ikev2Settings.Peer config = settings.peerFor(peer.getAddress());
        if (config == null || settings.proposals().isEmpty())
        {
            log.event("IKEv2: cannot initiate to " + text(peer) + ": " + (config == null ?
                "no keyring peer or profile matches it" : "no IKEv2 proposal configured"));
            return;
        }
        final Ikev2Sa sa = new Ikev2Sa(true, nextId++, newIkeSpi(), peer, IKE_PORT, now);
        sa.peerConfig = config;
        sa.ni = randomBytes(32);
        sa.dh = DiffieHellman.generate(settings.proposals().getFirst().groups().getFirst(), random);
        sas.put(sa.spiI, sa);
        sa.state = Ikev2Sa.State.INIT_SENT;
        debug(sa, "initiating IKE_SA_INIT with " + text(peer) + ", DH group " + sa.dh.group());
        sendInit(sa, now);
    }

    /** The dataplane's idle event for on-demand liveness checks: traffic went out, nothing came back. */
    public synchronized void idle(final InetAddress peer)
    {
        final Ikev2Sa sa = saFor(peer);
        if (sa != null && sa.established() && settings.dpd() != null)
        {
            startLiveness(sa, clock.getAsLong());
        }
    }

    /** {@code clear crypto session}: deletes the peer's IKE SA and its children, telling the peer. */
    public synchronized void clear(final InetAddress peer)
    {
        final Ikev2Sa sa = saFor(peer);
        if (sa != null)
        {
            deleteIke(sa, "clear crypto session", clock.getAsLong());
        }
    }

    /** Rekeys the peer's (first) child SA now. */
    public synchronized void rekeyChild(final InetAddress peer)
    {
        final Ikev2Sa sa = saFor(peer);
        if (sa != null && sa.established())
        {
            for (final Child c : sa.children)
            {
                if (!c.rekeying && !c.deleting)
                {
                    startChildRekey(sa, c, clock.getAsLong());
                    return;
                }
            }
        }
    }

    /** Rekeys the peer's IKE SA now. */
    public synchronized void rekeyIke(final InetAddress peer)
    {
        final Ikev2Sa sa = saFor(peer);
        if (sa != null && sa.established() && !sa.rekeyingIke)
        {
            startIkeRekey(sa, clock.getAsLong());
        }
    }

    /** The child SAs up now. */
    public synchronized List<ChildSa> childSas()
    {
        final List<ChildSa> out = new ArrayList<>();
        for (final Ikev2Sa sa : sas.values())
        {
            for (final Child c : sa.children)
            {
                out.add(c.sa);
            }
        }
        return out;
    }

    /** True if an IKE SA with that peer is established. */
    public synchronized boolean established(final InetAddress peer)
    {
        final Ikev2Sa sa = saFor(peer);
        return sa != null && sa.established();
    }

    /** The SPIs {initiator's, responder's} of the current IKE SA with a peer, or null. */
    public synchronized long[] ikeSpis(final InetAddress peer)
    {
        final Ikev2Sa sa = saFor(peer);
        return sa == null ? null : new long[]{sa.spiI, sa.spiR};
    }

    /** IKE SAs held, established or not. */
    public synchronized int ikeSaCount()
    {
        return sas.size();
    }

    public synchronized Counters counters()
    {
        return new Counters(received, sent, rejected, dropped, retransmits, duplicates, livenessSent, livenessAcks,
            livenessAnswered, cookiesSent, halfOpenDrops, authFailures, espOnIkePort);
    }

    /** {@code show crypto ikev2 sa [detailed]}. */
    /** The IKE SAs, for {@code show crypto session}. */
    public synchronized List<io.sluice.controlplane.ike.IkeSession> sessions()
    {
        final List<io.sluice.controlplane.ike.IkeSession> out = new ArrayList<>();
        for (final Ikev2Sa sa : sas.values())
        {
            out.add(new io.sluice.controlplane.ike.IkeSession("IKEv2",
                new InetSocketAddress(settings.localAddress(), sa.localPort), sa.peer, sa.established()));
        }
        return out;
    }

    public synchronized String showCryptoIkev2Sa(final boolean detailed)
    {
        final long now = clock.getAsLong();
        final StringBuilder out = new StringBuilder(" IPv4 Crypto IKEv2  SA\n\n");
        out.append(String.format("%-9s %-21s %-21s %-20s %s%n", "Tunnel-id", "Local", "Remote", "fvrf/ivrf", "Status"));
        for (final Ikev2Sa sa : sas.values())
        {
            out.append(String.format("%-9d %-21s %-21s %-20s %s%n", sa.id,
                settings.localAddress().getHostAddress() + "/" + sa.localPort,
                sa.peer.getAddress().getHostAddress() + "/" + sa.peer.getPort(), "none/none", sa.state.show));
            if (sa.suite != null)
            {
                final IkeSuite s = sa.suite;
                out.append("      Encr: ").append(s.encryption().text()).append(", keysize: ").append(s.keyBits())
                    .append(", PRF: ").append(s.prf().text()).append(", Hash: ")
                    .append(s.encryption().aead() ? "None" : s.integrity().text()).append(", DH Grp:").append(s.group())
                    .append(", Auth sign: ").append(sa.peerConfig == null || sa.peerConfig.localKey() != null ? "PSK" :
                        settings.credentials().privateKey() instanceof java.security.interfaces.RSAKey ? "RSA" : "ECDSA")
                    .append(", Auth verify: ").append(sa.authVerify).append('\n');
            }
            final long active = ((sa.establishedAt > 0 ? now - sa.establishedAt : now - sa.createdAt)) / 1000;
            out.append("      Life/Active Time: ").append(settings.ikeLifetimeSeconds()).append('/').append(active)
                .append(" sec\n");
            if (detailed)
            {
                out.append("      CE id: ").append(1000 + sa.id).append(", Session-id: ").append(sa.id).append('\n');
                out.append("      Status Description: ").append(sa.established() ? "Negotiation done" :
                    sa.state == Ikev2Sa.State.DELETING ? "Deleting" : sa.state == Ikev2Sa.State.REKEYED ?
                    "Rekeyed, waiting for delete" : "Negotiation in progress").append('\n');
                out.append(String.format("      Local spi: %016X       Remote spi: %016X%n",
                    sa.initiator ? sa.spiI : sa.spiR, sa.initiator ? sa.spiR : sa.spiI));
                out.append("      Local id: ").append(sa.localId != null ? sa.localId : "").append('\n');
                out.append("      Remote id: ").append(sa.peerId != null ? sa.peerId : "").append('\n');
                out.append(String.format("      Local req msg id:  %-14d Remote req msg id:  %d%n",
                    sa.outstanding != null ? sa.outstanding.messageId : Math.max(0, sa.nextRequestId - 1),
                    Math.max(0, sa.expectedRequestId - 1)));
                out.append(String.format("      Local next msg id: %-14d Remote next msg id: %d%n", sa.nextRequestId,
                    sa.expectedRequestId));
                out.append(String.format("      Local req queued:  %-14d Remote req queued:  %d%n", sa.queue.size(), 0));
                out.append(String.format("      Local window:      %-14d Remote window:      %d%n", 1, 1));
                out.append(settings.dpd() == null ? "      DPD configured for 0 seconds, retry 0\n" :
                    "      DPD configured for " + settings.dpd().intervalMillis() / 1000 + " seconds, retry " +
                        settings.dpd().retryMillis() / 1000 + (settings.dpd().mode() == Isakmp.DpdMode.PERIODIC ?
                        " periodic" : " on-demand") + "\n");
                out.append(sa.fragmentation ? "      IKE fragmentation (RFC 7383) negotiated, fragment size " +
                    settings.fragmentSize() + ".\n" : "      Fragmentation not configured.\n");
                out.append("      Extended Authentication not configured.\n");
                out.append(sa.natDetected() ? "      NAT-T is detected " + (sa.natLocal ? "inside" : "outside") + "\n" :
                    "      NAT-T is not detected\n");
                out.append("      Initiator of SA : ").append(sa.initiator ? "Yes" : "No").append('\n');
                for (final Child c : sa.children)
                {
                    out.append("      Child sa: local selector  ").append(c.local).append('\n');
                    out.append("                remote selector ").append(c.remote).append('\n');
                    out.append("                ESP spi in/out: ").append(ChildSa.spiText(c.sa.spiIn())).append('/')
                        .append(ChildSa.spiText(c.sa.spiOut())).append("  ").append(c.suite)
                        .append(c.transport ? ", transport" : ", tunnel").append('\n');
                }
            }
            out.append('\n');
        }
        return out.toString();
    }

    // =====================================================================================
    // dispatch
    // =====================================================================================

    private void handle(final byte[] d, final InetSocketAddress from, final int localPort, final long now)
    {
        final Ikev2Header h = Ikev2Header.parse(d, d.length);
        if (h.spiI() == 0)
        {
            throw new Ikev2Exception(Ikev2.INVALID_IKE_SPI, "initiator SPI is zero");
        }
        if (h.exchange() == Ikev2.IKE_SA_INIT)
        {
            if (!h.response() && h.fromInitiator() && h.spiR() == 0 && h.messageId() == 0)
            {
                initRequest(h, d, from, localPort, now);
            }
            else if (h.response() && !h.fromInitiator())
            {
                initResponse(h, d, from, now);
            }
            else
            {
                dropped++;
                debug(null, "dropping IKE_SA_INIT " + h + " from " + text(from));
            }
            return;
        }
        final long ours = h.fromInitiator() ? h.spiR() : h.spiI();
        final Ikev2Sa sa = sas.get(ours);
        if (sa == null || sa.initiator == h.fromInitiator() || (sa.initiator ? sa.spiR : sa.spiI) !=
            (h.fromInitiator() ? h.spiI() : h.spiR()) || sa.keys == null)
        {
            dropped++;
            debug(null, "dropping " + h + " from " + text(from) + ": no IKE SA with these SPIs");
            return;
        }
        if (!sa.peer.getAddress().equals(from.getAddress()) && !sa.natDetected())
        {
            dropped++;
            debug(sa, "dropping " + h + " from " + text(from) + ": the SA belongs to " + text(sa.peer));
            return;
        }
        if (h.response())
        {
            response(sa, h, d, from, localPort, now);
        }
        else
        {
            request(sa, h, d, from, localPort, now);
        }
    }

    /** Opens the SK payload of an authenticated exchange; a forged or corrupted copy is dropped with no state change. */
    private PayloadCodec.Chain open(final Ikev2Sa sa, final Ikev2Header h, final byte[] d)
    {
        if (h.nextPayload() != Ikev2.PAYLOAD_SK)
        {
            throw Ikev2Exception.malformed(Ikev2.exchangeName(h.exchange()) + " message without an SK payload first");
        }
        final PayloadCodec.Chain outer = PayloadCodec.parse(h.nextPayload(), d, Ikev2.HEADER_LENGTH, d.length, false);
        final Payload.Encrypted sk = outer.encrypted();
        final byte[] inner = Ikev2Crypto.open(sa.suite, sa.encIn(), sa.integIn(), d, Ikev2.HEADER_LENGTH);
        final PayloadCodec.Chain chain = PayloadCodec.parse(sk.firstInner(), inner, 0, inner.length, true);
        debug(sa, "received " + h + " from " + text(sa.peer) + ": " + chain.summary());
        return chain;
    }

    // =====================================================================================
    // IKE_SA_INIT
    // =====================================================================================

    private void sendInit(final Ikev2Sa sa, final long now)
    {
        final List<Payload> p = new ArrayList<>();
        if (sa.cookie != null)
        {
            p.add(Payload.Notify.of(Ikev2.COOKIE, sa.cookie));
        }
        final List<Payload.Proposal> proposals = new ArrayList<>();
        for (final Ikev2Settings.Proposal o : settings.proposals())
        {
            proposals.add(new Payload.Proposal(proposals.size() + 1, Ikev2.PROTO_IKE, new byte[0], o.transforms()));
        }
        p.add(new Payload.Sa(proposals));
        p.add(new Payload.KeyExchange(sa.dh.group(), sa.dh.publicValue()));
        p.add(new Payload.Nonce(sa.ni));
        if (settings.credentials() != null)
        {
            p.add(Payload.Notify.of(Ikev2.SIGNATURE_HASH_ALGORITHMS, Ikev2Credentials.SIGNATURE_HASHES));
        }
        if (settings.fragmentSize() > 0)
        {
            p.add(Payload.Notify.of(Ikev2.IKEV2_FRAGMENTATION_SUPPORTED));
        }
        final InetSocketAddress local = new InetSocketAddress(settings.localAddress(), sa.localPort);
        p.add(Payload.Notify.of(Ikev2.NAT_DETECTION_SOURCE_IP, NatDetection.hash(IkeHash.SHA1, sa.spiI, 0, local)));
        p.add(Payload.Notify.of(Ikev2.NAT_DETECTION_DESTINATION_IP, NatDetection.hash(IkeHash.SHA1, sa.spiI, 0,
            sa.peer)));
        final Request r = new Request(Kind.INIT, Ikev2.IKE_SA_INIT, p);
        sa.outstanding = null;
        sa.queue.clear();
        sa.nextRequestId = 0;
        sendRequest(sa, r, now);
        sa.initRequest = r.datagram;
    }

    /** Responder: a first message. Cookies and limits first, then the proposal, the group, keys. */
    private void initRequest(final Ikev2Header h, final byte[] d, final InetSocketAddress from, final int localPort,
        final long now)
    {
        int halfOpen = 0;
        int fromPeer = 0;
        // only the half-open SAs, not every SA: a flood meets a bounded loop however many tunnels are up
        for (final java.util.Iterator<Ikev2Sa> it = halfOpenSas.iterator(); it.hasNext(); )
        {
            final Ikev2Sa s = it.next();
            if (s.state != Ikev2Sa.State.INIT_ANSWERED || sas.get(s.ourSpi()) != s)
            {
                it.remove();   // authenticated since, or gone
                continue;
            }
            {
                if (s.spiI == h.spiI() && s.peer.getAddress().equals(from.getAddress()))
                {
                    if (Arrays.equals(s.initRequest, d) && s.lastResponse != null)
                    {
                        duplicates++;
                        debug(s, "retransmitted IKE_SA_INIT from " + text(from) + ": answering again");
                        send(s.lastResponse, from, localPort);
                    }
                    else
                    {
                        dropped++;
                    }
                    return;
                }
                halfOpen++;
                if (s.peer.getAddress().equals(from.getAddress()))
                {
                    fromPeer++;
                }
            }
        }
        if (halfOpen >= settings.maxHalfOpen() || fromPeer >= settings.maxHalfOpenPerPeer())
        {
            dropped++;
            if (halfOpenDrops++ % 100 == 0)
            {
                log.event("IKEv2: dropping IKE_SA_INIT from " + text(from) + ": " + halfOpen + " half-open SAs, " +
                    fromPeer + " from this address (limits " + settings.maxHalfOpen() + ", " +
                    settings.maxHalfOpenPerPeer() + "; " + halfOpenDrops + " dropped so far)");
            }
            return;
        }
        final PayloadCodec.Chain chain = PayloadCodec.parse(h.nextPayload(), d, Ikev2.HEADER_LENGTH, d.length, false);
        final Payload.Nonce ni = require(chain, Payload.Nonce.class, "IKE_SA_INIT request");
        if (halfOpen >= settings.cookieThreshold())
        {
            final Payload.Notify cookie = chain.notify(Ikev2.COOKIE);
            if (cookie == null || !validCookie(cookie.data(), ni.data(), from, h.spiI()))
            {
                cookiesSent++;
                debug(null, "IKE_SA_INIT from " + text(from) + " with " + halfOpen + " half-open SAs (threshold " +
                    settings.cookieThreshold() + "): " + (cookie == null ? "asking for a cookie" : "wrong cookie"));
                sendPlain(h.spiI(), 0, List.of(Payload.Notify.of(Ikev2.COOKIE, cookie(ni.data(), from, h.spiI(),
                    cookieVersion, cookieSecret))), from, localPort);
                return;
            }
        }
        final Payload.Sa offer = require(chain, Payload.Sa.class, "IKE_SA_INIT request");
        final Payload.KeyExchange ke = require(chain, Payload.KeyExchange.class, "IKE_SA_INIT request");
        final Ikev2Settings.Peer config = settings.peerFor(from.getAddress());
        final IkeSuite chosen = config == null ? null : selectIke(offer, false);
        if (chosen == null)
        {
            log.event("IKEv2: " + (config == null ? "no keyring peer or profile for " + text(from) :
                "no IKE proposal from " + text(from) + " matches an ikev2 proposal") + ": sending NO_PROPOSAL_CHOSEN");
            sendPlain(h.spiI(), 0, List.of(Payload.Notify.of(Ikev2.NO_PROPOSAL_CHOSEN)), from, localPort);
            return;
        }
        if (ke.group() != chosen.group())
        {
            debug(null, "IKE_SA_INIT from " + text(from) + " with KE of group " + ke.group() + ", we chose " +
                chosen.group() + ": sending INVALID_KE_PAYLOAD");
            sendPlain(h.spiI(), 0, List.of(Payload.Notify.of(Ikev2.INVALID_KE_PAYLOAD,
                new byte[]{(byte)(chosen.group() >>> 8), (byte)chosen.group()})), from, localPort);
            return;
        }
        final Ikev2Sa sa = new Ikev2Sa(false, nextId++, h.spiI(), from, localPort, now);
        sa.spiR = newIkeSpi();
        sa.peerConfig = config;
        sa.suite = chosen;
        sa.ni = ni.data();
        sa.nr = randomBytes(32);
        sa.dh = DiffieHellman.generate(chosen.group(), random);
        final byte[] gir;
        try
        {
            gir = sa.dh.sharedSecret(ke.data());
        }
        catch (final IllegalArgumentException e)
        {
            throw Ikev2Exception.malformed("KE payload: " + e.getMessage());
        }
        sa.initRequest = d;
        detectNat(sa, chain, h.spiI(), 0, from, new InetSocketAddress(settings.localAddress(), localPort));
        debug(sa, "IKE_SA_INIT from " + text(from) + ": " + chain.summary() + "; chose " + chosen +
            (sa.natDetected() ? "; NAT detected (" + (sa.natLocal ? "we are" : "peer is") + " behind it)" : ""));
        final InetSocketAddress local = new InetSocketAddress(settings.localAddress(), localPort);
        final List<Payload> out = new ArrayList<>(List.of(
            new Payload.Sa(List.of(new Payload.Proposal(chosenProposalNumber(offer, chosen), Ikev2.PROTO_IKE,
                new byte[0], chosen.transforms()))),
            new Payload.KeyExchange(chosen.group(), sa.dh.publicValue()),
            new Payload.Nonce(sa.nr),
            Payload.Notify.of(Ikev2.NAT_DETECTION_SOURCE_IP, NatDetection.hash(IkeHash.SHA1, sa.spiI, sa.spiR, local)),
            Payload.Notify.of(Ikev2.NAT_DETECTION_DESTINATION_IP, NatDetection.hash(IkeHash.SHA1, sa.spiI, sa.spiR, from))));
        sa.peerSignatureHashes = chain.notify(Ikev2.SIGNATURE_HASH_ALGORITHMS) != null;
        if (settings.credentials() != null)
        {
            out.add(settings.credentials().certReq());
            out.add(Payload.Notify.of(Ikev2.SIGNATURE_HASH_ALGORITHMS, Ikev2Credentials.SIGNATURE_HASHES));
        }
        sa.fragmentation = settings.fragmentSize() > 0 && chain.notify(Ikev2.IKEV2_FRAGMENTATION_SUPPORTED) != null;
        if (sa.fragmentation)
        {
            out.add(Payload.Notify.of(Ikev2.IKEV2_FRAGMENTATION_SUPPORTED));
        }
        final byte[] body = PayloadCodec.encode(out);
        final byte[] msg = new byte[Ikev2.HEADER_LENGTH + body.length];
        new Ikev2Header(sa.spiI, sa.spiR, out.getFirst().type(), Ikev2.IKE_SA_INIT, sa.flags(true), 0, msg.length)
            .write(msg);
        System.arraycopy(body, 0, msg, Ikev2.HEADER_LENGTH, body.length);
        sa.initResponse = msg;
        sa.keys = Ikev2Crypto.keys(chosen, Ikev2Crypto.skeyseed(chosen.prf(), sa.ni, sa.nr, gir), sa.ni, sa.nr, sa.spiI,
            sa.spiR);
        sa.dh = null;
        sa.state = Ikev2Sa.State.INIT_ANSWERED;
        sa.expectedRequestId = 1;
        sa.lastResponseId = 0;
        sa.lastResponse = msg;
        sa.lastResponseDatagrams = List.of(msg);
        sas.put(sa.spiR, sa);
        halfOpenSas.add(sa);
        send(msg, from, localPort);
    }

    /** Initiator: the IKE_SA_INIT response, or a COOKIE, INVALID_KE_PAYLOAD or error instead. */
    private void initResponse(final Ikev2Header h, final byte[] d, final InetSocketAddress from, final long now)
    {
        final Ikev2Sa sa = sas.get(h.spiI());
        if (sa == null || !sa.initiator || sa.state != Ikev2Sa.State.INIT_SENT || h.messageId() != 0 ||
            !sa.peer.getAddress().equals(from.getAddress()))
        {
            dropped++;
            debug(null, "dropping unexpected " + h + " from " + text(from));
            return;
        }
        final PayloadCodec.Chain chain = PayloadCodec.parse(h.nextPayload(), d, Ikev2.HEADER_LENGTH, d.length, false);
        debug(sa, "received " + h + " from " + text(from) + ": " + chain.summary());
        final Payload.Notify cookie = chain.notify(Ikev2.COOKIE);
        if (cookie != null)
        {
            if (sa.cookieRetries++ >= 3 || cookie.data().length < 1 || cookie.data().length > 64)
            {
                fail(sa, "the responder keeps asking for cookies");
                return;
            }
            debug(sa, "responder asks for a cookie: sending IKE_SA_INIT again with it");
            sa.cookie = cookie.data();
            sendInit(sa, now);
            return;
        }
        final Payload.Notify invalidKe = chain.notify(Ikev2.INVALID_KE_PAYLOAD);
        if (invalidKe != null)
        {
            final int group = invalidKe.data().length == 2 ? ((invalidKe.data()[0] & 0xff) << 8) |
                (invalidKe.data()[1] & 0xff) : -1;
            final boolean offered = settings.proposals().stream().anyMatch(p -> p.groups().contains(group));
            if (!offered || group == sa.dh.group() || sa.keRetries++ >= 2)
            {
                fail(sa, "responder wants DH group " + group + (offered ? " again" : ", which we did not offer"));
                return;
            }
            log.event("IKEv2:(SA ID = " + sa.id + "): " + text(from) + " answered INVALID_KE_PAYLOAD: retrying with " +
                "DH group " + group);
            sa.dh = DiffieHellman.generate(group, random);
            sendInit(sa, now);
            return;
        }
        for (final Payload.Notify n : chain.all(Payload.Notify.class))
        {
            if (Ikev2.isError(n.notifyType()))
            {
                fail(sa, "peer answered " + Ikev2.notifyName(n.notifyType()));
                return;
            }
        }
        if (h.spiR() == 0)
        {
            throw Ikev2Exception.malformed("IKE_SA_INIT response with a zero responder SPI");
        }
        final Payload.Sa saPayload = require(chain, Payload.Sa.class, "IKE_SA_INIT response");
        final Payload.KeyExchange ke = require(chain, Payload.KeyExchange.class, "IKE_SA_INIT response");
        final Payload.Nonce nr = require(chain, Payload.Nonce.class, "IKE_SA_INIT response");
        final IkeSuite chosen = selectIke(saPayload, true);
        if (chosen == null || ke.group() != sa.dh.group() || chosen.group() != sa.dh.group())
        {
            fail(sa, "the responder chose " + (chosen == null ? "something we did not offer" : chosen +
                " with KE group " + ke.group()));
            return;
        }
        final byte[] gir;
        try
        {
            gir = sa.dh.sharedSecret(ke.data());
        }
        catch (final IllegalArgumentException e)
        {
            fail(sa, "KE payload: " + e.getMessage());
            return;
        }
        sa.outstanding = null;
        sa.spiR = h.spiR();
        sa.suite = chosen;
        sa.peerSignatureHashes = chain.notify(Ikev2.SIGNATURE_HASH_ALGORITHMS) != null;
        sa.fragmentation = settings.fragmentSize() > 0 && chain.notify(Ikev2.IKEV2_FRAGMENTATION_SUPPORTED) != null;
        sa.nr = nr.data();
        sa.initResponse = d;
        sa.keys = Ikev2Crypto.keys(chosen, Ikev2Crypto.skeyseed(chosen.prf(), sa.ni, sa.nr, gir), sa.ni, sa.nr, sa.spiI,
            sa.spiR);
        sa.dh = null;
        detectNat(sa, chain, sa.spiI, sa.spiR, sa.peer, new InetSocketAddress(settings.localAddress(), sa.localPort));
        if (sa.natDetected() && sa.localPort == IKE_PORT)
        {
            sa.localPort = NAT_T_PORT;
            sa.peer = new InetSocketAddress(sa.peer.getAddress(), NAT_T_PORT);
            debug(sa, "NAT detected (" + (sa.natLocal ? "we are" : "peer is") + " behind it): floating to port " +
                NAT_T_PORT);
        }
        debug(sa, "IKE SA keys derived: " + chosen);
        sendAuth(sa, now);
    }

    /** The suite a proposal offers (responder: the first of theirs we accept; initiator: theirs must be one we offered). */
    private IkeSuite selectIke(final Payload.Sa offer, final boolean answer)
    {
        if (answer && (offer.proposals().size() != 1))
        {
            return null;
        }
        for (final Payload.Proposal p : offer.proposals())
        {
            if (p.protocol() != Ikev2.PROTO_IKE)
            {
                continue;
            }
            for (final Ikev2Settings.Proposal own : settings.proposals())
            {
                final IkeSuite s = pick(p, own, answer);
                if (s != null)
                {
                    return s;
                }
            }
        }
        return null;
    }

    /** One transform of each type from {@code p} that {@code own} accepts, or null. */
    private static IkeSuite pick(final Payload.Proposal p, final Ikev2Settings.Proposal own, final boolean exactlyOne)
    {
        Ikev2Settings.Cipher cipher = null;
        IkeSuite.Prf prf = null;
        IkeSuite.Integrity integ = null;
        int group = -1;
        for (final Payload.Transform t : p.transforms())
        {
            if (t.unknownAttribute())
            {
                continue;
            }
            switch (t.type())
            {
                case Ikev2.TRANSFORM_ENCR ->
                {
                    final IkeSuite.Encryption e = IkeSuite.Encryption.of(t.id());
                    final int bits = e == IkeSuite.Encryption.CHACHA20_POLY1305 && t.keyLength() == 0 ? 256 : t.keyLength();
                    if (cipher == null && e != null && own.ciphers().contains(new Ikev2Settings.Cipher(e, bits)))
                    {
                        cipher = new Ikev2Settings.Cipher(e, bits);
                    }
                }
                case Ikev2.TRANSFORM_PRF ->
                {
                    final IkeSuite.Prf f = IkeSuite.Prf.of(t.id());
                    if (prf == null && f != null && own.prfs().contains(f))
                    {
                        prf = f;
                    }
                }
                case Ikev2.TRANSFORM_INTEG ->
                {
                    final IkeSuite.Integrity i = IkeSuite.Integrity.of(t.id());
                    if (integ == null && i != null && own.integrities().contains(i))
                    {
                        integ = i;
                    }
                }
                case Ikev2.TRANSFORM_DH ->
                {
                    if (group < 0 && own.groups().contains(t.id()) && DiffieHellman.supported(t.id()))
                    {
                        group = t.id();
                    }
                }
                default ->
                {
                }
            }
        }
        if (cipher == null || prf == null || group < 0)
        {
            return null;
        }
        if (cipher.encryption().aead())
        {
            integ = IkeSuite.Integrity.NONE;
        }
        else if (integ == null)
        {
            return null;
        }
        if (exactlyOne && p.transforms().size() != (cipher.encryption().aead() ? 3 : 4) &&
            !(cipher.encryption().aead() && p.transforms().size() == 4 && p.of(Ikev2.TRANSFORM_INTEG).size() == 1 &&
            p.of(Ikev2.TRANSFORM_INTEG).getFirst().id() == Ikev2.AUTH_NONE))
        {
            return null;
        }
        return new IkeSuite(cipher.encryption(), cipher.keyBits(), prf, integ, group);
    }

    private static int chosenProposalNumber(final Payload.Sa offer, final IkeSuite chosen)
    {
        for (final Payload.Proposal p : offer.proposals())
        {
            if (p.protocol() == Ikev2.PROTO_IKE && p.of(Ikev2.TRANSFORM_DH).stream().anyMatch(t -> t.id() == chosen.group()))
            {
                return p.number();
            }
        }
        return 1;
    }

    /**
     * NAT detection (2.23): the peer's source hash not matching its address as we see it means it is
     * behind a NAT; its destination hash not matching our address means we are.
     */
    private void detectNat(final Ikev2Sa sa, final PayloadCodec.Chain chain, final long spiI, final long spiR,
        final InetSocketAddress peerSeen, final InetSocketAddress local)
    {
        final List<Payload.Notify> sources = chain.all(Payload.Notify.class).stream()
            .filter(n -> n.notifyType() == Ikev2.NAT_DETECTION_SOURCE_IP).toList();
        final Payload.Notify destination = chain.notify(Ikev2.NAT_DETECTION_DESTINATION_IP);
        if (sources.isEmpty() || destination == null)
        {
            return;
        }
        final byte[] peerHash = NatDetection.hash(IkeHash.SHA1, spiI, spiR, peerSeen);
        sa.natRemote = sources.stream().noneMatch(n -> MessageDigest.isEqual(n.data(), peerHash));
        sa.natLocal = !MessageDigest.isEqual(destination.data(), NatDetection.hash(IkeHash.SHA1, spiI, spiR, local));
    }

    // =====================================================================================
    // IKE_AUTH
    // =====================================================================================

    private Payload.Identification ownId(final Ikev2Sa sa, final int type)
    {
        final Ikev2Settings.Identity id = sa.peerConfig.localId() != null ? sa.peerConfig.localId() :
            new Ikev2Settings.Identity(Ikev2.ID_IPV4_ADDR, settings.localAddress().getHostAddress());
        sa.localId = id.value();
        return id.toPayload(type);
    }

    private void sendAuth(final Ikev2Sa sa, final long now)
    {
        final Payload.Identification idi = ownId(sa, Ikev2.PAYLOAD_IDI);
        final Payload.Auth auth = ownAuth(sa, sa.initRequest, sa.nr, sa.keys.skPi(), idi);
        final List<Payload> p = new ArrayList<>();
        p.add(idi);
        if (auth.method() != Ikev2.AUTH_SHARED_KEY_MIC)
        {
            p.addAll(settings.credentials().certPayloads());
        }
        if (settings.credentials() != null && sa.peerConfig.remoteKey() == null)
        {
            p.add(settings.credentials().certReq());
        }
        if (otherSas(sa).isEmpty())
        {
            p.add(Payload.Notify.of(Ikev2.INITIAL_CONTACT));
        }
        p.add(auth);
        final Request r = new Request(Kind.AUTH, Ikev2.IKE_AUTH, p);
        if (sa.peerConfig.child() != null && !sa.peerConfig.child().transformSets().isEmpty())
        {
            childOffer(sa, sa.peerConfig.child(), r, false, null);
        }
        sa.state = Ikev2Sa.State.AUTH_SENT;
        debug(sa, "sending IKE_AUTH to " + text(sa.peer) + ", id " + idi.text() +
            (r.offered.isEmpty() ? " (no child SA)" : ", child SA with " + r.offered.size() + " transform sets"));
        sendRequest(sa, r, now);
    }

    /**
     * Our AUTH (2.15) over our first message, the peer's nonce and our ID: the pre-shared key's MIC,
     * or, for a peer without a local key, a signature with our certificate's key (RFC 7427 method 14
     * if the peer announced SIGNATURE_HASH_ALGORITHMS, else method 1 or 9-11).
     */
    private Payload.Auth ownAuth(final Ikev2Sa sa, final byte[] initMessage, final byte[] peerNonce, final byte[] skP,
        final Payload.Identification id)
    {
        final Ikev2Settings.Peer config = sa.peerConfig;
        if (config.localKey() != null)
        {
            return new Payload.Auth(Ikev2.AUTH_SHARED_KEY_MIC, Ikev2Crypto.pskAuth(sa.suite.prf(), config.localKey(),
                initMessage, peerNonce, skP, id.body()));
        }
        if (settings.credentials() == null)
        {
            throw new IllegalStateException("peer " + config.match() + " uses certificates but no credentials are set");
        }
        return settings.credentials().sign(Ikev2Crypto.signedOctets(sa.suite.prf(), initMessage, peerNonce, skP,
            id.body()), sa.peerSignatureHashes);
    }

    /**
     * Why the peer's AUTH does not authenticate the identity it claims, or null if it does: the
     * configured identity, then the pre-shared key's MIC, or (no remote key) its certificate chain
     * to our CAs, its validity, the identity in it, and the signature with its key.
     */
    private String verifyPeer(final Ikev2Sa sa, final Payload.Identification id, final Payload.Auth auth,
        final PayloadCodec.Chain chain, final byte[] initMessage, final byte[] ourNonce, final byte[] skP)
    {
        final Ikev2Settings.Peer config = sa.peerConfig;
        if (config.remoteId() != null && !config.remoteId().matches(id))
        {
            return "identity not the one configured (" + config.remoteId().value() + ")";
        }
        if (config.remoteKey() != null)
        {
            if (auth.method() != Ikev2.AUTH_SHARED_KEY_MIC)
            {
                return "auth method " + auth.method() + " (pre-shared key expected)";
            }
            final byte[] expected = Ikev2Crypto.pskAuth(sa.suite.prf(), config.remoteKey(), initMessage, ourNonce, skP,
                id.body());
            sa.authVerify = "PSK";
            return MessageDigest.isEqual(expected, auth.data()) ? null : "AUTH does not verify (pre-shared key mismatch?)";
        }
        if (!Ikev2Credentials.signatureMethod(auth.method()))
        {
            return "auth method " + auth.method() + " (certificate signature expected)";
        }
        if (settings.credentials() == null)
        {
            return "no CA certificates configured to verify the peer's certificate";
        }
        final List<byte[]> certs = chain.all(Payload.Cert.class).stream()
            .filter(c -> c.encoding() == Ikev2Credentials.X509_SIGNATURE).map(Payload.Cert::data).toList();
        if (certs.isEmpty())
        {
            return "no X.509 certificate (CERT payload) sent";
        }
        final java.security.PublicKey key;
        try
        {
            key = settings.credentials().verifyChain(certs.getFirst(), certs.subList(1, certs.size()),
                System.currentTimeMillis());
        }
        catch (final Ikev2Exception e)
        {
            return e.getMessage();
        }
        if (!Ikev2Credentials.names(certs.getFirst(), id))
        {
            return "identity " + id.text() + " is not in its certificate";
        }
        sa.authVerify = "RSA".equals(key.getAlgorithm()) ? "RSA" : "ECDSA";
        return Ikev2Credentials.verify(key, auth, Ikev2Crypto.signedOctets(sa.suite.prf(), initMessage, ourNonce, skP,
            id.body()));
    }

    /** Adds SA, TSi, TSr (and USE_TRANSPORT_MODE) offering a child of {@code policy} to a request. */
    private void childOffer(final Ikev2Sa sa, final Ikev2Settings.ChildPolicy policy, final Request r,
        final boolean pfs, final Child old)
    {
        r.spiIn = newEspSpi();
        r.transport = old != null ? old.transport : policy.transformSets().getFirst().mode() ==
            Ipsec.EncapsulationMode.TRANSPORT;
        final List<Payload.Proposal> proposals = new ArrayList<>();
        final List<ChildSuite> offered = new ArrayList<>();
        for (final Ipsec.TransformSet set : policy.transformSets())
        {
            if ((set.mode() == Ipsec.EncapsulationMode.TRANSPORT) != r.transport)
            {
                continue;
            }
            final ChildSuite suite = new ChildSuite(set.encryption(), set.integrity(), pfs ? policy.pfsGroup() : 0);
            offered.add(suite);
            proposals.add(new Payload.Proposal(proposals.size() + 1, Ikev2.PROTO_ESP, int32(r.spiIn),
                suite.transforms(pfs)));
        }
        r.offered = offered;
        r.tsi = old != null ? old.local : policy.local() != null ? policy.local() : host(settings.localAddress());
        r.tsr = old != null ? old.remote : policy.remote() != null ? policy.remote() : host(sa.peer.getAddress());
        if (r.transport)
        {
            r.payloads.add(Payload.Notify.of(Ikev2.USE_TRANSPORT_MODE));
        }
        r.payloads.add(new Payload.Sa(proposals));
        if (r.exchange == Ikev2.CREATE_CHILD_SA)
        {
            r.nonce = randomBytes(32);
            r.payloads.add(new Payload.Nonce(r.nonce));
            if (pfs && policy.pfsGroup() != 0)
            {
                r.dh = DiffieHellman.generate(policy.pfsGroup(), random);
                r.payloads.add(new Payload.KeyExchange(r.dh.group(), r.dh.publicValue()));
            }
        }
        r.payloads.add(new Payload.TrafficSelectors(Ikev2.PAYLOAD_TSI, List.of(r.tsi)));
        r.payloads.add(new Payload.TrafficSelectors(Ikev2.PAYLOAD_TSR, List.of(r.tsr)));
    }

    /** Responder: IKE_AUTH request. Authenticate, answer IDr and AUTH, and the child (or why not). */
    private void authRequest(final Ikev2Sa sa, final Ikev2Header h, final PayloadCodec.Chain chain,
        final InetSocketAddress from, final int localPort, final long now)
    {
        final Payload.Identification idi = chain.id(Ikev2.PAYLOAD_IDI);
        final Payload.Auth auth = chain.first(Payload.Auth.class);
        if (idi == null || auth == null)
        {
            throw Ikev2Exception.malformed("IKE_AUTH request without IDi or AUTH (EAP is not supported)");
        }
        final String why = verifyPeer(sa, idi, auth, chain, sa.initRequest, sa.nr, sa.keys.skPi());
        if (why != null)
        {
            authFailures++;
            rejected++;
            log.event("IKEv2:(SA ID = " + sa.id + "): authentication failed with peer " + text(from) + " id " +
                idi.text() + ": " + why + ": sending AUTHENTICATION_FAILED");
            respond(sa, h, List.of(Payload.Notify.of(Ikev2.AUTHENTICATION_FAILED)));
            remove(sa);
            return;
        }
        sa.peerId = idi.text();
        if (localPort == NAT_T_PORT)
        {
            sa.localPort = NAT_T_PORT;
            sa.peer = from;
        }
        final Payload.Identification idr = ownId(sa, Ikev2.PAYLOAD_IDR);
        final Payload.Auth ourAuth = ownAuth(sa, sa.initResponse, sa.ni, sa.keys.skPr(), idr);
        final List<Payload> out = new ArrayList<>(List.of(idr));
        if (ourAuth.method() != Ikev2.AUTH_SHARED_KEY_MIC)
        {
            out.addAll(settings.credentials().certPayloads());
        }
        out.add(ourAuth);
        if (chain.notify(Ikev2.INITIAL_CONTACT) != null)
        {
            initialContact(sa);
        }
        established(sa, now);
        final Payload.Sa offer = chain.first(Payload.Sa.class);
        if (offer != null)
        {
            try
            {
                final Child child = respondChild(sa, chain, offer, sa.ni, sa.nr, false, h.messageId(), out, now);
                respond(sa, h, out);
                installChild(sa, child);
                return;
            }
            catch (final Ikev2Exception e)
            {
                log.event("IKEv2:(SA ID = " + sa.id + "): no child SA with " + text(from) + ": " + e.getMessage());
                out.add(Payload.Notify.of(e.notifyType()));
            }
        }
        respond(sa, h, out);
    }

    /** Initiator: IKE_AUTH response. */
    private void authResponse(final Ikev2Sa sa, final Request r, final PayloadCodec.Chain chain, final long now)
    {
        final Payload.Notify failed = chain.notify(Ikev2.AUTHENTICATION_FAILED);
        if (failed != null)
        {
            authFailures++;
            fail(sa, "peer answered AUTHENTICATION_FAILED (pre-shared key or identity mismatch?)");
            return;
        }
        final Payload.Identification idr = chain.id(Ikev2.PAYLOAD_IDR);
        final Payload.Auth auth = chain.first(Payload.Auth.class);
        if (idr == null || auth == null)
        {
            for (final Payload.Notify n : chain.all(Payload.Notify.class))
            {
                if (Ikev2.isError(n.notifyType()))
                {
                    fail(sa, "peer answered " + Ikev2.notifyName(n.notifyType()));
                    return;
                }
            }
            fail(sa, "IKE_AUTH response without IDr or AUTH");
            return;
        }
        final String why = verifyPeer(sa, idr, auth, chain, sa.initResponse, sa.ni, sa.keys.skPr());
        if (why != null)
        {
            authFailures++;
            fail(sa, "authentication of " + idr.text() + " failed: " + why);
            return;
        }
        sa.peerId = idr.text();
        established(sa, now);
        if (!r.offered.isEmpty())
        {
            try
            {
                installChild(sa, acceptChild(sa, r, chain, sa.ni, sa.nr, now, 1));
            }
            catch (final Ikev2Exception e)
            {
                log.event("IKEv2:(SA ID = " + sa.id + "): IKE SA up with " + text(sa.peer) + " but no child SA: " +
                    e.getMessage());
            }
        }
    }

    private void established(final Ikev2Sa sa, final long now)
    {
        sa.state = Ikev2Sa.State.ESTABLISHED;
        sa.establishedAt = now;
        sa.lastHeard = now;
        sa.nextNatKeepalive = now + settings.natKeepaliveMillis();
        sa.expiresAt = now + settings.ikeLifetimeSeconds() * 1000L;
        sa.rekeyAt = now + settings.ikeLifetimeSeconds() * 900L;
        debug(sa, "IKE SA established with " + text(sa.peer) + " id " + sa.peerId + ": " + sa.suite);
        log.event("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is UP. Peer " + sa.peer.getAddress().getHostAddress() + ":" +
            sa.peer.getPort() + " Id: " + sa.peerId);
        listener.ikeSaEstablished(sa.peer, sa.peerId);
    }

    /**
     * INITIAL_CONTACT (RFC 7296 2.4): the peer lost its state, so the IKE SAs it had with us under the
     * same authenticated identity are stale. Only those: SAs still negotiating, and other identities
     * behind the same address (a NAT, a load generator), are left alone.
     */
    private void initialContact(final Ikev2Sa sa)
    {
        for (final Ikev2Sa other : otherSas(sa))
        {
            if (!other.established() || other.peerId == null || !other.peerId.equals(sa.peerId))
            {
                continue;
            }
            debug(sa, "INITIAL_CONTACT: removing IKE SA " + other.id + " with " + text(other.peer));
            dropChildren(other, "initial contact");
            remove(other);
        }
    }

    // =====================================================================================
    // child SAs: selection, responses, installation
    // =====================================================================================

    /**
     * Responder side of a child: chooses the transform set, narrows the selectors, makes keys, and
     * adds SA, [KE], TSi, TSr (and USE_TRANSPORT_MODE) to {@code out}; the caller installs it once
     * the response is out.
     */
    private Child respondChild(final Ikev2Sa sa, final PayloadCodec.Chain chain, final Payload.Sa offer,
        final byte[] ni, final byte[] nr, final boolean createChild, final int messageId, final List<Payload> out,
        final long now)
    {
        final Ikev2Settings.ChildPolicy policy = sa.peerConfig.child();
        if (policy == null || policy.transformSets().isEmpty())
        {
            throw new Ikev2Exception(Ikev2.NO_PROPOSAL_CHOSEN, "no IPsec profile for this peer");
        }
        final Payload.TrafficSelectors tsi = chain.selectors(Ikev2.PAYLOAD_TSI);
        final Payload.TrafficSelectors tsr = chain.selectors(Ikev2.PAYLOAD_TSR);
        if (tsi == null || tsr == null)
        {
            throw Ikev2Exception.malformed("child SA request without TSi and TSr");
        }
        final boolean transport = chain.notify(Ikev2.USE_TRANSPORT_MODE) != null;
        final Payload.KeyExchange ke = createChild ? chain.first(Payload.KeyExchange.class) : null;
        final int group = !createChild ? 0 : policy.pfsGroup() != 0 ? policy.pfsGroup() : ke != null ? ke.group() : 0;
        ChildSuite chosen = null;
        Payload.Proposal chosenProposal = null;
        search:
        for (final Ipsec.TransformSet set : policy.transformSets())
        {
            if ((set.mode() == Ipsec.EncapsulationMode.TRANSPORT) != transport)
            {
                continue;
            }
            final ChildSuite suite = new ChildSuite(set.encryption(), set.integrity(), group);
            for (final Payload.Proposal p : offer.proposals())
            {
                if (suite.offeredIn(p, createChild))
                {
                    chosen = suite;
                    chosenProposal = p;
                    break search;
                }
            }
        }
        if (chosen == null)
        {
            throw new Ikev2Exception(Ikev2.NO_PROPOSAL_CHOSEN, "no ESP proposal matches a transform set" +
                (transport ? " in transport mode" : " in tunnel mode") + (group != 0 ? " with PFS group " + group : ""));
        }
        byte[] gir = null;
        DiffieHellman dh = null;
        if (group != 0)
        {
            if (ke == null || !DiffieHellman.supported(group))
            {
                throw new Ikev2Exception(Ikev2.NO_PROPOSAL_CHOSEN, "PFS group " + group + " without a KE payload");
            }
            if (ke.group() != group)
            {
                throw new Ikev2Exception(Ikev2.INVALID_KE_PAYLOAD, "KE of group " + ke.group() + ", we want " + group);
            }
            dh = DiffieHellman.generate(group, random);
            try
            {
                gir = dh.sharedSecret(ke.data());
            }
            catch (final IllegalArgumentException e)
            {
                throw Ikev2Exception.malformed("KE payload: " + e.getMessage());
            }
        }
        final TrafficSelector allowedRemote = policy.remote() != null ? policy.remote() : host(sa.peer.getAddress());
        final TrafficSelector allowedLocal = policy.local() != null ? policy.local() : host(settings.localAddress());
        final TrafficSelector remote = narrow(tsi.selectors(), allowedRemote);
        final TrafficSelector local = narrow(tsr.selectors(), allowedLocal);
        if (remote == null || local == null)
        {
            throw new Ikev2Exception(Ikev2.TS_UNACCEPTABLE, "traffic selectors " + tsi.selectors() + " -> " +
                tsr.selectors() + " outside " + allowedRemote + " -> " + allowedLocal);
        }
        final Child c = new Child();
        c.policy = policy;
        c.suite = chosen;
        c.local = local;
        c.remote = remote;
        c.transport = transport;
        c.createdByUs = false;
        final long spiIn = newEspSpi();
        final long spiOut = ByteBuffer.wrap(chosenProposal.spi()).getInt() & 0xffff_ffffL;
        final byte[][] km = Ikev2Crypto.childKeymat(sa.suite.prf(), sa.keys.skD(), gir, ni, nr, chosen.keyMaterialLength());
        c.sa = childSa(sa, c, spiIn, spiOut, km[1], km[0], messageId);
        timers(c, now);
        out.add(new Payload.Sa(List.of(new Payload.Proposal(chosenProposal.number(), Ikev2.PROTO_ESP, int32(spiIn),
            chosen.transforms(createChild)))));
        if (createChild)
        {
            out.add(new Payload.Nonce(nr));
            if (dh != null)
            {
                out.add(new Payload.KeyExchange(dh.group(), dh.publicValue()));
            }
        }
        out.add(new Payload.TrafficSelectors(Ikev2.PAYLOAD_TSI, List.of(remote)));
        out.add(new Payload.TrafficSelectors(Ikev2.PAYLOAD_TSR, List.of(local)));
        if (transport)
        {
            out.add(Payload.Notify.of(Ikev2.USE_TRANSPORT_MODE));
        }
        debug(sa, "child SA chosen: " + chosen + ", " + local + " <-> " + remote + (transport ? ", transport" : ""));
        return c;
    }

    /** Initiator side of a child: the response must pick one suite we offered and selectors within ours. */
    private Child acceptChild(final Ikev2Sa sa, final Request r, final PayloadCodec.Chain chain, final byte[] ni,
        final byte[] nr, final long now, final int messageId)
    {
        for (final Payload.Notify n : chain.all(Payload.Notify.class))
        {
            if (Ikev2.isError(n.notifyType()))
            {
                throw new Ikev2Exception(n.notifyType(), "peer refused the child SA: " + Ikev2.notifyName(n.notifyType()));
            }
        }
        final Payload.Sa saPayload = require(chain, Payload.Sa.class, "child SA response");
        final Payload.TrafficSelectors tsi = require(chain, Payload.TrafficSelectors.class, "child SA response");
        final Payload.TrafficSelectors tsr = chain.selectors(Ikev2.PAYLOAD_TSR);
        if (saPayload.proposals().size() != 1 || chain.selectors(Ikev2.PAYLOAD_TSI) == null || tsr == null)
        {
            throw new Ikev2Exception(Ikev2.NO_PROPOSAL_CHOSEN, "child SA response needs one proposal, TSi and TSr");
        }
        final Payload.Proposal p = saPayload.proposals().getFirst();
        final boolean createChild = r.exchange == Ikev2.CREATE_CHILD_SA;
        ChildSuite chosen = null;
        for (final ChildSuite s : r.offered)
        {
            if (s.offeredIn(p, createChild) && p.transforms().size() == s.transforms(createChild).size())
            {
                chosen = s;
                break;
            }
        }
        if (chosen == null)
        {
            throw new Ikev2Exception(Ikev2.NO_PROPOSAL_CHOSEN, "the peer chose an ESP suite we did not offer");
        }
        final TrafficSelector local = chain.selectors(Ikev2.PAYLOAD_TSI).selectors().isEmpty() ? null :
            chain.selectors(Ikev2.PAYLOAD_TSI).selectors().getFirst();
        final TrafficSelector remote = tsr.selectors().isEmpty() ? null : tsr.selectors().getFirst();
        if (local == null || remote == null || !local.within(r.tsi) || !remote.within(r.tsr))
        {
            throw new Ikev2Exception(Ikev2.TS_UNACCEPTABLE, "the peer's selectors " + local + " -> " + remote +
                " are not within ours " + r.tsi + " -> " + r.tsr);
        }
        final boolean transport = chain.notify(Ikev2.USE_TRANSPORT_MODE) != null;
        if (transport != r.transport)
        {
            throw new Ikev2Exception(Ikev2.NO_PROPOSAL_CHOSEN, "the peer answered in " + (transport ? "transport" :
                "tunnel") + " mode");
        }
        byte[] gir = null;
        if (r.dh != null)
        {
            final Payload.KeyExchange ke = require(chain, Payload.KeyExchange.class, "CREATE_CHILD_SA response with PFS");
            if (ke.group() != r.dh.group())
            {
                throw new Ikev2Exception(Ikev2.INVALID_KE_PAYLOAD, "KE of group " + ke.group());
            }
            try
            {
                gir = r.dh.sharedSecret(ke.data());
            }
            catch (final IllegalArgumentException e)
            {
                throw Ikev2Exception.malformed("KE payload: " + e.getMessage());
            }
        }
        final Child c = new Child();
        c.policy = sa.peerConfig.child();
        c.suite = chosen;
        c.local = local;
        c.remote = remote;
        c.transport = transport;
        c.createdByUs = true;
        final long spiOut = ByteBuffer.wrap(p.spi()).getInt() & 0xffff_ffffL;
        final byte[][] km = Ikev2Crypto.childKeymat(sa.suite.prf(), sa.keys.skD(), gir, ni, nr, chosen.keyMaterialLength());
        c.sa = childSa(sa, c, r.spiIn, spiOut, km[0], km[1], messageId);
        timers(c, now);
        return c;
    }

    private ChildSa childSa(final Ikev2Sa sa, final Child c, final long spiIn, final long spiOut, final byte[] keyOut,
        final byte[] keyIn, final int messageId)
    {
        final Ipsec.Lifetime life = c.policy != null ? c.policy.lifetime() : Ipsec.Lifetime.DEFAULT;
        return new ChildSa(spiIn, spiOut, c.suite.encryption(), c.suite.integrity(), keyIn, keyOut, life.seconds(),
            life.kilobytes(), c.transport ? ChildSa.Mode.TRANSPORT : ChildSa.Mode.TUNNEL,
            new InetSocketAddress(settings.localAddress(), sa.localPort), sa.peer, sa.natDetected(), c.local.toString(),
            c.remote.toString(), c.suite.pfsGroup(), messageId);
    }

    private static void timers(final Child c, final long now)
    {
        final long life = c.policy != null ? c.policy.lifetime().seconds() : Ipsec.Lifetime.DEFAULT_SECONDS;
        c.createdAt = now;
        c.rekeyAt = now + life * 900L;
        c.expiresAt = now + life * 1000L;
    }

    private void installChild(final Ikev2Sa sa, final Child c)
    {
        sa.children.add(c);
        inboundSpis.add(c.sa.spiIn());
        debug(sa, "Creating IPsec SAs: inbound spi " + ChildSa.spiText(c.sa.spiIn()) + ", outbound spi " +
            ChildSa.spiText(c.sa.spiOut()) + ", " + c.suite + ", " + c.local + " <-> " + c.remote +
            (sa.natDetected() ? ", UDP-encapsulated" : ""));
        listener.childSaEstablished(c.sa);
    }

    private static TrafficSelector narrow(final List<TrafficSelector> offered, final TrafficSelector allowed)
    {
        for (final TrafficSelector t : offered)
        {
            final TrafficSelector n = t.intersect(allowed);
            if (n != null)
            {
                return n;
            }
        }
        return null;
    }

    // =====================================================================================
    // CREATE_CHILD_SA
    // =====================================================================================

    private void createChild(final Ikev2Sa sa, final long now)
    {
        final Ikev2Settings.ChildPolicy policy = sa.peerConfig.child();
        if (policy == null || policy.transformSets().isEmpty())
        {
            return;
        }
        final Request r = new Request(Kind.CREATE_CHILD, Ikev2.CREATE_CHILD_SA, new ArrayList<>());
        childOffer(sa, policy, r, true, null);
        sendRequest(sa, r, now);
    }

    private void startChildRekey(final Ikev2Sa sa, final Child old, final long now)
    {
        final Ikev2Settings.ChildPolicy policy = old.policy != null ? old.policy : sa.peerConfig.child();
        if (policy == null)
        {
            return;
        }
        old.rekeying = true;
        final Request r = new Request(Kind.REKEY_CHILD, Ikev2.CREATE_CHILD_SA, new ArrayList<>());
        r.old = old;
        r.payloads.add(new Payload.Notify(Ikev2.PROTO_ESP, int32(old.sa.spiIn()), Ikev2.REKEY_SA, new byte[0]));
        childOffer(sa, policy, r, true, old);
        debug(sa, "rekeying child SA " + ChildSa.spiText(old.sa.spiIn()) + "/" + ChildSa.spiText(old.sa.spiOut()));
        sendRequest(sa, r, now);
    }

    private void startIkeRekey(final Ikev2Sa sa, final long now)
    {
        sa.rekeyingIke = true;
        final Request r = new Request(Kind.REKEY_IKE, Ikev2.CREATE_CHILD_SA, new ArrayList<>());
        r.newIkeSpi = newIkeSpi();
        final List<Payload.Proposal> proposals = new ArrayList<>();
        final byte[] spi = ByteBuffer.allocate(8).putLong(r.newIkeSpi).array();
        for (final Ikev2Settings.Proposal o : settings.proposals())
        {
            proposals.add(new Payload.Proposal(proposals.size() + 1, Ikev2.PROTO_IKE, spi, o.transforms()));
        }
        r.nonce = randomBytes(32);
        r.dh = DiffieHellman.generate(sa.suite.group(), random);
        r.payloads.add(new Payload.Sa(proposals));
        r.payloads.add(new Payload.Nonce(r.nonce));
        r.payloads.add(new Payload.KeyExchange(r.dh.group(), r.dh.publicValue()));
        debug(sa, "rekeying the IKE SA with " + text(sa.peer));
        sendRequest(sa, r, now);
    }

    /** A CREATE_CHILD_SA request: an IKE SA rekey, a child rekey (REKEY_SA) or a new child. */
    private void createChildRequest(final Ikev2Sa sa, final Ikev2Header h, final PayloadCodec.Chain chain,
        final long now)
    {
        final Payload.Sa offer = require(chain, Payload.Sa.class, "CREATE_CHILD_SA request");
        final Payload.Nonce ni = require(chain, Payload.Nonce.class, "CREATE_CHILD_SA request");
        final byte[] nr = randomBytes(32);
        if (!offer.proposals().isEmpty() && offer.proposals().getFirst().protocol() == Ikev2.PROTO_IKE)
        {
            rekeyIkeRequest(sa, h, chain, offer, ni.data(), nr, now);
            return;
        }
        final Payload.Notify rekey = chain.notify(Ikev2.REKEY_SA);
        Child old = null;
        if (rekey != null)
        {
            if (rekey.protocol() != Ikev2.PROTO_ESP || rekey.spi().length != 4)
            {
                throw Ikev2Exception.malformed("REKEY_SA for protocol " + rekey.protocol());
            }
            final long spi = ByteBuffer.wrap(rekey.spi()).getInt() & 0xffff_ffffL;
            for (final Child c : sa.children)
            {
                if (c.sa.spiOut() == spi)
                {
                    old = c;
                }
            }
            if (old == null || old.deleting)
            {
                debug(sa, "peer rekeys child " + ChildSa.spiText(spi) + ", which we do not have: CHILD_SA_NOT_FOUND");
                respond(sa, h, List.of(new Payload.Notify(Ikev2.PROTO_ESP, rekey.spi(), Ikev2.CHILD_SA_NOT_FOUND,
                    new byte[0])));
                return;
            }
        }
        final List<Payload> out = new ArrayList<>();
        final Child c;
        try
        {
            c = respondChild(sa, chain, offer, ni.data(), nr, true, h.messageId(), out, now);
        }
        catch (final Ikev2Exception e)
        {
            log.event("IKEv2:(SA ID = " + sa.id + "): refusing CREATE_CHILD_SA from " + text(sa.peer) + ": " +
                e.getMessage());
            final byte[] data = e.notifyType() == Ikev2.INVALID_KE_PAYLOAD ? new byte[]{
                (byte)(sa.peerConfig.child().pfsGroup() >>> 8), (byte)sa.peerConfig.child().pfsGroup()} : new byte[0];
            respond(sa, h, List.of(Payload.Notify.of(e.notifyType(), data)));
            return;
        }
        respond(sa, h, out);
        installChild(sa, c);
        if (old != null)
        {
            debug(sa, "peer rekeyed child " + ChildSa.spiText(old.sa.spiIn()) + " as " + ChildSa.spiText(c.sa.spiIn()));
            old.peerRekey = c;
            old.peerLowestNonce = lowest(ni.data(), nr);
            if (old.ourRekey != null)
            {
                resolveCollision(sa, old, now);
            }
        }
    }

    /** Responder: the peer rekeys the IKE SA; children move to the new SA, the old waits for its delete. */
    private void rekeyIkeRequest(final Ikev2Sa sa, final Ikev2Header h, final PayloadCodec.Chain chain,
        final Payload.Sa offer, final byte[] ni, final byte[] nr, final long now)
    {
        final Payload.KeyExchange ke = require(chain, Payload.KeyExchange.class, "IKE SA rekey");
        IkeSuite chosen = null;
        Payload.Proposal chosenProposal = null;
        for (final Payload.Proposal p : offer.proposals())
        {
            if (p.protocol() != Ikev2.PROTO_IKE || p.spi().length != 8)
            {
                continue;
            }
            for (final Ikev2Settings.Proposal own : settings.proposals())
            {
                final IkeSuite s = pick(p, own, false);
                if (s != null && chosen == null)
                {
                    chosen = s;
                    chosenProposal = p;
                }
            }
        }
        if (chosen == null)
        {
            respond(sa, h, List.of(Payload.Notify.of(Ikev2.NO_PROPOSAL_CHOSEN)));
            return;
        }
        if (ke.group() != chosen.group())
        {
            respond(sa, h, List.of(Payload.Notify.of(Ikev2.INVALID_KE_PAYLOAD,
                new byte[]{(byte)(chosen.group() >>> 8), (byte)chosen.group()})));
            return;
        }
        if (sa.peerRekey != null)
        {
            debug(sa, "peer rekeys the IKE SA again while its first rekey collides with ours: TEMPORARY_FAILURE");
            respond(sa, h, List.of(Payload.Notify.of(Ikev2.TEMPORARY_FAILURE)));
            return;
        }
        if (sa.rekeyingIke && (sa.outstanding == null || sa.outstanding.kind != Kind.REKEY_IKE))
        {
            // ours is still queued, nothing of it went out: the peer's rekey goes ahead alone
            sa.queue.removeIf(q -> q.kind == Kind.REKEY_IKE);
            sa.rekeyingIke = false;
            debug(sa, "peer rekeys the IKE SA before our queued rekey went out: ours is dropped");
        }
        final DiffieHellman dh = DiffieHellman.generate(chosen.group(), random);
        final byte[] gir;
        try
        {
            gir = dh.sharedSecret(ke.data());
        }
        catch (final IllegalArgumentException e)
        {
            throw Ikev2Exception.malformed("KE payload: " + e.getMessage());
        }
        final long newSpiI = ByteBuffer.wrap(chosenProposal.spi()).getLong();
        final long newSpiR = newIkeSpi();
        respond(sa, h, List.of(
            new Payload.Sa(List.of(new Payload.Proposal(chosenProposal.number(), Ikev2.PROTO_IKE,
                ByteBuffer.allocate(8).putLong(newSpiR).array(), chosen.transforms()))),
            new Payload.Nonce(nr),
            new Payload.KeyExchange(chosen.group(), dh.publicValue())));
        final Ikev2Sa fresh = rekeyedSa(sa, false, newSpiI, newSpiR, chosen, gir, ni, nr, now);
        if (!sa.rekeyingIke)
        {
            inherit(sa, fresh, now);
            return;
        }
        // 2.8.2: both sides rekey this IKE SA. Answer as usual and keep the peer's new SA aside; which
        // of the two new SAs survives is known once our own request is answered (all four nonces).
        sa.peerRekey = fresh;
        sa.peerRekeyLowestNonce = lowest(ni, nr);
        fresh.rekeyOf = sa;
        debug(sa, "simultaneous IKE SA rekey: answered the peer's, its new SA " + fresh.id + " [" +
            Long.toHexString(newSpiI) + "_i " + Long.toHexString(newSpiR) + "_r] waits until ours is answered");
    }

    /** Creates the rekeyed IKE SA and moves the children to it; the old one is REKEYED. */
    private void replaceIkeSa(final Ikev2Sa old, final boolean initiator, final long spiI, final long spiR,
        final IkeSuite suite, final byte[] gir, final byte[] ni, final byte[] nr, final long now)
    {
        inherit(old, rekeyedSa(old, initiator, spiI, spiR, suite, gir, ni, nr, now), now);
    }

    /** A new IKE SA made by a CREATE_CHILD_SA rekey of {@code old}: keys from its SK_d, its settings, no children yet. */
    private Ikev2Sa rekeyedSa(final Ikev2Sa old, final boolean initiator, final long spiI, final long spiR,
        final IkeSuite suite, final byte[] gir, final byte[] ni, final byte[] nr, final long now)
    {
        final Ikev2Sa sa = new Ikev2Sa(initiator, nextId++, spiI, old.peer, old.localPort, now);
        sa.spiR = spiR;
        sa.suite = suite;
        sa.peerConfig = old.peerConfig;
        sa.peerId = old.peerId;
        sa.localId = old.localId;
        sa.fragmentation = old.fragmentation;
        sa.peerSignatureHashes = old.peerSignatureHashes;
        sa.authVerify = old.authVerify;
        sa.natLocal = old.natLocal;
        sa.natRemote = old.natRemote;
        sa.ni = ni;
        sa.nr = nr;
        final byte[] skeyseed = Ikev2Crypto.rekeyedSkeyseed(old.suite.prf(), old.keys.skD(), gir, ni, nr);
        sa.keys = Ikev2Crypto.keys(suite, skeyseed, ni, nr, spiI, spiR);
        sa.state = Ikev2Sa.State.ESTABLISHED;
        sa.establishedAt = now;
        sa.lastHeard = now;
        sa.nextNatKeepalive = now + settings.natKeepaliveMillis();
        sa.expiresAt = now + settings.ikeLifetimeSeconds() * 1000L;
        sa.rekeyAt = now + settings.ikeLifetimeSeconds() * 900L;
        sas.put(sa.ourSpi(), sa);
        return sa;
    }

    /**
     * {@code fresh} replaces {@code old}: the children and the requests not sent yet move to it,
     * and the old SA is REKEYED until its delete (ours or the peer's), or until {@link #rekeyedWait}.
     */
    private void inherit(final Ikev2Sa old, final Ikev2Sa fresh, final long now)
    {
        fresh.children.addAll(old.children);
        old.children.clear();
        for (final Request r : old.queue)
        {
            if (r.kind != Kind.REKEY_IKE && r.kind != Kind.DELETE_IKE)
            {
                fresh.queue.add(r);
            }
        }
        old.queue.clear();
        old.state = Ikev2Sa.State.REKEYED;
        old.rekeyingIke = false;
        old.expiresAt = now + rekeyedWait();
        debug(fresh, "IKE SA " + old.id + " rekeyed as " + fresh.id + " [" + Long.toHexString(fresh.spiI) + "_i " +
            Long.toHexString(fresh.spiR) + "_r], " + fresh.suite + "; " + fresh.children.size() + " child SAs moved");
        listener.ikeSaEstablished(fresh.peer, fresh.peerId);
        if (fresh.outstanding == null && !fresh.queue.isEmpty())
        {
            transmit(fresh, fresh.queue.poll(), now);
        }
    }

    /** How long an IKE SA that was rekeyed, or made redundant by a collision, waits for the peer's delete. */
    private long rekeyedWait()
    {
        return 4 * settings.retransmitMillis() * (settings.retransmitLimit() + 1);
    }

    /** Detaches the peer's new SA of a collision from {@code old}. */
    private static Ikev2Sa takePeerRekey(final Ikev2Sa old)
    {
        final Ikev2Sa theirs = old.peerRekey;
        old.peerRekey = null;
        old.peerRekeyLowestNonce = null;
        theirs.rekeyOf = null;
        return theirs;
    }

    /** Responses to CREATE_CHILD_SA requests of ours. */
    private void createChildResponse(final Ikev2Sa sa, final Request r, final PayloadCodec.Chain chain,
        final int messageId, final long now)
    {
        if (r.kind == Kind.REKEY_IKE)
        {
            sa.rekeyingIke = false;
            for (final Payload.Notify n : chain.all(Payload.Notify.class))
            {
                if (Ikev2.isError(n.notifyType()))
                {
                    if (sa.peerRekey != null)
                    {
                        // the peer did not see the collision (it had rekeyed already): its new SA is the one
                        debug(sa, "our IKE SA rekey refused (" + Ikev2.notifyName(n.notifyType()) + ") while the " +
                            "peer's went through: its new SA " + sa.peerRekey.id + " takes over");
                        inherit(sa, takePeerRekey(sa), now);
                        return;
                    }
                    log.event("IKEv2:(SA ID = " + sa.id + "): IKE SA rekey refused by " + text(sa.peer) + ": " +
                        Ikev2.notifyName(n.notifyType()) + "; retrying later");
                    sa.rekeyAt = now + 10 * settings.retransmitMillis();
                    return;
                }
            }
            final Ikev2Sa ours;
            try
            {
                ours = acceptIkeRekey(sa, r, chain, now);
            }
            catch (final Ikev2Exception e)
            {
                if (sa.peerRekey != null)
                {
                    debug(sa, "our IKE SA rekey failed (" + e.getMessage() + ") while the peer's went through: its " +
                        "new SA " + sa.peerRekey.id + " takes over");
                    inherit(sa, takePeerRekey(sa), now);
                }
                throw e;
            }
            if (sa.peerRekey == null)
            {
                inherit(sa, ours, now);
                sendRequest(sa, new Request(Kind.DELETE_IKE, Ikev2.INFORMATIONAL, List.of(Payload.Delete.ike())), now);
                return;
            }
            resolveIkeCollision(sa, ours, lowest(r.nonce, ours.nr), now);
            return;
        }
        final Child c;
        try
        {
            final Payload.Nonce nr = require(chain, Payload.Nonce.class, "CREATE_CHILD_SA response");
            c = acceptChild(sa, r, chain, r.nonce, nr.data(), now, messageId);
            if (r.old != null)
            {
                r.old.ourRekey = c;
                r.old.ourLowestNonce = lowest(r.nonce, nr.data());
            }
        }
        catch (final Ikev2Exception e)
        {
            log.event("IKEv2:(SA ID = " + sa.id + "): CREATE_CHILD_SA with " + text(sa.peer) + " failed: " +
                e.getMessage());
            if (r.old != null)
            {
                r.old.rekeying = false;
                r.old.rekeyAt = now + 10 * settings.retransmitMillis();
            }
            return;
        }
        installChild(sa, c);
        if (r.old == null)
        {
            return;
        }
        if (r.old.peerRekey != null)
        {
            resolveCollision(sa, r.old, now);
        }
        else
        {
            deleteChildren(sa, List.of(r.old), now);
        }
    }

    /**
     * Both sides rekeyed the same child (2.8.1): the new SA made with the lowest of the four nonces
     * is redundant, and the side that made it deletes it; the old SA goes too.
     */
    private void resolveCollision(final Ikev2Sa sa, final Child old, final long now)
    {
        if (old.collisionResolved)
        {
            return;
        }
        old.collisionResolved = true;
        final boolean oursRedundant = Arrays.compareUnsigned(old.ourLowestNonce, old.peerLowestNonce) < 0;
        debug(sa, "simultaneous rekey of child " + ChildSa.spiText(old.sa.spiIn()) + ": " + (oursRedundant ?
            "ours (" + ChildSa.spiText(old.ourRekey.sa.spiIn()) + ") has the lowest nonce and is deleted" :
            "the peer's (" + ChildSa.spiText(old.peerRekey.sa.spiIn()) + ") has the lowest nonce, the peer deletes it"));
        final List<Child> delete = new ArrayList<>();
        if (oursRedundant)
        {
            delete.add(old.ourRekey);
        }
        if (!old.deleting && sa.children.contains(old))
        {
            delete.add(old);
        }
        deleteChildren(sa, delete, now);
    }

    /** Initiator of an IKE SA rekey: the new IKE SA from the peer's answer, which must pick what we offered. */
    private Ikev2Sa acceptIkeRekey(final Ikev2Sa sa, final Request r, final PayloadCodec.Chain chain, final long now)
    {
        final Payload.Sa saPayload = require(chain, Payload.Sa.class, "IKE rekey response");
        final Payload.Nonce nr = require(chain, Payload.Nonce.class, "IKE rekey response");
        final Payload.KeyExchange ke = require(chain, Payload.KeyExchange.class, "IKE rekey response");
        final IkeSuite chosen = selectIke(saPayload, true);
        if (chosen == null || saPayload.proposals().getFirst().spi().length != 8 || ke.group() != r.dh.group() ||
            chosen.group() != r.dh.group())
        {
            throw new Ikev2Exception(Ikev2.NO_PROPOSAL_CHOSEN, "IKE rekey response chose something not offered");
        }
        final byte[] gir;
        try
        {
            gir = r.dh.sharedSecret(ke.data());
        }
        catch (final IllegalArgumentException e)
        {
            throw Ikev2Exception.malformed("KE payload: " + e.getMessage());
        }
        return rekeyedSa(sa, true, r.newIkeSpi, ByteBuffer.wrap(saPayload.proposals().getFirst().spi()).getLong(),
            chosen, gir, r.nonce, nr.data(), now);
    }

    /**
     * Both sides rekeyed the same IKE SA (2.8.2) and both exchanges completed: two new IKE SAs. The
     * one made with the lowest of the four nonces is redundant and the side that initiated it deletes
     * it; the other inherits the children, and its initiator deletes the old IKE SA. The peer reaches
     * the same verdict from the same nonces.
     */
    private void resolveIkeCollision(final Ikev2Sa old, final Ikev2Sa ours, final byte[] ourLowestNonce,
        final long now)
    {
        final byte[] theirLowestNonce = old.peerRekeyLowestNonce;
        final Ikev2Sa theirs = takePeerRekey(old);
        if (Arrays.compareUnsigned(ourLowestNonce, theirLowestNonce) < 0)
        {
            debug(old, "simultaneous IKE SA rekey: ours (SA " + ours.id + ") has the lowest nonce and is deleted, " +
                "the peer's (SA " + theirs.id + ") takes the children; the peer deletes the old SA");
            inherit(old, theirs, now);
            ours.state = Ikev2Sa.State.DELETING;
            sendRequest(ours, new Request(Kind.DELETE_IKE, Ikev2.INFORMATIONAL, List.of(Payload.Delete.ike())), now);
        }
        else
        {
            debug(old, "simultaneous IKE SA rekey: the peer's (SA " + theirs.id + ") has the lowest nonce, the peer " +
                "deletes it; ours (SA " + ours.id + ") takes the children and we delete the old SA");
            inherit(old, ours, now);
            theirs.state = Ikev2Sa.State.REKEYED;
            theirs.expiresAt = now + rekeyedWait();
            sendRequest(old, new Request(Kind.DELETE_IKE, Ikev2.INFORMATIONAL, List.of(Payload.Delete.ike())), now);
        }
    }

    private static byte[] lowest(final byte[] a, final byte[] b)
    {
        return Arrays.compareUnsigned(a, b) <= 0 ? a : b;
    }

    // =====================================================================================
    // INFORMATIONAL: delete, notify, liveness
    // =====================================================================================

    private void informationalRequest(final Ikev2Sa sa, final Ikev2Header h, final PayloadCodec.Chain chain,
        final long now)
    {
        if (chain.payloads().isEmpty())
        {
            livenessAnswered++;
            debug(sa, "liveness check from " + text(sa.peer) + ": answering");
            respond(sa, h, List.of());
            return;
        }
        final List<Payload> out = new ArrayList<>();
        boolean deleteIke = false;
        final List<Long> ours = new ArrayList<>();
        for (final Payload p : chain.payloads())
        {
            if (p instanceof Payload.Delete del)
            {
                if (del.protocol() == Ikev2.PROTO_IKE)
                {
                    deleteIke = true;
                    continue;
                }
                for (final byte[] spi : del.spis())
                {
                    final long value = ByteBuffer.wrap(spi).getInt() & 0xffff_ffffL;
                    for (final Child c : new ArrayList<>(sa.children))
                    {
                        if (c.sa.spiOut() == value)
                        {
                            sa.children.remove(c);
                            inboundSpis.remove(c.sa.spiIn());
                            if (!c.deleting)
                            {
                                ours.add(c.sa.spiIn());
                            }
                            c.deleting = true;
                            debug(sa, "peer deleted child SA " + ChildSa.spiText(c.sa.spiIn()) + "/" +
                                ChildSa.spiText(value));
                            listener.childSaDeleted(c.sa, "deleted by peer");
                        }
                    }
                }
            }
            else if (p instanceof Payload.Notify n)
            {
                log.event("IKEv2:(SA ID = " + sa.id + "): NOTIFY " + Ikev2.notifyName(n.notifyType()) + " from " +
                    text(sa.peer));
            }
        }
        if (deleteIke)
        {
            respond(sa, h, List.of());
            if (sa.peerRekey != null)
            {
                // 2.8.2: the peer's new SA won, or the peer never saw our rekey; either way it is the one
                debug(sa, "peer deleted the IKE SA it rekeyed while we rekeyed it too: its new SA " + sa.peerRekey.id +
                    " takes the children" + (sa.rekeyingIke ? ", our rekey is dropped" : ""));
                inherit(sa, takePeerRekey(sa), now);
                remove(sa);
                return;
            }
            if (sa.rekeyOf != null)
            {
                debug(sa, "peer deleted its redundant IKE SA of a simultaneous rekey of IKE SA " + sa.rekeyOf.id);
                remove(sa);
                return;
            }
            debug(sa, "peer deleted the IKE SA" + (sa.rekeyingIke ? " we are rekeying: our rekey is dropped" : ""));
            if (sa.state == Ikev2Sa.State.ESTABLISHED)
            {
                log.event("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer " +
                    sa.peer.getAddress().getHostAddress() + ":" + sa.peer.getPort() + " Id: " + sa.peerId);
            }
            dropChildren(sa, "IKE SA deleted by peer");
            remove(sa);
            return;
        }
        if (!ours.isEmpty())
        {
            out.add(Payload.Delete.esp(ours));
        }
        respond(sa, h, out);
    }

    private void deleteChildren(final Ikev2Sa sa, final List<Child> children, final long now)
    {
        if (children.isEmpty())
        {
            return;
        }
        for (final Child c : children)
        {
            c.deleting = true;
        }
        final Request r = new Request(Kind.DELETE_CHILD, Ikev2.INFORMATIONAL,
            List.of(Payload.Delete.esp(children.stream().map(c -> c.sa.spiIn()).toList())));
        r.deleting = List.copyOf(children);
        sendRequest(sa, r, now);
    }

    private void deleteIke(final Ikev2Sa sa, final String reason, final long now)
    {
        debug(sa, "deleting the IKE SA with " + text(sa.peer) + ": " + reason);
        if (sa.state == Ikev2Sa.State.ESTABLISHED)
        {
            log.event("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer " + sa.peer.getAddress().getHostAddress() +
                ":" + sa.peer.getPort() + " Id: " + sa.peerId);
        }
        dropChildren(sa, reason);
        if (sa.keys == null || sa.state == Ikev2Sa.State.INIT_SENT || sa.state == Ikev2Sa.State.INIT_ANSWERED)
        {
            remove(sa);
            return;
        }
        sa.state = Ikev2Sa.State.DELETING;
        sa.queue.clear();
        sa.outstanding = null;
        sendRequest(sa, new Request(Kind.DELETE_IKE, Ikev2.INFORMATIONAL, List.of(Payload.Delete.ike())), now);
    }

    private void childTimers(final Ikev2Sa sa, final long now)
    {
        for (final Child c : new ArrayList<>(sa.children))
        {
            if (now >= c.expiresAt && !c.deleting)
            {
                debug(sa, "child SA " + ChildSa.spiText(c.sa.spiIn()) + " expired");
                deleteChildren(sa, List.of(c), now);
            }
            else if (c.createdByUs && now >= c.rekeyAt && !c.rekeying && !c.deleting)
            {
                startChildRekey(sa, c, now);
            }
        }
    }

    private void livenessTick(final Ikev2Sa sa, final long now)
    {
        final Ikev2Settings.Dpd dpd = settings.dpd();
        if (dpd != null && dpd.mode() == Isakmp.DpdMode.PERIODIC && !sa.busy() &&
            now - Math.max(sa.lastHeard, sa.livenessLastSent) >= dpd.intervalMillis())
        {
            startLiveness(sa, now);
        }
    }

    private void startLiveness(final Ikev2Sa sa, final long now)
    {
        if (sa.busy())
        {
            return;   // a request is out: its retransmissions check liveness already
        }
        livenessSent++;
        sa.livenessLastSent = now;
        debug(sa, "sending liveness check (empty INFORMATIONAL) to " + text(sa.peer));
        sendRequest(sa, new Request(Kind.LIVENESS, Ikev2.INFORMATIONAL, List.of()), now);
    }

    private void peerDead(final Ikev2Sa sa)
    {
        final String peer = sa.peer.getAddress().getHostAddress();
        debug(sa, "peer " + peer + " not responding: deleting SA reason \"peers alive\"");
        log.event("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer " + peer + ":" + sa.peer.getPort() + " Id: " +
            (sa.peerId != null ? sa.peerId : peer));
        final InetSocketAddress where = sa.peer;
        dropChildren(sa, "peers alive");
        remove(sa);
        listener.peerDead(where);
    }

    // =====================================================================================
    // requests and responses of established SAs
    // =====================================================================================

    private void request(final Ikev2Sa sa, final Ikev2Header h, final byte[] d, final InetSocketAddress from,
        final int localPort, final long now)
    {
        if (h.messageId() == sa.lastResponseId && sa.lastResponse != null)
        {
            duplicates++;
            if (h.nextPayload() == Ikev2.PAYLOAD_SKF && fragmentNumber(d) != 1)
            {
                return;   // a retransmitted fragmented request is answered once, on its first fragment (7383 2.6.1)
            }
            debug(sa, "retransmitted request " + h.messageId() + " from " + text(from) + ": answering again");
            sendAll(sa.lastResponseDatagrams, sa.peer, sa.localPort);
            return;
        }
        if (h.messageId() != sa.expectedRequestId)
        {
            dropped++;
            debug(sa, "dropping " + h + " from " + text(from) + ": expected message id " + sa.expectedRequestId);
            return;
        }
        final PayloadCodec.Chain chain;
        try
        {
            chain = h.nextPayload() == Ikev2.PAYLOAD_SKF ? fragment(sa, h, d, now) : open(sa, h, d);
        }
        catch (final Ikev2Exception e)
        {
            dropped++;
            sa.authFailures++;
            debug(sa, "dropping " + h + " from " + text(from) + ": " + e.getMessage());
            return;
        }
        if (chain == null)
        {
            return;   // a fragment kept: the message is not complete yet
        }
        heard(sa, from, localPort, now);
        try
        {
            switch (h.exchange())
            {
                case Ikev2.IKE_AUTH ->
                {
                    if (sa.state != Ikev2Sa.State.INIT_ANSWERED)
                    {
                        throw new Ikev2Exception(Ikev2.INVALID_SYNTAX, "IKE_AUTH on an SA in state " + sa.state);
                    }
                    authRequest(sa, h, chain, from, localPort, now);
                }
                case Ikev2.CREATE_CHILD_SA ->
                {
                    if (!sa.established())
                    {
                        respond(sa, h, List.of(Payload.Notify.of(sa.state == Ikev2Sa.State.INIT_ANSWERED ?
                            Ikev2.INVALID_SYNTAX : Ikev2.TEMPORARY_FAILURE)));
                        return;
                    }
                    createChildRequest(sa, h, chain, now);
                }
                case Ikev2.INFORMATIONAL ->
                {
                    if (sa.state == Ikev2Sa.State.INIT_ANSWERED)
                    {
                        throw new Ikev2Exception(Ikev2.INVALID_SYNTAX, "INFORMATIONAL before IKE_AUTH");
                    }
                    informationalRequest(sa, h, chain, now);
                }
                default -> throw new Ikev2Exception(Ikev2.INVALID_SYNTAX, "exchange type " + h.exchange());
            }
        }
        catch (final Ikev2Exception e)
        {
            // authenticated but wrong: tell the peer (3.10.1), unless it has been answered already
            if (sa.expectedRequestId == h.messageId() && sas.get(sa.ourSpi()) == sa)
            {
                respond(sa, h, List.of(Payload.Notify.of(Ikev2.isError(e.notifyType()) ? e.notifyType() :
                    Ikev2.INVALID_SYNTAX)));
            }
            if (sa.state == Ikev2Sa.State.INIT_ANSWERED)
            {
                remove(sa);
            }
            throw e;
        }
    }

    private void response(final Ikev2Sa sa, final Ikev2Header h, final byte[] d, final InetSocketAddress from,
        final int localPort, final long now)
    {
        final Request r = sa.outstanding;
        if (r == null || h.messageId() != r.messageId || h.exchange() != r.exchange)
        {
            dropped++;
            debug(sa, "dropping " + h + " from " + text(from) + ": no request " + h.messageId() + " outstanding");
            return;
        }
        final PayloadCodec.Chain chain;
        try
        {
            chain = h.nextPayload() == Ikev2.PAYLOAD_SKF ? fragment(sa, h, d, now) : open(sa, h, d);
        }
        catch (final Ikev2Exception e)
        {
            dropped++;
            sa.authFailures++;
            debug(sa, "dropping " + h + " from " + text(from) + ": " + e.getMessage());
            return;
        }
        if (chain == null)
        {
            return;   // a fragment kept: the message is not complete yet
        }
        sa.outstanding = null;
        heard(sa, from, localPort, now);
        try
        {
            switch (r.kind)
            {
                case AUTH -> authResponse(sa, r, chain, now);
                case CREATE_CHILD, REKEY_CHILD, REKEY_IKE -> createChildResponse(sa, r, chain, h.messageId(), now);
                case DELETE_CHILD ->
                {
                    for (final Child c : r.deleting)
                    {
                        if (sa.children.remove(c))
                        {
                            inboundSpis.remove(c.sa.spiIn());
                            debug(sa, "child SA " + ChildSa.spiText(c.sa.spiIn()) + " deleted");
                            listener.childSaDeleted(c.sa, c.ourRekey != null || c.peerRekey != null ? "rekeyed" :
                                "deleted");
                        }
                    }
                }
                case DELETE_IKE ->
                {
                    debug(sa, "IKE SA deleted");
                    remove(sa);
                    return;
                }
                case LIVENESS ->
                {
                    livenessAcks++;
                    debug(sa, "liveness check answered by " + text(sa.peer));
                }
                default -> dropped++;
            }
        }
        finally
        {
            if (sas.get(sa.ourSpi()) == sa && sa.outstanding == null && !sa.queue.isEmpty())
            {
                transmit(sa, sa.queue.poll(), now);
            }
        }
    }

    /** Sends a request now if the window is free, else queues it. */
    private void sendRequest(final Ikev2Sa sa, final Request r, final long now)
    {
        if (sa.outstanding != null)
        {
            sa.queue.add(r);
            return;
        }
        transmit(sa, r, now);
    }

    private void transmit(final Ikev2Sa sa, final Request r, final long now)
    {
        r.messageId = sa.nextRequestId++;
        final Ikev2Header h = new Ikev2Header(sa.spiI, sa.spiR, 0, r.exchange, sa.flags(false), r.messageId, 0);
        if (r.exchange == Ikev2.IKE_SA_INIT)
        {
            final byte[] body = PayloadCodec.encode(r.payloads);
            r.datagram = new byte[Ikev2.HEADER_LENGTH + body.length];
            new Ikev2Header(sa.spiI, 0, r.payloads.getFirst().type(), r.exchange, sa.flags(false), r.messageId,
                r.datagram.length).write(r.datagram);
            System.arraycopy(body, 0, r.datagram, Ikev2.HEADER_LENGTH, body.length);
        }
        else
        {
            r.datagrams = protect(sa, h, r.payloads);
            r.datagram = r.datagrams.getFirst();
        }
        if (r.datagrams == null || r.exchange == Ikev2.IKE_SA_INIT)
        {
            r.datagrams = List.of(r.datagram);
        }
        r.count = 0;
        r.nextAt = now + retryInterval(r, 0);
        sa.outstanding = r;
        debug(sa, "sending " + Ikev2.exchangeName(r.exchange) + " request " + r.messageId + " to " + text(sa.peer) +
            " [" + summary(r.payloads) + "]" + (r.datagrams.size() > 1 ? " in " + r.datagrams.size() + " fragments" : ""));
        sendAll(r.datagrams, sa.peer, sa.localPort);
    }

    private long retryInterval(final Request r, final int count)
    {
        if (r.kind == Kind.LIVENESS && settings.dpd() != null)
        {
            return settings.dpd().retryMillis();
        }
        return settings.retransmitMillis() * (1L << Math.min(count, 3));
    }

    /** Resends the outstanding request when due; false when the SA was given up. */
    private boolean retransmit(final Ikev2Sa sa, final long now)
    {
        final Request r = sa.outstanding;
        if (r == null || now < r.nextAt)
        {
            return true;
        }
        final int limit = r.kind == Kind.LIVENESS && settings.dpd() != null ? Ikev2Settings.Dpd.RETRANSMISSIONS :
            settings.retransmitLimit();
        if (r.count >= limit)
        {
            log.event("IKEv2:(SA ID = " + sa.id + "): no answer from " + text(sa.peer) + " to " +
                Ikev2.exchangeName(r.exchange) + " request " + r.messageId + " after " + r.count +
                " retransmissions: giving up");
            if (sa.established() || r.kind == Kind.LIVENESS)
            {
                peerDead(sa);
            }
            else
            {
                dropChildren(sa, "no answer");
                remove(sa);
            }
            return false;
        }
        r.count++;
        retransmits++;
        r.nextAt = now + retryInterval(r, r.count);
        debug(sa, "retransmitting " + Ikev2.exchangeName(r.exchange) + " request " + r.messageId + " to " +
            text(sa.peer) + " (" + r.count + ")");
        sendAll(r.datagrams, sa.peer, sa.localPort);
        return true;
    }

    private void respond(final Ikev2Sa sa, final Ikev2Header request, final List<Payload> payloads)
    {
        final Ikev2Header h = new Ikev2Header(sa.spiI, sa.spiR, 0, request.exchange(), sa.flags(true),
            request.messageId(), 0);
        final List<byte[]> d = protect(sa, h, payloads);
        sa.lastResponse = d.getFirst();
        sa.lastResponseDatagrams = d;
        sa.lastResponseId = request.messageId();
        sa.expectedRequestId = request.messageId() + 1;
        debug(sa, "sending " + Ikev2.exchangeName(request.exchange()) + " response " + request.messageId() + " to " +
            text(sa.peer) + " [" + summary(payloads) + "]" + (d.size() > 1 ? " in " + d.size() + " fragments" : ""));
        sendAll(d, sa.peer, sa.localPort);
    }

    private void sendAll(final List<byte[]> datagrams, final InetSocketAddress to, final int localPort)
    {
        for (final byte[] d : datagrams)
        {
            send(d, to, localPort);
        }
    }

    /**
     * A protected message as it goes on the wire: one datagram, or, when both sides support
     * fragmentation and the datagram would exceed the fragment size, SKF fragments (RFC 7383 2.5)
     * each encrypted and integrity protected on its own.
     */
    private List<byte[]> protect(final Ikev2Sa sa, final Ikev2Header h, final List<Payload> payloads)
    {
        final byte[] inner = PayloadCodec.encode(payloads);
        final int firstInner = payloads.isEmpty() ? Ikev2.NO_NEXT_PAYLOAD : payloads.getFirst().type();
        final byte[] whole = Ikev2Crypto.seal(sa.suite, sa.encOut(), sa.integOut(), h, firstInner, inner, random);
        final int limit = settings.fragmentSize() - 28 - (sa.localPort == NAT_T_PORT ? 4 : 0);
        if (!sa.fragmentation || settings.fragmentSize() <= 0 || whole.length <= limit)
        {
            return List.of(whole);
        }
        final int piece = limit - Ikev2Crypto.overhead(sa.suite, true);
        final int total = (inner.length + piece - 1) / piece;
        final List<byte[]> out = new ArrayList<>(total);
        for (int i = 0; i < total; i++)
        {
            out.add(Ikev2Crypto.sealFragment(sa.suite, sa.encOut(), sa.integOut(), h, firstInner, i + 1, total,
                Arrays.copyOfRange(inner, i * piece, Math.min(inner.length, (i + 1) * piece)), random));
        }
        return out;
    }

    /** Fragment Number of an SKF message (0 if too short to say). */
    private static int fragmentNumber(final byte[] d)
    {
        return d.length < Ikev2.HEADER_LENGTH + 8 ? 0 :
            ((d[Ikev2.HEADER_LENGTH + 4] & 0xff) << 8) | (d[Ikev2.HEADER_LENGTH + 5] & 0xff);
    }

    /**
     * An SKF fragment (RFC 7383 2.6): checked and decrypted on its own, kept by number; the payload
     * chain once all fragments of the message are in, else null. Fragments of another message, a
     * number out of range, a fragment seen already, or one that does not verify are refused; a
     * larger Total Fragments for the same message starts over (the peer re-fragmented it smaller).
     */
    private PayloadCodec.Chain fragment(final Ikev2Sa sa, final Ikev2Header h, final byte[] d, final long now)
    {
        if (!sa.fragmentation)
        {
            throw Ikev2Exception.malformed("SKF fragment but fragmentation was not negotiated");
        }
        if (d.length < Ikev2.HEADER_LENGTH + 8)
        {
            throw Ikev2Exception.malformed("SKF payload shorter than its header");
        }
        final int at = Ikev2.HEADER_LENGTH;
        final int next = d[at] & 0xff;
        final int length = ((d[at + 2] & 0xff) << 8) | (d[at + 3] & 0xff);
        final int number = fragmentNumber(d);
        final int total = ((d[at + 6] & 0xff) << 8) | (d[at + 7] & 0xff);
        if (length != d.length - at)
        {
            throw Ikev2Exception.malformed("SKF payload length " + length + " in a message of " + d.length + " bytes");
        }
        if (number < 1 || number > total || total > MAX_FRAGMENTS)
        {
            throw Ikev2Exception.malformed("SKF fragment " + number + " of " + total + " (at most " + MAX_FRAGMENTS + ")");
        }
        if (number != 1 && next != Ikev2.NO_NEXT_PAYLOAD)
        {
            throw Ikev2Exception.malformed("SKF fragment " + number + " with a next payload");
        }
        Ikev2Sa.Reassembly r = sa.reassembly;
        if (r != null && (r.messageId != h.messageId() || r.response != h.response()))
        {
            debug(sa, "fragments of message " + r.messageId + " abandoned for message " + h.messageId());
            r = null;
        }
        if (r != null && total < r.total)
        {
            throw Ikev2Exception.malformed("SKF fragment " + number + " of " + total + " while reassembling " + r.total);
        }
        if (r != null && r.pieces.length >= number && total == r.total && r.pieces[number - 1] != null)
        {
            duplicates++;
            debug(sa, "SKF fragment " + number + " of " + total + " of message " + h.messageId() + " again: ignored");
            return null;
        }
        final byte[] piece = Ikev2Crypto.open(sa.suite, sa.encIn(), sa.integIn(), d, at + 4);
        if (r == null || total > r.total)
        {
            r = new Ikev2Sa.Reassembly(h.messageId(), h.response(), total, now);
        }
        if (r.bytes + piece.length > MAX_REASSEMBLED_BYTES)
        {
            sa.reassembly = null;
            throw Ikev2Exception.malformed("fragmented message " + h.messageId() + " larger than " +
                MAX_REASSEMBLED_BYTES + " bytes");
        }
        sa.reassembly = r;
        r.pieces[number - 1] = piece;
        r.received++;
        r.bytes += piece.length;
        if (number == 1)
        {
            r.firstInner = next;
        }
        if (r.received < r.total)
        {
            return null;
        }
        sa.reassembly = null;
        final byte[] inner = new byte[r.bytes];
        int o = 0;
        for (final byte[] p : r.pieces)
        {
            System.arraycopy(p, 0, inner, o, p.length);
            o += p.length;
        }
        final PayloadCodec.Chain chain = PayloadCodec.parse(r.firstInner, inner, 0, inner.length, true);
        debug(sa, "received " + h + " from " + text(sa.peer) + " in " + r.total + " fragments: " + chain.summary());
        return chain;
    }

    /** An unencrypted IKE_SA_INIT response that keeps no state: COOKIE, INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN. */
    private void sendPlain(final long spiI, final long spiR, final List<Payload> payloads, final InetSocketAddress to,
        final int localPort)
    {
        final byte[] body = PayloadCodec.encode(payloads);
        final byte[] d = new byte[Ikev2.HEADER_LENGTH + body.length];
        new Ikev2Header(spiI, spiR, payloads.getFirst().type(), Ikev2.IKE_SA_INIT, Ikev2.FLAG_RESPONSE, 0, d.length)
            .write(d);
        System.arraycopy(body, 0, d, Ikev2.HEADER_LENGTH, body.length);
        send(d, to, localPort);
    }

    /** Puts the non-ESP marker in front on port 4500. */
    private void send(final byte[] d, final InetSocketAddress to, final int localPort)
    {
        sent++;
        if (localPort == NAT_T_PORT)
        {
            final byte[] framed = new byte[d.length + 4];
            System.arraycopy(d, 0, framed, 4, d.length);
            output.send(framed, to, localPort);
        }
        else
        {
            output.send(d, to, localPort);
        }
    }

    /** An authenticated message arrived: the peer is alive, and behind a NAT its address may have moved. */
    private void heard(final Ikev2Sa sa, final InetSocketAddress from, final int localPort, final long now)
    {
        sa.lastHeard = now;
        if (localPort == NAT_T_PORT && sa.natDetected() && !from.equals(sa.peer) && sa.established())
        {
            debug(sa, "peer moved from " + text(sa.peer) + " to " + text(from));
            sa.peer = from;
            sa.localPort = NAT_T_PORT;
        }
    }

    private void fail(final Ikev2Sa sa, final String why)
    {
        rejected++;
        log.event("IKEv2:(SA ID = " + sa.id + "): negotiation with " + text(sa.peer) + " failed: " + why);
        dropChildren(sa, why);
        remove(sa);
    }

    private void dropChildren(final Ikev2Sa sa, final String reason)
    {
        for (final Child c : new ArrayList<>(sa.children))
        {
            listener.childSaDeleted(c.sa, reason);
            inboundSpis.remove(c.sa.spiIn());
        }
        sa.children.clear();
    }

    private void remove(final Ikev2Sa sa)
    {
        if (sas.get(sa.ourSpi()) == sa)
        {
            sas.remove(sa.ourSpi());
        }
        if (sa.peerRekey != null)
        {
            remove(takePeerRekey(sa));   // the old SA of an open collision goes, and the peer's new SA with it
        }
        if (sa.rekeyOf != null)
        {
            takePeerRekey(sa.rekeyOf);
        }
    }

    // =====================================================================================
    // cookies (2.6): Cookie = version | SHA-256(Ni | IPi | SPIi | secret)
    // =====================================================================================

    private static byte[] cookie(final byte[] ni, final InetSocketAddress from, final long spiI, final int version,
        final byte[] secret)
    {
        final byte[] hash = IkeHash.SHA256.digest(ni, from.getAddress().getAddress(),
            ByteBuffer.allocate(8).putLong(spiI).array(), secret);
        return Ikev2Crypto.concat(ByteBuffer.allocate(4).putInt(version).array(), hash);
    }

    private boolean validCookie(final byte[] cookie, final byte[] ni, final InetSocketAddress from, final long spiI)
    {
        if (cookie.length != 36)
        {
            return false;
        }
        final int version = ByteBuffer.wrap(cookie).getInt();
        final byte[] secret = version == cookieVersion ? cookieSecret : version == cookieVersion - 1 ?
            previousCookieSecret : null;
        return secret != null && MessageDigest.isEqual(cookie, cookie(ni, from, spiI, version, secret));
    }

    // =====================================================================================
    // small helpers
    // =====================================================================================

    private static String summary(final List<Payload> payloads)
    {
        return new PayloadCodec.Chain(payloads).summary();
    }

    private void debug(final Ikev2Sa sa, final String line)
    {
        if (log.debugEnabled())
        {
            log.debug("IKEv2:" + (sa != null ? "(SA ID = " + sa.id + "):" : "") + line);
        }
    }

    private static <T extends Payload> T require(final PayloadCodec.Chain chain, final Class<T> kind, final String what)
    {
        final T p = chain.first(kind);
        if (p == null)
        {
            throw Ikev2Exception.malformed(what + " without " + kind.getSimpleName() + " payload");
        }
        return p;
    }

    private Ikev2Sa saFor(final InetAddress peer)
    {
        Ikev2Sa found = null;
        for (final Ikev2Sa sa : sas.values())
        {
            if (sa.peer.getAddress().equals(peer) && sa.state != Ikev2Sa.State.REKEYED &&
                sa.state != Ikev2Sa.State.DELETING && (found == null || sa.established() && !found.established()))
            {
                found = sa;
            }
        }
        return found;
    }

    private List<Ikev2Sa> otherSas(final Ikev2Sa sa)
    {
        return sas.values().stream().filter(s -> s != sa && s.peer.getAddress().equals(sa.peer.getAddress())).toList();
    }

    private long newIkeSpi()
    {
        long spi;
        do
        {
            spi = random.nextLong();
        }
        while (spi == 0 || sas.containsKey(spi));
        return spi;
    }

    /** A random SPI above the reserved range, unique among our inbound SPIs. */
    private long newEspSpi()
    {
        while (true)
        {
            final long spi = random.nextInt() & 0xffff_ffffL;
            if (spi < 0x1000)
            {
                continue;
            }
            if (!inboundSpis.contains(spi))
            {
                return spi;
            }
        }
    }

    private static byte[] int32(final long v)
    {
        return ByteBuffer.allocate(4).putInt((int)v).array();
    }

    /**
     * Without selectors of its own a child protects what {@code tunnel protection} sends: GRE between
     * the two endpoints, proposed as protocol 47 as IOS does (a peer asking for any protocol is
     * narrowed to GRE).
     */
    private static TrafficSelector host(final InetAddress address)
    {
        return TrafficSelector.of(Ip4Subnet.host(Ikev2Settings.ip4(address)), GRE);
    }

    private static final int GRE = 47;

    private byte[] randomBytes(final int n)
    {
        final byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static String text(final InetSocketAddress a)
    {
        return a == null ? "?" : a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
