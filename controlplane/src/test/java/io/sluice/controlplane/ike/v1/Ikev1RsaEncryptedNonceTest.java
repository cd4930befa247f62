package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.Config;
import io.sluice.controlplane.config.ConfigException;
import io.sluice.controlplane.config.ConfigMessage;
import io.sluice.controlplane.config.ConfigParser;
import io.sluice.controlplane.config.DhGroup;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.config.KeyMaterial;
import io.sluice.controlplane.config.ParsedConfig;
import io.sluice.controlplane.config.RsaPublicKey;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static io.sluice.controlplane.ike.v1.Settings.ip;
import static io.sluice.controlplane.ike.v1.Settings.ip4;
import static io.sluice.controlplane.ike.v1.Settings.phase2;
import static io.sluice.controlplane.ike.v1.Settings.set;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Main mode and aggressive mode authenticated with RSA encrypted nonces (RFC 2409 5.2,
 * {@code authentication rsa-encr}): each gateway's own key from {@code sluice pki}, the peer's public
 * key from {@code crypto key pubkey-chain rsa}.
 */
class Ikev1RsaEncryptedNonceTest
{
    private static final String A = "192.0.2.1";
    private static final String B = "192.0.2.2";
    private static final TestPki CA = TestPki.authority("CN=Sluice Test CA, O=Sluice");
    private static final KeyPair KEY_A = TestPki.rsa();
    private static final KeyPair KEY_B = TestPki.rsa();
    /** Someone else's key: configured as B's by mistake. */
    private static final KeyPair KEY_C = TestPki.rsa();
    private static final Isakmp.Policy RSA_ENCR = new Isakmp.Policy(10, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256,
        Isakmp.Authentication.RSA_ENCR, DhGroup.ofNumber(14), 86400);

    private static Path dir;

    @BeforeAll
    static void writePki() throws IOException
    {
        dir = Files.createTempDirectory("sluice-rsa-encr-");
        TestPki.pem(dir.resolve("ca.crt"), CA.certificate);
        for (final String name : new String[]{"gw-a", "gw-b"})
        {
            final KeyPair k = name.equals("gw-a") ? KEY_A : KEY_B;
            TestPki.pem(dir.resolve(name + ".crt"), CA.issue("CN=" + name + ", O=Sluice", k,
                System.currentTimeMillis() - TestPki.DAY, System.currentTimeMillis() + TestPki.DAY, null));
            TestPki.pem(dir.resolve(name + ".key"), k.getPrivate());
        }
    }

    @AfterAll
    static void removePki() throws IOException
    {
        try (var files = Files.walk(dir))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /** The public key as IOS shows it and takes it: DER SubjectPublicKeyInfo in hex words. */
    private static String keyString(final PublicKey key)
    {
        final String hex = HexFormat.of().withUpperCase().formatHex(key.getEncoded());
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < hex.length(); i += 64)
        {
            out.append("   ").append(hex, i, Math.min(hex.length(), i + 64)).append('\n');
        }
        return out.toString();
    }

    /** {@code addressed-key PEER [usage]} with {@code key}. */
    private static String addressedKey(final String peer, final String usage, final PublicKey key)
    {
        return " addressed-key " + peer + (usage.isEmpty() ? "" : " " + usage) + "\n  key-string\n" + keyString(key) +
            "  quit\n";
    }

