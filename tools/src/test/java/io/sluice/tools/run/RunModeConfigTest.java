package io.sluice.tools.run;

import io.sluice.ffi.testkit.StrongSwan;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A remote-access gateway started with {@code sluice run -c}: a dynamic crypto map
 * ({@code crypto map VPN 65535 ipsec-isakmp dynamic DYN}), a wildcard pre-shared key and an
 * {@code ip local pool} lent by IKE mode configuration (reference 004). strongSwan 5.9.8 (charon,
 * kernel-libipsec) connects as a client with {@code vips = 0.0.0.0}, from an address the
 * configuration never names, and gets an address of the pool; the control process makes the
 * client a tunnel of its own and routes the lent address into it (reverse route injection), so a
 * host behind Sluice pings the client's virtual address. When the client leaves, the route goes;
 * when it comes back, it is routed again.
 */
class RunModeConfigTest extends AgainstStrongSwan
{
    private static final String PSK = "remote-access-psk-2718";
    private static final String VIP = "10.99.0.100";

    @Test
    void aStrongSwanClientGetsAPoolAddressAndTheHostBehindSluiceReachesItUntilItLeaves() throws Exception
    {
        final String host = lab.namespace("h");
        final String gw = lab.namespace("g");
        final String client = lab.namespace("s");
        final String[] lan = lab.veth(host, "10.1.0.10/24", gw, null);
        final String[] wan = lab.veth(gw, null, client, "192.0.2.2/24");
        lab.exec(host, "ip", "route", "add", "default", "via", "10.1.0.1");
        startCharon(client);

        final Path config = dir.resolve("gw.conf");
        Files.writeString(config, """
            hostname gw-ra
            crypto isakmp policy 10
             encryption aes 256
             hash sha256
             authentication pre-share
             group 14
             lifetime 3600
            crypto isakmp key %s address 0.0.0.0 0.0.0.0
            crypto isakmp client configuration address-pool local clients
            crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
            crypto dynamic-map clients-dyn 10
             set transform-set TS
             reverse-route
            crypto map VPN client configuration address respond
            crypto map VPN 65535 ipsec-isakmp dynamic clients-dyn
            interface %s
             ip address 10.1.0.1 255.255.255.0
            interface %s
             ip address 192.0.2.1 255.255.255.0
             crypto map VPN
            ip local pool clients %s 10.99.0.110
            """.formatted(PSK, lan[1], wan[0], VIP));
        gateway = RunningGateway.start(lab, gw, config);
        await(() -> gateway.log().contains("sent to the dataplane"), 60_000, "the gateway programmed");
        gateway.ctl("debug", "crypto", "isakmp"); // a failed negotiation says why in the log

        // the client connects from an address the gateway's configuration never names
        connect();
        final String installed = "route " + VIP + "/32 -> peer 192.0.2.2 installed (VPN/65535/1, mode config address)";
        await(() -> gateway.log().contains(installed), 30_000, "the lent address routed to the client");
        assertTrue(gateway.log().contains("mode config: assigned " + VIP + " from pool clients to 192.0.2.2"),
            gateway.log());
        final String sas = swanctl("--list-sas");
        assertTrue(sas.contains("INSTALLED") && sas.matches("(?s).*local\\s+" + Pattern.quote(VIP) + "/32.*"),
            "strongSwan's side of the child is the lent address: " + sas);
        // kernel-libipsec puts the virtual IP on the client host
        await(() -> lab.tryExec(client, "ip", "-4", "addr").output().contains(VIP + "/32"), 10_000,
            "strongSwan installing " + VIP);

        pingTheClient(host);
        final String ipsec = gateway.ctl("show", "crypto", "ipsec", "sa");
        assertTrue(ipsec.contains("interface: VPN/65535/1") && ipsec.contains("current_peer 192.0.2.2"), ipsec);
        assertTrue(counted(ipsec, "encaps") >= 5 && counted(ipsec, "decaps") >= 5, "Sluice counted them: " + ipsec);
        final String routes = gateway.ctl("show", "ip", "route");
        assertTrue(routes.contains("S        " + VIP + "/32 [1/0] via 192.0.2.2, VPN/65535/1"), routes);

        // the client leaves: its SAs are deleted, and the route with them
        swanctl("--terminate", "--ike", "sluice");
        final String removed = "route " + VIP + "/32 -> peer 192.0.2.2 removed";
        await(() -> gateway.log().contains(removed), 20_000, "the route to the departed client removed");
        assertTrue(gateway.log().contains("dynamic peer 192.0.2.2: no SAs left; IPsec tunnel VPN/65535/1 is free"),
            gateway.log());
        final String after = gateway.ctl("show", "ip", "route");
        assertFalse(after.contains(VIP), after);
        assertFalse(gateway.ctl("show", "crypto", "ipsec", "sa").contains("VPN/65535/1"), "its SAs are gone");

        // back again: the same address, the same tunnel, routed again
        connect();
        await(() -> gateway.log().indexOf(installed) != gateway.log().lastIndexOf(installed), 30_000,
            "the returning client routed again");
        assertTrue(gateway.log().contains("IPsec tunnel VPN/65535/1 reused"), gateway.log());
        await(() -> lab.tryExec(client, "ip", "-4", "addr").output().contains(VIP + "/32"), 10_000,
            "strongSwan installing " + VIP + " again");
        pingTheClient(host);
        assertFalse(gateway.log().contains(PSK), "the pre-shared key is never logged");
    }

    private void connect()
    {
        swanctl("--initiate", "--child", "net", "--timeout", "20");
    }

    private void pingTheClient(final String host)
    {
        lab.tryExec(host, "ping", "-c", "2", "-i", "0.2", "-W", "1", VIP); // ARP on the LAN
        final String ping = lab.exec(host, "ping", "-c", "5", "-i", "0.2", "-W", "2", VIP);
        assertTrue(ping.contains(" 0% packet loss"), ping + "\n" + gateway.log() + swanctl("--list-sas") + swan.log());
    }

    /** The first {@code #pkts encaps: N} (or decaps) of {@code show crypto ipsec sa}. */
    private static long counted(final String show, final String what)
    {
        final Matcher m = Pattern.compile("#pkts " + what + ": (\\d+)").matcher(show);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private void startCharon(final String ns) throws Exception
    {
        // a remote-access client: it asks for a virtual IP and wants the network behind the gateway
        swan = StrongSwan.start(lab, ns, dir, "ike = 2\ncfg = 2", "retransmit_timeout = 1.0\nretransmit_tries = 3",
            """
            connections {
              sluice {
                version = 1
                local_addrs = 192.0.2.2
                remote_addrs = 192.0.2.1
                proposals = aes256-sha256-modp2048
                encap = yes
                vips = 0.0.0.0
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
                    local_ts = dynamic
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
    }

    private String swanctl(final String... args)
    {
        return swan.swanctl(args);
    }

    private void await(final java.util.function.BooleanSupplier condition, final long millis, final String what)
        throws Exception
    {
        gateway.await(condition, millis, what, swan::log);
    }
}
