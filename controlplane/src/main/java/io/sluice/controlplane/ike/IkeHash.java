package io.sluice.controlplane.ike;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The hash of an IKE SA: as HMAC it is the PRF of RFC 2409 (which uses the negotiated hash's HMAC
 * when no PRF is negotiated), as a plain digest it makes the phase 1 IV and the NAT-D hashes.
 */
public enum IkeHash
{
    MD5("HmacMD5", "MD5", 16),
    SHA1("HmacSHA1", "SHA-1", 20),
    SHA256("HmacSHA256", "SHA-256", 32),
    SHA384("HmacSHA384", "SHA-384", 48),
    SHA512("HmacSHA512", "SHA-512", 64);

    private final String macAlgorithm;
    private final String digestAlgorithm;
    private final int length;

    IkeHash(final String macAlgorithm, final String digestAlgorithm, final int length)
    {
        this.macAlgorithm = macAlgorithm;
        this.digestAlgorithm = digestAlgorithm;
        this.length = length;
    }

    /** The output length in bytes. */
    public int length()
    {
        return length;
    }

    /** prf(key, data[0] | data[1] | ...): the HMAC of the concatenation. */
    public byte[] prf(final byte[] key, final byte[]... data)
    {
        try
        {
            final Mac mac = Mac.getInstance(macAlgorithm);
            // HMAC takes any key length, including the empty key; SecretKeySpec refuses an empty array.
            mac.init(key.length == 0 ? new EmptyKey(macAlgorithm) : new SecretKeySpec(key, macAlgorithm));
            for (final byte[] d : data)
            {
                mac.update(d);
            }
            return mac.doFinal();
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException(macAlgorithm + " unavailable: " + e.getMessage(), e);
        }
    }

    /** The plain digest of the concatenation. */
    public byte[] digest(final byte[]... data)
    {
        try
        {
            final MessageDigest md = MessageDigest.getInstance(digestAlgorithm);
            for (final byte[] d : data)
            {
                md.update(d);
            }
            return md.digest();
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException(digestAlgorithm + " unavailable: " + e.getMessage(), e);
        }
    }

    private record EmptyKey(String getAlgorithm) implements javax.crypto.SecretKey
    {
        @Override
        public String getFormat()
        {
            return "RAW";
        }

        @Override
        public byte[] getEncoded()
        {
            return new byte[0];
        }
    }
}
