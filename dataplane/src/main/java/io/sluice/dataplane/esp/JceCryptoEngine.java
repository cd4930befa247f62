package io.sluice.dataplane.esp;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.Security;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;

/**
 * The default {@link CryptoEngine}: the JDK's JCE (SunJCE first, for its AES-NI, AVX-512 and SHA
 * intrinsics; any other provider only if SunJCE is absent). One per worker thread: it owns the
 * heap scratch arrays its transforms copy packets through, and its transforms by SA index.
 * <p>
 * Why heap arrays and not {@code MemorySegment.asByteBuffer()} views of the frames: the JCE's CBC
 * and GCM implementations accept direct ByteBuffers but copy them through temporary arrays they
 * allocate on every call (2.8-2.9 KB per 1400-byte packet, measured on JDK 25), and GCM's fast
 * intrinsic runs on arrays only; the HMAC of {@code javax.crypto.Mac} allocates its inner digest
 * per message. So each packet is copied into a scratch array and back (two memcpy of the payload),
 * the CBC Ciphers are never re-initialised (see {@link JceCbcHmacTransform}) and the HMAC is done
 * over MessageDigest ({@link Hmac}): NULL and CBC+HMAC allocate nothing per packet. AES-GCM and
 * ChaCha20-Poly1305 must {@code init} the Cipher for every packet's nonce, and that allocates
 * inside the JCE (about 1 KB and 2.2 KB per packet); see {@link JceAeadTransform}.
 */
public final class JceCryptoEngine implements CryptoEngine
{
    /** Room for the largest IPv4 packet. */
    static final int SCRATCH_SIZE = 65536 + 256;

    final byte[] scratch = new byte[SCRATCH_SIZE];
    final byte[] scratch2 = new byte[SCRATCH_SIZE];
    private EspTransform[] transforms = new EspTransform[64];
    private long failures;
    private String lastFailure = "";

    @Override
    public String name()
    {
        return "jce";
    }

    @Override
    public EspTransform transform(final SecurityAssociation sa)
    {
        final int index = sa.index();
        final EspTransform[] ts = transforms;
        if (index < ts.length)
        {
            final EspTransform t = ts[index];
            if (t != null && t.sa() == sa)
            {
                return t;
            }
        }
        return create(sa);
    }

    /** An SA's first packet on this worker (or its index was recycled): allocates the Ciphers. */
    private EspTransform create(final SecurityAssociation sa)
    {
        final EspTransform t;
        try
        {
            t = newTransform(this, sa);
        }
        catch (final GeneralSecurityException | RuntimeException e)
        {
            failed(e);
            return null;
        }
        if (!sa.register(t))
        {
            return null;
        }
        final int index = sa.index();
        if (index >= transforms.length)
        {
            transforms = Arrays.copyOf(transforms, Math.max(index + 1, transforms.length * 2));
        }
        transforms[index] = t;
        return t;
    }

    /** Provider failures that were not ICV failures (a bug or a broken provider, not an attack). */
    public long failures()
    {
        return failures;
    }

    /** The last such failure, for {@code show} output. */
    public String lastFailure()
    {
        return lastFailure;
    }

    void failed(final Throwable e)
    {
        failures++;
        lastFailure = e.toString();
    }

    static EspTransform newTransform(final JceCryptoEngine engine, final SecurityAssociation sa)
        throws GeneralSecurityException
    {
        return sa.encryption().aead() ? new JceAeadTransform(engine, sa) : new JceCbcHmacTransform(engine, sa);
    }

    static Cipher cipher(final String transformation) throws NoSuchAlgorithmException, NoSuchPaddingException
    {
        try
        {
            return Cipher.getInstance(transformation, "SunJCE");
        }
        catch (final NoSuchProviderException e)
        {
            return Cipher.getInstance(transformation);
        }
    }

    /**
     * Control path, when an SA is built: makes (and throws away) a transform with the SA's keys, so
     * an algorithm or key this JDK refuses fails here with a message a person can act on, not on
     * a packet.
     *
     * @throws IllegalArgumentException naming the algorithm, the JDK's reason and what to change
     */
    static void check(final SecurityAssociation sa)
    {
        final EspTransform t;
        try
        {
            t = newTransform(null, sa);
        }
        catch (final GeneralSecurityException | RuntimeException e)
        {
            throw refused(sa.encryption(), sa.integrity(), e);
        }
        t.destroy();
    }

    static IllegalArgumentException refused(final EspEncryption e, final EspIntegrity i, final Exception cause)
    {
        final StringBuilder b = new StringBuilder();
        b.append(e.displayName());
        if (i != EspIntegrity.NONE)
        {
            b.append(" with ").append(i.displayName());
        }
        b.append(" cannot be used with this JDK (").append(Runtime.version()).append("): ").append(cause.getMessage());
        final String disabled = Security.getProperty("jdk.crypto.disabledAlgorithms");
        if (cause instanceof NoSuchAlgorithmException && disabled != null && !disabled.isBlank())
        {
            b.append(". This JDK's java.security disables algorithms with jdk.crypto.disabledAlgorithms=\"")
                .append(disabled.strip()).append("\"; to use ").append(e.displayName())
                .append(" with an old peer, take it out of that list (in $JAVA_HOME/conf/security/java.security or a ")
                .append("-Djava.security.properties=FILE override), or better, move the peer to AES-GCM");
        }
        return new IllegalArgumentException(b.toString(), cause);
    }

    /** Re-keys a Cipher with an all-zero key, so the JCE overwrites its expansion of the real one. */
    static void overwriteKeySchedule(final Cipher cipher, final EspEncryption e, final AlgorithmParameterSpec spec)
    {
        final byte[] zero = new byte[e.keyLength()];
        try
        {
            cipher.init(Cipher.DECRYPT_MODE, new EspKey(e.keyAlgorithm(), zero, 0, zero.length), spec);
        }
        catch (final GeneralSecurityException | RuntimeException ignored)
        {
            // Best effort: the SA is going away either way.
        }
    }

    @Override
    public String toString()
    {
        return "jce crypto engine (" + failures + " failures)";
    }
}
