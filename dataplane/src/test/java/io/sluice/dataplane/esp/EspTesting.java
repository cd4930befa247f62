package io.sluice.dataplane.esp;

import io.sluice.dataplane.testing.Packets;
import org.agrona.concurrent.CachedNanoClock;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/**
 * Frames, SA pairs and packets for the ESP tests: frames laid out as a FramePool lays them out
 * (2048 bytes, packets 256 bytes in), one clock for SAs and codecs, and the algorithm choices.
 */
final class EspTesting implements AutoCloseable
{
    static final int FRAME = 2048;
    static final int HEADROOM = 256;
    static final int FRAMES = 64;

    static final int OURS = Packets.ip("192.0.2.1");
    static final int PEER = Packets.ip("198.51.100.2");
    static final int HOST_A = Packets.ip("10.1.0.10");
    static final int HOST_B = Packets.ip("10.2.0.20");

    final Arena arena = Arena.ofConfined();
    final MemorySegment memory = arena.allocate((long)FRAME * FRAMES, 4096);
    final CachedNanoClock clock = new CachedNanoClock();
    final JceCryptoEngine engine = new JceCryptoEngine();
    final EspCodec codec = new EspCodec(engine, clock, FRAME);

    EspTesting()
    {
        clock.update(1_000_000_000L);
    }

    /** Copies a packet into frame {@code frame} at the usual headroom and returns its address. */
    long put(final int frame, final byte[] packet)
    {
        return put(frame, HEADROOM, packet);
    }

    long put(final int frame, final int offset, final byte[] packet)
    {
        final long at = (long)frame * FRAME + offset;
        MemorySegment.copy(packet, 0, memory, ValueLayout.JAVA_BYTE, at, packet.length);
        return at;
    }

    byte[] get(final long at, final int length)
    {
        final byte[] b = new byte[length];
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, at, b, 0, length);
        return b;
    }

    /** The packet of the codec's last successful call. */
    byte[] result()
    {
        return get(codec.start(), codec.length());
    }

    /** Encrypts {@code packet} in frame 0 and returns the ESP packet, failing the test on a drop. */
    byte[] encrypt(final SecurityAssociation out, final byte[] packet)
    {
        final long at = put(0, packet);
        final int status = codec.encrypt(memory, at, packet.length, out);
        if (status != EspStatus.OK)
        {
            throw new AssertionError("encrypt: " + EspStatus.name(status) + " for " + out);
        }
        return result();
    }

    /** Decrypts {@code packet} in frame 1 and returns the status; the result is then {@link #result()}. */
    int decrypt(final SecurityAssociation in, final byte[] packet)
    {
        final long at = put(1, packet);
        return codec.decrypt(memory, at, packet.length, in);
    }

    byte[] decryptOk(final SecurityAssociation in, final byte[] packet)
    {
        final int status = decrypt(in, packet);
        if (status != EspStatus.OK)
        {
            throw new AssertionError("decrypt: " + EspStatus.name(status) + " for " + in);
        }
        return result();
    }

    @Override
    public void close()
    {
        arena.close();
    }

    // ------------------------------------------------------------------ SAs

    /** An algorithm choice for the matrix tests. */
    record Suite(EspEncryption encryption, EspIntegrity integrity)
    {
        byte[] encryptionKey(final int seed)
        {
            return bytes(encryption.keyMaterialLength(), seed);
        }

        byte[] integrityKey(final int seed)
        {
            return bytes(integrity.keyLength(), seed + 100);
        }

        @Override
        public String toString()
        {
            return encryption.displayName() + (integrity == EspIntegrity.NONE ? "" : "+" + integrity.displayName());
        }
    }

    static final Suite[] SUITES = {
        new Suite(EspEncryption.AES_GCM_128, EspIntegrity.NONE),
        new Suite(EspEncryption.AES_GCM_192, EspIntegrity.NONE),
        new Suite(EspEncryption.AES_GCM_256, EspIntegrity.NONE),
        new Suite(EspEncryption.CHACHA20_POLY1305, EspIntegrity.NONE),
        new Suite(EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96),
        new Suite(EspEncryption.AES_CBC_192, EspIntegrity.HMAC_SHA384_192),
        new Suite(EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128),
        new Suite(EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA512_256),
        new Suite(EspEncryption.DES3_CBC, EspIntegrity.HMAC_MD5_96),
        new Suite(EspEncryption.DES3_CBC, EspIntegrity.HMAC_SHA1_96),
        new Suite(EspEncryption.DES_CBC, EspIntegrity.HMAC_MD5_96),
        new Suite(EspEncryption.DES_CBC, EspIntegrity.HMAC_SHA1_96),
        new Suite(EspEncryption.NULL, EspIntegrity.HMAC_SHA256_128),
        new Suite(EspEncryption.NULL, EspIntegrity.HMAC_MD5_96),
    };

    /** A builder with the suite's keys (seeded), the given SPI and mode, endpoints OURS -> PEER. */
    SecurityAssociation.Builder builder(
        final Suite suite, final int spi, final boolean outbound, final SecurityAssociation.Mode mode, final int seed)
    {
        final SecurityAssociation.Builder b = SecurityAssociation.builder().spi(spi).mode(mode).clock(clock)
            .encryption(suite.encryption(), suite.encryptionKey(seed));
        if (suite.integrity() != EspIntegrity.NONE)
        {
            b.integrity(suite.integrity(), suite.integrityKey(seed));
        }
        return outbound ? b.outbound().endpoints(OURS, PEER) : b.inbound().endpoints(PEER, OURS);
    }

    static byte[] bytes(final int length, final int seed)
    {
        final byte[] b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            b[i] = (byte)(seed * 31 + i * 7 + 1);
        }
        return b;
    }

    static byte[] hex(final String text)
    {
        return HexFormat.of().parseHex(text.replaceAll("\\s", ""));
    }

    static String hex(final byte[] b)
    {
        return HexFormat.of().formatHex(b);
    }

    /** A UDP packet HOST_A -> HOST_B of {@code length} bytes in all, with a recognisable payload. */
    static byte[] udpPacket(final int length, final int tos, final int seed)
    {
        final byte[] ip = Packets.ipv4(HOST_A, HOST_B, 17, 64, 0x1000 + seed, 0x4000, Packets.udp(40000, 40001,
            Packets.pattern(length - 28, seed)));
        ip[1] = (byte)tos;
        final int c = Packets.checksum(withZeroChecksum(ip), 0, 20);
        ip[10] = (byte)(c >>> 8);
        ip[11] = (byte)c;
        return ip;
    }

    private static byte[] withZeroChecksum(final byte[] ip)
    {
        final byte[] copy = ip.clone();
        copy[10] = 0;
        copy[11] = 0;
        return copy;
    }
}
