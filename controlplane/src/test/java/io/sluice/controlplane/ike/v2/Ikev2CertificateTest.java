package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.util.List;

import static io.sluice.controlplane.ike.v2.Pair.child;
import static io.sluice.controlplane.ike.v2.Pair.gcm;
import static io.sluice.controlplane.ike.v2.Pair.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Certificate authentication (RFC 7296 2.15, 3.6-3.8; RFC 7427) between two engines: RSA and ECDSA,
 * identities by address, FQDN and DN, and the refusals: a foreign CA, an identity the certificate
 * does not name, an expired certificate, a responder whose certificate is bad.
 */
class Ikev2CertificateTest
{
    private static final String A = "10.0.0.1";
    private static final String B = "10.0.0.2";
    private static final Ipsec.TransformSet GCM = set(EspEncryption.AES_GCM_256, EspIntegrity.NONE,
        Ipsec.EncapsulationMode.TUNNEL);
    private static final CertPki CA = CertPki.root("C=CH, O=Sluice, CN=Sluice Test CA");
    private static final CertPki OTHER_CA = CertPki.root("C=CH, O=Elsewhere, CN=Other CA");
    private static final KeyPair KEY_A = CertPki.rsa();
    private static final KeyPair KEY_B = CertPki.rsa();
    private static final KeyPair EC_A = CertPki.ecdsa();

    static Ikev2Settings settings(final String local, final String peer, final Ikev2Credentials credentials,
        final Ikev2Settings.Identity localId, final Ikev2Settings.Identity remoteId, final String localNet,
        final String remoteNet)
    {
        return Ikev2Settings.builder(Pair.ip(local)).proposal(gcm(31)).credentials(credentials)
            .peer(Ikev2Settings.Peer.certificate(Ip4Subnet.host(Ip4.parse(peer)), localId, remoteId,
                child(localNet, remoteNet, 0, GCM)))
            .build();
    }

    private static Pair pair(final Ikev2Credentials a, final Ikev2Settings.Identity idA, final Ikev2Credentials b,
        final Ikev2Settings.Identity idB, final Ikev2Settings.Identity bExpects)
    {
        return new Pair(settings(A, B, a, idA, null, "10.1.0.0/24", "10.2.0.0/24"),
            settings(B, A, b, idB, bExpects, "10.2.0.0/24", "10.1.0.0/24"));
    }

    private static Ikev2Credentials rsaA()
    {
        return CA.credentials(KEY_A, "C=CH, O=Sluice, CN=gw-a", A, "gw-a.sluice.test", CA);
    }

    private static Ikev2Credentials rsaB()
    {
        return CA.credentials(KEY_B, "C=CH, O=Sluice, CN=gw-b", B, "gw-b.sluice.test", CA);
    }

    private static String logs(final Pair p)
    {
        return String.join("\n", p.logA) + "\n--- B ---\n" + String.join("\n", p.logB);
    }

    private static void assertUp(final Pair p)
    {
        p.a.initiate(p.peerOfA());
        p.run();
        assertEquals(1, p.eventsA.live.size(), logs(p));
        assertEquals(1, p.eventsB.live.size(), logs(p));
        Pair.assertMirrored(p.eventsA.live.getFirst(), p.eventsB.live.getFirst());
    }

    private static void assertRefused(final Pair p, final String why)
    {
        p.a.initiate(p.peerOfA());
        p.run();
        assertEquals(0, p.eventsA.ikeUp + p.eventsB.ikeUp, logs(p));
        assertTrue(p.eventsA.live.isEmpty() && p.eventsB.live.isEmpty(), logs(p));
        assertTrue((String.join("\n", p.logA) + String.join("\n", p.logB)).contains(why), "expected '" + why + "' in\n" +
            logs(p));
        assertEquals(0, p.a.ikeSaCount(), logs(p));
        assertEquals(0, p.b.ikeSaCount(), logs(p));
    }

    @Test
    void rsaCertificatesWithAddressIdentitiesAuthenticateBothWaysWithRfc7427Signatures()
    {
        final Pair p = pair(rsaA(), null, rsaB(), null, null);
        assertUp(p);
        assertEquals(List.of("ike 10.0.0.2"), p.eventsA.order.subList(0, 1));
        assertEquals("ike 10.0.0.1", p.eventsB.order.getFirst());
        assertTrue(p.a.showCryptoIkev2Sa(true).contains("Auth sign: RSA, Auth verify: RSA"), p.a.showCryptoIkev2Sa(true));
        assertTrue(p.logA.stream().anyMatch(l -> l.contains("IKE_AUTH") && l.contains("CERT")), logs(p));
        assertTrue(p.b.counters().authFailures() == 0 && p.a.counters().authFailures() == 0);
    }

    @Test
    void ecdsaInitiatorWithADnIdentityAndRsaResponderWithAnFqdn()
    {
        final Ikev2Credentials ec = CA.credentials(EC_A, "C=CH, O=Sluice, CN=gw-a", null, null, CA);
        final Ikev2Settings.Identity dn = new Ikev2Settings.Identity(Ikev2.ID_DER_ASN1_DN, "C=CH, O=Sluice, CN=gw-a");
        final Ikev2Settings.Identity fqdn = new Ikev2Settings.Identity(Ikev2.ID_FQDN, "gw-b.sluice.test");
        final Pair p = pair(ec, dn, rsaB(), fqdn, dn);
        assertUp(p);
        assertTrue(p.eventsB.order.contains("ike C=CH,O=Sluice,CN=gw-a"), p.eventsB.order.toString());
        assertTrue(p.eventsA.order.contains("ike gw-b.sluice.test"), p.eventsA.order.toString());
        assertTrue(p.b.showCryptoIkev2Sa(true).contains("Auth sign: RSA, Auth verify: ECDSA"), p.b.showCryptoIkev2Sa(true));
    }