    /** rsa-encr first, pre-share second, for {@code peer}; {@code pubkeys}: the pubkey-chain entries. */
    private static Config gateway(final String name, final String local, final String peer, final String pubkeys)
    {
        final String text = """
            hostname %1$s
            crypto isakmp policy 10
             encryption aes 256
             hash sha256
             authentication rsa-encr
             group 14
            crypto isakmp policy 20
             encryption aes 256
             hash sha256
             authentication pre-share
             group 14
            crypto isakmp key s3cret address %3$s
            crypto key pubkey-chain rsa
            %4$s!
            crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
            access-list 110 permit ip host %2$s host %3$s
            crypto map VPN 10 ipsec-isakmp
             set peer %3$s
             set transform-set TS
             match address 110
            interface eth0
             ip address %2$s 255.255.255.0
             crypto map VPN
            sluice pki
             certificate %5$s
             private-key %6$s
             ca-certificate %7$s
            """.formatted(name, local, peer, pubkeys, dir.resolve(name + ".crt"), dir.resolve(name + ".key"),
            dir.resolve("ca.crt"));
        final ParsedConfig parsed;
        try
        {
            parsed = new ConfigParser().parse(name + ".conf", text);
        }
        catch (final ConfigException e)
        {
            throw new AssertionError(e.getMessage() + "\n" + text, e);
        }
        assertTrue(parsed.warnings().isEmpty(), parsed.warnings().stream().map(ConfigMessage::toString).toList()
            .toString());
        return parsed.config();
    }

    private static EnginePair pairFromConfig(final String pubkeysOfA, final String pubkeysOfB)
    {
        return new EnginePair(Ikev1Settings.fromConfig(gateway("gw-a", A, B, pubkeysOfA), ip(A)),
            Ikev1Settings.fromConfig(gateway("gw-b", B, A, pubkeysOfB), ip(B)), ip("198.51.100.7"));
    }

    /** Settings without a config file: rsa-encr only, our key, and the peer's public key as {@code addressed-key}. */
    private static Ikev1Settings.Builder settings(final String local, final String peer, final KeyPair own,
        final PublicKey peerKey)
    {
        final Ikev1Settings.Builder b = Ikev1Settings.builder(ip(local)).policy(RSA_ENCR)
            .phase2(phase2(peer, 14, set("ts", EspEncryption.AES_GCM_128, EspIntegrity.NONE)));
        b.credentials = new Ikev1Credentials(CA.issue("CN=" + local, own, System.currentTimeMillis() - TestPki.DAY,
            System.currentTimeMillis() + TestPki.DAY, null), own.getPrivate(), List.of(CA.certificate));
        b.rsaPublicKeys.add(new RsaPublicKey(true, peer, RsaPublicKey.Usage.ENCRYPTION, Optional.of(ip4(peer)),
            new KeyMaterial(peerKey.getEncoded())));
        return b;
    }

    /** Neither side has phase 1 or an IPsec SA, and no IKE SA is left half open. */
    private static void assertNoSa(final EnginePair p)
    {
        assertFalse(p.eventsA.contains("phase1 " + B), p.logs());
        assertFalse(p.eventsB.contains("phase1 " + A), p.logs());
        assertTrue(p.childrenA.isEmpty() && p.childrenB.isEmpty(), p.logs());
        assertFalse(p.a.established(ip(B)) || p.b.established(ip(A)), p.logs());
        assertEquals(2, p.a.showCryptoIsakmpSa().lines().count(), p.a.showCryptoIsakmpSa());
        assertEquals(2, p.b.showCryptoIsakmpSa().lines().count(), p.b.showCryptoIsakmpSa());
        assertFalse(p.logs().contains("internal error"), p.logs());
    }

    private static boolean logged(final List<String> log, final String... parts)
    {
        return log.stream().anyMatch(l -> Arrays.stream(parts).allMatch(l::contains));
    }

    /** Main mode message 3 or 4 (plain, starting with KE) from A (true) or B (false). */
    private static boolean keyExchange(final EnginePair.Datagram d, final boolean fromA)
    {
        final IsakmpHeader h = IsakmpHeader.parse(d.bytes(), d.bytes().length);
        return d.fromA() == fromA && !h.encrypted() && h.nextPayload() == Ikev1.PAYLOAD_KE &&
            (h.exchangeType() == Ikev1.EXCHANGE_MAIN || h.exchangeType() == Ikev1.EXCHANGE_AGGRESSIVE);
    }

