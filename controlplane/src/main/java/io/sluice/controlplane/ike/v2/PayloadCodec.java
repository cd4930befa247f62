package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ip4;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads and writes chains of IKEv2 payloads. Parsing is strict: every length is checked against
 * what contains it, counts against what follows, substructure flags against their position, and
 * a chain must end exactly where its bytes end. Whatever the input, the only exception that leaves
 * {@link #parse} is {@link Ikev2Exception}.
 */
public final class PayloadCodec
{
    private static final int MAX_PAYLOADS = 64;

    private PayloadCodec()
    {
    }

    /** A parsed chain. {@link #encrypted()} is the SK payload if the chain ended with one. */
    public record Chain(List<Payload> payloads)
    {
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
            return payloads.stream().filter(kind::isInstance).map(kind::cast).toList();
        }

        public Payload.Encrypted encrypted()
        {
            return first(Payload.Encrypted.class);
        }

        /** The first notify of that type, or null. */
        public Payload.Notify notify(final int notifyType)
        {
            for (final Payload.Notify n : all(Payload.Notify.class))
            {
                if (n.notifyType() == notifyType)
                {
                    return n;
                }
            }
            return null;
        }

        /** TSi or TSr. */
        public Payload.TrafficSelectors selectors(final int type)
        {
            for (final Payload.TrafficSelectors ts : all(Payload.TrafficSelectors.class))
            {
                if (ts.type() == type)
                {
                    return ts;
                }
            }
            return null;
        }

        /** IDi or IDr. */
        public Payload.Identification id(final int type)
        {
            for (final Payload.Identification id : all(Payload.Identification.class))
            {
                if (id.type() == type)
                {
                    return id;
                }
            }
            return null;
        }

        /** "SA KE No N(NAT_DETECTION_SOURCE_IP)": as strongSwan logs a message's payloads. */
        public String summary()
        {
            final StringBuilder s = new StringBuilder();
            for (final Payload p : payloads)
            {
                s.append(s.isEmpty() ? "" : " ").append(Ikev2.payloadName(p.type()));
                if (p instanceof Payload.Notify n)
                {
                    s.append('(').append(Ikev2.notifyName(n.notifyType())).append(')');
                }
            }
            return s.toString();
        }
    }

    /**
     * Parses the chain that starts with a payload of type {@code first} at {@code from} and must end
     * exactly at {@code to}. An SK payload ends the chain (its body runs to {@code to}); inside SK
     * ({@code inner}) another SK is malformed.
     */
    public static Chain parse(final int first, final byte[] d, final int from, final int to, final boolean inner)
    {
        if (from < 0 || to > d.length || from > to)
        {
            throw Ikev2Exception.malformed("payload chain bounds " + from + ".." + to + " outside " + d.length + " bytes");
        }
        final List<Payload> out = new ArrayList<>();
        int type = first;
        int at = from;
        while (type != Ikev2.NO_NEXT_PAYLOAD)
        {
            if (out.size() >= MAX_PAYLOADS)
            {
                throw Ikev2Exception.malformed("more than " + MAX_PAYLOADS + " payloads");
            }
            if (to - at < 4)
            {
                throw Ikev2Exception.malformed(Ikev2.payloadName(type) + " payload header truncated at byte " + at);
            }
            final int next = d[at] & 0xff;
            final boolean critical = (d[at + 1] & 0x80) != 0;
            final int length = ((d[at + 2] & 0xff) << 8) | (d[at + 3] & 0xff);
            if (length < 4 || length > to - at)
            {
                throw Ikev2Exception.malformed(Ikev2.payloadName(type) + " payload length " + length + " at byte " + at +
                    " with " + (to - at) + " bytes left");
            }
            final Reader r = new Reader(d, at + 4, at + length, Ikev2.payloadName(type));
            if (type == Ikev2.PAYLOAD_SK)
            {
                if (inner)
                {
                    throw Ikev2Exception.malformed("SK payload inside SK");
                }
                if (at + length != to)
                {
                    throw Ikev2Exception.malformed("SK payload is not the last payload");
                }
                out.add(new Payload.Encrypted(next, r.rest()));
                return new Chain(List.copyOf(out));
            }
            out.add(body(type, critical, r));
            at += length;
            type = next;
        }
        if (at != to)
        {
            throw Ikev2Exception.malformed((to - at) + " bytes after the last payload");
        }
        return new Chain(List.copyOf(out));
    }

    private static Payload body(final int type, final boolean critical, final Reader r)
    {
        return switch (type)
        {
            case Ikev2.PAYLOAD_SA -> sa(r);
            case Ikev2.PAYLOAD_KE ->
            {
                final int group = r.u16();
                r.skip(2);
                final byte[] data = r.rest();
                if (data.length == 0)
                {
                    throw Ikev2Exception.malformed("KE payload without a public value");
                }
                yield new Payload.KeyExchange(group, data);
            }
            case Ikev2.PAYLOAD_IDI, Ikev2.PAYLOAD_IDR ->
            {
                final int idType = r.u8();
                r.skip(3);
                final byte[] data = r.rest();
                if (data.length == 0)
                {
                    throw Ikev2Exception.malformed(Ikev2.payloadName(type) + " payload without identification data");
                }
                yield new Payload.Identification(type, idType, data);
            }
            case Ikev2.PAYLOAD_AUTH ->
            {
                final int method = r.u8();
                r.skip(3);
                final byte[] data = r.rest();
                if (data.length == 0)
                {
                    throw Ikev2Exception.malformed("AUTH payload without authentication data");
                }
                yield new Payload.Auth(method, data);
            }
            case Ikev2.PAYLOAD_NONCE ->
            {
                final byte[] data = r.rest();
                if (data.length < 16 || data.length > 256)
                {
                    throw Ikev2Exception.malformed("nonce of " + data.length + " bytes (16 to 256 allowed)");
                }
                yield new Payload.Nonce(data);
            }
            case Ikev2.PAYLOAD_NOTIFY ->
            {
                final int protocol = r.u8();
                final int spiSize = r.u8();
                final int notifyType = r.u16();
                final byte[] spi = r.bytes(spiSize);
                yield new Payload.Notify(protocol, spi, notifyType, r.rest());
            }
            case Ikev2.PAYLOAD_DELETE ->
            {
                final int protocol = r.u8();
                final int spiSize = r.u8();
                final int count = r.u16();
                if (protocol == Ikev2.PROTO_IKE ? spiSize != 0 || count != 0 :
                    (protocol != Ikev2.PROTO_ESP && protocol != Ikev2.PROTO_AH) || spiSize != 4)
                {
                    throw Ikev2Exception.malformed("Delete payload for protocol " + protocol + " with SPI size " +
                        spiSize + " and " + count + " SPIs");
                }
                if (r.remaining() != count * spiSize)
                {
                    throw Ikev2Exception.malformed("Delete payload announces " + count + " SPIs, holds " + r.remaining() +
                        " bytes");
                }
                final List<byte[]> spis = new ArrayList<>();
                for (int i = 0; i < count; i++)
                {
                    spis.add(r.bytes(spiSize));
                }
                yield new Payload.Delete(protocol, spiSize, spis);
            }
            case Ikev2.PAYLOAD_VENDOR -> new Payload.VendorId(r.rest());
            case Ikev2.PAYLOAD_TSI, Ikev2.PAYLOAD_TSR -> selectors(type, r);
            case Ikev2.PAYLOAD_CERT -> new Payload.Cert(r.u8(), r.rest());
            case Ikev2.PAYLOAD_CERTREQ -> new Payload.CertReq(r.u8(), r.rest());
            default ->
            {
                if (critical)
                {
                    throw new Ikev2Exception(Ikev2.UNSUPPORTED_CRITICAL_PAYLOAD, "critical payload of type " + type +
                        " not supported");
                }
                yield new Payload.Unknown(type, false, r.rest());
            }
        };
    }

    private static Payload.Sa sa(final Reader r)
    {
        final List<Payload.Proposal> proposals = new ArrayList<>();
        boolean last = false;
        while (!last)
        {
            if (r.remaining() == 0)
            {
                throw Ikev2Exception.malformed("SA payload ends without a last proposal");
            }
            final int more = r.u8();
            if (more != 0 && more != 2)
            {
                throw Ikev2Exception.malformed("proposal substructure with last/more byte " + more);
            }
            last = more == 0;
            r.skip(1);
            final int length = r.u16();
            if (length < 8 || length - 4 > r.remaining())
            {
                throw Ikev2Exception.malformed("proposal length " + length + " with " + (r.remaining() + 4) + " bytes left");
            }
            final Reader p = r.sub(length - 4, "proposal");
            final int number = p.u8();
            final int protocol = p.u8();
            final int spiSize = p.u8();
            final int count = p.u8();
            final int expectedNumber = proposals.isEmpty() ? 1 : proposals.getLast().number() + 1;
            if (number != expectedNumber)
            {
                throw Ikev2Exception.malformed("proposal number " + number + ", expected " + expectedNumber);
            }
            final byte[] spi = p.bytes(spiSize);
            final List<Payload.Transform> transforms = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final int tMore = p.u8();
                if (tMore != (i == count - 1 ? 0 : 3))
                {
                    throw Ikev2Exception.malformed("transform " + (i + 1) + " of " + count + " with last/more byte " +
                        tMore);
                }
                p.skip(1);
                final int tLength = p.u16();
                if (tLength < 8 || tLength - 4 > p.remaining())
                {
                    throw Ikev2Exception.malformed("transform length " + tLength + " with " + (p.remaining() + 4) +
                        " bytes left");
                }
                final Reader t = p.sub(tLength - 4, "transform");
                final int tType = t.u8();
                t.skip(1);
                final int id = t.u16();
                int keyLength = 0;
                boolean unknown = false;
                while (t.remaining() > 0)
                {
                    final int af = t.u16();
                    final int aType = af & 0x7fff;
                    if ((af & 0x8000) != 0)
                    {
                        final int value = t.u16();
                        if (aType == Ikev2.ATTRIBUTE_KEY_LENGTH && keyLength == 0)
                        {
                            keyLength = value;
                        }
                        else
                        {
                            unknown = true;
                        }
                    }
                    else
                    {
                        t.bytes(t.u16());
                        unknown = true;
                    }
                }
                transforms.add(new Payload.Transform(tType, id, keyLength, unknown));
            }
            if (p.remaining() != 0)
            {
                throw Ikev2Exception.malformed("proposal " + number + " has " + p.remaining() + " bytes after its " +
                    count + " transforms");
            }
            proposals.add(new Payload.Proposal(number, protocol, spi, transforms));
        }
        if (r.remaining() != 0)
        {
            throw Ikev2Exception.malformed(r.remaining() + " bytes after the last proposal");
        }
        return new Payload.Sa(proposals);
    }

    private static Payload.TrafficSelectors selectors(final int type, final Reader r)
    {
        final int count = r.u8();
        r.skip(3);
        if (count == 0)
        {
            throw Ikev2Exception.malformed(Ikev2.payloadName(type) + " payload with no traffic selectors");
        }
        final List<TrafficSelector> out = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final int tsType = r.u8();
            final int protocol = r.u8();
            final int length = r.u16();
            if (length < 8 || length - 4 > r.remaining())
            {
                throw Ikev2Exception.malformed("traffic selector length " + length);
            }
            final Reader s = r.sub(length - 4, "traffic selector");
            final int startPort = s.u16();
            final int endPort = s.u16();
            if (tsType == Ikev2.TS_IPV4_ADDR_RANGE)
            {
                if (length != 16)
                {
                    throw Ikev2Exception.malformed("IPv4 traffic selector of " + length + " bytes");
                }
                out.add(new TrafficSelector(protocol, startPort, endPort, new Ip4(s.i32()), new Ip4(s.i32())));
            }
            else if (tsType == Ikev2.TS_IPV6_ADDR_RANGE)
            {
                if (length != 40)
                {
                    throw Ikev2Exception.malformed("IPv6 traffic selector of " + length + " bytes");
                }
                s.skip(32);   // IPv6 is not configured here: such selectors never match
            }
            else
            {
                s.skip(s.remaining());   // unknown types are skipped (3.13.1)
            }
        }
        if (r.remaining() != 0)
        {
            throw Ikev2Exception.malformed(r.remaining() + " bytes after " + count + " traffic selectors");
        }
        return new Payload.TrafficSelectors(type, out);
    }

    // -------------------------------------------------------------------------------- encoding

    /** The chain of payloads, each header naming the next; an SK payload must be last. */
    public static byte[] encode(final List<? extends Payload> payloads)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < payloads.size(); i++)
        {
            final Payload p = payloads.get(i);
            final int next;
            if (p instanceof Payload.Encrypted sk)
            {
                if (i != payloads.size() - 1)
                {
                    throw new IllegalArgumentException("SK must be the last payload");
                }
                next = sk.firstInner();
            }
            else
            {
                next = i + 1 < payloads.size() ? payloads.get(i + 1).type() : Ikev2.NO_NEXT_PAYLOAD;
            }
            final byte[] body = encodeBody(p);
            final int length = 4 + body.length;
            if (length > 0xffff)
            {
                throw new IllegalArgumentException(Ikev2.payloadName(p.type()) + " payload of " + length + " bytes");
            }
            out.write(next);
            out.write(p instanceof Payload.Unknown u && u.critical() ? 0x80 : 0);
            out.write(length >>> 8);
            out.write(length);
            out.writeBytes(body);
        }
        return out.toByteArray();
    }

    /** The body of one payload, without its generic header. */
    public static byte[] encodeBody(final Payload p)
    {
        return switch (p)
        {
            case Payload.Sa sa -> encodeSa(sa);
            case Payload.KeyExchange ke -> ByteBuffer.allocate(4 + ke.data().length).putShort((short)ke.group())
                .putShort((short)0).put(ke.data()).array();
            case Payload.Nonce n -> n.data().clone();
            case Payload.Identification id -> id.body();
            case Payload.Auth a -> ByteBuffer.allocate(4 + a.data().length).put((byte)a.method()).put(new byte[3])
                .put(a.data()).array();
            case Payload.Notify n -> ByteBuffer.allocate(4 + n.spi().length + n.data().length).put((byte)n.protocol())
                .put((byte)n.spi().length).putShort((short)n.notifyType()).put(n.spi()).put(n.data()).array();
            case Payload.Delete del ->
            {
                final ByteBuffer b = ByteBuffer.allocate(4 + del.spiSize() * del.spis().size());
                b.put((byte)del.protocol()).put((byte)del.spiSize()).putShort((short)del.spis().size());
                del.spis().forEach(b::put);
                yield b.array();
            }
            case Payload.VendorId v -> v.data().clone();
            case Payload.TrafficSelectors ts ->
            {
                final ByteBuffer b = ByteBuffer.allocate(4 + 16 * ts.selectors().size());
                b.put((byte)ts.selectors().size()).put(new byte[3]);
                for (final TrafficSelector s : ts.selectors())
                {
                    b.put((byte)Ikev2.TS_IPV4_ADDR_RANGE).put((byte)s.protocol()).putShort((short)16)
                        .putShort((short)s.startPort()).putShort((short)s.endPort()).putInt(s.start().bits())
                        .putInt(s.end().bits());
                }
                yield b.array();
            }
            case Payload.Cert c -> ByteBuffer.allocate(1 + c.data().length).put((byte)c.encoding()).put(c.data()).array();
            case Payload.CertReq c -> ByteBuffer.allocate(1 + c.data().length).put((byte)c.encoding()).put(c.data())
                .array();
            case Payload.Encrypted sk -> sk.body().clone();
            case Payload.Unknown u -> u.body().clone();
        };
    }

    private static byte[] encodeSa(final Payload.Sa sa)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < sa.proposals().size(); i++)
        {
            final Payload.Proposal p = sa.proposals().get(i);
            final ByteArrayOutputStream transforms = new ByteArrayOutputStream();
            for (int j = 0; j < p.transforms().size(); j++)
            {
                final Payload.Transform t = p.transforms().get(j);
                final int length = t.keyLength() != 0 ? 12 : 8;
                transforms.write(j == p.transforms().size() - 1 ? 0 : 3);
                transforms.write(0);
                transforms.write(length >>> 8);
                transforms.write(length);
                transforms.write(t.type());
                transforms.write(0);
                transforms.write(t.id() >>> 8);
                transforms.write(t.id());
                if (t.keyLength() != 0)
                {
                    transforms.write(0x80);
                    transforms.write(Ikev2.ATTRIBUTE_KEY_LENGTH);
                    transforms.write(t.keyLength() >>> 8);
                    transforms.write(t.keyLength());
                }
            }
            final int length = 8 + p.spi().length + transforms.size();
            out.write(i == sa.proposals().size() - 1 ? 0 : 2);
            out.write(0);
            out.write(length >>> 8);
            out.write(length);
            out.write(p.number());
            out.write(p.protocol());
            out.write(p.spi().length);
            out.write(p.transforms().size());
            out.writeBytes(p.spi());
            out.writeBytes(transforms.toByteArray());
        }
        return out.toByteArray();
    }

    /** Bounds-checked reads over a slice; running past the end is malformed input. */
    private static final class Reader
    {
        private final byte[] d;
        private final int end;
        private final String what;
        private int at;

        Reader(final byte[] d, final int from, final int end, final String what)
        {
            this.d = d;
            this.at = from;
            this.end = end;
            this.what = what;
        }

        int remaining()
        {
            return end - at;
        }

        private void need(final int n)
        {
            if (n < 0 || n > end - at)
            {
                throw Ikev2Exception.malformed(what + " truncated: " + n + " bytes needed, " + (end - at) + " left");
            }
        }

        int u8()
        {
            need(1);
            return d[at++] & 0xff;
        }

        int u16()
        {
            need(2);
            final int v = ((d[at] & 0xff) << 8) | (d[at + 1] & 0xff);
            at += 2;
            return v;
        }

        int i32()
        {
            need(4);
            final int v = ByteBuffer.wrap(d, at, 4).getInt();
            at += 4;
            return v;
        }

        void skip(final int n)
        {
            need(n);
            at += n;
        }

        byte[] bytes(final int n)
        {
            need(n);
            final byte[] b = Arrays.copyOfRange(d, at, at + n);
            at += n;
            return b;
        }

        byte[] rest()
        {
            return bytes(end - at);
        }

        Reader sub(final int n, final String name)
        {
            need(n);
            final Reader r = new Reader(d, at, at + n, name);
            at += n;
            return r;
        }
    }
}
