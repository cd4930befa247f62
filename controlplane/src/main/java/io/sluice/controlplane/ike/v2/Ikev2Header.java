package io.sluice.controlplane.ike.v2;

import java.nio.ByteBuffer;

/**
 * The IKE header (RFC 7296 3.1): both SPIs, the first payload's type, version 2.0, the exchange,
 * the Initiator/Response flags, the message id and the total length.
 */
public record Ikev2Header(long spiI, long spiR, int nextPayload, int exchange, int flags, int messageId, int length)
{
    /** True if the original initiator of the IKE SA sent it. */
    public boolean fromInitiator()
    {
        return (flags & Ikev2.FLAG_INITIATOR) != 0;
    }

    public boolean response()
    {
        return (flags & Ikev2.FLAG_RESPONSE) != 0;
    }

    /**
     * Reads and checks the header of a datagram of {@code available} bytes.
     *
     * @throws Ikev2Exception if it is short, not version 2, or its length disagrees with the datagram.
     */
    public static Ikev2Header parse(final byte[] d, final int available)
    {
        if (available < Ikev2.HEADER_LENGTH)
        {
            throw Ikev2Exception.malformed("message of " + available + " bytes is shorter than the IKE header");
        }
        final ByteBuffer b = ByteBuffer.wrap(d, 0, available);
        final long spiI = b.getLong();
        final long spiR = b.getLong();
        final int next = b.get() & 0xff;
        final int version = b.get() & 0xff;
        final int exchange = b.get() & 0xff;
        final int flags = b.get() & 0xff;
        final int messageId = b.getInt();
        final long length = b.getInt() & 0xffff_ffffL;
        if ((version >>> 4) != 2)
        {
            throw new Ikev2Exception(Ikev2.INVALID_MAJOR_VERSION, "IKE major version " + (version >>> 4));
        }
        if (length != available)
        {
            throw Ikev2Exception.malformed("header length " + length + " but the datagram holds " + available +
                " bytes");
        }
        return new Ikev2Header(spiI, spiR, next, exchange, flags, messageId, (int)length);
    }

    public void write(final byte[] d)
    {
        ByteBuffer.wrap(d).putLong(spiI).putLong(spiR).put((byte)nextPayload).put((byte)Ikev2.VERSION)
            .put((byte)exchange).put((byte)flags).putInt(messageId).putInt(length);
    }

    @Override
    public String toString()
    {
        return Ikev2.exchangeName(exchange) + (response() ? " response" : " request") + " " + messageId + " [" +
            Long.toHexString(spiI) + "_i " + Long.toHexString(spiR) + "_r" + (fromInitiator() ? " I" : "") + "]";
    }
}
