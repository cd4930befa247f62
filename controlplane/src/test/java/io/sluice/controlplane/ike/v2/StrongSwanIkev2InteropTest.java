package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.IkeLog;
import io.sluice.controlplane.ike.IkeUdpTransport;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.NetnsLab;
import io.sluice.ffi.testkit.StrongSwan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Sluice's IKEv2 engine against strongSwan 5.9.8 (charon with kernel-libipsec; {@code encap = yes}
 * fakes a NAT, so IKE floats to 4500 and ESP is UDP-encapsulated), each in its own network
 * namespace joined by a veth pair; charon runs in its own mount namespace with a private /run and
 * its own vici socket. PSK both ways with curve25519 and ecp256, AES-GCM and CBC+SHA256 children,
 * liveness failure both ways, a child rekey both ways, both sides rekeying the IKE SA at once.
 * strongSwan installs a child only after verifying our AUTH, and its own log of the ESP keys (chd
 * level 4) must equal ours.
 */
class StrongSwanIkev2InteropTest
{
    private static final String SLUICE = "10.78.0.1";
    private static final String SWAN = "10.78.0.2";
    private static final String PSK = "interop-v2-psk-0123456789";
    private static final String SLUICE_NET = "10.89.1.0/24";
    private static final String SWAN_NET = "10.89.2.0/24";

    private NetnsLab lab;
    private Path dir;
    private String nsSluice;
    private String nsSwan;
    private Process charon;
    private StrongSwan swan;
    /** charon's fragment_size: the largest IKE datagram it sends unfragmented (its default 1280). */
    private int charonFragmentSize = 1280;
    private IkeUdpTransport transport;
    private Ikev2Engine engine;
    private final List<String> sluiceLog = new CopyOnWriteArrayList<>();
    private final List<ChildSa> children = new CopyOnWriteArrayList<>();
    private final List<ChildSa> deleted = new CopyOnWriteArrayList<>();
    private final List<String> order = new CopyOnWriteArrayList<>();
    private final List<Long> dead = new CopyOnWriteArrayList<>();
    /** While {@code holding}, what Sluice sends waits here, in order: to make two exchanges cross on the wire. */
    private final List<Held> held = new ArrayList<>();
    private boolean holding;

    private record Held(byte[] datagram, InetSocketAddress to, int localPort)
    {
    }

    @BeforeEach
    void setUp() throws IOException
    {
        final String why = StrongSwan.unavailableReason();
        if (why != null)
        {
            System.out.println("SKIPPED " + getClass().getSimpleName() + ": " + why);
        }
        assumeTrue(why == null, why);
        lab = NetnsLab.create();
        nsSluice = lab.namespace("ike2");
        nsSwan = lab.namespace("swan2");
        lab.veth(nsSluice, SLUICE + "/24", nsSwan, SWAN + "/24");
        lab.exec(nsSluice, "ip", "addr", "add", "10.89.1.1/24", "dev", "lo");
        lab.exec(nsSwan, "ip", "addr", "add", "10.89.2.1/24", "dev", "lo");
        dir = Files.createTempDirectory("sluice-swan2-");
    }