    private static PayloadCodec.Chain chain(final byte[] d)
    {
        return PayloadCodec.parse(Ikev1.PAYLOAD_KE, d, Ikev1.HEADER_LENGTH, d.length, false);
    }

    /** Flips a byte in the middle of the body of the first payload of {@code type}, as a bad link or a forger would. */
    private static void corrupt(final byte[] d, final int type)
    {
        final PayloadCodec.Chain chain = chain(d);
        final int index = chain.indexOf(type);
        d[chain.starts()[index] + 4 + chain.body(index).length / 2] ^= 0x5a;
    }

    @Test
    void skeyidIsThePrfKeyedWithTheHashOfBothNoncesOverTheCookies() throws Exception
    {
        final byte[] ni = HexFormat.of().parseHex("00112233445566778899aabbccddeeff");
        final byte[] nr = HexFormat.of().parseHex("ffeeddccbbaa99887766554433221100");
        final byte[] key = java.security.MessageDigest.getInstance("SHA-256").digest(
            HexFormat.of().parseHex("00112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100"));
        final javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
        final byte[] expected = mac.doFinal(HexFormat.of().parseHex("0102030405060708a1a2a3a4a5a6a7a8"));
        assertArrayEquals(expected, Ikev1Crypto.skeyidEncryptedNonces(io.sluice.controlplane.ike.IkeHash.SHA256, ni, nr,
            0x0102030405060708L, 0xa1a2a3a4a5a6a7a8L));
    }

    @Test
    void twoGatewaysConfiguredWithRsaEncrNegotiateMainModeAndQuickMode()
    {
        final EnginePair p = pairFromConfig(addressedKey(B, "encryption", KEY_B.getPublic()),
            addressedKey(A, "", KEY_A.getPublic()));
        final List<byte[]> messages3 = new ArrayList<>();
        p.drop = d ->
        {
            if (keyExchange(d, true))
            {
                messages3.add(d.bytes().clone());
            }
            return false;
        };
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        assertTrue(logged(p.logA, "responder chose priority 10 policy", "rsa-encr"), p.logs());
        assertTrue(logged(p.logA, "RSA encrypted nonce authentication"), p.logs());
        assertTrue(p.eventsA.contains("phase1 " + B) && p.eventsB.contains("phase1 " + A), p.logs());
        EnginePair.assertChildrenMirror(p);
        assertEquals(EspEncryption.AES_CBC_256, p.childrenA.get(0).encryption());

        // message 3 carries the nonce and the identity encrypted to B's 1024-bit key, not in the clear
        assertEquals(1, messages3.size());
        final PayloadCodec.Chain m3 = chain(messages3.get(0));
        assertEquals(128, m3.body(m3.indexOf(Ikev1.PAYLOAD_NONCE)).length);
        final byte[] encryptedId = m3.body(m3.indexOf(Ikev1.PAYLOAD_ID));
        assertEquals(128, encryptedId.length);
        final byte[] plainId = new Payload.Identification(Ikev1.ID_IPV4_ADDR, 17, 500, ip(A).getAddress()).body();
        assertArrayEquals(plainId, new Ikev1Credentials(new byte[0], KEY_B.getPrivate(), List.of())
            .decrypt(encryptedId),
            "B's private key reads A's identity");
        assertFalse(logged(p.logA, "pre-shared"), p.logs());
    }

    @Test
    void aNamedKeyIsFoundByTheHostNameThePeerIdentifiesWith()
    {
        // B identifies by host name: A encrypts to the named-key whose address B has, B's identity must name it
        final Ikev1Settings.Builder a = settings(A, B, KEY_A, KEY_B.getPublic());
        a.rsaPublicKeys.clear();
        a.rsaPublicKeys.add(new RsaPublicKey(false, "gw-b.example", RsaPublicKey.Usage.GENERAL, Optional.of(ip4(B)),
            new KeyMaterial(KEY_B.getPublic().getEncoded())));
        final Ikev1Settings.Builder b = settings(B, A, KEY_B, KEY_A.getPublic());
        b.identity = Isakmp.Identity.HOSTNAME;
        b.hostname = "gw-b.example";
        final EnginePair p = new EnginePair(a.build(), b.build(), ip("198.51.100.7"));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        EnginePair.assertChildrenMirror(p);
        assertTrue(logged(p.logA, "identity gw-b.example and nonce decrypted, answering to named-key gw-b.example"),
            p.logs());
    }