    @Test
    void certificateFromAnotherCaIsRefused()
    {
        final Ikev2Credentials foreign = OTHER_CA.credentials(KEY_A, "C=CH, O=Sluice, CN=gw-a", A, null, OTHER_CA);
        final Ikev2Credentials a = new Ikev2Credentials(foreign.certificates(), foreign.privateKey(), List.of(CA.certificate));
        assertRefused(pair(a, null, rsaB(), null, null), "is not signed by a trusted CA");
        assertEquals(1, pairAuthFailures(a));
    }

    private static long pairAuthFailures(final Ikev2Credentials a)
    {
        final Pair p = pair(a, null, rsaB(), null, null);
        p.a.initiate(p.peerOfA());
        p.run();
        return p.b.counters().authFailures();
    }

    @Test
    void identityTheCertificateDoesNotNameIsRefused()
    {
        final Ikev2Settings.Identity claimed = new Ikev2Settings.Identity(Ikev2.ID_FQDN, "not-gw-a.sluice.test");
        assertRefused(pair(rsaA(), claimed, rsaB(), null, null), "identity not-gw-a.sluice.test is not in its certificate");
    }

    @Test
    void configuredRemoteIdentityMustBeTheOnePresented()
    {
        final Ikev2Settings.Identity expected = new Ikev2Settings.Identity(Ikev2.ID_DER_ASN1_DN, "C=CH, O=Sluice, CN=gw-x");
        assertRefused(pair(rsaA(), new Ikev2Settings.Identity(Ikev2.ID_DER_ASN1_DN, "C=CH, O=Sluice, CN=gw-a"), rsaB(),
            null, expected), "identity not the one configured");
    }

    @Test
    void expiredCertificateIsRefused()
    {
        final long now = System.currentTimeMillis();
        final Ikev2Credentials expired = CA.credentials(KEY_A, "C=CH, O=Sluice, CN=gw-a", A, null,
            now - 40 * CertPki.DAY, now - CertPki.DAY, CA);
        assertRefused(pair(expired, null, rsaB(), null, null), "not valid now");
    }

    @Test
    void initiatorRefusesAResponderWithAnUntrustedCertificate()
    {
        final Ikev2Credentials foreign = OTHER_CA.credentials(KEY_B, "C=CH, O=Sluice, CN=gw-b", B, null, OTHER_CA);
        final Ikev2Credentials b = new Ikev2Credentials(foreign.certificates(), foreign.privateKey(), List.of(CA.certificate));
        final Pair p = pair(rsaA(), null, b, null, null);
        p.a.initiate(p.peerOfA());
        p.run();
        assertEquals(0, p.eventsA.ikeUp, logs(p));
        assertTrue(p.eventsA.live.isEmpty(), logs(p));
        assertTrue(String.join("\n", p.logA).contains("authentication of 10.0.0.2 failed: certificate"), logs(p));
        assertEquals(0, p.a.ikeSaCount());
        assertEquals(1, p.a.counters().authFailures());
    }

    @Test
    void chainThroughAnIntermediateCaVerifies()
    {
        final CertPki sub = CA.intermediate("C=CH, O=Sluice, CN=Sluice Sub CA");
        final Ikev2Credentials a = sub.credentials(KEY_A, "C=CH, O=Sluice, CN=gw-a", A, null, CA);
        assertEquals(2, a.certificates().size());
        assertUp(pair(a, null, rsaB(), null, null));
    }

    @Test
    void pskPeerAndCertificatePeerDoNotMix()
    {
        final Ikev2Settings b = Pair.settings(B, A, Pair.PSK, child("10.2.0.0/24", "10.1.0.0/24", 0, GCM), gcm(31))
            .credentials(rsaB()).build();
        final Pair p = new Pair(settings(A, B, rsaA(), null, null, "10.1.0.0/24", "10.2.0.0/24"), b);
        assertRefused(p, "pre-shared key expected");
    }

    @Test
    void classicSignatureMethodsWithoutRfc7427SignAndVerify()
    {
        final byte[] octets = "signed octets".getBytes();
        final Ikev2Credentials rsa = rsaA();
        final Payload.Auth m1 = rsa.sign(octets, false);
        assertEquals(Ikev2.AUTH_RSA_SIG, m1.method());
        assertNull(Ikev2Credentials.verify(KEY_A.getPublic(), m1, octets));
        final Ikev2Credentials ec = CA.credentials(EC_A, "CN=ec", null, null, CA);
        final Payload.Auth m9 = ec.sign(octets, false);
        assertEquals(Ikev2.AUTH_ECDSA_256, m9.method());
        assertEquals(64, m9.data().length, "r | s");
        assertNull(Ikev2Credentials.verify(EC_A.getPublic(), m9, octets));
        final Payload.Auth m14 = ec.sign(octets, true);
        assertEquals(Ikev2.AUTH_DIGITAL_SIGNATURE, m14.method());
        assertNull(Ikev2Credentials.verify(EC_A.getPublic(), m14, octets));
        assertNotNull(Ikev2Credentials.verify(EC_A.getPublic(), m14, "other octets".getBytes()));
        assertNotNull(Ikev2Credentials.verify(KEY_A.getPublic(), m14, octets), "an ECDSA signature against an RSA key");
        final byte[] bad = m14.data().clone();
        bad[0] = (byte)200;
        assertFalse(Ikev2Credentials.verify(EC_A.getPublic(), new Payload.Auth(14, bad), octets) == null);
    }
}
