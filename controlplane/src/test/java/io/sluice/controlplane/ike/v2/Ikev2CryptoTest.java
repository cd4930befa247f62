package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.ike.DiffieHellman;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Known answers for the IKEv2 key schedule and SK protection. The expected values were computed
 * independently with Python's hmac/hashlib (prf+, SKEYSEED, the SK_ keys, AUTH, KEYMAT) and the
 * cryptography package (the sealed messages, X25519), not with this code.
 */
class Ikev2CryptoTest
{
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] NI = range(0x10, 32);
    private static final byte[] NR = range(0x40, 32);
    private static final byte[] GIR = range(0x80, 64);
    private static final long SPI_I = 0x0123456789abcdefL;
    private static final long SPI_R = 0xfedcba9876543210L;

    private static byte[] range(final int from, final int n)
    {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)(from + i);
        }
        return b;
    }

    @Test
    void prfPlusMatchesAnIndependentImplementationForEveryPrf()
    {
        assertEquals("0a4dd4d286ae93c5e1d24f24f3756216b533dd67ad15d19cef25f483bcc5300fd5487404a2c5000664d807a67dba048c" +
            "69ac226939eb01a5b44c634ad5b79dcd667a4120a8eab5b472d4316d27b4059ba4f3f28c7dd1c3152892d94bce8e01506c3b5ded",
            prfPlus(IkeSuite.Prf.HMAC_SHA1));
        assertEquals("a2392e429a99b173341b368bb5ce320bfd483d89567c14ec187c2d77e3c0a208ba45d21d42611712996c0cd4b329ac86" +
            "81e093a8a5bbbbf0fb8c9d1cf674f7423fe3d2fbd6641ff544749daa37804f04be0b1beba59ddc3867c3016209779fa74e8b8654",
            prfPlus(IkeSuite.Prf.HMAC_SHA2_256));
        assertEquals("245b57f46db11477bf9cd2e6adbc6244448af40400d70a9203399a48756b7dbf53087f405e438cf9bbb7d38b34915f6b" +
            "7dab328fb2580112db91d3da5c383d3c2a4de7974aa900251aced8106d3c00211e0cfff95994a7bb4bd1649b19443e957964c1e1",
            prfPlus(IkeSuite.Prf.HMAC_SHA2_384));
        assertEquals("173a6224816997fa5b2129f1c4d26d629028846663e6e27dd28d35d0de3757056e7da6c4214436a07fa827ba4329baf9" +
            "097b2eddf4c1ea2b89caf65189987801bbb7a7125bce5d65d77bfd4a0705ef9bcb45f76a33f0ed70f5f7ff0f53eaa8c0089d68f8",
            prfPlus(IkeSuite.Prf.HMAC_SHA2_512));
    }

    private static String prfPlus(final IkeSuite.Prf prf)
    {
        return HEX.formatHex(Ikev2Crypto.prfPlus(prf, "key".getBytes(), "seed".getBytes(), 100));
    }

    @Test
    void skeyseedAndTheSevenKeysOfAnAesCbcSha256Suite()
    {
        final IkeSuite suite = new IkeSuite(IkeSuite.Encryption.AES_CBC, 256, IkeSuite.Prf.HMAC_SHA2_256,
            IkeSuite.Integrity.HMAC_SHA2_256_128, 14);
        final byte[] skeyseed = Ikev2Crypto.skeyseed(suite.prf(), NI, NR, GIR);
        assertEquals("9b01a1a22a62297f2b989fad414426bc928035943c775d41c26feba347768ca6", HEX.formatHex(skeyseed));
        final Ikev2Crypto.Keys k = Ikev2Crypto.keys(suite, skeyseed, NI, NR, SPI_I, SPI_R);
        assertEquals("7efd935d532a2616cf91bce9090292c50623c3fba44cdeb25d0ea8c90869e2fc", HEX.formatHex(k.skD()));
        assertEquals("e9f292a8c72d0044697496b62a47ae904b3591a06ce58014eeb44e5fa6d5a4d1", HEX.formatHex(k.skAi()));
        assertEquals("70b32a8716d6682bf7f0c6839d672c122149acd445d5b1894c5d165816a29459", HEX.formatHex(k.skAr()));
        assertEquals("c482800d357ec406c6e97d10565e9541defd90f9b8cb224c579c9cda81f251f4", HEX.formatHex(k.skEi()));
        assertEquals("ddbe272b6953302fd325662ee273c9680b682139efdef5e4c0005546fbac1f19", HEX.formatHex(k.skEr()));
        assertEquals("fd1f15954d739d68c715650cdc5d49ee9f48adda857131284318c558bb168ef0", HEX.formatHex(k.skPi()));
        assertEquals("284b9a03aa9050b838ca78a265f060e2c3f74dfac33404977781d378b7ce8f5e", HEX.formatHex(k.skPr()));
        assertEquals("Keys[hidden]", k.toString());
    }

    @Test
    void aeadSuitesHaveNoIntegrityKeysAndSaltedEncryptionKeys()
    {
        final IkeSuite suite = new IkeSuite(IkeSuite.Encryption.AES_GCM_16, 256, IkeSuite.Prf.HMAC_SHA2_384,
            IkeSuite.Integrity.NONE, 20);
        final Ikev2Crypto.Keys k = Ikev2Crypto.keys(suite, Ikev2Crypto.skeyseed(suite.prf(), NI, NR, GIR), NI, NR, SPI_I,
            SPI_R);
        assertEquals(0, k.skAi().length);
        assertEquals(0, k.skAr().length);
        assertEquals("cd00b2f6c61cda3ebe895f5964c576222fc7fc95adbe0ff3f36a6543d37b499fed9a4a05", HEX.formatHex(k.skEr()));
        assertEquals("898914f0f388aeba4a3fb587a798b3ad417356000b2068476076a982c190f4666f13780c35cceb7239bda3a2dec691ac",
            HEX.formatHex(k.skPr()));
    }

    @Test
    void preSharedKeyAuthChildKeymatAndRekeyedSkeyseed()
    {
        final IkeSuite suite = new IkeSuite(IkeSuite.Encryption.AES_CBC, 256, IkeSuite.Prf.HMAC_SHA2_256,
            IkeSuite.Integrity.HMAC_SHA2_256_128, 14);
        final Ikev2Crypto.Keys k = Ikev2Crypto.keys(suite, Ikev2Crypto.skeyseed(suite.prf(), NI, NR, GIR), NI, NR, SPI_I,
            SPI_R);
        final byte[] auth = Ikev2Crypto.pskAuth(suite.prf(), "secret".getBytes(), "IKE_SA_INIT message bytes".getBytes(),
            NR, k.skPi(), new byte[]{1, 0, 0, 0, 10, 0, 0, 1});
        assertEquals("dc164e2034693342e160568cbb3e4f1f524ffbfa5970497b959994fd328cf9a7", HEX.formatHex(auth));
        final byte[][] km = Ikev2Crypto.childKeymat(suite.prf(), k.skD(), null, NI, NR, 20);
        assertEquals("996af24c915e04d77f7334068b9a8ffbe42cc85d", HEX.formatHex(km[0]));
        assertEquals("de910a88af5cd5565f2ee9e303ac671cdee47d1d", HEX.formatHex(km[1]));
        final byte[][] pfs = Ikev2Crypto.childKeymat(suite.prf(), k.skD(), GIR, NI, NR, 48);
        assertEquals("6c42f33f59398f1774c0691686cd8c75e41f75a459efde6bd84a1f8151a5d4f6f5396d4b04d3a49e179a888bc19e78e9" +
            "3730288f6133b6d6e48b25bbf6982d4fcb2a68d438aeec4a555e53c6f912123b14cb500f3e0bec72d4f4a2cd7ef92ad5",
            HEX.formatHex(pfs[0]) + HEX.formatHex(pfs[1]));
        assertEquals("b265e15c116506a34f4a6d8076a8988bdee9b01c95a29190a51f26c019e5b07a",
            HEX.formatHex(Ikev2Crypto.rekeyedSkeyseed(suite.prf(), k.skD(), GIR, NI, NR)));
    }

    /** INFORMATIONAL request 7 holding N(INITIAL_CONTACT), as the Python reference sealed it. */
    private static final Ikev2Header INFO = new Ikev2Header(SPI_I, SPI_R, 0, Ikev2.INFORMATIONAL, Ikev2.FLAG_INITIATOR,
        7, 0);
    private static final byte[] INNER = HEX.parseHex("0000000800004000");

    @Test
    void sealsAesCbcWithHmacSha256AsAnIndependentImplementation()
    {
        final IkeSuite suite = new IkeSuite(IkeSuite.Encryption.AES_CBC, 128, IkeSuite.Prf.HMAC_SHA2_256,
            IkeSuite.Integrity.HMAC_SHA2_256_128, 14);
        final byte[] ek = range(0, 16);
        final byte[] ak = range(32, 32);
        final byte[] d = Ikev2Crypto.seal(suite, ek, ak, INFO, Ikev2.PAYLOAD_NOTIFY, INNER, new FixedRandom(new byte[]{(byte)0xaa}));
        assertEquals("0123456789abcdeffedcba98765432102e202508000000070000005029000034aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
            "4d83820e0c86fc6ef3e4b48e859c3e57e1732a694c46839603bb824cd42dcae6", HEX.formatHex(d));
        assertArrayEquals(INNER, Ikev2Crypto.open(suite, ek, ak, d, Ikev2.HEADER_LENGTH));
        tamperedEverywhereFails(suite, ek, ak, d);
    }

    @Test
    void sealsAesGcmAndChaCha20Poly1305AsAnIndependentImplementation()
    {
        final byte[] keyAndSalt = Ikev2Crypto.concat(range(0, 32), HEX.parseHex("01020304"));
        final IkeSuite gcm = new IkeSuite(IkeSuite.Encryption.AES_GCM_16, 256, IkeSuite.Prf.HMAC_SHA2_256,
            IkeSuite.Integrity.NONE, 19);
        final byte[] d = Ikev2Crypto.seal(gcm, keyAndSalt, new byte[0], INFO, Ikev2.PAYLOAD_NOTIFY, INNER,
            new FixedRandom(new byte[]{(byte)0xaa}));
        assertEquals("0123456789abcdeffedcba98765432102e202508000000070000004129000025aaaaaaaaaaaaaaaa5f8d374d2f9297a4" +
            "d060910b17502b25af1d7d63d1566ff79c", HEX.formatHex(d));
        assertArrayEquals(INNER, Ikev2Crypto.open(gcm, keyAndSalt, new byte[0], d, Ikev2.HEADER_LENGTH));
        tamperedEverywhereFails(gcm, keyAndSalt, new byte[0], d);

        final IkeSuite chacha = new IkeSuite(IkeSuite.Encryption.CHACHA20_POLY1305, 256, IkeSuite.Prf.HMAC_SHA2_256,
            IkeSuite.Integrity.NONE, 31);
        final byte[] c = Ikev2Crypto.seal(chacha, keyAndSalt, new byte[0], INFO, Ikev2.PAYLOAD_NOTIFY, INNER,
            new FixedRandom(new byte[]{(byte)0xaa}));
        assertEquals("0123456789abcdeffedcba98765432102e202508000000070000004129000025aaaaaaaaaaaaaaaac53d2a51f5bd472d" +
            "6f16d3f2254355745ce0cad61bd07c86cf", HEX.formatHex(c));
        assertArrayEquals(INNER, Ikev2Crypto.open(chacha, keyAndSalt, new byte[0], c, Ikev2.HEADER_LENGTH));
        tamperedEverywhereFails(chacha, keyAndSalt, new byte[0], c);
    }

    /** Any flipped bit, header included, makes the ICV or tag fail. */
    private static void tamperedEverywhereFails(final IkeSuite suite, final byte[] ek, final byte[] ak, final byte[] d)
    {
        for (int i = 0; i < d.length; i++)
        {
            final byte[] t = d.clone();
            t[i] ^= 0x01;
            final Ikev2Exception e = assertThrows(Ikev2Exception.class,
                () -> Ikev2Crypto.open(suite, ek, ak, t, Ikev2.HEADER_LENGTH), "bit flip at " + i);
            assertEquals(Ikev2.AUTHENTICATION_FAILED, e.notifyType(), "bit flip at " + i);
        }
        for (int n = Ikev2.HEADER_LENGTH; n < d.length; n++)
        {
            final byte[] t = Arrays.copyOf(d, n);
            assertThrows(Ikev2Exception.class, () -> Ikev2Crypto.open(suite, ek, ak, t, Ikev2.HEADER_LENGTH),
                "truncated to " + t.length);
        }
    }

    @Test
    void curve25519MatchesRfc7748AndBothSidesAgree()
    {
        final byte[] alicePrivate = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        final DiffieHellman alice = DiffieHellman.generate(31, new FixedRandom(alicePrivate));
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", HEX.formatHex(alice.publicValue()));
        final byte[] bob = HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        assertEquals("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
            HEX.formatHex(alice.sharedSecret(bob)));
        final DiffieHellman x = DiffieHellman.generate(31, new SecureRandom());
        final DiffieHellman y = DiffieHellman.generate(31, new SecureRandom());
        assertArrayEquals(x.sharedSecret(y.publicValue()), y.sharedSecret(x.publicValue()));
        assertEquals(32, DiffieHellman.publicValueLength(31));
        assertThrows(IllegalArgumentException.class, () -> x.sharedSecret(new byte[32]), "the all-zero point");
        assertThrows(IllegalArgumentException.class, () -> x.sharedSecret(new byte[31]));
    }
}
