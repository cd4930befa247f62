package io.sluice.controlplane.ike.v2;

/**
 * IKEv2 numbers (RFC 7296 3, IANA "IKEv2 Parameters") and their names for logs.
 */
public final class Ikev2
{
    public static final int HEADER_LENGTH = 28;
    public static final int VERSION = 0x20;

    // exchange types
    public static final int IKE_SA_INIT = 34;
    public static final int IKE_AUTH = 35;
    public static final int CREATE_CHILD_SA = 36;
    public static final int INFORMATIONAL = 37;

    // header flags
    public static final int FLAG_INITIATOR = 0x08;
    public static final int FLAG_VERSION = 0x10;
    public static final int FLAG_RESPONSE = 0x20;

    // payload types
    public static final int NO_NEXT_PAYLOAD = 0;
    public static final int PAYLOAD_SA = 33;
    public static final int PAYLOAD_KE = 34;
    public static final int PAYLOAD_IDI = 35;
    public static final int PAYLOAD_IDR = 36;
    public static final int PAYLOAD_CERT = 37;
    public static final int PAYLOAD_CERTREQ = 38;
    public static final int PAYLOAD_AUTH = 39;
    public static final int PAYLOAD_NONCE = 40;
    public static final int PAYLOAD_NOTIFY = 41;
    public static final int PAYLOAD_DELETE = 42;
    public static final int PAYLOAD_VENDOR = 43;
    public static final int PAYLOAD_TSI = 44;
    public static final int PAYLOAD_TSR = 45;
    public static final int PAYLOAD_SK = 46;
    public static final int PAYLOAD_CP = 47;
    public static final int PAYLOAD_EAP = 48;
    public static final int PAYLOAD_SKF = 53;

    // protocol ids
    public static final int PROTO_IKE = 1;
    public static final int PROTO_AH = 2;
    public static final int PROTO_ESP = 3;

    // transform types
    public static final int TRANSFORM_ENCR = 1;
    public static final int TRANSFORM_PRF = 2;
    public static final int TRANSFORM_INTEG = 3;
    public static final int TRANSFORM_DH = 4;
    public static final int TRANSFORM_ESN = 5;

    public static final int ATTRIBUTE_KEY_LENGTH = 14;

    // transform ids
    public static final int ENCR_3DES = 3;
    public static final int ENCR_NULL = 11;
    public static final int ENCR_AES_CBC = 12;
    public static final int ENCR_AES_GCM_16 = 20;
    public static final int ENCR_CHACHA20_POLY1305 = 28;
    public static final int PRF_HMAC_MD5 = 1;
    public static final int PRF_HMAC_SHA1 = 2;
    public static final int PRF_HMAC_SHA2_256 = 5;
    public static final int PRF_HMAC_SHA2_384 = 6;
    public static final int PRF_HMAC_SHA2_512 = 7;
    public static final int AUTH_NONE = 0;
    public static final int AUTH_HMAC_MD5_96 = 1;
    public static final int AUTH_HMAC_SHA1_96 = 2;
    public static final int AUTH_HMAC_SHA2_256_128 = 12;
    public static final int AUTH_HMAC_SHA2_384_192 = 13;
    public static final int AUTH_HMAC_SHA2_512_256 = 14;
    public static final int ESN_NO = 0;
    public static final int ESN_YES = 1;

    // authentication methods
    public static final int AUTH_RSA_SIG = 1;
    public static final int AUTH_SHARED_KEY_MIC = 2;
    public static final int AUTH_DSS_SIG = 3;
    public static final int AUTH_ECDSA_256 = 9;
    public static final int AUTH_ECDSA_384 = 10;
    public static final int AUTH_ECDSA_521 = 11;
    public static final int AUTH_DIGITAL_SIGNATURE = 14;

    // identification types
    public static final int ID_IPV4_ADDR = 1;
    public static final int ID_FQDN = 2;
    public static final int ID_RFC822_ADDR = 3;
    public static final int ID_IPV6_ADDR = 5;
    public static final int ID_DER_ASN1_DN = 9;
    public static final int ID_KEY_ID = 11;

    // traffic selector types
    public static final int TS_IPV4_ADDR_RANGE = 7;
    public static final int TS_IPV6_ADDR_RANGE = 8;

    // notify: errors
    public static final int UNSUPPORTED_CRITICAL_PAYLOAD = 1;
    public static final int INVALID_IKE_SPI = 4;
    public static final int INVALID_MAJOR_VERSION = 5;
    public static final int INVALID_SYNTAX = 7;
    public static final int INVALID_MESSAGE_ID = 9;
    public static final int INVALID_SPI = 11;
    public static final int NO_PROPOSAL_CHOSEN = 14;
    public static final int INVALID_KE_PAYLOAD = 17;
    public static final int AUTHENTICATION_FAILED = 24;
    public static final int SINGLE_PAIR_REQUIRED = 34;
    public static final int NO_ADDITIONAL_SAS = 35;
    public static final int INTERNAL_ADDRESS_FAILURE = 36;
    public static final int FAILED_CP_REQUIRED = 37;
    public static final int TS_UNACCEPTABLE = 38;
    public static final int INVALID_SELECTORS = 39;
    public static final int TEMPORARY_FAILURE = 43;
    public static final int CHILD_SA_NOT_FOUND = 44;
    // notify: status
    public static final int INITIAL_CONTACT = 16384;
    public static final int SET_WINDOW_SIZE = 16385;
    public static final int ADDITIONAL_TS_POSSIBLE = 16386;
    public static final int IPCOMP_SUPPORTED = 16387;
    public static final int NAT_DETECTION_SOURCE_IP = 16388;
    public static final int NAT_DETECTION_DESTINATION_IP = 16389;
    public static final int COOKIE = 16390;
    public static final int USE_TRANSPORT_MODE = 16391;
    public static final int HTTP_CERT_LOOKUP_SUPPORTED = 16392;
    public static final int REKEY_SA = 16393;
    public static final int ESP_TFC_PADDING_NOT_SUPPORTED = 16394;
    public static final int NON_FIRST_FRAGMENTS_ALSO = 16395;
    public static final int MOBIKE_SUPPORTED = 16396;
    public static final int MULTIPLE_AUTH_SUPPORTED = 16404;
    public static final int IKEV2_FRAGMENTATION_SUPPORTED = 16430;
    public static final int SIGNATURE_HASH_ALGORITHMS = 16431;

