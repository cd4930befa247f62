package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.DhGroup;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;

import static io.sluice.controlplane.ike.v1.Settings.ip;
import static io.sluice.controlplane.ike.v1.Settings.phase2;
import static io.sluice.controlplane.ike.v1.Settings.set;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Main mode authenticated with RSA signatures and X.509 certificates checked against a configured CA. */
class Ikev1CertificateTest
{
    private static final String A = "192.0.2.1";
    private static final String B = "192.0.2.2";
    private static final Isakmp.Policy RSA_SIG = new Isakmp.Policy(1, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256,
        Isakmp.Authentication.RSA_SIG, DhGroup.ofNumber(14), 86400);
    private static final TestPki CA = TestPki.authority("CN=Sluice Test CA, O=Sluice");

    private static Ikev1Settings settings(final String local, final String peer, final Ikev1Credentials credentials)
    {
        final Ikev1Settings.Builder b = Ikev1Settings.builder(ip(local)).policy(RSA_SIG)
            .phase2(phase2(peer, 14, set("ts", EspEncryption.AES_GCM_128, EspIntegrity.NONE)));
        b.identity = Isakmp.Identity.DN;
        b.credentials = credentials;
        return b.build();
    }

    private static String gatewayConfig(final String local, final String peer, final java.nio.file.Path dir,
        final String name)
    {
        return """
            hostname %s
            crypto isakmp policy 10
             encryption aes 256
             hash sha256
             authentication rsa-sig
             group 14
            crypto isakmp identity dn
            crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
            access-list 110 permit ip host %s host %s
            crypto map VPN 10 ipsec-isakmp
             set peer %s
             set transform-set TS
             match address 110
            interface eth0
             ip address %s 255.255.255.0
             crypto map VPN
            sluice pki
             certificate %s
             private-key %s
             ca-certificate %s
            """.formatted(name, local, peer, peer, local, dir.resolve(name + ".crt"), dir.resolve(name + ".key"),
            dir.resolve("ca.crt"));
    }

