package io.sluice.controlplane.ike.v1;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The CBC cipher that protects IKEv1 messages after the key exchange (RFC 2409 5.3, appendix B):
 * DES, 3DES, AES-128/192/256.
 *
 * @param name           for logs and {@code show}: "3DES", "AES-CBC-256".
 * @param ikeId          the phase 1 encryption attribute value.
 * @param transformation the JCE transformation (no padding: IKEv1 pads to the block itself).
 * @param keyAlgorithm   the JCE key algorithm.
 * @param keyLength      in bytes.
 * @param blockSize      in bytes, which is also the IV length.
 */
public record IkeCipher(String name, int ikeId, String transformation, String keyAlgorithm, int keyLength, int blockSize)
{
    public static final IkeCipher DES = new IkeCipher("DES", Ikev1.P1_ENC_DES, "DES/CBC/NoPadding", "DES", 8, 8);
    public static final IkeCipher TRIPLE_DES = new IkeCipher("3DES", Ikev1.P1_ENC_3DES, "DESede/CBC/NoPadding", "DESede", 24, 8);
    public static final IkeCipher AES_128 = aes(16);
    public static final IkeCipher AES_192 = aes(24);
    public static final IkeCipher AES_256 = aes(32);

    private static IkeCipher aes(final int keyLength)
    {
        return new IkeCipher("AES-CBC-" + keyLength * 8, Ikev1.P1_ENC_AES, "AES/CBC/NoPadding", "AES", keyLength, 16);
    }

    /** The cipher of a phase 1 encryption attribute and key length (bits; 0 when absent), or null. */
    public static IkeCipher of(final int ikeId, final int keyBits)
    {
        return switch (ikeId)
        {
            case Ikev1.P1_ENC_DES -> keyBits == 0 ? DES : null;
            case Ikev1.P1_ENC_3DES -> keyBits == 0 ? TRIPLE_DES : null;
            case Ikev1.P1_ENC_AES -> switch (keyBits)
            {
                case 128 -> AES_128;
                case 192 -> AES_192;
                case 256 -> AES_256;
                default -> null;   // RFC 3602: AES needs the key length attribute
            };
            default -> null;
        };
    }

    /** True if the key length goes on the wire as an attribute (AES). */
    public boolean variableKeyLength()
    {
        return ikeId == Ikev1.P1_ENC_AES;
    }

    /** Encrypts whole blocks. */
    public byte[] encrypt(final byte[] key, final byte[] iv, final byte[] plaintext)
    {
        return run(Cipher.ENCRYPT_MODE, key, iv, plaintext);
    }

    /**
     * Decrypts whole blocks.
     *
     * @throws Ikev1Exception if the ciphertext is not a whole number of blocks.
     */
    public byte[] decrypt(final byte[] key, final byte[] iv, final byte[] ciphertext)
    {
        if (ciphertext.length == 0 || ciphertext.length % blockSize != 0)
        {
            throw Ikev1Exception.malformed("encrypted body of " + ciphertext.length + " bytes is not a multiple of the " +
                name + " block size " + blockSize);
        }
        return run(Cipher.DECRYPT_MODE, key, iv, ciphertext);
    }

    private byte[] run(final int mode, final byte[] key, final byte[] iv, final byte[] data)
    {
        try
        {
            final Cipher cipher = Cipher.getInstance(transformation);
            cipher.init(mode, new SecretKeySpec(key, keyAlgorithm), new IvParameterSpec(iv));
            return cipher.doFinal(data);
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException(name + " unavailable in this JDK (" + transformation + "): " + e.getMessage(), e);
        }
    }

    @Override
    public String toString()
    {
        return name;
    }
}
