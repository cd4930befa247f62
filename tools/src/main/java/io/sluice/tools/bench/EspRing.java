package io.sluice.tools.bench;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.tools.forward.BenchSa;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * The decrypt direction's traffic: a ring of ESP frames, encrypted once here and replayed by the
 * generator ({@code xdp_gen --ring FILE}). The ring has two halves of {@code N} frames, the first
 * under SPI A with sequence numbers 1..N, the second under SPI B with 1..N; the forwarder renews the
 * SA of the half the generator is not sending, so its anti-replay window stays on (see
 * {@code io.sluice.tools.forward.InboundLaps}).
 * <p>
 * Each frame carries the generator's own UDP frame (10.99.0.1 -> 10.99.0.2, magic, sequence number
 * = its index in the ring) as the DUT delivers it back: in ESP tunnel mode ({@code esp-decrypt}),
 * or GRE (key 1) in ESP transport mode ({@code gre-esp-decrypt}), from the generator's side
 * (192.0.2.2) to the DUT (192.0.2.1). ESP is written here from RFC 4303 / 4106 / 7634 and the JCE,
 * not by Sluice's codec: the DUT's ICV check is then also a check against a second implementation.
 */
final class EspRing
{
    /** A ring holds at most this many bytes of frames (both halves), and a half at most ... */
    static final long MAX_BYTES = 160L << 20;
    /** ... this many frames (a multiple of the IMIX period): at 1.5 Mpps a half lasts 44 ms. */
    static final int MAX_HALF = 65_532;
    private static final int MAGIC_OFFSET = 42;
    private static final byte[] MAGIC = {'S', 'L', 'G', '1'};
    private static final int IMIX_PERIOD = 12;
    /** The generator's IMIX positions (xdp_gen.c IMIX_WIRE): frame i of the ring is position i % 12. */
    static final int[] IMIX_WIRE = {64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 64, 570};

    private EspRing()
    {
    }

    /** The wire size (with FCS) of ring frame {@code i} at {@code size}. */
    static int wire(final FrameSize size, final int i)
    {
        return size.imix() ? IMIX_WIRE[i % IMIX_PERIOD] : size.sizes()[0];
    }

    /** Frames per half at {@code size}: as many as fit {@link #MAX_BYTES}, a multiple of 12. */
    static int half(final FrameSize size)
    {
        final int largest = size.imix() ? 1518 : size.sizes()[0];
        final long fit = MAX_BYTES / 2 / (largest + 100);
        return (int)Math.min(MAX_HALF, fit / IMIX_PERIOD * IMIX_PERIOD);
    }

