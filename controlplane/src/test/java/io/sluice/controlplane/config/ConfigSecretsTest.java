package io.sluice.controlplane.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Secrets are kept in the model but no toString() shows them; running-config does, as IOS does. */
class ConfigSecretsTest
{
    private static final List<String> SECRETS = List.of(
        "hubsecret", "sitesecret", "namesecret", "groupsecret", "dmvpnpw", "tunnelpw42",
        "00112233445566778899aabbccddeeff", "ffeeddccbbaa9988", "0f1e2d3c4b5a6978", "f0e1d2c3b4a59687",
        "000102030405060708090a0b", "202122232425262728292a2b");

    @Test
    void modelToStringShowsNoSecret() throws ConfigException
    {
        final ParsedConfig parsed = ConfigFiles.parse("gateway-full.conf");
        final String text = (parsed.toString() + parsed.config().toString()).toLowerCase(Locale.ROOT);
        for (final String secret : SECRETS)
        {
            assertFalse(text.contains(secret), secret + " in " + text);
        }
        assertTrue(text.contains("<secret>"));
        assertTrue(text.contains("<32-byte key>"));
    }

    @Test
    void theModelKeepsTheSecrets() throws ConfigException
    {
        final Config c = ConfigFiles.parse("gateway-full.conf").config();
        assertEquals("hubsecret", c.isakmp().keys().get(0).key().value());
        final CryptoMap.Entry manual = c.cryptoMap("site").orElseThrow().entries().get(1);
        final CryptoMap.SessionKey inbound = manual.inbound().orElseThrow();
        assertEquals(300, inbound.spi());
        assertEquals("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            inbound.cipher().orElseThrow().hex());
        assertEquals(32, inbound.authenticator().orElseThrow().bytes().length);
    }

    @Test
    void runningConfigShowsThemAsConfigured() throws ConfigException
    {
        final String running = RunningConfig.render(ConfigFiles.parse("gateway-full.conf").config()).toLowerCase(Locale.ROOT);
        for (final String secret : SECRETS)
        {
            assertTrue(running.contains(secret), secret);
        }
    }

    @Test
    void errorMessagesDoNotRepeatKeys()
    {
        final String key = "0123456789abcdef0123456789abzdef";
        final ConfigException refused = assertThrows(ConfigException.class, () -> ConfigFiles.parse(
            "errors/17-bad-hex-key.conf"));
        assertTrue(ConfigFiles.read("errors/17-bad-hex-key.conf").contains(key));
        assertFalse(refused.getMessage().contains(key));
        assertFalse(refused.getMessage().contains("0123456789abcdef"));
        final ConfigException tooShort = assertThrows(ConfigException.class, () -> ConfigFiles.parse(
            "errors/18-wrong-key-length.conf"));
        assertFalse(tooShort.getMessage().contains("0123456789abcdef"));
    }

    @Test
    void secretAndKeyMaterialHideTheirValue()
    {
        assertEquals("<secret>", new Secret("s3cr3t").toString());
        assertEquals("<4-byte key>", KeyMaterial.ofHex("deadbeef").toString());
        assertEquals(KeyMaterial.ofHex("DEADBEEF"), KeyMaterial.ofHex("deadbeef"));
    }
}
