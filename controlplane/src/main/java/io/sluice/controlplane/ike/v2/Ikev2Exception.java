package io.sluice.controlplane.ike.v2;

/**
 * A message or a negotiation step that cannot go on: malformed or truncated input, a length that
 * lies, no acceptable proposal, an AUTH or ICV that does not verify. Thrown on the control path
 * only; the engine catches it per message, logs it with the peer, counts it and drops the datagram,
 * answering with {@link #notifyType()} where RFC 7296 says to.
 */
public final class Ikev2Exception extends RuntimeException
{
    private final int notifyType;

    public Ikev2Exception(final int notifyType, final String message)
    {
        super(message);
        this.notifyType = notifyType;
    }

    /** A malformed or truncated message: INVALID_SYNTAX. */
    public static Ikev2Exception malformed(final String message)
    {
        return new Ikev2Exception(Ikev2.INVALID_SYNTAX, message);
    }

    /** The RFC 7296 notify type that names the problem. */
    public int notifyType()
    {
        return notifyType;
    }
}
