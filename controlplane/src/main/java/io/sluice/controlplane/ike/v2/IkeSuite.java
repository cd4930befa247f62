package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.ike.IkeHash;

import java.util.ArrayList;
import java.util.List;

/**
 * The algorithms of an IKE SA: the cipher of the SK payload (with its key length), the PRF, the
 * integrity algorithm (none with an AEAD cipher) and the Diffie-Hellman group.
 */
public record IkeSuite(Encryption encryption, int keyBits, Prf prf, Integrity integrity, int group)
{
    /** SK payload ciphers (RFC 7296 3.14, RFC 5282 AES-GCM with a 16-byte ICV, RFC 7634 ChaCha20-Poly1305). */
    public enum Encryption
    {
        AES_CBC(Ikev2.ENCR_AES_CBC, "AES-CBC", false, 16, 0, 0),
        AES_GCM_16(Ikev2.ENCR_AES_GCM_16, "AES-GCM", true, 8, 4, 16),
        CHACHA20_POLY1305(Ikev2.ENCR_CHACHA20_POLY1305, "CHACHA20-POLY1305", true, 8, 4, 16);

        private final int id;
        private final String text;
        private final boolean aead;
        private final int ivLength;
        private final int saltLength;
        private final int icvLength;

        Encryption(final int id, final String text, final boolean aead, final int ivLength, final int saltLength,
            final int icvLength)
        {
            this.id = id;
            this.text = text;
            this.aead = aead;
            this.ivLength = ivLength;
            this.saltLength = saltLength;
            this.icvLength = icvLength;
        }

        public int id()
        {
            return id;
        }

        public boolean aead()
        {
            return aead;
        }

        public int ivLength()
        {
            return ivLength;
        }

        public int saltLength()
        {
            return saltLength;
        }

        /** The AEAD tag; integrity algorithms bring their own otherwise. */
        public int icvLength()
        {
            return icvLength;
        }

        /** True if the key length goes on the wire as an attribute. */
        public boolean keyLengthAttribute()
        {
            return this != CHACHA20_POLY1305;
        }

        public boolean validKeyBits(final int bits)
        {
            return this == CHACHA20_POLY1305 ? bits == 256 : bits == 128 || bits == 192 || bits == 256;
        }

        public static Encryption of(final int id)
        {
            for (final Encryption e : values())
            {
                if (e.id == id)
                {
                    return e;
                }
            }
            return null;
        }

        public String text()
        {
            return text;
        }
    }

    /** PRFs (all HMAC). */
    public enum Prf
    {
        HMAC_SHA1(Ikev2.PRF_HMAC_SHA1, IkeHash.SHA1, "SHA1"),
        HMAC_SHA2_256(Ikev2.PRF_HMAC_SHA2_256, IkeHash.SHA256, "SHA256"),
        HMAC_SHA2_384(Ikev2.PRF_HMAC_SHA2_384, IkeHash.SHA384, "SHA384"),
        HMAC_SHA2_512(Ikev2.PRF_HMAC_SHA2_512, IkeHash.SHA512, "SHA512");

        private final int id;
        private final IkeHash hash;
        private final String text;

        Prf(final int id, final IkeHash hash, final String text)
        {
            this.id = id;
            this.hash = hash;
            this.text = text;
        }

        public int id()
        {
            return id;
        }

        public IkeHash hash()
        {
            return hash;
        }

        /** Output length, which is also the length of SK_d, SK_pi and SK_pr. */
        public int length()
        {
            return hash.length();
        }

        public byte[] apply(final byte[] key, final byte[]... data)
        {
            return hash.prf(key, data);
        }

        public static Prf of(final int id)
        {
            for (final Prf p : values())
            {
                if (p.id == id)
                {
                    return p;
                }
            }
            return null;
        }

        public String text()
        {
            return text;
        }
    }

    /** Integrity algorithms: truncated HMACs. */
    public enum Integrity
    {
        NONE(Ikev2.AUTH_NONE, null, 0, "none"),
        HMAC_SHA1_96(Ikev2.AUTH_HMAC_SHA1_96, IkeHash.SHA1, 12, "SHA96"),
        HMAC_SHA2_256_128(Ikev2.AUTH_HMAC_SHA2_256_128, IkeHash.SHA256, 16, "SHA256"),
        HMAC_SHA2_384_192(Ikev2.AUTH_HMAC_SHA2_384_192, IkeHash.SHA384, 24, "SHA384"),
        HMAC_SHA2_512_256(Ikev2.AUTH_HMAC_SHA2_512_256, IkeHash.SHA512, 32, "SHA512");

        private final int id;
        private final IkeHash hash;
        private final int icvLength;
        private final String text;

        Integrity(final int id, final IkeHash hash, final int icvLength, final String text)
        {
            this.id = id;
            this.hash = hash;
            this.icvLength = icvLength;
            this.text = text;
        }

        public int id()
        {
            return id;
        }

        public int keyLength()
        {
            return hash == null ? 0 : hash.length();
        }

        public int icvLength()
        {
            return icvLength;
        }

        /** The truncated HMAC of {@code data[from, to)}. */
        public byte[] icv(final byte[] key, final byte[] data, final int from, final int to)
        {
            final byte[] full = hash.prf(key, java.util.Arrays.copyOfRange(data, from, to));
            return java.util.Arrays.copyOf(full, icvLength);
        }

        public static Integrity of(final int id)
        {
            for (final Integrity i : values())
            {
                if (i.id == id && i != NONE)
                {
                    return i;
                }
            }
            return null;
        }

        public String text()
        {
            return text;
        }
    }

    /** SK_ei/SK_er length: the cipher key plus, for AEAD, the salt. */
    public int encryptionKeyLength()
    {
        return keyBits / 8 + encryption.saltLength();
    }

    /** Bytes the SK payload adds beyond the plaintext's own padding: IV and ICV. */
    public int icvLength()
    {
        return encryption.aead() ? encryption.icvLength() : integrity.icvLength();
    }

    /** The transforms of this one suite, as a responder returns them. */
    public List<Payload.Transform> transforms()
    {
        final List<Payload.Transform> t = new ArrayList<>();
        t.add(Payload.Transform.of(Ikev2.TRANSFORM_ENCR, encryption.id(), encryption.keyLengthAttribute() ? keyBits : 0));
        t.add(Payload.Transform.of(Ikev2.TRANSFORM_PRF, prf.id()));
        if (!encryption.aead())
        {
            t.add(Payload.Transform.of(Ikev2.TRANSFORM_INTEG, integrity.id()));
        }
        t.add(Payload.Transform.of(Ikev2.TRANSFORM_DH, group));
        return t;
    }

    @Override
    public String toString()
    {
        return encryption.text() + "-" + keyBits + (encryption.aead() ? "" : "/" + integrity.text()) + "/PRF " +
            prf.text() + "/DH " + group;
    }
}
