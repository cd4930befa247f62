package io.sluice.controlplane.ike.v2;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.util.ArrayList;
import java.util.List;

/**
 * The ESP algorithms of a child SA as the dataplane names them, plus the PFS group of a
 * CREATE_CHILD_SA (0: none). Extended sequence numbers are not offered or accepted.
 */
public record ChildSuite(EspEncryption encryption, EspIntegrity integrity, int pfsGroup)
{
    /** Bytes of key material one direction needs: cipher key (and salt), then integrity key. */
    public int keyMaterialLength()
    {
        return encryption.keyMaterialLength() + integrity.keyLength();
    }

    public ChildSuite withPfs(final int group)
    {
        return new ChildSuite(encryption, integrity, group);
    }

    /** The transforms offering (or accepting) this suite; the DH transform only when {@code withDh}. */
    public List<Payload.Transform> transforms(final boolean withDh)
    {
        final List<Payload.Transform> t = new ArrayList<>();
        t.add(Payload.Transform.of(Ikev2.TRANSFORM_ENCR, encrId(encryption), keyBits(encryption)));
        if (integrity != EspIntegrity.NONE)
        {
            t.add(Payload.Transform.of(Ikev2.TRANSFORM_INTEG, integId(integrity)));
        }
        if (withDh && pfsGroup != 0)
        {
            t.add(Payload.Transform.of(Ikev2.TRANSFORM_DH, pfsGroup));
        }
        t.add(Payload.Transform.of(Ikev2.TRANSFORM_ESN, Ikev2.ESN_NO));
        return t;
    }

    /**
     * True if an ESP proposal offers this suite: our cipher with our key length, our integrity (none
     * offered, or none at all, with an AEAD), no ESN, and, when {@code checkDh}, our PFS group (or no
     * DH transform, or NONE, when we want none).
     */
    public boolean offeredIn(final Payload.Proposal p, final boolean checkDh)
    {
        if (p.protocol() != Ikev2.PROTO_ESP || p.spi().length != 4)
        {
            return false;
        }
        boolean enc = false;
        boolean integ = integrity == EspIntegrity.NONE && p.of(Ikev2.TRANSFORM_INTEG).isEmpty();
        boolean esn = p.of(Ikev2.TRANSFORM_ESN).isEmpty();
        boolean dh = !checkDh || (pfsGroup == 0 && p.of(Ikev2.TRANSFORM_DH).isEmpty());
        for (final Payload.Transform t : p.transforms())
        {
            if (t.unknownAttribute())
            {
                continue;
            }
            switch (t.type())
            {
                case Ikev2.TRANSFORM_ENCR -> enc |= t.id() == encrId(encryption) && t.keyLength() == keyBits(encryption);
                case Ikev2.TRANSFORM_INTEG -> integ |= integrity == EspIntegrity.NONE ? t.id() == Ikev2.AUTH_NONE :
                    t.id() == integId(integrity);
                case Ikev2.TRANSFORM_ESN -> esn |= t.id() == Ikev2.ESN_NO;
                case Ikev2.TRANSFORM_DH -> dh |= checkDh && t.id() == pfsGroup;
                default ->
                {
                }
            }
        }
        return enc && integ && esn && dh;
    }

    static int encrId(final EspEncryption e)
    {
        return switch (e)
        {
            case NULL -> Ikev2.ENCR_NULL;
            case DES_CBC -> 2;
            case DES3_CBC -> Ikev2.ENCR_3DES;
            case AES_CBC_128, AES_CBC_192, AES_CBC_256 -> Ikev2.ENCR_AES_CBC;
            case AES_GCM_128, AES_GCM_192, AES_GCM_256 -> Ikev2.ENCR_AES_GCM_16;
            case CHACHA20_POLY1305 -> Ikev2.ENCR_CHACHA20_POLY1305;
        };
    }

    static int keyBits(final EspEncryption e)
    {
        return switch (e)
        {
            case AES_CBC_128, AES_CBC_192, AES_CBC_256, AES_GCM_128, AES_GCM_192, AES_GCM_256 -> e.keyLength() * 8;
            default -> 0;
        };
    }

    static int integId(final EspIntegrity i)
    {
        return switch (i)
        {
            case NONE -> Ikev2.AUTH_NONE;
            case HMAC_MD5_96 -> Ikev2.AUTH_HMAC_MD5_96;
            case HMAC_SHA1_96 -> Ikev2.AUTH_HMAC_SHA1_96;
            case HMAC_SHA256_128 -> Ikev2.AUTH_HMAC_SHA2_256_128;
            case HMAC_SHA384_192 -> Ikev2.AUTH_HMAC_SHA2_384_192;
            case HMAC_SHA512_256 -> Ikev2.AUTH_HMAC_SHA2_512_256;
        };
    }

    @Override
    public String toString()
    {
        return encryption + (integrity == EspIntegrity.NONE ? "" : "/" + integrity) +
            (pfsGroup != 0 ? "/PFS group " + pfsGroup : "");
    }
}