    @Test
    void twoGatewaysWithSluicePkiInTheirConfigurationsNegotiateWithCertificates() throws Exception
    {
        final java.nio.file.Path dir = Files.createTempDirectory("sluice-pki-config-");
        try
        {
            TestPki.pem(dir.resolve("ca.crt"), CA.certificate);
            for (final String name : new String[]{"gw-a", "gw-b"})
            {
                final KeyPair k = TestPki.rsa();
                TestPki.pem(dir.resolve(name + ".crt"), CA.issue("CN=" + name + ", O=Sluice", k,
                    System.currentTimeMillis() - TestPki.DAY, System.currentTimeMillis() + TestPki.DAY, null));
                TestPki.pem(dir.resolve(name + ".key"), k.getPrivate());
            }
            final io.sluice.controlplane.config.ConfigParser parser = new io.sluice.controlplane.config.ConfigParser();
            final var a = parser.parse("gw-a.conf", gatewayConfig(A, B, dir, "gw-a")).config();
            final var b = parser.parse("gw-b.conf", gatewayConfig(B, A, dir, "gw-b")).config();
            assertEquals(dir.resolve("gw-a.key").toString(), a.pki().orElseThrow().privateKey());
            assertTrue(io.sluice.controlplane.config.RunningConfig.render(a).contains("sluice pki\n certificate " +
                dir.resolve("gw-a.crt")), "show running-config writes the block back");
            final EnginePair p = new EnginePair(Ikev1Settings.fromConfig(a, ip(A)), Ikev1Settings.fromConfig(b, ip(B)),
                ip("198.51.100.7"));
            p.a.initiate(new InetSocketAddress(ip(B), 500));
            p.run();
            assertEquals(1, p.a.childSas().size(), p.logs());
            assertTrue(p.logB.stream().anyMatch(l -> l.contains("certificate of CN=gw-a,O=Sluice verified")), p.logs());

            // a missing file stops the gateway at start, naming it
            java.nio.file.Files.delete(dir.resolve("gw-b.key"));
            final IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> Ikev1Settings.fromConfig(b, ip(B)));
            assertTrue(e.getMessage().startsWith("sluice pki: ") && e.getMessage().contains("gw-b.key"),
                e.getMessage());
        }
        finally
        {
            try (var files = Files.walk(dir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void mainModeWithCertificatesFromTheSameCaNegotiates()
    {
        final EnginePair p = new EnginePair(settings(A, B, CA.credentials("CN=gw-a, O=Sluice", null)),
            settings(B, A, CA.credentials("CN=gw-b, O=Sluice", null)), ip("198.51.100.7"));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        assertEquals(1, p.a.childSas().size(), p.logs());
        assertArrayEquals(p.a.childSas().get(0).keyIn(), p.b.childSas().get(0).keyOut());
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("certificate of CN=gw-a,O=Sluice verified")), p.logs());
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("certificate of CN=gw-b,O=Sluice verified")), p.logs());
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("RSA signature authentication using id type ID_DER_ASN1_DN")));
        assertTrue(p.eventsA.contains("phase1 " + B));
    }

    @Test
    void anAddressIdentityMustBeInTheCertificatesSubjectAltName()
    {
        final Ikev1Settings a = settings(A, B, CA.credentials("CN=gw-a", A)).toBuilder().build();
        final Ikev1Settings.Builder ab = a.toBuilder();
        ab.identity = Isakmp.Identity.ADDRESS;
        final Ikev1Settings.Builder bb = settings(B, A, CA.credentials("CN=gw-b", "192.0.2.99")).toBuilder();
        bb.identity = Isakmp.Identity.ADDRESS;
        final EnginePair p = new EnginePair(ab.build(), bb.build(), ip("198.51.100.7"));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        // B accepts A (its SAN holds 192.0.2.1); A refuses B, whose certificate is for 192.0.2.99
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("certificate of 192.0.2.1 verified")), p.logs());
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("its identity 192.0.2.2 is not in its certificate")),
            p.logs());
        assertTrue(p.a.childSas().isEmpty());
    }

    @Test
    void aCertificateFromAnotherCaOrExpiredIsRejectedWithTheReason()
    {
        final TestPki other = TestPki.authority("CN=Someone Else");
        final EnginePair p = new EnginePair(settings(A, B, other.credentials("CN=gw-a", null)).toBuilder().build(),
            settings(B, A, CA.credentials("CN=gw-b", null)), ip("198.51.100.7"));
        // A trusts only its own CA; it would refuse B too, but B refuses A first
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        assertTrue(p.logB.stream().anyMatch(l -> l.contains("authentication failed with peer " + A) &&
            l.contains("is not signed by a trusted CA")), p.logs());
        assertTrue(p.b.childSas().isEmpty() && p.a.childSas().isEmpty());

        final KeyPair k = TestPki.rsa();
        final long now = System.currentTimeMillis();
        final Ikev1Credentials expired = new Ikev1Credentials(CA.issue("CN=old", k, now - 10 * TestPki.DAY,
            now - TestPki.DAY, null), k.getPrivate(), List.of(CA.certificate));
        final Ikev1Exception e = assertThrows(Ikev1Exception.class, () -> expired.verifyChain(expired.certificate(),
            List.of(), now));
        assertTrue(e.getMessage().contains("not valid now"), e.getMessage());
    }

    @Test
    void credentialsLoadFromPemFiles() throws Exception
    {
        final Path dir = Files.createTempDirectory("sluice-pki-");
        try
        {
            final KeyPair k = TestPki.rsa();
            final byte[] cert = CA.issue("CN=gw-a", k, System.currentTimeMillis() - TestPki.DAY,
                System.currentTimeMillis() + TestPki.DAY, null);
            TestPki.pem(dir.resolve("gw.crt"), cert);
            TestPki.pem(dir.resolve("gw.key"), k.getPrivate());
            TestPki.pem(dir.resolve("ca.crt"), CA.certificate);
            final Ikev1Credentials c = Ikev1Credentials.fromPem(dir.resolve("gw.crt"), dir.resolve("gw.key"),
                dir.resolve("ca.crt"));
            assertArrayEquals(cert, c.certificate());
            assertArrayEquals(CA.certificate, c.authorities().get(0));
            assertArrayEquals(k.getPrivate().getEncoded(), c.privateKey().getEncoded());
            assertFalse(c.toString().contains("PRIVATE"));
            final Path empty = Files.writeString(dir.resolve("empty.crt"), "nothing\n");
            assertThrows(java.io.IOException.class, () -> Ikev1Credentials.fromPem(empty, dir.resolve("gw.key"),
                dir.resolve("ca.crt")));
        }
        finally
        {
            try (var files = Files.walk(dir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
