package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.ike.IkeHash;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Known answers for the RFC 2409 derivations. There are no published IKEv1 vectors; these were
 * computed with an independent implementation (Python's hmac/hashlib following RFC 2409 section 5,
 * 5.5 and appendix B). The strongSwan interop test checks the same functions against charon.
 */
class Ikev1CryptoTest
{
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] NI = range(0, 32);
    private static final byte[] NR = range(32, 64);
    private static final long CKY_I = 0x0102030405060708L;
    private static final long CKY_R = 0x1112131415161718L;
    private static final byte[] GXY = pattern(128, 7, 3);
    private static final int MID = 0x9a1b2c3d;

    private static byte[] range(final int from, final int to)
    {
        final byte[] b = new byte[to - from];
        for (int i = 0; i < b.length; i++)
        {
            b[i] = (byte)(from + i);
        }
        return b;
    }

    private static byte[] pattern(final int n, final int mul, final int add)
    {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)(i * mul + add);
        }
        return b;
    }

    private static String hex(final byte[] b)
    {
        return HEX.formatHex(b);
    }

    private static byte[][] keys()
    {
        final byte[] skeyid = Ikev1Crypto.skeyidPsk(IkeHash.SHA1, "testpsk".getBytes(StandardCharsets.US_ASCII), NI, NR);
        final byte[][] k = Ikev1Crypto.skeyids(IkeHash.SHA1, skeyid, GXY, CKY_I, CKY_R);
        return new byte[][]{skeyid, k[0], k[1], k[2]};
    }

    @Test
    void skeyidForPreSharedKeysAndItsThreeChildren()
    {
        final byte[][] k = keys();
        assertEquals("bf8da1e9598ab88e799329a54e82ca5f1cca7833", hex(k[0]));
        assertEquals("0138b6ac922d362392a7e32a190b4ea4e43ae143", hex(k[1]));
        assertEquals("b9b3eade4262e7a1ce1828855be967532f87e798", hex(k[2]));
        assertEquals("45997a5205e0fb3ced7857169bebe5ea4572273d", hex(k[3]));
    }

    @Test
    void encryptionKeyIsExpandedWhenSkeyidEIsTooShort()
    {
        final byte[] e = keys()[3];
        assertEquals("ceeddea8ca23b94cdb91ef0cc4b0cb97c83888374d1ffd95",
            hex(Ikev1Crypto.encryptionKey(IkeHash.SHA1, e, 24)));
        assertArrayEquals(java.util.Arrays.copyOf(e, 16), Ikev1Crypto.encryptionKey(IkeHash.SHA1, e, 16));
    }

    @Test
    void phase1AndPhase2Ivs()
    {
        assertEquals("5d9b1cf49d6c929a", hex(Ikev1Crypto.phase1Iv(IkeHash.MD5, range(100, 228), range(1, 129), 8)));
        assertEquals("953465f5bc4b4a74d46e8b0b4338baf2", hex(Ikev1Crypto.phase2Iv(IkeHash.SHA1, range(0, 16), MID, 16)));
    }

    @Test
    void phase1AuthenticationHashes()
    {
        final byte[] skeyid = keys()[0];
        final byte[] sai = HEX.parseHex("00000001000000010000002c010100010000002401010000800100078002000280030001" +
            "800400028e0b00018e0c0e10800e0080");
        final byte[] id = HEX.parseHex("011101f4c0000201");
        assertEquals("f501b1d1a229dbab6e8f5c99047be8ae6fa034ad",
            hex(Ikev1Crypto.hashI(IkeHash.SHA1, skeyid, range(100, 228), range(1, 129), CKY_I, CKY_R, sai, id)));
        assertEquals("17cd2b8553f6f43bae7d9bd47ce8f3f900e3c226",
            hex(Ikev1Crypto.hashR(IkeHash.SHA1, skeyid, range(100, 228), range(1, 129), CKY_I, CKY_R, sai, id)));
    }

    @Test
    void quickModeHashes()
    {
        final byte[] a = keys()[2];
        final byte[] rest = range(0, 50);
        assertEquals("c122d969fcba69a701eca7678f42acacf3ac91ef", hex(Ikev1Crypto.quickHash1(IkeHash.SHA1, a, MID, rest)));
        assertEquals("9ff8ba464ebc5234678c84f402fa22ae92fbe8a2",
            hex(Ikev1Crypto.quickHash2(IkeHash.SHA1, a, MID, NI, rest)));
        assertEquals("3ee08e36c51d9925fa59677764aab2b1d965bf31", hex(Ikev1Crypto.quickHash3(IkeHash.SHA1, a, MID, NI, NR)));
    }

    @Test
    void keymatWithAndWithoutPfsIsExpandedFromSkeyidD()
    {
        final byte[] d = keys()[1];
        assertEquals("700e8fa39debd7af6f2f47290a59a074c9e1af8886594b8c88306aac7e65b500e056840a",
            hex(Ikev1Crypto.keymat(IkeHash.SHA1, d, null, Ikev1.PROTO_IPSEC_ESP, 0xc0ffee01, NI, NR, 36)));
        assertEquals("e3ac94bb05c6d1f0c1ce035627d2e4f2afdde319f89324a74b5cf585c8c728712099cfd5d8801e07b0ea89fc" +
            "6a3fc11b07908010", hex(Ikev1Crypto.keymat(IkeHash.SHA1, d, pattern(128, 13, 5), Ikev1.PROTO_IPSEC_ESP,
            0xc0ffee01, NI, NR, 52)));
    }

    @Test
    void cbcRoundTripsInEveryCipherAndRefusesPartialBlocks()
    {
        for (final IkeCipher c : new IkeCipher[]{IkeCipher.DES, IkeCipher.TRIPLE_DES, IkeCipher.AES_128,
            IkeCipher.AES_192, IkeCipher.AES_256})
        {
            final byte[] key = pattern(c.keyLength(), 31, 1);
            final byte[] iv = pattern(c.blockSize(), 3, 9);
            final byte[] plain = pattern(c.blockSize() * 3, 5, 0);
            final byte[] ct = c.encrypt(key, iv, plain);
            assertArrayEquals(plain, c.decrypt(key, iv, ct), c.name());
            assertThrows(Ikev1Exception.class, () -> c.decrypt(key, iv, java.util.Arrays.copyOf(ct, ct.length - 1)));
        }
    }
}
