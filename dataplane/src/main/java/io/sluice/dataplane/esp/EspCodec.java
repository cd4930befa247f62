package io.sluice.dataplane.esp;

import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Checksum;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.packet.Udp;
import org.agrona.concurrent.NanoClock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * ESP (RFC 4303) on one worker's packets, in the frame, without copying the packet elsewhere:
 * what the esp-encrypt and esp-decrypt graph nodes call for each packet of their vector. One codec
 * per worker (it holds that worker's {@link CryptoEngine}); not thread-safe.
 * <p>
 * Both calls return an {@link EspStatus} and never throw or allocate (beyond the JCE's own
 * allocation for AEAD; see {@link JceCryptoEngine}). On {@link EspStatus#OK} the packet to hand on
 * is at {@link #start()}, {@link #length()} bytes long, in the same frame; on a drop the status is
 * counted on the SA and the frame's content is undefined.
 * <p>
 * Frames: {@code mem} holds frames of {@code frameSize} bytes aligned on multiples of it, as a
 * {@code FramePool} lays them out; encryption writes the new headers into the headroom in front of
 * the packet and the padding, trailer and ICV behind it, and refuses ({@link EspStatus#NO_HEADROOM},
 * {@link EspStatus#NO_TAILROOM}) rather than write outside the packet's frame.
 *
 * <pre>
 * tunnel:    [outer IPv4][UDP 4500]?[SPI seq][IV][inner IPv4 packet ... pad 1,2,3.. padlen nh=4][ICV]
 * transport: [IPv4 hdr, proto 50/17][UDP 4500]?[SPI seq][IV][payload ... pad padlen nh=proto][ICV]
 * </pre>
 * Decryption checks, in the order RFC 4303 3.4 gives: length, SPI, hard lifetime, the replay
 * window (before the ICV, so duplicates cost no cryptography; the window is not changed), the ICV
 * (constant-time for HMAC), then the window is advanced, then padding (1, 2, 3, ...), next header
 * and, in tunnel mode, the inner IPv4 header. Tunnel-mode DSCP and ECN are copied to the outer
 * header (RFC 4301 5.1.2.1, RFC 6040 normal mode); on decapsulation an outer CE mark is carried
 * into an ECN-capable inner header.
 */
public final class EspCodec
{
    private static final int UDP = Udp.LENGTH;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final CryptoEngine engine;
    private final NanoClock clock;
    private final int frameSize;
    private final long frameMask;
    private long start;
    private int length;
    private int nextId;

    /**
     * @param engine    this worker's crypto engine
     * @param clock     the clock the SAs' lifetimes count on (a {@code CachedNanoClock} the worker updates
     *                  once per duty cycle costs nothing to read)
     * @param frameSize the frame size of the memory given to encrypt/decrypt, a power of two
     */
    public EspCodec(final CryptoEngine engine, final NanoClock clock, final int frameSize)
    {
        if (Integer.bitCount(frameSize) != 1)
        {
            throw new IllegalArgumentException("frame size " + frameSize + " is not a power of two");
        }
        this.engine = engine;
        this.clock = clock;
        this.frameSize = frameSize;
        this.frameMask = -(long)frameSize;
    }

    public CryptoEngine engine()
    {
        return engine;
    }

    /** Where the packet of the last successful call starts. */
    public long start()
    {
        return start;
    }

    /** The length of the packet of the last successful call. */
    public int length()
    {
        return length;
    }

    /** The most {@link #headroom} can be: outer IPv4, UDP, ESP header and a 16-byte IV. */
    public static final int MAX_HEADROOM = Ipv4.MIN_LENGTH + UDP + EspHeader.LENGTH + 16;

    /** Bytes an outbound SA writes in front of the packet (the IPv4 header moves there in transport mode). */
    public static int headroom(final SecurityAssociation sa)
    {
        return (sa.mode() == SecurityAssociation.Mode.TUNNEL ? Ipv4.MIN_LENGTH : 0) +
            (sa.udpEncapsulation() ? UDP : 0) + EspHeader.LENGTH + sa.encryption().ivLength();
    }

    /** The length on the wire of a {@code packetLength}-byte IPv4 packet with a {@code headerLength}-byte header. */
    public static int protectedLength(final SecurityAssociation sa, final int packetLength, final int headerLength)
    {
        final boolean tunnel = sa.mode() == SecurityAssociation.Mode.TUNNEL;
        final int data = tunnel ? packetLength : packetLength - headerLength;
        final int payload = align(data + EspHeader.TRAILER, sa.encryption().blockSize());
        return (tunnel ? Ipv4.MIN_LENGTH : headerLength) + (sa.udpEncapsulation() ? UDP : 0) + EspHeader.LENGTH +
            sa.encryption().ivLength() + payload + sa.icvLength();
    }

    private static int align(final int n, final int block)
    {
        return (n + block - 1) / block * block;
    }

    // ------------------------------------------------------------------ outbound

    /**
     * Protects the IPv4 packet at {@code ipHeaderAt} with an outbound SA.
     *
     * @param length the bytes available at {@code ipHeaderAt}; the IPv4 total length says how many are the packet
     * @return {@link EspStatus#OK} (the ESP packet is at {@link #start()}) or the drop reason
     */
    public int encrypt(final MemorySegment mem, final long ipHeaderAt, final int length, final SecurityAssociation sa)
    {
        final int status = seal(mem, ipHeaderAt, length, sa);
        if (status != EspStatus.OK)
        {
            sa.drop(status);
        }
        return status;
    }

    private int seal(final MemorySegment m, final long at, final int available, final SecurityAssociation sa)
    {
        if (sa.direction() != SecurityAssociation.Direction.OUTBOUND)
        {
            return EspStatus.WRONG_DIRECTION;
        }
        if (sa.isDestroyed())
        {
            return EspStatus.SA_DEAD;
        }
        if (available < Ipv4.MIN_LENGTH || Ipv4.version(m, at) != 4)
        {
            return EspStatus.BAD_PACKET;
        }
        final int ihl = Ipv4.headerLength(m, at);
        final int packetLength = Ipv4.totalLength(m, at);
        if (ihl < Ipv4.MIN_LENGTH || packetLength < ihl || packetLength > available)
        {
            return EspStatus.BAD_PACKET;
        }
        final long now = clock.nanoTime();
        final int admitted = sa.admit(now, packetLength);
        if (admitted != EspStatus.OK)
        {
            return admitted;
        }

        final EspEncryption encryption = sa.encryption();
        final boolean tunnel = sa.mode() == SecurityAssociation.Mode.TUNNEL;
        final int udp = sa.udpEncapsulation() ? UDP : 0;
        final int ivLength = encryption.ivLength();
        final int icvLength = sa.icvLength();
        final int dataLength = tunnel ? packetLength : packetLength - ihl;
        final int nextHeader = tunnel ? EspHeader.NEXT_HEADER_IPV4 : Ipv4.protocol(m, at);
        final int payloadLength = align(dataLength + EspHeader.TRAILER, encryption.blockSize());
        final int padLength = payloadLength - dataLength - EspHeader.TRAILER;

        final long payload = tunnel ? at : at + ihl;
        final long esp = payload - ivLength - EspHeader.LENGTH;
        final int outerHeaderLength = tunnel ? Ipv4.MIN_LENGTH : ihl;
        final long outer = esp - udp - outerHeaderLength;
        final long frame = at & frameMask;
        if (outer < frame)
        {
            return EspStatus.NO_HEADROOM;
        }
        if (payload + payloadLength + icvLength > frame + frameSize || payload + payloadLength + icvLength > m.byteSize())
        {
            return EspStatus.NO_TAILROOM;
        }
        final long sequence = sa.claimSequence();
        if (sequence == 0)
        {
            return EspStatus.SEQUENCE_EXHAUSTED;
        }
        final EspTransform transform = engine.transform(sa);
        if (transform == null)
        {
            return sa.isDestroyed() ? EspStatus.SA_DEAD : EspStatus.CRYPTO_ERROR;
        }

        // Read what the outer header copies before anything is overwritten.
        final int tos = Ipv4.tos(m, at);
        final int innerDf = Ipv4.flagsFragment(m, at) & Ipv4.FLAG_DF;

        final long pad = payload + dataLength;
        for (int i = 0; i < padLength; i++)
        {
            m.set(ValueLayout.JAVA_BYTE, pad + i, (byte)(i + 1));
        }
        m.set(Bytes.U16, pad + padLength, (short)((padLength << 8) | nextHeader));
        if (!tunnel)
        {
            // The ESP header lands on the old header's tail: move the header out of its way first.
            Bytes.move(m, at, outer, ihl);
        }
        m.set(U64, esp, ((long)sa.spi() << 32) | (sequence & 0xffff_ffffL));
        if (!transform.seal(m, esp, payloadLength, sequence))
        {
            return EspStatus.CRYPTO_ERROR;
        }

        final int espLength = EspHeader.LENGTH + ivLength + payloadLength + icvLength;
        final int outerLength = outerHeaderLength + udp + espLength;
        final int protocol = udp != 0 ? Ipv4.PROTO_UDP : Ipv4.PROTO_ESP;
        if (tunnel)
        {
            final int df = switch (sa.dfBit())
            {
                case COPY -> innerDf;
                case SET -> Ipv4.FLAG_DF;
                case CLEAR -> 0;
            };
            writeIpv4(m, outer, tos, outerLength, nextId++ & 0xffff, df, sa.ttl(), protocol, sa.tunnelSource(),
                sa.tunnelDestination());
        }
        else
        {
            Bytes.u8(m, outer + Ipv4.PROTOCOL, protocol);
            Bytes.u16(m, outer + Ipv4.TOTAL_LENGTH, outerLength);
            Ipv4.updateChecksum(m, outer);
        }
        if (udp != 0)
        {
            // Checksum 0: RFC 3948 2.1.
            m.set(U64, outer + outerHeaderLength, ((long)sa.udpSourcePort() << 48) | ((long)sa.udpDestinationPort() << 32) |
                ((long)(UDP + espLength) << 16));
        }
        sa.account(now, packetLength);
        this.start = outer;
        this.length = outerLength;
        return EspStatus.OK;
    }

    /**
     * A 20-byte IPv4 header in three stores, its checksum summed from the values rather than read
     * back from memory (the same header {@code Ipv4.write} makes, with fewer bounds-checked accesses).
     */
    private static void writeIpv4(
        final MemorySegment m, final long at, final int tos, final int totalLength, final int id, final int flagsFragment,
        final int ttl, final int protocol, final int src, final int dst)
    {
        final int first = 0x4500 | tos;
        final int ttlProtocol = (ttl << 8) | protocol;
        long sum = first + totalLength + id + flagsFragment + ttlProtocol + (src >>> 16) + (src & 0xffff) + (dst >>> 16) +
            (dst & 0xffff);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        final long checksum = ~sum & 0xffff;
        m.set(U64, at, ((long)first << 48) | ((long)totalLength << 32) | ((long)id << 16) | flagsFragment);
        m.set(U64, at + 8, ((long)ttlProtocol << 48) | (checksum << 32) | (src & 0xffff_ffffL));
        m.set(Bytes.U32, at + 16, dst);
    }

    // ------------------------------------------------------------------ inbound

    /**
     * Verifies and decrypts the ESP (or ESP-in-UDP) packet whose outer IPv4 header is at
     * {@code ipHeaderAt}, with the inbound SA the caller found by its SPI.
     *
     * @param length the bytes available at {@code ipHeaderAt}; the IPv4 total length says how many are the packet
     * @return {@link EspStatus#OK} (tunnel mode: the inner IPv4 packet is at {@link #start()}; transport mode:
     *     the IPv4 packet with ESP removed, protocol restored, length and checksum fixed) or the drop reason
     */
    public int decrypt(final MemorySegment mem, final long ipHeaderAt, final int length, final SecurityAssociation sa)
    {
        final int status = open(mem, ipHeaderAt, length, sa);
        if (status != EspStatus.OK)
        {
            sa.drop(status);
        }
        return status;
    }

    private int open(final MemorySegment m, final long at, final int available, final SecurityAssociation sa)
    {
        if (sa.direction() != SecurityAssociation.Direction.INBOUND)
        {
            return EspStatus.WRONG_DIRECTION;
        }
        if (sa.isDestroyed())
        {
            return EspStatus.SA_DEAD;
        }
        if (available < Ipv4.MIN_LENGTH || Ipv4.version(m, at) != 4)
        {
            return EspStatus.NOT_ESP;
        }
        final int ihl = Ipv4.headerLength(m, at);
        final int total = Ipv4.totalLength(m, at);
        if (ihl < Ipv4.MIN_LENGTH || total < ihl || total > available)
        {
            return EspStatus.TRUNCATED;
        }
        if (Ipv4.isFragment(m, at))
        {
            return EspStatus.NOT_ESP;
        }
        final int protocol = Ipv4.protocol(m, at);
        final long esp;
        if (protocol == Ipv4.PROTO_ESP)
        {
            esp = at + ihl;
        }
        else if (protocol == Ipv4.PROTO_UDP && total >= ihl + UDP + EspHeader.LENGTH &&
            EspHeader.spi(m, at + ihl + UDP) != EspHeader.NON_ESP_MARKER)
        {
            esp = at + ihl + UDP;
        }
        else
        {
            return EspStatus.NOT_ESP;
        }
        final EspEncryption encryption = sa.encryption();
        final int ivLength = encryption.ivLength();
        final int icvLength = sa.icvLength();
        final int payloadLength = (int)(at + total - esp) - EspHeader.LENGTH - ivLength - icvLength;
        if (payloadLength < EspHeader.TRAILER || payloadLength % encryption.blockSize() != 0)
        {
            return EspStatus.TRUNCATED;
        }
        if (EspHeader.spi(m, esp) != sa.spi())
        {
            return EspStatus.SPI_MISMATCH;
        }
        final long now = clock.nanoTime();
        final int admitted = sa.admit(now, 0);
        if (admitted != EspStatus.OK)
        {
            return admitted;
        }
        final ReplayWindow window = sa.window();
        final long sequence = window.infer(EspHeader.sequence(m, esp));
        final int fresh = window.check(sequence);
        if (fresh != EspStatus.OK)
        {
            return fresh;
        }
        final EspTransform transform = engine.transform(sa);
        if (transform == null)
        {
            return sa.isDestroyed() ? EspStatus.SA_DEAD : EspStatus.CRYPTO_ERROR;
        }
        final int verified = transform.open(m, esp, payloadLength, sequence);
        if (verified != EspStatus.OK)
        {
            return verified;
        }
        window.accept(sequence);

        final long payload = esp + EspHeader.LENGTH + ivLength;
        final long trailer = payload + payloadLength - EspHeader.TRAILER;
        final int padLength = Bytes.u8(m, trailer);
        final int nextHeader = Bytes.u8(m, trailer + 1);
        if (padLength + EspHeader.TRAILER > payloadLength)
        {
            return EspStatus.BAD_PADDING;
        }
        final long pad = trailer - padLength;
        for (int i = 0; i < padLength; i++)
        {
            if (Bytes.u8(m, pad + i) != i + 1)
            {
                return EspStatus.BAD_PADDING;
            }
        }
        if (nextHeader == EspHeader.NEXT_HEADER_NONE)
        {
            return EspStatus.DUMMY_PACKET;
        }
        final int dataLength = payloadLength - EspHeader.TRAILER - padLength;
        if (sa.mode() == SecurityAssociation.Mode.TUNNEL)
        {
            if (nextHeader != EspHeader.NEXT_HEADER_IPV4)
            {
                return EspStatus.BAD_NEXT_HEADER;
            }
            if (dataLength < Ipv4.MIN_LENGTH || Ipv4.version(m, payload) != 4)
            {
                return EspStatus.BAD_INNER_PACKET;
            }
            final int innerHeader = Ipv4.headerLength(m, payload);
            final int innerLength = Ipv4.totalLength(m, payload);
            // The inner packet may be shorter than the data: TFC padding (RFC 4303 2.7) follows it.
            if (innerHeader < Ipv4.MIN_LENGTH || innerLength < innerHeader || innerLength > dataLength)
            {
                return EspStatus.BAD_INNER_PACKET;
            }
            propagateCongestion(m, Ipv4.tos(m, at), payload);
            this.start = payload;
            this.length = innerLength;
        }
        else
        {
            final long header = payload - ihl;
            Bytes.move(m, at, header, ihl);
            Bytes.u8(m, header + Ipv4.PROTOCOL, nextHeader);
            Bytes.u16(m, header + Ipv4.TOTAL_LENGTH, ihl + dataLength);
            Ipv4.updateChecksum(m, header);
            this.start = header;
            this.length = ihl + dataLength;
        }
        sa.account(now, this.length);
        return EspStatus.OK;
    }

    /** RFC 6040: an outer Congestion Experienced mark survives decapsulation if the inner packet is ECN-capable. */
    private static void propagateCongestion(final MemorySegment m, final int outerTos, final long inner)
    {
        final int innerTos = Ipv4.tos(m, inner);
        if ((outerTos & 3) == 3 && (innerTos & 3) != 0 && (innerTos & 3) != 3)
        {
            final int oldWord = Bytes.u16(m, inner);
            final int newWord = oldWord | 3;
            Bytes.u16(m, inner, newWord);
            Bytes.u16(m, inner + Ipv4.CHECKSUM, Checksum.update16(Bytes.u16(m, inner + Ipv4.CHECKSUM), oldWord, newWord));
        }
    }
}
