package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.ike.IkeHash;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The key derivations and hashes of RFC 2409 (sections 5, 5.5, appendix B), as pure functions.
 * "prf" is the HMAC of the negotiated hash; byte arrays are concatenated in the order given.
 */
public final class Ikev1Crypto
{
    private Ikev1Crypto()
    {
    }

    /** SKEYID for pre-shared keys: prf(pre-shared-key, Ni_b | Nr_b). */
    public static byte[] skeyidPsk(final IkeHash prf, final byte[] psk, final byte[] ni, final byte[] nr)
    {
        return prf.prf(psk, ni, nr);
    }

    /** SKEYID for RSA encrypted nonces (RFC 2409 5.2): prf(hash(Ni_b | Nr_b), CKY-I | CKY-R). */
    public static byte[] skeyidEncryptedNonces(final IkeHash prf, final byte[] ni, final byte[] nr, final long ckyI,
        final long ckyR)
    {
        return prf.prf(prf.digest(ni, nr), cookies(ckyI, ckyR));
    }

    /**
     * SKEYID_d, SKEYID_a, SKEYID_e.
     *
     * @param gxy the shared DH secret, at its group's fixed length.
     */
    public static byte[][] skeyids(final IkeHash prf, final byte[] skeyid, final byte[] gxy, final long ckyI,
        final long ckyR)
    {
        final byte[] cookies = cookies(ckyI, ckyR);
        final byte[] d = prf.prf(skeyid, gxy, cookies, new byte[]{0});
        final byte[] a = prf.prf(skeyid, d, gxy, cookies, new byte[]{1});
        final byte[] e = prf.prf(skeyid, a, gxy, cookies, new byte[]{2});
        return new byte[][]{d, a, e};
    }

    /**
     * The encryption key from SKEYID_e (appendix B): its first bytes, or when it is too short
     * K1 | K2 | ... with K1 = prf(SKEYID_e, 0) and Kn = prf(SKEYID_e, Kn-1).
     */
    public static byte[] encryptionKey(final IkeHash prf, final byte[] skeyidE, final int keyLength)
    {
        if (skeyidE.length >= keyLength)
        {
            return Arrays.copyOf(skeyidE, keyLength);
        }
        final byte[] key = new byte[keyLength];
        byte[] k = prf.prf(skeyidE, new byte[]{0});
        int have = 0;
        while (true)
        {
            final int n = Math.min(k.length, keyLength - have);
            System.arraycopy(k, 0, key, have, n);
            have += n;
            if (have == keyLength)
            {
                return key;
            }
            k = prf.prf(skeyidE, k);
        }
    }

    /** The phase 1 IV: hash(g^xi | g^xr) cut to the block size. */
    public static byte[] phase1Iv(final IkeHash hash, final byte[] gxi, final byte[] gxr, final int blockSize)
    {
        return Arrays.copyOf(hash.digest(gxi, gxr), blockSize);
    }

    /** The first IV of a phase 2 or informational exchange: hash(last phase 1 CBC block | M-ID). */
    public static byte[] phase2Iv(final IkeHash hash, final byte[] phase1LastBlock, final int messageId,
        final int blockSize)
    {
        return Arrays.copyOf(hash.digest(phase1LastBlock, int32(messageId)), blockSize);
    }

    /** HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b). */
    public static byte[] hashI(final IkeHash prf, final byte[] skeyid, final byte[] gxi, final byte[] gxr,
        final long ckyI, final long ckyR, final byte[] saiB, final byte[] idiiB)
    {
        return prf.prf(skeyid, gxi, gxr, cookies(ckyI, ckyR), saiB, idiiB);
    }

    /** HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b). */
    public static byte[] hashR(final IkeHash prf, final byte[] skeyid, final byte[] gxi, final byte[] gxr,
        final long ckyI, final long ckyR, final byte[] saiB, final byte[] idirB)
    {
        return prf.prf(skeyid, gxr, gxi, cookies(ckyR, ckyI), saiB, idirB);
    }

    /** Quick mode HASH(1) = prf(SKEYID_a, M-ID | message after HASH); also informational HASH(1). */
    public static byte[] quickHash1(final IkeHash prf, final byte[] skeyidA, final int messageId, final byte[] rest)
    {
        return prf.prf(skeyidA, int32(messageId), rest);
    }

    /** Quick mode HASH(2) = prf(SKEYID_a, M-ID | Ni_b | message after HASH). */
    public static byte[] quickHash2(final IkeHash prf, final byte[] skeyidA, final int messageId, final byte[] niB,
        final byte[] rest)
    {
        return prf.prf(skeyidA, int32(messageId), niB, rest);
    }

    /** Quick mode HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). */
    public static byte[] quickHash3(final IkeHash prf, final byte[] skeyidA, final int messageId, final byte[] niB,
        final byte[] nrB)
    {
        return prf.prf(skeyidA, new byte[]{0}, int32(messageId), niB, nrB);
    }

    /**
     * KEYMAT for one SA (RFC 2409 5.5): K1 | K2 | ... cut to {@code length}, with
     * K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b) and
     * Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b).
     *
     * @param gqmxy the quick mode DH secret, or null without PFS.
     * @param spi   the SPI of the SA being keyed: the one its receiver chose.
     */
    public static byte[] keymat(final IkeHash prf, final byte[] skeyidD, final byte[] gqmxy, final int protocol,
        final int spi, final byte[] niB, final byte[] nrB, final int length)
    {
        final byte[] seed = concat(gqmxy == null ? new byte[0] : gqmxy, new byte[]{(byte)protocol}, int32(spi), niB, nrB);
        final byte[] out = new byte[length];
        byte[] k = new byte[0];
        int have = 0;
        while (have < length)
        {
            k = prf.prf(skeyidD, k, seed);
            final int n = Math.min(k.length, length - have);
            System.arraycopy(k, 0, out, have, n);
            have += n;
        }
        return out;
    }

    static byte[] cookies(final long first, final long second)
    {
        return ByteBuffer.allocate(16).putLong(first).putLong(second).array();
    }

    static byte[] int32(final int v)
    {
        return new byte[]{(byte)(v >>> 24), (byte)(v >>> 16), (byte)(v >>> 8), (byte)v};
    }

    static byte[] concat(final byte[]... parts)
    {
        int n = 0;
        for (final byte[] p : parts)
        {
            n += p.length;
        }
        final byte[] out = new byte[n];
        int at = 0;
        for (final byte[] p : parts)
        {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
