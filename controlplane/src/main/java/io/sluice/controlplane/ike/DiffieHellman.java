package io.sluice.controlplane.ike;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import javax.crypto.KeyAgreement;

/**
 * One side of a Diffie-Hellman exchange in an IKE group: the MODP groups 1, 2 (RFC 2409 6), 5, 14,
 * 15, 16 (RFC 3526) with BigInteger arithmetic, the ECP groups 19, 20 (RFC 5903) through the
 * JDK's ECDH, and curve25519, group 31 (RFC 8031), through Bouncy Castle's RFC 7748 X25519. Public values and
 * shared secrets have the fixed lengths IKE puts on the wire and feeds to its PRF: the prime's
 * length for MODP (left-padded), x|y and x for ECP, the 32-byte little-endian u-coordinate and
 * X25519 output for curve25519.
 * <p>
 * The MODP primes are not typed in: they are {@code 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k)}
 * as the RFCs define them, computed from pi once, and the tests check them against the RFCs'
 * first and last words and that they are safe primes.
 */
public final class DiffieHellman
{
    private static final BigInteger TWO = BigInteger.TWO;
    private static final Map<Integer, BigInteger> PRIMES = new ConcurrentHashMap<>();

    private final int group;
    private final byte[] publicValue;
    private final BigInteger privateExponent;
    private final KeyPair ecKeys;
    /** curve25519: the 32-byte scalar (RFC 7748 5), little-endian. */
    private final byte[] x25519Private;

    private DiffieHellman(final int group, final byte[] publicValue, final BigInteger privateExponent, final KeyPair ecKeys)
    {
        this(group, publicValue, privateExponent, ecKeys, null);
    }

    private DiffieHellman(final int group, final byte[] publicValue, final BigInteger privateExponent, final KeyPair ecKeys,
        final byte[] x25519Private)
    {
        this.group = group;
        this.publicValue = publicValue;
        this.privateExponent = privateExponent;
        this.ecKeys = ecKeys;
        this.x25519Private = x25519Private;
    }

    /** True for the groups this class implements. */
    public static boolean supported(final int group)
    {
        return modpBits(group) > 0 || curve(group) != null || group == CURVE25519;
    }

    /** IKE's number for curve25519 (RFC 8031). */
    public static final int CURVE25519 = 31;
    private static final int X25519_LENGTH = 32;

    /** The length of a public value on the wire (KE payload body). */
    public static int publicValueLength(final int group)
    {
        final int bits = modpBits(group);
        if (bits > 0)
        {
            return bits / 8;
        }
        if (group == CURVE25519)
        {
            return X25519_LENGTH;
        }
        return 2 * ecCoordinateLength(group);
    }

