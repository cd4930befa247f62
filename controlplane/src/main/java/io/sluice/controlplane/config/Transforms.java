package io.sluice.controlplane.config;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.util.List;

/**
 * IOS transform names ({@code crypto ipsec transform-set NAME esp-aes 256 esp-sha-hmac}) and the
 * dataplane's ESP algorithms they stand for.
 */
public final class Transforms
{
    static final String ENCRYPTION_EXPECTED =
        "esp-des, esp-3des, esp-aes [128|192|256], esp-gcm [128|192|256], esp-null";
    static final String INTEGRITY_EXPECTED =
        "esp-md5-hmac, esp-sha-hmac, esp-sha256-hmac, esp-sha384-hmac, esp-sha512-hmac";
    static final String EXPECTED = ENCRYPTION_EXPECTED + ", " + INTEGRITY_EXPECTED;

    /** The words that may start a transform, refused ones included so the message can say why. */
    static final List<String> WORDS = List.of(
        "esp-des", "esp-3des", "esp-aes", "esp-gcm", "esp-null",
        "esp-md5-hmac", "esp-sha-hmac", "esp-sha256-hmac", "esp-sha384-hmac", "esp-sha512-hmac",
        "esp-gmac", "esp-seal", "ah-md5-hmac", "ah-sha-hmac", "ah-sha256-hmac", "ah-sha384-hmac", "ah-sha512-hmac",
        "comp-lzs");

    private Transforms()
    {
    }

    static EspIntegrity integrity(final String word)
    {
        return switch (word)
        {
            case "esp-md5-hmac" -> EspIntegrity.HMAC_MD5_96;
            case "esp-sha-hmac" -> EspIntegrity.HMAC_SHA1_96;
            case "esp-sha256-hmac" -> EspIntegrity.HMAC_SHA256_128;
            case "esp-sha384-hmac" -> EspIntegrity.HMAC_SHA384_192;
            case "esp-sha512-hmac" -> EspIntegrity.HMAC_SHA512_256;
            default -> null;
        };
    }

    static String keyword(final EspEncryption encryption)
    {
        return switch (encryption)
        {
            case NULL -> "esp-null";
            case DES_CBC -> "esp-des";
            case DES3_CBC -> "esp-3des";
            case AES_CBC_128 -> "esp-aes";
            case AES_CBC_192 -> "esp-aes 192";
            case AES_CBC_256 -> "esp-aes 256";
            case AES_GCM_128 -> "esp-gcm";
            case AES_GCM_192 -> "esp-gcm 192";
            case AES_GCM_256 -> "esp-gcm 256";
            case CHACHA20_POLY1305 -> throw new IllegalArgumentException("no IOS transform for " + encryption);
        };
    }

    static String keyword(final EspIntegrity integrity)
    {
        return switch (integrity)
        {
            case NONE -> "";
            case HMAC_MD5_96 -> "esp-md5-hmac";
            case HMAC_SHA1_96 -> "esp-sha-hmac";
            case HMAC_SHA256_128 -> "esp-sha256-hmac";
            case HMAC_SHA384_192 -> "esp-sha384-hmac";
            case HMAC_SHA512_256 -> "esp-sha512-hmac";
        };
    }

    /** "esp-aes 256 esp-sha-hmac", "esp-gcm 256". */
    public static String keywords(final EspEncryption encryption, final EspIntegrity integrity)
    {
        final String cipher = keyword(encryption);
        return integrity == EspIntegrity.NONE ? cipher : cipher + " " + keyword(integrity);
    }
}
