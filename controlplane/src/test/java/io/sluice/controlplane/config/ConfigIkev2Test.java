package io.sluice.controlplane.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code crypto ikev2 proposal|policy|keyring|profile}, {@code set ikev2-profile}: parse, errors, round trip. */
class ConfigIkev2Test
{
    static final String EXAMPLE = """
        hostname hub
        crypto ikev2 proposal PROP
         encryption aes-gcm-256 aes-cbc-256
         integrity sha256
         prf sha384
         group 31 19
        !
        crypto ikev2 policy POL
         match address local 192.0.2.1
         proposal PROP
        !
        crypto ikev2 keyring KR
         peer spoke
          address 198.51.100.0 255.255.255.0
          pre-shared-key local ours-123
          pre-shared-key remote theirs-456
         peer other
          address 203.0.113.7
          pre-shared-key both-789
        !
        crypto ikev2 profile PROF
         match identity remote address 198.51.100.0 255.255.255.0
         identity local fqdn hub.example.net
         authentication local pre-share
         authentication remote pre-share
         keyring local KR
         dpd 10 2 periodic
         lifetime 3600
        !
        crypto ikev2 cookie-challenge 50
        crypto ipsec transform-set TS esp-gcm 256
         mode transport
        crypto ipsec profile IPP
         set transform-set TS
         set ikev2-profile PROF
        """;

    @Test
    void parsesEveryIkev2Block() throws ConfigException
    {
        final ParsedConfig parsed = ConfigFiles.parseText(EXAMPLE);
        final CryptoIkev2 v2 = parsed.config().ikev2();
        assertEquals(List.of(new CryptoIkev2.Proposal("PROP",
            List.of(CryptoIkev2.Encryption.AES_GCM_256, CryptoIkev2.Encryption.AES_CBC_256),
            List.of(CryptoIkev2.Hash.SHA256), List.of(CryptoIkev2.Hash.SHA384), List.of(31, 19))), v2.proposals());
        assertEquals(List.of(new CryptoIkev2.Policy("POL", List.of("PROP"), Optional.of(Ip4.parse("192.0.2.1")))),
            v2.policies());
        final CryptoIkev2.KeyringPeer spoke = v2.keyring("KR").orElseThrow().peers().get(0);
        assertEquals(new Ip4Subnet(Ip4.parse("198.51.100.0"), 24), spoke.address());
        assertEquals("ours-123", spoke.localKey().value());
        assertEquals("theirs-456", spoke.remoteKey().value());
        final CryptoIkev2.KeyringPeer other = v2.keyring("KR").orElseThrow().peers().get(1);
        assertEquals(other.localKey(), other.remoteKey());
        final CryptoIkev2.Profile profile = v2.profile("PROF").orElseThrow();
        assertEquals(Optional.of("hub.example.net"), profile.localFqdn());
        assertEquals(new Isakmp.Keepalive(10, 2, Isakmp.DpdMode.PERIODIC), profile.dpd().orElseThrow());
        assertEquals(3600, profile.lifetimeSeconds());
        assertEquals(Optional.of(50), v2.cookieChallenge());
        assertEquals(Optional.of("PROF"), parsed.config().ipsec().profile("IPP").orElseThrow().ikev2Profile());
        assertTrue(parsed.notes().stream().noneMatch(n -> n.toString().contains("ikev2")), parsed.notes().toString());
    }

    @Test
    void runningConfigParsesBackToTheSameModel() throws ConfigException
    {
        final Config original = ConfigFiles.parseText(EXAMPLE).config();
        final String running = RunningConfig.render(original);
        assertTrue(running.contains("crypto ikev2 proposal PROP\n encryption aes-gcm-256 aes-cbc-256\n"), running);
        final Config reparsed = ConfigFiles.parser().parse("running-config", running).config();
        assertEquals(original, reparsed);
        assertEquals(running, RunningConfig.render(reparsed));
    }

    @Test
    void errorsNameFileLineAndColumn()
    {
        assertError("crypto ikev2 proposal P\n encryption aes-cbc-512\n", "test.conf:2:13:", "aes-cbc-512");
        assertError("crypto ikev2 proposal P\n encryption aes-gcm-256\n group 5\n", "test.conf:3:8:", "14, 15, 16, 19, 20 or 31");
        assertError("crypto ikev2 proposal P\n encryption aes-cbc-128\n group 14\n", "test.conf:1:23:", "incomplete");
        assertError("crypto ikev2 policy X\n proposal NOPE\n", "test.conf:2:11:", "not a defined IKEv2 proposal");
        assertError("crypto ikev2 profile X\n match identity remote address 10.0.0.1\n keyring local NOPE\n",
            "test.conf:3:16:", "not a defined IKEv2 keyring");
        assertError("crypto ikev2 keyring K\n peer p\n  address 10.0.0.1\n", "test.conf:2:7:", "incomplete");
        assertError("crypto ikev2 profile X\n dpd 5 2 periodic\n", "test.conf:2:6:", "");
        assertError("crypto ikev2 profile X\n authentication local ecdsa-sig\n", "test.conf:2:23:", "pre-share or rsa-sig");
        assertError("crypto ikev2 profile X\n authentication local rsa-sig\n authentication remote rsa-sig\n",
            "test.conf:1:22:", "no 'sluice pki'");
    }

    private static void assertError(final String text, final String where, final String why)
    {
        final ConfigException e = assertThrows(ConfigException.class, () -> ConfigFiles.parseText(text));
        assertTrue(e.getMessage().contains(where) && e.getMessage().contains(why), e.getMessage());
    }

    @Test
    void anUndefinedIkev2ProfileIsAWarning() throws ConfigException
    {
        final ParsedConfig parsed = ConfigFiles.parseText("crypto ipsec transform-set TS esp-gcm\n" +
            "crypto ipsec profile IPP\n set transform-set TS\n set ikev2-profile NOPE\n");
        assertTrue(parsed.notes().stream().anyMatch(n -> n.toString().contains("test.conf:4:") &&
            n.toString().contains("ikev2-profile NOPE is not a defined 'crypto ikev2 profile'")), parsed.notes().toString());
    }
}
