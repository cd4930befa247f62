package io.sluice.controlplane.ike.v1;

import java.util.HexFormat;
import java.util.List;

/**
 * The payloads of an IKEv1 message, decoded. {@link PayloadCodec} reads and writes them with their
 * generic headers; the records hold only the bodies' fields. Byte arrays are not copied: a payload
 * is built, sent or read, and dropped.
 */
public sealed interface Payload
{
    /** The payload type, as the previous payload's next-payload field names it. */
    int type();

    /**
     * Security Association (RFC 2408 3.4): DOI, situation, proposals.
     */
    record Sa(int doi, int situation, List<Proposal> proposals) implements Payload
    {
        public Sa
        {
            proposals = List.copyOf(proposals);
        }

        @Override
        public int type()
        {
            return Ikev1.PAYLOAD_SA;
        }
    }

    /** A proposal (RFC 2408 3.5); proposals with the same number are ANDed (AH+ESP), not used here. */
    record Proposal(int number, int protocolId, byte[] spi, List<Transform> transforms)
    {
        public Proposal
        {
            transforms = List.copyOf(transforms);
        }
    }

    /** A transform (RFC 2408 3.6) with its attributes. */
    record Transform(int number, int transformId, List<Attribute> attributes)
    {
        public Transform
        {
            attributes = List.copyOf(attributes);
        }

        /** The first attribute of that type, or null. */
        public Attribute attribute(final int attributeType)
        {
            for (final Attribute a : attributes)
            {
                if (a.type() == attributeType)
                {
                    return a;
                }
            }
            return null;
        }
    }

    /**
     * A data attribute (RFC 2408 3.3): basic (TV, 16-bit value) or variable (TLV).
     *
     * @param type  the attribute type, without the AF bit.
     * @param value the value bytes: 2 for a basic attribute.
     * @param basic true for the TV form.
     */
    record Attribute(int type, byte[] value, boolean basic)
    {
        public static Attribute basic(final int type, final int value)
        {
            return new Attribute(type, new byte[]{(byte)(value >>> 8), (byte)value}, true);
        }

        /** A number: basic if it fits in 16 bits, else a 4-byte variable attribute. */
        public static Attribute number(final int type, final long value)
        {
            if (value >= 0 && value <= 0xffff)
            {
                return basic(type, (int)value);
            }
            return new Attribute(type, new byte[]{
                (byte)(value >>> 24), (byte)(value >>> 16), (byte)(value >>> 8), (byte)value}, false);
        }

        /**
         * The value as an unsigned number.
         *
         * @throws Ikev1Exception if a variable value is longer than 8 bytes or would not fit a long.
         */
        public long longValue()
        {
            if (value.length > 8 || value.length == 8 && value[0] < 0)
            {
                throw Ikev1Exception.malformed("attribute " + type + " value of " + value.length + " bytes is too large");
            }
            long v = 0;
            for (final byte b : value)
            {
                v = v << 8 | (b & 0xff);
            }
            return v;
        }

        @Override
        public String toString()
        {
            return "Attribute[" + type + "=" + (value.length <= 8 ? Long.toString(longValue()) : "0x" +
                HexFormat.of().formatHex(value)) + "]";
        }
    }

    /** Key Exchange (RFC 2408 3.7): the DH public value. */
    record KeyExchange(byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev1.PAYLOAD_KE;
        }
    }

    /** Nonce (RFC 2408 3.13); RFC 2409 wants 8 to 256 bytes. */
    record Nonce(byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev1.PAYLOAD_NONCE;
        }
    }

    /**
     * Identification (RFC 2407 4.6.2): in phase 1 the peer's identity, in quick mode a proxy
     * identity (traffic selector).
     */
    record Identification(int idType, int protocol, int port, byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev1.PAYLOAD_ID;
        }

        /** The body as the hashes take it (IDii_b): type, protocol, port, data. */
        public byte[] body()
        {
            final byte[] b = new byte[4 + data.length];
            b[0] = (byte)idType;
            b[1] = (byte)protocol;
            b[2] = (byte)(port >>> 8);
            b[3] = (byte)port;
            System.arraycopy(data, 0, b, 4, data.length);
            return b;
        }
    }

    /** Hash (RFC 2408 3.11). */
    record Hash(byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev1.PAYLOAD_HASH;
        }
    }

    /** Notification (RFC 2408 3.14). */
    record Notify(int doi, int protocolId, int notifyType, byte[] spi, byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev1.PAYLOAD_NOTIFY;
        }
    }

    /** Delete (RFC 2408 3.15): SPIs of one protocol, all of the same size. */
    record Delete(int doi, int protocolId, int spiSize, List<byte[]> spis) implements Payload
    {
        public Delete
        {
            spis = List.copyOf(spis);
        }

        @Override
        public int type()
        {
            return Ikev1.PAYLOAD_DELETE;
        }
    }

    /** Vendor ID (RFC 2408 3.16). */
    record VendorId(byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev1.PAYLOAD_VENDOR_ID;
        }
    }

    /** NAT-D (RFC 3947 3.2): HASH(CKY-I | CKY-R | IP | Port). {@code type} is 20 or the drafts' 130. */
    record NatD(int type, byte[] hash) implements Payload
    {
    }

    /** NAT-OA (RFC 3947 5.2): an original address. {@code type} is 21 or the drafts' 131. */
    record NatOa(int type, int idType, byte[] address) implements Payload
    {
    }

    /**
     * Attribute payload of the transaction exchange (draft-dukes-ike-mode-cfg 3.2): a
     * CFG_REQUEST/REPLY/SET/ACK with its identifier and attributes (a zero-length variable
     * attribute asks for, or acknowledges, that attribute).
     */
    record Attributes(int cfgType, int identifier, List<Attribute> attributes) implements Payload
    {
        public Attributes
        {
            attributes = List.copyOf(attributes);
        }

        @Override
        public int type()
        {
            return ModeConfig.PAYLOAD_ATTRIBUTES;
        }

        /** The first attribute of that type, or null. */
        public Attribute attribute(final int attributeType)
        {
            for (final Attribute a : attributes)
            {
                if (a.type() == attributeType)
                {
                    return a;
                }
            }
            return null;
        }
    }

    /** A payload kept as bytes and not acted on: certificates, certificate requests, signatures. */
    record Opaque(int type, byte[] body) implements Payload
    {
    }
}
