package io.sluice.controlplane.ike.v1;

/**
 * Numbers of ISAKMP (RFC 2408), IKEv1 (RFC 2409), the IPsec DOI (RFC 2407), NAT-T (RFC 3947) and
 * DPD (RFC 3706), with the names logs print for them.
 */
public final class Ikev1
{
    private Ikev1()
    {
    }

    /** ISAKMP version 1.0 as the header carries it (major in the high nibble). */
    public static final int VERSION = 0x10;
    public static final int HEADER_LENGTH = 28;
    public static final int DOI_IPSEC = 1;
    public static final int SIT_IDENTITY_ONLY = 1;

    /** Header flags. */
    public static final int FLAG_ENCRYPTION = 1;
    public static final int FLAG_COMMIT = 2;
    public static final int FLAG_AUTH_ONLY = 4;

    /** Exchange types (RFC 2408 3.1, RFC 2409). */
    public static final int EXCHANGE_MAIN = 2;
    public static final int EXCHANGE_AGGRESSIVE = 4;
    public static final int EXCHANGE_INFORMATIONAL = 5;
    public static final int EXCHANGE_QUICK = 32;

    /** Payload types (RFC 2408 3.1, RFC 3947 3.2/5.2; 130/131 are the NAT-T drafts' numbers). */
    public static final int PAYLOAD_NONE = 0;
    public static final int PAYLOAD_SA = 1;
    public static final int PAYLOAD_PROPOSAL = 2;
    public static final int PAYLOAD_TRANSFORM = 3;
    public static final int PAYLOAD_KE = 4;
    public static final int PAYLOAD_ID = 5;
    public static final int PAYLOAD_CERT = 6;
    public static final int PAYLOAD_CR = 7;
    public static final int PAYLOAD_HASH = 8;
    public static final int PAYLOAD_SIG = 9;
    public static final int PAYLOAD_NONCE = 10;
    public static final int PAYLOAD_NOTIFY = 11;
    public static final int PAYLOAD_DELETE = 12;
    public static final int PAYLOAD_VENDOR_ID = 13;
    public static final int PAYLOAD_NAT_D = 20;
    public static final int PAYLOAD_NAT_OA = 21;
    public static final int PAYLOAD_NAT_D_DRAFT = 130;
    public static final int PAYLOAD_NAT_OA_DRAFT = 131;

    /** Protocol ids (RFC 2407 4.4.1). */
    public static final int PROTO_ISAKMP = 1;
    public static final int PROTO_IPSEC_AH = 2;
    public static final int PROTO_IPSEC_ESP = 3;

    /** Phase 1 transform id. */
    public static final int KEY_IKE = 1;

    /** Phase 1 attribute types (RFC 2409 appendix A). */
    public static final int P1_ENCRYPTION = 1;
    public static final int P1_HASH = 2;
    public static final int P1_AUTH_METHOD = 3;
    public static final int P1_GROUP = 4;
    public static final int P1_LIFE_TYPE = 11;
    public static final int P1_LIFE_DURATION = 12;
    public static final int P1_KEY_LENGTH = 14;

    public static final int P1_ENC_DES = 1;
    public static final int P1_ENC_3DES = 5;
    public static final int P1_ENC_AES = 7;
    public static final int P1_HASH_MD5 = 1;
    public static final int P1_HASH_SHA = 2;
    public static final int P1_HASH_SHA256 = 4;
    public static final int P1_HASH_SHA384 = 5;
    public static final int P1_HASH_SHA512 = 6;
    public static final int AUTH_PSK = 1;
    public static final int AUTH_RSA_SIG = 3;
    public static final int AUTH_RSA_ENC = 4;
    public static final int LIFE_SECONDS = 1;
    public static final int LIFE_KILOBYTES = 2;

    /** IPsec DOI ESP transform ids (RFC 2407 4.4.4, RFC 3602, RFC 4106). */
    public static final int ESP_DES = 2;
    public static final int ESP_3DES = 3;
    public static final int ESP_NULL = 11;
    public static final int ESP_AES_CBC = 12;
    public static final int ESP_AES_GCM_16 = 20;

    /** IPsec DOI SA attribute types (RFC 2407 4.5). */
    public static final int P2_LIFE_TYPE = 1;
    public static final int P2_LIFE_DURATION = 2;
    public static final int P2_GROUP = 3;
    public static final int P2_ENCAPSULATION = 4;
    public static final int P2_AUTH_ALGORITHM = 5;
    public static final int P2_KEY_LENGTH = 6;

    public static final int ENCAP_TUNNEL = 1;
    public static final int ENCAP_TRANSPORT = 2;
    /** RFC 3947 values; the drafts used 61443/61444. */
    public static final int ENCAP_UDP_TUNNEL = 3;
    public static final int ENCAP_UDP_TRANSPORT = 4;
    public static final int ENCAP_UDP_TUNNEL_DRAFT = 61443;
    public static final int ENCAP_UDP_TRANSPORT_DRAFT = 61444;

