package io.sluice.controlplane.ike.v2;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * IKEv2's key schedule and message protection (RFC 7296 2.13-2.17, 3.14; RFC 5282; RFC 7634):
 * prf+, SKEYSEED and the seven SK_ keys, the rekeyed SKEYSEED, child SA KEYMAT, the pre-shared key
 * AUTH value, and sealing and opening the SK payload.
 */
public final class Ikev2Crypto
{
    private static final byte[] KEY_PAD = "Key Pad for IKEv2".getBytes(StandardCharsets.US_ASCII);

    private Ikev2Crypto()
    {
    }

    /** The keys of an IKE SA, in the order prf+ produces them. */
    public record Keys(byte[] skD, byte[] skAi, byte[] skAr, byte[] skEi, byte[] skEr, byte[] skPi, byte[] skPr)
    {
        @Override
        public String toString()
        {
            return "Keys[hidden]";
        }
    }

    /** prf+ (2.13): T1 | T2 | ... with T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), cut to {@code length}. */
    public static byte[] prfPlus(final IkeSuite.Prf prf, final byte[] key, final byte[] seed, final int length)
    {
        if (length > 255 * prf.length())
        {
            throw new IllegalArgumentException("prf+ cannot make " + length + " bytes with " + prf);
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] t = new byte[0];
        for (int n = 1; out.size() < length; n++)
        {
            t = prf.apply(key, t, seed, new byte[]{(byte)n});
            out.writeBytes(t);
        }
        return Arrays.copyOf(out.toByteArray(), length);
    }

    /** SKEYSEED = prf(Ni | Nr, g^ir) (2.14). */
    public static byte[] skeyseed(final IkeSuite.Prf prf, final byte[] ni, final byte[] nr, final byte[] gir)
    {
        return prf.apply(concat(ni, nr), gir);
    }

    /** SKEYSEED of a rekeyed IKE SA = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF (2.18). */
    public static byte[] rekeyedSkeyseed(final IkeSuite.Prf oldPrf, final byte[] oldSkD, final byte[] gir,
        final byte[] ni, final byte[] nr)
    {
        return oldPrf.apply(oldSkD, gir, ni, nr);
    }

    /** {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). */
    public static Keys keys(final IkeSuite suite, final byte[] skeyseed, final byte[] ni, final byte[] nr,
        final long spiI, final long spiR)
    {
        final int p = suite.prf().length();
        final int a = suite.encryption().aead() ? 0 : suite.integrity().keyLength();
        final int e = suite.encryptionKeyLength();
        final byte[] seed = concat(ni, nr, ByteBuffer.allocate(16).putLong(spiI).putLong(spiR).array());
        final byte[] k = prfPlus(suite.prf(), skeyseed, seed, 3 * p + 2 * a + 2 * e);
        int at = 0;
        final byte[] skD = Arrays.copyOfRange(k, at, at += p);
        final byte[] skAi = Arrays.copyOfRange(k, at, at += a);
        final byte[] skAr = Arrays.copyOfRange(k, at, at += a);
        final byte[] skEi = Arrays.copyOfRange(k, at, at += e);
        final byte[] skEr = Arrays.copyOfRange(k, at, at += e);
        final byte[] skPi = Arrays.copyOfRange(k, at, at += p);
        final byte[] skPr = Arrays.copyOfRange(k, at, at + p);
        return new Keys(skD, skAi, skAr, skEi, skEr, skPi, skPr);
    }

    /**
     * Child SA KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (2.17), split into the initiator-to-responder
     * and responder-to-initiator key material, {@code perDirection} bytes each (cipher key and salt,
     * then integrity key).
     */
    public static byte[][] childKeymat(final IkeSuite.Prf prf, final byte[] skD, final byte[] gir, final byte[] ni,
        final byte[] nr, final int perDirection)
    {
        final byte[] seed = gir == null ? concat(ni, nr) : concat(gir, ni, nr);
        final byte[] k = prfPlus(prf, skD, seed, 2 * perDirection);
        return new byte[][]{Arrays.copyOfRange(k, 0, perDirection), Arrays.copyOfRange(k, perDirection, 2 * perDirection)};
    }