    @AfterEach
    void tearDown() throws IOException
    {
        if (transport != null)
        {
            transport.close();
        }
        if (charon != null)
        {
            charon.descendants().forEach(ProcessHandle::destroyForcibly);
            charon.destroyForcibly();
        }
        if (lab != null)
        {
            lab.close();
        }
        if (dir != null)
        {
            try (var files = Files.walk(dir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    @Test
    void sluiceInitiatesWithCurve25519AndAnAesGcmChild() throws Exception
    {
        startCharon("aes256gcm16-prfsha256-x25519", "aes256gcm16", 0);
        startSluice(Pair.gcm(31), set(EspEncryption.AES_GCM_256, EspIntegrity.NONE), 0, null);
        engine.initiate(new InetSocketAddress(Pair.ip(SWAN), 500));
        final ChildSa child = awaitChild(1);
        assertStrongSwanAgrees(child, true, "AES_GCM_16-256", "AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519");
    }

    @Test
    void strongSwanInitiatesWithEcp256AndAnAesCbcSha256Child() throws Exception
    {
        startCharon("aes256-sha256-ecp256", "aes128-sha256", 0);
        startSluice(Pair.cbc(19), set(EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA256_128), 0, null);
        swanctl("--initiate", "--child", "net", "--timeout", "15");
        final ChildSa child = awaitChild(1);
        assertStrongSwanAgrees(child, false, "AES_CBC-128/HMAC_SHA2_256_128",
            "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256");
    }

    @Test
    void childRekeysBothWaysMakeBeforeBreak() throws Exception
    {
        startCharon("aes256gcm16-prfsha256-x25519", "aes128-sha256-ecp256", 0);
        startSluice(Pair.gcm(31), set(EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA256_128), 19, null);
        engine.initiate(new InetSocketAddress(Pair.ip(SWAN), 500));
        final ChildSa first = awaitChild(1);
        assertStrongSwanAgrees(first, true, "AES_CBC-128/HMAC_SHA2_256_128", null);

        engine.rekeyChild(Pair.ip(SWAN));
        final ChildSa second = awaitChild(2);
        await(() -> deleted.contains(first), 10_000, "the old child deleted");
        assertTrue(order.indexOf("up " + ChildSa.spiText(second.spiIn())) <
            order.indexOf("down " + ChildSa.spiText(first.spiIn())), order.toString());
        assertEquals(19, second.pfsGroup());
        awaitOnlyChild(second);

        swanctl("--rekey", "--child", "net");
        final ChildSa third = awaitChild(3);
        await(() -> deleted.contains(second), 10_000, "strongSwan's delete of the old child");
        assertNotEquals(second.spiIn(), third.spiIn());
        awaitOnlyChild(third);
        assertEquals(List.of(third), engine.childSas());
        assertStrongSwanAgrees(third, false, "AES_CBC-128/HMAC_SHA2_256_128", null);
    }

    @Test
    void strongSwansLivenessChecksAreAnsweredAndAStoppedSluiceIsDeclaredDead() throws Exception
    {
        startCharon("aes256gcm16-prfsha256-x25519", "aes256gcm16", 1);
        startSluice(Pair.gcm(31), set(EspEncryption.AES_GCM_256, EspIntegrity.NONE), 0, null);
        engine.initiate(new InetSocketAddress(Pair.ip(SWAN), 500));
        awaitChild(1);
        await(() -> engine.counters().livenessAnswered() >= 2, 8000, "strongSwan's liveness checks answered");
        assertTrue(swanctl("--list-sas").contains("ESTABLISHED"));
        transport.close();
        transport = null;
        await(() -> !swanctl("--list-sas").contains("ESTABLISHED"), 15_000, "strongSwan's DPD to give up");
        assertTrue(Files.readString(dir.resolve("charon.log")).contains("giving up after"),
            tail(Files.readString(dir.resolve("charon.log"))));
    }

    @Test
    void sluicesLivenessChecksDeclareAKilledStrongSwanDead() throws Exception
    {
        startCharon("aes256gcm16-prfsha256-x25519", "aes256gcm16", 0);
        startSluice(Pair.gcm(31), set(EspEncryption.AES_GCM_256, EspIntegrity.NONE), 0,
            new Ikev2Settings.Dpd(2000, 1000, Isakmp.DpdMode.PERIODIC));
        swanctl("--initiate", "--child", "net", "--timeout", "15");
        awaitChild(1);
        await(() -> engine.counters().livenessAcks() >= 1, 5000, "strongSwan answers our liveness check");
        final long pid = charon.pid();
        assertEquals("charon", Files.readString(Path.of("/proc/" + pid + "/comm")).trim());
        charon.destroyForcibly();
        assertTrue(charon.waitFor(5, TimeUnit.SECONDS));
        await(() -> !dead.isEmpty(), 15_000, "peer declared dead");
        assertTrue(sluiceLog.contains("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer " + SWAN + ":4500 Id: " +
            SWAN), String.join("\n", sluiceLog));
        assertTrue(engine.childSas().isEmpty());
        assertEquals(0, engine.ikeSaCount());
    }

    /**
     * RFC 7296 2.8.2 with strongSwan: both sides rekey the IKE SA at once. What Sluice sends is held
     * back and let out one step at a time, each step waiting for the other side's log, so the order
     * is the same every run: strongSwan's CREATE_CHILD_SA reaches Sluice while Sluice's is held; then
     * Sluice's request reaches strongSwan, whose own is still unanswered; strongSwan answers, Sluice
     * decides; then Sluice's answer reaches strongSwan, which decides; then the deletes go. Both must
     * agree which new IKE SA is redundant (strongSwan logs whether it won or lost), end with the same
     * single IKE SA, keep the child, and go on working over the survivor.
     */
    @Test
    void bothSidesRekeyTheIkeSaAtOnceAndKeepTheSameOneWithTheChild() throws Exception
    {
        startCharon("aes256gcm16-prfsha256-x25519", "aes256gcm16", 0);
        startSluice(Pair.gcm(31), set(EspEncryption.AES_GCM_256, EspIntegrity.NONE), 0,
            new Ikev2Settings.Dpd(30_000, 1000, Isakmp.DpdMode.ON_DEMAND));
        engine.initiate(new InetSocketAddress(Pair.ip(SWAN), 500));
        final ChildSa child = awaitChild(1);
        assertStrongSwanAgrees(child, true, "AES_GCM_16-256", null);
        final long[] before = engine.ikeSpis(Pair.ip(SWAN));

        synchronized (this)
        {
            holding = true;
        }
        engine.rekeyIke(Pair.ip(SWAN));
        swanctl("--rekey", "--ike", "sluice");
        await(() -> sluiceLog.stream().anyMatch(l -> l.contains("simultaneous IKE SA rekey: answered the peer's")),
            3000, "strongSwan's IKE SA rekey to arrive while ours is held back");
        releaseOne();   // our request: strongSwan sees the collision and answers, then we decide
        await(() -> charonLog().contains("detected IKE_REKEY collision with IKE_REKEY") &&
            sluiceLog.stream().anyMatch(l -> l.contains("simultaneous IKE SA rekey: ours (SA") ||
                l.contains("simultaneous IKE SA rekey: the peer's (SA")), 3000, "both to see the collision");
        releaseOne();   // our answer to strongSwan's request: strongSwan decides
        await(() -> charonLog().contains("IKE_SA rekey collision "), 3000, "strongSwan's verdict");
        release();      // the deletes

        final Pattern ikeSa = Pattern.compile("sluice: #\\d+, (\\w+), IKEv2, ([0-9a-f]{16})_i\\*? ([0-9a-f]{16})_r");
        await(() -> {
            final long[] spis = engine.ikeSpis(Pair.ip(SWAN));
            if (engine.ikeSaCount() != 1 || spis == null || spis[0] == before[0])
            {
                return false;
            }
            final Matcher m = ikeSa.matcher(swanctl("--list-sas"));
            final List<String> listed = new ArrayList<>();
            while (m.find())
            {
                listed.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
            }
            return listed.equals(List.of(String.format("ESTABLISHED %016x %016x", spis[0], spis[1])));
        }, 15_000, "one IKE SA, the same on both sides");
        final String charonLog = charonLog();
        final boolean swanLost = charonLog.contains("IKE_SA rekey collision lost");
        assertTrue(swanLost || charonLog.contains("IKE_SA rekey collision won"), "strongSwan saw the collision" +
            diagnostics());
        final String ourVerdict = swanLost ? "the peer's (SA" : "ours (SA";
        assertTrue(sluiceLog.stream().anyMatch(l -> l.contains("simultaneous IKE SA rekey: " + ourVerdict)),
            "Sluice's verdict agrees with strongSwan's (collision " + (swanLost ? "lost" : "won") + " there)" +
                diagnostics());

        // the child moved to the survivor on both sides, untouched
        assertEquals(List.of(child), engine.childSas());
        assertTrue(deleted.isEmpty(), order.toString());
        awaitOnlyChild(child);

        // the survivor carries a liveness check and a child rekey
        engine.idle(Pair.ip(SWAN));
        await(() -> engine.counters().livenessAcks() >= 1, 5000, "strongSwan answers a liveness check");
        engine.rekeyChild(Pair.ip(SWAN));
        final ChildSa second = awaitChild(2);
        await(() -> deleted.contains(child), 10_000, "the old child deleted");
        awaitOnlyChild(second);
        assertStrongSwanAgrees(second, true, "AES_GCM_16-256", null);
        System.out.println("strongSwan " + (swanLost ? "lost" : "won") + " the IKE SA rekey collision");
    }

    // ------------------------------------------------------------------------------ certificates

    @Test
    void sluiceInitiatesWithRsaCertificatesAndStrongSwanPresentsADn() throws Exception
    {
        final CertPki ca = CertPki.root("C=CH, O=Sluice Interop, CN=Interop CA");
        final KeyPair swanKey = CertPki.rsa();
        final String swanDn = "C=CH, O=Sluice Interop, CN=swan";
        startCharonWithCertificate(ca, swanKey, ca.issue(swanDn, swanKey, System.currentTimeMillis() - CertPki.DAY,
            System.currentTimeMillis() + 30 * CertPki.DAY, SWAN, null), swanDn, SLUICE);
        final Ikev2Credentials ours = ca.credentials(CertPki.rsa(), "C=CH, O=Sluice Interop, CN=sluice", SLUICE, null, ca);
        startSluice(certificateSettings(ours, null, new Ikev2Settings.Identity(Ikev2.ID_DER_ASN1_DN, swanDn)));
        engine.initiate(new InetSocketAddress(Pair.ip(SWAN), 500));
        final ChildSa child = awaitChild(1);
        assertStrongSwanAgrees(child, true, "AES_GCM_16-256", null);
        final String charonLog = Files.readString(dir.resolve("charon.log"));
        assertTrue(charonLog.contains("authentication of '" + SLUICE + "' with RSA_EMSA_PKCS1_SHA2_256 successful"),
            tail(charonLog));
        assertTrue(engine.showCryptoIkev2Sa(true).contains("Auth sign: RSA, Auth verify: RSA"));
    }

    @Test
    void strongSwanInitiatesWithEcdsaCertificatesAndFqdnIdentities() throws Exception
    {
        final CertPki ca = CertPki.root("C=CH, O=Sluice Interop, CN=Interop CA");
        final KeyPair swanKey = CertPki.ecdsa();
        startCharonWithCertificate(ca, swanKey, ca.issue("C=CH, O=Sluice Interop, CN=swan", swanKey,
            System.currentTimeMillis() - CertPki.DAY, System.currentTimeMillis() + 30 * CertPki.DAY, null, "swan.test"),
            "swan.test", "sluice.test");
        final Ikev2Credentials ours = ca.credentials(CertPki.ecdsa(), "C=CH, O=Sluice Interop, CN=sluice", null,
            "sluice.test", ca);
        startSluice(certificateSettings(ours, new Ikev2Settings.Identity(Ikev2.ID_FQDN, "sluice.test"),
            new Ikev2Settings.Identity(Ikev2.ID_FQDN, "swan.test")));
        swanctl("--initiate", "--child", "net", "--timeout", "15");
        final ChildSa child = awaitChild(1);
        assertStrongSwanAgrees(child, false, "AES_GCM_16-256", null);
        final String charonLog = Files.readString(dir.resolve("charon.log"));
        assertTrue(charonLog.contains("authentication of 'sluice.test' with ECDSA_WITH_SHA256_DER successful"),
            tail(charonLog));
        assertTrue(engine.showCryptoIkev2Sa(true).contains("Auth sign: ECDSA, Auth verify: ECDSA"));
    }

    @Test
    void strongSwanRefusesASluiceCertificateFromAnotherCa() throws Exception
    {
        final CertPki ca = CertPki.root("C=CH, O=Sluice Interop, CN=Interop CA");
        final CertPki other = CertPki.root("C=CH, O=Elsewhere, CN=Other CA");
        final KeyPair swanKey = CertPki.rsa();
        startCharonWithCertificate(ca, swanKey, ca.issue("C=CH, O=Sluice Interop, CN=swan", swanKey,
            System.currentTimeMillis() - CertPki.DAY, System.currentTimeMillis() + 30 * CertPki.DAY, SWAN, null),
            SWAN, SLUICE);
        final Ikev2Credentials foreign = other.credentials(CertPki.rsa(), "C=CH, O=Elsewhere, CN=sluice", SLUICE, null,
            other);
        startSluice(certificateSettings(new Ikev2Credentials(foreign.certificates(), foreign.privateKey(),
            List.of(ca.certificate)), null, null));
        engine.initiate(new InetSocketAddress(Pair.ip(SWAN), 500));
        await(() -> sluiceLog.stream().anyMatch(l -> l.contains("AUTHENTICATION_FAILED")), 10_000,
            "strongSwan's AUTHENTICATION_FAILED");
        assertTrue(children.isEmpty());
        assertFalse(swanctl("--list-sas").contains("ESTABLISHED"));
    }

    // ----------------------------------------------------------------------------- fragmentation

    @Test
    void sluiceInitiatesWithCertificateChainsInFragmentsBothWays() throws Exception
    {
        assertChainsInFragments(true, "fragmentation = yes");
    }

    @Test
    void strongSwanInitiatesWithForcedFragmentationAndCertificateChains() throws Exception
    {
        assertChainsInFragments(false, "fragmentation = force");
    }

    /**
     * Both sides with a certificate under two intermediate CAs, sending the chain; fragment sizes of
     * 576 (Sluice) and 600 (charon), so IKE_AUTH goes in several fragments each way.
     */
    private void assertChainsInFragments(final boolean sluiceInitiates, final String fragmentation) throws Exception
    {
        final CertPki root = CertPki.root("C=CH, O=Sluice Interop, CN=Interop Root CA");
        final CertPki sub = root.intermediate("C=CH, O=Sluice Interop, CN=Interop Sub CA 1")
            .intermediate("C=CH, O=Sluice Interop, CN=Interop Sub CA 2");
        final KeyPair swanKey = CertPki.rsa();
        final List<byte[]> intermediates = new ArrayList<>(List.of(sub.certificate));
        intermediates.addAll(sub.chain);
        charonFragmentSize = 600;
        startCharonWithCertificate(root, intermediates, swanKey, sub.issue("C=CH, O=Sluice Interop, CN=swan", swanKey,
            System.currentTimeMillis() - CertPki.DAY, System.currentTimeMillis() + 30 * CertPki.DAY, SWAN, null),
            SWAN, SLUICE, fragmentation);
        final Ikev2Credentials ours = sub.credentials(CertPki.rsa(), "C=CH, O=Sluice Interop, CN=sluice", SLUICE, null,
            root);
        assertEquals(3, ours.certificates().size());
        startSluice(certificateSettings(ours, null, null).toBuilder().fragmentSize(576).build());
        if (sluiceInitiates)
        {
            engine.initiate(new InetSocketAddress(Pair.ip(SWAN), 500));
        }
        else
        {
            swanctl("--initiate", "--child", "net", "--timeout", "15");
        }
        final ChildSa child = awaitChild(1);
        assertStrongSwanAgrees(child, sluiceInitiates, "AES_GCM_16-256", null);
        final String charonLog = Files.readString(dir.resolve("charon.log"));
        final Matcher split = Pattern.compile("splitting IKE message \\(\\d+ bytes\\) into (\\d+) fragments")
            .matcher(charonLog);
        assertTrue(split.find() && Integer.parseInt(split.group(1)) >= 3, tail(charonLog));
        final Matcher reassembled = Pattern.compile("received fragment #(\\d+) of (\\d+), reassembled fragmented " +
            "IKE message").matcher(charonLog);
        assertTrue(reassembled.find() && Integer.parseInt(reassembled.group(2)) >= 3, tail(charonLog));
        assertTrue(charonLog.contains("received end entity cert \"C=CH, O=Sluice Interop, CN=sluice\""), tail(charonLog));
        assertTrue(charonLog.contains("received issuer cert \"C=CH, O=Sluice Interop, CN=Interop Sub CA 1\""),
            tail(charonLog));
        final Pattern ours3 = Pattern.compile("sending IKE_AUTH (request|response) 1 .* in (\\d+) fragments");
        final Pattern theirs = Pattern.compile("received IKE_AUTH (request|response) 1 .* in (\\d+) fragments");
        assertTrue(sluiceLog.stream().anyMatch(l -> ours3.matcher(l).find()), String.join("\n", sluiceLog));
        assertTrue(sluiceLog.stream().anyMatch(l -> theirs.matcher(l).find()), String.join("\n", sluiceLog));
    }

    private Ikev2Settings certificateSettings(final Ikev2Credentials credentials, final Ikev2Settings.Identity localId,
        final Ikev2Settings.Identity remoteId)
    {
        final Ikev2Settings.ChildPolicy child = new Ikev2Settings.ChildPolicy(
            List.of(set(EspEncryption.AES_GCM_256, EspIntegrity.NONE)), new Ipsec.Lifetime(3600, 4_608_000), 0,
            Pair.ts(SLUICE_NET), Pair.ts(SWAN_NET));
        return Ikev2Settings.builder(Pair.ip(SLUICE)).proposal(Pair.gcm(31)).credentials(credentials)
            .peer(Ikev2Settings.Peer.certificate(Ip4Subnet.host(Ip4.parse(SWAN)), localId, remoteId, child))
            .retransmit(1000, 4).build();
    }

    /** charon with its certificate and key, trusting {@code ca}, expecting Sluice to be {@code sluiceId}. */
    private void startCharonWithCertificate(final CertPki ca, final KeyPair key, final byte[] certificate,
        final String swanId, final String sluiceId) throws Exception
    {
        startCharonWithCertificate(ca, List.of(), key, certificate, swanId, sluiceId, "");
    }

    /** The same with intermediate CA certificates (strongSwan sends them) and more settings of the connection. */
    private void startCharonWithCertificate(final CertPki ca, final List<byte[]> intermediates, final KeyPair key,
        final byte[] certificate, final String swanId, final String sluiceId, final String connection) throws Exception
    {
        // swanctl --file reads credentials from the directories next to the file
        for (final String sub : List.of("x509", "x509ca", "private"))
        {
            Files.createDirectories(dir.resolve(sub));
        }
        CertPki.pem(dir.resolve("x509ca/ca.pem"), ca.certificate);
        CertPki.pem(dir.resolve("x509/swan.pem"), certificate);
        for (int i = 0; i < intermediates.size(); i++)
        {
            CertPki.pem(dir.resolve("x509ca/intermediate" + i + ".pem"), intermediates.get(i));
        }
        CertPki.pem(dir.resolve("private/swan.key"), new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(
            key.getPrivate(), null));
        startCharon("aes256gcm16-prfsha256-x25519", "aes256gcm16", 0, new SwanAuth(
            "auth = pubkey\n  certs = swan.pem\n  id = \"" + swanId + "\"",
            "auth = pubkey\n  cacerts = ca.pem\n  id = \"" + sluiceId + "\"", "", connection));
    }

    // ------------------------------------------------------------------------------------------

    private static Ipsec.TransformSet set(final EspEncryption e, final EspIntegrity i)
    {
        return new Ipsec.TransformSet("ts", e, i, Ipsec.EncapsulationMode.TUNNEL);
    }

    private void startSluice(final Ikev2Settings.Proposal proposal, final Ipsec.TransformSet ts, final int pfs,
        final Ikev2Settings.Dpd dpd) throws IOException
    {
        final Ikev2Settings.ChildPolicy child = new Ikev2Settings.ChildPolicy(List.of(ts),
            new Ipsec.Lifetime(3600, 4_608_000), pfs, Pair.ts(SLUICE_NET), Pair.ts(SWAN_NET));
        startSluice(Ikev2Settings.builder(Pair.ip(SLUICE)).proposal(proposal)
            .peer(Ikev2Settings.Peer.psk(Ip4Subnet.host(Ip4.parse(SWAN)), PSK, child)).dpd(dpd).retransmit(1000, 4)
            .build());
    }

    private void startSluice(final Ikev2Settings settings) throws IOException
    {
        try (NetNs ignored = NetNs.enter(nsSluice))
        {
            transport = IkeUdpTransport.open(Pair.ip(SLUICE), 500, 4500);
        }
        engine = new Ikev2Engine(settings, this::send, new Ikev2Engine.Listener()
        {
            @Override
            public void childSaEstablished(final ChildSa sa)
            {
                children.add(sa);
                order.add("up " + ChildSa.spiText(sa.spiIn()));
            }

            @Override
            public void childSaDeleted(final ChildSa sa, final String reason)
            {
                deleted.add(sa);
                order.add("down " + ChildSa.spiText(sa.spiIn()));
            }

            @Override
            public void peerDead(final InetSocketAddress peer)
            {
                dead.add(now());
            }
        }, IkeLog.to(sluiceLog::add, true), StrongSwanIkev2InteropTest::now, new SecureRandom());
        transport.start(engine, 50, "ike2-" + nsSluice);
    }

    private synchronized void send(final byte[] datagram, final InetSocketAddress to, final int localPort)
    {
        if (holding)
        {
            held.add(new Held(datagram, to, localPort));
        }
        else if (transport != null)
        {
            transport.send(datagram, to, localPort);
        }
    }

    /** Sends the oldest datagram held back; holding goes on. */
    private synchronized void releaseOne()
    {
        final Held h = held.removeFirst();
        transport.send(h.datagram(), h.to(), h.localPort());
    }

    /** Sends what was held back, in order, and stops holding. */
    private synchronized void release()
    {
        holding = false;
        for (final Held h : held)
        {
            transport.send(h.datagram(), h.to(), h.localPort());
        }
        held.clear();
    }

    private String charonLog()
    {
        return swan == null ? "" : swan.log();
    }

    private static long now()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    /** strongSwan's local and remote auth blocks, its secrets, and extra settings of the connection. */
    private record SwanAuth(String local, String remote, String secrets, String connection)
    {
        static final SwanAuth PSK_BOTH_WAYS = new SwanAuth("auth = psk\n  id = " + SWAN, "auth = psk\n  id = " + SLUICE,
            "ike-sluice {\n  id = " + SLUICE + "\n  secret = \"" + PSK + "\"\n}", "");
    }

    private void startCharon(final String ike, final String esp, final int dpdDelay) throws Exception
    {
        startCharon(ike, esp, dpdDelay, SwanAuth.PSK_BOTH_WAYS);
    }

    private void startCharon(final String ike, final String esp, final int dpdDelay, final SwanAuth auth) throws Exception
    {
        final String swanctlConf = """
            connections {
              sluice {
                version = 2
                mobike = no
                local_addrs = %s
                remote_addrs = %s
                proposals = %s
                encap = yes
                dpd_delay = %ds
                %s
                local {
                  %s
                }
                remote {
                  %s
                }
                children {
                  net {
                    local_ts = %s
                    remote_ts = %s
                    esp_proposals = %s
                    mode = tunnel
                    start_action = none
                    dpd_action = clear
                  }
                }
              }
            }
            secrets {
              %s
            }
            """.formatted(SWAN, SLUICE, ike, dpdDelay, auth.connection(), auth.local(), auth.remote(), SWAN_NET,
            SLUICE_NET, esp, auth.secrets());
        swan = StrongSwan.start(lab, nsSwan, dir, "ike = 2\nchd = 4\ncfg = 1\nenc = 1\nnet = 1",
            "retransmit_timeout = 1.0\nretransmit_base = 1.4\nretransmit_tries = 2\nfragment_size = " +
            charonFragmentSize, swanctlConf);
        charon = swan.process();
    }

    private String swanctl(final String... args)
    {
        final NetnsLab.Result r = swan.trySwanctl(args);
        if (r.status() != 0)
        {
            throw new AssertionError("swanctl " + String.join(" ", args) + " failed (" + r.status() + "): " + r.output() +
                diagnostics());
        }
        return r.output();
    }

    private ChildSa awaitChild(final int n) throws Exception
    {
        await(() -> children.size() >= n, 15_000, "Sluice's child SA number " + n);
        return children.get(n - 1);
    }

    /** strongSwan lists exactly one installed child, with the SPIs of {@code child}. */
    private void awaitOnlyChild(final ChildSa child) throws Exception
    {
        final String in = String.format("in  %08x", child.spiOut());
        await(() -> {
            final String sas = swanctl("--list-sas");
            return sas.contains(in) && sas.split("INSTALLED", -1).length == 2;
        }, 10_000, "strongSwan to show only the child with SPIs " + child);
    }

    private void await(final BooleanSupplier condition, final long millis, final String what) throws Exception
    {
        final long until = now() + millis;
        while (!condition.getAsBoolean())
        {
            if (now() > until)
            {
                throw new AssertionError("timed out waiting for " + what + diagnostics());
            }
            Thread.sleep(20);
        }
    }

    /** strongSwan lists the IKE SA established and the child installed with our SPIs and our keys. */
    private void assertStrongSwanAgrees(final ChildSa child, final boolean sluiceInitiatedChild, final String esp,
        final String ike) throws Exception
    {
        final String in = String.format("in  %08x", child.spiOut());
        await(() -> swanctl("--list-sas").contains(in), 5000, "strongSwan's child with our SPIs");
        final String sas = swanctl("--list-sas");
        System.out.println("swanctl --list-sas:\n" + sas + "Sluice: " + child + "\n" + engine.showCryptoIkev2Sa(true));
        assertTrue(sas.contains("ESTABLISHED, IKEv2"), sas + diagnostics());
        if (ike != null)
        {
            assertTrue(sas.contains(ike), sas);
        }
        assertTrue(sas.contains("INSTALLED, TUNNEL-in-UDP, ESP:" + esp), sas + diagnostics());
        final Matcher inSpi = Pattern.compile("\\bin\\s+([0-9a-f]{8})").matcher(sas);
        final Matcher outSpi = Pattern.compile("\\bout\\s+([0-9a-f]{8})").matcher(sas);
        boolean found = false;
        while (inSpi.find() && outSpi.find())
        {
            found |= Long.parseLong(inSpi.group(1), 16) == child.spiOut() &&
                Long.parseLong(outSpi.group(1), 16) == child.spiIn();
        }
        assertTrue(found, "strongSwan's in SPI is our out, its out our in:\n" + sas);
        assertTrue(child.udpEncapsulated());
        assertTrue(engine.showCryptoIkev2Sa(false).contains("READY"));

        final String charonLog = Files.readString(dir.resolve("charon.log"));
        final HexFormat hex = HexFormat.of();
        final String encI = hex.formatHex(loggedKey(charonLog, "encryption initiator key"));
        final String encR = hex.formatHex(loggedKey(charonLog, "encryption responder key"));
        final String intI = child.integrity() == EspIntegrity.NONE ? "" :
            hex.formatHex(loggedKey(charonLog, "integrity initiator key"));
        final String intR = child.integrity() == EspIntegrity.NONE ? "" :
            hex.formatHex(loggedKey(charonLog, "integrity responder key"));
        final byte[] i2r = sluiceInitiatedChild ? child.keyOut() : child.keyIn();
        final byte[] r2i = sluiceInitiatedChild ? child.keyIn() : child.keyOut();
        assertEquals(encI + intI, hex.formatHex(i2r), "initiator-to-responder keys");
        assertEquals(encR + intR, hex.formatHex(r2i), "responder-to-initiator keys");
    }

    /** The last key charon logged with %B: "NAME => N bytes @ 0x..." then rows "   0: 3A 4B ...". */
    private static byte[] loggedKey(final String log, final String name)
    {
        final int at = log.lastIndexOf(name + " => ");
        assertTrue(at >= 0, "charon did not log '" + name + "'");
        final String[] lines = log.substring(at).split("\n");
        final Matcher size = Pattern.compile("=> (\\d+) bytes").matcher(lines[0]);
        assertTrue(size.find(), lines[0]);
        final int n = Integer.parseInt(size.group(1));
        final StringBuilder hex = new StringBuilder();
        final Pattern row = Pattern.compile("\\s+\\d+: ((?:[0-9A-F]{2} ){1,16})");
        for (int i = 1; i < lines.length && hex.length() < 2 * n; i++)
        {
            final Matcher m = row.matcher(lines[i]);
            if (!m.find())
            {
                break;
            }
            hex.append(m.group(1).replace(" ", ""));
        }
        return HexFormat.of().parseHex(hex.substring(0, Math.min(hex.length(), 2 * n)));
    }

    private String diagnostics()
    {
        String charonLog;
        try
        {
            charonLog = Files.readString(dir.resolve("charon.log"));
        }
        catch (final IOException e)
        {
            charonLog = "(no charon log: " + e.getMessage() + ")";
        }
        return "\n--- Sluice counters ---\n" + (engine != null ? engine.counters() : "") + "\n--- Sluice log ---\n" +
            String.join("\n", sluiceLog) + "\n--- charon log (tail) ---\n" + tail(charonLog);
    }

    private static String tail(final String text)
    {
        return text.length() > 12000 ? text.substring(text.length() - 12000) : text;
    }
}
