package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.ConfigParser;
import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.dataplane.esp.EspEncryption;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class Ikev2SettingsFromConfigTest
{
    @Test
    void settingsFollowTheIkev2BlocksAndTheIpsecProfileThatNamesThem() throws Exception
    {
        final String text = """
            crypto ikev2 proposal PROP
             encryption aes-gcm-256 aes-cbc-256
             integrity sha256
             group 31 19
            crypto ikev2 policy POL
             match address local 192.0.2.1
             proposal PROP
            crypto ikev2 keyring KR
             peer spoke
              address 198.51.100.0 255.255.255.0
              pre-shared-key local ours-123
              pre-shared-key remote theirs-456
            crypto ikev2 profile PROF
             match identity remote address 198.51.100.7
             keyring local KR
             dpd 10 2 periodic
            crypto ikev2 cookie-challenge 50
            crypto ipsec transform-set TS esp-gcm 256
            crypto ipsec profile IPP
             set transform-set TS
             set pfs group19
             set ikev2-profile PROF
            """;
        final var config = new ConfigParser(4).parse("test.conf", text).config();
        final Ikev2Settings s = Ikev2Settings.fromConfig(config, Pair.ip("192.0.2.1"));
        assertEquals(2, s.proposals().size(), "AEAD and CBC in separate proposals");
        assertEquals(List.of(new Ikev2Settings.Cipher(IkeSuite.Encryption.AES_GCM_16, 256)), s.proposals().get(0).ciphers());
        assertEquals(List.of(IkeSuite.Prf.HMAC_SHA2_256), s.proposals().get(1).prfs(), "PRF from the integrity hash");
        assertEquals(List.of(31, 19), s.proposals().get(0).groups());
        assertEquals(50, s.cookieThreshold());
        assertEquals(new Ikev2Settings.Dpd(10_000, 2_000, Isakmp.DpdMode.PERIODIC), s.dpd());
        final Ikev2Settings.Peer peer = s.peerFor(Pair.ip("198.51.100.7"));
        assertArrayEquals("ours-123".getBytes(StandardCharsets.UTF_8), peer.localKey());
        assertArrayEquals("theirs-456".getBytes(StandardCharsets.UTF_8), peer.remoteKey());
        assertEquals(EspEncryption.AES_GCM_256, peer.child().transformSets().getFirst().encryption());
        assertEquals(19, peer.child().pfsGroup());
        assertNull(s.peerFor(Pair.ip("198.51.100.8")));
        assertEquals(Ip4.parse("198.51.100.7"), peer.match().address());
    }

    private static String certificateConfig(final String local, final String peer, final java.nio.file.Path dir,
        final String name)
    {
        return """
            crypto ikev2 proposal PROP
             encryption aes-gcm-256
             prf sha256
             group 19
            crypto ikev2 profile PROF
             match identity remote address %s
             authentication local rsa-sig
             authentication remote rsa-sig
            crypto ipsec transform-set TS esp-gcm 256
            crypto ipsec profile IPP
             set transform-set TS
             set ikev2-profile PROF
            sluice pki
             certificate %s
             private-key %s
             ca-certificate %s
            """.formatted(peer, dir.resolve(name + ".crt"), dir.resolve(name + ".key"), dir.resolve("ca.crt"));
    }

    @Test
    void twoGatewaysWithRsaSigProfilesAndSluicePkiNegotiateWithCertificates() throws Exception
    {
        final java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("sluice-ikev2-pki-");
        try
        {
            final CertPki ca = CertPki.root("CN=Sluice v2 Test CA");
            CertPki.pem(dir.resolve("ca.crt"), ca.certificate);
            final String[][] gateways = {{"gw-a", "10.0.0.1"}, {"gw-b", "10.0.0.2"}};
            for (final String[] gw : gateways)
            {
                final java.security.KeyPair k = CertPki.rsa();
                CertPki.pem(dir.resolve(gw[0] + ".crt"), ca.issue("CN=" + gw[0], k,
                    System.currentTimeMillis() - CertPki.DAY, System.currentTimeMillis() + CertPki.DAY, gw[1], null));
                CertPki.pem(dir.resolve(gw[0] + ".key"), k.getPrivate());
            }
            final ConfigParser parser = new ConfigParser(4);
            final var a = parser.parse("a.conf", certificateConfig("10.0.0.1", "10.0.0.2", dir, "gw-a")).config();
            final var b = parser.parse("b.conf", certificateConfig("10.0.0.2", "10.0.0.1", dir, "gw-b")).config();
            assertEquals(true, io.sluice.controlplane.config.RunningConfig.render(a)
                .contains(" authentication remote rsa-sig\n"), "written back");
            final Ikev2Settings sa = Ikev2Settings.fromConfig(a, Pair.ip("10.0.0.1"));
            final Ikev2Settings sb = Ikev2Settings.fromConfig(b, Pair.ip("10.0.0.2"));
            assertNull(sa.peerFor(Pair.ip("10.0.0.2")).localKey(), "no pre-shared key: we sign");
            final Pair p = new Pair(sa, sb);
            p.a.initiate(p.peerOfA());
            p.run();
            assertEquals(true, p.a.established(Pair.ip("10.0.0.2")), String.join("\n", p.logA) + "\n--\n" +
                String.join("\n", p.logB));
            assertEquals(1, p.eventsA.live.size());

            // rsa-sig without a sluice pki block is refused where it is written
            final io.sluice.controlplane.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.sluice.controlplane.config.ConfigException.class, () -> parser.parse("c.conf",
                    certificateConfig("10.0.0.1", "10.0.0.2", dir, "gw-a").replaceAll("(?s)sluice pki.*", "")));
            assertEquals(true, e.getMessage().contains("authenticates with rsa-sig but there is no 'sluice pki'"),
                e.getMessage());
        }
        finally
        {
            try (var files = java.nio.file.Files.walk(dir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