    private Ikev2()
    {
    }

    public static String exchangeName(final int type)
    {
        return switch (type)
        {
            case IKE_SA_INIT -> "IKE_SA_INIT";
            case IKE_AUTH -> "IKE_AUTH";
            case CREATE_CHILD_SA -> "CREATE_CHILD_SA";
            case INFORMATIONAL -> "INFORMATIONAL";
            default -> "exchange " + type;
        };
    }

    public static String payloadName(final int type)
    {
        return switch (type)
        {
            case NO_NEXT_PAYLOAD -> "NONE";
            case PAYLOAD_SA -> "SA";
            case PAYLOAD_KE -> "KE";
            case PAYLOAD_IDI -> "IDi";
            case PAYLOAD_IDR -> "IDr";
            case PAYLOAD_CERT -> "CERT";
            case PAYLOAD_CERTREQ -> "CERTREQ";
            case PAYLOAD_AUTH -> "AUTH";
            case PAYLOAD_NONCE -> "No";
            case PAYLOAD_NOTIFY -> "N";
            case PAYLOAD_DELETE -> "D";
            case PAYLOAD_VENDOR -> "V";
            case PAYLOAD_TSI -> "TSi";
            case PAYLOAD_TSR -> "TSr";
            case PAYLOAD_SK -> "SK";
            case PAYLOAD_CP -> "CP";
            case PAYLOAD_EAP -> "EAP";
            case PAYLOAD_SKF -> "SKF";
            default -> "payload " + type;
        };
    }

    public static String notifyName(final int type)
    {
        return switch (type)
        {
            case UNSUPPORTED_CRITICAL_PAYLOAD -> "UNSUPPORTED_CRITICAL_PAYLOAD";
            case INVALID_IKE_SPI -> "INVALID_IKE_SPI";
            case INVALID_MAJOR_VERSION -> "INVALID_MAJOR_VERSION";
            case INVALID_SYNTAX -> "INVALID_SYNTAX";
            case INVALID_MESSAGE_ID -> "INVALID_MESSAGE_ID";
            case INVALID_SPI -> "INVALID_SPI";
            case NO_PROPOSAL_CHOSEN -> "NO_PROPOSAL_CHOSEN";
            case INVALID_KE_PAYLOAD -> "INVALID_KE_PAYLOAD";
            case AUTHENTICATION_FAILED -> "AUTHENTICATION_FAILED";
            case SINGLE_PAIR_REQUIRED -> "SINGLE_PAIR_REQUIRED";
            case NO_ADDITIONAL_SAS -> "NO_ADDITIONAL_SAS";
            case INTERNAL_ADDRESS_FAILURE -> "INTERNAL_ADDRESS_FAILURE";
            case FAILED_CP_REQUIRED -> "FAILED_CP_REQUIRED";
            case TS_UNACCEPTABLE -> "TS_UNACCEPTABLE";
            case INVALID_SELECTORS -> "INVALID_SELECTORS";
            case TEMPORARY_FAILURE -> "TEMPORARY_FAILURE";
            case CHILD_SA_NOT_FOUND -> "CHILD_SA_NOT_FOUND";
            case INITIAL_CONTACT -> "INITIAL_CONTACT";
            case SET_WINDOW_SIZE -> "SET_WINDOW_SIZE";
            case ADDITIONAL_TS_POSSIBLE -> "ADDITIONAL_TS_POSSIBLE";
            case IPCOMP_SUPPORTED -> "IPCOMP_SUPPORTED";
            case NAT_DETECTION_SOURCE_IP -> "NAT_DETECTION_SOURCE_IP";
            case NAT_DETECTION_DESTINATION_IP -> "NAT_DETECTION_DESTINATION_IP";
            case COOKIE -> "COOKIE";
            case USE_TRANSPORT_MODE -> "USE_TRANSPORT_MODE";
            case HTTP_CERT_LOOKUP_SUPPORTED -> "HTTP_CERT_LOOKUP_SUPPORTED";
            case REKEY_SA -> "REKEY_SA";
            case ESP_TFC_PADDING_NOT_SUPPORTED -> "ESP_TFC_PADDING_NOT_SUPPORTED";
            case NON_FIRST_FRAGMENTS_ALSO -> "NON_FIRST_FRAGMENTS_ALSO";
            case MOBIKE_SUPPORTED -> "MOBIKE_SUPPORTED";
            case MULTIPLE_AUTH_SUPPORTED -> "MULTIPLE_AUTH_SUPPORTED";
            case IKEV2_FRAGMENTATION_SUPPORTED -> "IKEV2_FRAGMENTATION_SUPPORTED";
            case SIGNATURE_HASH_ALGORITHMS -> "SIGNATURE_HASH_ALGORITHMS";
            default -> (type < 16384 ? "error " : "status ") + type;
        };
    }

    /** True for the notify types that report an error (RFC 7296 3.10.1: below 16384). */
    public static boolean isError(final int notifyType)
    {
        return notifyType > 0 && notifyType < 16384;
    }
}
