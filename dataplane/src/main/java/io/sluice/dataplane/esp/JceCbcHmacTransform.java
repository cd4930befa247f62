package io.sluice.dataplane.esp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;

/**
 * A CBC cipher (AES, 3DES, DES) or NULL (RFC 2410), with an HMAC, through the JCE; no allocation
 * per packet.
 * <p>
 * <b>The Cipher is never re-initialised.</b> Each direction keeps one CBC Cipher across packets,
 * only ever calling {@code update}, so its chaining block carries over from packet to packet.
 * Outbound, the block cipher input for the IV is a block R (the sequence number, then the SPI,
 * then zeros) fed ahead of the payload: the cipher writes E(R xor previous ciphertext block),
 * which becomes the packet's IV, and then the payload's CBC ciphertext under exactly that IV. The
 * IV is thus the encryption of a never-repeating block under the SA's key, unpredictable to anyone
 * without the key, as RFC 3602 3 and NIST SP 800-38A Appendix C ask; and no per-packet
 * {@code init} with a new {@code IvParameterSpec} is needed. Inbound, the IV block is fed ahead of
 * the ciphertext: the first block out is thrown away, the rest is the plaintext.
 * <p>
 * The JCE's CBC would allocate two temporary arrays per call on direct ByteBuffers, and would
 * copy the input when input and output are one array; so the packet is copied into one scratch
 * array, en- or decrypted into a second and copied back. The HMAC reads the scratch arrays.
 */
final class JceCbcHmacTransform implements EspTransform
{
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private final SecurityAssociation sa;
    private final JceCryptoEngine engine;
    private final Cipher encryptor;
    private final Cipher decryptor;
    private final EspKey key;
    private final Hmac hmac;
    private final int ivLength;
    private final int icvLength;
    private final boolean esn;
    private byte[] forcedIv;

    JceCbcHmacTransform(final JceCryptoEngine engine, final SecurityAssociation sa) throws GeneralSecurityException
    {
        this.sa = sa;
        this.engine = engine;
        final EspEncryption e = sa.encryption();
        final EspIntegrity i = sa.integrity();
        this.ivLength = e.ivLength();
        this.icvLength = sa.icvLength();
        this.esn = sa.esn();
        final byte[] authKey = sa.integrityKey();
        this.hmac = new Hmac(i.digest(), i.digestBlockSize(), authKey, 0, authKey.length);
        if (e.cbc())
        {
            final byte[] material = sa.encryptionKeyMaterial();
            this.key = new EspKey(e.keyAlgorithm(), material, 0, e.keyLength());
            final byte[] start = new byte[ivLength];
            new SecureRandom().nextBytes(start);
            this.encryptor = JceCryptoEngine.cipher(e.transformation());
            this.encryptor.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(start));
            this.decryptor = JceCryptoEngine.cipher(e.transformation());
            this.decryptor.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(start));
        }
        else
        {
            this.key = null;
            this.encryptor = null;
            this.decryptor = null;
        }
    }

    @Override
    public SecurityAssociation sa()
    {
        return sa;
    }

    /** Test hook for known-answer tests: the next packet uses this IV (re-initialises the Cipher once). */
    void forceNextIv(final byte[] iv)
    {
        forcedIv = iv.clone();
    }

    @Override
    public boolean seal(final MemorySegment m, final long esp, final int payloadLength, final long sequence)
    {
        final byte[] in = engine.scratch;
        final byte[] out = engine.scratch2;
        final int authenticated = EspHeader.LENGTH + ivLength + payloadLength;
        try
        {
            MemorySegment.copy(m, ValueLayout.JAVA_BYTE, esp, out, 0, EspHeader.LENGTH);
            if (encryptor != null)
            {
                final long payload = esp + EspHeader.LENGTH + ivLength;
                if (forcedIv != null)
                {
                    encryptor.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(forcedIv));
                    System.arraycopy(forcedIv, 0, out, EspHeader.LENGTH, ivLength);
                    forcedIv = null;
                    MemorySegment.copy(m, ValueLayout.JAVA_BYTE, payload, in, 0, payloadLength);
                    if (encryptor.update(in, 0, payloadLength, out, EspHeader.LENGTH + ivLength) != payloadLength)
                    {
                        return false;
                    }
                }
                else
                {
                    LONG_BE.set(in, 0, sequence);
                    if (ivLength == 16)
                    {
                        INT_BE.set(in, 8, sa.spi());
                        INT_BE.set(in, 12, 0);
                    }
                    MemorySegment.copy(m, ValueLayout.JAVA_BYTE, payload, in, ivLength, payloadLength);
                    final int n = ivLength + payloadLength;
                    if (encryptor.update(in, 0, n, out, EspHeader.LENGTH) != n)
                    {
                        return false;
                    }
                }
            }
            else
            {
                MemorySegment.copy(m, ValueLayout.JAVA_BYTE, esp + EspHeader.LENGTH, out, EspHeader.LENGTH, payloadLength);
            }
            hmac.start();
            hmac.update(out, 0, authenticated);
            if (esn)
            {
                hmac.update((int)(sequence >>> 32));
            }
            hmac.finish(out, authenticated, icvLength);
            if (encryptor != null)
            {
                MemorySegment.copy(out, EspHeader.LENGTH, m, ValueLayout.JAVA_BYTE, esp + EspHeader.LENGTH,
                    authenticated - EspHeader.LENGTH + icvLength);
            }
            else
            {
                MemorySegment.copy(out, authenticated, m, ValueLayout.JAVA_BYTE, esp + authenticated, icvLength);
            }
            return true;
        }
        catch (final GeneralSecurityException | RuntimeException e)
        {
            engine.failed(e);
            return false;
        }
    }

    @Override
    public int open(final MemorySegment m, final long esp, final int payloadLength, final long sequence)
    {
        final byte[] in = engine.scratch;
        final byte[] out = engine.scratch2;
        final int authenticated = EspHeader.LENGTH + ivLength + payloadLength;
        try
        {
            MemorySegment.copy(m, ValueLayout.JAVA_BYTE, esp, in, 0, authenticated + icvLength);
            hmac.start();
            hmac.update(in, 0, authenticated);
            if (esn)
            {
                hmac.update((int)(sequence >>> 32));
            }
            hmac.finish(out, 0, icvLength);
            if (!Hmac.constantTimeEquals(in, authenticated, out, 0, icvLength))
            {
                return EspStatus.ICV_FAILURE;
            }
            if (decryptor != null)
            {
                final int n = ivLength + payloadLength;
                if (decryptor.update(in, EspHeader.LENGTH, n, out, 0) != n)
                {
                    return EspStatus.CRYPTO_ERROR;
                }
                MemorySegment.copy(out, ivLength, m, ValueLayout.JAVA_BYTE, esp + EspHeader.LENGTH + ivLength,
                    payloadLength);
            }
            return EspStatus.OK;
        }
        catch (final GeneralSecurityException | RuntimeException e)
        {
            engine.failed(e);
            return EspStatus.CRYPTO_ERROR;
        }
    }

    @Override
    public void destroy()
    {
        hmac.destroy();
        if (key != null)
        {
            key.destroy();
            final IvParameterSpec zero = new IvParameterSpec(new byte[ivLength]);
            JceCryptoEngine.overwriteKeySchedule(encryptor, sa.encryption(), zero);
            JceCryptoEngine.overwriteKeySchedule(decryptor, sa.encryption(), zero);
        }
    }
}
