package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.CryptoMap;
import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.DiffieHellman;
import io.sluice.controlplane.ike.IkeHash;
import io.sluice.controlplane.ike.IkeLog;
import io.sluice.controlplane.ike.IkeUdpTransport;
import io.sluice.controlplane.ike.NatDetection;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The IKEv1 protocol engine (RFC 2408, 2409): main mode and aggressive mode with pre-shared keys
 * and RSA encrypted nonces, main mode with RSA signatures, quick mode with and without PFS,
 * informational exchanges (delete, notify, INITIAL-CONTACT), NAT traversal (RFC 3947/3948) and
 * dead peer detection (RFC 3706) on the schedule of reference 000.
 * <p>
 * A pure library: it owns no socket and no thread. {@link #receive} takes each datagram that
 * arrived on UDP 500 or 4500 (as on the wire, with the non-ESP marker on 4500), {@link #tick}
 * drives retransmissions, lifetimes, DPD and NAT keepalives, and datagrams leave through the
 * {@link Output}. Negotiated SAs go to the {@link Listener}. All public methods are synchronized:
 * a transport thread and an operator's {@code show} may call concurrently.
 * <p>
 * Nothing a peer sends can throw out of {@link #receive}: every rejection is logged with the peer
 * and the reason, counted, and the datagram dropped.
 */
public final class Ikev1Engine implements IkeUdpTransport.Endpoint
{
    public static final int IKE_PORT = 500;
    public static final int NAT_T_PORT = 4500;

    /** RFC 3706 DPD vendor id (version 1.0). */
    static final byte[] VID_DPD = HexFormat.of().parseHex("afcad71368a1f1c96b8696fc77570100");
    /** MD5("RFC 3947"). */
    static final byte[] VID_NAT_T_RFC = HexFormat.of().parseHex("4a131c81070358455c5728f20e95452f");
    /** MD5("draft-ietf-ipsec-nat-t-ike-02\n") and MD5("draft-ietf-ipsec-nat-t-ike-03"). */
    static final byte[] VID_NAT_T_02N = HexFormat.of().parseHex("90cb80913ebb696e086381b5ec427b1f");
    static final byte[] VID_NAT_T_03 = HexFormat.of().parseHex("7d9419a65310ca6f2c179d9215529d56");

    private static final long QUICK_MODE_LINGER_MILLIS = 30_000;
    /** Certificate encoding "X.509 Certificate - Signature" (RFC 2408 3.9). */
    static final byte CERT_X509_SIGNATURE = 4;
    /** After a failed rekey, how long before the next attempt. */
    static final long REKEY_RETRY_MILLIS = 10_000;
    /** Soft lifetimes in percent of the hard one: the initiator of an SA rekeys first, the responder as a fallback. */
    static final int SOFT_PERCENT_INITIATOR = 90;
    static final int SOFT_PERCENT_RESPONDER = 95;
    /** Half-open responder SAs one address may hold: a flood from one source cannot take all of them. */
    static final int MAX_HALF_OPEN_PER_PEER = 16;

    /** Where datagrams go: {@code datagram} is the UDP payload as it goes on the wire from {@code localPort}. */
    @FunctionalInterface
    public interface Output
    {
        void send(byte[] datagram, InetSocketAddress to, int localPort);
    }

    /** What the rest of the control process hears about. */
    public interface Listener
    {
        /** Phase 1 completed with a peer, whose identity is {@code peerId}. */
        default void phase1Established(final InetSocketAddress peer, final String peerId)
        {
        }

        /** Quick mode completed: both directions' SAs are ready for the dataplane. */
        default void childSaEstablished(final ChildSa sa)
        {
        }

        /** A child SA is gone (deleted by the peer or by us, or its peer is dead). */
        default void childSaDeleted(final ChildSa sa, final String reason)
        {
        }

        /** DPD gave up on a peer: its IKE and IPsec SAs are deleted. */
        default void peerDead(final InetSocketAddress peer)
        {
        }

        /**
         * Stateless failover (references 000/002): {@code failed} was declared dead by DPD, or phase 1
         * to it failed after all retransmissions, and the engine now initiates to {@code next}, the
         * following {@code set peer} of the same crypto map entry (after the last, the first again).
         * The control process should stop re-initiating to {@code failed} itself.
         */
        default void peerFailover(final InetSocketAddress failed, final InetSocketAddress next)
        {
        }

        /**
         * Mode config as a gateway: {@code address} from the {@code ip local pool} is now the peer's
         * (it ACKed our SET, or we REPLYed to its REQUEST); route it to the peer.
         */
        default void addressAssigned(final InetSocketAddress peer, final InetAddress address)
        {
        }

        /** The peer's last IKE SA is gone: {@code address} went back to the pool; remove its route. */
        default void addressReleased(final InetSocketAddress peer, final InetAddress address)
        {
        }

        /** Mode config as a client: {@code gateway} gave us {@code address}, our inner address from now on. */
        default void virtualAddressAssigned(final InetSocketAddress gateway, final InetAddress address)
        {
        }
    }

    /** Counters of what the engine did. */
    public record Counters(long received, long sent, long rejected, long dropped, long retransmits, long duplicates,
        long dpdSent, long dpdAcksReceived, long dpdAnswered, long espOnIkePort)
    {
    }

    private final Ikev1Settings settings;
    private final Output output;
    private final Listener listener;
    private final IkeLog log;
    private final LongSupplier clock;
    private final SecureRandom random;
    private final Map<Long, IkeSa> sas = new LinkedHashMap<>();
    private final List<Child> children = new ArrayList<>();
    private int nextConnId = 1001;
    /** Mode config as a gateway: the pool, and the addresses the listener was told about, by peer. */
    private final ModeConfig.AddressPool pool;
    private final Map<InetAddress, Ip4> assigned = new LinkedHashMap<>();

    private long received;
    private long sent;
    private long rejected;
    private long dropped;
    private long retransmits;
    private long duplicates;
    private long dpdSent;
    private long dpdAcks;
    private long dpdAnswered;
    private long espOnIkePort;
    private long halfOpenDrops;

    /**
     * A child SA we hold, with its timers. It belongs to the peer rather than to one IKE SA: when
     * phase 1 is renegotiated the new IKE SA adopts it, and it outlives an expired IKE SA (as IPsec
     * SAs do on IOS).
     */
    private static final class Child
    {
        final ChildSa sa;
        final InetAddress peer;
        final Selector local;
        final Selector remote;
        final long hardAt;
        long ckyI;
        long softAt;
        /** A replacement is being negotiated, or a newer SA with the same proxy identities exists. */
        boolean rekeying;
        /** A replacement quick mode waits for phase 1 with the peer. */
        boolean rekeyWaitsForPhase1;
        /** When the replaced SA is deleted (make-before-break overlap). */
        long retireAt = Long.MAX_VALUE;

        Child(final ChildSa sa, final long ckyI, final InetAddress peer, final Selector local, final Selector remote,
            final long softAt, final long hardAt)
        {
            this.sa = sa;
            this.ckyI = ckyI;
            this.peer = peer;
            this.local = local;
            this.remote = remote;
            this.softAt = softAt;
            this.hardAt = hardAt;
        }

        boolean sameTraffic(final Child other)
        {
            return peer.equals(other.peer) && local.equals(other.local) && remote.equals(other.remote);
        }
    }

    public Ikev1Engine(final Ikev1Settings settings, final Output output, final Listener listener, final IkeLog log,
        final LongSupplier clockMillis, final SecureRandom random)
    {
        this.settings = settings;
        this.output = output;
        this.listener = listener;
        this.log = log;
        this.clock = clockMillis;
        this.random = random;
        this.pool = settings.modeConfigGateway() != null ? new ModeConfig.AddressPool(settings.modeConfigGateway().pool()) :
            null;
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
    public synchronized void receive(final byte[] datagram, final InetSocketAddress from, final int localPort)
    {
        received++;
        byte[] d = datagram;
        if (localPort == NAT_T_PORT)
        {
            if (d.length == 1 && d[0] == (byte)0xff)
            {
                return;   // NAT keepalive (RFC 3948 2.3)
            }
            if (d.length < 4 || d[0] != 0 || d[1] != 0 || d[2] != 0 || d[3] != 0)
            {
                espOnIkePort++;   // ESP in UDP: the dataplane's, not ours
                return;
            }
            d = Arrays.copyOfRange(d, 4, d.length);
        }
        try
        {
            handle(d, from, localPort, clock.getAsLong());
        }
        catch (final Ikev1Exception e)
        {
            rejected++;
            log.event("ISAKMP: rejected message from " + text(from) + ": " + e.getMessage() + " (" +
                Ikev1.notifyName(e.notifyType()) + ")");
        }
        catch (final RuntimeException e)
        {
            // a bug, not the peer's fault: keep serving the other peers
            rejected++;
            log.event("ISAKMP: internal error handling a message from " + text(from) + ": " + e);
        }
    }

    /** Drives retransmissions, lifetimes, DPD and NAT keepalives; call at least every few hundred ms. */
    public synchronized void tick(final long now)
    {
        for (final IkeSa sa : new ArrayList<>(sas.values()))
        {
            if (!sas.containsKey(sa.ckyI))
            {
                continue;
            }
            if (!retransmitIfDue(sa, sa.pending, now, "phase 1 " + sa.state.show()))
            {
                if (sa.initiator && sa.state == IkeSa.State.IKE_I_MM5 && sa.authFailure == null &&
                    sa.chosen.authMethod() == Ikev1.AUTH_RSA_ENC)
                {
                    log.event("ISAKMP:(" + sa.connId + "): authentication with peer " + text(sa.peer) + " failed: " +
                        "it never answered our HASH_I, as an rsa-encr peer does when it cannot read our identity " +
                        "or nonce (does it hold our current public key?)");
                }
                deleteSa(sa, "retransmission limit reached in " + sa.state.show(), false);
                phase1Failed(sa, now);
                continue;
            }
            for (final IkeSa.QuickMode qm : new ArrayList<>(sa.quickModes.values()))
            {
                if (qm.done && now - qm.doneAt > QUICK_MODE_LINGER_MILLIS)
                {
                    sa.quickModes.remove(qm.messageId);
                    sa.rememberMessageId(qm.messageId);
                }
                else if (!retransmitIfDue(sa, qm.pending, now, "quick mode " + qm.messageId))
                {
                    log.event("ISAKMP:(" + sa.connId + "): quick mode " + qm.messageId + " with " + text(sa.peer) +
                        " abandoned: no answer after " + settings.retransmitLimit() + " retransmissions");
                    sa.quickModes.remove(qm.messageId);
                    sa.rememberMessageId(qm.messageId);
                    rekeyFailed(qm, now);
                }
            }
            if (sa.transaction != null && !retransmitIfDue(sa, sa.transaction.pending, now, "mode config " +
                ModeConfig.typeName(sa.cfgType)))
            {
                modeConfigAbandoned(sa, now);
            }
            if (now >= sa.expiresAt)
            {
                // the IPsec SAs outlive it; a new phase 1 adopts them
                deleteSa(sa, "lifetime expired", true, false);
                continue;
            }
            if (sa.established() && sa.initiator && !sa.replaced && now >= sa.rekeyAt)
            {
                sa.replaced = true;
                log.event("ISAKMP:(" + sa.connId + "): phase 1 lifetime with " + text(sa.peer) + " nearly over (" +
                    sa.chosen.lifetimeSeconds() + " s): renegotiating, IPsec SAs stay up");
                if (sa.aggressive && aggressiveOnly(sa.peer.getAddress()))
                {
                    startAggressive(sa.peer, now);
                }
                else
                {
                    startMainMode(sa.peer, now);
                }
            }
            if (sa.established())
            {
                dpdTick(sa, now);
                if (sas.containsKey(sa.ckyI) && sa.localBehindNat && now >= sa.nextNatKeepalive)
                {
                    sa.nextNatKeepalive = now + settings.natKeepaliveMillis();
                    output.send(new byte[]{(byte)0xff}, sa.peer, NAT_T_PORT);
                }
            }
        }
        childTimers(now);
    }

    /** Hard expiry, the end of a make-before-break overlap, and rekeying at the soft lifetime. */
    private void childTimers(final long now)
    {
        for (final Child c : new ArrayList<>(children))
        {
            if (!children.contains(c))
            {
                continue;
            }
            if (now >= c.hardAt)
            {
                removeChild(c, "lifetime expired", true, now);
            }
            else if (now >= c.retireAt)
            {
                removeChild(c, "rekeyed", true, now);
            }
            else if (!c.rekeying && now >= c.softAt)
            {
                debug("ISAKMP: soft lifetime of IPsec SA " + ChildSa.spiText(c.sa.spiIn()) + " with " +
                    c.peer.getHostAddress() + " reached: rekeying");
                startRekey(c, now);
            }
        }
    }

    /**
     * Starts phase 1 with a peer (then quick mode, if a crypto map entry covers it), or quick mode
     * alone if an IKE SA with it is already up. As IOS does (reference 004), main mode unless the
     * only way to authenticate the peer is a pre-shared key bound to its host name ({@code crypto
     * isakmp key K hostname H} with {@code set peer H}) and we identify ourselves by host name: then
     * aggressive mode, which carries our identity in its first message so the peer can find the key.
     */
    public synchronized void initiate(final InetSocketAddress peer)
    {
        final long now = clock.getAsLong();
        final IkeSa existing = saFor(peer.getAddress());
        if (existing != null)
        {
            if (existing.established() && !hasChildWith(peer.getAddress()))
            {
                startQuickMode(existing, now, null);
            }
            return;
        }
        if (aggressiveOnly(peer.getAddress()))
        {
            debug("ISAKMP: only a pre-shared key bound to host name " + settings.peerHostname(peer.getAddress()) +
                " authenticates " + text(peer) + ": starting Aggressive mode");
            startAggressive(peer, now);
            return;
        }
        if (settings.identity() == Isakmp.Identity.HOSTNAME && settings.peerHostname(peer.getAddress()) != null)
        {
            debug("ISAKMP: Can not start Aggressive mode, trying Main mode.");
        }
        startMainMode(peer, now);
    }

    /** True when aggressive mode is the only way to authenticate this peer (see {@link #initiate}). */
    private boolean aggressiveOnly(final InetAddress peer)
    {
        if (settings.keyFor(peer) != null || settings.identity() != Isakmp.Identity.HOSTNAME ||
            settings.hostname() == null || signaturesUsable() || encryptedNoncesUsable(peer))
        {
            return false;
        }
        final String name = settings.peerHostname(peer);
        return name != null && settings.keyForHostname(name) != null;
    }

    /** An rsa-sig policy with its companion configuration (our certificate and a CA). */
    private boolean signaturesUsable()
    {
        return settings.credentials() != null &&
            settings.policies().stream().anyMatch(p -> p.authentication() == Isakmp.Authentication.RSA_SIG);
    }

    /** An rsa-encr policy with its companion configuration for this peer (our key and its public key). */
    private boolean encryptedNoncesUsable(final InetAddress peer)
    {
        return settings.policies().stream().anyMatch(p -> p.authentication() == Isakmp.Authentication.RSA_ENCR) &&
            unusable(Ikev1.AUTH_RSA_ENC, null, peer, false) == null;
    }

    /**
     * Why we cannot authenticate with this method to or from {@code peer}, or null if we can: a
     * pre-shared key for it; our certificate (main mode only); our key and the peer's public key.
     */
    private String unusable(final int authMethod, final Isakmp.PresharedKey key, final InetAddress peer,
        final boolean aggressive)
    {
        return switch (authMethod)
        {
            case Ikev1.AUTH_PSK -> key == null ? "no pre-shared key for it" : null;
            case Ikev1.AUTH_RSA_SIG -> settings.credentials() == null ? "no certificate and key of our own (sluice pki)" :
                aggressive ? "RSA signatures are for main mode only" : null;
            case Ikev1.AUTH_RSA_ENC -> settings.credentials() == null ? "no RSA key of our own (sluice pki)" :
                settings.encryptionKeyFor(peer) == null ? "no public key for it under crypto key pubkey-chain rsa " +
                "(addressed-key, or named-key with its address; encryption or general purpose)" : null;
            default -> "authentication method " + authMethod + " not supported";
        };
    }

    private boolean hasChildWith(final InetAddress peer)
    {
        return children.stream().anyMatch(c -> c.peer.equals(peer));
    }

    /** Main mode's first message: every policy with its companion configuration for this peer. */
    private void startMainMode(final InetSocketAddress peer, final long now)
    {
        final Isakmp.PresharedKey key = settings.keyFor(peer.getAddress());
        final List<Phase1Transform> offer = new ArrayList<>();
        for (final Isakmp.Policy policy : settings.policies())
        {
            final Phase1Transform t = Phase1Transform.of(policy);
            final String why = unusable(t.authMethod(), key, peer.getAddress(), false);
            if (why == null)
            {
                offer.add(t);
            }
            else
            {
                debug("ISAKMP: policy " + policy.priority() + " (" + t.authName() + ") not offered to " +
                    text(peer) + ": " + why);
            }
        }
        if (offer.isEmpty())
        {
            log.event("ISAKMP: cannot initiate to " + text(peer) + ": no isakmp policy with its companion " +
                "configuration (pre-shared key, certificate, or our key and its public key) for this peer");
            return;
        }
        final IkeSa sa = new IkeSa(true, cookie(), nextConnId++, peer, now);
        sa.psk = key != null ? key.key().value().getBytes(StandardCharsets.UTF_8) : null;
        sa.peerKey = settings.encryptionKeyFor(peer.getAddress());
        sa.offered = offer;
        sas.put(sa.ckyI, sa);
        final List<Payload.Transform> transforms = new ArrayList<>();
        for (int i = 0; i < offer.size(); i++)
        {
            transforms.add(offer.get(i).toTransform(i + 1));
        }
        final Payload.Sa saPayload = new Payload.Sa(Ikev1.DOI_IPSEC, Ikev1.SIT_IDENTITY_ONLY,
            List.of(new Payload.Proposal(1, Ikev1.PROTO_ISAKMP, new byte[0], transforms)));
        sa.saiB = PayloadCodec.encodeBody(saPayload);
        final List<Payload> payloads = new ArrayList<>(List.of(saPayload));
        payloads.addAll(vendorIds());
        debug("ISAKMP:(" + sa.connId + "): beginning Main Mode exchange with " + text(peer) + ", offering " +
            offer.size() + " polic" + (offer.size() == 1 ? "y" : "ies"));
        transition(sa, IkeSa.State.IKE_I_MM1, "IKE_MESG_FROM_IPSEC, IKE_SA_REQ_MM");
        sendPhase1(sa, payloads, false, true, now);
    }

    /**
     * Make-before-break rekey of a child SA (the dataplane's soft-lifetime event calls this): a new
     * quick mode for the same peer and proxy identities while the old SA stays. The listener hears
     * {@link Listener#childSaEstablished} for the new SA, then, {@link Ikev1Settings#rekeyOverlapMillis} later,
     * {@link Listener#childSaDeleted} for the old one, whose deletion the peer is told. Without an IKE SA
     * with the peer, phase 1 is negotiated first.
     *
     * @param spiIn the inbound SPI of the child SA ({@link ChildSa#spiIn()}).
     * @return false if no such child SA exists or it is already being rekeyed.
     */
    public synchronized boolean rekeyChild(final long spiIn)
    {
        for (final Child c : children)
        {
            if (c.sa.spiIn() == spiIn)
            {
                if (c.rekeying)
                {
                    return false;
                }
                startRekey(c, clock.getAsLong());
                return true;
            }
        }
        return false;
    }

    private void startRekey(final Child c, final long now)
    {
        c.rekeying = true;
        final IkeSa sa = liveSaFor(c.peer);
        if (sa != null)
        {
            startQuickMode(sa, now, c);
            return;
        }
        c.rekeyWaitsForPhase1 = true;
        if (saFor(c.peer) == null)
        {
            log.event("ISAKMP: rekeying IPsec SA " + ChildSa.spiText(c.sa.spiIn()) + " with " +
                c.peer.getHostAddress() + " needs phase 1 first");
            final InetSocketAddress to = c.sa.peer().getPort() == NAT_T_PORT || c.sa.udpEncapsulated() ?
                c.sa.peer() : new InetSocketAddress(c.peer, IKE_PORT);
            if (aggressiveOnly(c.peer))
            {
                startAggressive(to, now);
            }
            else
            {
                startMainMode(to, now);
            }
        }
    }

    /** A rekey quick mode got no answer or was refused: the old SA stays, the next attempt comes later. */
    private void rekeyFailed(final IkeSa.QuickMode qm, final long now)
    {
        for (final Child c : children)
        {
            if (qm.rekeys != 0 && c.sa.spiIn() == qm.rekeys && c.retireAt == Long.MAX_VALUE)
            {
                c.rekeying = false;
                c.softAt = Math.min(now + REKEY_RETRY_MILLIS, c.hardAt);
                log.event("ISAKMP: rekey of IPsec SA " + ChildSa.spiText(c.sa.spiIn()) + " failed; retrying in " +
                    REKEY_RETRY_MILLIS / 1000 + " s");
            }
        }
    }

    /** Phase 1 as initiator failed after all retransmissions: fail over to the next peer of the entry. */
    private void phase1Failed(final IkeSa sa, final long now)
    {
        if (!sa.initiator)
        {
            return;
        }
        final IkeSa live = liveSaFor(sa.peer.getAddress());
        if (live != null)
        {
            // a renegotiation failed while the old phase 1 is still up: try again later
            live.replaced = false;
            live.rekeyAt = now + REKEY_RETRY_MILLIS;
            return;
        }
        for (final Child c : children)
        {
            if (c.peer.equals(sa.peer.getAddress()) && c.rekeyWaitsForPhase1)
            {
                c.rekeyWaitsForPhase1 = false;
                c.rekeying = false;
                c.softAt = Math.min(now + REKEY_RETRY_MILLIS, c.hardAt);
            }
        }
        failover(sa.peer, "phase 1 failed after " + settings.retransmitLimit() + " retransmissions");
    }

    /** Initiates to the peer after {@code failed} in its crypto map entry's {@code set peer} list, if there is one. */
    private void failover(final InetSocketAddress failed, final String why)
    {
        final InetAddress next = settings.nextPeer(failed.getAddress());
        if (next == null)
        {
            return;
        }
        final InetSocketAddress to = new InetSocketAddress(next, IKE_PORT);
        log.event("ISAKMP: peer " + failed.getAddress().getHostAddress() + " failed (" + why +
            "): failing over to the next peer " + next.getHostAddress());
        listener.peerFailover(failed, to);
        initiate(to);
    }

    /**
     * The dataplane's idle event for on-demand DPD: we have sent traffic to the peer and heard
     * nothing back for the keepalive interval. Sends R-U-THERE unless one is outstanding.
     */
    public synchronized void idle(final InetAddress peer)
    {
        final IkeSa sa = saFor(peer);
        if (sa == null || !sa.established() || settings.dpd() == null || !sa.peerDpd || sa.dpdOutstanding)
        {
            return;
        }
        startDpd(sa, clock.getAsLong());
    }

    /** {@code clear crypto session} for one peer: deletes its IPsec SAs and IKE SA, telling the peer. */
    public synchronized void clear(final InetAddress peer)
    {
        final IkeSa sa = saFor(peer);
        if (sa != null)
        {
            deleteSa(sa, "clear crypto session", true);
        }
    }

    /** The child SAs up now. */
    public synchronized List<ChildSa> childSas()
    {
        return children.stream().map(c -> c.sa).toList();
    }

    /** The IKE SAs, for {@code show crypto session}. */
    public synchronized List<io.sluice.controlplane.ike.IkeSession> sessions()
    {
        final List<io.sluice.controlplane.ike.IkeSession> out = new ArrayList<>();
        for (final IkeSa sa : sas.values())
        {
            out.add(new io.sluice.controlplane.ike.IkeSession("IKEv1",
                new InetSocketAddress(settings.localAddress(), sa.localPort), sa.peer, sa.established()));
        }
        return out;
    }

    /** True if an IKE SA with that peer is established. */
    public synchronized boolean established(final InetAddress peer)
    {
        final IkeSa sa = saFor(peer);
        return sa != null && sa.established();
    }

    public synchronized Counters counters()
    {
        return new Counters(received, sent, rejected, dropped, retransmits, duplicates, dpdSent, dpdAcks, dpdAnswered,
            espOnIkePort);
    }

    /** {@code show crypto isakmp sa}: dst and src as the initiator saw them (src initiated). */
    public synchronized String showCryptoIsakmpSa()
    {
        final StringBuilder out = new StringBuilder("IPv4 Crypto ISAKMP SA\n");
        out.append(String.format("%-15s %-15s %-14s %7s %s%n", "dst", "src", "state", "conn-id", "status"));
        final String local = settings.localAddress().getHostAddress();
        for (final IkeSa sa : sas.values())
        {
            final String peer = sa.peer.getAddress().getHostAddress();
            out.append(String.format("%-15s %-15s %-14s %7d %s%n", sa.initiator ? peer : local,
                sa.initiator ? local : peer, sa.state.show(), sa.connId, "ACTIVE"));
        }
        return out.toString();
    }

    // =====================================================================================
    // dispatch
    // =====================================================================================

    private void handle(final byte[] d, final InetSocketAddress from, final int localPort, final long now)
    {
        final IsakmpHeader h = IsakmpHeader.parse(d, d.length);
        if (h.initiatorCookie() == 0)
        {
            throw new Ikev1Exception(Ikev1.INVALID_SPI, "initiator cookie is zero");
        }
        IkeSa sa = sas.get(h.initiatorCookie());
        if (sa == null)
        {
            if (h.responderCookie() == 0 && h.messageId() == 0 && !h.encrypted() &&
                (h.exchangeType() == Ikev1.EXCHANGE_MAIN || h.exchangeType() == Ikev1.EXCHANGE_AGGRESSIVE))
            {
                respondToFirstMessage(h, d, from, localPort, now);
                return;
            }
            dropped++;
            debug("ISAKMP: dropping " + Ikev1.exchangeName(h.exchangeType()) + " message from " + text(from) +
                ": no SA with initiator cookie " + Long.toHexString(h.initiatorCookie()));
            return;
        }
        if (!sa.peer.getAddress().equals(from.getAddress()) && !sa.natDetected())
        {
            dropped++;
            debug("ISAKMP:(" + sa.connId + "): dropping message from " + text(from) + ": SA belongs to " +
                text(sa.peer));
            return;
        }
        final byte[] digest = IkeHash.SHA1.digest(d);
        if (sa.ckyR != 0 && h.responderCookie() != sa.ckyR)
        {
            if (!sa.initiator && h.responderCookie() == 0 && duplicate(sa, sa.pending, digest))
            {
                return;
            }
            dropped++;
            debug("ISAKMP:(" + sa.connId + "): dropping message from " + text(from) + ": responder cookie mismatch");
            return;
        }
        debug("ISAKMP:(" + sa.connId + "): received packet from " + text(from) + " dport " + localPort + " sport " +
            from.getPort() + " Global " + sa.role() + " " + sa.state.show());
        switch (h.exchangeType())
        {
            case Ikev1.EXCHANGE_MAIN, Ikev1.EXCHANGE_AGGRESSIVE ->
            {
                if (h.messageId() != 0)
                {
                    throw new Ikev1Exception(Ikev1.INVALID_MESSAGE_ID, "phase 1 message with message id " +
                        h.messageId());
                }
                if (duplicate(sa, sa.pending, digest))
                {
                    return;
                }
                phase1(sa, h, d, digest, from, localPort, now);
            }
            case Ikev1.EXCHANGE_QUICK -> quickMode(sa, h, d, digest, from, localPort, now);
            case Ikev1.EXCHANGE_INFORMATIONAL -> informational(sa, h, d, from, localPort, now);
            case ModeConfig.EXCHANGE_TRANSACTION -> transaction(sa, h, d, digest, from, localPort, now);
            default -> throw new Ikev1Exception(Ikev1.INVALID_EXCHANGE_TYPE, "exchange type " + h.exchangeType() +
                " not supported");
        }
    }

    /** A retransmitted message we already answered: answer it again. */
    private boolean duplicate(final IkeSa sa, final IkeSa.Pending pending, final byte[] digest)
    {
        if (pending.answered != null && Arrays.equals(pending.answered, digest) && pending.datagram != null)
        {
            duplicates++;
            debug("ISAKMP:(" + sa.connId + "): retransmitting last message to " + text(pending.to) +
                " on a duplicate " + sa.role() + " " + sa.state.show());
            send(pending.datagram, pending.to, pending.localPort);
            return true;
        }
        return false;
    }

    // =====================================================================================
    // phase 1: main mode and aggressive mode
    // =====================================================================================

    private void respondToFirstMessage(final IsakmpHeader h, final byte[] d, final InetSocketAddress from,
        final int localPort, final long now)
    {
        final long halfOpen = sas.values().stream().filter(s -> !s.initiator && !s.established()).count();
        final long fromPeer = sas.values().stream().filter(s -> !s.initiator && !s.established() &&
            s.peer.getAddress().equals(from.getAddress())).count();
        if (halfOpen >= settings.maxHalfOpen() || fromPeer >= MAX_HALF_OPEN_PER_PEER)
        {
            dropped++;
            if (halfOpenDrops++ % 100 == 0)
            {
                log.event("ISAKMP: dropping first message from " + text(from) + ": " + halfOpen + " half-open SAs, " +
                    fromPeer + " from this address (limits " + settings.maxHalfOpen() + ", " + MAX_HALF_OPEN_PER_PEER +
                    "; " + halfOpenDrops + " dropped so far)");
            }
            return;
        }
        final PayloadCodec.Chain chain = PayloadCodec.parse(h.nextPayload(), d, Ikev1.HEADER_LENGTH, d.length, false);
        final IkeSa sa = new IkeSa(false, h.initiatorCookie(), nextConnId++, from, now);
        sa.localPort = localPort;
        sa.aggressive = h.exchangeType() == Ikev1.EXCHANGE_AGGRESSIVE;
        debug("ISAKMP: received packet from " + text(from) + " dport " + localPort + " sport " + from.getPort() +
            " Global (N) NEW SA");
        transition(sa, sa.aggressive ? IkeSa.State.IKE_R_AM1 : IkeSa.State.IKE_R_MM1,
            "IKE_MESG_FROM_PEER, " + (sa.aggressive ? "IKE_AM_EXCH" : "IKE_MM_EXCH"));
        final int saIndex = chain.indexOf(Ikev1.PAYLOAD_SA);
        if (saIndex < 0)
        {
            throw Ikev1Exception.malformed("first " + Ikev1.exchangeName(h.exchangeType()) + " message without SA payload");
        }
        vendorIds(sa, chain);
        Isakmp.PresharedKey key = settings.keyFor(from.getAddress());
        final int amIdIndex = chain.indexOf(Ikev1.PAYLOAD_ID);
        if (key == null && sa.aggressive && amIdIndex >= 0 &&
            chain.payloads().get(amIdIndex) instanceof Payload.Identification id &&
            (id.idType() == Ikev1.ID_FQDN || id.idType() == Ikev1.ID_USER_FQDN))
        {
            // aggressive mode names the initiator up front: a key bound to its host name applies
            key = settings.keyForHostname(identityText(id));
            debug("ISAKMP: Looking for a matching key for host name " + identityText(id) + ": " +
                (key != null ? "success" : "none"));
        }
        final Phase1Transform chosen = selectPhase1(sa, (Payload.Sa)chain.payloads().get(saIndex), key, from);
        if (chosen == null)
        {
            log.event("ISAKMP: no offer from " + text(from) + " matches an isakmp policy: sending NO_PROPOSAL_CHOSEN");
            sa.ckyR = cookie();
            sendPlainNotify(sa, Ikev1.NO_PROPOSAL_CHOSEN, h.exchangeType());
            return;
        }
        sa.psk = key != null ? key.key().value().getBytes(StandardCharsets.UTF_8) : null;
        sa.peerKey = settings.encryptionKeyFor(from.getAddress());
        sa.chosen = chosen;
        sa.saiB = chain.body(saIndex);
        sa.ckyR = cookie();
        sas.put(sa.ckyI, sa);
        if (sa.aggressive)
        {
            aggressiveResponder(sa, chain, h, d, from, now);
            return;
        }
        final List<Payload> out = new ArrayList<>();
        out.add(responderSa(chosen, (Payload.Sa)chain.payloads().get(saIndex)));
        out.addAll(vendorIds());
        sa.pending.answered = IkeHash.SHA1.digest(d);
        sendPhase1(sa, out, false, true, now);
        transition(sa, IkeSa.State.IKE_R_MM2, "IKE_MESG_INTERNAL, IKE_PROCESS_COMPLETE");
    }

    /** The responder walks its policies by priority and takes the first offered transform that one accepts. */
    private Phase1Transform selectPhase1(final IkeSa sa, final Payload.Sa offer, final Isakmp.PresharedKey key,
        final InetSocketAddress from)
    {
        for (final Isakmp.Policy policy : settings.policies())
        {
            final Phase1Transform own = Phase1Transform.of(policy);
            final String unusable = unusable(own.authMethod(), key, from.getAddress(), sa.aggressive);
            if (unusable != null)
            {
                debug("ISAKMP:(" + sa.connId + "): priority " + policy.priority() + " policy (" + own.authName() +
                    ") not accepted from " + text(from) + ": " + unusable);
                continue;   // no companion configuration
            }
            for (final Payload.Proposal proposal : offer.proposals())
            {
                if (proposal.protocolId() != Ikev1.PROTO_ISAKMP)
                {
                    continue;
                }
                for (final Payload.Transform t : proposal.transforms())
                {
                    final StringBuilder why = new StringBuilder();
                    final Phase1Transform offered = Phase1Transform.read(t, why);
                    debug("ISAKMP:(" + sa.connId + "): Checking ISAKMP transform " + t.number() + " against priority " +
                        policy.priority() + " policy");
                    if (offered == null)
                    {
                        debug("ISAKMP:(" + sa.connId + "): " + why);
                        continue;
                    }
                    if (own.accepts(offered))
                    {
                        debug("ISAKMP:(" + sa.connId + "): atts are acceptable: " + offered);
                        return new Phase1Transform(own.cipher(), own.hash(), own.authMethod(), own.group(),
                            Math.min(own.lifetimeSeconds(), offered.lifetimeSeconds()), policy.priority());
                    }
                    debug("ISAKMP:(" + sa.connId + "): atts are not acceptable: " + offered + " vs " + own);
                }
            }
        }
        return null;
    }

    private static Payload.Sa responderSa(final Phase1Transform chosen, final Payload.Sa offer)
    {
        int number = 1;
        int proposalNumber = 1;
        for (final Payload.Proposal p : offer.proposals())
        {
            for (final Payload.Transform t : p.transforms())
            {
                final Phase1Transform o = Phase1Transform.read(t, new StringBuilder());
                if (o != null && o.cipher().equals(chosen.cipher()) && o.hash() == chosen.hash() &&
                    o.group() == chosen.group() && o.authMethod() == chosen.authMethod())
                {
                    number = t.number();
                    proposalNumber = p.number();
                }
            }
        }
        return new Payload.Sa(Ikev1.DOI_IPSEC, Ikev1.SIT_IDENTITY_ONLY, List.of(
            new Payload.Proposal(proposalNumber, Ikev1.PROTO_ISAKMP, new byte[0], List.of(chosen.toTransform(number)))));
    }

    private void phase1(final IkeSa sa, final IsakmpHeader h, final byte[] d, final byte[] digest,
        final InetSocketAddress from, final int localPort, final long now)
    {
        final IkeSa.State s = sa.state;
        if (sa.aggressive)
        {
            if (sa.initiator && s == IkeSa.State.IKE_I_AM1 && !h.encrypted())
            {
                aggressiveInitiatorReply(sa, h, d, from, now);
            }
            else if (!sa.initiator && s == IkeSa.State.IKE_R_AM2)
            {
                aggressiveResponderFinish(sa, h, d, from, localPort, now);
            }
            else
            {
                unexpected(sa, h, from);
            }
            return;
        }
        if (sa.initiator && s == IkeSa.State.IKE_I_MM1 && !h.encrypted())
        {
            mainModeInitiator2(sa, h, d, digest, now);
        }
        else if (sa.initiator && s == IkeSa.State.IKE_I_MM3 && !h.encrypted())
        {
            mainModeInitiator4(sa, h, d, digest, now);
        }
        else if (sa.initiator && s == IkeSa.State.IKE_I_MM5 && h.encrypted())
        {
            mainModeInitiator6(sa, h, d, from, localPort, now);
        }
        else if (!sa.initiator && s == IkeSa.State.IKE_R_MM2 && !h.encrypted())
        {
            mainModeResponder3(sa, h, d, digest, from, now);
        }
        else if (!sa.initiator && s == IkeSa.State.IKE_R_MM4 && h.encrypted())
        {
            mainModeResponder5(sa, h, d, digest, from, localPort, now);
        }
        else
        {
            unexpected(sa, h, from);
        }
    }

    private void unexpected(final IkeSa sa, final IsakmpHeader h, final InetSocketAddress from)
    {
        dropped++;
        debug("ISAKMP:(" + sa.connId + "): dropping unexpected " + (h.encrypted() ? "encrypted " : "") +
            Ikev1.exchangeName(h.exchangeType()) + " message from " + text(from) + " in state " + sa.state);
    }

    /** Initiator: MM2 (the responder's choice) in, MM3 (KE, Ni, NAT-D) out. */
    private void mainModeInitiator2(final IkeSa sa, final IsakmpHeader h, final byte[] d, final byte[] digest,
        final long now)
    {
        final PayloadCodec.Chain chain = PayloadCodec.parse(h.nextPayload(), d, Ikev1.HEADER_LENGTH, d.length, false);
        notifiesInPhase1(sa, chain);
        final Payload.Sa saPayload = require(chain, Payload.Sa.class, "MM2");
        if (h.responderCookie() == 0)
        {
            throw new Ikev1Exception(Ikev1.INVALID_SPI, "MM2 with a zero responder cookie");
        }
        if (saPayload.proposals().size() != 1 || saPayload.proposals().get(0).transforms().size() != 1)
        {
            throw new Ikev1Exception(Ikev1.NO_PROPOSAL_CHOSEN, "MM2 SA must hold one proposal with one transform");
        }
        final StringBuilder why = new StringBuilder();
        final Phase1Transform answer = Phase1Transform.read(saPayload.proposals().get(0).transforms().get(0), why);
        if (answer == null)
        {
            throw new Ikev1Exception(Ikev1.NO_PROPOSAL_CHOSEN, "responder chose something not offered: " + why);
        }
        Phase1Transform match = null;
        for (final Phase1Transform o : sa.offered)
        {
            if (o.cipher().equals(answer.cipher()) && o.hash() == answer.hash() && o.group() == answer.group() &&
                o.authMethod() == answer.authMethod())
            {
                match = o;
                break;
            }
        }
        if (match == null)
        {
            throw new Ikev1Exception(Ikev1.NO_PROPOSAL_CHOSEN, "responder chose " + answer + ", which was not offered");
        }
        sa.chosen = new Phase1Transform(match.cipher(), match.hash(), match.authMethod(), match.group(),
            Math.min(match.lifetimeSeconds(), answer.lifetimeSeconds()), match.priority());
        sa.ckyR = h.responderCookie();
        debug("ISAKMP:(" + sa.connId + "): processing SA payload. message ID = 0: responder chose priority " +
            match.priority() + " policy " + sa.chosen);
        vendorIds(sa, chain);
        transition(sa, IkeSa.State.IKE_I_MM2, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
        sa.dh = DiffieHellman.generate(sa.chosen.group(), random);
        sa.gxi = sa.dh.publicValue();
        sa.ni = randomBytes(32);
        final List<Payload> out = new ArrayList<>(List.of(new Payload.KeyExchange(sa.gxi)));
        out.addAll(nonceAndIdentity(sa, sa.ni));
        out.addAll(certificateRequests(sa));
        out.addAll(natD(sa));
        sa.pending.answered = digest;
        sendPhase1(sa, out, false, true, now);
        transition(sa, IkeSa.State.IKE_I_MM3, "IKE_MESG_INTERNAL, IKE_PROCESS_COMPLETE");
    }

    /** Responder: MM3 (KE, Ni, NAT-D) in, MM4 out. */
    private void mainModeResponder3(final IkeSa sa, final IsakmpHeader h, final byte[] d, final byte[] digest,
        final InetSocketAddress from, final long now)
    {
        final PayloadCodec.Chain chain = PayloadCodec.parse(h.nextPayload(), d, Ikev1.HEADER_LENGTH, d.length, false);
        final Payload.KeyExchange ke = require(chain, Payload.KeyExchange.class, "MM3");
        final byte[] ni;
        if (sa.chosen.authMethod() == Ikev1.AUTH_RSA_ENC)
        {
            ni = readEncrypted(sa, chain, "MM3", from);
            if (ni == null)
            {
                return;
            }
        }
        else
        {
            ni = plainNonce(require(chain, Payload.Nonce.class, "MM3"), "MM3");
        }
        transition(sa, IkeSa.State.IKE_R_MM3, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
        sa.gxi = ke.data();
        sa.ni = ni;
        sa.dh = DiffieHellman.generate(sa.chosen.group(), random);
        sa.gxr = sa.dh.publicValue();
        sa.nr = randomBytes(32);
        deriveKeys(sa);
        detectNat(sa, chain, from);
        final List<Payload> out = new ArrayList<>(List.of(new Payload.KeyExchange(sa.gxr)));
        out.addAll(nonceAndIdentity(sa, sa.nr));
        out.addAll(certificateRequests(sa));
        if (sa.natT && !chain.all(Payload.NatD.class).isEmpty())
        {
            out.addAll(natD(sa));
        }
        sa.pending.answered = digest;
        sendPhase1(sa, out, false, true, now);
        transition(sa, IkeSa.State.IKE_R_MM4, "IKE_MESG_INTERNAL, IKE_PROCESS_COMPLETE");
    }

    /** Initiator: MM4 in, MM5 (IDii, HASH_I, INITIAL-CONTACT) out, floated to 4500 behind a NAT. */
    private void mainModeInitiator4(final IkeSa sa, final IsakmpHeader h, final byte[] d, final byte[] digest,
        final long now)
    {
        final PayloadCodec.Chain chain = PayloadCodec.parse(h.nextPayload(), d, Ikev1.HEADER_LENGTH, d.length, false);
        final Payload.KeyExchange ke = require(chain, Payload.KeyExchange.class, "MM4");
        final byte[] nr = sa.chosen.authMethod() == Ikev1.AUTH_RSA_ENC ? readEncrypted(sa, chain, "MM4", sa.peer) :
            plainNonce(require(chain, Payload.Nonce.class, "MM4"), "MM4");
        transition(sa, IkeSa.State.IKE_I_MM4, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
        sa.gxr = ke.data();
        sa.nr = nr;
        deriveKeys(sa);
        detectNat(sa, chain, sa.peer);
        if (sa.natDetected() && sa.localPort == IKE_PORT)
        {
            sa.localPort = NAT_T_PORT;
            sa.peer = new InetSocketAddress(sa.peer.getAddress(), NAT_T_PORT);
            debug("ISAKMP:(" + sa.connId + "): NAT detected, floating to port " + NAT_T_PORT);
        }
        final Payload.Identification id = ownId();
        final byte[] hashI = Ikev1Crypto.hashI(sa.chosen.hash(), sa.skeyid, sa.gxi, sa.gxr, sa.ckyI, sa.ckyR, sa.saiB,
            id.body());
        final List<Payload> out = new ArrayList<>(authentication(sa, id, hashI));
        if (otherSas(sa).isEmpty())
        {
            debug("ISAKMP:(" + sa.connId + "): Send initial contact");
            out.add(new Payload.Notify(Ikev1.DOI_IPSEC, Ikev1.PROTO_ISAKMP, Ikev1.INITIAL_CONTACT, cookies(sa),
                new byte[0]));
        }
        debug("ISAKMP:(" + sa.connId + "): SA is doing " + switch (sa.chosen.authMethod())
        {
            case Ikev1.AUTH_RSA_SIG -> "RSA signature";
            case Ikev1.AUTH_RSA_ENC -> "RSA encrypted nonce";
            default -> "pre-shared key";
        } + " authentication using id type " + idTypeName(id));
        sa.iv = Ikev1Crypto.phase1Iv(sa.chosen.hash(), sa.gxi, sa.gxr, sa.chosen.cipher().blockSize());
        sa.pending.answered = digest;
        sendPhase1(sa, out, true, true, now);
        transition(sa, IkeSa.State.IKE_I_MM5, "IKE_MESG_INTERNAL, IKE_PROCESS_COMPLETE");
    }

    /** Responder: MM5 in (authenticate the initiator), MM6 (IDir, HASH_R) out; phase 1 complete. */
    private void mainModeResponder5(final IkeSa sa, final IsakmpHeader h, final byte[] d, final byte[] digest,
        final InetSocketAddress from, final int localPort, final long now)
    {
        if (refusedEarlier(sa, "MM5", from))
        {
            return;
        }
        final byte[] iv = Ikev1Crypto.phase1Iv(sa.chosen.hash(), sa.gxi, sa.gxr, sa.chosen.cipher().blockSize());
        final Opened opened = openPhase1Auth(sa, h, d, iv, from);
        final PayloadCodec.Chain chain = opened.chain;
        final Payload.Identification peerId = peerIdentity(sa, chain, "MM5");
        final byte[] expected = Ikev1Crypto.hashI(sa.chosen.hash(), sa.skeyid, sa.gxi, sa.gxr, sa.ckyI, sa.ckyR, sa.saiB,
            peerId.body());
        if (!authenticated(sa, chain, peerId, expected, "MM5", from, now))
        {
            return;
        }
        transition(sa, IkeSa.State.IKE_R_MM5, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
        sa.iv = opened.nextIv;
        acceptPeerIdentity(sa, peerId, from, localPort);
        debug("ISAKMP:(" + sa.connId + "): SA has been authenticated with " + from.getAddress().getHostAddress());
        for (final Payload.Notify n : chain.all(Payload.Notify.class))
        {
            if (n.notifyType() == Ikev1.INITIAL_CONTACT)
            {
                initialContact(sa);
            }
        }
        final Payload.Identification id = ownId();
        final byte[] hashR = Ikev1Crypto.hashR(sa.chosen.hash(), sa.skeyid, sa.gxi, sa.gxr, sa.ckyI, sa.ckyR, sa.saiB,
            id.body());
        sa.pending.answered = digest;
        sendPhase1(sa, authentication(sa, id, hashR), true, false, now);
        sa.phase1LastBlock = sa.iv.clone();
        phase1Complete(sa, now);
    }

    /** Initiator: MM6 in (authenticate the responder); phase 1 complete, quick mode next. */
    private void mainModeInitiator6(final IkeSa sa, final IsakmpHeader h, final byte[] d,
        final InetSocketAddress from, final int localPort, final long now)
    {
        if (refusedEarlier(sa, "MM6", from))
        {
            return;
        }
        final Opened opened = openPhase1Auth(sa, h, d, sa.iv, from);
        final PayloadCodec.Chain chain = opened.chain;
        final Payload.Identification peerId = peerIdentity(sa, chain, "MM6");
        final byte[] expected = Ikev1Crypto.hashR(sa.chosen.hash(), sa.skeyid, sa.gxi, sa.gxr, sa.ckyI, sa.ckyR,
            sa.saiB, peerId.body());
        if (!authenticated(sa, chain, peerId, expected, "MM6", from, now))
        {
            return;
        }
        transition(sa, IkeSa.State.IKE_I_MM6, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
        sa.iv = opened.nextIv;
        sa.phase1LastBlock = opened.nextIv.clone();
        acceptPeerIdentity(sa, peerId, from, localPort);
        debug("ISAKMP:(" + sa.connId + "): SA has been authenticated with " + from.getAddress().getHostAddress());
        sa.pending.awaiting = false;
        sa.pending.answered = null;
        phase1Complete(sa, now);
        quickModeAfterPhase1(sa, now);
    }

    /** Decrypts MM5/MM6 (or the last aggressive message); garbage after decryption usually means the wrong key. */
    private Opened openPhase1Auth(final IkeSa sa, final IsakmpHeader h, final byte[] d, final byte[] iv,
        final InetSocketAddress from)
    {
        try
        {
            return open(sa, h, d, iv);
        }
        catch (final Ikev1Exception e)
        {
            authenticationFailures(sa);
            throw new Ikev1Exception(Ikev1.AUTHENTICATION_FAILED, "SA " + sa.connId + ": cannot read the encrypted " +
                "phase 1 message (" + e.getMessage() + "): authentication failed, " + mismatchHint(sa));
        }
    }

    /**
     * A phase 1 message that does not decrypt or authenticate is dropped without changing state: a
     * corrupted or forged copy must not end a negotiation the genuine message would finish. With a
     * wrong key every copy fails, and the retransmission limit ends the negotiation.
     */
    private static void authenticationFailures(final IkeSa sa)
    {
        sa.authFailures++;
    }

    private void authenticationFailed(final IkeSa sa, final InetSocketAddress from)
    {
        rejected++;
        log.event("ISAKMP:(" + sa.connId + "): authentication failed with peer " + from.getAddress().getHostAddress() +
            ": hash mismatch (" + mismatchHint(sa) + ")");
        authenticationFailures(sa);
    }

    /** What a hash that does not match, or a message that does not decrypt, most likely means. */
    private static String mismatchHint(final IkeSa sa)
    {
        return sa.chosen.authMethod() == Ikev1.AUTH_RSA_ENC ? "the nonces did not decrypt alike: wrong RSA public " +
            "key on either side?" : "pre-shared key mismatch?";
    }

    /** CERTREQ payloads naming our CAs (RFC 2408 3.10), with rsa-sig. */
    private List<Payload> certificateRequests(final IkeSa sa)
    {
        if (sa.chosen.authMethod() != Ikev1.AUTH_RSA_SIG)
        {
            return List.of();
        }
        final List<Payload> out = new ArrayList<>();
        for (final byte[] ca : settings.credentials().authorityNames())
        {
            out.add(new Payload.Opaque(Ikev1.PAYLOAD_CR, Ikev1Crypto.concat(new byte[]{CERT_X509_SIGNATURE}, ca)));
        }
        return out;
    }

    /**
     * ID and HASH with a pre-shared key; ID, CERT and SIG with RSA signatures; HASH alone with RSA
     * encrypted nonces, whose identities went encrypted in messages 3 and 4.
     */
    private List<Payload> authentication(final IkeSa sa, final Payload.Identification id, final byte[] hash)
    {
        if (sa.chosen.authMethod() == Ikev1.AUTH_RSA_ENC)
        {
            return List.of(new Payload.Hash(hash));
        }
        if (sa.chosen.authMethod() != Ikev1.AUTH_RSA_SIG)
        {
            return List.of(id, new Payload.Hash(hash));
        }
        final Ikev1Credentials own = settings.credentials();
        return List.of(id, new Payload.Opaque(Ikev1.PAYLOAD_CERT, Ikev1Crypto.concat(new byte[]{CERT_X509_SIGNATURE},
            own.certificate())), new Payload.Opaque(Ikev1.PAYLOAD_SIG, own.sign(hash)));
    }

    /**
     * Checks the peer's proof: the HASH equals {@code expected} (pre-shared key), or (RSA signatures)
     * its certificate chains to our CA, names the identity it claimed, and signed {@code expected}.
     * A failure is logged with the peer and the reason and leaves the state unchanged.
     */
    private boolean authenticated(final IkeSa sa, final PayloadCodec.Chain chain, final Payload.Identification id,
        final byte[] expected, final String what, final InetSocketAddress from, final long now)
    {
        if (sa.chosen.authMethod() != Ikev1.AUTH_RSA_SIG)
        {
            final Payload.Hash hash = require(chain, Payload.Hash.class, what);
            if (!java.security.MessageDigest.isEqual(expected, hash.data()))
            {
                authenticationFailed(sa, from);
                return false;
            }
            return true;
        }
        final List<byte[]> certificates = new ArrayList<>();
        byte[] signature = null;
        for (final Payload p : chain.payloads())
        {
            if (p instanceof Payload.Opaque o && o.type() == Ikev1.PAYLOAD_CERT && o.body().length > 1 &&
                o.body()[0] == CERT_X509_SIGNATURE)
            {
                certificates.add(Arrays.copyOfRange(o.body(), 1, o.body().length));
            }
            else if (p instanceof Payload.Opaque o && o.type() == Ikev1.PAYLOAD_SIG)
            {
                signature = o.body();
            }
        }
        if (signature == null || certificates.isEmpty())
        {
            rejected++;
            log.event("ISAKMP:(" + sa.connId + "): authentication failed with peer " + text(from) + ": " + what +
                " without " + (signature == null ? "SIG" : "an X.509 CERT") + " payload");
            authenticationFailures(sa);
            return false;
        }
        final java.security.PublicKey key;
        try
        {
            // certificates are dated by the calendar, not by the engine's clock (which may be monotonic or virtual)
            key = settings.credentials().verifyChain(certificates.get(0), certificates.subList(1, certificates.size()),
                System.currentTimeMillis());
        }
        catch (final Ikev1Exception e)
        {
            rejected++;
            log.event("ISAKMP:(" + sa.connId + "): authentication failed with peer " + text(from) + ": " + e.getMessage());
            authenticationFailures(sa);
            return false;
        }
        if (!Ikev1Credentials.names(certificates.get(0), id))
        {
            rejected++;
            log.event("ISAKMP:(" + sa.connId + "): authentication failed with peer " + text(from) + ": its identity " +
                identityText(id) + " is not in its certificate");
            authenticationFailures(sa);
            return false;
        }
        if (!Ikev1Credentials.verify(key, expected, signature))
        {
            rejected++;
            log.event("ISAKMP:(" + sa.connId + "): authentication failed with peer " + text(from) + ": RSA signature " +
                "does not verify");
            authenticationFailures(sa);
            return false;
        }
        debug("ISAKMP:(" + sa.connId + "): certificate of " + identityText(id) + " verified up to a trusted CA");
        return true;
    }

    private void acceptPeerIdentity(final IkeSa sa, final Payload.Identification id, final InetSocketAddress from,
        final int localPort)
    {
        sa.peerIdBody = id.body();
        sa.peerId = identityText(id);
        if (localPort == NAT_T_PORT)
        {
            sa.localPort = NAT_T_PORT;
            sa.peer = from;
        }
        debug("ISAKMP:(" + sa.connId + "): processing ID payload. message ID = 0: peer id " + sa.peerId);
    }

    private void phase1Complete(final IkeSa sa, final long now)
    {
        transition(sa, IkeSa.State.IKE_P1_COMPLETE, "IKE_MESG_INTERNAL, IKE_PHASE1_COMPLETE");
        sa.expiresAt = now + sa.chosen.lifetimeSeconds() * 1000L;
        sa.lastHeard = now;
        sa.nextNatKeepalive = now + settings.natKeepaliveMillis();
        sa.dh = null;
        if (settings.dpd() != null && sa.peerDpd)
        {
            debug("ISAKMP:(" + sa.connId + "):IKE_DPD is enabled, initializing timers");
        }
        log.event("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is UP. Peer " + sa.peer.getAddress().getHostAddress() + ":" +
            sa.peer.getPort() + " Id: " + sa.peerId);
        sa.rekeyAt = now + sa.chosen.lifetimeSeconds() * 10L * SOFT_PERCENT_INITIATOR;
        listener.phase1Established(sa.peer, sa.peerId);
        // a renegotiated phase 1: the new IKE SA takes over the IPsec SAs, older IKE SAs are not rekeyed again
        final InetAddress peer = sa.peer.getAddress();
        for (final Child c : children)
        {
            if (c.peer.equals(peer) && c.ckyI != sa.ckyI)
            {
                debug("ISAKMP:(" + sa.connId + "): IPsec SA " + ChildSa.spiText(c.sa.spiIn()) + " now under this SA");
                c.ckyI = sa.ckyI;
            }
        }
        for (final IkeSa old : otherSas(sa))
        {
            if (old.established())
            {
                final boolean ours = old.replaced;
                old.replaced = true;
                if (ours)
                {
                    deleteSa(old, "replaced by conn-id " + sa.connId, true, false);
                }
            }
        }
        for (final Child c : new ArrayList<>(children))
        {
            if (c.peer.equals(peer) && c.rekeyWaitsForPhase1 && sas.containsKey(sa.ckyI))
            {
                c.rekeyWaitsForPhase1 = false;
                startQuickMode(sa, now, c);
            }
        }
        // gateway-initiated mode config (crypto map ... client configuration address initiate)
        if (!sa.initiator && settings.modeConfigGateway() != null &&
            settings.modeConfigGateway().start() == CryptoMap.ClientConfiguration.INITIATE && sas.containsKey(sa.ckyI))
        {
            final Ip4 address = lend(sa);
            if (address != null)
            {
                sendTransaction(sa, ModeConfig.CFG_SET, gatewayAttributes(address, null), now);
            }
        }
    }

    /** After phase 1 as initiator: quick mode, unless IPsec SAs with the peer exist already (a renegotiation). */
    private void quickModeAfterPhase1(final IkeSa sa, final long now)
    {
        // a mode config client first gets its address: it is the proxy identity quick mode proposes
        if (settings.modeConfigClient() == ModeConfig.Client.PULL && sa.virtualAddress == null &&
            sa.transaction == null)
        {
            sendTransaction(sa, ModeConfig.CFG_REQUEST, List.of(new Payload.Attribute(ModeConfig.INTERNAL_IP4_ADDRESS,
                new byte[0], false), new Payload.Attribute(ModeConfig.INTERNAL_IP4_NETMASK, new byte[0], false),
                new Payload.Attribute(ModeConfig.INTERNAL_IP4_DNS, new byte[0], false)), now);
            return;
        }
        if (settings.modeConfigClient() == ModeConfig.Client.PUSH && sa.virtualAddress == null &&
            (sa.transaction == null || !sa.transaction.done))
        {
            debug("ISAKMP:(" + sa.connId + "): waiting for the gateway's mode config CFG_SET before quick mode");
            return;
        }
        if (!hasChildWith(sa.peer.getAddress()) &&
            sa.quickModes.values().stream().noneMatch(qm -> qm.initiator && !qm.done))
        {
            startQuickMode(sa, now, null);
        }
    }

    private void initialContact(final IkeSa sa)
    {
        final List<IkeSa> others = otherSas(sa);
        debug("ISAKMP:(" + sa.connId + "): Process initial contact, bring down existing phase 1 and 2 SA's with local " +
            settings.localAddress().getHostAddress() + " remote " + sa.peer.getAddress().getHostAddress() +
            " remote port " + sa.peer.getPort());
        for (final IkeSa other : others)
        {
            deleteSa(other, "initial contact", false);
        }
        for (final Child c : new ArrayList<>(children))
        {
            if (c.peer.equals(sa.peer.getAddress()) && c.ckyI != sa.ckyI)
            {
                children.remove(c);
                listener.childSaDeleted(c.sa, "initial contact");
            }
        }
    }

    // ---- RSA encrypted nonces (RFC 2409 5.2) ----

    /**
     * Our nonce for messages 3/4 (or the first two aggressive messages): in the clear, or with
     * rsa-encr the ID and NONCE payload bodies each encrypted to the peer's public key (PKCS#1 v1.5).
     * No HASH(1): we hold one key pair, so the peer need not be told which of its keys we used.
     */
    private List<Payload> nonceAndIdentity(final IkeSa sa, final byte[] nonce)
    {
        return sa.chosen.authMethod() == Ikev1.AUTH_RSA_ENC ? encryptedNonceAndIdentity(sa, nonce) :
            List.of(new Payload.Nonce(nonce));
    }

    private List<Payload> encryptedNonceAndIdentity(final IkeSa sa, final byte[] nonce)
    {
        return List.of(new Payload.Opaque(Ikev1.PAYLOAD_ID, Ikev1Credentials.encrypt(sa.peerKey.key(), ownId().body())),
            new Payload.Nonce(Ikev1Credentials.encrypt(sa.peerKey.key(), nonce)));
    }

    /**
     * Reads the peer's encrypted identity and nonce and finds the key we answer to: as initiator the
     * one we encrypted to, which the identity must be bound to; as responder the one bound to the
     * identity. Only a responder that has no key for the peer at all drops the message (returns null,
     * nothing changed). Every other failure (a ciphertext that does not decrypt, an identity without
     * or with another key) is logged and kept in {@link IkeSa#authFailure}, and the exchange goes on
     * with a random nonce in place of the peer's, so that neither side's HASH can verify and neither
     * completes phase 1, until the HASH is refused: whether we answer must not tell the peer whether
     * its ciphertext had valid PKCS#1 padding (Bleichenbacher's oracle, the attack on IKEv1 rsa-encr
     * of CVE-2018-0131).
     *
     * @return the peer's nonce, a random one if it did not decrypt; null if the message is dropped.
     */
    private byte[] readEncrypted(final IkeSa sa, final PayloadCodec.Chain chain, final String what,
        final InetSocketAddress from)
    {
        final int idIndex = chain.indexOf(Ikev1.PAYLOAD_ID);
        final Payload.Nonce encryptedNonce = require(chain, Payload.Nonce.class, what);
        if (idIndex < 0)
        {
            throw Ikev1Exception.malformed(what + " without ID payload");
        }
        if (!sa.initiator && chain.indexOf(Ikev1.PAYLOAD_HASH) >= 0)
        {
            debug("ISAKMP:(" + sa.connId + "): ignoring the HASH(1) of " + what + ": we hold one RSA key pair");
        }
        final Ikev1Credentials own = settings.credentials();
        String failure = null;
        Payload.Identification id = null;
        final byte[] idBody = own.decrypt(chain.body(idIndex));
        if (idBody == null)
        {
            failure = "its identity does not decrypt with our private key (does it hold our current public key?)";
        }
        else if (idBody.length < 4)
        {
            failure = "its identity decrypts to " + idBody.length + " bytes, too short for an ID payload";
        }
        else
        {
            id = new Payload.Identification(idBody[0] & 0xff, idBody[1] & 0xff, (idBody[2] & 0xff) << 8 |
                idBody[3] & 0xff, Arrays.copyOfRange(idBody, 4, idBody.length));
        }
        Ikev1Settings.PeerKey key;
        if (sa.initiator)
        {
            key = sa.peerKey;
            final Ikev1Settings.PeerKey bound = id != null ? settings.encryptionKeyFor(id) : null;
            if (id != null && !key.sameKey(bound))
            {
                failure = "it identifies as " + identityText(id) + ", but " + (bound == null ? "no key under crypto " +
                    "key pubkey-chain rsa is bound to that identity" : "that identity's key is " + bound) +
                    ", and we encrypted to " + key;
            }
        }
        else
        {
            key = id != null ? settings.encryptionKeyFor(id) : null;
            if (id != null && key == null)
            {
                failure = "no public key for its identity " + identityText(id) + " (" + idTypeName(id) + ") under " +
                    "crypto key pubkey-chain rsa";
            }
            if (key == null)
            {
                key = settings.encryptionKeyFor(from.getAddress());
            }
            if (key == null)
            {
                rejected++;
                log.event("ISAKMP:(" + sa.connId + "): authentication failed with peer " + text(from) + ": " + failure +
                    "; no public key for its address either: " + what + " dropped");
                authenticationFailures(sa);
                return null;
            }
        }
        byte[] nonce = own.decrypt(encryptedNonce.data());
        if (failure == null && (nonce == null || nonce.length < 8 || nonce.length > 256))
        {
            failure = nonce == null ? "its nonce does not decrypt with our private key (does it hold our current " +
                "public key?)" : "its nonce decrypts to " + nonce.length + " bytes (RFC 2409 wants 8 to 256)";
        }
        if (failure != null)
        {
            nonce = randomBytes(32);   // our side's keys then differ from the peer's: neither can finish
        }
        sa.peerKey = key;
        sa.peerIdentification = id;
        sa.peerIdBody = id != null ? id.body() : randomBytes(8);
        if (failure != null)
        {
            rejected++;
            sa.authFailure = failure;
            log.event("ISAKMP:(" + sa.connId + "): authentication failed with peer " + text(from) + ": " + failure);
            debug("ISAKMP:(" + sa.connId + "): going on with a random nonce until the HASH is refused, so the peer " +
                "cannot tell why");
        }
        else
        {
            debug("ISAKMP:(" + sa.connId + "): " + what + ": identity " + identityText(id) + " and nonce decrypted, " +
                "answering to " + key);
        }
        return nonce;
    }

    /** A phase 1 message after rsa-encr failed earlier: refused, with the reason found then. */
    private boolean refusedEarlier(final IkeSa sa, final String what, final InetSocketAddress from)
    {
        if (sa.authFailure == null)
        {
            return false;
        }
        rejected++;
        log.event("ISAKMP:(" + sa.connId + "): authentication failed with peer " + text(from) + ": " + what +
            " refused: " + sa.authFailure);
        authenticationFailures(sa);
        return true;
    }

    /** The peer's phase 1 identity: in the message, or with rsa-encr the one it sent encrypted before. */
    private static Payload.Identification peerIdentity(final IkeSa sa, final PayloadCodec.Chain chain,
        final String what)
    {
        if (sa.chosen.authMethod() == Ikev1.AUTH_RSA_ENC)
        {
            return sa.peerIdentification;
        }
        final Payload.Identification id = chain.first(Payload.Identification.class);
        if (id == null)
        {
            throw Ikev1Exception.malformed(what + " without ID payload");
        }
        return id;
    }

    /** A nonce sent in the clear: RFC 2409 wants 8 to 256 bytes (the codec lets longer, encrypted, ones by). */
    private static byte[] plainNonce(final Payload.Nonce nonce, final String what)
    {
        if (nonce.data().length > 256)
        {
            throw Ikev1Exception.malformed(what + " nonce of " + nonce.data().length + " bytes (RFC 2409 wants 8 to 256)");
        }
        return nonce.data();
    }

    // ---- aggressive mode (RFC 2409 5.4, pre-shared key; 5.2, RSA encrypted nonces) ----

    /**
     * Starts aggressive mode: SA, KE, Ni, IDii in one message (the group is that of the first policy
     * offered); with rsa-encr policies, when there is no pre-shared key for the peer, IDii and Ni go
     * encrypted to its public key.
     */
    public synchronized void initiateAggressive(final InetSocketAddress peer)
    {
        if (saFor(peer.getAddress()) != null)
        {
            return;
        }
        startAggressive(peer, clock.getAsLong());
    }

    /** The pre-shared key for a peer: by its address, else by the host name its {@code set peer} gives. */
    private Isakmp.PresharedKey keyForPeer(final InetAddress peer)
    {
        final Isakmp.PresharedKey byAddress = settings.keyFor(peer);
        if (byAddress != null)
        {
            return byAddress;
        }
        final String name = settings.peerHostname(peer);
        return name != null ? settings.keyForHostname(name) : null;
    }

    private void startAggressive(final InetSocketAddress peer, final long now)
    {
        final Isakmp.PresharedKey key = keyForPeer(peer.getAddress());
        // one message carries the identity and nonce in the clear or encrypted: one method for all transforms
        final int method = key != null ? Ikev1.AUTH_PSK : Ikev1.AUTH_RSA_ENC;
        final List<Phase1Transform> offer = new ArrayList<>();
        for (final Isakmp.Policy policy : settings.policies())
        {
            final Phase1Transform t = Phase1Transform.of(policy);
            if (t.authMethod() == method && unusable(method, key, peer.getAddress(), true) == null &&
                (offer.isEmpty() || offer.get(0).group() == t.group()))
            {
                offer.add(t);
            }
        }
        if (offer.isEmpty())
        {
            log.event("ISAKMP: cannot start aggressive mode with " + text(peer) + ": no pre-shared key policy for it" +
                ", nor an rsa-encr policy with our key and its public key");
            return;
        }
        final IkeSa sa = new IkeSa(true, cookie(), nextConnId++, peer, now);
        sa.aggressive = true;
        sa.psk = key != null ? key.key().value().getBytes(StandardCharsets.UTF_8) : null;
        sa.peerKey = settings.encryptionKeyFor(peer.getAddress());
        sa.offered = offer;
        sas.put(sa.ckyI, sa);
        final List<Payload.Transform> transforms = new ArrayList<>();
        for (int i = 0; i < offer.size(); i++)
        {
            transforms.add(offer.get(i).toTransform(i + 1));
        }
        final Payload.Sa saPayload = new Payload.Sa(Ikev1.DOI_IPSEC, Ikev1.SIT_IDENTITY_ONLY,
            List.of(new Payload.Proposal(1, Ikev1.PROTO_ISAKMP, new byte[0], transforms)));
        sa.saiB = PayloadCodec.encodeBody(saPayload);
        sa.dh = DiffieHellman.generate(offer.get(0).group(), random);
        sa.gxi = sa.dh.publicValue();
        sa.ni = randomBytes(32);
        final List<Payload> out = new ArrayList<>(List.of(saPayload, new Payload.KeyExchange(sa.gxi)));
        if (method == Ikev1.AUTH_RSA_ENC)
        {
            out.addAll(encryptedNonceAndIdentity(sa, sa.ni));
        }
        else
        {
            out.addAll(List.of(new Payload.Nonce(sa.ni), ownId()));
        }
        out.addAll(vendorIds());
        transition(sa, IkeSa.State.IKE_I_AM1, "IKE_MESG_FROM_IPSEC, IKE_SA_REQ_AM");
        sendPhase1(sa, out, false, true, now);
    }

    /** Responder: AM1 in, AM2 (SA, KE, Nr, IDir, HASH_R, NAT-D) out. */
    private void aggressiveResponder(final IkeSa sa, final PayloadCodec.Chain chain, final IsakmpHeader h,
        final byte[] d, final InetSocketAddress from, final long now)
    {
        final Payload.KeyExchange ke = require(chain, Payload.KeyExchange.class, "AM1");
        final int idIndex = chain.indexOf(Ikev1.PAYLOAD_ID);
        if (idIndex < 0)
        {
            sas.remove(sa.ckyI);
            throw Ikev1Exception.malformed("AM1 without ID payload");
        }
        sa.gxi = ke.data();
        if (sa.chosen.authMethod() == Ikev1.AUTH_RSA_ENC)
        {
            final byte[] ni;
            try
            {
                ni = readEncrypted(sa, chain, "AM1", from);
            }
            catch (final Ikev1Exception e)
            {
                sas.remove(sa.ckyI);
                throw e;
            }
            if (ni == null)
            {
                sas.remove(sa.ckyI);
                return;
            }
            sa.ni = ni;
            sa.peerId = sa.peerIdentification != null ? identityText(sa.peerIdentification) : "<unreadable>";
        }
        else
        {
            final Payload.Nonce nonce = require(chain, Payload.Nonce.class, "AM1");
            try
            {
                sa.ni = plainNonce(nonce, "AM1");
            }
            catch (final Ikev1Exception e)
            {
                sas.remove(sa.ckyI);
                throw e;
            }
            sa.peerIdBody = chain.body(idIndex);
            sa.peerId = identityText((Payload.Identification)chain.payloads().get(idIndex));
        }
        sa.dh = DiffieHellman.generate(sa.chosen.group(), random);
        sa.gxr = sa.dh.publicValue();
        sa.nr = randomBytes(32);
        try
        {
            deriveKeys(sa);
        }
        catch (final Ikev1Exception e)
        {
            sas.remove(sa.ckyI);
            throw e;
        }
        final Payload.Identification id = ownId();
        final byte[] hashR = Ikev1Crypto.hashR(sa.chosen.hash(), sa.skeyid, sa.gxi, sa.gxr, sa.ckyI, sa.ckyR, sa.saiB,
            id.body());
        final List<Payload> out = new ArrayList<>();
        out.add(responderSa(sa.chosen, (Payload.Sa)chain.payloads().get(chain.indexOf(Ikev1.PAYLOAD_SA))));
        out.add(new Payload.KeyExchange(sa.gxr));
        out.addAll(sa.chosen.authMethod() == Ikev1.AUTH_RSA_ENC ? encryptedNonceAndIdentity(sa, sa.nr) :
            List.of(new Payload.Nonce(sa.nr), id));
        out.add(new Payload.Hash(hashR));
        out.addAll(vendorIds());
        if (sa.natT)
        {
            out.addAll(natD(sa));
        }
        sa.pending.answered = IkeHash.SHA1.digest(d);
        sendPhase1(sa, out, false, true, now);
        transition(sa, IkeSa.State.IKE_R_AM2, "IKE_MESG_INTERNAL, IKE_PROCESS_COMPLETE");
    }

    /** Initiator: AM2 in, AM3 (HASH_I, NAT-D) out; phase 1 complete. */
    private void aggressiveInitiatorReply(final IkeSa sa, final IsakmpHeader h, final byte[] d,
        final InetSocketAddress from, final long now)
    {
        final PayloadCodec.Chain chain = PayloadCodec.parse(h.nextPayload(), d, Ikev1.HEADER_LENGTH, d.length, false);
        notifiesInPhase1(sa, chain);
        final Payload.Sa saPayload = require(chain, Payload.Sa.class, "AM2");
        final Payload.KeyExchange ke = require(chain, Payload.KeyExchange.class, "AM2");
        final Payload.Hash hash = require(chain, Payload.Hash.class, "AM2");
        final int idIndex = chain.indexOf(Ikev1.PAYLOAD_ID);
        if (idIndex < 0 || saPayload.proposals().size() != 1 || saPayload.proposals().get(0).transforms().size() != 1)
        {
            throw Ikev1Exception.malformed("AM2 needs an ID and an SA with one transform");
        }
        final Phase1Transform answer = Phase1Transform.read(saPayload.proposals().get(0).transforms().get(0),
            new StringBuilder());
        Phase1Transform match = null;
        for (final Phase1Transform o : sa.offered)
        {
            if (answer != null && o.cipher().equals(answer.cipher()) && o.hash() == answer.hash() &&
                o.group() == answer.group() && o.authMethod() == answer.authMethod())
            {
                match = o;
            }
        }
        if (match == null)
        {
            throw new Ikev1Exception(Ikev1.NO_PROPOSAL_CHOSEN, "AM2 chose a transform that was not offered");
        }
        sa.chosen = new Phase1Transform(match.cipher(), match.hash(), match.authMethod(), match.group(),
            Math.min(match.lifetimeSeconds(), answer.lifetimeSeconds()), match.priority());
        sa.ckyR = h.responderCookie();
        vendorIds(sa, chain);
        sa.gxr = ke.data();
        final boolean encrypted = sa.chosen.authMethod() == Ikev1.AUTH_RSA_ENC;
        sa.nr = encrypted ? readEncrypted(sa, chain, "AM2", from) :
            plainNonce(require(chain, Payload.Nonce.class, "AM2"), "AM2");
        final byte[] idBody = encrypted ? sa.peerIdBody : chain.body(idIndex);
        deriveKeys(sa);
        if (sa.authFailure != null)
        {
            // logged as it was found; no AM3, as after a hash mismatch. A later AM2 is judged afresh.
            sa.authFailure = null;
            authenticationFailures(sa);
            return;
        }
        final byte[] expected = Ikev1Crypto.hashR(sa.chosen.hash(), sa.skeyid, sa.gxi, sa.gxr, sa.ckyI, sa.ckyR,
            sa.saiB, idBody);
        if (!java.security.MessageDigest.isEqual(expected, hash.data()))
        {
            authenticationFailed(sa, from);
            return;
        }
        transition(sa, IkeSa.State.IKE_I_AM2, "IKE_MESG_FROM_PEER, IKE_AM_EXCH");
        detectNat(sa, chain, sa.peer);
        if (sa.natDetected() && sa.localPort == IKE_PORT)
        {
            sa.localPort = NAT_T_PORT;
            sa.peer = new InetSocketAddress(sa.peer.getAddress(), NAT_T_PORT);
        }
        sa.peerIdBody = idBody;
        sa.peerId = identityText(encrypted ? sa.peerIdentification : (Payload.Identification)chain.payloads().get(idIndex));
        final byte[] hashI = Ikev1Crypto.hashI(sa.chosen.hash(), sa.skeyid, sa.gxi, sa.gxr, sa.ckyI, sa.ckyR, sa.saiB,
            ownId().body());
        final List<Payload> out = new ArrayList<>(List.of(new Payload.Hash(hashI)));
        if (sa.natT)
        {
            out.addAll(natD(sa));
        }
        sa.iv = Ikev1Crypto.phase1Iv(sa.chosen.hash(), sa.gxi, sa.gxr, sa.chosen.cipher().blockSize());
        sendPhase1(sa, out, true, false, now);
        sa.phase1LastBlock = sa.iv.clone();
        sa.pending.awaiting = false;
        phase1Complete(sa, now);
        quickModeAfterPhase1(sa, now);
    }

    /** Responder: AM3 in (authenticate the initiator); phase 1 complete. */
    private void aggressiveResponderFinish(final IkeSa sa, final IsakmpHeader h, final byte[] d,
        final InetSocketAddress from, final int localPort, final long now)
    {
        if (refusedEarlier(sa, "AM3", from))
        {
            return;
        }
        final PayloadCodec.Chain chain;
        final byte[] iv = Ikev1Crypto.phase1Iv(sa.chosen.hash(), sa.gxi, sa.gxr, sa.chosen.cipher().blockSize());
        final Opened opened;
        if (h.encrypted())
        {
            opened = openPhase1Auth(sa, h, d, iv, from);
            chain = opened.chain;
        }
        else
        {
            opened = null;
            chain = PayloadCodec.parse(h.nextPayload(), d, Ikev1.HEADER_LENGTH, d.length, false);
        }
        final Payload.Hash hash = require(chain, Payload.Hash.class, "AM3");
        final byte[] expected = Ikev1Crypto.hashI(sa.chosen.hash(), sa.skeyid, sa.gxi, sa.gxr, sa.ckyI, sa.ckyR,
            sa.saiB, sa.peerIdBody);
        if (!java.security.MessageDigest.isEqual(expected, hash.data()))
        {
            authenticationFailed(sa, from);
            return;
        }
        transition(sa, IkeSa.State.IKE_R_AM3, "IKE_MESG_FROM_PEER, IKE_AM_EXCH");
        detectNat(sa, chain, from);
        if (localPort == NAT_T_PORT)
        {
            sa.localPort = NAT_T_PORT;
            sa.peer = from;
        }
        sa.phase1LastBlock = opened != null ? opened.nextIv.clone() : iv;
        sa.iv = sa.phase1LastBlock.clone();
        sa.pending.awaiting = false;
        sa.pending.answered = null;
        phase1Complete(sa, now);
    }

    // ---- phase 1 helpers ----

    private void deriveKeys(final IkeSa sa)
    {
        final byte[] gxy;
        try
        {
            gxy = sa.dh.sharedSecret(sa.initiator ? sa.gxr : sa.gxi);
        }
        catch (final IllegalArgumentException e)
        {
            throw new Ikev1Exception(Ikev1.INVALID_KEY_INFORMATION, e.getMessage());
        }
        final IkeHash prf = sa.chosen.hash();
        // RFC 2409 5: pre-shared keys prf(pre-shared-key, Ni_b | Nr_b); signatures prf(Ni_b | Nr_b, g^xy);
        // encrypted nonces prf(hash(Ni_b | Nr_b), CKY-I | CKY-R)
        sa.skeyid = switch (sa.chosen.authMethod())
        {
            case Ikev1.AUTH_RSA_SIG -> Ikev1Crypto.skeyidPsk(prf, Ikev1Crypto.concat(sa.ni, sa.nr), gxy, new byte[0]);
            case Ikev1.AUTH_RSA_ENC -> Ikev1Crypto.skeyidEncryptedNonces(prf, sa.ni, sa.nr, sa.ckyI, sa.ckyR);
            default -> Ikev1Crypto.skeyidPsk(prf, sa.psk, sa.ni, sa.nr);
        };
        final byte[][] k = Ikev1Crypto.skeyids(prf, sa.skeyid, gxy, sa.ckyI, sa.ckyR);
        sa.skeyidD = k[0];
        sa.skeyidA = k[1];
        sa.skeyidE = k[2];
        sa.encKey = Ikev1Crypto.encryptionKey(prf, sa.skeyidE, sa.chosen.cipher().keyLength());
        debug("ISAKMP:(" + sa.connId + "): SKEYID state generated");
    }

    private void detectNat(final IkeSa sa, final PayloadCodec.Chain chain, final InetSocketAddress peerSeen)
    {
        final List<Payload.NatD> nds = chain.all(Payload.NatD.class);
        if (!sa.natT || nds.isEmpty())
        {
            return;
        }
        final IkeHash hash = sa.chosen.hash();
        final byte[] mine = NatDetection.hash(hash, sa.ckyI, sa.ckyR,
            new InetSocketAddress(settings.localAddress(), sa.localPort));
        final byte[] theirs = NatDetection.hash(hash, sa.ckyI, sa.ckyR, peerSeen);
        sa.localBehindNat = !Arrays.equals(nds.get(0).hash(), mine);
        boolean peerMatches = false;
        for (int i = 1; i < nds.size(); i++)
        {
            peerMatches |= Arrays.equals(nds.get(i).hash(), theirs);
        }
        sa.peerBehindNat = !peerMatches;
        debug("ISAKMP:(" + sa.connId + "): NAT-D: " + (sa.localBehindNat ? "we are behind a NAT" : "no NAT on our side") +
            ", " + (sa.peerBehindNat ? "peer is behind a NAT" : "no NAT on the peer's side"));
    }

    private List<Payload> natD(final IkeSa sa)
    {
        if (!sa.natT)
        {
            return List.of();
        }
        final int type = sa.natTRfc ? Ikev1.PAYLOAD_NAT_D : Ikev1.PAYLOAD_NAT_D_DRAFT;
        final IkeHash hash = sa.chosen.hash();
        return List.of(new Payload.NatD(type, NatDetection.hash(hash, sa.ckyI, sa.ckyR, sa.peer)),
            new Payload.NatD(type, NatDetection.hash(hash, sa.ckyI, sa.ckyR,
                new InetSocketAddress(settings.localAddress(), sa.localPort))));
    }

    private static List<Payload> vendorIds()
    {
        return List.of(new Payload.VendorId(VID_NAT_T_RFC), new Payload.VendorId(VID_NAT_T_03),
            new Payload.VendorId(VID_NAT_T_02N), new Payload.VendorId(VID_DPD));
    }

    private void vendorIds(final IkeSa sa, final PayloadCodec.Chain chain)
    {
        for (final Payload.VendorId vid : chain.all(Payload.VendorId.class))
        {
            final byte[] v = vid.data();
            if (Arrays.equals(v, VID_DPD))
            {
                sa.peerDpd = true;
                debug("ISAKMP:(" + sa.connId + "): vendor ID is DPD");
            }
            else if (Arrays.equals(v, VID_NAT_T_RFC))
            {
                sa.natT = true;
                sa.natTRfc = true;
                debug("ISAKMP:(" + sa.connId + "): vendor ID is NAT-T RFC 3947");
            }
            else if (Arrays.equals(v, VID_NAT_T_02N) || Arrays.equals(v, VID_NAT_T_03))
            {
                sa.natT = true;
                debug("ISAKMP:(" + sa.connId + "): vendor ID is NAT-T " + (Arrays.equals(v, VID_NAT_T_03) ? "v3" : "v2"));
            }
            else
            {
                debug("ISAKMP:(" + sa.connId + "): processing vendor id payload (unknown)");
            }
        }
    }

    private void notifiesInPhase1(final IkeSa sa, final PayloadCodec.Chain chain)
    {
        for (final Payload.Notify n : chain.all(Payload.Notify.class))
        {
            if (n.notifyType() < 8192)
            {
                log.event("ISAKMP:(" + sa.connId + "): peer " + text(sa.peer) + " refused the negotiation: " +
                    Ikev1.notifyName(n.notifyType()));
                deleteSa(sa, "peer sent " + Ikev1.notifyName(n.notifyType()), false);
                throw new Ikev1Exception(n.notifyType(), "negotiation refused by the peer");
            }
        }
    }

    private Payload.Identification ownId()
    {
        if (settings.identity() == Isakmp.Identity.DN && settings.credentials() != null)
        {
            return new Payload.Identification(Ikev1.ID_DER_ASN1_DN, 17, IKE_PORT, settings.credentials().subjectDer());
        }
        if (settings.identity() == Isakmp.Identity.HOSTNAME && settings.hostname() != null)
        {
            return new Payload.Identification(Ikev1.ID_FQDN, 17, IKE_PORT,
                settings.hostname().getBytes(StandardCharsets.US_ASCII));
        }
        return new Payload.Identification(Ikev1.ID_IPV4_ADDR, 17, IKE_PORT, settings.localAddress().getAddress());
    }

    private static String idTypeName(final Payload.Identification id)
    {
        return switch (id.idType())
        {
            case Ikev1.ID_IPV4_ADDR -> "ID_IPV4_ADDR";
            case Ikev1.ID_FQDN -> "ID_FQDN";
            case Ikev1.ID_USER_FQDN -> "ID_USER_FQDN";
            case Ikev1.ID_KEY_ID -> "ID_KEY_ID";
            case Ikev1.ID_DER_ASN1_DN -> "ID_DER_ASN1_DN";
            default -> "ID type " + id.idType();
        };
    }

    private static String distinguishedName(final byte[] der)
    {
        try
        {
            return org.bouncycastle.asn1.x500.X500Name.getInstance(der).toString();
        }
        catch (final IllegalArgumentException e)
        {
            return "<bad distinguished name>";
        }
    }

    private static String identityText(final Payload.Identification id)
    {
        return switch (id.idType())
        {
            case Ikev1.ID_IPV4_ADDR -> id.data().length == 4 ? (id.data()[0] & 0xff) + "." + (id.data()[1] & 0xff) +
                "." + (id.data()[2] & 0xff) + "." + (id.data()[3] & 0xff) : "<bad address>";
            case Ikev1.ID_DER_ASN1_DN -> distinguishedName(id.data());
            case Ikev1.ID_FQDN, Ikev1.ID_USER_FQDN, Ikev1.ID_KEY_ID ->
                new String(id.data(), StandardCharsets.US_ASCII).replaceAll("[^\\x20-\\x7e]", "?");
            default -> idTypeName(id);
        };
    }

    // =====================================================================================
    // quick mode
    // =====================================================================================

    /** Starts quick mode as initiator; {@code rekeyOf}: the child SA it replaces (same proxy identities), or null. */
    private void startQuickMode(final IkeSa sa, final long now, final Child rekeyOf)
    {
        final Ikev1Settings.Phase2Policy policy = settings.phase2For(sa.peer.getAddress());
        if (policy == null || policy.transformSets().isEmpty())
        {
            debug("ISAKMP:(" + sa.connId + "): no crypto map entry for " + text(sa.peer) + ": no quick mode");
            return;
        }
        final IkeSa.QuickMode qm = new IkeSa.QuickMode(newMessageId(sa), true);
        qm.iv = Ikev1Crypto.phase2Iv(sa.chosen.hash(), sa.phase1LastBlock, qm.messageId, sa.chosen.cipher().blockSize());
        qm.spiIn = newSpi();
        qm.ni = randomBytes(32);
        qm.pfsGroup = policy.pfsGroup();
        if (qm.pfsGroup != 0)
        {
            qm.dh = DiffieHellman.generate(qm.pfsGroup, random);
        }
        qm.offered = new ArrayList<>();
        final List<Payload.Transform> transforms = new ArrayList<>();
        for (final Ipsec.TransformSet set : policy.transformSets())
        {
            final boolean transport = set.mode() == Ipsec.EncapsulationMode.TRANSPORT;
            final int encap = !sa.natDetected() ? (transport ? Ikev1.ENCAP_TRANSPORT : Ikev1.ENCAP_TUNNEL) :
                sa.natTRfc ? (transport ? Ikev1.ENCAP_UDP_TRANSPORT : Ikev1.ENCAP_UDP_TUNNEL) :
                (transport ? Ikev1.ENCAP_UDP_TRANSPORT_DRAFT : Ikev1.ENCAP_UDP_TUNNEL_DRAFT);
            final EspProposal p = new EspProposal(set.encryption(), set.integrity(), encap, qm.pfsGroup,
                policy.lifetime().seconds(), policy.lifetime().kilobytes());
            qm.offered.add(p);
            transforms.add(p.toTransform(transforms.size() + 1));
        }
        qm.localSelector = wantedLocal(sa, policy);
        qm.remoteSelector = wantedRemote(sa, policy);
        if (rekeyOf != null)
        {
            qm.rekeys = rekeyOf.sa.spiIn();
            qm.localSelector = rekeyOf.local;
            qm.remoteSelector = rekeyOf.remote;
        }
        final List<Payload> rest = new ArrayList<>();
        rest.add(new Payload.Sa(Ikev1.DOI_IPSEC, Ikev1.SIT_IDENTITY_ONLY, List.of(
            new Payload.Proposal(1, Ikev1.PROTO_IPSEC_ESP, Ikev1Crypto.int32(qm.spiIn), transforms))));
        rest.add(new Payload.Nonce(qm.ni));
        if (qm.dh != null)
        {
            rest.add(new Payload.KeyExchange(qm.dh.publicValue()));
        }
        rest.add(qm.localSelector.toPayload());
        rest.add(qm.remoteSelector.toPayload());
        final byte[] restBytes = PayloadCodec.encode(rest);
        final byte[] hash = Ikev1Crypto.quickHash1(sa.chosen.hash(), sa.skeyidA, qm.messageId, restBytes);
        sa.quickModes.put(qm.messageId, qm);
        debug("ISAKMP:(" + sa.connId + "): beginning Quick Mode exchange, M-ID of " + qm.messageId +
            (rekeyOf != null ? ", rekeying IPsec SA " + ChildSa.spiText(rekeyOf.sa.spiIn()) : ""));
        qm.state = "IKE_QM_I_QM1";
        debug("ISAKMP:(" + sa.connId + "): Node " + qm.messageId + ", Input = IKE_MESG_INTERNAL, IKE_INIT_QM");
        debug("ISAKMP:(" + sa.connId + "): Old State = IKE_QM_READY  New State = IKE_QM_I_QM1");
        sendEncrypted(sa, Ikev1.EXCHANGE_QUICK, qm.messageId, hash, rest.get(0).type(), restBytes, qm, true, now);
    }

    private void quickMode(final IkeSa sa, final IsakmpHeader h, final byte[] d, final byte[] digest,
        final InetSocketAddress from, final int localPort, final long now)
    {
        if (!sa.established())
        {
            throw new Ikev1Exception(Ikev1.INVALID_EXCHANGE_TYPE, "quick mode before phase 1 completed");
        }
        if (!h.encrypted() || h.messageId() == 0)
        {
            throw new Ikev1Exception(Ikev1.INVALID_FLAGS, "quick mode message not encrypted or with message id 0");
        }
        IkeSa.QuickMode qm = sa.quickModes.get(h.messageId());
        if (qm != null && duplicate(sa, qm.pending, digest))
        {
            return;
        }
        if (qm == null)
        {
            if (sa.pastMessageIds.contains(h.messageId()))
            {
                throw new Ikev1Exception(Ikev1.INVALID_MESSAGE_ID, "replayed quick mode message id " + h.messageId());
            }
            if (sa.quickModes.size() >= 32)
            {
                throw new Ikev1Exception(Ikev1.INVALID_MESSAGE_ID, "too many quick modes at once");
            }
            qm = new IkeSa.QuickMode(h.messageId(), false);
            qm.iv = Ikev1Crypto.phase2Iv(sa.chosen.hash(), sa.phase1LastBlock, qm.messageId,
                sa.chosen.cipher().blockSize());
            debug("ISAKMP: set new node " + qm.messageId + " to QM_IDLE");
            final Opened opened = open(sa, h, d, qm.iv);
            quickModeResponder1(sa, qm, opened, digest, now);
            heard(sa, from, localPort, now);
            return;
        }
        final Opened opened = open(sa, h, d, qm.iv);
        if (qm.initiator && !qm.done && "IKE_QM_I_QM1".equals(qm.state))
        {
            quickModeInitiator2(sa, qm, opened, digest, now);
        }
        else if (!qm.initiator && !qm.done && "IKE_QM_R_QM2".equals(qm.state))
        {
            quickModeResponder3(sa, qm, opened, now);
        }
        else
        {
            dropped++;
            debug("ISAKMP:(" + sa.connId + "): dropping unexpected quick mode message " + qm.messageId + " in " + qm.state);
            return;
        }
        heard(sa, from, localPort, now);
    }

    private void quickModeResponder1(final IkeSa sa, final IkeSa.QuickMode qm, final Opened opened,
        final byte[] digest, final long now)
    {
        final PayloadCodec.Chain chain = opened.chain;
        verifyHashFirst(sa, chain, "QM1", h1 -> Ikev1Crypto.quickHash1(sa.chosen.hash(),
            sa.skeyidA, qm.messageId, h1));
        qm.iv = opened.nextIv;
        final Payload.Sa saPayload = require(chain, Payload.Sa.class, "QM1");
        final Payload.Nonce nonce = require(chain, Payload.Nonce.class, "QM1");
        plainNonce(nonce, "QM1");
        final Payload.KeyExchange ke = chain.first(Payload.KeyExchange.class);
        final List<Payload.Identification> ids = chain.all(Payload.Identification.class);
        debug("ISAKMP:(" + sa.connId + "): processing SA payload. message ID = " + qm.messageId);
        final Ikev1Settings.Phase2Policy policy = settings.phase2For(sa.peer.getAddress());
        if (policy == null)
        {
            informationalNotify(sa, Ikev1.NO_PROPOSAL_CHOSEN, Ikev1.PROTO_IPSEC_ESP, new byte[0], now);
            throw new Ikev1Exception(Ikev1.NO_PROPOSAL_CHOSEN, "no crypto map entry for peer " + text(sa.peer));
        }
        // proxy identities: IDci is the peer's side, IDcr ours
        if (ids.size() == 2)
        {
            qm.remoteSelector = Selector.read(ids.get(0));
            qm.localSelector = Selector.read(ids.get(1));
            final Selector wantLocal = wantedLocal(sa, policy);
            final Selector wantRemote = wantedRemote(sa, policy);
            if (!wantLocal.covers(qm.localSelector) || !wantRemote.covers(qm.remoteSelector))
            {
                informationalNotify(sa, Ikev1.INVALID_ID_INFORMATION, Ikev1.PROTO_IPSEC_ESP, new byte[0], now);
                throw new Ikev1Exception(Ikev1.INVALID_ID_INFORMATION, "proxy identities " + qm.remoteSelector +
                    " -> " + qm.localSelector + " not within the crypto map entry's " + wantRemote + " -> " + wantLocal);
            }
        }
        else if (ids.isEmpty())
        {
            qm.localSelector = sa.virtualAddress != null ? Selector.host(sa.virtualAddress) :
                Selector.host(Ikev1Settings.ip4(settings.localAddress()));
            qm.remoteSelector = sa.addressConfirmed ? Selector.host(sa.poolAddress) : defaultRemoteSelector(sa);
        }
        else
        {
            throw new Ikev1Exception(Ikev1.INVALID_ID_INFORMATION, "quick mode with " + ids.size() + " ID payloads");
        }
        // walk our transform sets in order of preference, accept the first the peer offered
        Payload.Proposal chosenProposal = null;
        Payload.Transform chosenTransform = null;
        EspProposal chosen = null;
        search:
        for (final Ipsec.TransformSet set : policy.transformSets())
        {
            for (final Payload.Proposal p : saPayload.proposals())
            {
                if (p.protocolId() != Ikev1.PROTO_IPSEC_ESP || p.spi().length != 4)
                {
                    continue;
                }
                for (final Payload.Transform t : p.transforms())
                {
                    final StringBuilder why = new StringBuilder();
                    final EspProposal offered = EspProposal.read(t, why);
                    debug("ISAKMP:(" + sa.connId + "): Checking IPsec proposal " + p.number() + " transform " +
                        t.number() + " against transform set " + set.name());
                    if (offered == null)
                    {
                        debug("ISAKMP:(" + sa.connId + "): " + why);
                        continue;
                    }
                    final boolean modeOk = (set.mode() == Ipsec.EncapsulationMode.TUNNEL) == offered.tunnel() &&
                        (!offered.udpEncapsulated() || sa.natT);
                    final boolean groupOk = policy.pfsGroup() == 0 ? offered.pfsGroup() == 0 ||
                        DiffieHellman.supported(offered.pfsGroup()) : offered.pfsGroup() == policy.pfsGroup();
                    if (offered.encryption() == set.encryption() && offered.integrity() == set.integrity() && modeOk &&
                        groupOk)
                    {
                        chosenProposal = p;
                        chosenTransform = t;
                        chosen = new EspProposal(offered.encryption(), offered.integrity(), offered.encapsulation(),
                            offered.pfsGroup(), minLifetime(offered.lifetimeSeconds(), policy.lifetime().seconds()),
                            minLifetime(offered.lifetimeKilobytes(), policy.lifetime().kilobytes()));
                        debug("ISAKMP:(" + sa.connId + "): atts are acceptable: " + chosen);
                        break search;
                    }
                }
            }
        }
        if (chosen == null)
        {
            log.event("ISAKMP:(" + sa.connId + "): no IPsec proposal from " + text(sa.peer) + " matches a transform " +
                "set" + (policy.pfsGroup() != 0 ? " with PFS group " + policy.pfsGroup() : "") +
                ": sending NO_PROPOSAL_CHOSEN");
            informationalNotify(sa, Ikev1.NO_PROPOSAL_CHOSEN, Ikev1.PROTO_IPSEC_ESP, new byte[0], now);
            throw new Ikev1Exception(Ikev1.NO_PROPOSAL_CHOSEN, "no acceptable IPsec proposal");
        }
        if ((chosen.pfsGroup() != 0) != (ke != null))
        {
            throw Ikev1Exception.malformed("quick mode " + (ke == null ? "without KE but with" : "with KE but without") +
                " a PFS group");
        }
        qm.chosen = chosen;
        qm.pfsGroup = chosen.pfsGroup();
        qm.spiOut = ByteBuffer.wrap(chosenProposal.spi()).getInt();
        qm.ni = nonce.data();
        qm.nr = randomBytes(32);
        qm.spiIn = newSpi();
        byte[] gqmxy = null;
        if (qm.pfsGroup != 0)
        {
            qm.dh = DiffieHellman.generate(qm.pfsGroup, random);
            try
            {
                gqmxy = qm.dh.sharedSecret(ke.data());
            }
            catch (final IllegalArgumentException e)
            {
                throw new Ikev1Exception(Ikev1.INVALID_KEY_INFORMATION, e.getMessage());
            }
        }
        keys(sa, qm, gqmxy);
        final List<Payload> out = new ArrayList<>();
        out.add(new Payload.Sa(Ikev1.DOI_IPSEC, Ikev1.SIT_IDENTITY_ONLY, List.of(new Payload.Proposal(
            chosenProposal.number(), Ikev1.PROTO_IPSEC_ESP, Ikev1Crypto.int32(qm.spiIn),
            List.of(chosen.toTransform(chosenTransform.number()))))));
        out.add(new Payload.Nonce(qm.nr));
        if (qm.dh != null)
        {
            out.add(new Payload.KeyExchange(qm.dh.publicValue()));
        }
        if (ids.size() == 2)
        {
            out.add(ids.get(0));
            out.add(ids.get(1));
        }
        final EspProposal offered = EspProposal.read(chosenTransform, new StringBuilder());
        if (shorter(chosen.lifetimeSeconds(), offered.lifetimeSeconds()) ||
            shorter(chosen.lifetimeKilobytes(), offered.lifetimeKilobytes()))
        {
            // RFC 2407 4.6.3.1: tell the initiator our policy's shorter lifetime (the SA payload carries it too)
            debug("ISAKMP:(" + sa.connId + "): sending RESPONDER_LIFETIME notify: " + chosen.lifetimeSeconds() + " s, " +
                chosen.lifetimeKilobytes() + " kB (offered " + offered.lifetimeSeconds() + " s, " +
                offered.lifetimeKilobytes() + " kB)");
            out.add(new Payload.Notify(Ikev1.DOI_IPSEC, Ikev1.PROTO_IPSEC_ESP, Ikev1.RESPONDER_LIFETIME,
                Ikev1Crypto.int32(qm.spiIn), responderLifetimeData(chosen.lifetimeSeconds(),
                chosen.lifetimeKilobytes())));
        }
        final byte[] restBytes = PayloadCodec.encode(out);
        final byte[] hash2 = Ikev1Crypto.quickHash2(sa.chosen.hash(), sa.skeyidA, qm.messageId, qm.ni, restBytes);
        sa.quickModes.put(qm.messageId, qm);
        qm.pending.answered = digest;
        qm.state = "IKE_QM_R_QM2";
        debug("ISAKMP:(" + sa.connId + "): Node " + qm.messageId + ", Input = IKE_MESG_FROM_PEER, IKE_QM_EXCH");
        debug("ISAKMP:(" + sa.connId + "): Old State = IKE_QM_READY  New State = IKE_QM_R_QM2");
        sendEncrypted(sa, Ikev1.EXCHANGE_QUICK, qm.messageId, hash2, Ikev1.PAYLOAD_SA, restBytes, qm, true, now);
    }

    private void quickModeInitiator2(final IkeSa sa, final IkeSa.QuickMode qm, final Opened opened,
        final byte[] digest, final long now)
    {
        final PayloadCodec.Chain chain = opened.chain;
        for (final Payload.Notify n : chain.all(Payload.Notify.class))
        {
            if (n.notifyType() < 8192)
            {
                sa.quickModes.remove(qm.messageId);
                rekeyFailed(qm, now);
                throw new Ikev1Exception(n.notifyType(), "peer refused quick mode: " + Ikev1.notifyName(n.notifyType()));
            }
        }
        verifyHashFirst(sa, chain, "QM2", r -> Ikev1Crypto.quickHash2(sa.chosen.hash(), sa.skeyidA, qm.messageId,
            qm.ni, r));
        qm.iv = opened.nextIv;
        final Payload.Sa saPayload = require(chain, Payload.Sa.class, "QM2");
        final Payload.Nonce nonce = require(chain, Payload.Nonce.class, "QM2");
        plainNonce(nonce, "QM2");
        final Payload.KeyExchange ke = chain.first(Payload.KeyExchange.class);
        if (saPayload.proposals().size() != 1 || saPayload.proposals().get(0).transforms().size() != 1 ||
            saPayload.proposals().get(0).protocolId() != Ikev1.PROTO_IPSEC_ESP ||
            saPayload.proposals().get(0).spi().length != 4)
        {
            throw new Ikev1Exception(Ikev1.NO_PROPOSAL_CHOSEN, "QM2 SA must hold one ESP proposal with one transform");
        }
        final StringBuilder why = new StringBuilder();
        final EspProposal answer = EspProposal.read(saPayload.proposals().get(0).transforms().get(0), why);
        EspProposal match = null;
        for (final EspProposal o : qm.offered)
        {
            if (answer != null && o.sameSuite(answer))
            {
                match = o;
                break;
            }
        }
        if (match == null)
        {
            throw new Ikev1Exception(Ikev1.NO_PROPOSAL_CHOSEN, "QM2 chose " + (answer != null ? answer : why) +
                ", which was not offered");
        }
        if ((qm.pfsGroup != 0) != (ke != null))
        {
            throw Ikev1Exception.malformed("QM2 " + (ke == null ? "without KE despite PFS" : "with KE without PFS"));
        }
        long seconds = minLifetime(match.lifetimeSeconds(), answer.lifetimeSeconds());
        long kilobytes = minLifetime(match.lifetimeKilobytes(), answer.lifetimeKilobytes());
        for (final Payload.Notify n : chain.all(Payload.Notify.class))
        {
            if (n.notifyType() == Ikev1.RESPONDER_LIFETIME && n.protocolId() == Ikev1.PROTO_IPSEC_ESP)
            {
                // RFC 2407 4.6.3.1: the responder's policy is shorter than what we offered; honour it
                final long[] lt = responderLifetime(n.data());
                debug("ISAKMP:(" + sa.connId + "): processing RESPONDER_LIFETIME notify: " + lt[0] + " s, " + lt[1] +
                    " kB (offered " + seconds + " s, " + kilobytes + " kB)");
                seconds = minLifetime(seconds, lt[0]);
                kilobytes = minLifetime(kilobytes, lt[1]);
            }
        }
        qm.chosen = new EspProposal(match.encryption(), match.integrity(), match.encapsulation(), match.pfsGroup(),
            seconds, kilobytes);
        qm.spiOut = ByteBuffer.wrap(saPayload.proposals().get(0).spi()).getInt();
        qm.nr = nonce.data();
        byte[] gqmxy = null;
        if (qm.dh != null)
        {
            try
            {
                gqmxy = qm.dh.sharedSecret(ke.data());
            }
            catch (final IllegalArgumentException e)
            {
                throw new Ikev1Exception(Ikev1.INVALID_KEY_INFORMATION, e.getMessage());
            }
        }
        keys(sa, qm, gqmxy);
        final byte[] hash3 = Ikev1Crypto.quickHash3(sa.chosen.hash(), sa.skeyidA, qm.messageId, qm.ni, qm.nr);
        qm.pending.awaiting = false;
        qm.pending.answered = digest;
        sendEncrypted(sa, Ikev1.EXCHANGE_QUICK, qm.messageId, hash3, Ikev1.PAYLOAD_NONE, new byte[0], qm, false, now);
        quickModeComplete(sa, qm, now, "IKE_QM_I_QM1");
    }

    private void quickModeResponder3(final IkeSa sa, final IkeSa.QuickMode qm, final Opened opened, final long now)
    {
        final PayloadCodec.Chain chain = opened.chain;
        final Payload.Hash hash = require(chain, Payload.Hash.class, "QM3");
        final byte[] expected = Ikev1Crypto.quickHash3(sa.chosen.hash(), sa.skeyidA, qm.messageId, qm.ni, qm.nr);
        if (!java.security.MessageDigest.isEqual(expected, hash.data()))
        {
            throw new Ikev1Exception(Ikev1.INVALID_HASH_INFORMATION, "QM3 HASH(3) does not verify");
        }
        qm.iv = opened.nextIv;
        qm.pending.awaiting = false;
        quickModeComplete(sa, qm, now, "IKE_QM_R_QM2");
    }

    private void keys(final IkeSa sa, final IkeSa.QuickMode qm, final byte[] gqmxy)
    {
        final int length = qm.chosen.keyMaterialLength();
        qm.keyIn = Ikev1Crypto.keymat(sa.chosen.hash(), sa.skeyidD, gqmxy, Ikev1.PROTO_IPSEC_ESP, qm.spiIn,
            qm.ni, qm.nr, length);
        qm.keyOut = Ikev1Crypto.keymat(sa.chosen.hash(), sa.skeyidD, gqmxy, Ikev1.PROTO_IPSEC_ESP, qm.spiOut,
            qm.ni, qm.nr, length);
    }

    private void quickModeComplete(final IkeSa sa, final IkeSa.QuickMode qm, final long now, final String oldState)
    {
        qm.done = true;
        qm.doneAt = now;
        qm.state = "IKE_QM_PHASE2_COMPLETE";
        qm.dh = null;
        debug("ISAKMP:(" + sa.connId + "): Creating IPsec SAs: inbound SA from " + text(sa.peer) + " has spi " +
            ChildSa.spiText(qm.spiIn) + ", outbound SA has spi " + ChildSa.spiText(qm.spiOut) + ", " + qm.chosen);
        debug("ISAKMP:(" + sa.connId + "): Node " + qm.messageId + ", Input = IKE_MESG_FROM_PEER, IKE_QM_EXCH");
        debug("ISAKMP:(" + sa.connId + "): Old State = " + oldState + "  New State = IKE_QM_PHASE2_COMPLETE");
        final InetSocketAddress local = new InetSocketAddress(settings.localAddress(), sa.localPort);
        final ChildSa child = new ChildSa(qm.spiIn & 0xffff_ffffL, qm.spiOut & 0xffff_ffffL, qm.chosen.encryption(),
            qm.chosen.integrity(), qm.keyIn, qm.keyOut, qm.chosen.lifetimeSeconds(), qm.chosen.lifetimeKilobytes(),
            qm.chosen.tunnel() ? ChildSa.Mode.TUNNEL : ChildSa.Mode.TRANSPORT, local, sa.peer,
            qm.chosen.udpEncapsulated(), qm.localSelector.toString(), qm.remoteSelector.toString(), qm.pfsGroup,
            qm.messageId);
        final long life = qm.chosen.lifetimeSeconds() * 1000L;
        final Child c = new Child(child, sa.ckyI, sa.peer.getAddress(), qm.localSelector, qm.remoteSelector,
            life == 0 ? Long.MAX_VALUE : now + life / 100 * (qm.initiator ? SOFT_PERCENT_INITIATOR : SOFT_PERCENT_RESPONDER),
            life == 0 ? Long.MAX_VALUE : now + life);
        // older SAs for the same traffic are replaced: not rekeyed again; the one we rekeyed retires after an overlap
        for (final Child old : children)
        {
            if (old.sameTraffic(c))
            {
                old.rekeying = true;
                old.rekeyWaitsForPhase1 = false;
                if (qm.rekeys != 0 && old.sa.spiIn() == qm.rekeys)
                {
                    old.retireAt = Math.min(now + settings.rekeyOverlapMillis(), old.hardAt);
                    debug("ISAKMP:(" + sa.connId + "): IPsec SA " + ChildSa.spiText(old.sa.spiIn()) + " rekeyed as " +
                        ChildSa.spiText(child.spiIn()) + "; the old SA is deleted in " + settings.rekeyOverlapMillis() + " ms");
                }
                else
                {
                    debug("ISAKMP:(" + sa.connId + "): peer rekeyed IPsec SA " + ChildSa.spiText(old.sa.spiIn()) +
                        " as " + ChildSa.spiText(child.spiIn()) + "; the old SA stays until the peer deletes it");
                }
            }
        }
        children.add(c);
        listener.childSaEstablished(child);
    }

    /** Removes a child SA, telling the listener and (with {@code tellPeer}, over a live IKE SA) the peer. */
    private void removeChild(final Child c, final String reason, final boolean tellPeer, final long now)
    {
        if (!children.remove(c))
        {
            return;
        }
        final IkeSa sa = liveSaFor(c.peer);
        debug("ISAKMP: deleting IPsec SA " + ChildSa.spiText(c.sa.spiIn()) + "/" + ChildSa.spiText(c.sa.spiOut()) +
            " with " + c.peer.getHostAddress() + ": " + reason);
        if (tellPeer && sa != null)
        {
            informational(sa, List.of(new Payload.Delete(Ikev1.DOI_IPSEC, Ikev1.PROTO_IPSEC_ESP, 4,
                List.of(Ikev1Crypto.int32((int)c.sa.spiIn())))), now);
        }
        listener.childSaDeleted(c.sa, reason);
    }

    private interface HashFunction
    {
        byte[] apply(byte[] rest);
    }

    /** Checks that the first payload is HASH and that it equals {@code f(bytes after it)}; returns those bytes. */
    private byte[] verifyHashFirst(final IkeSa sa, final PayloadCodec.Chain chain, final String what,
        final HashFunction f)
    {
        if (chain.payloads().isEmpty() || !(chain.payloads().get(0) instanceof Payload.Hash hash))
        {
            throw Ikev1Exception.malformed(what + " does not start with a HASH payload");
        }
        final byte[] rest = chain.from(1);
        if (!java.security.MessageDigest.isEqual(f.apply(rest), hash.data()))
        {
            throw new Ikev1Exception(Ikev1.INVALID_HASH_INFORMATION, what + " hash does not verify (SA " + sa.connId + ")");
        }
        return rest;
    }

    /**
     * The peer's proxy identity when the crypto map entry names none: its address, or behind a NAT
     * the address in its phase 1 identity (its inside address, which is what it will propose).
     */
    /** Our proxy identity: the address mode config gave us, else the crypto map entry's, else our address. */
    private Selector wantedLocal(final IkeSa sa, final Ikev1Settings.Phase2Policy policy)
    {
        if (sa.virtualAddress != null)
        {
            return Selector.host(sa.virtualAddress);
        }
        return policy.local() != null ? policy.local() : Selector.host(Ikev1Settings.ip4(settings.localAddress()));
    }

    /** The peer's proxy identity: the address we lent it by mode config, else the crypto map entry's, else its own. */
    private static Selector wantedRemote(final IkeSa sa, final Ikev1Settings.Phase2Policy policy)
    {
        if (sa.addressConfirmed)
        {
            return Selector.host(sa.poolAddress);
        }
        return policy.remote() != null ? policy.remote() : defaultRemoteSelector(sa);
    }

    private static Selector defaultRemoteSelector(final IkeSa sa)
    {
        if (sa.natDetected() && sa.peerIdBody != null && sa.peerIdBody.length == 8 &&
            sa.peerIdBody[0] == Ikev1.ID_IPV4_ADDR)
        {
            return Selector.host(new Ip4(ByteBuffer.wrap(sa.peerIdBody, 4, 4).getInt()));
        }
        return Selector.host(Ikev1Settings.ip4(sa.peer.getAddress()));
    }

    /** True if our lifetime {@code ours} is a limit shorter than {@code offered} (0: none). */
    private static boolean shorter(final long ours, final long offered)
    {
        return ours != 0 && (offered == 0 || ours < offered);
    }

    /** RESPONDER-LIFETIME notification data: SA Life Type / SA Life Duration attributes (TV, or TLV above 16 bits). */
    static byte[] responderLifetimeData(final long seconds, final long kilobytes)
    {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        final long[][] pairs = {{Ikev1.LIFE_SECONDS, seconds}, {Ikev1.LIFE_KILOBYTES, kilobytes}};
        for (final long[] pair : pairs)
        {
            if (pair[1] <= 0)
            {
                continue;
            }
            out.writeBytes(new byte[]{(byte)0x80, (byte)Ikev1.P2_LIFE_TYPE, 0, (byte)pair[0]});
            if (pair[1] <= 0xffff)
            {
                out.writeBytes(new byte[]{(byte)0x80, (byte)Ikev1.P2_LIFE_DURATION, (byte)(pair[1] >>> 8), (byte)pair[1]});
            }
            else
            {
                out.writeBytes(new byte[]{0, (byte)Ikev1.P2_LIFE_DURATION, 0, 4});
                out.writeBytes(Ikev1Crypto.int32((int)pair[1]));
            }
        }
        return out.toByteArray();
    }

    /**
     * {seconds, kilobytes} of RESPONDER-LIFETIME notification data (0: not given).
     *
     * @throws Ikev1Exception (PAYLOAD-MALFORMED) for a truncated attribute or a lying length.
     */
    static long[] responderLifetime(final byte[] d)
    {
        long seconds = 0;
        long kilobytes = 0;
        int lifeType = 0;
        int pos = 0;
        while (pos < d.length)
        {
            if (d.length - pos < 4)
            {
                throw Ikev1Exception.malformed("truncated attribute in RESPONDER_LIFETIME");
            }
            final int word = PayloadCodec.u16(d, pos);
            long value = 0;
            if ((word & 0x8000) != 0)
            {
                value = PayloadCodec.u16(d, pos + 2);
                pos += 4;
            }
            else
            {
                final int length = PayloadCodec.u16(d, pos + 2);
                if (length > d.length - pos - 4 || length > 7)
                {
                    throw Ikev1Exception.malformed("RESPONDER_LIFETIME attribute of " + length + " bytes");
                }
                for (int i = 0; i < length; i++)
                {
                    value = value << 8 | (d[pos + 4 + i] & 0xff);
                }
                pos += 4 + length;
            }
            switch (word & 0x7fff)
            {
                case Ikev1.P2_LIFE_TYPE -> lifeType = (int)value;
                case Ikev1.P2_LIFE_DURATION ->
                {
                    if (lifeType == Ikev1.LIFE_SECONDS)
                    {
                        seconds = value;
                    }
                    else if (lifeType == Ikev1.LIFE_KILOBYTES)
                    {
                        kilobytes = value;
                    }
                }
                default ->
                {
                    // other attributes carry nothing we use
                }
            }
        }
        return new long[]{seconds, kilobytes};
    }

    private static long minLifetime(final long a, final long b)
    {
        if (a == 0)
        {
            return b;
        }
        return b == 0 ? a : Math.min(a, b);
    }

    // =====================================================================================
    // informational: notify, delete, DPD
    // =====================================================================================

    // =====================================================================================
    // mode config: the transaction exchange (draft-dukes-ike-mode-cfg), after phase 1
    // =====================================================================================

    /**
     * A transaction message: the answer to our SET or REQUEST, or a new REQUEST (we are the
     * gateway) or SET (we are the client). Protected like an informational exchange: HASH =
     * prf(SKEYID_a, M-ID | ATTR), the IV chained per message id as in quick mode.
     */
    private void transaction(final IkeSa sa, final IsakmpHeader h, final byte[] d, final byte[] digest,
        final InetSocketAddress from, final int localPort, final long now)
    {
        if (!sa.established())
        {
            throw new Ikev1Exception(Ikev1.INVALID_EXCHANGE_TYPE, "transaction exchange before phase 1 completed");
        }
        if (!h.encrypted() || h.messageId() == 0)
        {
            throw new Ikev1Exception(Ikev1.INVALID_FLAGS, "transaction message not encrypted or with message id 0");
        }
        final IkeSa.QuickMode ours = sa.transaction;
        if (ours != null && ours.messageId == h.messageId())
        {
            if (duplicate(sa, ours.pending, digest))
            {
                return;
            }
            if (ours.done)
            {
                dropped++;
                debug("ISAKMP:(" + sa.connId + "): dropping transaction message " + h.messageId() + ": exchange done");
                return;
            }
            final Opened opened = open(sa, h, d, ours.iv);
            verifyHashFirst(sa, opened.chain, "transaction", r -> Ikev1Crypto.quickHash1(sa.chosen.hash(), sa.skeyidA,
                h.messageId(), r));
            ours.iv = opened.nextIv;
            final Payload.Attributes answer = require(opened.chain, Payload.Attributes.class, "transaction");
            heard(sa, from, localPort, now);
            answerReceived(sa, ours, answer, now);
            return;
        }
        if (sa.pastMessageIds.contains(h.messageId()) || sa.quickModes.containsKey(h.messageId()))
        {
            throw new Ikev1Exception(Ikev1.INVALID_MESSAGE_ID, "replayed transaction message id " + h.messageId());
        }
        final IkeSa.QuickMode theirs = new IkeSa.QuickMode(h.messageId(), false);
        final Opened opened = open(sa, h, d, Ikev1Crypto.phase2Iv(sa.chosen.hash(), sa.phase1LastBlock, h.messageId(),
            sa.chosen.cipher().blockSize()));
        verifyHashFirst(sa, opened.chain, "transaction", r -> Ikev1Crypto.quickHash1(sa.chosen.hash(), sa.skeyidA,
            h.messageId(), r));
        theirs.iv = opened.nextIv;
        final Payload.Attributes request = require(opened.chain, Payload.Attributes.class, "transaction");
        sa.rememberMessageId(h.messageId());
        heard(sa, from, localPort, now);
        debug("ISAKMP:(" + sa.connId + "): processing transaction " + ModeConfig.typeName(request.cfgType()) +
            " from " + text(sa.peer) + ", message ID = " + h.messageId() + ": " + request.attributes());
        switch (request.cfgType())
        {
            case ModeConfig.CFG_REQUEST -> replyToRequest(sa, theirs, request, digest, now);
            case ModeConfig.CFG_SET -> acknowledgeSet(sa, theirs, request, digest, now);
            default -> throw new Ikev1Exception(Ikev1.PAYLOAD_MALFORMED, ModeConfig.typeName(request.cfgType()) +
                " from " + text(sa.peer) + " answers no exchange of ours");
        }
    }

    /** Gateway: a client asks for its address; REPLY from the pool (client-initiated mode config). */
    private void replyToRequest(final IkeSa sa, final IkeSa.QuickMode tx, final Payload.Attributes request,
        final byte[] digest, final long now)
    {
        if (settings.modeConfigGateway() == null)
        {
            dropped++;
            log.event("ISAKMP:(" + sa.connId + "): mode config CFG_REQUEST from " + text(sa.peer) + " ignored: no " +
                "crypto isakmp client configuration address-pool");
            return;
        }
        final Ip4 address = lend(sa);
        if (address == null)
        {
            return;
        }
        final List<Payload.Attribute> reply = gatewayAttributes(address, request);
        installTransaction(sa, tx);
        sa.cfgType = ModeConfig.CFG_REPLY;
        sa.cfgIdentifier = request.identifier();
        tx.pending.answered = digest;
        tx.done = true;
        tx.doneAt = now;
        sendAttributes(sa, tx, ModeConfig.CFG_REPLY, request.identifier(), reply, false, now);
        confirmAddress(sa);
    }

    /** Client: the gateway SETs our address (gateway-initiated mode config); ACK, then quick mode. */
    private void acknowledgeSet(final IkeSa sa, final IkeSa.QuickMode tx, final Payload.Attributes set,
        final byte[] digest, final long now)
    {
        if (settings.modeConfigClient() == ModeConfig.Client.OFF)
        {
            dropped++;
            log.event("ISAKMP:(" + sa.connId + "): mode config CFG_SET from " + text(sa.peer) + " ignored: we are " +
                "not a mode config client");
            return;
        }
        final Ip4 address = addressIn(sa, set);
        final List<Payload.Attribute> ack = new ArrayList<>();
        for (final Payload.Attribute a : set.attributes())
        {
            if (a.type() == ModeConfig.INTERNAL_IP4_ADDRESS || a.type() == ModeConfig.INTERNAL_IP4_NETMASK ||
                a.type() == ModeConfig.INTERNAL_IP4_DNS)
            {
                ack.add(new Payload.Attribute(a.type(), new byte[0], false));
            }
        }
        installTransaction(sa, tx);
        sa.cfgType = ModeConfig.CFG_ACK;
        sa.cfgIdentifier = set.identifier();
        tx.pending.answered = digest;
        tx.done = true;
        tx.doneAt = now;
        sendAttributes(sa, tx, ModeConfig.CFG_ACK, set.identifier(), ack, false, now);
        gotAddress(sa, address, now);
    }

    /** The answer to our SET (an ACK) or our REQUEST (a REPLY). */
    private void answerReceived(final IkeSa sa, final IkeSa.QuickMode tx, final Payload.Attributes answer,
        final long now)
    {
        final int expected = sa.cfgType == ModeConfig.CFG_SET ? ModeConfig.CFG_ACK : ModeConfig.CFG_REPLY;
        if (answer.cfgType() != expected || answer.identifier() != sa.cfgIdentifier)
        {
            throw new Ikev1Exception(Ikev1.PAYLOAD_MALFORMED, ModeConfig.typeName(answer.cfgType()) + " identifier " +
                answer.identifier() + " does not answer our " + ModeConfig.typeName(sa.cfgType) + " identifier " +
                sa.cfgIdentifier);
        }
        debug("ISAKMP:(" + sa.connId + "): processing transaction " + ModeConfig.typeName(answer.cfgType()) +
            " from " + text(sa.peer) + ", message ID = " + tx.messageId + ": " + answer.attributes());
        tx.pending.awaiting = false;
        tx.done = true;
        tx.doneAt = now;
        if (expected == ModeConfig.CFG_ACK)
        {
            confirmAddress(sa);
        }
        else
        {
            gotAddress(sa, addressIn(sa, answer), now);
        }
    }

    /** The INTERNAL_IP4_ADDRESS of a SET or REPLY. */
    private Ip4 addressIn(final IkeSa sa, final Payload.Attributes attributes)
    {
        final Payload.Attribute a = attributes.attribute(ModeConfig.INTERNAL_IP4_ADDRESS);
        if (a == null || a.basic() || a.value().length != 4)
        {
            throw Ikev1Exception.malformed(ModeConfig.typeName(attributes.cfgType()) + " from " + text(sa.peer) +
                " without a 4-byte INTERNAL_IP4_ADDRESS");
        }
        return new Ip4(ByteBuffer.wrap(a.value()).getInt());
    }

    /** Client: our inner address is known; as phase 1 initiator, quick mode proposes it now. */
    private void gotAddress(final IkeSa sa, final Ip4 address, final long now)
    {
        sa.virtualAddress = address;
        log.event("ISAKMP:(" + sa.connId + "): mode config: " + text(sa.peer) + " assigned us " + address);
        listener.virtualAddressAssigned(sa.peer, Ikev1Settings.inet(address));
        if (sa.initiator)
        {
            quickModeAfterPhase1(sa, now);
        }
    }

    /** Gateway: the peer's address from the pool (the one it holds already, if any); null: refused, SA deleted. */
    private Ip4 lend(final IkeSa sa)
    {
        final Ip4 address = pool.allocate(sa.peer.getAddress());
        if (address == null)
        {
            log.event("ISAKMP:(" + sa.connId + "): mode config for " + text(sa.peer) + " refused: ip local pool " +
                pool.name() + " exhausted (" + pool.inUse() + " of " + pool.size() + " addresses in use)");
            deleteSa(sa, "address pool " + pool.name() + " exhausted", true);
            return null;
        }
        sa.poolAddress = address;
        return address;
    }

    /** Gateway: the peer took the address; it is its proxy identity from now on. */
    private void confirmAddress(final IkeSa sa)
    {
        sa.addressConfirmed = true;
        final InetAddress peer = sa.peer.getAddress();
        if (!sa.poolAddress.equals(assigned.put(peer, sa.poolAddress)))
        {
            log.event("ISAKMP:(" + sa.connId + "): mode config: assigned " + sa.poolAddress + " from pool " +
                pool.name() + " to " + text(sa.peer));
            listener.addressAssigned(sa.peer, Ikev1Settings.inet(sa.poolAddress));
        }
    }

    /** Gateway: the peer's address goes back to the pool. */
    private void releaseAddress(final IkeSa sa, final String why)
    {
        final InetAddress peer = sa.peer.getAddress();
        final Ip4 released = pool.release(peer);
        final Ip4 told = assigned.remove(peer);
        if (released != null)
        {
            log.event("ISAKMP:(" + sa.connId + "): mode config: " + released + " of " + text(sa.peer) +
                " back to pool " + pool.name() + ": " + why);
        }
        if (told != null)
        {
            listener.addressReleased(sa.peer, Ikev1Settings.inet(told));
        }
    }

    /** Our SET or REQUEST went unanswered: carry on without mode config. */
    private void modeConfigAbandoned(final IkeSa sa, final long now)
    {
        final IkeSa.QuickMode tx = sa.transaction;
        tx.done = true;
        tx.doneAt = now;
        log.event("ISAKMP:(" + sa.connId + "): " + text(sa.peer) + " did not answer mode config " +
            ModeConfig.typeName(sa.cfgType) + ": continuing without a mode config address");
        if (sa.cfgType == ModeConfig.CFG_SET && !sa.addressConfirmed)
        {
            sa.poolAddress = null;
            if (otherSas(sa).isEmpty())
            {
                releaseAddress(sa, "not taken");
            }
        }
        else if (sa.cfgType == ModeConfig.CFG_REQUEST && sa.initiator)
        {
            quickModeAfterPhase1(sa, now);
        }
    }

    /** What a gateway sends: the address, with the netmask and DNS servers configured (if asked, for a REPLY). */
    private List<Payload.Attribute> gatewayAttributes(final Ip4 address, final Payload.Attributes request)
    {
        final ModeConfig.Gateway gw = settings.modeConfigGateway();
        final List<Payload.Attribute> out = new ArrayList<>();
        out.add(new Payload.Attribute(ModeConfig.INTERNAL_IP4_ADDRESS, Ikev1Crypto.int32(address.bits()), false));
        if (gw.netmask() != null && (request == null || request.attribute(ModeConfig.INTERNAL_IP4_NETMASK) != null))
        {
            out.add(new Payload.Attribute(ModeConfig.INTERNAL_IP4_NETMASK, Ikev1Crypto.int32(gw.netmask().bits()),
                false));
        }
        if (request == null || request.attribute(ModeConfig.INTERNAL_IP4_DNS) != null)
        {
            for (final Ip4 dns : gw.dns())
            {
                out.add(new Payload.Attribute(ModeConfig.INTERNAL_IP4_DNS, Ikev1Crypto.int32(dns.bits()), false));
            }
        }
        return out;
    }

    /** Starts a transaction of ours (SET as gateway, REQUEST as client), retransmitted until answered. */
    private void sendTransaction(final IkeSa sa, final int cfgType, final List<Payload.Attribute> attributes,
        final long now)
    {
        final IkeSa.QuickMode tx = new IkeSa.QuickMode(newMessageId(sa), true);
        tx.iv = Ikev1Crypto.phase2Iv(sa.chosen.hash(), sa.phase1LastBlock, tx.messageId, sa.chosen.cipher().blockSize());
        installTransaction(sa, tx);
        sa.cfgType = cfgType;
        sa.cfgIdentifier = 1 + random.nextInt(0xfffe);
        debug("ISAKMP:(" + sa.connId + "): beginning mode config " + ModeConfig.typeName(cfgType) + " to " +
            text(sa.peer) + ", M-ID of " + tx.messageId);
        sendAttributes(sa, tx, cfgType, sa.cfgIdentifier, attributes, true, now);
    }

    private void installTransaction(final IkeSa sa, final IkeSa.QuickMode tx)
    {
        if (sa.transaction != null)
        {
            sa.rememberMessageId(sa.transaction.messageId);
        }
        sa.transaction = tx;
    }

    private void sendAttributes(final IkeSa sa, final IkeSa.QuickMode tx, final int cfgType, final int identifier,
        final List<Payload.Attribute> attributes, final boolean awaitAnswer, final long now)
    {
        final byte[] rest = PayloadCodec.encode(List.of(new Payload.Attributes(cfgType, identifier, attributes)));
        final byte[] hash = Ikev1Crypto.quickHash1(sa.chosen.hash(), sa.skeyidA, tx.messageId, rest);
        tx.state = ModeConfig.typeName(cfgType);
        debug("ISAKMP:(" + sa.connId + "): sending transaction " + tx.state + " to " + text(sa.peer) +
            ", message ID = " + tx.messageId + ": " + attributes);
        sendEncrypted(sa, ModeConfig.EXCHANGE_TRANSACTION, tx.messageId, hash, ModeConfig.PAYLOAD_ATTRIBUTES, rest, tx,
            awaitAnswer, now);
    }

    private void informational(final IkeSa sa, final IsakmpHeader h, final byte[] d, final InetSocketAddress from,
        final int localPort, final long now)
    {
        if (!h.encrypted())
        {
            final PayloadCodec.Chain chain = PayloadCodec.parse(h.nextPayload(), d, Ikev1.HEADER_LENGTH, d.length, false);
            for (final Payload.Notify n : chain.all(Payload.Notify.class))
            {
                log.event("ISAKMP:(" + sa.connId + "): unauthenticated NOTIFY " + Ikev1.notifyName(n.notifyType()) +
                    " from " + text(from) + (sa.established() ? " ignored" : ": negotiation failed"));
                if (!sa.established() && n.notifyType() < 8192)
                {
                    deleteSa(sa, "peer sent " + Ikev1.notifyName(n.notifyType()), false);
                    return;
                }
            }
            return;
        }
        if (sa.phase1LastBlock == null)
        {
            throw new Ikev1Exception(Ikev1.INVALID_EXCHANGE_TYPE, "encrypted informational before phase 1 completed");
        }
        if (h.messageId() == 0)
        {
            throw new Ikev1Exception(Ikev1.INVALID_MESSAGE_ID, "informational with message id 0");
        }
        if (sa.pastMessageIds.contains(h.messageId()) || sa.quickModes.containsKey(h.messageId()))
        {
            throw new Ikev1Exception(Ikev1.INVALID_MESSAGE_ID, "replayed informational message id " + h.messageId());
        }
        final byte[] iv = Ikev1Crypto.phase2Iv(sa.chosen.hash(), sa.phase1LastBlock, h.messageId(),
            sa.chosen.cipher().blockSize());
        final Opened opened = open(sa, h, d, iv);
        verifyHashFirst(sa, opened.chain, "informational", r -> Ikev1Crypto.quickHash1(sa.chosen.hash(), sa.skeyidA,
            h.messageId(), r));
        sa.rememberMessageId(h.messageId());
        heard(sa, from, localPort, now);
        for (final Payload p : opened.chain.payloads())
        {
            if (p instanceof Payload.Notify n)
            {
                notifyReceived(sa, n, h.messageId(), now);
            }
            else if (p instanceof Payload.Delete del)
            {
                deleteReceived(sa, del);
                if (!sas.containsKey(sa.ckyI))
                {
                    return;
                }
            }
        }
    }

    private void notifyReceived(final IkeSa sa, final Payload.Notify n, final int messageId, final long now)
    {
        debug("ISAKMP:(" + sa.connId + "): processing NOTIFY " + Ikev1.notifyName(n.notifyType()) + " protocol " +
            n.protocolId() + " spi " + n.spi().length + ", message ID = " + messageId);
        switch (n.notifyType())
        {
            case Ikev1.R_U_THERE ->
            {
                if (!Arrays.equals(n.spi(), cookies(sa)) || n.data().length != 4)
                {
                    throw Ikev1Exception.malformed("R_U_THERE with wrong cookies or sequence of " + n.data().length +
                        " bytes");
                }
                final long seq = ByteBuffer.wrap(n.data()).getInt() & 0xffff_ffffL;
                if (sa.peerDpdSeq >= 0 && seq <= sa.peerDpdSeq && sa.peerDpdSeq - seq < 0x8000_0000L)
                {
                    debug("ISAKMP:(" + sa.connId + "): DPD/R_U_THERE with old sequence 0x" + Long.toHexString(seq) +
                        " (last 0x" + Long.toHexString(sa.peerDpdSeq) + "): answering anyway");
                }
                sa.peerDpdSeq = Math.max(sa.peerDpdSeq, seq);
                debug("ISAKMP:(" + sa.connId + "): DPD/R_U_THERE received from peer " +
                    sa.peer.getAddress().getHostAddress() + ", sequence 0x" + Long.toHexString(seq));
                dpdAnswered++;
                informational(sa, List.of(new Payload.Notify(Ikev1.DOI_IPSEC, Ikev1.PROTO_ISAKMP, Ikev1.R_U_THERE_ACK,
                    cookies(sa), n.data())), now);
            }
            case Ikev1.R_U_THERE_ACK ->
            {
                if (n.data().length != 4)
                {
                    throw Ikev1Exception.malformed("R_U_THERE_ACK with a sequence of " + n.data().length + " bytes");
                }
                final int seq = ByteBuffer.wrap(n.data()).getInt();
                final boolean expected = sa.dpdOutstanding &&
                    Integer.compareUnsigned(seq - sa.dpdFirstOutstandingSeq, sa.dpdSeq - sa.dpdFirstOutstandingSeq) < 0;
                if (!expected)
                {
                    dropped++;
                    log.event("ISAKMP:(" + sa.connId + "): DPD/R_U_THERE_ACK from " +
                        sa.peer.getAddress().getHostAddress() + " with unexpected sequence 0x" +
                        Integer.toHexString(seq) + " ignored");
                    return;
                }
                dpdAcks++;
                sa.dpdOutstanding = false;
                sa.dpdRetries = 0;
                debug("ISAKMP:(" + sa.connId + "): DPD/R_U_THERE_ACK received from peer " +
                    sa.peer.getAddress().getHostAddress() + ", sequence 0x" + Integer.toHexString(seq));
                debug("ISAKMP:(" + sa.connId + "):Input = IKE_MESG_FROM_PEER, IKE_INFO_NOTIFY");
                debug("ISAKMP:(" + sa.connId + "):Old State = IKE_P1_COMPLETE  New State = IKE_P1_COMPLETE");
            }
            case Ikev1.INITIAL_CONTACT -> initialContact(sa);
            default -> log.event("ISAKMP:(" + sa.connId + "): NOTIFY " + Ikev1.notifyName(n.notifyType()) + " from " +
                text(sa.peer) + " (protocol " + n.protocolId() + ")");
        }
    }

    private void deleteReceived(final IkeSa sa, final Payload.Delete del)
    {
        if (del.protocolId() == Ikev1.PROTO_ISAKMP)
        {
            for (final byte[] spi : del.spis())
            {
                if (Arrays.equals(spi, cookies(sa)))
                {
                    debug("ISAKMP:(" + sa.connId + "): peer " + text(sa.peer) + " deleted the ISAKMP SA");
                    deleteSa(sa, "deleted by peer", false, false);
                    return;
                }
            }
            return;
        }
        if (del.protocolId() == Ikev1.PROTO_IPSEC_ESP && del.spiSize() == 4)
        {
            for (final byte[] spi : del.spis())
            {
                final long value = ByteBuffer.wrap(spi).getInt() & 0xffff_ffffL;
                for (final Child c : new ArrayList<>(children))
                {
                    // by peer, not by IKE SA: a peer may delete an SA negotiated under an IKE SA since replaced
                    if (c.peer.equals(sa.peer.getAddress()) && c.sa.spiOut() == value)
                    {
                        children.remove(c);
                        debug("ISAKMP:(" + sa.connId + "): peer deleted IPsec SA " + ChildSa.spiText(value));
                        listener.childSaDeleted(c.sa, "deleted by peer");
                    }
                }
            }
        }
    }

    private void dpdTick(final IkeSa sa, final long now)
    {
        final Ikev1Settings.Dpd dpd = settings.dpd();
        if (dpd == null || !sa.peerDpd)
        {
            return;
        }
        if (sa.dpdOutstanding)
        {
            if (now < sa.dpdNextAt)
            {
                return;
            }
            debug("ISAKMP:(" + sa.connId + "):incrementing error counter on sa: PEERS_ALIVE_TIMER");
            if (sa.dpdRetries >= Ikev1Settings.Dpd.RETRANSMISSIONS)
            {
                peerDead(sa);
                return;
            }
            sa.dpdRetries++;
            sendRuThere(sa, now);
            debug("ISAKMP:(" + sa.connId + "):Input = IKE_MESG_FROM_TIMER, IKE_TIMER_PEERS_ALIVE");
            debug("ISAKMP:(" + sa.connId + "):Old State = IKE_P1_COMPLETE  New State = IKE_P1_COMPLETE");
            sa.dpdNextAt = now + dpd.retryMillis();
        }
        else if (dpd.mode() == Isakmp.DpdMode.PERIODIC && now - Math.max(sa.lastHeard, sa.dpdLastSent) >= dpd.intervalMillis())
        {
            startDpd(sa, now);
        }
    }

    private void startDpd(final IkeSa sa, final long now)
    {
        sa.dpdOutstanding = true;
        sa.dpdRetries = 0;
        if (sa.dpdSeq == 0)
        {
            sa.dpdSeq = 1 + random.nextInt(0x7fff_0000);
        }
        sa.dpdFirstOutstandingSeq = sa.dpdSeq;
        sendRuThere(sa, now);
        debug("ISAKMP:(" + sa.connId + "):Input = IKE_MESG_FROM_TIMER, IKE_TIMER_IM_ALIVE");
        debug("ISAKMP:(" + sa.connId + "):Old State = IKE_P1_COMPLETE  New State = IKE_P1_COMPLETE");
        sa.dpdNextAt = now + settings.dpd().retryMillis();
    }

    private void sendRuThere(final IkeSa sa, final long now)
    {
        final int seq = sa.dpdSeq++;
        dpdSent++;
        sa.dpdLastSent = now;
        debug("ISAKMP:(" + sa.connId + "): DPD/R_U_THERE to " + sa.peer.getAddress().getHostAddress() +
            ", sequence 0x" + Integer.toHexString(seq));
        informational(sa, List.of(new Payload.Notify(Ikev1.DOI_IPSEC, Ikev1.PROTO_ISAKMP, Ikev1.R_U_THERE, cookies(sa),
            Ikev1Crypto.int32(seq))), now);
    }

    private void peerDead(final IkeSa sa)
    {
        final String peer = sa.peer.getAddress().getHostAddress();
        debug("ISAKMP:(" + sa.connId + "):peer " + peer + " not responding!");
        debug("ISAKMP:(" + sa.connId + "):deleting SA reason \"peers alive\" state " + sa.role() + " " +
            sa.state.show() + " (peer " + peer + ")");
        log.event("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer " + peer + ":" + sa.peer.getPort() + " Id: " +
            (sa.peerId != null ? sa.peerId : peer));
        final InetSocketAddress where = sa.peer;
        deleteSa(sa, "peers alive", false, true);
        listener.peerDead(where);
        failover(where, "declared dead by DPD");
    }

    /** A NOTIFY in an informational exchange of its own, for errors found in quick mode. */
    private void informationalNotify(final IkeSa sa, final int type, final int protocol, final byte[] spi,
        final long now)
    {
        informational(sa, List.of(new Payload.Notify(Ikev1.DOI_IPSEC, protocol, type, spi, new byte[0])), now);
    }

    /** Sends an informational exchange protected by HASH(1) and encryption (phase 1 must be complete). */
    private void informational(final IkeSa sa, final List<Payload> payloads, final long now)
    {
        final int mid = newMessageId(sa);
        final byte[] rest = PayloadCodec.encode(payloads);
        final byte[] hash = Ikev1Crypto.quickHash1(sa.chosen.hash(), sa.skeyidA, mid, rest);
        final IkeSa.QuickMode chainHolder = new IkeSa.QuickMode(mid, true);
        chainHolder.iv = Ikev1Crypto.phase2Iv(sa.chosen.hash(), sa.phase1LastBlock, mid, sa.chosen.cipher().blockSize());
        debug("ISAKMP: set new node " + mid + " to QM_IDLE");
        sendEncrypted(sa, Ikev1.EXCHANGE_INFORMATIONAL, mid, hash, payloads.get(0).type(), rest, chainHolder, false, now);
        debug("ISAKMP:(" + sa.connId + "):purging node " + mid);
    }

    /** An unencrypted informational NOTIFY for phase 1 failures (no keys yet). */
    private void sendPlainNotify(final IkeSa sa, final int type, final int exchange)
    {
        final byte[] body = PayloadCodec.encode(List.of(new Payload.Notify(Ikev1.DOI_IPSEC, Ikev1.PROTO_ISAKMP, type,
            new byte[0], new byte[0])));
        final IsakmpHeader h = new IsakmpHeader(sa.ckyI, sa.ckyR, Ikev1.PAYLOAD_NOTIFY, Ikev1.EXCHANGE_INFORMATIONAL, 0,
            0, Ikev1.HEADER_LENGTH + body.length);
        final byte[] d = new byte[h.length()];
        h.write(d);
        System.arraycopy(body, 0, d, Ikev1.HEADER_LENGTH, body.length);
        debug("ISAKMP: sending NOTIFY " + Ikev1.notifyName(type) + " to " + text(sa.peer) + " in answer to " +
            Ikev1.exchangeName(exchange));
        send(d, sa.peer, sa.localPort);
    }

    private void deleteSa(final IkeSa sa, final String reason, final boolean notifyPeer)
    {
        deleteSa(sa, reason, notifyPeer, notifyPeer);
    }

    /** Removes an IKE SA; with {@code children}, its IPsec SAs too (telling the peer when {@code notifyPeer}). */
    private void deleteSa(final IkeSa sa, final String reason, final boolean notifyPeer, final boolean withChildren)
    {
        if (sas.get(sa.ckyI) != sa)
        {
            return;
        }
        final long now = clock.getAsLong();
        debug("ISAKMP:(" + sa.connId + "):deleting SA reason \"" + reason + "\" state " + sa.role() + " " +
            sa.state.show() + " (peer " + sa.peer.getAddress().getHostAddress() + ")");
        if (withChildren)
        {
            final List<byte[]> spis = new ArrayList<>();
            for (final Child c : new ArrayList<>(children))
            {
                if (c.peer.equals(sa.peer.getAddress()))
                {
                    children.remove(c);
                    spis.add(Ikev1Crypto.int32((int)c.sa.spiIn()));
                    listener.childSaDeleted(c.sa, reason);
                }
            }
            if (notifyPeer && sa.established() && !spis.isEmpty())
            {
                informational(sa, List.of(new Payload.Delete(Ikev1.DOI_IPSEC, Ikev1.PROTO_IPSEC_ESP, 4, spis)), now);
            }
        }
        if (notifyPeer && sa.established())
        {
            informational(sa, List.of(new Payload.Delete(Ikev1.DOI_IPSEC, Ikev1.PROTO_ISAKMP, 16,
                List.of(cookies(sa)))), now);
        }
        final IkeSa.State old = sa.state;
        sa.state = IkeSa.State.IKE_DEST_SA;
        debug("ISAKMP:(" + sa.connId + "):Old State = " + old + "  New State = IKE_DEST_SA");
        sas.remove(sa.ckyI);
        if (pool != null && otherSas(sa).isEmpty())
        {
            releaseAddress(sa, "its last IKE SA was deleted");
        }
    }

    // =====================================================================================
    // sending, encryption, retransmission
    // =====================================================================================

    private record Opened(PayloadCodec.Chain chain, byte[] nextIv)
    {
    }

    /** Decrypts with {@code iv}; the IV for what follows (the last ciphertext block) is returned, not applied. */
    private Opened open(final IkeSa sa, final IsakmpHeader h, final byte[] d, final byte[] iv)
    {
        if (!h.encrypted())
        {
            throw new Ikev1Exception(Ikev1.INVALID_FLAGS, "message should be encrypted");
        }
        final byte[] ct = Arrays.copyOfRange(d, Ikev1.HEADER_LENGTH, d.length);
        final IkeCipher cipher = sa.chosen.cipher();
        final byte[] pt = cipher.decrypt(sa.encKey, iv, ct);
        final PayloadCodec.Chain chain = PayloadCodec.parse(h.nextPayload(), pt, 0, pt.length, true);
        if (pt.length - chain.chainEnd() >= 256)
        {
            throw Ikev1Exception.malformed((pt.length - chain.chainEnd()) + " bytes of padding");
        }
        return new Opened(chain, Arrays.copyOfRange(ct, ct.length - cipher.blockSize(), ct.length));
    }

    /** Phase 1 message: plain, or encrypted with the phase 1 IV chain ({@code sa.iv}). */
    private void sendPhase1(final IkeSa sa, final List<Payload> payloads, final boolean encrypt,
        final boolean awaitAnswer, final long now)
    {
        byte[] body = PayloadCodec.encode(payloads);
        int flags = 0;
        if (encrypt)
        {
            body = encrypt(sa, sa.iv, body, b -> sa.iv = b);
            flags = Ikev1.FLAG_ENCRYPTION;
        }
        final IsakmpHeader h = new IsakmpHeader(sa.ckyI, sa.ckyR, payloads.get(0).type(),
            sa.aggressive ? Ikev1.EXCHANGE_AGGRESSIVE : Ikev1.EXCHANGE_MAIN, flags, 0, Ikev1.HEADER_LENGTH + body.length);
        final byte[] d = assemble(h, body);
        remember(sa.pending, d, sa, awaitAnswer, now);
        debug("ISAKMP:(" + sa.connId + "): sending packet to " + sa.peer.getAddress().getHostAddress() + " my_port " +
            sa.localPort + " peer_port " + sa.peer.getPort() + " " + sa.role() + " " + sa.state.show());
        send(d, sa.peer, sa.localPort);
    }

    /** HASH payload then {@code rest}, encrypted with the exchange's IV chain. */
    private void sendEncrypted(final IkeSa sa, final int exchange, final int mid, final byte[] hash, final int restFirst,
        final byte[] rest, final IkeSa.QuickMode chainHolder, final boolean awaitAnswer, final long now)
    {
        final byte[] hashPayload = new byte[4 + hash.length];
        hashPayload[0] = (byte)restFirst;
        hashPayload[2] = (byte)((4 + hash.length) >>> 8);
        hashPayload[3] = (byte)(4 + hash.length);
        System.arraycopy(hash, 0, hashPayload, 4, hash.length);
        final byte[] plain = Ikev1Crypto.concat(hashPayload, rest);
        final byte[] body = encrypt(sa, chainHolder.iv, plain, b -> chainHolder.iv = b);
        final IsakmpHeader h = new IsakmpHeader(sa.ckyI, sa.ckyR, Ikev1.PAYLOAD_HASH, exchange, Ikev1.FLAG_ENCRYPTION,
            mid, Ikev1.HEADER_LENGTH + body.length);
        final byte[] d = assemble(h, body);
        if (exchange == Ikev1.EXCHANGE_QUICK || exchange == ModeConfig.EXCHANGE_TRANSACTION)
        {
            remember(chainHolder.pending, d, sa, awaitAnswer, now);
        }
        debug("ISAKMP:(" + sa.connId + "): sending packet to " + sa.peer.getAddress().getHostAddress() + " my_port " +
            sa.localPort + " peer_port " + sa.peer.getPort() + " " + sa.role() + " " + sa.state.show());
        send(d, sa.peer, sa.localPort);
    }

    private interface IvSink
    {
        void accept(byte[] iv);
    }

    private static byte[] encrypt(final IkeSa sa, final byte[] iv, final byte[] plain, final IvSink next)
    {
        final IkeCipher cipher = sa.chosen.cipher();
        final int padded = (plain.length + cipher.blockSize() - 1) / cipher.blockSize() * cipher.blockSize();
        final byte[] ct = cipher.encrypt(sa.encKey, iv, Arrays.copyOf(plain, padded));
        next.accept(Arrays.copyOfRange(ct, ct.length - cipher.blockSize(), ct.length));
        return ct;
    }

    private static byte[] assemble(final IsakmpHeader h, final byte[] body)
    {
        final byte[] d = new byte[Ikev1.HEADER_LENGTH + body.length];
        h.write(d);
        System.arraycopy(body, 0, d, Ikev1.HEADER_LENGTH, body.length);
        return d;
    }

    private void remember(final IkeSa.Pending p, final byte[] d, final IkeSa sa, final boolean awaitAnswer,
        final long now)
    {
        p.datagram = d;
        p.to = sa.peer;
        p.localPort = sa.localPort;
        p.awaiting = awaitAnswer;
        p.count = 0;
        p.nextAt = now + settings.retransmitMillis();
    }

    /** Resends an unanswered message when due; false when the limit is reached. */
    private boolean retransmitIfDue(final IkeSa sa, final IkeSa.Pending p, final long now, final String what)
    {
        if (!p.awaiting || now < p.nextAt)
        {
            return true;
        }
        if (p.count >= settings.retransmitLimit())
        {
            log.event("ISAKMP:(" + sa.connId + "): no answer from " + text(sa.peer) + " to " + what + " after " +
                p.count + " retransmissions: giving up");
            p.awaiting = false;
            return false;
        }
        p.count++;
        retransmits++;
        p.nextAt = now + settings.retransmitMillis() * (1L << Math.min(p.count, 3));
        debug("ISAKMP:(" + sa.connId + "): retransmitting " + what + " to " + text(p.to) + " (" + p.count + ")");
        send(p.datagram, p.to, p.localPort);
        return true;
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
    private void heard(final IkeSa sa, final InetSocketAddress from, final int localPort, final long now)
    {
        sa.lastHeard = now;
        if (localPort == NAT_T_PORT && sa.natDetected() && !from.equals(sa.peer))
        {
            debug("ISAKMP:(" + sa.connId + "): peer moved from " + text(sa.peer) + " to " + text(from));
            sa.peer = from;
            sa.localPort = NAT_T_PORT;
        }
    }

    // =====================================================================================
    // small helpers
    // =====================================================================================

    private void transition(final IkeSa sa, final IkeSa.State next, final String input)
    {
        debug("ISAKMP:(" + sa.connId + "):Input = " + input);
        debug("ISAKMP:(" + sa.connId + "):Old State = " + sa.state + "  New State = " + next);
        sa.state = next;
    }

    private void debug(final String line)
    {
        if (log.debugEnabled())
        {
            log.debug(line);
        }
    }

    private static <T extends Payload> T require(final PayloadCodec.Chain chain, final Class<T> kind, final String what)
    {
        final T p = chain.first(kind);
        if (p == null)
        {
            throw Ikev1Exception.malformed(what + " without " + kind.getSimpleName() + " payload");
        }
        return p;
    }

    private IkeSa saFor(final InetAddress peer)
    {
        IkeSa found = null;
        for (final IkeSa sa : sas.values())
        {
            if (sa.peer.getAddress().equals(peer) && (found == null || sa.established() || !found.established()))
            {
                found = sa;   // the newest established one, else the newest
            }
        }
        return found;
    }

    /** The newest established IKE SA with a peer, or null. */
    private IkeSa liveSaFor(final InetAddress peer)
    {
        final IkeSa sa = saFor(peer);
        return sa != null && sa.established() ? sa : null;
    }

    private List<IkeSa> otherSas(final IkeSa sa)
    {
        return sas.values().stream().filter(s -> s != sa && s.peer.getAddress().equals(sa.peer.getAddress())).toList();
    }

    private static byte[] cookies(final IkeSa sa)
    {
        return Ikev1Crypto.cookies(sa.ckyI, sa.ckyR);
    }

    private long cookie()
    {
        long c;
        do
        {
            c = random.nextLong();
        }
        while (c == 0 || sas.containsKey(c));
        return c;
    }

    private int newMessageId(final IkeSa sa)
    {
        int mid;
        do
        {
            mid = random.nextInt();
        }
        while (mid == 0 || sa.quickModes.containsKey(mid) || sa.pastMessageIds.contains(mid));
        sa.rememberMessageId(mid);
        return mid;
    }

    /** A random SPI above the reserved 1-255 range, unique among our inbound SPIs. */
    private int newSpi()
    {
        while (true)
        {
            final int spi = random.nextInt();
            if (Integer.compareUnsigned(spi, 0x1000) < 0)
            {
                continue;
            }
            final long value = spi & 0xffff_ffffL;
            if (children.stream().noneMatch(c -> c.sa.spiIn() == value) && !pendingSpi(spi))
            {
                return spi;
            }
        }
    }

    /** True if a quick mode under way already chose this inbound SPI. */
    private boolean pendingSpi(final int spi)
    {
        for (final IkeSa sa : sas.values())
        {
            for (final IkeSa.QuickMode qm : sa.quickModes.values())
            {
                if (qm.spiIn == spi)
                {
                    return true;
                }
            }
        }
        return false;
    }

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
