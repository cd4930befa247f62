package io.sluice.controlplane.ike.v1;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.util.ArrayList;
import java.util.List;

/**
 * One ESP transform of quick mode (RFC 2407 4.4.4, 4.5): algorithms as the dataplane names them,
 * encapsulation mode, PFS group and lifetimes.
 *
 * @param encryption        the cipher.
 * @param integrity         the HMAC, {@link EspIntegrity#NONE} with AES-GCM.
 * @param encapsulation     {@link Ikev1#ENCAP_TUNNEL}, {@link Ikev1#ENCAP_TRANSPORT} or a UDP-encapsulated value.
 * @param pfsGroup          the group description attribute; 0 without PFS.
 * @param lifetimeSeconds   0: none given.
 * @param lifetimeKilobytes 0: none given.
 */
public record EspProposal(EspEncryption encryption, EspIntegrity integrity, int encapsulation, int pfsGroup,
    long lifetimeSeconds, long lifetimeKilobytes)
{
    /** True for the RFC 3947 and draft UDP-encapsulated modes. */
    public boolean udpEncapsulated()
    {
        return encapsulation == Ikev1.ENCAP_UDP_TUNNEL || encapsulation == Ikev1.ENCAP_UDP_TRANSPORT ||
            encapsulation == Ikev1.ENCAP_UDP_TUNNEL_DRAFT || encapsulation == Ikev1.ENCAP_UDP_TRANSPORT_DRAFT;
    }

    public boolean tunnel()
    {
        return encapsulation == Ikev1.ENCAP_TUNNEL || encapsulation == Ikev1.ENCAP_UDP_TUNNEL ||
            encapsulation == Ikev1.ENCAP_UDP_TUNNEL_DRAFT;
    }

    /** Same algorithms, mode and group: what a responder compares (lifetimes are settled separately). */
    public boolean sameSuite(final EspProposal other)
    {
        return encryption == other.encryption && integrity == other.integrity && tunnel() == other.tunnel() &&
            pfsGroup == other.pfsGroup;
    }

    /** Bytes of key material one direction needs: cipher key (and salt), then integrity key. */
    public int keyMaterialLength()
    {
        return encryption.keyMaterialLength() + integrity.keyLength();
    }

    /**
     * Reads an ESP transform; null if it names something the dataplane does not implement, with
     * the reason in {@code why}.
     */
    public static EspProposal read(final Payload.Transform t, final StringBuilder why)
    {
        int keyBits = 0;
        int auth = 0;
        int encap = Ikev1.ENCAP_TUNNEL;
        int group = 0;
        long seconds = 0;
        long kilobytes = 0;
        int lifeType = 0;
        for (final Payload.Attribute a : t.attributes())
        {
            final long v = a.longValue();
            switch (a.type())
            {
                case Ikev1.P2_LIFE_TYPE -> lifeType = (int)v;
                case Ikev1.P2_LIFE_DURATION ->
                {
                    if (lifeType == Ikev1.LIFE_SECONDS)
                    {
                        seconds = v;
                    }
                    else if (lifeType == Ikev1.LIFE_KILOBYTES)
                    {
                        kilobytes = v;
                    }
                }
                case Ikev1.P2_GROUP -> group = (int)v;
                case Ikev1.P2_ENCAPSULATION -> encap = (int)v;
                case Ikev1.P2_AUTH_ALGORITHM -> auth = (int)v;
                case Ikev1.P2_KEY_LENGTH -> keyBits = (int)v;
                default ->
                {
                    why.append("ESP attribute ").append(a.type()).append(" not supported");
                    return null;
                }
            }
        }
        final EspEncryption enc = switch (t.transformId())
        {
            case Ikev1.ESP_DES -> keyBits == 0 ? EspEncryption.DES_CBC : null;
            case Ikev1.ESP_3DES -> keyBits == 0 ? EspEncryption.DES3_CBC : null;
            case Ikev1.ESP_NULL -> EspEncryption.NULL;
            case Ikev1.ESP_AES_CBC -> switch (keyBits)
            {
                case 0, 128 -> EspEncryption.AES_CBC_128;
                case 192 -> EspEncryption.AES_CBC_192;
                case 256 -> EspEncryption.AES_CBC_256;
                default -> null;
            };
            case Ikev1.ESP_AES_GCM_16 -> switch (keyBits)
            {
                case 0, 128 -> EspEncryption.AES_GCM_128;
                case 192 -> EspEncryption.AES_GCM_192;
                case 256 -> EspEncryption.AES_GCM_256;
                default -> null;
            };
            default -> null;
        };
        if (enc == null)
        {
            why.append("ESP transform ").append(t.transformId()).append(keyBits > 0 ? " key length " + keyBits : "")
                .append(" not supported");
            return null;
        }
        final EspIntegrity integ = switch (auth)
        {
            case 0 -> EspIntegrity.NONE;
            case Ikev1.AUTH_HMAC_MD5 -> EspIntegrity.HMAC_MD5_96;
            case Ikev1.AUTH_HMAC_SHA -> EspIntegrity.HMAC_SHA1_96;
            case Ikev1.AUTH_HMAC_SHA256 -> EspIntegrity.HMAC_SHA256_128;
            case Ikev1.AUTH_HMAC_SHA384 -> EspIntegrity.HMAC_SHA384_192;
            case Ikev1.AUTH_HMAC_SHA512 -> EspIntegrity.HMAC_SHA512_256;
            default -> null;
        };
        if (integ == null || enc.aead() != (integ == EspIntegrity.NONE))
        {
            why.append("ESP authentication algorithm ").append(auth).append(" with ").append(enc).append(" not supported");
            return null;
        }
        return new EspProposal(enc, integ, encap, group, seconds, kilobytes);
    }

    /** The ESP transform that offers (or accepts) this. */
    public Payload.Transform toTransform(final int number)
    {
        final List<Payload.Attribute> a = new ArrayList<>();
        if (lifetimeSeconds > 0)
        {
            a.add(Payload.Attribute.basic(Ikev1.P2_LIFE_TYPE, Ikev1.LIFE_SECONDS));
            a.add(Payload.Attribute.number(Ikev1.P2_LIFE_DURATION, lifetimeSeconds));
        }
        if (lifetimeKilobytes > 0)
        {
            a.add(Payload.Attribute.basic(Ikev1.P2_LIFE_TYPE, Ikev1.LIFE_KILOBYTES));
            a.add(Payload.Attribute.number(Ikev1.P2_LIFE_DURATION, lifetimeKilobytes));
        }
        if (pfsGroup != 0)
        {
            a.add(Payload.Attribute.basic(Ikev1.P2_GROUP, pfsGroup));
        }
        a.add(Payload.Attribute.basic(Ikev1.P2_ENCAPSULATION, encapsulation));
        final int auth = switch (integrity)
        {
            case NONE -> 0;
            case HMAC_MD5_96 -> Ikev1.AUTH_HMAC_MD5;
            case HMAC_SHA1_96 -> Ikev1.AUTH_HMAC_SHA;
            case HMAC_SHA256_128 -> Ikev1.AUTH_HMAC_SHA256;
            case HMAC_SHA384_192 -> Ikev1.AUTH_HMAC_SHA384;
            case HMAC_SHA512_256 -> Ikev1.AUTH_HMAC_SHA512;
        };
        if (auth != 0)
        {
            a.add(Payload.Attribute.basic(Ikev1.P2_AUTH_ALGORITHM, auth));
        }
        final int id = switch (encryption)
        {
            case DES_CBC -> Ikev1.ESP_DES;
            case DES3_CBC -> Ikev1.ESP_3DES;
            case NULL -> Ikev1.ESP_NULL;
            case AES_CBC_128, AES_CBC_192, AES_CBC_256 -> Ikev1.ESP_AES_CBC;
            case AES_GCM_128, AES_GCM_192, AES_GCM_256 -> Ikev1.ESP_AES_GCM_16;
            case CHACHA20_POLY1305 -> throw new IllegalArgumentException("no IKEv1 transform id for " + encryption);
        };
        if (id == Ikev1.ESP_AES_CBC || id == Ikev1.ESP_AES_GCM_16)
        {
            a.add(Payload.Attribute.basic(Ikev1.P2_KEY_LENGTH, encryption.keyLength() * 8));
        }
        return new Payload.Transform(number, id, a);
    }

    @Override
    public String toString()
    {
        return encryption + "/" + integrity + "/" + (tunnel() ? "tunnel" : "transport") +
            (udpEncapsulated() ? "+UDP" : "") + (pfsGroup != 0 ? "/PFS group " + pfsGroup : "") +
            "/" + lifetimeSeconds + "s/" + lifetimeKilobytes + "kB";
    }
}
