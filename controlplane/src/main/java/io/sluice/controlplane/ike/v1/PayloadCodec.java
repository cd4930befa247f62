package io.sluice.controlplane.ike.v1;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads and writes chains of IKEv1 payloads (RFC 2408 3.2: each payload starts with the type of
 * the next one and its own length). Parsing is strict: every length is checked against what is
 * left before it is trusted, counts must match what follows, and anything that does not add up
 * raises an {@link Ikev1Exception} that says what and where; nothing is read past the end.
 */
public final class PayloadCodec
{
    /** More payloads than any IKEv1 message needs: a bound on the work one datagram can cause. */
    public static final int MAX_PAYLOADS = 64;
    public static final int MAX_PROPOSALS = 64;
    public static final int MAX_TRANSFORMS = 64;
    /** The longest NONCE payload: a nonce encrypted to a 4096-bit RSA key (rsa-encr). */
    public static final int MAX_ENCRYPTED_NONCE = 512;

    private PayloadCodec()
    {
    }

    /**
     * A parsed chain, with where each payload sits in the buffer (the hashes of quick mode and the
     * SAi_b of phase 1 are taken over the bytes as received).
     *
     * @param payloads the payloads, in order.
     * @param starts   the offset of each payload's generic header in {@code buffer}.
     * @param chainEnd the offset just past the last payload (padding, if any, follows).
     * @param buffer   the bytes the chain was read from.
     */
    public record Chain(List<Payload> payloads, int[] starts, int chainEnd, byte[] buffer)
    {
        /** The body (after the 4-byte generic header) of payload {@code index}, as received. */
        public byte[] body(final int index)
        {
            final int start = starts[index];
            final int length = (buffer[start + 2] & 0xff) << 8 | (buffer[start + 3] & 0xff);
            return Arrays.copyOfRange(buffer, start + 4, start + length);
        }

        /** The bytes from payload {@code index}'s generic header to the end of the chain. */
        public byte[] from(final int index)
        {
            return index >= payloads.size() ? new byte[0] : Arrays.copyOfRange(buffer, starts[index], chainEnd);
        }

        /** The index of the first payload of that type, or -1. */
        public int indexOf(final int type)
        {
            for (int i = 0; i < payloads.size(); i++)
            {
                if (payloads.get(i).type() == type)
                {
                    return i;
                }
            }
            return -1;
        }

        /** The first payload of that class, or null. */
        public <T extends Payload> T first(final Class<T> kind)
        {
            for (final Payload p : payloads)
            {
                if (kind.isInstance(p))
                {
                    return kind.cast(p);
                }
            }
            return null;
        }

        public <T extends Payload> List<T> all(final Class<T> kind)
        {
            final List<T> found = new ArrayList<>();
            for (final Payload p : payloads)
            {
                if (kind.isInstance(p))
                {
                    found.add(kind.cast(p));
                }
            }
            return found;
        }
    }

    /**
     * Parses the chain that starts with a payload of type {@code firstType} at {@code offset}.
     *
     * @param allowTrailing bytes after the last payload are padding (a decrypted body) rather than an error.
     * @throws Ikev1Exception on a truncated or malformed chain or an unknown payload type.
     */
    public static Chain parse(final int firstType, final byte[] buf, final int offset, final int end,
        final boolean allowTrailing)
    {
        final List<Payload> payloads = new ArrayList<>();
        final List<Integer> starts = new ArrayList<>();
        int type = firstType;
        int pos = offset;
        while (type != Ikev1.PAYLOAD_NONE)
        {
            if (payloads.size() == MAX_PAYLOADS)
            {
                throw Ikev1Exception.malformed("more than " + MAX_PAYLOADS + " payloads");
            }
            final String name = Ikev1.payloadName(type);
            if (end - pos < 4)
            {
                throw Ikev1Exception.malformed("truncated " + name + " payload header at offset " + pos + ": " +
                    Math.max(0, end - pos) + " bytes left");
            }
            final int next = buf[pos] & 0xff;
            final int length = u16(buf, pos + 2);
            if (length < 4)
            {
                throw Ikev1Exception.malformed(name + " payload at offset " + pos + " has length " + length);
            }
            if (length > end - pos)
            {
                throw Ikev1Exception.malformed(name + " payload at offset " + pos + " says " + length + " bytes, " +
                    (end - pos) + " left");
            }
            payloads.add(body(type, buf, pos + 4, pos + length));
            starts.add(pos);
            pos += length;
            type = next;
        }
        if (pos != end && !allowTrailing)
        {
            throw Ikev1Exception.malformed((end - pos) + " bytes after the last payload");
        }
        final int[] startArray = starts.stream().mapToInt(Integer::intValue).toArray();
        return new Chain(List.copyOf(payloads), startArray, pos, buf);
    }

