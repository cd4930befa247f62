package io.sluice.controlplane.ike.v1;

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
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.controlplane.ike.v1.Settings.builder;
import static io.sluice.controlplane.ike.v1.Settings.ip;
import static io.sluice.controlplane.ike.v1.Settings.policy;
import static io.sluice.controlplane.ike.v1.Settings.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Sluice's IKEv1 engine against strongSwan 5.9.8 (charon with kernel-libipsec, ESP in UDP because
 * of {@code encap = yes}), each in its own network namespace joined by a veth pair; charon runs in
 * its own mount namespace with a private /run and its own vici socket. Main mode with a pre-shared
 * key and quick mode, both sides initiating, with and without PFS; DPD both ways and a killed peer.
 * The proof of the key derivation is strongSwan's: it installs the SAs only after verifying our
 * hashes, and its own log of the ESP keys (charon chd level 4) must equal ours.
 */
class StrongSwanInteropTest
{
    private static final String SLUICE = "10.77.0.1";
    private static final String SWAN = "10.77.0.2";
    private static final String PSK = "interop-psk-0123456789";
    /** The networks behind each gateway: the proxy identities (not the peers' own addresses, which
     * kernel-libipsec would then route into its tunnel, IKE included). */
    private static final String SLUICE_NET = "10.88.1.0/24";
    private static final String SWAN_NET = "10.88.2.0/24";