    /**
     * The AUTH data for a pre-shared key (2.15): prf(prf(key, "Key Pad for IKEv2"), message | peer's
     * nonce | prf(SK_p, ID body)), where message is the sender's IKE_SA_INIT message.
     */
    public static byte[] pskAuth(final IkeSuite.Prf prf, final byte[] psk, final byte[] ownInitMessage,
        final byte[] peerNonce, final byte[] skP, final byte[] idBody)
    {
        final byte[] macedId = prf.apply(skP, idBody);
        return prf.apply(prf.apply(psk, KEY_PAD), ownInitMessage, peerNonce, macedId);
    }

    /** The octets a signature covers (2.15): message | peer's nonce | prf(SK_p, ID body). */
    public static byte[] signedOctets(final IkeSuite.Prf prf, final byte[] ownInitMessage, final byte[] peerNonce,
        final byte[] skP, final byte[] idBody)
    {
        return concat(ownInitMessage, peerNonce, prf.apply(skP, idBody));
    }

    /**
     * A whole protected message: the IKE header, then an SK payload holding {@code inner} (a payload
     * chain whose first type is {@code firstInner}), padded, encrypted and with its ICV.
     */
    public static byte[] seal(final IkeSuite suite, final byte[] encKey, final byte[] integKey, final Ikev2Header h,
        final int firstInner, final byte[] inner, final SecureRandom random)
    {
        return seal(suite, encKey, integKey, h, firstInner, 0, 0, inner, random);
    }

    /**
     * One fragment of a protected message (RFC 7383 2.5): the IKE header, then an SKF payload with
     * {@code number} of {@code total}, holding its piece of the inner payload chain, padded,
     * encrypted and with its own ICV; the AEAD associated data runs to the end of Total Fragments.
     */
    public static byte[] sealFragment(final IkeSuite suite, final byte[] encKey, final byte[] integKey,
        final Ikev2Header h, final int firstInner, final int number, final int total, final byte[] piece,
        final SecureRandom random)
    {
        return seal(suite, encKey, integKey, h, number == 1 ? firstInner : Ikev2.NO_NEXT_PAYLOAD, number, total, piece,
            random);
    }

    /** Bytes a protected message adds around its inner chain, at most: header, SK(F) header, IV, padding, ICV. */
    public static int overhead(final IkeSuite suite, final boolean fragment)
    {
        return Ikev2.HEADER_LENGTH + 4 + (fragment ? 4 : 0) + suite.encryption().ivLength() + 16 + suite.icvLength();
    }

    private static byte[] seal(final IkeSuite suite, final byte[] encKey, final byte[] integKey, final Ikev2Header h,
        final int firstInner, final int number, final int total, final byte[] inner, final SecureRandom random)
    {
        final int extra = total > 0 ? 4 : 0;
        final IkeSuite.Encryption enc = suite.encryption();
        final byte[] iv = new byte[enc.ivLength()];
        random.nextBytes(iv);
        final int padLength = enc.aead() ? 0 : (16 - (inner.length + 1) % 16) % 16;
        final byte[] plain = new byte[inner.length + padLength + 1];
        System.arraycopy(inner, 0, plain, 0, inner.length);
        plain[plain.length - 1] = (byte)padLength;
        final int icv = suite.icvLength();
        final int ctLength = plain.length + (enc.aead() ? icv : 0);
        final int skLength = 4 + extra + iv.length + ctLength + (enc.aead() ? 0 : icv);
        final int length = Ikev2.HEADER_LENGTH + skLength;
        final byte[] d = new byte[length];
        new Ikev2Header(h.spiI(), h.spiR(), extra > 0 ? Ikev2.PAYLOAD_SKF : Ikev2.PAYLOAD_SK, h.exchange(), h.flags(),
            h.messageId(), length).write(d);
        final int sk = Ikev2.HEADER_LENGTH;
        d[sk] = (byte)firstInner;
        d[sk + 2] = (byte)(skLength >>> 8);
        d[sk + 3] = (byte)skLength;
        if (extra > 0)
        {
            d[sk + 4] = (byte)(number >>> 8);
            d[sk + 5] = (byte)number;
            d[sk + 6] = (byte)(total >>> 8);
            d[sk + 7] = (byte)total;
        }
        final int ivAt = sk + 4 + extra;
        System.arraycopy(iv, 0, d, ivAt, iv.length);
        final int ctAt = ivAt + iv.length;
        if (enc.aead())
        {
            final byte[] ct = aead(enc, Cipher.ENCRYPT_MODE, encKey, iv, Arrays.copyOfRange(d, 0, ivAt), plain);
            System.arraycopy(ct, 0, d, ctAt, ct.length);
        }
        else
        {
            final byte[] ct = cbc(Cipher.ENCRYPT_MODE, encKey, iv, plain);
            System.arraycopy(ct, 0, d, ctAt, ct.length);
            final byte[] mac = suite.integrity().icv(integKey, d, 0, length - icv);
            System.arraycopy(mac, 0, d, length - icv, icv);
        }
        return d;
    }

