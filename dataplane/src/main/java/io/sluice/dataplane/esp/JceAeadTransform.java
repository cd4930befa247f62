package io.sluice.dataplane.esp;

import io.sluice.dataplane.packet.Bytes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * AES-GCM (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) through the JCE. Nonce = 4-byte salt || 8-byte
 * explicit IV; the IV is the 64-bit sequence number (plus the SA's IV offset, 0 but for known-answer
 * tests), so every packet has a fresh nonce, which is also what lets the JCE re-initialise the
 * Cipher for each packet (it refuses a repeated key and nonce). AAD = SPI || sequence number,
 * 12 bytes with ESN (SPI || high || low), 8 without.
 * <p>
 * The payload is copied into the engine's heap scratch array, sealed there in place (or opened
 * into the second scratch array) and copied back: the JCE's GCM runs its AVX-512 intrinsic on byte
 * arrays only, and for direct ByteBuffers copies through freshly allocated arrays instead
 * (measured: about 2.9 KB allocated per 1400-byte packet that way, against 1 KB with arrays); the
 * two copies cost about 26 ns at 1400 bytes. What remains allocated per packet
 * is the JCE's own: the parameter spec, and the GHASH/GCTR (or Poly1305) state made by each
 * {@code Cipher.init}. A bad tag is reported by the JCE as an exception, caught here: a forged
 * packet costs that exception.
 */
final class JceAeadTransform implements EspTransform
{
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final SecurityAssociation sa;
    private final JceCryptoEngine engine;
    private final Cipher cipher;
    private final EspKey key;
    private final boolean gcm;
    private final int tagBits;
    private final int icvLength;
    private final boolean esn;
    private final long ivOffset;
    private final byte[] nonce = new byte[12];
    private final byte[] aad = new byte[12];

    JceAeadTransform(final JceCryptoEngine engine, final SecurityAssociation sa) throws GeneralSecurityException
    {
        final EspEncryption e = sa.encryption();
        this.sa = sa;
        this.engine = engine;
        this.gcm = e != EspEncryption.CHACHA20_POLY1305;
        this.icvLength = sa.icvLength();
        this.tagBits = icvLength * 8;
        this.esn = sa.esn();
        this.ivOffset = sa.ivOffset();
        final byte[] material = sa.encryptionKeyMaterial();
        this.key = new EspKey(e.keyAlgorithm(), material, 0, e.keyLength());
        System.arraycopy(material, e.keyLength(), nonce, 0, 4);
        this.cipher = JceCryptoEngine.cipher(e.transformation());
        // Initialise once now, so a key the provider refuses shows here and not on a packet.
        cipher.init(Cipher.DECRYPT_MODE, key, spec());
    }

    @Override
    public SecurityAssociation sa()
    {
        return sa;
    }

    private java.security.spec.AlgorithmParameterSpec spec()
    {
        return gcm ? new GCMParameterSpec(tagBits, nonce) : new IvParameterSpec(nonce);
    }

    private int aad(final MemorySegment m, final long esp, final long sequence)
    {
        INT_BE.set(aad, 0, Bytes.u32(m, esp + EspHeader.SPI));
        if (esn)
        {
            LONG_BE.set(aad, 4, sequence);
            return 12;
        }
        INT_BE.set(aad, 4, (int)sequence);
        return 8;
    }

    @Override
    public boolean seal(final MemorySegment m, final long esp, final int payloadLength, final long sequence)
    {
        final long iv = esp + EspHeader.LENGTH;
        final long payload = iv + 8;
        final long explicitIv = sequence + ivOffset;
        final byte[] scratch = engine.scratch;
        try
        {
            m.set(U64, iv, explicitIv);
            LONG_BE.set(nonce, 4, explicitIv);
            final int aadLength = aad(m, esp, sequence);
            cipher.init(Cipher.ENCRYPT_MODE, key, spec());
            cipher.updateAAD(aad, 0, aadLength);
            MemorySegment.copy(m, ValueLayout.JAVA_BYTE, payload, scratch, 0, payloadLength);
            final int n = cipher.doFinal(scratch, 0, payloadLength, scratch, 0);
            if (n != payloadLength + icvLength)
            {
                return false;
            }
            MemorySegment.copy(scratch, 0, m, ValueLayout.JAVA_BYTE, payload, n);
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
        final long iv = esp + EspHeader.LENGTH;
        final long payload = iv + 8;
        final byte[] scratch = engine.scratch;
        final byte[] plain = engine.scratch2;
        try
        {
            LONG_BE.set(nonce, 4, m.get(U64, iv));
            final int aadLength = aad(m, esp, sequence);
            cipher.init(Cipher.DECRYPT_MODE, key, spec());
            cipher.updateAAD(aad, 0, aadLength);
            final int sealed = payloadLength + icvLength;
            MemorySegment.copy(m, ValueLayout.JAVA_BYTE, payload, scratch, 0, sealed);
            // Into a second array: the JDK's GCM leaves out its fastest (AVX-512) path for in-place decryption.
            final int n = cipher.doFinal(scratch, 0, sealed, plain, 0);
            if (n != payloadLength)
            {
                return EspStatus.CRYPTO_ERROR;
            }
            MemorySegment.copy(plain, 0, m, ValueLayout.JAVA_BYTE, payload, n);
            return EspStatus.OK;
        }
        catch (final AEADBadTagException e)
        {
            return EspStatus.ICV_FAILURE;
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
        key.destroy();
        Arrays.fill(nonce, (byte)0);
        Arrays.fill(aad, (byte)0);
        JceCryptoEngine.overwriteKeySchedule(cipher, sa.encryption(), gcm ? new GCMParameterSpec(128, new byte[12]) :
            new IvParameterSpec(new byte[12]));
    }
}
