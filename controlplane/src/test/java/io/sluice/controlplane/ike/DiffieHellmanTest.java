package io.sluice.controlplane.ike;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiffieHellmanTest
{
    private static final SecureRandom RANDOM = new SecureRandom();

    /** RFC 2409 6.2, the 1024-bit MODP prime, as printed there. */
    private static final String GROUP2 =
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";
    /** RFC 2409 6.1, the 768-bit MODP prime. */
    private static final String GROUP1 =
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF";

    @Test
    void modpPrimesComputedFromPiMatchTheRfcs()
    {
        assertEquals(new BigInteger(GROUP1, 16), DiffieHellman.modpPrime(1));
        assertEquals(new BigInteger(GROUP2, 16), DiffieHellman.modpPrime(2));
        for (final int group : new int[]{5, 14, 15, 16})
        {
            final String hex = DiffieHellman.modpPrime(group).toString(16).toUpperCase();
            // every RFC 2409/3526 prime starts with 64 one bits then pi's bits, and ends with 64 one bits
            assertTrue(hex.startsWith("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"), group + ": " + hex);
            assertTrue(hex.endsWith("FFFFFFFFFFFFFFFF"), group + ": " + hex);
        }
        // RFC 3526's group 14 ends its pi part with ...15728E5A 8AACAA68 FFFFFFFF FFFFFFFF
        assertTrue(DiffieHellman.modpPrime(14).toString(16).toUpperCase().endsWith("15728E5A8AACAA68FFFFFFFFFFFFFFFF"));
    }

    @Test
    void modpPrimesAreSafePrimes()
    {
        for (final int group : new int[]{1, 2, 5, 14})
        {
            final BigInteger p = DiffieHellman.modpPrime(group);
            assertTrue(p.isProbablePrime(30), "group " + group);
            assertTrue(p.shiftRight(1).isProbablePrime(30), "group " + group + " (p-1)/2");
        }
        for (final int group : new int[]{15, 16})
        {
            final BigInteger p = DiffieHellman.modpPrime(group);
            assertTrue(p.isProbablePrime(4), "group " + group);
            assertTrue(p.shiftRight(1).isProbablePrime(4), "group " + group + " (p-1)/2");
        }
    }

    @Test
    void bothSidesDeriveTheSameSecretInEveryGroup()
    {
        for (final int group : new int[]{1, 2, 5, 14, 15, 16, 19, 20, 31})
        {
            final DiffieHellman a = DiffieHellman.generate(group, RANDOM);
            final DiffieHellman b = DiffieHellman.generate(group, RANDOM);
            assertEquals(DiffieHellman.publicValueLength(group), a.publicValue().length);
            final byte[] s1 = a.sharedSecret(b.publicValue());
            final byte[] s2 = b.sharedSecret(a.publicValue());
            assertArrayEquals(s1, s2, "group " + group);
            assertEquals(group == 19 ? 32 : group == 20 ? 48 : DiffieHellman.publicValueLength(group), s1.length);
        }
    }

    @Test
    void rejectsDegenerateAndMisSizedPublicValues()
    {
        final DiffieHellman a = DiffieHellman.generate(2, RANDOM);
        final byte[] one = new byte[128];
        one[127] = 1;
        assertThrows(IllegalArgumentException.class, () -> a.sharedSecret(one));
        final byte[] pMinus1 = DiffieHellman.pad(DiffieHellman.modpPrime(2).subtract(BigInteger.ONE), 128);
        assertThrows(IllegalArgumentException.class, () -> a.sharedSecret(pMinus1));
        assertThrows(IllegalArgumentException.class, () -> a.sharedSecret(new byte[127]));
        final DiffieHellman e = DiffieHellman.generate(19, RANDOM);
        final byte[] offCurve = new byte[64];
        offCurve[31] = 1;
        offCurve[63] = 1;
        assertThrows(IllegalArgumentException.class, () -> e.sharedSecret(offCurve));
        assertFalse(DiffieHellman.supported(24), "group 24 is not implemented");
        assertThrows(IllegalArgumentException.class, () -> DiffieHellman.generate(24, RANDOM));
    }

    @Test
    void natDetectionHashesCookiesAddressAndPort()
    {
        final byte[] h = NatDetection.hash(IkeHash.SHA1, 0x0102030405060708L, 0x1112131415161718L,
            new java.net.InetSocketAddress("10.77.0.1", 4500));
        // python3: hashlib.sha1(cookies + bytes([10,77,0,1]) + (4500).to_bytes(2,'big'))
        assertEquals("8fbbe883e21a57fde18886a872383c62102cc66a", HexFormat.of().formatHex(h));
    }

    private static byte[] hex(final String h)
    {
        return java.util.HexFormat.of().parseHex(h);
    }

    @Test
    void curve25519MatchesRfc7748()
    {
        // 5.2, first vector: one scalar multiplication
        assertArrayEquals(hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
            DiffieHellman.x25519(hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")));
        // 6.1: Alice's and Bob's public values from the base point 9, and their shared secret
        final byte[] alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        final byte[] bob = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        final byte[] nine = new byte[32];
        nine[0] = 9;
        final byte[] alicePublic = DiffieHellman.x25519(alice, nine);
        final byte[] bobPublic = DiffieHellman.x25519(bob, nine);
        assertArrayEquals(hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), alicePublic);
        assertArrayEquals(hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), bobPublic);
        final byte[] k = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertArrayEquals(k, DiffieHellman.x25519(alice, bobPublic));
        assertArrayEquals(k, DiffieHellman.x25519(bob, alicePublic));
        // 5: the top bit of a received u-coordinate is ignored
        final byte[] high = bobPublic.clone();
        high[31] |= (byte)0x80;
        assertArrayEquals(k, DiffieHellman.x25519(alice, high));
        // RFC 8031 2.3: a low-order point (u = 0) gives the all-zero secret, refused
        final DiffieHellman a = DiffieHellman.generate(DiffieHellman.CURVE25519, RANDOM);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> a.sharedSecret(new byte[32]));
    }
}