    @Test
    void anIdentityNotBoundToTheKeyWeEncryptedToFailsAuthentication()
    {
        // A knows B's key only as addressed-key 192.0.2.2, but B says it is gw-b.example: no key names that identity
        final Ikev1Settings.Builder b = settings(B, A, KEY_B, KEY_A.getPublic());
        b.identity = Isakmp.Identity.HOSTNAME;
        b.hostname = "gw-b.example";
        final EnginePair p = new EnginePair(settings(A, B, KEY_A, KEY_B.getPublic()).build(), b.build(),
            ip("198.51.100.7"));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        p.advance(200_000, 1000);
        assertTrue(logged(p.logA, "authentication failed with peer " + B, "it identifies as gw-b.example, but no " +
            "key under crypto key pubkey-chain rsa is bound to that identity, and we encrypted to addressed-key " + B),
            p.logs());
        assertTrue(logged(p.logB, "rejected message from " + A, "cannot read the encrypted phase 1 message",
            "authentication failed"), p.logs());
        assertNoSa(p);
    }

    @Test
    void aWrongPublicKeyForTheResponderFailsOnBothSidesWithoutSa()
    {
        // A holds C's key as B's: B cannot read A's identity or nonce
        final EnginePair p = pairFromConfig(addressedKey(B, "", KEY_C.getPublic()),
            addressedKey(A, "", KEY_A.getPublic()));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        p.advance(200_000, 1000);
        assertTrue(logged(p.logB, "authentication failed with peer " + A, "its identity does not decrypt with our " +
            "private key"), p.logs());
        assertTrue(logged(p.logB, "authentication failed with peer " + A, "MM5 refused"), p.logs());
        assertTrue(logged(p.logA, "no answer from " + B, "giving up"), p.logs());
        assertTrue(logged(p.logA, "authentication with peer " + B, "never answered our HASH_I", "our current public " +
            "key"), p.logs());
        assertNoSa(p);
    }

    @Test
    void aWrongPublicKeyForTheInitiatorFailsOnBothSidesWithoutSa()
    {
        // B holds C's key as A's: A cannot read B's answer, B cannot read A's HASH_I
        final EnginePair p = pairFromConfig(addressedKey(B, "", KEY_B.getPublic()),
            addressedKey(A, "", KEY_C.getPublic()));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        p.advance(200_000, 1000);
        assertTrue(logged(p.logA, "authentication failed with peer " + B, "its identity does not decrypt with our " +
            "private key"), p.logs());
        assertTrue(logged(p.logB, "cannot read the encrypted phase 1 message", "authentication failed",
            "wrong RSA public key"), p.logs());
        assertNoSa(p);
    }

