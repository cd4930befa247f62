package io.sluice.dataplane.esp;

/**
 * ESP encryption transforms. AEAD ones (AES-GCM, ChaCha20-Poly1305) authenticate too and take no
 * {@link EspIntegrity}; the others need one (RFC 4303 3.2: confidentiality without integrity is
 * not offered here). Key material for the salted AEADs is the cipher key followed by the 4-byte
 * salt, as IKEv2 derives it (RFC 4106 8.1, RFC 7634 2), and as scapy and Wireshark take it.
 * <p>
 * DES-CBC (RFC 2405) and 3DES-CBC (RFC 2451) are here to talk to old peers (RFC 8221 says MUST
 * NOT for DES and SHOULD NOT for 3DES). The JDK's SunJCE provider still implements both; a JDK
 * whose {@code java.security} lists them in {@code jdk.crypto.disabledAlgorithms} (JDK 24+) refuses
 * {@code Cipher.getInstance}, and building such an SA then fails with a message saying so. With a
 * 64-bit block, 3DES and DES are safe for about 2^32 blocks (32 GB) per key: give such SAs a
 * kilobyte lifetime well below that.
 */
public enum EspEncryption
{
    /** RFC 2410: no confidentiality; needs an integrity algorithm. */
    NULL("NULL", null, null, 0, 0, 0, 4, false, 0),
    AES_CBC_128("AES-CBC-128", "AES/CBC/NoPadding", "AES", 16, 0, 16, 16, false, 0),
    AES_CBC_192("AES-CBC-192", "AES/CBC/NoPadding", "AES", 24, 0, 16, 16, false, 0),
    AES_CBC_256("AES-CBC-256", "AES/CBC/NoPadding", "AES", 32, 0, 16, 16, false, 0),
    /** RFC 2451. */
    DES3_CBC("3DES-CBC", "DESede/CBC/NoPadding", "DESede", 24, 0, 8, 8, false, 0),
    /** RFC 2405. */
    DES_CBC("DES-CBC", "DES/CBC/NoPadding", "DES", 8, 0, 8, 8, false, 0),
    /** RFC 4106: 4-byte salt, 8-byte explicit IV, 16-byte ICV (12 allowed; 8 is not, the JDK's GCM cannot make it). */
    AES_GCM_128("AES-GCM-128", "AES/GCM/NoPadding", "AES", 16, 4, 8, 4, true, 16),
    AES_GCM_192("AES-GCM-192", "AES/GCM/NoPadding", "AES", 24, 4, 8, 4, true, 16),
    AES_GCM_256("AES-GCM-256", "AES/GCM/NoPadding", "AES", 32, 4, 8, 4, true, 16),
    /** RFC 7634: 4-byte salt, 8-byte explicit IV, 16-byte ICV. */
    CHACHA20_POLY1305("ChaCha20-Poly1305", "ChaCha20-Poly1305", "ChaCha20", 32, 4, 8, 4, true, 16);

    private final String displayName;
    private final String transformation;
    private final String keyAlgorithm;
    private final int keyLength;
    private final int saltLength;
    private final int ivLength;
    private final int blockSize;
    private final boolean aead;
    private final int icvLength;

    EspEncryption(
        final String displayName, final String transformation, final String keyAlgorithm, final int keyLength,
        final int saltLength, final int ivLength, final int blockSize, final boolean aead, final int icvLength)
    {
        this.displayName = displayName;
        this.transformation = transformation;
        this.keyAlgorithm = keyAlgorithm;
        this.keyLength = keyLength;
        this.saltLength = saltLength;
        this.ivLength = ivLength;
        this.blockSize = blockSize;
        this.aead = aead;
        this.icvLength = icvLength;
    }

    public String displayName()
    {
        return displayName;
    }

    /** The JCE transformation, null for NULL. */
    public String transformation()
    {
        return transformation;
    }

    /** The JCE key algorithm name, null for NULL. */
    public String keyAlgorithm()
    {
        return keyAlgorithm;
    }

    /** The cipher key in bytes, without the salt. */
    public int keyLength()
    {
        return keyLength;
    }

    public int saltLength()
    {
        return saltLength;
    }

    /** Key material an SA takes: the key, then the salt. */
    public int keyMaterialLength()
    {
        return keyLength + saltLength;
    }

    /** The explicit IV carried in each packet. */
    public int ivLength()
    {
        return ivLength;
    }

    /** What the encrypted part (payload, padding, pad length, next header) is a multiple of: at least 4 (RFC 4303 2.4). */
    public int blockSize()
    {
        return blockSize;
    }

    public boolean aead()
    {
        return aead;
    }

    /** The AEAD's default ICV length, 0 for the others. */
    public int icvLength()
    {
        return icvLength;
    }

    /** True for the CBC block ciphers. */
    public boolean cbc()
    {
        return transformation != null && !aead;
    }

    @Override
    public String toString()
    {
        return displayName;
    }
}
