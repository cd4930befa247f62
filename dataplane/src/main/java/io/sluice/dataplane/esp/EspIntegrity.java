package io.sluice.dataplane.esp;

/**
 * ESP integrity transforms: HMACs truncated to the ICV length (RFC 2403, 2404, 4868). The key
 * length is the digest length, as RFC 2404 and RFC 4868 fix it. An AEAD encryption takes
 * {@link #NONE}.
 */
public enum EspIntegrity
{
    NONE("NONE", null, 0, 0, 0, 0),
    /** RFC 2403. */
    HMAC_MD5_96("HMAC-MD5-96", "MD5", 16, 12, 64, 16),
    /** RFC 2404. */
    HMAC_SHA1_96("HMAC-SHA1-96", "SHA-1", 20, 12, 64, 20),
    /** RFC 4868. */
    HMAC_SHA256_128("HMAC-SHA256-128", "SHA-256", 32, 16, 64, 32),
    HMAC_SHA384_192("HMAC-SHA384-192", "SHA-384", 48, 24, 128, 48),
    HMAC_SHA512_256("HMAC-SHA512-256", "SHA-512", 64, 32, 128, 64);

    private final String displayName;
    private final String digest;
    private final int keyLength;
    private final int icvLength;
    private final int digestBlockSize;
    private final int digestLength;

    EspIntegrity(
        final String displayName, final String digest, final int keyLength, final int icvLength,
        final int digestBlockSize, final int digestLength)
    {
        this.displayName = displayName;
        this.digest = digest;
        this.keyLength = keyLength;
        this.icvLength = icvLength;
        this.digestBlockSize = digestBlockSize;
        this.digestLength = digestLength;
    }

    public String displayName()
    {
        return displayName;
    }

    /** The JCA MessageDigest name, null for NONE. */
    public String digest()
    {
        return digest;
    }

    public int keyLength()
    {
        return keyLength;
    }

    /** The truncated HMAC carried in each packet. */
    public int icvLength()
    {
        return icvLength;
    }

    /** The hash's block size (HMAC pads the key to it). */
    public int digestBlockSize()
    {
        return digestBlockSize;
    }

    public int digestLength()
    {
        return digestLength;
    }

    @Override
    public String toString()
    {
        return displayName;
    }
}