    private static Payload body(final int type, final byte[] b, final int from, final int to)
    {
        final int n = to - from;
        return switch (type)
        {
            case Ikev1.PAYLOAD_SA -> sa(b, from, to);
            case Ikev1.PAYLOAD_KE -> new Payload.KeyExchange(atLeast(type, b, from, to, 1));
            case Ikev1.PAYLOAD_NONCE ->
            {
                // RFC 2409 wants 8 to 256 bytes; with rsa-encr the payload holds the nonce encrypted to an
                // RSA key and is as long as its modulus, up to 4096 bits. The engine checks plain nonces.
                if (n < 8 || n > MAX_ENCRYPTED_NONCE)
                {
                    throw Ikev1Exception.malformed("nonce of " + n + " bytes (RFC 2409 wants 8 to 256, " +
                        MAX_ENCRYPTED_NONCE + " if encrypted to an RSA key)");
                }
                yield new Payload.Nonce(Arrays.copyOfRange(b, from, to));
            }
            case Ikev1.PAYLOAD_ID ->
            {
                requireLength(type, n, 4);
                yield new Payload.Identification(b[from] & 0xff, b[from + 1] & 0xff, u16(b, from + 2),
                    Arrays.copyOfRange(b, from + 4, to));
            }
            case Ikev1.PAYLOAD_HASH -> new Payload.Hash(atLeast(type, b, from, to, 1));
            case Ikev1.PAYLOAD_NOTIFY -> notify(b, from, to);
            case Ikev1.PAYLOAD_DELETE -> delete(b, from, to);
            case Ikev1.PAYLOAD_VENDOR_ID -> new Payload.VendorId(Arrays.copyOfRange(b, from, to));
            case Ikev1.PAYLOAD_NAT_D, Ikev1.PAYLOAD_NAT_D_DRAFT -> new Payload.NatD(type, atLeast(type, b, from, to, 1));
            case Ikev1.PAYLOAD_NAT_OA, Ikev1.PAYLOAD_NAT_OA_DRAFT ->
            {
                requireLength(type, n, 4);
                yield new Payload.NatOa(type, b[from] & 0xff, Arrays.copyOfRange(b, from + 4, to));
            }
            case ModeConfig.PAYLOAD_ATTRIBUTES ->
            {
                requireLength(type, n, 4);
                yield new Payload.Attributes(b[from] & 0xff, u16(b, from + 2),
                    attributes(b, from + 4, to, "attribute payload"));
            }
            case Ikev1.PAYLOAD_CERT, Ikev1.PAYLOAD_CR, Ikev1.PAYLOAD_SIG ->
                new Payload.Opaque(type, Arrays.copyOfRange(b, from, to));
            default -> throw new Ikev1Exception(Ikev1.INVALID_PAYLOAD_TYPE, "unknown payload type " + type +
                (type == Ikev1.PAYLOAD_PROPOSAL || type == Ikev1.PAYLOAD_TRANSFORM ? " outside an SA payload" : ""));
        };
    }

