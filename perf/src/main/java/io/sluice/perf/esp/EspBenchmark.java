package io.sluice.perf.esp;

import io.sluice.dataplane.esp.EspCodec;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.EspStatus;
import io.sluice.dataplane.esp.JceCryptoEngine;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.packet.Bytes;
import org.agrona.concurrent.CachedNanoClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * ns per packet for ESP encryption and decryption (tunnel mode, one SA, a burst of {@value #BURST}
 * packets in {@value #BURST} frames per operation), beside the raw JCE cost of the same
 * cryptography measured in the same run: the same Cipher transformation and Mac over the same
 * number of bytes, on heap arrays (where the JCE is fastest), with no ESP framing.
 * <ul>
 *   <li>{@code espEncrypt}: copy the inner packet into its frame, {@link EspCodec#encrypt}.</li>
 *   <li>{@code espDecrypt}: copy an ESP packet into its frame, {@link EspCodec#decrypt}; the burst's ESP
 *   packets are made before each burst, outside the timing, with the next sequence numbers.</li>
 *   <li>{@code jceEncrypt} / {@code jceDecrypt}: AEAD: {@code init} with the packet's nonce, 8 bytes of
 *   AAD, {@code doFinal} over the ESP payload's length; CBC+HMAC: a CBC {@code update} over the
 *   payload and {@code javax.crypto.Mac} over header, IV and payload (decrypt: the tag checked
 *   first); NULL: the Mac only. jceDecrypt's packets are sealed before each burst, outside the
 *   timing, as espDecrypt's are, so that both decrypt benchmarks run under the same harness.</li>
 *   <li>{@link EspFrameCopyBenchmark}: the copy into the frame both ESP benchmarks start with (the
 *   harness needs it; a real packet is already in its frame).</li>
 * </ul>
 * Reading: ESP overhead beyond the cipher = (esp - frameCopy - jce) / jce. The goal is 15% or less
 * at 1400 B.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(java.util.concurrent.TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class EspBenchmark
{
    static final int BURST = 64;
    static final int FRAME = 2048;
    static final int HEADROOM = 256;
    static final int OUR_IP = Bytes.parseIp4("192.0.2.1");
    static final int PEER_IP = Bytes.parseIp4("198.51.100.2");

    @Param({"aes-gcm-128", "aes-gcm-256", "chacha20-poly1305", "aes-cbc-128/hmac-sha1", "aes-cbc-256/hmac-sha256",
        "aes-cbc-256/hmac-sha512", "3des/hmac-sha1", "des/hmac-md5", "null/hmac-sha256"})
    public String algorithm;

    /** The inner IPv4 packet's length. */
    @Param({"64", "512", "1400"})
    public int size;

    EspEncryption encryption;
    EspIntegrity integrity;
    byte[] encryptionKey;
    byte[] integrityKey;

    Arena arena;
    MemorySegment frames;
    MemorySegment template;
    final CachedNanoClock clock = new CachedNanoClock();
    JceCryptoEngine engine;
    EspCodec codec;
    private SecurityAssociation outbound;

    // The baseline's JCE objects and heap buffers.
    int payloadLength;
    Cipher aead;
    Cipher cbcEncrypt;
    private Cipher cbcDecrypt;
    Mac mac;
    SecretKeySpec aeadKey;
    private final byte[] nonce = new byte[12];
    private long nonceCounter;
    final byte[] aad = new byte[8];
    final byte[] plain = new byte[4096];
    private final byte[] out = new byte[4096];
    private final byte[] tag = new byte[64];

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException
    {
        final String[] parts = algorithm.split("/");
        encryption = switch (parts[0])
        {
            case "aes-gcm-128" -> EspEncryption.AES_GCM_128;
            case "aes-gcm-256" -> EspEncryption.AES_GCM_256;
            case "chacha20-poly1305" -> EspEncryption.CHACHA20_POLY1305;
            case "aes-cbc-128" -> EspEncryption.AES_CBC_128;
            case "aes-cbc-256" -> EspEncryption.AES_CBC_256;
            case "3des" -> EspEncryption.DES3_CBC;
            case "des" -> EspEncryption.DES_CBC;
            case "null" -> EspEncryption.NULL;
            default -> throw new IllegalArgumentException(algorithm);
        };
        integrity = parts.length == 1 ? EspIntegrity.NONE : switch (parts[1])
        {
            case "hmac-sha1" -> EspIntegrity.HMAC_SHA1_96;
            case "hmac-sha256" -> EspIntegrity.HMAC_SHA256_128;
            case "hmac-sha512" -> EspIntegrity.HMAC_SHA512_256;
            case "hmac-md5" -> EspIntegrity.HMAC_MD5_96;
            default -> throw new IllegalArgumentException(algorithm);
        };
        encryptionKey = pattern(encryption.keyMaterialLength(), 1);
        integrityKey = pattern(integrity.keyLength(), 2);
        clock.update(System.nanoTime());
        arena = Arena.ofShared();
        frames = arena.allocate((long)FRAME * BURST, 4096);
        template = arena.allocate(size);
        MemorySegment.copy(udp(size), 0, template, ValueLayout.JAVA_BYTE, 0, size);
        engine = new JceCryptoEngine();
        codec = new EspCodec(engine, clock, FRAME);
        outbound = sa(true);
        setUpBaseline();
    }

    SecurityAssociation sa(final boolean out)
    {
        final SecurityAssociation.Builder b = SecurityAssociation.builder().spi(0x1000).clock(clock)
            .encryption(encryption, encryptionKey);
        if (integrity != EspIntegrity.NONE)
        {
            b.integrity(integrity, integrityKey);
        }
        return out ? b.outbound().endpoints(OUR_IP, PEER_IP).build() : b.inbound().endpoints(PEER_IP, OUR_IP).build();
    }

    private void setUpBaseline() throws GeneralSecurityException
    {
        payloadLength = (size + 2 + encryption.blockSize() - 1) / encryption.blockSize() * encryption.blockSize();
        MemorySegment.copy(template, ValueLayout.JAVA_BYTE, 0, plain, 0, size);
        if (integrity != EspIntegrity.NONE)
        {
            final String name = switch (integrity)
            {
                case HMAC_MD5_96 -> "HmacMD5";
                case HMAC_SHA1_96 -> "HmacSHA1";
                case HMAC_SHA256_128 -> "HmacSHA256";
                case HMAC_SHA384_192 -> "HmacSHA384";
                case HMAC_SHA512_256 -> "HmacSHA512";
                case NONE -> throw new IllegalStateException();
            };
            mac = Mac.getInstance(name);
            mac.init(new SecretKeySpec(integrityKey, name));
        }
        if (encryption.aead())
        {
            aead = Cipher.getInstance(encryption.transformation());
            aeadKey = new SecretKeySpec(encryptionKey, 0, encryption.keyLength(), encryption.keyAlgorithm());
            System.arraycopy(encryptionKey, encryption.keyLength(), nonce, 0, 4);
        }
        else if (encryption.cbc())
        {
            final SecretKeySpec key = new SecretKeySpec(encryptionKey, encryption.keyAlgorithm());
            final IvParameterSpec iv = new IvParameterSpec(new byte[encryption.ivLength()]);
            cbcEncrypt = Cipher.getInstance(encryption.transformation());
            cbcEncrypt.init(Cipher.ENCRYPT_MODE, key, iv);
            cbcDecrypt = Cipher.getInstance(encryption.transformation());
            cbcDecrypt.init(Cipher.DECRYPT_MODE, key, iv);
        }
    }

    private byte[] nextNonce()
    {
        ByteBuffer.wrap(nonce, 4, 8).putLong(++nonceCounter);
        return nonce;
    }

    AlgorithmParameterSpec spec(final byte[] n)
    {
        return encryption == EspEncryption.CHACHA20_POLY1305 ? new IvParameterSpec(n) : new GCMParameterSpec(128, n);
    }

    static void check(final int status)
    {
        if (status != EspStatus.OK)
        {
            throw new IllegalStateException("ESP failed: " + EspStatus.name(status));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        outbound.destroy();
        arena.close();
    }

    /**
     * espDecrypt's side: one inbound SA for the whole trial (its Cipher stays warm, as a real one's
     * does), and before each burst, outside the timing, a fresh burst of ESP packets with the next
     * sequence numbers, made by a second outbound SA with the same keys.
     */
    @State(Scope.Thread)
    public static class Inbound
    {
        SecurityAssociation sa;
        SecurityAssociation maker;
        MemorySegment sealed;
        final int[] sealedLength = new int[BURST];

        @Setup(Level.Trial)
        public void setUp(final EspBenchmark b)
        {
            sa = b.sa(false);
            maker = b.sa(true);
            sealed = b.arena.allocate((long)FRAME * BURST, 4096);
        }

        @Setup(Level.Invocation)
        public void refill(final EspBenchmark b)
        {
            for (int i = 0; i < BURST; i++)
            {
                final long at = (long)i * FRAME + HEADROOM;
                MemorySegment.copy(b.template, 0, b.frames, at, b.size);
                check(b.codec.encrypt(b.frames, at, b.size, maker));
                MemorySegment.copy(b.frames, b.codec.start(), sealed, at, b.codec.length());
                sealedLength[i] = b.codec.length();
            }
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            sa.destroy();
            maker.destroy();
        }
    }

    // ------------------------------------------------------------------ ESP

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long espEncrypt()
    {
        long sum = 0;
        for (int i = 0; i < BURST; i++)
        {
            final long at = (long)i * FRAME + HEADROOM;
            MemorySegment.copy(template, 0, frames, at, size);
            check(codec.encrypt(frames, at, size, outbound));
            sum += codec.length();
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long espDecrypt(final Inbound inbound)
    {
        long sum = 0;
        for (int i = 0; i < BURST; i++)
        {
            final long at = (long)i * FRAME + HEADROOM;
            MemorySegment.copy(inbound.sealed, at, frames, at, inbound.sealedLength[i]);
            check(codec.decrypt(frames, at, inbound.sealedLength[i], inbound.sa));
            sum += codec.length();
        }
        return sum;
    }

    // ------------------------------------------------------------------ the JCE alone

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long jceEncrypt() throws GeneralSecurityException
    {
        long sum = 0;
        for (int i = 0; i < BURST; i++)
        {
            if (aead != null)
            {
                aead.init(Cipher.ENCRYPT_MODE, aeadKey, spec(nextNonce()));
                aead.updateAAD(aad, 0, 8);
                sum += aead.doFinal(plain, 0, payloadLength, out, 0);
                continue;
            }
            final int ivLength = encryption.ivLength();
            if (cbcEncrypt != null)
            {
                sum += cbcEncrypt.update(plain, 0, payloadLength, out, 8 + ivLength);
            }
            mac.update(out, 0, 8 + ivLength + payloadLength);
            mac.doFinal(tag, 0);
            sum += tag[0];
        }
        return sum;
    }

    /**
     * jceDecrypt's side, made like espDecrypt's so that both run under the same harness: before
     * each burst, outside the timing, a second set of JCE objects seals the burst's packets (fresh
     * nonces; real tags for the Mac to verify).
     */
    @State(Scope.Thread)
    public static class JceInbound
    {
        final byte[][] sealed = new byte[BURST][4096];
        final byte[][] nonces = new byte[BURST][];
        private Cipher maker;
        private Cipher makerCbc;
        private Mac makerMac;
        private final byte[] makerNonce = new byte[12];
        private long counter;

        @Setup(Level.Trial)
        public void setUp(final EspBenchmark b) throws GeneralSecurityException
        {
            if (b.aead != null)
            {
                maker = Cipher.getInstance(b.encryption.transformation());
                System.arraycopy(b.encryptionKey, b.encryption.keyLength(), makerNonce, 0, 4);
            }
            if (b.cbcEncrypt != null)
            {
                makerCbc = Cipher.getInstance(b.encryption.transformation());
                makerCbc.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(b.encryptionKey, b.encryption.keyAlgorithm()),
                    new IvParameterSpec(new byte[b.encryption.ivLength()]));
            }
            if (b.mac != null)
            {
                makerMac = Mac.getInstance(b.mac.getAlgorithm());
                makerMac.init(new SecretKeySpec(b.integrityKey, b.mac.getAlgorithm()));
            }
        }

        @Setup(Level.Invocation)
        public void refill(final EspBenchmark b) throws GeneralSecurityException
        {
            for (int i = 0; i < BURST; i++)
            {
                if (maker != null)
                {
                    ByteBuffer.wrap(makerNonce, 4, 8).putLong(++counter);
                    nonces[i] = makerNonce.clone();
                    maker.init(Cipher.ENCRYPT_MODE, b.aeadKey, b.spec(nonces[i]));
                    maker.updateAAD(b.aad, 0, 8);
                    maker.doFinal(b.plain, 0, b.payloadLength, sealed[i], 0);
                    continue;
                }
                final int authenticated = 8 + b.encryption.ivLength() + b.payloadLength;
                if (makerCbc != null)
                {
                    makerCbc.update(b.plain, 0, b.payloadLength, sealed[i], 8 + b.encryption.ivLength());
                }
                else
                {
                    System.arraycopy(b.plain, 0, sealed[i], 8, b.payloadLength);
                }
                makerMac.update(sealed[i], 0, authenticated);
                makerMac.doFinal(sealed[i], authenticated);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long jceDecrypt(final JceInbound in) throws GeneralSecurityException
    {
        long sum = 0;
        for (int i = 0; i < BURST; i++)
        {
            final byte[] packet = in.sealed[i];
            if (aead != null)
            {
                aead.init(Cipher.DECRYPT_MODE, aeadKey, spec(in.nonces[i]));
                aead.updateAAD(aad, 0, 8);
                sum += aead.doFinal(packet, 0, payloadLength + encryption.icvLength(), out, 0);
                continue;
            }
            final int ivLength = encryption.ivLength();
            final int authenticated = 8 + ivLength + payloadLength;
            mac.update(packet, 0, authenticated);
            mac.doFinal(tag, 0);
            int difference = 0;
            for (int k = 0; k < integrity.icvLength(); k++)
            {
                difference |= tag[k] ^ packet[authenticated + k];
            }
            if (difference != 0)
            {
                throw new IllegalStateException("bad ICV in the baseline");
            }
            if (cbcDecrypt != null)
            {
                sum += cbcDecrypt.update(packet, 8 + ivLength, payloadLength, out, 0);
            }
        }
        return sum;
    }

    // ------------------------------------------------------------------ packets

    static byte[] pattern(final int length, final int seed)
    {
        final byte[] b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            b[i] = (byte)(seed * 31 + i * 7 + 1);
        }
        return b;
    }

    /** An IPv4/UDP packet of {@code size} bytes, checksum right. */
    static byte[] udp(final int size)
    {
        final ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte)0x45).put((byte)0).putShort((short)size).putShort((short)1).putShort((short)0)
            .put((byte)64).put((byte)17).putShort((short)0).putInt(Bytes.parseIp4("10.1.0.10"))
            .putInt(Bytes.parseIp4("10.2.0.20"));
        long sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += b.getShort(i) & 0xffff;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        b.putShort(10, (short)~sum);
        b.putShort((short)40000).putShort((short)9).putShort((short)(size - 20)).putShort((short)0);
        b.put(Arrays.copyOf(pattern(size - 28, 3), size - 28));
        return b.array();
    }
}