    public static final int AUTH_HMAC_MD5 = 1;
    public static final int AUTH_HMAC_SHA = 2;
    public static final int AUTH_HMAC_SHA256 = 5;
    public static final int AUTH_HMAC_SHA384 = 6;
    public static final int AUTH_HMAC_SHA512 = 7;

    /** Identification types (RFC 2407 4.6.2.1). */
    public static final int ID_IPV4_ADDR = 1;
    public static final int ID_FQDN = 2;
    public static final int ID_USER_FQDN = 3;
    public static final int ID_IPV4_ADDR_SUBNET = 4;
    public static final int ID_IPV4_ADDR_RANGE = 7;
    public static final int ID_DER_ASN1_DN = 9;
    public static final int ID_KEY_ID = 11;

    /** Notify message types (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706). */
    public static final int INVALID_PAYLOAD_TYPE = 1;
    public static final int INVALID_MAJOR_VERSION = 5;
    public static final int INVALID_EXCHANGE_TYPE = 7;
    public static final int INVALID_FLAGS = 8;
    public static final int INVALID_MESSAGE_ID = 9;
    public static final int INVALID_SPI = 11;
    public static final int NO_PROPOSAL_CHOSEN = 14;
    public static final int PAYLOAD_MALFORMED = 16;
    public static final int INVALID_KEY_INFORMATION = 17;
    public static final int INVALID_ID_INFORMATION = 18;
    public static final int INVALID_HASH_INFORMATION = 23;
    public static final int AUTHENTICATION_FAILED = 24;
    public static final int RESPONDER_LIFETIME = 24576;
    public static final int REPLAY_STATUS = 24577;
    public static final int INITIAL_CONTACT = 24578;
    public static final int R_U_THERE = 36136;
    public static final int R_U_THERE_ACK = 36137;

    /** The name a log prints for a notify type. */
    public static String notifyName(final int type)
    {
        return switch (type)
        {
            case INVALID_PAYLOAD_TYPE -> "INVALID_PAYLOAD_TYPE";
            case INVALID_MAJOR_VERSION -> "INVALID_MAJOR_VERSION";
            case INVALID_EXCHANGE_TYPE -> "INVALID_EXCHANGE_TYPE";
            case INVALID_FLAGS -> "INVALID_FLAGS";
            case INVALID_MESSAGE_ID -> "INVALID_MESSAGE_ID";
            case INVALID_SPI -> "INVALID_SPI";
            case NO_PROPOSAL_CHOSEN -> "NO_PROPOSAL_CHOSEN";
            case PAYLOAD_MALFORMED -> "PAYLOAD_MALFORMED";
            case INVALID_KEY_INFORMATION -> "INVALID_KEY_INFORMATION";
            case INVALID_ID_INFORMATION -> "INVALID_ID_INFORMATION";
            case INVALID_HASH_INFORMATION -> "INVALID_HASH_INFORMATION";
            case AUTHENTICATION_FAILED -> "AUTHENTICATION_FAILED";
            case RESPONDER_LIFETIME -> "RESPONDER_LIFETIME";
            case REPLAY_STATUS -> "REPLAY_STATUS";
            case INITIAL_CONTACT -> "INITIAL_CONTACT";
            case R_U_THERE -> "R_U_THERE";
            case R_U_THERE_ACK -> "R_U_THERE_ACK";
            default -> "NOTIFY(" + type + ")";
        };
    }

    /** The name a log prints for a payload type. */
    public static String payloadName(final int type)
    {
        return switch (type)
        {
            case PAYLOAD_SA -> "SA";
            case PAYLOAD_PROPOSAL -> "PROPOSAL";
            case PAYLOAD_TRANSFORM -> "TRANSFORM";
            case PAYLOAD_KE -> "KE";
            case PAYLOAD_ID -> "ID";
            case PAYLOAD_CERT -> "CERT";
            case PAYLOAD_CR -> "CERT_REQ";
            case PAYLOAD_HASH -> "HASH";
            case PAYLOAD_SIG -> "SIG";
            case PAYLOAD_NONCE -> "NONCE";
            case PAYLOAD_NOTIFY -> "NOTIFY";
            case PAYLOAD_DELETE -> "DELETE";
            case PAYLOAD_VENDOR_ID -> "VID";
            case PAYLOAD_NAT_D, PAYLOAD_NAT_D_DRAFT -> "NAT-D";
            case ModeConfig.PAYLOAD_ATTRIBUTES -> "ATTR";
            case PAYLOAD_NAT_OA, PAYLOAD_NAT_OA_DRAFT -> "NAT-OA";
            default -> "PAYLOAD(" + type + ")";
        };
    }

    /** The name a log prints for an exchange type. */
    public static String exchangeName(final int type)
    {
        return switch (type)
        {
            case EXCHANGE_MAIN -> "MAIN_MODE";
            case EXCHANGE_AGGRESSIVE -> "AGGRESSIVE";
            case EXCHANGE_INFORMATIONAL -> "INFORMATIONAL";
            case EXCHANGE_QUICK -> "QUICK_MODE";
            case ModeConfig.EXCHANGE_TRANSACTION -> "TRANSACTION";
            default -> "EXCHANGE(" + type + ")";
        };
    }
}