    private static Payload.Sa sa(final byte[] b, final int from, final int to)
    {
        requireLength(Ikev1.PAYLOAD_SA, to - from, 8);
        final int doi = (int)u32(b, from);
        final int situation = (int)u32(b, from + 4);
        if (doi != Ikev1.DOI_IPSEC)
        {
            throw new Ikev1Exception(2, "SA payload with DOI " + doi + " (only the IPsec DOI, 1, is supported)");
        }
        if (situation != Ikev1.SIT_IDENTITY_ONLY)
        {
            throw new Ikev1Exception(3, "SA payload with situation " + situation + " (only SIT_IDENTITY_ONLY)");
        }
        final List<Payload.Proposal> proposals = new ArrayList<>();
        int pos = from + 8;
        int type = Ikev1.PAYLOAD_PROPOSAL;
        while (type == Ikev1.PAYLOAD_PROPOSAL)
        {
            if (proposals.size() == MAX_PROPOSALS)
            {
                throw Ikev1Exception.malformed("more than " + MAX_PROPOSALS + " proposals");
            }
            if (to - pos < 8)
            {
                throw Ikev1Exception.malformed("truncated proposal " + (proposals.size() + 1) + " in SA payload: " +
                    Math.max(0, to - pos) + " bytes left");
            }
            final int next = b[pos] & 0xff;
            final int length = u16(b, pos + 2);
            if (length < 8 || length > to - pos)
            {
                throw Ikev1Exception.malformed("proposal " + (proposals.size() + 1) + " says " + length + " bytes, " +
                    (to - pos) + " left in SA payload");
            }
            if (next != Ikev1.PAYLOAD_PROPOSAL && next != Ikev1.PAYLOAD_NONE)
            {
                throw Ikev1Exception.malformed("proposal followed by payload type " + next + " inside an SA payload");
            }
            proposals.add(proposal(b, pos + 4, pos + length));
            pos += length;
            type = next;
        }
        if (pos != to)
        {
            throw Ikev1Exception.malformed((to - pos) + " bytes after the last proposal in SA payload");
        }
        if (proposals.isEmpty())
        {
            throw Ikev1Exception.malformed("SA payload without proposals");
        }
        return new Payload.Sa(doi, situation, proposals);
    }

    private static Payload.Proposal proposal(final byte[] b, final int from, final int to)
    {
        final int number = b[from] & 0xff;
        final int protocol = b[from + 1] & 0xff;
        final int spiSize = b[from + 2] & 0xff;
        final int count = b[from + 3] & 0xff;
        if (spiSize > to - from - 4)
        {
            throw Ikev1Exception.malformed("proposal " + number + " SPI size " + spiSize + " exceeds the proposal");
        }
        if (count == 0 || count > MAX_TRANSFORMS)
        {
            throw Ikev1Exception.malformed("proposal " + number + " with " + count + " transforms");
        }
        final byte[] spi = Arrays.copyOfRange(b, from + 4, from + 4 + spiSize);
        final List<Payload.Transform> transforms = new ArrayList<>();
        int pos = from + 4 + spiSize;
        int type = Ikev1.PAYLOAD_TRANSFORM;
        while (type == Ikev1.PAYLOAD_TRANSFORM)
        {
            if (to - pos < 8)
            {
                throw Ikev1Exception.malformed("proposal " + number + " says " + count + " transforms, found " +
                    transforms.size() + " and " + Math.max(0, to - pos) + " bytes");
            }
            final int next = b[pos] & 0xff;
            final int length = u16(b, pos + 2);
            if (length < 8 || length > to - pos)
            {
                throw Ikev1Exception.malformed("transform " + (transforms.size() + 1) + " of proposal " + number +
                    " says " + length + " bytes, " + (to - pos) + " left");
            }
            if (next != Ikev1.PAYLOAD_TRANSFORM && next != Ikev1.PAYLOAD_NONE)
            {
                throw Ikev1Exception.malformed("transform followed by payload type " + next + " inside a proposal");
            }
            transforms.add(transform(b, pos + 4, pos + length));
            pos += length;
            type = next;
        }
        if (transforms.size() != count)
        {
            throw Ikev1Exception.malformed("proposal " + number + " says " + count + " transforms, has " +
                transforms.size());
        }
        if (pos != to)
        {
            throw Ikev1Exception.malformed((to - pos) + " bytes after the last transform of proposal " + number);
        }
        return new Payload.Proposal(number, protocol, spi, transforms);
    }