    /**
     * A fresh private value and its public value.
     *
     * @throws IllegalArgumentException for a group this class does not implement.
     */
    public static DiffieHellman generate(final int group, final SecureRandom random)
    {
        final int bits = modpBits(group);
        if (bits > 0)
        {
            final BigInteger p = modpPrime(group);
            // 2x the group's strength in exponent bits, as RFC 3526 section 8 suggests, at least 256.
            final int exponentBits = Math.min(bits - 1, Math.max(256, bits <= 1024 ? 256 : bits <= 2048 ? 320 : 512));
            BigInteger x;
            do
            {
                x = new BigInteger(exponentBits, random);
            }
            while (x.bitLength() < exponentBits - 8);
            final BigInteger y = TWO.modPow(x, p);
            return new DiffieHellman(group, pad(y, bits / 8), x, null);
        }
        if (group == CURVE25519)
        {
            // Bouncy Castle's RFC 7748 code: the JDK's XDH (generic field arithmetic) made X25519 a third
            // of an IKE responder's CPU per SA; this one is several times faster, constant time as well
            final byte[] k = new byte[X25519_LENGTH];
            org.bouncycastle.math.ec.rfc7748.X25519.generatePrivateKey(random, k);
            final byte[] pub = new byte[X25519_LENGTH];
            org.bouncycastle.math.ec.rfc7748.X25519.generatePublicKey(k, 0, pub, 0);
            return new DiffieHellman(group, pub, null, null, k);
        }
        final String curve = curve(group);
        if (curve == null)
        {
            throw new IllegalArgumentException("Diffie-Hellman group " + group + " is not implemented");
        }
        try
        {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(curve), random);
            final KeyPair pair = generator.generateKeyPair();
            final ECPoint w = ((ECPublicKey)pair.getPublic()).getW();
            final int n = ecCoordinateLength(group);
            final byte[] pub = new byte[2 * n];
            System.arraycopy(pad(w.getAffineX(), n), 0, pub, 0, n);
            System.arraycopy(pad(w.getAffineY(), n), 0, pub, n, n);
            return new DiffieHellman(group, pub, null, pair);
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException("the JDK cannot make " + curve + " keys: " + e.getMessage(), e);
        }
    }

    public int group()
    {
        return group;
    }

    /** Our public value, as the KE payload carries it. */
    public byte[] publicValue()
    {
        return publicValue.clone();
    }

    /**
     * The shared secret g^xy with the peer's public value, at its fixed length.
     *
     * @throws IllegalArgumentException if the peer's value has the wrong length or is not a valid
     *                                  element of the group (1, p-1, 0, or a point off the curve).
     */
    public byte[] sharedSecret(final byte[] peerPublic)
    {
        if (peerPublic.length != publicValueLength(group))
        {
            throw new IllegalArgumentException("group " + group + " public value of " + peerPublic.length +
                " bytes, expected " + publicValueLength(group));
        }
        if (privateExponent != null)
        {
            final BigInteger p = modpPrime(group);
            final BigInteger y = new BigInteger(1, peerPublic);
            if (y.compareTo(BigInteger.ONE) <= 0 || y.compareTo(p.subtract(BigInteger.ONE)) >= 0)
            {
                throw new IllegalArgumentException("group " + group + " public value out of range (1 < y < p-1)");
            }
            return pad(y.modPow(privateExponent, p), modpBits(group) / 8);
        }
        if (group == CURVE25519)
        {
            return x25519(peerPublic);
        }
        final int n = ecCoordinateLength(group);
        try
        {
            final ECParameterSpec params = ((ECPublicKey)ecKeys.getPublic()).getParams();
            final ECPoint point = new ECPoint(new BigInteger(1, Arrays.copyOfRange(peerPublic, 0, n)),
                new BigInteger(1, Arrays.copyOfRange(peerPublic, n, 2 * n)));
            final var peerKey = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, params));
            final KeyAgreement agreement = KeyAgreement.getInstance("ECDH");
            agreement.init(ecKeys.getPrivate());
            agreement.doPhase(peerKey, true);
            final byte[] secret = agreement.generateSecret();
            return secret.length == n ? secret : pad(new BigInteger(1, secret), n);
        }
        catch (final GeneralSecurityException | IllegalStateException e)
        {
            throw new IllegalArgumentException("group " + group + " public value rejected: " + e.getMessage(), e);
        }
    }

    /**
     * X25519 with the peer's u-coordinate (little-endian, top bit masked as RFC 7748 5 says); an
     * all-zero result (a low-order point) is refused, as RFC 8031 2.3 requires.
     */
    private byte[] x25519(final byte[] peerPublic)
    {
        final byte[] u = peerPublic.clone();
        u[X25519_LENGTH - 1] &= 0x7f;
        final byte[] secret = new byte[X25519_LENGTH];
        if (!org.bouncycastle.math.ec.rfc7748.X25519.calculateAgreement(x25519Private, 0, u, 0, secret, 0))
        {
            throw new IllegalArgumentException("group 31 public value is a low-order point");
        }
        return secret;
    }

    /** RFC 7748 5.2's test: the scalar multiplication with a given scalar, for known-answer tests. */
    static byte[] x25519(final byte[] scalar, final byte[] u)
    {
        return new DiffieHellman(CURVE25519, null, null, null, scalar.clone()).x25519(u);
    }

    /** The prime of a MODP group. */
    public static BigInteger modpPrime(final int group)
    {
        final int bits = modpBits(group);
        if (bits == 0)
        {
            throw new IllegalArgumentException("group " + group + " is not a MODP group");
        }
        return PRIMES.computeIfAbsent(group, g ->
        {
            final long k = switch (g)
            {
                case 1 -> 149686;
                case 2 -> 129093;
                case 5 -> 741804;
                case 14 -> 124476;
                case 15 -> 1690314;
                default -> 240904;
            };
            return TWO.pow(bits).subtract(TWO.pow(bits - 64)).subtract(BigInteger.ONE)
                .add(TWO.pow(64).multiply(floorPiTimesPowerOfTwo(bits - 130).add(BigInteger.valueOf(k))));
        });
    }

    private static int modpBits(final int group)
    {
        return switch (group)
        {
            case 1 -> 768;
            case 2 -> 1024;
            case 5 -> 1536;
            case 14 -> 2048;
            case 15 -> 3072;
            case 16 -> 4096;
            default -> 0;
        };
    }

    private static String curve(final int group)
    {
        return switch (group)
        {
            case 19 -> "secp256r1";
            case 20 -> "secp384r1";
            default -> null;
        };
    }

    private static int ecCoordinateLength(final int group)
    {
        return switch (group)
        {
            case 19 -> 32;
            case 20 -> 48;
            default -> throw new IllegalArgumentException("Diffie-Hellman group " + group + " is not implemented");
        };
    }

    /** floor(2^e * pi), by Machin's formula pi = 16 atan(1/5) - 4 atan(1/239) in fixed point with guard bits. */
    static BigInteger floorPiTimesPowerOfTwo(final int e)
    {
        final int guard = 64;
        final int scale = e + guard;
        final BigInteger pi = arctanInverse(5, scale).shiftLeft(4).subtract(arctanInverse(239, scale).shiftLeft(2));
        return pi.shiftRight(guard);
    }

    private static BigInteger arctanInverse(final int x, final int scale)
    {
        final BigInteger bx = BigInteger.valueOf(x);
        final BigInteger x2 = bx.multiply(bx);
        BigInteger term = BigInteger.ONE.shiftLeft(scale).divide(bx);
        BigInteger sum = term;
        int k = 1;
        while (term.signum() != 0)
        {
            term = term.divide(x2);
            final BigInteger part = term.divide(BigInteger.valueOf(2L * k + 1));
            sum = (k & 1) == 1 ? sum.subtract(part) : sum.add(part);
            k++;
        }
        return sum;
    }

    /** The unsigned big-endian value left-padded (or stripped of a sign byte) to {@code length} bytes. */
    static byte[] pad(final BigInteger value, final int length)
    {
        final byte[] raw = value.toByteArray();
        if (raw.length == length)
        {
            return raw;
        }
        final byte[] out = new byte[length];
        if (raw.length > length)
        {
            System.arraycopy(raw, raw.length - length, out, 0, length);
        }
        else
        {
            System.arraycopy(raw, 0, out, length - raw.length, raw.length);
        }
        return out;
    }
}
