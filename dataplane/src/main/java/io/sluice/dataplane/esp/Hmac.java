package io.sluice.dataplane.esp;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * HMAC (RFC 2104) over a JCA MessageDigest. The JCE's own {@code Mac.doFinal} allocates the inner
 * digest on every message; this writes both digests into arrays it owns, so a packet costs no
 * allocation. Same work per message as the JCE's HmacCore: the padded key block is hashed again
 * for each message. One thread.
 */
final class Hmac
{
    private static final byte IPAD = 0x36;
    private static final byte OPAD = 0x5c;

    private final MessageDigest inner;
    private final MessageDigest outer;
    private final byte[] ipad;
    private final byte[] opad;
    private final byte[] digest;
    private final int digestLength;

    Hmac(final String algorithm, final int blockSize, final byte[] key, final int offset, final int length)
        throws NoSuchAlgorithmException
    {
        inner = MessageDigest.getInstance(algorithm);
        outer = MessageDigest.getInstance(algorithm);
        digestLength = inner.getDigestLength();
        digest = new byte[digestLength];
        ipad = new byte[blockSize];
        opad = new byte[blockSize];
        byte[] k = Arrays.copyOfRange(key, offset, offset + length);
        if (k.length > blockSize)
        {
            final byte[] hashed = inner.digest(k);
            Arrays.fill(k, (byte)0);
            k = hashed;
        }
        for (int i = 0; i < blockSize; i++)
        {
            final byte b = i < k.length ? k[i] : 0;
            ipad[i] = (byte)(b ^ IPAD);
            opad[i] = (byte)(b ^ OPAD);
        }
        Arrays.fill(k, (byte)0);
    }

    int digestLength()
    {
        return digestLength;
    }

    /** Begins a message. */
    void start()
    {
        inner.reset();
        inner.update(ipad);
    }

    void update(final byte[] b, final int offset, final int length)
    {
        inner.update(b, offset, length);
    }

    /** Feeds 4 bytes, big-endian (the ESN high bits). */
    void update(final int v)
    {
        inner.update((byte)(v >>> 24));
        inner.update((byte)(v >>> 16));
        inner.update((byte)(v >>> 8));
        inner.update((byte)v);
    }

    /** Ends the message and writes the first {@code length} bytes of the MAC to {@code out}. */
    void finish(final byte[] out, final int offset, final int length)
    {
        try
        {
            inner.digest(digest, 0, digestLength);
            outer.reset();
            outer.update(opad);
            outer.update(digest, 0, digestLength);
            outer.digest(digest, 0, digestLength);
        }
        catch (final DigestException e)
        {
            // The array is the digest's own length: cannot happen.
            throw new IllegalStateException(e);
        }
        System.arraycopy(digest, 0, out, offset, length);
    }

    /** Compares without an early exit, so the time taken does not say how many leading bytes matched. */
    static boolean constantTimeEquals(final byte[] a, final int aOffset, final byte[] b, final int bOffset, final int length)
    {
        int difference = 0;
        for (int i = 0; i < length; i++)
        {
            difference |= a[aOffset + i] ^ b[bOffset + i];
        }
        return difference == 0;
    }

    void destroy()
    {
        Arrays.fill(ipad, (byte)0);
        Arrays.fill(opad, (byte)0);
        Arrays.fill(digest, (byte)0);
        inner.reset();
        outer.reset();
    }
}
