package io.sluice.controlplane.ike.v2;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

/**
 * The IKEv2 payloads (RFC 7296 3.2-3.16) as values. {@link PayloadCodec} reads and writes them;
 * every record checks nothing itself: the codec parses strictly and the engine decides.
 */
public sealed interface Payload
{
    /** The payload type of the generic payload header. */
    int type();

    /** SA (3.3): proposals in order of preference. */
    record Sa(List<Proposal> proposals) implements Payload
    {
        public Sa
        {
            proposals = List.copyOf(proposals);
        }

        @Override
        public int type()
        {
            return Ikev2.PAYLOAD_SA;
        }
    }

    /** A proposal substructure: number (1 first), protocol, SPI (empty for a first IKE SA), transforms. */
    record Proposal(int number, int protocol, byte[] spi, List<Transform> transforms)
    {
        public Proposal
        {
            transforms = List.copyOf(transforms);
        }

        public List<Transform> of(final int transformType)
        {
            return transforms.stream().filter(t -> t.type() == transformType).toList();
        }
    }

    /**
     * A transform substructure (3.3.2): type, id and the key length attribute (0 when absent). An
     * attribute other than the key length makes the transform one we cannot accept
     * ({@code unknownAttribute}), as 3.3.6 says.
     */
    record Transform(int type, int id, int keyLength, boolean unknownAttribute)
    {
        public static Transform of(final int type, final int id)
        {
            return new Transform(type, id, 0, false);
        }

        public static Transform of(final int type, final int id, final int keyLength)
        {
            return new Transform(type, id, keyLength, false);
        }
    }

    /** KE (3.4): the Diffie-Hellman group and our public value. */
    record KeyExchange(int group, byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev2.PAYLOAD_KE;
        }
    }

    /** Ni or Nr (3.9): 16 to 256 bytes. */
    record Nonce(byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev2.PAYLOAD_NONCE;
        }
    }

    /** IDi or IDr (3.5). */
    record Identification(int type, int idType, byte[] data) implements Payload
    {
        /** ID type, three reserved bytes, data: what MACedIDFor[I|R] covers (2.15). */
        public byte[] body()
        {
            final byte[] b = new byte[4 + data.length];
            b[0] = (byte)idType;
            System.arraycopy(data, 0, b, 4, data.length);
            return b;
        }

        /** For logs and {@code show}: "10.0.0.1", "gw.example.com", "CN=gw" (as raw text). */
        public String text()
        {
            return switch (idType)
            {
                case Ikev2.ID_IPV4_ADDR -> data.length == 4 ? (data[0] & 0xff) + "." + (data[1] & 0xff) + "." +
                    (data[2] & 0xff) + "." + (data[3] & 0xff) : "?";
                case Ikev2.ID_FQDN, Ikev2.ID_RFC822_ADDR, Ikev2.ID_KEY_ID ->
                    new String(data, StandardCharsets.US_ASCII).replaceAll("[^\\x20-\\x7e]", "?");
                case Ikev2.ID_DER_ASN1_DN -> dnText(data);
                default -> "type " + idType + ":" + HexFormat.of().formatHex(data);
            };
        }
    }

    private static String dnText(final byte[] data)
    {
        try
        {
            return org.bouncycastle.asn1.x500.X500Name.getInstance(data).toString();
        }
        catch (final IllegalArgumentException e)
        {
            return "DN:" + HexFormat.of().formatHex(data);
        }
    }

    /** CERT (3.6). */
    record Cert(int encoding, byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev2.PAYLOAD_CERT;
        }
    }

    /** CERTREQ (3.7). */
    record CertReq(int encoding, byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev2.PAYLOAD_CERTREQ;
        }
    }

    /** AUTH (3.8). */
    record Auth(int method, byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev2.PAYLOAD_AUTH;
        }
    }

    /** N (3.10). */
    record Notify(int protocol, byte[] spi, int notifyType, byte[] data) implements Payload
    {
        public static Notify of(final int notifyType)
        {
            return new Notify(0, new byte[0], notifyType, new byte[0]);
        }

        public static Notify of(final int notifyType, final byte[] data)
        {
            return new Notify(0, new byte[0], notifyType, data);
        }

        @Override
        public int type()
        {
            return Ikev2.PAYLOAD_NOTIFY;
        }
    }

    /** D (3.11): an IKE SA (no SPIs) or child SAs by their inbound SPIs (as the sender receives on them). */
    record Delete(int protocol, int spiSize, List<byte[]> spis) implements Payload
    {
        public Delete
        {
            spis = List.copyOf(spis);
        }

        public static Delete ike()
        {
            return new Delete(Ikev2.PROTO_IKE, 0, List.of());
        }

        public static Delete esp(final List<Long> spis)
        {
            return new Delete(Ikev2.PROTO_ESP, 4, spis.stream()
                .map(s -> ByteBuffer.allocate(4).putInt((int)(long)s).array()).toList());
        }

        @Override
        public int type()
        {
            return Ikev2.PAYLOAD_DELETE;
        }
    }

    /** V (3.12). */
    record VendorId(byte[] data) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev2.PAYLOAD_VENDOR;
        }
    }

    /** TSi or TSr (3.13). */
    record TrafficSelectors(int type, List<TrafficSelector> selectors) implements Payload
    {
        public TrafficSelectors
        {
            selectors = List.copyOf(selectors);
        }
    }

    /**
     * SK (3.14) as it is on the wire: IV, ciphertext, ICV; {@code firstInner} is the type of the
     * first payload inside. Only the engine, with the keys, can open it.
     */
    record Encrypted(int firstInner, byte[] body) implements Payload
    {
        @Override
        public int type()
        {
            return Ikev2.PAYLOAD_SK;
        }
    }

    /** A payload this implementation does not read (CP, EAP, ...): skipped unless critical. */
    record Unknown(int type, boolean critical, byte[] body) implements Payload
    {
    }
}
