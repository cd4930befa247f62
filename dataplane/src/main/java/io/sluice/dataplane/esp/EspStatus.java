package io.sluice.dataplane.esp;

/**
 * What {@link EspCodec#encrypt} and {@link EspCodec#decrypt} return: {@link #OK}, or the reason the
 * packet is dropped. Each reason is counted on the SA ({@link SecurityAssociation#drops(int)}); a
 * graph node passes {@link #dropReasons()} to its {@code Node} constructor, so the status is the
 * node's drop reason index as it is (VPP's per-node error counters, one per reason).
 * <p>
 * An unknown SPI is not here: the caller looks the SA up and counts that itself.
 */
public final class EspStatus
{
    /** Done: the packet is at {@link EspCodec#start()}, {@link EspCodec#length()} bytes long. */
    public static final int OK = 0;
    /** Shorter than its headers, IV and ICV say it must be, or its length is no whole number of cipher blocks. */
    public static final int TRUNCATED = 1;
    /** Not ESP: not protocol 50, UDP without room for ESP, a non-ESP marker (IKE on 4500), a fragment, not IPv4. */
    public static final int NOT_ESP = 2;
    /** The packet's SPI is not the SA's (the caller looked up the wrong SA). */
    public static final int SPI_MISMATCH = 3;
    /** A sequence number already received, inside the anti-replay window. */
    public static final int REPLAY = 4;
    /** A sequence number left of the anti-replay window (or 0, which no sender uses). */
    public static final int TOO_OLD = 5;
    /** The ICV did not verify: forged, corrupted or the wrong key. Nothing is delivered. */
    public static final int ICV_FAILURE = 6;
    /** Authentic, but the padding is not 1, 2, 3, ... (RFC 4303 2.4) or longer than the payload. */
    public static final int BAD_PADDING = 7;
    /** Authentic, but the next header cannot be carried in this mode (tunnel mode carries IPv4, 4). */
    public static final int BAD_NEXT_HEADER = 8;
    /** Tunnel mode: the decrypted packet is no whole IPv4 packet. */
    public static final int BAD_INNER_PACKET = 9;
    /** Next header 59: a traffic-flow-confidentiality dummy packet (RFC 4303 2.6), dropped by design. */
    public static final int DUMMY_PACKET = 10;
    /** The SA's hard lifetime (seconds or kilobytes) is reached: it processes nothing more. */
    public static final int LIFETIME_EXPIRED = 11;
    /** Outbound: the sequence number would pass 2^32-1 (2^64-1 with ESN); the SA must be replaced. */
    public static final int SEQUENCE_EXHAUSTED = 12;
    /** Outbound: not enough room in the frame in front of the packet for the new headers. */
    public static final int NO_HEADROOM = 13;
    /** Outbound: not enough room in the frame behind the packet for padding, trailer and ICV. */
    public static final int NO_TAILROOM = 14;
    /** The SA was destroyed: it has no keys any more. */
    public static final int SA_DEAD = 15;
    /** An inbound SA was given to encrypt, or an outbound one to decrypt. */
    public static final int WRONG_DIRECTION = 16;
    /** The crypto provider failed in a way the ICV does not explain; see the engine. */
    public static final int CRYPTO_ERROR = 17;
    /** Outbound: not a whole IPv4 packet. */
    public static final int BAD_PACKET = 18;

    /** The number of status codes: status values are 0 .. COUNT-1. */
    public static final int COUNT = 19;

    private static final String[] NAMES = {
        "ok", "truncated", "not-esp", "spi-mismatch", "replay", "too-old", "icv-failure", "bad-padding",
        "bad-next-header", "bad-inner-packet", "dummy-packet", "lifetime-expired", "sequence-exhausted",
        "no-headroom", "no-tailroom", "sa-dead", "wrong-direction", "crypto-error", "bad-packet"};

    private EspStatus()
    {
    }

    /** The counter name of a status ("replay", "icv-failure", ...). */
    public static String name(final int status)
    {
        return status >= 0 && status < COUNT ? NAMES[status] : "unknown-" + status;
    }

    /** Every name, indexed by status: the drop reasons of an ESP graph node (index 0, "ok", is never a drop). */
    public static String[] dropReasons()
    {
        return NAMES.clone();
    }
}
