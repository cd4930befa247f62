package io.sluice.tools.ikebench;

import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.IkeLog;
import io.sluice.controlplane.ike.IkeUdpTransport;
import io.sluice.controlplane.ike.v2.IkeSuite;
import io.sluice.controlplane.ike.v2.Ikev2Engine;
import io.sluice.controlplane.ike.v2.Ikev2Settings;
import io.sluice.controlplane.ike.v2.TrafficSelector;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sluice's IKEv2 engine as a benchmark responder: an {@link Ikev2Engine} on UDP 500/4500 of
 * {@code --local} ({@link IkeUdpTransport}, one thread), PSK for every peer in {@code --peers},
 * proposals written as strongSwan writes them. Run it in the responder's network namespace; it
 * prints {@code READY} once bound, answers {@code stats} on stdin with one JSON line of what it
 * counted, and exits on {@code quit} or end of input. The engine's event lines go to {@code --log}.
 */
public final class SluiceResponder
{
    private final AtomicLong ikeUp = new AtomicLong();
    private final AtomicLong childUp = new AtomicLong();
    private final AtomicLong childDown = new AtomicLong();
    private final AtomicLong peerDead = new AtomicLong();
    private Ikev2Engine engine;

    private SluiceResponder()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        System.exit(run(args));
    }

    public static int run(final String[] args) throws IOException
    {
        final Map<String, String> o = options(args);
        final InetAddress local = InetAddress.getByName(require(o, "local"));
        final Ikev2Settings settings = settings(local, o);
        final Path logFile = Path.of(o.getOrDefault("log", "/dev/null"));
        try (PrintWriter log = new PrintWriter(Files.newBufferedWriter(logFile, StandardCharsets.UTF_8));
             IkeUdpTransport transport = IkeUdpTransport.open(local, Ikev2Engine.IKE_PORT, Ikev2Engine.NAT_T_PORT))
        {
            final SluiceResponder r = new SluiceResponder();
            r.engine = new Ikev2Engine(settings, transport::send, r.listener(), IkeLog.to(log::println, false),
                () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime()), new SecureRandom());
            transport.start(r.engine, 50, "ike-bench-responder");
            System.out.println("READY " + ProcessHandle.current().pid());
            System.out.flush();
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.trim().equals("quit"))
            {
                if (line.trim().equals("stats"))
                {
                    log.flush();
                    System.out.println(r.statsJson());
                    System.out.flush();
                }
            }
        }
        return 0;
    }

    private Ikev2Engine.Listener listener()
    {
        return new Ikev2Engine.Listener()
        {
            @Override
            public void ikeSaEstablished(final InetSocketAddress peer, final String peerId)
            {
                ikeUp.incrementAndGet();
            }

            @Override
            public void childSaEstablished(final ChildSa sa)
            {
                childUp.incrementAndGet();
            }

            @Override
            public void childSaDeleted(final ChildSa sa, final String reason)
            {
                childDown.incrementAndGet();
            }

            @Override
            public void peerDead(final InetSocketAddress peer)
            {
                peerDead.incrementAndGet();
            }
        };
    }

    private String statsJson()
    {
        final Ikev2Engine.Counters c = engine.counters();
        final String table = engine.showCryptoIkev2Sa(false);
        final int halfOpen = table.split(" IN-NEG", -1).length - 1;
        return "{\"ike_up\":" + ikeUp.get() + ",\"child_up\":" + childUp.get() + ",\"child_down\":" + childDown.get() +
            ",\"peer_dead\":" + peerDead.get() + ",\"ike_sas\":" + engine.ikeSaCount() + ",\"half_open\":" + halfOpen +
            ",\"received\":" + c.received() + ",\"sent\":" + c.sent() + ",\"rejected\":" + c.rejected() +
            ",\"dropped\":" + c.dropped() + ",\"retransmits\":" + c.retransmits() + ",\"duplicates\":" +
            c.duplicates() + ",\"cookies_sent\":" + c.cookiesSent() + ",\"half_open_drops\":" + c.halfOpenDrops() +
            ",\"auth_failures\":" + c.authFailures() + "}";
    }

    // ------------------------------------------------------------------------------------------

    /**
     * The responder's settings: one PSK peer covering {@code peers}, the IKE and ESP proposals,
     * and the half-open limits and cookie threshold given (engine defaults otherwise).
     */
    static Ikev2Settings settings(final InetAddress local, final Map<String, String> o)
    {
        final Ipsec.TransformSet ts = transformSet(o.getOrDefault("esp", "aes128gcm16"));
        final Ikev2Settings.ChildPolicy child = new Ikev2Settings.ChildPolicy(List.of(ts),
            new Ipsec.Lifetime(Ipsec.Lifetime.DEFAULT_SECONDS, Ipsec.Lifetime.DEFAULT_KILOBYTES), 0,
            selector(o.get("local-ts")), selector(o.get("remote-ts")));
        final Ikev2Settings.Builder b = Ikev2Settings.builder(local)
            .proposal(ikeProposal(o.getOrDefault("ike", "aes128gcm16-prfsha256-x25519")))
            .peer(Ikev2Settings.Peer.psk(subnet(o.getOrDefault("peers", "0.0.0.0/0")), require(o, "psk"), child));
        if (o.containsKey("max-half-open"))
        {
            b.maxHalfOpen = Integer.parseInt(o.get("max-half-open"));
        }
        if (o.containsKey("max-half-open-per-peer"))
        {
            b.maxHalfOpenPerPeer = Integer.parseInt(o.get("max-half-open-per-peer"));
        }
        if (o.containsKey("cookie-threshold"))
        {
            b.cookieThreshold = Integer.parseInt(o.get("cookie-threshold"));
        }
        if (o.containsKey("half-open-millis"))
        {
            b.halfOpenMillis = Long.parseLong(o.get("half-open-millis"));
        }
        return b.build();
    }

    /** An IKE proposal in strongSwan's syntax ({@code aes128gcm16-prfsha256-x25519}, {@code aes256-sha256-ecp256}). */
    static Ikev2Settings.Proposal ikeProposal(final String text)
    {
        IkeSuite.Encryption enc = null;
        int bits = 0;
        IkeSuite.Integrity integ = IkeSuite.Integrity.NONE;
        IkeSuite.Prf prf = null;
        int group = 0;
        for (final String t : text.split("-"))
        {
            switch (t)
            {
                case "aes128gcm16", "aes128gcm128" -> { enc = IkeSuite.Encryption.AES_GCM_16; bits = 128; }
                case "aes256gcm16", "aes256gcm128" -> { enc = IkeSuite.Encryption.AES_GCM_16; bits = 256; }
                case "aes128" -> { enc = IkeSuite.Encryption.AES_CBC; bits = 128; }
                case "aes256" -> { enc = IkeSuite.Encryption.AES_CBC; bits = 256; }
                case "chacha20poly1305" -> { enc = IkeSuite.Encryption.CHACHA20_POLY1305; bits = 256; }
                case "sha1" -> integ = IkeSuite.Integrity.HMAC_SHA1_96;
                case "sha256" -> integ = IkeSuite.Integrity.HMAC_SHA2_256_128;
                case "sha384" -> integ = IkeSuite.Integrity.HMAC_SHA2_384_192;
                case "sha512" -> integ = IkeSuite.Integrity.HMAC_SHA2_512_256;
                case "prfsha1" -> prf = IkeSuite.Prf.HMAC_SHA1;
                case "prfsha256" -> prf = IkeSuite.Prf.HMAC_SHA2_256;
                case "prfsha384" -> prf = IkeSuite.Prf.HMAC_SHA2_384;
                case "prfsha512" -> prf = IkeSuite.Prf.HMAC_SHA2_512;
                case "x25519", "curve25519" -> group = 31;
                case "ecp256" -> group = 19;
                case "ecp384" -> group = 20;
                case "modp2048" -> group = 14;
                case "modp3072" -> group = 15;
                case "modp4096" -> group = 16;
                default -> throw new IllegalArgumentException("IKE proposal " + text + ": '" + t + "' is not one " +
                    "the benchmark maps to Sluice (aes128/256[gcm16], chacha20poly1305, sha1/256/384/512, " +
                    "prfsha*, x25519, ecp256/384, modp2048/3072/4096)");
            }
        }
        if (enc == null || group == 0 || (!enc.aead() && integ == IkeSuite.Integrity.NONE))
        {
            throw new IllegalArgumentException("IKE proposal " + text + " needs a cipher, a DH group and, " +
                "without AEAD, an integrity algorithm");
        }
        if (prf == null)
        {
            prf = switch (integ)
            {
                case HMAC_SHA1_96 -> IkeSuite.Prf.HMAC_SHA1;
                case HMAC_SHA2_384_192 -> IkeSuite.Prf.HMAC_SHA2_384;
                case HMAC_SHA2_512_256 -> IkeSuite.Prf.HMAC_SHA2_512;
                default -> IkeSuite.Prf.HMAC_SHA2_256;
            };
        }
        return Ikev2Settings.Proposal.of(enc, bits, prf, integ, group);
    }

    /** An ESP proposal in strongSwan's syntax ({@code aes128gcm16}, {@code aes128-sha256}) as a tunnel-mode transform set. */
    static Ipsec.TransformSet transformSet(final String text)
    {
        EspEncryption enc = null;
        EspIntegrity integ = EspIntegrity.NONE;
        for (final String t : text.split("-"))
        {
            switch (t)
            {
                case "aes128gcm16", "aes128gcm128" -> enc = EspEncryption.AES_GCM_128;
                case "aes256gcm16", "aes256gcm128" -> enc = EspEncryption.AES_GCM_256;
                case "aes128" -> enc = EspEncryption.AES_CBC_128;
                case "aes256" -> enc = EspEncryption.AES_CBC_256;
                case "chacha20poly1305" -> enc = EspEncryption.CHACHA20_POLY1305;
                case "sha1" -> integ = EspIntegrity.HMAC_SHA1_96;
                case "sha256" -> integ = EspIntegrity.HMAC_SHA256_128;
                case "sha384" -> integ = EspIntegrity.HMAC_SHA384_192;
                case "sha512" -> integ = EspIntegrity.HMAC_SHA512_256;
                default -> throw new IllegalArgumentException("ESP proposal " + text + ": '" + t + "' is not one " +
                    "the benchmark maps to Sluice (aes128/256[gcm16], chacha20poly1305, sha1/256/384/512; no PFS group: " +
                    "the child comes with IKE_AUTH)");
            }
        }
        if (enc == null)
        {
            throw new IllegalArgumentException("ESP proposal " + text + " names no cipher");
        }
        return new Ipsec.TransformSet("bench", enc, integ, Ipsec.EncapsulationMode.TUNNEL);
    }

    static Ip4Subnet subnet(final String cidr)
    {
        final String[] p = cidr.split("/");
        return new Ip4Subnet(Ip4.parse(p[0]), p.length > 1 ? Integer.parseInt(p[1]) : 32);
    }

    private static TrafficSelector selector(final String cidr)
    {
        return cidr == null ? null : TrafficSelector.of(subnet(cidr));
    }

    /** {@code --key value} pairs. */
    static Map<String, String> options(final String[] args)
    {
        final Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.length; i++)
        {
            if (!args[i].startsWith("--") || i + 1 >= args.length)
            {
                throw new IllegalArgumentException("expected --option value, got '" + args[i] + "'");
            }
            o.put(args[i].substring(2), args[++i]);
        }
        return o;
    }

    private static String require(final Map<String, String> o, final String key)
    {
        final String v = o.get(key);
        if (v == null)
        {
            throw new IllegalArgumentException("missing --" + key);
        }
        return v;
    }

    /** The command line that runs this responder: this JVM's java and class path. */
    static List<String> command(final Map<String, String> options)
    {
        final List<String> cmd = new ArrayList<>(List.of(javaBinary(), "--enable-native-access=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx1g", "-cp",
            System.getProperty("java.class.path"), SluiceResponder.class.getName()));
        options.forEach((k, v) -> {
            cmd.add("--" + k);
            cmd.add(v);
        });
        return cmd;
    }

    private static String javaBinary()
    {
        final String configured = System.getProperty("sluice.java");
        return configured != null ? configured : Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
