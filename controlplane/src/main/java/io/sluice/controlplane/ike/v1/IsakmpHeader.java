package io.sluice.controlplane.ike.v1;

import java.nio.ByteBuffer;

/**
 * The 28-byte ISAKMP header (RFC 2408 3.1): cookies, first payload, version, exchange type,
 * flags, message id, length.
 *
 * @param initiatorCookie the initiator's SPI (CKY-I).
 * @param responderCookie the responder's SPI (CKY-R), 0 in the first message.
 * @param nextPayload     the type of the first payload.
 * @param exchangeType    {@link Ikev1#EXCHANGE_MAIN} and the others.
 * @param flags           {@link Ikev1#FLAG_ENCRYPTION}, {@link Ikev1#FLAG_COMMIT}, {@link Ikev1#FLAG_AUTH_ONLY}.
 * @param messageId       0 in phase 1.
 * @param length          the whole message, header included.
 */
public record IsakmpHeader(
    long initiatorCookie, long responderCookie, int nextPayload, int exchangeType, int flags, int messageId, int length)
{
    public boolean encrypted()
    {
        return (flags & Ikev1.FLAG_ENCRYPTION) != 0;
    }

    /**
     * Reads the header of a whole datagram and checks it against the datagram.
     *
     * @throws Ikev1Exception if the datagram is shorter than a header, the version is not 1.x, or the
     *                        length field does not equal the datagram's length.
     */
    public static IsakmpHeader parse(final byte[] datagram, final int length)
    {
        if (length < Ikev1.HEADER_LENGTH)
        {
            throw Ikev1Exception.malformed("truncated ISAKMP header: " + length + " bytes, need " + Ikev1.HEADER_LENGTH);
        }
        final ByteBuffer b = ByteBuffer.wrap(datagram, 0, length);
        final long icookie = b.getLong();
        final long rcookie = b.getLong();
        final int next = b.get() & 0xff;
        final int version = b.get() & 0xff;
        final int exchange = b.get() & 0xff;
        final int flags = b.get() & 0xff;
        final int messageId = b.getInt();
        final long declared = b.getInt() & 0xffff_ffffL;
        if ((version & 0xf0) != Ikev1.VERSION)
        {
            throw new Ikev1Exception(Ikev1.INVALID_MAJOR_VERSION,
                "ISAKMP major version " + (version >>> 4) + " (not IKEv1)");
        }
        if (declared != length)
        {
            throw Ikev1Exception.malformed("ISAKMP header says " + declared + " bytes, datagram has " + length);
        }
        if ((flags & ~(Ikev1.FLAG_ENCRYPTION | Ikev1.FLAG_COMMIT | Ikev1.FLAG_AUTH_ONLY)) != 0)
        {
            throw new Ikev1Exception(Ikev1.INVALID_FLAGS, "unknown ISAKMP header flags 0x" + Integer.toHexString(flags));
        }
        return new IsakmpHeader(icookie, rcookie, next, exchange, flags, messageId, length);
    }

    /** Writes the header at the start of {@code out}. */
    public void write(final byte[] out)
    {
        final ByteBuffer b = ByteBuffer.wrap(out);
        b.putLong(initiatorCookie).putLong(responderCookie).put((byte)nextPayload).put((byte)Ikev1.VERSION)
            .put((byte)exchangeType).put((byte)flags).putInt(messageId).putInt(length);
    }

    public IsakmpHeader withLength(final int newLength)
    {
        return new IsakmpHeader(initiatorCookie, responderCookie, nextPayload, exchangeType, flags, messageId, newLength);
    }
}