    /**
     * Checks the ICV of a message whose last payload is SK (at {@code skAt}) and returns the inner
     * payload chain's bytes without padding. For an SKF payload pass its offset plus 4: the IV
     * follows Fragment Number and Total Fragments, which are then part of the associated data.
     *
     * @throws Ikev2Exception (INVALID_SYNTAX) for a short body or bad padding, and (AUTHENTICATION_FAILED)
     *                        for an ICV or tag that does not verify.
     */
    public static byte[] open(final IkeSuite suite, final byte[] encKey, final byte[] integKey, final byte[] d,
        final int skAt)
    {
        final IkeSuite.Encryption enc = suite.encryption();
        final int icv = suite.icvLength();
        final int ivAt = skAt + 4;
        final int ctAt = ivAt + enc.ivLength();
        final int ctEnd = d.length - (enc.aead() ? 0 : icv);
        final int ctLength = ctEnd - ctAt;
        if (ctLength < (enc.aead() ? icv + 1 : 16) || (!enc.aead() && ctLength % 16 != 0))
        {
            throw Ikev2Exception.malformed("SK payload with " + Math.max(0, ctLength) + " bytes of ciphertext");
        }
        final byte[] iv = Arrays.copyOfRange(d, ivAt, ctAt);
        final byte[] plain;
        if (enc.aead())
        {
            plain = aead(enc, Cipher.DECRYPT_MODE, encKey, iv, Arrays.copyOfRange(d, 0, ivAt),
                Arrays.copyOfRange(d, ctAt, ctEnd));
        }
        else
        {
            final byte[] mac = suite.integrity().icv(integKey, d, 0, ctEnd);
            if (!MessageDigest.isEqual(mac, Arrays.copyOfRange(d, ctEnd, d.length)))
            {
                throw new Ikev2Exception(Ikev2.AUTHENTICATION_FAILED, "integrity checksum does not verify");
            }
            plain = cbc(Cipher.DECRYPT_MODE, encKey, iv, Arrays.copyOfRange(d, ctAt, ctEnd));
        }
        final int padLength = plain[plain.length - 1] & 0xff;
        if (padLength > plain.length - 1)
        {
            throw Ikev2Exception.malformed("SK pad length " + padLength + " in " + plain.length + " bytes");
        }
        return Arrays.copyOf(plain, plain.length - 1 - padLength);
    }

    private static byte[] cbc(final int mode, final byte[] key, final byte[] iv, final byte[] data)
    {
        try
        {
            final Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            return c.doFinal(data);
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException("AES-CBC unavailable: " + e.getMessage(), e);
        }
    }

    /** AES-GCM or ChaCha20-Poly1305 with nonce = salt (last 4 bytes of the key material) | IV. */
    private static byte[] aead(final IkeSuite.Encryption enc, final int mode, final byte[] keyAndSalt, final byte[] iv,
        final byte[] aad, final byte[] data)
    {
        final int keyLength = keyAndSalt.length - 4;
        final byte[] nonce = concat(Arrays.copyOfRange(keyAndSalt, keyLength, keyAndSalt.length), iv);
        try
        {
            final Cipher c;
            if (enc == IkeSuite.Encryption.AES_GCM_16)
            {
                c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(mode, new SecretKeySpec(keyAndSalt, 0, keyLength, "AES"), new GCMParameterSpec(128, nonce));
            }
            else
            {
                c = Cipher.getInstance("ChaCha20-Poly1305");
                c.init(mode, new SecretKeySpec(keyAndSalt, 0, keyLength, "ChaCha20"), new IvParameterSpec(nonce));
            }
            c.updateAAD(aad);
            return c.doFinal(data);
        }
        catch (final AEADBadTagException e)
        {
            throw new Ikev2Exception(Ikev2.AUTHENTICATION_FAILED, enc.text() + " tag does not verify");
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException(enc.text() + " unavailable: " + e.getMessage(), e);
        }
    }

    public static byte[] concat(final byte[]... parts)
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
