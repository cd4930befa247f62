package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.DiffieHellman;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * One IKE SA as the engine tracks it: roles, SPIs, keys, both message-id windows (size 1 each),
 * its children and timers. Mutable, owned by {@link Ikev2Engine} under its lock.
 */
final class Ikev2Sa
{
    enum State
    {
        /** Initiator: IKE_SA_INIT request sent. */
        INIT_SENT("IN-NEG"),
        /** Initiator: IKE_AUTH request sent. */
        AUTH_SENT("IN-NEG"),
        /** Responder: IKE_SA_INIT answered, IKE_AUTH awaited. */
        INIT_ANSWERED("IN-NEG"),
        ESTABLISHED("READY"),
        /** Replaced by a rekeyed IKE SA, waiting for its delete. */
        REKEYED("REKEYED"),
        /** Our delete is on its way. */
        DELETING("DELETE");

        final String show;

        State(final String show)
        {
            this.show = show;
        }
    }

    /**
     * A message arriving in SKF fragments (RFC 7383 2.6): the decrypted piece of each, by fragment
     * number, kept only after its own ICV verified.
     */
    static final class Reassembly
    {
        final int messageId;
        final boolean response;
        final int total;
        final byte[][] pieces;
        final long startedAt;
        int firstInner;
        int received;
        int bytes;

        Reassembly(final int messageId, final boolean response, final int total, final long startedAt)
        {
            this.messageId = messageId;
            this.response = response;
            this.total = total;
            this.pieces = new byte[total][];
            this.startedAt = startedAt;
        }
    }

    /** A request of ours: sent when the window is free, retransmitted until answered. */
    static final class Request
    {
        enum Kind
        {
            INIT, AUTH, CREATE_CHILD, REKEY_CHILD, REKEY_IKE, DELETE_CHILD, DELETE_IKE, LIVENESS
        }

        final Kind kind;
        final int exchange;
        final List<Payload> payloads;
        int messageId = -1;
        byte[] datagram;
        /** What goes on the wire: {@code datagram}, or its fragments (RFC 7383), all resent together. */
        List<byte[]> datagrams;
        long nextAt;
        int count;
        // context of what it negotiates
        long spiIn;
        long newIkeSpi;
        byte[] nonce;
        DiffieHellman dh;
        List<ChildSuite> offered = List.of();
        List<Ikev2Settings.Proposal> ikeOffer = List.of();
        Child old;
        TrafficSelector tsi;
        TrafficSelector tsr;
        boolean transport;
        List<Child> deleting = List.of();

        Request(final Kind kind, final int exchange, final List<Payload> payloads)
        {
            this.kind = kind;
            this.exchange = exchange;
            this.payloads = payloads;
        }
    }

    /** A child SA and its rekeying state. */
    static final class Child
    {
        ChildSa sa;
        ChildSuite suite;
        Ikev2Settings.ChildPolicy policy;
        TrafficSelector local;
        TrafficSelector remote;
        boolean transport;
        boolean createdByUs;
        long createdAt;
        long rekeyAt;
        long expiresAt;
        boolean rekeying;
        boolean deleting;
        /** The replacement we negotiated, and the lowest nonce of that exchange. */
        Child ourRekey;
        byte[] ourLowestNonce;
        /** The replacement the peer negotiated, and the lowest nonce of that exchange. */
        Child peerRekey;
        byte[] peerLowestNonce;
        boolean collisionResolved;
    }

    final boolean initiator;
    final int id;
    long spiI;
    long spiR;
    InetSocketAddress peer;
    int localPort;
    State state;
    final long createdAt;
    long establishedAt;
    Ikev2Settings.Peer peerConfig;
    IkeSuite suite;
    Ikev2Crypto.Keys keys;
    byte[] ni;
    byte[] nr;
    byte[] initRequest;
    byte[] initResponse;
    DiffieHellman dh;
    byte[] cookie;
    int cookieRetries;
    int keRetries;
    String peerId;
    String localId;
    /** The peer sent SIGNATURE_HASH_ALGORITHMS (RFC 7427): we sign with method 14. */
    boolean peerSignatureHashes;
    /** Both sides sent IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383). */
    boolean fragmentation;
    /** The fragments of the message being reassembled, or null. */
    Reassembly reassembly;
    /** How the peer authenticated, for show: "PSK", "RSA", "ECDSA". */
    String authVerify = "PSK";
    boolean natLocal;
    boolean natRemote;
    long nextNatKeepalive;
    long lastHeard;
    long rekeyAt = Long.MAX_VALUE;
    long expiresAt = Long.MAX_VALUE;
    boolean rekeyingIke;
    /**
     * Simultaneous IKE SA rekeying (RFC 7296 2.8.2): the new IKE SA the peer made by rekeying this
     * one while our own rekey of it was out, and the lowest nonce of the peer's exchange. Kept
     * aside, without children, until our exchange is answered and the four nonces say which new SA
     * survives.
     */
    Ikev2Sa peerRekey;
    byte[] peerRekeyLowestNonce;
    /** On such a peer-made SA, while the collision is open: the IKE SA it rekeys. */
    Ikev2Sa rekeyOf;
    int authFailures;
    // our requests
    int nextRequestId;
    Request outstanding;
    final Deque<Request> queue = new ArrayDeque<>();
    // the peer's requests
    int expectedRequestId;
    int lastResponseId = -1;
    byte[] lastResponse;
    /** The datagrams of the last response: {@code lastResponse}, or its fragments. */
    List<byte[]> lastResponseDatagrams;
    // liveness
    long livenessLastSent;
    final List<Child> children = new ArrayList<>();

    Ikev2Sa(final boolean initiator, final int id, final long spiI, final InetSocketAddress peer, final int localPort,
        final long now)
    {
        this.initiator = initiator;
        this.id = id;
        this.spiI = spiI;
        this.peer = peer;
        this.localPort = localPort;
        this.createdAt = now;
        this.lastHeard = now;
    }

    long ourSpi()
    {
        return initiator ? spiI : spiR;
    }

    boolean established()
    {
        return state == State.ESTABLISHED;
    }

    boolean natDetected()
    {
        return natLocal || natRemote;
    }

    /** Header flags of what we send: I if we are the original initiator, R on responses. */
    int flags(final boolean response)
    {
        return (initiator ? Ikev2.FLAG_INITIATOR : 0) | (response ? Ikev2.FLAG_RESPONSE : 0);
    }

    /** Keys for what we send and what we receive. */
    byte[] encOut()
    {
        return initiator ? keys.skEi() : keys.skEr();
    }

    byte[] integOut()
    {
        return initiator ? keys.skAi() : keys.skAr();
    }

    byte[] encIn()
    {
        return initiator ? keys.skEr() : keys.skEi();
    }

    byte[] integIn()
    {
        return initiator ? keys.skAr() : keys.skAi();
    }

    boolean busy()
    {
        return outstanding != null || !queue.isEmpty();
    }
}
