package io.sluice.tools.run;

import io.sluice.ffi.testkit.StrongSwan;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Sluice gateway started with {@code sluice run -c} and a crypto map with {@code ipsec-isakmp}
 * against strongSwan 5.9.8 (charon, kernel-libipsec: ESP in user space over TUN, always in UDP
 * 4500): IKEv1 main mode with a pre-shared key and quick mode run over the dataplane's own ports
 * (punted to the control process, answered by injected packets), the SAs go to the dataplane,
 * and a host behind Sluice pings an address inside strongSwan's protected network through the
 * tunnel; strongSwan's own counters see the packets.
 */
class RunStrongSwanTest extends AgainstStrongSwan
{
    private static final String PSK = "run-interop-psk-4242";

    @Test
    void aHostBehindSluicePingsThroughAnIkev1TunnelToStrongSwan() throws Exception
    {
        final String host = lab.namespace("h");
        final String gw = lab.namespace("g");
        final String s = lab.namespace("s");
        final String[] lan = lab.veth(host, "10.1.0.10/24", gw, null);
        final String[] wan = lab.veth(gw, null, s, "192.0.2.2/24");
        lab.exec(host, "ip", "route", "add", "default", "via", "10.1.0.1");
        lab.exec(s, "ip", "addr", "add", "10.2.0.1/24", "dev", "lo");
        // charon's side: the route back to the gateway's WAN for IKE; kernel-libipsec routes 10.1.0.0/24 itself
        swan = StrongSwan.start(lab, s, dir, "ike = 2", "retransmit_timeout = 1.0\nretransmit_tries = 3", """
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
        gateway = RunningGateway.start(lab, gw, config);
        gateway.awaitLog("installed on VPN/10", 60_000, swan::log);
        assertTrue(swan.swanctl("--list-sas").contains("INSTALLED"), "strongSwan installed the child SA");

        lab.tryExec(host, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.2.0.1"); // ARP on both sides
        final String ping = lab.exec(host, "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.2.0.1");
        assertTrue(ping.contains(" 0% packet loss"), ping + "\n" + gateway.log() + swan.swanctl("--list-sas") +
            swan.log());
        final String sas = swan.swanctl("--list-sas");
        assertTrue(sas.matches("(?s).*in\\s+[0-9a-f]+.*\\b([5-9]|\\d\\d+) packets.*"), "strongSwan counted them: " + sas);

        final String isakmp = gateway.ctl("show", "crypto", "isakmp", "sa");
        assertTrue(isakmp.contains("QM_IDLE"), isakmp);
        final String ipsec = gateway.ctl("show", "crypto", "ipsec", "sa");
        assertTrue(ipsec.contains("transform: esp-aes 256 esp-sha256-hmac"), ipsec);
        // reference 004's show crypto isakmp policy: the configured policy with its defaults, then the default suite
        final String policy = gateway.ctl("show", "crypto", "isakmp", "policy");
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
        final String session = gateway.ctl("show", "crypto", "session");
        assertTrue(session.contains("Interface: VPN/10\nSession status: UP-ACTIVE\nPeer: 192.0.2.2 port "), session);
        assertTrue(session.matches("(?s).*IKEv1 SA: local 192\\.0\\.2\\.1/\\d+ remote 192\\.0\\.2\\.2/\\d+ Active.*"),
            session);
        assertTrue(session.contains("IPSEC FLOW: permit ip 10.1.0.0/255.255.255.0 10.2.0.0/255.255.255.0\n" +
            "        Active SAs: 2, origin: crypto map"), session);

        // clear crypto session for the peer: deleted with notifications (strongSwan drops its SA), negotiated again
        final String before = swan.swanctl("--list-sas");
        gateway.ctl("clear", "crypto", "session", "remote", "192.0.2.2");
        gateway.awaitLog("clear crypto session remote 192.0.2.2: its SAs deleted", 10_000, swan::log);
        gateway.await(() -> gateway.occurrences("installed on VPN/10") >= 2, 30_000, "the SAs negotiated again",
            swan::log);
        gateway.await(() -> swan.swanctl("--list-sas").contains("INSTALLED") &&
            !sameSpis(before, swan.swanctl("--list-sas")), 10_000, "strongSwan holding the new SAs only", swan::log);
        assertTrue(swan.log().contains("received DELETE for"), "Sluice told strongSwan: " + swan.log());
        lab.exec(host, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.1");

        // on-demand DPD, as references 000/002 describe it: strongSwan dies; while the host keeps sending, the
        // dataplane reports the peer silent, R-U-THERE goes out and is retried, and the peer is declared dead
        swan.kill();
        final Process traffic = lab.spawn(host, "ping", "-i", "0.2", "-w", "45", "10.2.0.1");
        gateway.awaitLog("Crypto tunnel is DOWN. Peer 192.0.2.2:", 45_000, swan::log);
        traffic.destroy();
        assertTrue(gateway.contains("silent while we send: DPD on demand"), gateway.log());
        gateway.awaitLog(" deleted: ", 10_000, swan::log);
        assertFalse(gateway.contains(PSK), "the pre-shared key is never logged");
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
}
