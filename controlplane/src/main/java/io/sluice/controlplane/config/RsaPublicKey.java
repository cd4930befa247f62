package io.sluice.controlplane.config;

import java.util.Optional;

/**
 * A peer's RSA public key entered by hand under {@code crypto key pubkey-chain rsa} (for
 * {@code authentication rsa-encr}, or rsa-sig without certificates).
 *
 * @param addressed {@code addressed-key A} (true) or {@code named-key NAME} (false).
 * @param name      the FQDN of a named key, the address of an addressed one.
 * @param usage     {@code encryption}, {@code signature}, or general purpose when neither is given.
 * @param address   {@code address A} under a named key; the key's own address for an addressed one.
 * @param key       the {@code key-string} bytes (normally a DER SubjectPublicKeyInfo).
 */
public record RsaPublicKey(boolean addressed, String name, Usage usage, Optional<Ip4> address, KeyMaterial key)
{
    public enum Usage
    {
        GENERAL(""),
        ENCRYPTION("encryption"),
        SIGNATURE("signature");

        private final String keyword;

        Usage(final String keyword)
        {
            this.keyword = keyword;
        }

        /** Empty for general purpose. */
        public String keyword()
        {
            return keyword;
        }
    }
}