    @Test
    void rsaEncrIsNotOfferedWithoutThePeersPublicKeyAndTheNextPolicyIsNegotiated()
    {
        // A has only a signature key for B: rsa-encr cannot encrypt to it, pre-share (policy 20) is used
        final EnginePair p = pairFromConfig(addressedKey(B, "signature", KEY_B.getPublic()),
            addressedKey(A, "", KEY_A.getPublic()));
        final List<Integer> offered = new ArrayList<>();
        p.drop = d ->
        {
            final IsakmpHeader h = IsakmpHeader.parse(d.bytes(), d.bytes().length);
            if (d.fromA() && h.responderCookie() == 0)
            {
                final PayloadCodec.Chain c = PayloadCodec.parse(h.nextPayload(), d.bytes(), Ikev1.HEADER_LENGTH,
                    d.bytes().length, false);
                c.first(Payload.Sa.class).proposals().get(0).transforms().forEach(t ->
                    offered.add((int)t.attribute(Ikev1.P1_AUTH_METHOD).longValue()));
            }
            return false;
        };
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        assertTrue(logged(p.logA, "policy 10 (rsa-encr) not offered to " + B, "no public key for it under crypto " +
            "key pubkey-chain rsa"), p.logs());
        assertEquals(List.of(Ikev1.AUTH_PSK, Ikev1.AUTH_RSA_SIG), offered, "policy 20 and the default suite");
        assertTrue(logged(p.logA, "responder chose priority 20 policy", "pre-share"), p.logs());
        EnginePair.assertChildrenMirror(p);
    }

    @Test
    void rsaEncrIsNotAcceptedWithoutTheInitiatorsPublicKey()
    {
        // A offers rsa-encr and pre-share; B has no key for A, skips its policy 10 and takes pre-share
        final EnginePair p = pairFromConfig(addressedKey(B, "", KEY_B.getPublic()), addressedKey("10.9.9.9", "",
            KEY_A.getPublic()));
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        assertTrue(logged(p.logA, "offering 3 policies"), p.logs());
        assertTrue(logged(p.logB, "priority 10 policy (rsa-encr) not accepted from " + A, "no public key for it"),
            p.logs());
        assertTrue(logged(p.logA, "responder chose priority 20 policy", "pre-share"), p.logs());
        EnginePair.assertChildrenMirror(p);
    }

    @Test
    void withoutOurOwnKeyRsaEncrIsNotOffered()
    {
        final Ikev1Settings.Builder a = settings(A, B, KEY_A, KEY_B.getPublic());
        a.credentials = null;
        final List<String> log = new ArrayList<>();
        final List<byte[]> sent = new ArrayList<>();
        final Ikev1Engine engine = new Ikev1Engine(a.build(), (d, to, port) -> sent.add(d), new Ikev1Engine.Listener()
        {
        }, io.sluice.controlplane.ike.IkeLog.to(log::add, true), () -> 0L, new java.security.SecureRandom());
        engine.initiate(new InetSocketAddress(ip(B), 500));
        assertTrue(sent.isEmpty());
        assertTrue(logged(log, "policy 10 (rsa-encr) not offered to " + B, "no RSA key of our own (sluice pki)"),
            log.toString());
        assertTrue(logged(log, "cannot initiate to " + B), log.toString());
    }

    @Test
    void aCorruptedEncryptedNonceIsRejectedAndLoggedAndTheNextNegotiationSucceeds()
    {
        final EnginePair p = new EnginePair(settings(A, B, KEY_A, KEY_B.getPublic()).build(),
            settings(B, A, KEY_B, KEY_A.getPublic()).build(), ip("198.51.100.7"));
        final boolean[] corrupting = {true};
        p.drop = d ->
        {
            if (corrupting[0] && keyExchange(d, true))
            {
                corrupt(d.bytes(), Ikev1.PAYLOAD_NONCE);
            }
            return false;
        };
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        p.advance(200_000, 1000);
        assertTrue(logged(p.logB, "authentication failed with peer " + A, "its nonce does not decrypt with our " +
            "private key"), p.logs());
        assertTrue(logged(p.logB, "MM5 refused: its nonce does not decrypt"), p.logs());
        assertNoSa(p);

        // nothing broke: the same engines negotiate once the link is clean
        corrupting[0] = false;
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        EnginePair.assertChildrenMirror(p);
    }