    private boolean aggressive;
    private int dpdTimeout;
    /** Extra lines for the swanctl connection and for its child (lifetimes). */
    private String ikeExtra = "";
    private String childExtra = "";
    /** strongSwan's local traffic selector: its network, or "dynamic" (its virtual IP) for mode config. */
    private String swanLocalTs = SWAN_NET;
    /** Changes to Sluice's settings before its engine starts. */
    private java.util.function.Consumer<Ikev1Settings.Builder> tweak = b -> { };
    private final List<String> events = new CopyOnWriteArrayList<>();
    /** The identities strongSwan uses for itself and expects from Sluice. */
    private String swanId = SWAN;
    /** strongSwan authenticates with RSA signatures: its certificate, key and CA under {@link #dir}. */
    private boolean certificates;
    private String sluiceId = SLUICE;
    private NetnsLab lab;
    private Path dir;
    private String nsSluice;
    private String nsSwan;
    private Process charon;
    private StrongSwan swan;
    private IkeUdpTransport transport;
    private Ikev1Engine engine;
    private final List<String> sluiceLog = new CopyOnWriteArrayList<>();
    private final List<ChildSa> children = new CopyOnWriteArrayList<>();
    private final List<Long> dead = new CopyOnWriteArrayList<>();
    private final List<Long> dpdSendTimes = Collections.synchronizedList(new ArrayList<>());

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
        nsSluice = lab.namespace("ike");
        nsSwan = lab.namespace("swan");
        lab.veth(nsSluice, SLUICE + "/24", nsSwan, SWAN + "/24");
        // an address inside each protected network: kernel-libipsec routes the far network from it
        lab.exec(nsSluice, "ip", "addr", "add", "10.88.1.1/24", "dev", "lo");
        lab.exec(nsSwan, "ip", "addr", "add", "10.88.2.1/24", "dev", "lo");
        dir = Files.createTempDirectory("sluice-swan-");
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
            lab.close();   // kills what it spawned, removes the namespaces
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
    void sluiceInitiatesMainModeAndQuickModeAes128Sha1WithoutPfs() throws Exception
    {
        startCharon("aes128-sha1-modp1024", "aes128-sha1", 0);
        startSluice(policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 3600), 0,
            set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96), null);
        engine.initiate(new InetSocketAddress(ip(SWAN), 500));
        final ChildSa child = awaitChild();
        assertEquals(0, child.pfsGroup());
        assertStrongSwanAgrees(child, true, "AES_CBC-128/HMAC_SHA1_96");
    }

    @Test
    void sluiceInitiatesWithPfsAes256Sha256Modp2048() throws Exception
    {
        startCharon("aes256-sha256-modp2048", "aes256-sha256-modp2048", 0);
        startSluice(policy(10, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, 14, 3600), 14,
            set("ts", EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128), null);
        engine.initiate(new InetSocketAddress(ip(SWAN), 500));
        final ChildSa child = awaitChild();
        assertEquals(14, child.pfsGroup());
        assertStrongSwanAgrees(child, true, "AES_CBC-256/HMAC_SHA2_256_128");
    }

    @Test
    void strongSwanInitiatesLegacy3desMd5WithPfsModp1024() throws Exception
    {
        startCharon("3des-md5-modp1024", "3des-md5-modp1024", 0);
        startSluice(policy(10, Isakmp.Encryption.TRIPLE_DES, Isakmp.Hash.MD5, 2, 3600), 2,
            set("ts", EspEncryption.DES3_CBC, EspIntegrity.HMAC_MD5_96), null);
        swanctl("--initiate", "--child", "net", "--timeout", "15");
        final ChildSa child = awaitChild();
        assertEquals(2, child.pfsGroup());
        assertStrongSwanAgrees(child, false, "3DES_CBC/HMAC_MD5_96");
    }

    @Test
    void strongSwanInitiatesAes128Sha256Ecp256WithoutPfs() throws Exception
    {
        startCharon("aes128-sha256-ecp256", "aes128-sha256", 0);
        startSluice(policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA256, 19, 3600), 0,
            set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA256_128), null);
        swanctl("--initiate", "--child", "net", "--timeout", "15");
        final ChildSa child = awaitChild();
        assertEquals(0, child.pfsGroup());
        assertStrongSwanAgrees(child, false, "AES_CBC-128/HMAC_SHA2_256_128");
    }

    @Test
    void strongSwanInitiatesAggressiveModeAes256Sha256Modp2048() throws Exception
    {
        aggressive = true;
        startCharon("aes256-sha256-modp2048", "aes256-sha256", 0);
        startSluice(policy(10, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, 14, 3600), 0,
            set("ts", EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128), null);
        swanctl("--initiate", "--child", "net", "--timeout", "15");
        final ChildSa child = awaitChild();
        assertStrongSwanAgrees(child, false, "AES_CBC-256/HMAC_SHA2_256_128");
        assertTrue(sluiceLog.stream().anyMatch(l -> l.contains("IKE_R_AM1")), String.join("\n", sluiceLog));
    }

    @Test
    void sluiceInitiatesAggressiveModeWithPfs() throws Exception
    {
        aggressive = true;
        startCharon("aes128-sha1-modp1024", "aes128-sha1-modp1024", 0);
        startSluice(policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 3600), 2,
            set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96), null);
        engine.initiateAggressive(new InetSocketAddress(ip(SWAN), 500));
        final ChildSa child = awaitChild();
        assertStrongSwanAgrees(child, true, "AES_CBC-128/HMAC_SHA1_96");
    }

    @Test
    void strongSwansDpdDeclaresAStoppedSluiceDead() throws Exception
    {
        dpdTimeout = 3;
        startCharon("aes128-sha1-modp1024", "aes128-sha1", 1);
        startSluice(policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 3600), 0,
            set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96), null);
        engine.initiate(new InetSocketAddress(ip(SWAN), 500));
        awaitChild();
        await(() -> engine.counters().dpdAnswered() >= 1, 5000, "strongSwan's first R-U-THERE answered");
        assertTrue(swanctl("--list-sas").contains("ESTABLISHED"));
        transport.close();   // Sluice stops answering
        transport = null;
        await(() -> !swanctl("--list-sas").contains("ESTABLISHED"), 10_000, "strongSwan's DPD to give up");
        final String charonLog = Files.readString(dir.resolve("charon.log"));
        assertTrue(charonLog.contains("DPD check timed out"), tail(charonLog));
    }

    @Test
    void dpdIsAnsweredBothWaysAndAKilledStrongSwanIsDeclaredDeadAfterFourRetransmissions() throws Exception
    {
        startCharon("aes128-sha1-modp1024", "aes128-sha1", 1);
        final long retry = 1000;
        startSluice(policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 3600), 0,
            set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96),
            new Ikev1Settings.Dpd(2000, retry, Isakmp.DpdMode.PERIODIC));
        engine.initiate(new InetSocketAddress(ip(SWAN), 500));
        awaitChild();
        // strongSwan probes after 1 s of silence, before our 2 s period: we answer it, and its
        // probes keep our periodic DPD quiet (any message from the peer proves it alive)
        await(() -> engine.counters().dpdAnswered() >= 2, 8000, "strongSwan's R-U-THERE answered");
        assertEquals(0, engine.counters().dpdSent());
        // the dataplane's idle event makes us ask; strongSwan answers
        engine.idle(ip(SWAN));
        await(() -> engine.counters().dpdAcksReceived() >= 1, 5000, "strongSwan's R-U-THERE-ACK");
        final String charonLog = Files.readString(dir.resolve("charon.log"));
        assertTrue(charonLog.contains("N(DPD_ACK)"), "strongSwan never parsed our R_U_THERE_ACK:\n" + tail(charonLog));
        assertTrue(swanctl("--list-sas").contains("ESTABLISHED"));

        // kill strongSwan by the pid we started; Sluice sends R-U-THERE and 4 retransmissions, then gives up
        final long pid = charon.pid();
        assertEquals("charon", Files.readString(Path.of("/proc/" + pid + "/comm")).trim());
        final long killedAt = now();
        charon.destroyForcibly();
        assertTrue(charon.waitFor(5, TimeUnit.SECONDS));
        await(() -> !dead.isEmpty(), 10_000, "peer declared dead");
        final long deadAt = dead.get(0);
        final List<Long> probes = new ArrayList<>();
        synchronized (dpdSendTimes)
        {
            for (final long t : dpdSendTimes)
            {
                if (t >= killedAt - retry && t <= deadAt)
                {
                    probes.add(t);
                }
            }
        }
        final List<Long> last5 = probes.subList(Math.max(0, probes.size() - 5), probes.size());
        assertEquals(5, last5.size(), "R-U-THERE sends " + probes);
        // the exact schedule is checked on a virtual clock (Ikev1EngineTest); here, on a shared 2-vCPU
        // machine, a tick may come late, never early
        for (int i = 1; i < last5.size(); i++)
        {
            final long gap = last5.get(i) - last5.get(i - 1);
            assertTrue(gap >= retry - 60 && gap < retry + 700, "retransmission gap " + gap + " ms in " + last5);
        }
        final long lastToDead = deadAt - last5.get(4);
        assertTrue(lastToDead >= retry - 60 && lastToDead < retry + 700, "dead " + lastToDead + " ms after the last");
        assertTrue(sluiceLog.contains("%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer " + SWAN + ":4500 Id: " +
            SWAN), String.join("\n", sluiceLog));
        assertTrue(engine.childSas().isEmpty());
        System.out.println("DPD: R-U-THERE at " + last5.stream().map(t -> t - last5.get(0)).toList() +
            " ms, dead at " + (deadAt - last5.get(0)) + " ms");
    }

    @Test
    void strongSwanRekeysChildAndReauthenticatesIkeWhileSluiceStaysConsistent() throws Exception
    {
        ikeExtra = "reauth_time = 6s\n over_time = 3s\n rand_time = 0s";
        childExtra = "rekey_time = 3s\n life_time = 6s\n rand_time = 0s";
        startCharon("aes128-sha1-modp1024", "aes128-sha1-modp1024", 0);
        // strongSwan offers a phase 1 lifetime of reauth_time + over_time; a responder's policy must not be longer
        startSluice(policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 9), 2,
            set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96), null);
        swanctl("--initiate", "--child", "net", "--timeout", "15");
        awaitChild();
        final long until = now() + 13_000;
        int checks = 0;
        while (now() < until)
        {
            Thread.sleep(2000);
            awaitConsistent("check " + ++checks);
        }
        final long ups = events.stream().filter(e -> e.startsWith("up ")).count();
        final long phase1 = events.stream().filter(e -> e.equals("phase1")).count();
        System.out.println("strongSwan rekeys: Sluice events " + events);
        assertTrue(ups >= 4, "strongSwan rekeyed the child every 3 s: " + events + diagnostics());
        assertTrue(phase1 >= 2, "strongSwan reauthenticated the IKE SA: " + events + diagnostics());
        // an SA may reach its hard lifetime before strongSwan's delete arrives, but only once replaced: never a gap
        for (int i = 0; i < events.size(); i++)
        {
            if (events.get(i).endsWith(" lifetime expired"))
            {
                final String spi = events.get(i).split(" ")[1];
                final int up = events.indexOf("up " + spi);
                assertTrue(events.subList(up + 1, i).stream().anyMatch(e -> e.startsWith("up ")),
                    "expired before it was replaced: " + events);
            }
        }
        // strongSwan offered 6 s: our SAs follow its lifetime
        assertTrue(engine.childSas().stream().allMatch(c -> c.lifetimeSeconds() == 6), engine.childSas().toString());
        assertTrue(swanctl("--list-sas").contains("ESTABLISHED"));
    }

    @Test
    void sluiceRekeysChildMakeBeforeBreakAndRenegotiatesPhase1AndStrongSwanFollows() throws Exception
    {
        tweak = b -> b.rekeyOverlapMillis = 1000;
        startCharon("aes128-sha1-modp1024", "aes128-sha1-modp1024", 0);
        // phase 1 for 7 s: renegotiated at 90 %
        startSluice(policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 7), 2,
            set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96), null);
        engine.initiate(new InetSocketAddress(ip(SWAN), 500));
        final ChildSa first = awaitChild();
        awaitConsistent("first child");
        assertTrue(engine.rekeyChild(first.spiIn()));
        await(() -> children.size() >= 2, 5000, "the replacement child SA");
        await(() -> engine.childSas().size() == 1, 5000, "the old child SA deleted after the overlap");
        final ChildSa second = engine.childSas().get(0);
        assertTrue(second.spiIn() != first.spiIn());
        awaitConsistent("after Sluice's rekey");
        final String charonLog = Files.readString(dir.resolve("charon.log"));
        assertTrue(charonLog.contains("received DELETE for ESP CHILD_SA with SPI " +
            String.format("%08x", first.spiIn())), tail(charonLog));
        // phase 1 renegotiated at ~6.3 s without touching the child SA
        await(() -> events.stream().filter(e -> e.equals("phase1")).count() >= 2, 12_000, "phase 1 renegotiated");
        Thread.sleep(1500);
        System.out.println("Sluice rekeys: events " + events + "\n" + swanctl("--list-sas"));
        assertEquals(List.of(second.spiIn()), engine.childSas().stream().map(ChildSa::spiIn).toList(), events.toString());
        assertEquals(1, events.stream().filter(e -> e.startsWith("down ")).count(), events.toString());
        awaitConsistent("after phase 1 renegotiation");
        assertTrue(swanctl("--list-sas").contains("ESTABLISHED, IKEv1"));
        assertEquals(1, engine.showCryptoIsakmpSa().lines().filter(l -> l.contains("QM_IDLE")).count(),
            engine.showCryptoIsakmpSa());
    }

    @Test
    void afterPhase1ToAnUnreachableFirstPeerFailsSluiceFailsOverToStrongSwan() throws Exception
    {
        final String nobody = "10.77.0.9";
        tweak = b -> {
            b.key(Settings.key(PSK, nobody));
            b.phase2(new Ikev1Settings.Phase2Policy(io.sluice.controlplane.config.Ip4Subnet.host(Settings.ip4(nobody)),
                List.of(set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96)),
                new io.sluice.controlplane.config.Ipsec.Lifetime(3600, 4_608_000), 0, selector(SLUICE_NET),
                selector(SWAN_NET)));
            b.peerGroups.add(List.of(ip(nobody), ip(SWAN)));
            b.retransmit(300, 2);
        };
        startCharon("aes128-sha1-modp1024", "aes128-sha1", 0);
        startSluice(policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 2, 3600), 0,
            set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96), null);
        engine.initiate(new InetSocketAddress(ip(nobody), 500));
        final ChildSa child = awaitChild();
        assertTrue(events.contains("failover " + nobody + " " + SWAN), events.toString());
        assertEquals(ip(SWAN), child.peer().getAddress());
        assertStrongSwanAgrees(child, true, "AES_CBC-128/HMAC_SHA1_96");
    }

    @Test
    void sluiceChoosesAggressiveModeForAPeerKnownOnlyByAHostNameKey() throws Exception
    {
        aggressive = true;
        swanId = "rtr-swan";
        sluiceId = "rtr-sluice";
        tweak = b -> {
            b.keys.clear();
            b.key(new Isakmp.PresharedKey(new io.sluice.controlplane.config.Secret(PSK), java.util.Optional.empty(),
                java.util.Optional.of("rtr-swan"), false));
            b.identity = Isakmp.Identity.HOSTNAME;
            b.hostname = "rtr-sluice";
            b.peerHostnames.put(ip(SWAN), "rtr-swan");
        };
        startCharon("aes256-sha256-modp2048", "aes256-sha256", 0);
        startSluice(policy(10, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, 14, 3600), 0,
            set("ts", EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128), null);
        engine.initiate(new InetSocketAddress(ip(SWAN), 500));
        final ChildSa child = awaitChild();
        assertTrue(sluiceLog.stream().anyMatch(l -> l.contains("New State = IKE_I_AM1")), String.join("\n", sluiceLog));
        assertStrongSwanAgrees(child, true, "AES_CBC-256/HMAC_SHA2_256_128");
        assertTrue(swanctl("--list-sas").contains("remote 'rtr-sluice'"), swanctl("--list-sas"));
    }

    @Test
    void rsaSignaturesWithCertificatesFromOneCaBothWays() throws Exception
    {
        final TestPki ca = TestPki.authority("C=CH, O=Sluice Interop, CN=Interop CA");
        final java.security.KeyPair swanKeys = TestPki.rsa();
        final long now = System.currentTimeMillis();
        for (final String sub : List.of("x509", "x509ca", "private"))
        {
            Files.createDirectories(dir.resolve(sub));
        }
        TestPki.pem(dir.resolve("x509/swan.crt"), ca.issue("C=CH, O=Sluice Interop, CN=swan", swanKeys,
            now - TestPki.DAY, now + TestPki.DAY, SWAN));
        TestPki.pem(dir.resolve("private/swan.key"), swanKeys.getPrivate());
        TestPki.pem(dir.resolve("x509ca/ca.crt"), ca.certificate);
        certificates = true;
        swanId = "C=CH, O=Sluice Interop, CN=swan";
        sluiceId = "C=CH, O=Sluice Interop, CN=sluice";
        tweak = b -> {
            b.policies.clear();
            b.policy(new Isakmp.Policy(10, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, Isakmp.Authentication.RSA_SIG,
                io.sluice.controlplane.config.DhGroup.ofNumber(14), 3600));
            b.keys.clear();
            b.identity = Isakmp.Identity.DN;
            b.credentials = ca.credentials("C=CH, O=Sluice Interop, CN=sluice", SLUICE);
        };
        startCharon("aes256-sha256-modp2048", "aes256-sha256", 0);
        startSluice(policy(10, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, 14, 3600), 0,
            set("ts", EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128), null);
        engine.initiate(new InetSocketAddress(ip(SWAN), 500));
        final ChildSa child = awaitChild();
        assertStrongSwanAgrees(child, true, "AES_CBC-256/HMAC_SHA2_256_128");
        assertTrue(sluiceLog.stream().anyMatch(l -> l.contains("certificate of C=CH,O=Sluice Interop,CN=swan verified")),
            String.join("\n", sluiceLog));
        final String charonLog = Files.readString(dir.resolve("charon.log"));
        assertTrue(charonLog.contains("authentication of 'C=CH, O=Sluice Interop, CN=sluice' with RSA_EMSA_PKCS1_NULL successful"),
            tail(charonLog));

        // and strongSwan initiating
        engine.clear(ip(SWAN));
        await(() -> !swanctl("--list-sas").contains("ESTABLISHED"), 5000, "the SAs cleared");
        children.clear();
        swanctl("--initiate", "--child", "net", "--timeout", "15");
        final ChildSa second = awaitChild();
        assertStrongSwanAgrees(second, false, "AES_CBC-256/HMAC_SHA2_256_128");
    }

    /**
     * strongSwan's child SAs (every state) as (its inbound, its outbound) SPI pairs equal Sluice's live
     * children as (our outbound, our inbound); retried briefly, as a delete may be in flight.
     */
    private void awaitConsistent(final String when) throws Exception
    {
        final long until = now() + 3000;
        String last = "";
        while (now() < until)
        {
            final String sas = swanctl("--list-sas");
            final java.util.Set<String> swan = new java.util.TreeSet<>();
            final Matcher m = Pattern.compile("\\bin\\s+([0-9a-f]{8}),.*\\n\\s*out\\s+([0-9a-f]{8})").matcher(sas);
            while (m.find())
            {
                swan.add(m.group(1) + "/" + m.group(2));
            }
            final java.util.Set<String> ours = new java.util.TreeSet<>();
            for (final ChildSa c : engine.childSas())
            {
                ours.add(String.format("%08x/%08x", c.spiOut(), c.spiIn()));
            }
            if (swan.equals(ours) && !ours.isEmpty())
            {
                return;
            }
            last = "strongSwan " + swan + ", Sluice " + ours + "\n" + sas;
            Thread.sleep(100);
        }
        throw new AssertionError(when + ": SAs differ: " + last + "\nevents " + events + diagnostics());
    }

    /**
     * IKE mode configuration (reference 004's {@code ip local pool} and {@code crypto map ... client
     * configuration address respond}): strongSwan asks for a virtual IP ({@code vips = 0.0.0.0},
     * pull mode, its IKEv1 default), Sluice lends one from its pool, and strongSwan's quick mode
     * proposes that address as its side of the tunnel.
     */
    @Test
    void strongSwanPullsAVirtualAddressFromSluicesPoolAndQuickModeCarriesIt() throws Exception
    {
        modeConfig(io.sluice.controlplane.config.CryptoMap.ClientConfiguration.RESPOND, "");
        final ChildSa child = awaitChild();
        assertVirtualAddressUsed(child, "10.88.2.100");
        assertTrue(sluiceLog.stream().anyMatch(l -> l.contains("processing transaction CFG_REQUEST")),
            String.join("\n", sluiceLog));
    }

    /** The same with the gateway pushing the address ({@code initiate}, CFG_SET / CFG_ACK; strongSwan {@code pull = no}). */
    @Test
    void sluicePushesAVirtualAddressToStrongSwanWhichAcknowledgesIt() throws Exception
    {
        modeConfig(io.sluice.controlplane.config.CryptoMap.ClientConfiguration.INITIATE, "pull = no");
        final ChildSa child = awaitChild();
        assertVirtualAddressUsed(child, "10.88.2.100");
        assertTrue(sluiceLog.stream().anyMatch(l -> l.contains("processing transaction CFG_ACK")),
            String.join("\n", sluiceLog));
    }

    private void modeConfig(final io.sluice.controlplane.config.CryptoMap.ClientConfiguration start, final String pull)
        throws Exception
    {
        ikeExtra = "vips = 0.0.0.0\n" + pull;
        swanLocalTs = "dynamic";
        tweak = b -> b.modeConfigGateway = new ModeConfig.Gateway(start, new io.sluice.controlplane.config.LocalPool(
            "clients", Settings.ip4("10.88.2.100"), Settings.ip4("10.88.2.110")), Settings.ip4("255.255.255.0"),
            List.of(Settings.ip4("10.88.1.53")));
        startCharon("aes256-sha256-modp2048", "aes256-sha256", 0);
        startSluice(policy(10, Isakmp.Encryption.AES_256, Isakmp.Hash.SHA256, 14, 3600), 0,
            set("ts", EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA256_128), null);
        swanctl("--initiate", "--child", "net", "--timeout", "15");
    }

    private void assertVirtualAddressUsed(final ChildSa child, final String address) throws Exception
    {
        assertEquals(address + "/32", child.remoteSelector(), "Sluice's SA is for the address it lent");
        assertStrongSwanAgrees(child, false, "AES_CBC-256/HMAC_SHA2_256_128");
        final String sas = swanctl("--list-sas");
        assertTrue(sas.contains("local  " + address + "/32") || sas.matches("(?s).*local\\s+" +
            Pattern.quote(address) + "/32.*"), "strongSwan's side of the child is the lent address: " + sas);
        // kernel-libipsec puts the virtual IP on the host, as a client would use it
        await(() -> lab.tryExec(nsSwan, "ip", "-4", "addr").output().contains(address + "/32"), 5000,
            "strongSwan installing " + address);
    }

    // ------------------------------------------------------------------------------------------

    private void startSluice(final Isakmp.Policy policy, final int pfs, final io.sluice.controlplane.config.Ipsec.TransformSet ts,
        final Ikev1Settings.Dpd dpd) throws IOException
    {
        final Ikev1Settings.Phase2Policy qm = new Ikev1Settings.Phase2Policy(
            io.sluice.controlplane.config.Ip4Subnet.host(Settings.ip4(SWAN)), List.of(ts),
            new io.sluice.controlplane.config.Ipsec.Lifetime(3600, 4_608_000), pfs, selector(SLUICE_NET),
            selector(SWAN_NET));
        final Ikev1Settings.Builder b = builder(SLUICE, SWAN, PSK, policy, qm).dpd(dpd).retransmit(1000, 4);
        tweak.accept(b);
        final Ikev1Settings settings = b.build();
        try (NetNs ignored = NetNs.enter(nsSluice))
        {
            transport = IkeUdpTransport.open(ip(SLUICE), 500, 4500);
        }
        final IkeLog log = IkeLog.to(line -> sluiceLog.add(line), true);
        engine = new Ikev1Engine(settings, (d, to, port) -> {
            final int exchangeAt = (port == Ikev1Engine.NAT_T_PORT ? 4 : 0) + 18;
            if (d.length > exchangeAt && (d[exchangeAt] & 0xff) == Ikev1.EXCHANGE_INFORMATIONAL)
            {
                dpdSendTimes.add(now());
            }
            transport.send(d, to, port);
        }, new Ikev1Engine.Listener()
        {
            @Override
            public void childSaEstablished(final ChildSa sa)
            {
                children.add(sa);
                events.add("up " + ChildSa.spiText(sa.spiIn()));
            }

            @Override
            public void childSaDeleted(final ChildSa sa, final String reason)
            {
                events.add("down " + ChildSa.spiText(sa.spiIn()) + " " + reason);
            }

            @Override
            public void phase1Established(final InetSocketAddress peer, final String peerId)
            {
                events.add("phase1");
            }

            @Override
            public void peerFailover(final InetSocketAddress failed, final InetSocketAddress next)
            {
                events.add("failover " + failed.getAddress().getHostAddress() + " " + next.getAddress().getHostAddress());
            }

            @Override
            public void peerDead(final InetSocketAddress peer)
            {
                dead.add(now());
            }
        }, log, StrongSwanInteropTest::now, new SecureRandom());
        transport.start(engine, 50, "ike-" + nsSluice);
    }

    private static Selector selector(final String cidr)
    {
        final String[] parts = cidr.split("/");
        return Selector.of(new io.sluice.controlplane.config.Ip4Subnet(Settings.ip4(parts[0]),
            Integer.parseInt(parts[1])));
    }

    private static long now()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    private void startCharon(final String ike, final String esp, final int dpdDelay) throws Exception
    {
        final String swanctlConf = """
            connections {
              sluice {
                version = 1
                aggressive = %s
                local_addrs = %s
                remote_addrs = %s
                proposals = %s
                encap = yes
                dpd_delay = %ds
                dpd_timeout = %ds
                %s
                local {
                  auth = %s
                  id = "%s"
                  %s
                }
                remote {
                  auth = %s
                  id = "%s"
                }
                children {
                  net {
                    local_ts = %s
                    remote_ts = %s
                    esp_proposals = %s
                    mode = tunnel
                    start_action = none
                    dpd_action = clear
                    %s
                  }
                }
              }
            }
            secrets {
              ike-sluice {
                id = %s
                secret = "%s"
              }
            }
            """.formatted(aggressive ? "yes" : "no", SWAN, SLUICE, ike, dpdDelay, dpdTimeout == 0 ? 150 : dpdTimeout, ikeExtra, auth(), swanId, certificates ? "certs = swan.crt" : "", auth(), sluiceId, swanLocalTs, SLUICE_NET, esp, childExtra, sluiceId, PSK);
        swan = StrongSwan.start(lab, nsSwan, dir, "ike = 2\nchd = 4\ncfg = 1\nenc = 1",
            "i_dont_care_about_security_and_use_aggressive_mode_psk = yes\nretransmit_timeout = 1.0\nretransmit_tries = 3",
            swanctlConf);
        charon = swan.process();
    }

    private String auth()
    {
        return certificates ? "pubkey" : "psk";
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

    private ChildSa awaitChild() throws Exception
    {
        await(() -> !children.isEmpty(), 15_000, "Sluice's child SA");
        return children.get(0);
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
    private void assertStrongSwanAgrees(final ChildSa child, final boolean sluiceInitiated, final String algorithms)
        throws Exception
    {
        String sas = "";
        final long until = now() + 5000;
        while (now() < until)
        {
            sas = swanctl("--list-sas");
            if (sas.contains("INSTALLED"))
            {
                break;
            }
            Thread.sleep(50);
        }
        System.out.println("swanctl --list-sas:\n" + sas + "Sluice: " + child + "\n" + engine.showCryptoIsakmpSa());
        assertTrue(sas.contains("ESTABLISHED, IKEv1"), sas + diagnostics());
        assertTrue(sas.contains("INSTALLED, TUNNEL-in-UDP, ESP:" + algorithms), sas + diagnostics());
        final Matcher in = Pattern.compile("\\bin\\s+([0-9a-f]{8})").matcher(sas);
        final Matcher out = Pattern.compile("\\bout\\s+([0-9a-f]{8})").matcher(sas);
        assertTrue(in.find() && out.find(), sas);
        assertEquals(Long.parseLong(in.group(1), 16), child.spiOut(), "strongSwan's inbound SPI is our outbound");
        assertEquals(Long.parseLong(out.group(1), 16), child.spiIn(), "strongSwan's outbound SPI is our inbound");
        assertTrue(child.udpEncapsulated());
        assertTrue(engine.showCryptoIsakmpSa().contains("QM_IDLE"), engine.showCryptoIsakmpSa());

        // the ESP keys charon derived (chd level 4), initiator's direction first
        final String charonLog = Files.readString(dir.resolve("charon.log"));
        final byte[] encI = loggedKey(charonLog, "encryption initiator key");
        final byte[] encR = loggedKey(charonLog, "encryption responder key");
        final byte[] intI = loggedKey(charonLog, "integrity initiator key");
        final byte[] intR = loggedKey(charonLog, "integrity responder key");
        final HexFormat hex = HexFormat.of();
        final byte[] initiatorToResponder = sluiceInitiated ? child.keyOut() : child.keyIn();
        final byte[] responderToInitiator = sluiceInitiated ? child.keyIn() : child.keyOut();
        assertEquals(hex.formatHex(encI) + hex.formatHex(intI), hex.formatHex(initiatorToResponder),
            "initiator-to-responder keys");
        assertEquals(hex.formatHex(encR) + hex.formatHex(intR), hex.formatHex(responderToInitiator),
            "responder-to-initiator keys");
    }

    /** A key charon logged with %B: "NAME => N bytes @ 0x..." then lines "   0: 3A 4B ...  ascii". */
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
        final StringBuilder stacks = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, trace) -> {
            if (t.getName().startsWith("ike-"))
            {
                stacks.append(t.getName()).append(" ").append(t.getState()).append('\n');
                for (final StackTraceElement e : trace)
                {
                    stacks.append("    at ").append(e).append('\n');
                }
            }
        });
        return "\n--- transport thread ---\n" + stacks + "\n--- Sluice counters ---\n" +
            (engine != null ? engine.counters() : "") + "\n--- Sluice log ---\n" + String.join("\n", sluiceLog) + "\n--- charon log (tail) ---\n" + tail(charonLog);
    }

    private static String tail(final String text)
    {
        return text.length() > 12000 ? text.substring(text.length() - 12000) : text;
    }
}
