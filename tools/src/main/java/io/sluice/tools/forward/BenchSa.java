package io.sluice.tools.forward;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.SecurityAssociation;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.List;

/**
 * The ESP SAs of the benchmark: a cipher suite by its bench name, with fixed keys that the
 * forwarder under test ({@code sluice forward --mode esp...}) and the harness that pre-encrypts the
 * decrypt direction's frames ({@code io.sluice.tools.bench.EspRing}) both derive from the suite.
 * Benchmark keys only: they are public, and protect nothing.
 *
 * @param name       the bench name ({@code gcm128}, {@code cbc-sha256}, ...)
 * @param encryption the ESP encryption transform
 * @param integrity  the ESP integrity transform (NONE for AEADs)
 */
public record BenchSa(String name, EspEncryption encryption, EspIntegrity integrity)
{
    /** Outer (tunnel) addresses: the DUT's and the generator's side, as the route and gre modes use them. */
    public static final String DUT_IP = "192.0.2.1";
    public static final String PEER_IP = "192.0.2.2";
    /** The encrypt direction's outbound SA. */
    public static final int OUTBOUND_SPI = 0x5100;
    /**
     * The decrypt direction's two inbound SAs: the generator's ring holds one half under each, and
     * the forwarder renews the SA of the half not in use (see {@link InboundLaps}).
     */
    public static final int INBOUND_SPI_A = 0x5200;
    public static final int INBOUND_SPI_B = 0x5201;
    /** The GRE key of the gre-esp tunnel (the same tunnel as the gre scenario). */
    public static final int GRE_KEY = 1;

    public static final List<BenchSa> ALL = List.of(
        new BenchSa("gcm128", EspEncryption.AES_GCM_128, EspIntegrity.NONE),
        new BenchSa("gcm256", EspEncryption.AES_GCM_256, EspIntegrity.NONE),
        new BenchSa("cbc-sha256", EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128),
        new BenchSa("3des-md5", EspEncryption.DES3_CBC, EspIntegrity.HMAC_MD5_96),
        new BenchSa("chacha20", EspEncryption.CHACHA20_POLY1305, EspIntegrity.NONE));

    public static BenchSa named(final String name)
    {
        for (final BenchSa s : ALL)
        {
            if (s.name.equals(name))
            {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown ESP suite '" + name + "'; expected one of " +
            ALL.stream().map(BenchSa::name).toList());
    }

    /** The encryption key material (with the salt for AEADs) of an SA, from its SPI. */
    public byte[] encryptionKey(final int spi)
    {
        return key(encryption.keyMaterialLength(), spi, 0x11);
    }

    /** The integrity key of an SA (empty for AEADs). */
    public byte[] integrityKey(final int spi)
    {
        return key(integrity.keyLength(), spi, 0x5b);
    }

    /** An SA of this suite: outbound from {@code src} to {@code dst}, or inbound. */
    public SecurityAssociation sa(
        final int spi, final boolean outbound, final SecurityAssociation.Mode mode, final int binding, final int src,
        final int dst)
    {
        final SecurityAssociation.Builder b = SecurityAssociation.builder().spi(spi).mode(mode).tunnel(binding)
            .encryption(encryption, encryptionKey(spi));
        if (integrity != EspIntegrity.NONE)
        {
            b.integrity(integrity, integrityKey(spi));
        }
        return (outbound ? b.outbound() : b.inbound()).endpoints(src, dst).build();
    }

    /**
     * Runs this suite's JCE cipher (and HMAC) on short and long packets for {@code millis}, both
     * ways, before the forwarder says READY: the JIT compiles the JCE's AES-GCM, ChaCha20, CBC and
     * hash intrinsics after thousands of calls, and until then the interpreter does the crypto at a
     * few hundred packets a second. A gateway that has run for a while is what the bench measures.
     */
    public void warmUp(final long millis)
    {
        try
        {
            final Cipher c = Cipher.getInstance(encryption.transformation());
            final SecretKeySpec key = new SecretKeySpec(encryptionKey(OUTBOUND_SPI), 0, encryption.keyLength(),
                encryption.keyAlgorithm());
            final Mac mac = integrity == EspIntegrity.NONE ? null :
                Mac.getInstance("Hmac" + integrity.digest().replace("-", ""));
            if (mac != null)
            {
                mac.init(new SecretKeySpec(integrityKey(OUTBOUND_SPI), mac.getAlgorithm()));
            }
            final byte[] in = new byte[1424];
            final byte[] out = new byte[1424 + 64];
            final byte[] back = new byte[1424 + 64];
            final byte[] nonce = new byte[encryption.aead() ? 12 : encryption.ivLength()];
            final long end = System.nanoTime() + millis * 1_000_000L;
            long n = 0;
            while (System.nanoTime() < end)
            {
                for (final int len : new int[]{48, 560, 1424})
                {
                    n++;
                    for (int b = 0; b < 8; b++)
                    {
                        nonce[nonce.length - 1 - b] = (byte)(n >>> (8 * b));
                    }
                    final java.security.spec.AlgorithmParameterSpec spec =
                        encryption.aead() && encryption != EspEncryption.CHACHA20_POLY1305 ?
                            new GCMParameterSpec(128, nonce) : new IvParameterSpec(nonce);
                    c.init(Cipher.ENCRYPT_MODE, key, spec);
                    if (encryption.aead())
                    {
                        c.updateAAD(nonce, 0, 8);
                    }
                    final int sealed = c.doFinal(in, 0, len, out, 0);
                    c.init(Cipher.DECRYPT_MODE, key, spec);
                    if (encryption.aead())
                    {
                        c.updateAAD(nonce, 0, 8);
                    }
                    c.doFinal(out, 0, sealed, back, 0);
                    if (mac != null)
                    {
                        mac.update(out, 0, sealed);
                        mac.doFinal();
                    }
                }
            }
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException("the JCE refuses " + encryption.displayName() + ": " + e, e);
        }
    }

    private static byte[] key(final int length, final int spi, final int seed)
    {
        final byte[] k = new byte[length];
        for (int i = 0; i < length; i++)
        {
            k[i] = (byte)(seed + i * 29 + spi * 7);
        }
        return k;
    }
}
