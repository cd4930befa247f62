package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.ike.IkeHash;

import java.util.ArrayList;
import java.util.List;

/**
 * The parameters of an IKE SA, as offered in a phase 1 transform or as configured in a
 * {@code crypto isakmp policy}: cipher, hash, authentication method, DH group, lifetime.
 *
 * @param cipher          the CBC cipher.
 * @param hash            the hash (and HMAC as PRF).
 * @param authMethod      {@link Ikev1#AUTH_PSK}, {@link Ikev1#AUTH_RSA_SIG}, {@link Ikev1#AUTH_RSA_ENC}.
 * @param group           the DH group number.
 * @param lifetimeSeconds the IKE SA lifetime.
 * @param priority        the policy priority this came from (0 for one read off the wire).
 */
public record Phase1Transform(IkeCipher cipher, IkeHash hash, int authMethod, int group, long lifetimeSeconds,
    int priority)
{
    /** What RFC 2407 4.5 says an SA without a life duration has: 8 hours. */
    public static final long DEFAULT_LIFETIME = 28800;

    /** The transform a configured policy stands for. */
    public static Phase1Transform of(final Isakmp.Policy policy)
    {
        final IkeCipher cipher = switch (policy.encryption())
        {
            case DES -> IkeCipher.DES;
            case TRIPLE_DES -> IkeCipher.TRIPLE_DES;
            case AES_128 -> IkeCipher.AES_128;
            case AES_192 -> IkeCipher.AES_192;
            case AES_256 -> IkeCipher.AES_256;
        };
        final IkeHash hash = switch (policy.hash())
        {
            case SHA -> IkeHash.SHA1;
            case SHA256 -> IkeHash.SHA256;
            case SHA384 -> IkeHash.SHA384;
            case MD5 -> IkeHash.MD5;
        };
        final int auth = switch (policy.authentication())
        {
            case PRE_SHARE -> Ikev1.AUTH_PSK;
            case RSA_SIG -> Ikev1.AUTH_RSA_SIG;
            case RSA_ENCR -> Ikev1.AUTH_RSA_ENC;
        };
        return new Phase1Transform(cipher, hash, auth, policy.group().number(), policy.lifetimeSeconds(),
            policy.priority());
    }

    /**
     * Reads a KEY_IKE transform; null if it names an algorithm, method or group this engine does not
     * implement (the caller tries the next transform), with the reason in {@code why}.
     */
    public static Phase1Transform read(final Payload.Transform t, final StringBuilder why)
    {
        if (t.transformId() != Ikev1.KEY_IKE)
        {
            why.append("transform id ").append(t.transformId()).append(" is not KEY_IKE");
            return null;
        }
        int enc = -1;
        int keyBits = 0;
        int hashId = -1;
        int auth = -1;
        int group = -1;
        long life = DEFAULT_LIFETIME;
        int lifeType = Ikev1.LIFE_SECONDS;
        for (final Payload.Attribute a : t.attributes())
        {
            final long v = a.longValue();
            switch (a.type())
            {
                case Ikev1.P1_ENCRYPTION -> enc = (int)v;
                case Ikev1.P1_KEY_LENGTH -> keyBits = (int)v;
                case Ikev1.P1_HASH -> hashId = (int)v;
                case Ikev1.P1_AUTH_METHOD -> auth = (int)v;
                case Ikev1.P1_GROUP -> group = (int)v;
                case Ikev1.P1_LIFE_TYPE -> lifeType = (int)v;
                case Ikev1.P1_LIFE_DURATION ->
                {
                    if (lifeType == Ikev1.LIFE_SECONDS)
                    {
                        life = v;
                    }
                }
                default ->
                {
                    // PRF, field size, group type and the others: not negotiable here
                    why.append("attribute ").append(a.type()).append(" not supported");
                    return null;
                }
            }
        }
        final IkeCipher cipher = IkeCipher.of(enc, keyBits);
        if (cipher == null)
        {
            why.append("encryption ").append(enc).append(keyBits > 0 ? " key length " + keyBits : "").append(" not supported");
            return null;
        }
        final IkeHash hash = hashOf(hashId);
        if (hash == null)
        {
            why.append("hash ").append(hashId).append(" not supported");
            return null;
        }
        if (auth < 0 || group < 0)
        {
            why.append("no authentication method or group");
            return null;
        }
        return new Phase1Transform(cipher, hash, auth, group, life, 0);
    }

    static IkeHash hashOf(final int id)
    {
        return switch (id)
        {
            case Ikev1.P1_HASH_MD5 -> IkeHash.MD5;
            case Ikev1.P1_HASH_SHA -> IkeHash.SHA1;
            case Ikev1.P1_HASH_SHA256 -> IkeHash.SHA256;
            case Ikev1.P1_HASH_SHA384 -> IkeHash.SHA384;
            case Ikev1.P1_HASH_SHA512 -> IkeHash.SHA512;
            default -> null;
        };
    }

    static int hashId(final IkeHash hash)
    {
        return switch (hash)
        {
            case MD5 -> Ikev1.P1_HASH_MD5;
            case SHA1 -> Ikev1.P1_HASH_SHA;
            case SHA256 -> Ikev1.P1_HASH_SHA256;
            case SHA384 -> Ikev1.P1_HASH_SHA384;
            case SHA512 -> Ikev1.P1_HASH_SHA512;
        };
    }

    /** The KEY_IKE transform that offers (or accepts) this. */
    public Payload.Transform toTransform(final int number)
    {
        final List<Payload.Attribute> a = new ArrayList<>();
        a.add(Payload.Attribute.basic(Ikev1.P1_ENCRYPTION, cipher.ikeId()));
        if (cipher.variableKeyLength())
        {
            a.add(Payload.Attribute.basic(Ikev1.P1_KEY_LENGTH, cipher.keyLength() * 8));
        }
        a.add(Payload.Attribute.basic(Ikev1.P1_HASH, hashId(hash)));
        a.add(Payload.Attribute.basic(Ikev1.P1_AUTH_METHOD, authMethod));
        a.add(Payload.Attribute.basic(Ikev1.P1_GROUP, group));
        a.add(Payload.Attribute.basic(Ikev1.P1_LIFE_TYPE, Ikev1.LIFE_SECONDS));
        a.add(Payload.Attribute.number(Ikev1.P1_LIFE_DURATION, lifetimeSeconds));
        return new Payload.Transform(number, Ikev1.KEY_IKE, a);
    }

    /**
     * True if an offered transform has the same cipher, hash, authentication and group, and this
     * (the responder's) lifetime is less than or equal to the offered one (reference 004: the
     * shorter lifetime, the responder's, is then used).
     */
    public boolean accepts(final Phase1Transform offered)
    {
        return cipher.equals(offered.cipher) && hash == offered.hash && authMethod == offered.authMethod &&
            group == offered.group && lifetimeSeconds <= offered.lifetimeSeconds;
    }

    public String authName()
    {
        return switch (authMethod)
        {
            case Ikev1.AUTH_PSK -> "pre-share";
            case Ikev1.AUTH_RSA_SIG -> "rsa-sig";
            case Ikev1.AUTH_RSA_ENC -> "rsa-encr";
            default -> "auth " + authMethod;
        };
    }

    @Override
    public String toString()
    {
        return cipher + "/" + hash + "/" + authName() + "/group " + group + "/" + lifetimeSeconds + "s";
    }
}