    private static Payload.Transform transform(final byte[] b, final int from, final int to)
    {
        final int number = b[from] & 0xff;
        final int id = b[from + 1] & 0xff;
        return new Payload.Transform(number, id, attributes(b, from + 4, to, "transform " + number));
    }

    /** Data attributes (RFC 2408 3.3), TV or TLV, filling {@code from..to} exactly. */
    private static List<Payload.Attribute> attributes(final byte[] b, final int from, final int to, final String where)
    {
        final List<Payload.Attribute> attributes = new ArrayList<>();
        int pos = from;
        while (pos < to)
        {
            if (attributes.size() == MAX_TRANSFORMS * 4)
            {
                throw Ikev1Exception.malformed("more than " + (MAX_TRANSFORMS * 4) + " attributes in " + where);
            }
            if (to - pos < 4)
            {
                throw Ikev1Exception.malformed("truncated attribute in " + where);
            }
            final int word = u16(b, pos);
            final int attrType = word & 0x7fff;
            if ((word & 0x8000) != 0)
            {
                attributes.add(new Payload.Attribute(attrType, Arrays.copyOfRange(b, pos + 2, pos + 4), true));
                pos += 4;
            }
            else
            {
                final int length = u16(b, pos + 2);
                if (length > to - pos - 4)
                {
                    throw Ikev1Exception.malformed("attribute " + attrType + " of " + where + " says " +
                        length + " bytes, " + (to - pos - 4) + " left");
                }
                attributes.add(new Payload.Attribute(attrType, Arrays.copyOfRange(b, pos + 4, pos + 4 + length), false));
                pos += 4 + length;
            }
        }
        return attributes;
    }

    private static Payload.Notify notify(final byte[] b, final int from, final int to)
    {
        requireLength(Ikev1.PAYLOAD_NOTIFY, to - from, 8);
        final int doi = (int)u32(b, from);
        final int protocol = b[from + 4] & 0xff;
        final int spiSize = b[from + 5] & 0xff;
        final int type = u16(b, from + 6);
        if (spiSize > to - from - 8)
        {
            throw Ikev1Exception.malformed("notify " + Ikev1.notifyName(type) + " SPI size " + spiSize +
                " exceeds the payload");
        }
        return new Payload.Notify(doi, protocol, type, Arrays.copyOfRange(b, from + 8, from + 8 + spiSize),
            Arrays.copyOfRange(b, from + 8 + spiSize, to));
    }