    /**
     * Writes the ring for a suite and size to {@code file}.
     *
     * @param gre GRE over ESP transport (the DMVPN encapsulation) instead of ESP tunnel mode
     */
    static void write(final Path file, final BenchSa suite, final boolean gre, final FrameSize size, final int half)
    {
        try
        {
            final Encryptor enc = new Encryptor(suite);
            final int count = 2 * half;
            final byte[][] frames = new byte[count][];
            final int[] wires = new int[count];
            int largest = 0;
            for (int i = 0; i < count; i++)
            {
                final int spi = i < half ? BenchSa.INBOUND_SPI_A : BenchSa.INBOUND_SPI_B;
                final int seq = i % half + 1;
                wires[i] = wire(size, i);
                frames[i] = frame(enc, spi, seq, gre, plainPacket(wires[i], i));
                largest = Math.max(largest, frames[i].length);
            }
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20))
            {
                final ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
                h.put(new byte[]{'S', 'L', 'R', '1'}).putInt(count).putInt(largest);
                out.write(h.array());
                final ByteBuffer f = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < count; i++)
                {
                    f.clear();
                    f.putShort((short)frames[i].length).putShort((short)wires[i]);
                    out.write(f.array());
                    out.write(frames[i]);
                }
            }
        }
        catch (final IOException e)
        {
            throw new BenchException("cannot write the ESP frame ring " + file + ": " + e.getMessage(), e);
        }
        catch (final GeneralSecurityException e)
        {
            throw new BenchException("the JCE cannot encrypt the ESP frame ring with " + suite.name() + ": " + e, e);
        }
    }

    /** The IPv4 packet of the generator's UDP frame of {@code wire} bytes, sequence number {@code seq}. */
    static byte[] plainPacket(final int wire, final long seq)
    {
        final byte[] p = new byte[wire - 4 - 14];
        ipv4(p, 0, p.length, 17, new byte[]{10, 99, 0, 1}, new byte[]{10, 99, 0, 2}, true);
        final ByteBuffer b = ByteBuffer.wrap(p);
        b.putShort(20, (short)40000).putShort(22, (short)9).putShort(24, (short)(p.length - 20));
        System.arraycopy(MAGIC, 0, p, MAGIC_OFFSET - 14, 4);
        ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).putLong(MAGIC_OFFSET - 14 + 4, seq);
        return p;
    }

    /** An IPv4 header at {@code at}: TTL 64, no options, the checksum filled in. */
    private static void ipv4(final byte[] p, final int at, final int totalLength, final int protocol, final byte[] src,
        final byte[] dst, final boolean df)
    {
        p[at] = 0x45;
        p[at + 2] = (byte)(totalLength >>> 8);
        p[at + 3] = (byte)totalLength;
        p[at + 6] = (byte)(df ? 0x40 : 0);
        p[at + 8] = 64;
        p[at + 9] = (byte)protocol;
        System.arraycopy(src, 0, p, at + 12, 4);
        System.arraycopy(dst, 0, p, at + 16, 4);
        int sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += (p[at + i] & 0xff) << 8 | p[at + i + 1] & 0xff;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        p[at + 10] = (byte)(~sum >>> 8);
        p[at + 11] = (byte)~sum;
    }

    /** Ethernet (MACs zero: the generator writes its own) + outer IPv4 192.0.2.2 -> 192.0.2.1 + ESP. */
    static byte[] frame(final Encryptor enc, final int spi, final int seq, final boolean gre, final byte[] inner)
        throws GeneralSecurityException
    {
        final byte[] payload;
        if (gre)
        {
            // GRE with key (RFC 2890): K bit, protocol IPv4, key
            payload = new byte[8 + inner.length];
            ByteBuffer.wrap(payload).putShort((short)0x2000).putShort((short)0x0800).putInt(BenchSa.GRE_KEY);
            System.arraycopy(inner, 0, payload, 8, inner.length);
        }
        else
        {
            payload = inner;
        }
        final byte[] esp = enc.encrypt(spi, seq, payload, gre ? 47 : 4);
        final byte[] f = new byte[14 + 20 + esp.length];
        f[12] = 0x08;
        ipv4(f, 14, 20 + esp.length, 50, new byte[]{(byte)192, 0, 2, 2}, new byte[]{(byte)192, 0, 2, 1}, false);
        System.arraycopy(esp, 0, f, 34, esp.length);
        return f;
    }

    /** RFC 4303 ESP with one suite's bench keys: header, IV, ciphertext of payload + padding + trailer, ICV. */
    static final class Encryptor
    {
        private final BenchSa suite;
        private final EspEncryption e;
        private final Cipher cipher;
        private final Mac mac;

        Encryptor(final BenchSa suite) throws GeneralSecurityException
        {
            this.suite = suite;
            this.e = suite.encryption();
            this.cipher = Cipher.getInstance(e.transformation());
            final EspIntegrity i = suite.integrity();
            this.mac = i == EspIntegrity.NONE ? null : Mac.getInstance("Hmac" + i.digest().replace("-", ""));
        }

        byte[] encrypt(final int spi, final int seq, final byte[] payload, final int nextHeader)
            throws GeneralSecurityException
        {
            final int align = Math.max(4, e.blockSize());
            final int padded = (payload.length + 2 + align - 1) / align * align;
            final byte[] plain = Arrays.copyOf(payload, padded);
            final int pad = padded - payload.length - 2;
            for (int k = 0; k < pad; k++)
            {
                plain[payload.length + k] = (byte)(k + 1);
            }
            plain[padded - 2] = (byte)pad;
            plain[padded - 1] = (byte)nextHeader;
            final byte[] header = ByteBuffer.allocate(8).putInt(spi).putInt(seq).array();
            final byte[] iv = new byte[e.ivLength()];
            // unique per packet of an SA: the sequence number (and for CBC, any unpredictable-enough bytes)
            ByteBuffer.wrap(iv).putInt(iv.length - 4, seq);
            iv[0] = (byte)(spi >>> 8);
            final byte[] keyMaterial = suite.encryptionKey(spi);
            final SecretKeySpec key = new SecretKeySpec(keyMaterial, 0, e.keyLength(), e.keyAlgorithm());
            final byte[] body;
            if (e.aead())
            {
                final byte[] nonce = new byte[e.saltLength() + iv.length];
                System.arraycopy(keyMaterial, e.keyLength(), nonce, 0, e.saltLength());
                System.arraycopy(iv, 0, nonce, e.saltLength(), iv.length);
                cipher.init(Cipher.ENCRYPT_MODE, key, e == EspEncryption.CHACHA20_POLY1305 ?
                    new IvParameterSpec(nonce) : new GCMParameterSpec(e.icvLength() * 8, nonce));
                cipher.updateAAD(header);
                body = cipher.doFinal(plain); // ciphertext || tag
            }
            else
            {
                cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
                final byte[] c = cipher.doFinal(plain);
                mac.init(new SecretKeySpec(suite.integrityKey(spi), mac.getAlgorithm()));
                mac.update(header);
                mac.update(iv);
                mac.update(c);
                final byte[] icv = Arrays.copyOf(mac.doFinal(), suite.integrity().icvLength());
                body = new byte[c.length + icv.length];
                System.arraycopy(c, 0, body, 0, c.length);
                System.arraycopy(icv, 0, body, c.length, icv.length);
            }
            final byte[] out = new byte[8 + iv.length + body.length];
            System.arraycopy(header, 0, out, 0, 8);
            System.arraycopy(iv, 0, out, 8, iv.length);
            System.arraycopy(body, 0, out, 8 + iv.length, body.length);
            return out;
        }
    }
}
