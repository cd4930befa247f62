package io.sluice.controlplane.ike.v1;

/**
 * A message or a negotiation step that cannot go on: malformed or truncated input, a payload
 * length that lies, no acceptable proposal, a hash that does not verify. Thrown on the control
 * path only; the engine catches it per message, logs the message with the peer, counts it and
 * drops the datagram (answering with {@link #notifyType()} where RFC 2408 says to).
 */
public final class Ikev1Exception extends RuntimeException
{
    private final int notifyType;

    public Ikev1Exception(final int notifyType, final String message)
    {
        super(message);
        this.notifyType = notifyType;
    }

    /** A malformed or truncated message: PAYLOAD-MALFORMED. */
    public static Ikev1Exception malformed(final String message)
    {
        return new Ikev1Exception(Ikev1.PAYLOAD_MALFORMED, message);
    }

    /** The RFC 2408 notify type that names the problem. */
    public int notifyType()
    {
        return notifyType;
    }
}
