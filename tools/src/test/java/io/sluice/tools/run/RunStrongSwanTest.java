package io.sluice.tools.run;

import io.sluice.ffi.testkit.NetnsLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Sluice gateway started with {@code sluice run -c} and a crypto map with {@code ipsec-isakmp}
 * against strongSwan 5.9.8 (charon, kernel-libipsec: ESP in user space over TUN, always in UDP
 * 4500): IKEv1 main mode with a pre-shared key and quick mode run over the dataplane's own ports
 * (punted to the control process, answered by injected packets), the SAs go to the dataplane,
 * and a host behind Sluice pings an address inside strongSwan's protected network through the
 * tunnel; strongSwan's own counters see the packets.
 */
class RunStrongSwanTest
{
    private static final String CHARON = "/usr/lib/ipsec/charon";
    private static final String SWANCTL = "/usr/sbin/swanctl";
    private static final String PSK = "run-interop-psk-4242";

    private NetnsLab lab;
    private Path dir;
    private Process gateway;
    private Process charon;
    private final StringBuffer log = new StringBuffer();

    @BeforeEach
    void setUp() throws Exception
    {
        String why = NetnsLab.unavailableReason();
        if (why == null && !Files.isExecutable(Path.of(CHARON)))
        {
            why = "strongSwan not installed (apt-get install strongswan strongswan-swanctl libcharon-extra-plugins " +
                "libstrongswan-standard-plugins libstrongswan-extra-plugins)";
        }
        if (why != null)
        {
            System.out.println("SKIPPED " + getClass().getSimpleName() + ": " + why);
        }
        assumeTrue(why == null, why);
        lab = NetnsLab.create();
        dir = Files.createTempDirectory("sluice-run-swan-");
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (gateway != null)
        {
            gateway.destroy();
            gateway.waitFor(20, TimeUnit.SECONDS);
        }
        if (lab != null)
        {
            lab.close(); // charon and everything else it spawned, then the namespaces
        }
        if (dir != null)
        {
            try (var files = Files.walk(dir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aHostBehindSluicePingsThroughAnIkev1TunnelToStrongSwan() throws Exception
    {
        final String host = lab.namespace("h");
        final String gw = lab.namespace("g");
        final String swan = lab.namespace("s");
        final String[] lan = lab.veth(host, "10.1.0.10/24", gw, null);
        final String[] wan = lab.veth(gw, null, swan, "192.0.2.2/24");
        lab.exec(host, "ip", "route", "add", "default", "via", "10.1.0.1");
        lab.exec(swan, "ip", "addr", "add", "10.2.0.1/24", "dev", "lo");
        // charon's side: the route back to the gateway's WAN for IKE; kernel-libipsec routes 10.1.0.0/24 itself
        startCharon(swan);

        final Path config = dir.resolve("gw.conf");
        Files.writeString(config, """
            hostname gw-a
            crypto isakmp policy 10
             encryption aes 256
             hash sha256
             authentication pre-share
             group 14
            crypto isakmp key %s address 192.0.2.2
            crypto isakmp keepalive 10 2
            crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
            access-list 110 permit ip 10.1.0.0 0.0.0.255 10.2.0.0 0.0.0.255
            crypto map VPN 10 ipsec-isakmp
             set peer 192.0.2.2
             set transform-set TS
             match address 110
            interface %s
             ip address 10.1.0.1 255.255.255.0
            interface %s
             ip address 192.0.2.1 255.255.255.0
             crypto map VPN
            """.formatted(PSK, lan[1], wan[0]));
        gateway = lab.spawn(gw, ProcessHandle.current().info().command().orElse("java"),
            "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
            "io.sluice.tools.Main", "run", "-c", config.toString());
        Thread.ofVirtual().start(() ->
        {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(gateway.getInputStream(),
                StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    log.append(line).append('\n');
                }
            }
            catch (final Exception ignored)
            {
                // the gateway ended
            }
        });
        await(() -> log.toString().contains("installed on VPN/10"), 60_000, "the SAs negotiated by IKE installed");
        assertTrue(swanctl("--list-sas").contains("INSTALLED"), "strongSwan installed the child SA");

        lab.tryExec(host, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.2.0.1"); // ARP on both sides
        final String ping = lab.exec(host, "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.2.0.1");
        assertTrue(ping.contains(" 0% packet loss"), ping + "\n" + log + swanctl("--list-sas") + charonLog());
        final String sas = swanctl("--list-sas");
        assertTrue(sas.matches("(?s).*in\\s+[0-9a-f]+.*\\b([5-9]|\\d\\d+) packets.*"), "strongSwan counted them: " + sas);

        final String isakmp = ctl(gw, "show", "crypto", "isakmp", "sa");
        assertTrue(isakmp.contains("QM_IDLE"), isakmp);
        final String ipsec = ctl(gw, "show", "crypto", "ipsec", "sa");
        assertTrue(ipsec.contains("transform: esp-aes 256 esp-sha256-hmac"), ipsec);
        // reference 004's show crypto isakmp policy: the configured policy with its defaults, then the default suite
        final String policy = ctl(gw, "show", "crypto", "isakmp", "policy");
        assertTrue(policy.contains("""
            Protection suite of priority 10
              encryption algorithm:    AES - Advanced Encryption Standard (256 bit keys).
              hash algorithm:          Secure Hash Standard 2 (256 bit)
              authentication method:   Pre-Shared Key
              Diffie-Hellman group:    #14 (2048 bit)
              lifetime:                86400 seconds, no volume limit
            Default protection suite
              encryption algorithm:    DES - Data Encryption Standard (56 bit keys).
            """), policy);
        final String session = ctl(gw, "show", "crypto", "session");
        assertTrue(session.contains("Interface: VPN/10\nSession status: UP-ACTIVE\nPeer: 192.0.2.2 port "), session);
        assertTrue(session.matches("(?s).*IKEv1 SA: local 192\\.0\\.2\\.1/\\d+ remote 192\\.0\\.2\\.2/\\d+ Active.*"),
            session);
        assertTrue(session.contains("IPSEC FLOW: permit ip 10.1.0.0/255.255.255.0 10.2.0.0/255.255.255.0\n" +
            "        Active SAs: 2, origin: crypto map"), session);

        // clear crypto session for the peer: deleted with notifications (strongSwan drops its SA), negotiated again
        final String before = swanctl("--list-sas");
        ctl(gw, "clear", "crypto", "session", "remote", "192.0.2.2");
        await(() -> log.toString().contains("clear crypto session remote 192.0.2.2: its SAs deleted"), 10_000,
            "the session cleared");
        await(() -> occurrences(log.toString(), "installed on VPN/10") >= 2, 30_000, "the SAs negotiated again");
        await(() -> swanctl("--list-sas").contains("INSTALLED") && !sameSpis(before, swanctl("--list-sas")), 10_000,
            "strongSwan holding the new SAs only");
        assertTrue(charonLog().contains("received DELETE for"), "Sluice told strongSwan: " + charonLog());
        lab.exec(host, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.1");

        // on-demand DPD, as references 000/002 describe it: strongSwan dies; while the host keeps sending, the
        // dataplane reports the peer silent, R-U-THERE goes out and is retried, and the peer is declared dead
        charon.descendants().forEach(ProcessHandle::destroyForcibly);
        charon.destroyForcibly();
        charon.waitFor(5, TimeUnit.SECONDS);
        final Process traffic = lab.spawn(host, "ping", "-i", "0.2", "-w", "45", "10.2.0.1");
        await(() -> log.toString().contains("Crypto tunnel is DOWN. Peer 192.0.2.2:"), 45_000,
            "the peer declared dead by on-demand DPD");
        traffic.destroy();
        assertTrue(log.toString().contains("silent while we send: DPD on demand"), log.toString());
        await(() -> log.toString().contains(" deleted: "), 10_000, "its SAs deleted");
        assertFalse(log.toString().contains(PSK), "the pre-shared key is never logged");
    }

    private static int occurrences(final String s, final String text)
    {
        int n = 0;
        for (int i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + 1))
        {
            n++;
        }
        return n;
    }

    /** True when two swanctl --list-sas outputs show the same inbound SPIs. */
    private static boolean sameSpis(final String a, final String b)
    {
        final java.util.function.Function<String, java.util.Set<String>> spis = t ->
        {
            final java.util.Set<String> out = new java.util.HashSet<>();
            final java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\bin\\s+([0-9a-f]{8})").matcher(t);
            while (m.find())
            {
                out.add(m.group(1));
            }
            return out;
        };
        return spis.apply(a).equals(spis.apply(b));
    }

    private String ctl(final String ns, final String... command)
    {
        final List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
            "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
            "io.sluice.tools.Main", "ctl", "-n", ns));
        cmd.addAll(List.of(command));
        final NetnsLab.Result r = NetnsLab.execute(cmd.toArray(String[]::new));
        assertTrue(r.status() == 0, "ctl " + String.join(" ", command) + ": " + r.output());
        return r.output();
    }

    private void startCharon(final String ns) throws Exception
    {
        final Path conf = dir.resolve("strongswan.conf");
        Files.writeString(conf, """
            charon {
              filelog {
                run {
                  path = %1$s/charon.log
                  time_format = %%T
                  default = 1
                  ike = 2
                  flush_line = yes
                }
              }
              load = random nonce openssl aes sha1 sha2 md5 hmac gmp curve25519 kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici updown
              retransmit_timeout = 1.0
              retransmit_tries = 3
              plugins {
                vici {
                  socket = unix://%1$s/charon.vici
                }
              }
            }
            swanctl {
              socket = unix://%1$s/charon.vici
            }
            """.formatted(dir));
        Files.writeString(dir.resolve("swanctl.conf"), """
            connections {
              sluice {
                version = 1
                local_addrs = 192.0.2.2
                remote_addrs = 192.0.2.1
                proposals = aes256-sha256-modp2048
                encap = yes
                local {
                  auth = psk
                  id = 192.0.2.2
                }
                remote {
                  auth = psk
                  id = 192.0.2.1
                }
                children {
                  net {
                    local_ts = 10.2.0.0/24
                    remote_ts = 10.1.0.0/24
                    esp_proposals = aes256-sha256
                    mode = tunnel
                    start_action = none
                  }
                }
              }
            }
            secrets {
              ike-sluice {
                id = 192.0.2.1
                secret = "%s"
              }
            }
            """.formatted(PSK));
        charon = lab.spawn(ns, "env", "STRONGSWAN_CONF=" + conf, "unshare", "-m", "--propagation", "private",
            "sh", "-c", "mount -t tmpfs tmpfs /run && exec " + CHARON);
        await(() -> Files.exists(dir.resolve("charon.vici")) &&
            NetnsLab.execute(SWANCTL, "--stats", "--uri", "unix://" + dir.resolve("charon.vici")).status() == 0,
            10_000, "charon's vici socket");
        swanctl("--load-all", "--file", dir.resolve("swanctl.conf").toString());
    }

    private String swanctl(final String... args)
    {
        final List<String> cmd = new ArrayList<>(List.of("env", "STRONGSWAN_CONF=" + dir.resolve("strongswan.conf"),
            SWANCTL));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--uri", "unix://" + dir.resolve("charon.vici")));
        final NetnsLab.Result r = NetnsLab.execute(cmd.toArray(String[]::new));
        if (r.status() != 0)
        {
            throw new AssertionError("swanctl " + String.join(" ", args) + " failed (" + r.status() + "): " + r.output());
        }
        return r.output();
    }

    private String charonLog()
    {
        try
        {
            return Files.readString(dir.resolve("charon.log"));
        }
        catch (final Exception e)
        {
            return "(no charon log: " + e.getMessage() + ")";
        }
    }

    private void await(final BooleanSupplier condition, final long millis, final String what) throws Exception
    {
        final long until = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean())
        {
            if (System.currentTimeMillis() > until || (gateway != null && !gateway.isAlive()))
            {
                throw new AssertionError("waiting for " + what + ":\n" + log + "\n" + charonLog());
            }
            Thread.sleep(50);
        }
    }
}