    @Test
    void aCorruptedEncryptedIdentityIsRejectedAndLogged()
    {
        final EnginePair p = new EnginePair(settings(A, B, KEY_A, KEY_B.getPublic()).build(),
            settings(B, A, KEY_B, KEY_A.getPublic()).build(), ip("198.51.100.7"));
        p.drop = d ->
        {
            if (keyExchange(d, false))
            {
                corrupt(d.bytes(), Ikev1.PAYLOAD_ID);   // B's message 4, on its way to A
            }
            return false;
        };
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        p.advance(200_000, 1000);
        assertTrue(logged(p.logA, "authentication failed with peer " + B, "its identity does not decrypt"), p.logs());
        assertTrue(logged(p.logB, "rejected message from " + A, "cannot read the encrypted phase 1 message",
            "authentication failed"), p.logs());
        assertNoSa(p);
    }

    @Test
    void neitherNoncesNorKeysAreLogged()
    {
        final EnginePair p = new EnginePair(settings(A, B, KEY_A, KEY_B.getPublic()).build(),
            settings(B, A, KEY_B, KEY_A.getPublic()).build(), ip("198.51.100.7"));
        final List<String> secrets = new ArrayList<>();
        p.drop = d ->
        {
            if (keyExchange(d, true) || keyExchange(d, false))
            {
                // what the receiver reads out of message 3 or 4
                final PayloadCodec.Chain c = chain(d.bytes());
                final KeyPair receiver = d.fromA() ? KEY_B : KEY_A;
                final byte[] nonce = new Ikev1Credentials(new byte[0], receiver.getPrivate(), List.of())
                    .decrypt(c.body(c.indexOf(Ikev1.PAYLOAD_NONCE)));
                secrets.add(HexFormat.of().formatHex(nonce, 0, 8));
                secrets.add(HexFormat.of().withUpperCase().formatHex(nonce, 0, 8));
            }
            return false;
        };
        p.a.initiate(new InetSocketAddress(ip(B), 500));
        p.run();
        EnginePair.assertChildrenMirror(p);
        assertEquals(4, secrets.size());
        for (final KeyPair k : new KeyPair[]{KEY_A, KEY_B})
        {
            final String der = HexFormat.of().formatHex(k.getPrivate().getEncoded());
            secrets.add(der.substring(der.length() - 16));
        }
        for (final String secret : secrets)
        {
            assertFalse(p.logs().toLowerCase().contains(secret.toLowerCase()), "secret " + secret + " in the log");
        }
    }

    @Test
    void aggressiveModeWithRsaEncrNegotiatesWithAKeyLongerThan2048Bits() throws Exception
    {
        // a 3072-bit key: its encrypted nonce (384 bytes) is longer than a plain one may be
        final KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(3072);
        final KeyPair bigB = g.generateKeyPair();
        final EnginePair p = new EnginePair(settings(A, B, KEY_A, bigB.getPublic()).build(),
            settings(B, A, bigB, KEY_A.getPublic()).build(), ip("198.51.100.7"));
        p.a.initiateAggressive(new InetSocketAddress(ip(B), 500));
        p.run();
        assertTrue(logged(p.logB, "AM1: identity " + A + " and nonce decrypted"), p.logs());
        assertTrue(p.eventsA.contains("phase1 " + B) && p.eventsB.contains("phase1 " + A), p.logs());
        EnginePair.assertChildrenMirror(p);
        assertTrue(p.a.showCryptoIsakmpSa().contains("QM_IDLE"), p.a.showCryptoIsakmpSa());
    }

    @Test
    void aggressiveModeWithAWrongPublicKeyFailsWithoutSa()
    {
        final EnginePair p = new EnginePair(settings(A, B, KEY_A, KEY_C.getPublic()).build(),
            settings(B, A, KEY_B, KEY_A.getPublic()).build(), ip("198.51.100.7"));
        p.a.initiateAggressive(new InetSocketAddress(ip(B), 500));
        p.run();
        p.advance(200_000, 1000);
        assertTrue(logged(p.logB, "authentication failed with peer " + A, "its identity does not decrypt"), p.logs());
        assertTrue(logged(p.logA, "authentication failed with peer " + B, "hash mismatch"), p.logs());
        assertNoSa(p);
    }
}
