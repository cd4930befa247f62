package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.ike.DiffieHellman;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * One ISAKMP SA as {@link Ikev1Engine} keeps it: cookies, where the peer is, the phase 1 state and
 * keys, the quick modes running under it, DPD and retransmission state. Only the engine touches it.
 */
final class IkeSa
{
    /** The states of {@code debug crypto isakmp}, each with the {@code show crypto isakmp sa} state it is in. */
    enum State
    {
        IKE_READY("MM_NO_STATE"),
        IKE_I_MM1("MM_NO_STATE"),
        IKE_I_MM2("MM_SA_SETUP"),
        IKE_I_MM3("MM_SA_SETUP"),
        IKE_I_MM4("MM_KEY_EXCH"),
        IKE_I_MM5("MM_KEY_EXCH"),
        IKE_I_MM6("MM_KEY_EXCH"),
        IKE_R_MM1("MM_NO_STATE"),
        IKE_R_MM2("MM_SA_SETUP"),
        IKE_R_MM3("MM_SA_SETUP"),
        IKE_R_MM4("MM_KEY_EXCH"),
        IKE_R_MM5("MM_KEY_EXCH"),
        IKE_I_AM1("AG_NO_STATE"),
        IKE_I_AM2("AG_INIT_EXCH"),
        IKE_R_AM1("AG_NO_STATE"),
        IKE_R_AM2("AG_INIT_EXCH"),
        IKE_R_AM3("AG_AUTH"),
        IKE_P1_COMPLETE("QM_IDLE"),
        IKE_DEST_SA("MM_NO_STATE");

        private final String show;

        State(final String show)
        {
            this.show = show;
        }

        String show()
        {
            return show;
        }
    }

    /** A message we may have to send again: on a duplicate of what it answered, or when no answer comes. */
    static final class Pending
    {
        byte[] datagram;
        int localPort;
        InetSocketAddress to;
        /** Waiting for an answer: retransmit on timeout. */
        boolean awaiting;
        long nextAt;
        int count;
        /** The digest of the message this one answered (a duplicate of it gets this again). */
        byte[] answered;
    }

    /** One quick mode exchange. */
    static final class QuickMode
    {
        final int messageId;
        final boolean initiator;
        String state;
        byte[] iv;
        int spiIn;
        int spiOut;
        byte[] ni;
        byte[] nr;
        DiffieHellman dh;
        int pfsGroup;
        java.util.List<EspProposal> offered;
        EspProposal chosen;
        Selector localSelector;
        Selector remoteSelector;
        byte[] keyIn;
        byte[] keyOut;
        boolean done;
        long doneAt;
        /** The inbound SPI of the child SA this quick mode replaces (make-before-break), 0 for none. */
        long rekeys;
        final Pending pending = new Pending();

        QuickMode(final int messageId, final boolean initiator)
        {
            this.messageId = messageId;
            this.initiator = initiator;
        }
    }

    final boolean initiator;
    final long ckyI;
    long ckyR;
    final int connId;
    InetSocketAddress peer;
    int localPort;
    State state = State.IKE_READY;
    boolean aggressive;

    // negotiation
    java.util.List<Phase1Transform> offered;
    Phase1Transform chosen;
    byte[] saiB;
    DiffieHellman dh;
    byte[] gxi;
    byte[] gxr;
    byte[] ni;
    byte[] nr;
    byte[] psk;
    byte[] peerIdBody;
    String peerId;
    /** rsa-encr: the peer's identity as it came encrypted in MM3/MM4 or AM1/AM2 (MM5/MM6 carry none). */
    Payload.Identification peerIdentification;
    /** rsa-encr: the public key we encrypt to ({@code crypto key pubkey-chain rsa}). */
    Ikev1Settings.PeerKey peerKey;
    /**
     * rsa-encr: why the peer cannot be authenticated, found when its encrypted identity or nonce was
     * read; the exchange goes on to the HASH, where it is refused (see Ikev1Engine#readEncrypted).
     */
    String authFailure;

    // keys (never logged)
    byte[] skeyid;
    byte[] skeyidD;
    byte[] skeyidA;
    byte[] skeyidE;
    byte[] encKey;
    byte[] iv;
    byte[] phase1LastBlock;

    // peer capabilities and NAT
    boolean peerDpd;
    boolean natT;
    boolean natTRfc;
    boolean localBehindNat;
    boolean peerBehindNat;
    int authFailures;

    // timers
    long expiresAt = Long.MAX_VALUE;
    /** When we renegotiate phase 1 (initiator only), before {@link #expiresAt}. */
    long rekeyAt = Long.MAX_VALUE;
    /** A newer IKE SA with the peer exists or is being negotiated: this one is not renegotiated again. */
    boolean replaced;
    long lastHeard;
    final Pending pending = new Pending();
    long nextNatKeepalive;

    // DPD
    int dpdSeq;
    boolean dpdOutstanding;
    int dpdRetries;
    long dpdNextAt;
    long dpdLastSent;
    int dpdFirstOutstandingSeq;
    long peerDpdSeq = -1;

    // mode config: the transaction exchange under way or last done (its IV chain and retransmission)
    QuickMode transaction;
    int cfgType;
    int cfgIdentifier;
    /** Gateway: the address lent to the peer from the pool; confirmed once it ACKed or we REPLYed. */
    io.sluice.controlplane.config.Ip4 poolAddress;
    boolean addressConfirmed;
    /** Client: the address the gateway gave us, our proxy identity in quick mode. */
    io.sluice.controlplane.config.Ip4 virtualAddress;

    final Map<Integer, QuickMode> quickModes = new HashMap<>();
    /** Message ids of exchanges already run under this SA, newest last: a replay of one is dropped. */
    final java.util.LinkedHashSet<Integer> pastMessageIds = new java.util.LinkedHashSet<>();

    /** Remembers a finished exchange's message id (the last 1024). */
    void rememberMessageId(final int messageId)
    {
        pastMessageIds.add(messageId);
        if (pastMessageIds.size() > 1024)
        {
            pastMessageIds.remove(pastMessageIds.iterator().next());
        }
    }

    IkeSa(final boolean initiator, final long ckyI, final int connId, final InetSocketAddress peer, final long now)
    {
        this.initiator = initiator;
        this.ckyI = ckyI;
        this.connId = connId;
        this.peer = peer;
        this.localPort = peer.getPort() == Ikev1Engine.NAT_T_PORT ? Ikev1Engine.NAT_T_PORT : Ikev1Engine.IKE_PORT;
        this.lastHeard = now;
    }

    boolean established()
    {
        return state == State.IKE_P1_COMPLETE;
    }

    boolean natDetected()
    {
        return localBehindNat || peerBehindNat;
    }

    /** "(I)" or "(R)", as IOS marks which side we are. */
    String role()
    {
        return initiator ? "(I)" : "(R)";
    }
}