    private static Payload.Delete delete(final byte[] b, final int from, final int to)
    {
        requireLength(Ikev1.PAYLOAD_DELETE, to - from, 8);
        final int doi = (int)u32(b, from);
        final int protocol = b[from + 4] & 0xff;
        final int spiSize = b[from + 5] & 0xff;
        final int count = u16(b, from + 6);
        if ((long)count * spiSize != to - from - 8)
        {
            throw Ikev1Exception.malformed("delete payload says " + count + " SPIs of " + spiSize + " bytes, has " +
                (to - from - 8) + " bytes");
        }
        final List<byte[]> spis = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            spis.add(Arrays.copyOfRange(b, from + 8 + i * spiSize, from + 8 + (i + 1) * spiSize));
        }
        return new Payload.Delete(doi, protocol, spiSize, spis);
    }

    private static byte[] atLeast(final int type, final byte[] b, final int from, final int to, final int min)
    {
        requireLength(type, to - from, min);
        return Arrays.copyOfRange(b, from, to);
    }

    private static void requireLength(final int type, final int length, final int min)
    {
        if (length < min)
        {
            throw Ikev1Exception.malformed(Ikev1.payloadName(type) + " payload body of " + length +
                " bytes, need at least " + min);
        }
    }

    // ---- writing ----

    /** The chain of payloads with generic headers, the first's type being that of {@code payloads.get(0)}. */
    public static byte[] encode(final List<? extends Payload> payloads)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < payloads.size(); i++)
        {
            final byte[] body = encodeBody(payloads.get(i));
            final int next = i + 1 < payloads.size() ? payloads.get(i + 1).type() : Ikev1.PAYLOAD_NONE;
            writeGeneric(out, next, body);
        }
        return out.toByteArray();
    }

    /** The body of one payload, without its generic header: what SAi_b and IDii_b are. */
    public static byte[] encodeBody(final Payload payload)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (payload)
        {
            case Payload.Sa sa ->
            {
                put32(out, sa.doi());
                put32(out, sa.situation());
                for (int i = 0; i < sa.proposals().size(); i++)
                {
                    final Payload.Proposal p = sa.proposals().get(i);
                    final ByteArrayOutputStream pb = new ByteArrayOutputStream();
                    pb.write(p.number());
                    pb.write(p.protocolId());
                    pb.write(p.spi().length);
                    pb.write(p.transforms().size());
                    pb.writeBytes(p.spi());
                    for (int t = 0; t < p.transforms().size(); t++)
                    {
                        final Payload.Transform tr = p.transforms().get(t);
                        final ByteArrayOutputStream tb = new ByteArrayOutputStream();
                        tb.write(tr.number());
                        tb.write(tr.transformId());
                        tb.write(0);
                        tb.write(0);
                        writeAttributes(tb, tr.attributes());
                        writeGeneric(pb, t + 1 < p.transforms().size() ? Ikev1.PAYLOAD_TRANSFORM : 0, tb.toByteArray());
                    }
                    writeGeneric(out, i + 1 < sa.proposals().size() ? Ikev1.PAYLOAD_PROPOSAL : 0, pb.toByteArray());
                }
            }
            case Payload.KeyExchange ke -> out.writeBytes(ke.data());
            case Payload.Nonce n -> out.writeBytes(n.data());
            case Payload.Identification id -> out.writeBytes(id.body());
            case Payload.Hash h -> out.writeBytes(h.data());
            case Payload.Notify n ->
            {
                put32(out, n.doi());
                out.write(n.protocolId());
                out.write(n.spi().length);
                put16(out, n.notifyType());
                out.writeBytes(n.spi());
                out.writeBytes(n.data());
            }
            case Payload.Delete d ->
            {
                put32(out, d.doi());
                out.write(d.protocolId());
                out.write(d.spiSize());
                put16(out, d.spis().size());
                d.spis().forEach(out::writeBytes);
            }
            case Payload.VendorId v -> out.writeBytes(v.data());
            case Payload.NatD nd -> out.writeBytes(nd.hash());
            case Payload.NatOa oa ->
            {
                out.write(oa.idType());
                out.write(0);
                out.write(0);
                out.write(0);
                out.writeBytes(oa.address());
            }
            case Payload.Attributes at ->
            {
                out.write(at.cfgType());
                out.write(0);
                put16(out, at.identifier());
                writeAttributes(out, at.attributes());
            }
            case Payload.Opaque o -> out.writeBytes(o.body());
        }
        return out.toByteArray();
    }

    private static void writeAttributes(final ByteArrayOutputStream out, final List<Payload.Attribute> attributes)
    {
        for (final Payload.Attribute a : attributes)
        {
            if (a.basic())
            {
                put16(out, 0x8000 | a.type());
                out.writeBytes(a.value());
            }
            else
            {
                put16(out, a.type());
                put16(out, a.value().length);
                out.writeBytes(a.value());
            }
        }
    }

    private static void writeGeneric(final ByteArrayOutputStream out, final int next, final byte[] body)
    {
        if (body.length + 4 > 0xffff)
        {
            throw new IllegalArgumentException("payload of " + body.length + " bytes does not fit a 16-bit length");
        }
        out.write(next);
        out.write(0);
        put16(out, body.length + 4);
        out.writeBytes(body);
    }

    private static void put16(final ByteArrayOutputStream out, final int v)
    {
        out.write(v >>> 8);
        out.write(v);
    }

    private static void put32(final ByteArrayOutputStream out, final int v)
    {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    static int u16(final byte[] b, final int at)
    {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    static long u32(final byte[] b, final int at)
    {
        return (long)(b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }
}
