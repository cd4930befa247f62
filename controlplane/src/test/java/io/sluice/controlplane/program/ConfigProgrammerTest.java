package io.sluice.controlplane.program;

import io.sluice.controlplane.config.ConfigParser;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.program.DataplaneProgram;
import io.sluice.dataplane.program.SaSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Configurations to dataplane programming: what is called, in which order, and what is refused. */
class ConfigProgrammerTest
{
    private static final String KEY_E = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
    private static final String KEY_A = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";

    /** Records the calls as text; SAs kept whole. */
    static final class Recorder implements DataplaneProgram
    {
        final List<String> calls = new ArrayList<>();
        final List<SaSpec> sas = new ArrayList<>();

        private static String ip(final int a)
        {
            return (a >>> 24) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255);
        }

        @Override
        public void interfaceAddress(final String ifname, final int address, final int prefixLength)
        {
            calls.add("address " + ifname + " " + ip(address) + "/" + prefixLength);
        }

        @Override
        public void interfaceMtu(final String ifname, final int ipMtu, final int tcpAdjustMss)
        {
            calls.add("mtu " + ifname + " " + ipMtu + " " + tcpAdjustMss);
        }

        @Override
        public void greTunnel(final String name, final int source, final int destination, final Long key)
        {
            calls.add("gre " + name + " " + ip(source) + " " + ip(destination) + " " + key);
        }

        @Override
        public void protectTunnel(final String name)
        {
            calls.add("protect " + name);
        }

        @Override
        public void ipsecTunnel(final String name, final int source, final int destination)
        {
            calls.add("ipsec " + name + " " + ip(source) + " " + ip(destination));
        }

        @Override
        public void mgrePeer(final String tunnel, final int overlay, final int nbma)
        {
            calls.add("mgre " + tunnel + " " + ip(overlay) + " " + ip(nbma));
        }

        @Override
        public void route(final int prefix, final int length, final String ifname, final int nextHop)
        {
            calls.add("route " + ip(prefix) + "/" + length + " " + ifname + " " + ip(nextHop));
        }

        @Override
        public void nullRoute(final int prefix, final int length)
        {
            calls.add("null " + ip(prefix) + "/" + length);
        }

        @Override
        public void removeRoute(final int prefix, final int length)
        {
            calls.add("unroute " + ip(prefix) + "/" + length);
        }

        @Override
        public void addSa(final SaSpec sa)
        {
            calls.add("sa " + (sa.inbound() ? "in " : "out ") + sa.spi() + " " + sa.tunnel() + " " + sa.mode());
            sas.add(new SaSpec(sa.spi(), sa.inbound(), sa.mode(), sa.tunnel(), sa.peer(), sa.local(), sa.udpPort(),
                sa.encryption(), sa.encryptionKey().clone(), sa.integrity(), sa.integrityKey().clone(), sa.esn(),
                sa.replayWindow(), sa.lifetimeSeconds(), sa.lifetimeKilobytes()));
        }

        @Override
        public void deleteSa(final int spi, final boolean inbound)
        {
            calls.add("delete " + spi);
        }
    }

    private static ConfigProgrammer.Plan plan(final String text) throws Exception
    {
        return ConfigProgrammer.plan(new ConfigParser().parse("test.conf", text).config());
    }

    static final String GRE_OVER_IPSEC = """
        hostname gw-a
        interface eth-wan
         ip address 192.0.2.1 255.255.255.0
         crypto map VPN
        interface eth-lan
         ip address 10.1.0.1 255.255.255.0
         ip tcp adjust-mss 1360
        interface Tunnel0
         ip address 172.16.0.1 255.255.255.252
         ip mtu 1400
         tunnel source eth-wan
         tunnel destination 192.0.2.2
        crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
         mode transport
        access-list 101 permit gre host 192.0.2.1 host 192.0.2.2
        crypto map VPN 10 ipsec-manual
         set peer 192.0.2.2
         set transform-set TS
         match address 101
         set session-key inbound esp 257 cipher %s authenticator %s
         set session-key outbound esp 256 cipher %s authenticator %s
        ip route 10.2.0.0 255.255.255.0 Tunnel0
        ip route 0.0.0.0 0.0.0.0 192.0.2.254
        ip route 10.99.0.0 255.255.0.0 Null0
        """.formatted(KEY_E, KEY_A, KEY_A, KEY_E);

    @Test
    void greOverIpsecWithManualKeysProgramsTunnelProtectionAndBothSas() throws Exception
    {
        final ConfigProgrammer.Plan plan = plan(GRE_OVER_IPSEC);
        assertTrue(plan.ok(), plan.errors().toString());
        final Recorder r = new Recorder();
        plan.apply(r);
        assertEquals(List.of(
            "address eth-wan 192.0.2.1/24",
            "address eth-lan 10.1.0.1/24",
            "mtu eth-lan 0 1360",
            "gre Tunnel0 192.0.2.1 192.0.2.2 null",
            "address Tunnel0 172.16.0.1/30",
            "mtu Tunnel0 1400 0",
            "route 10.2.0.0/24 Tunnel0 0.0.0.0",
            "route 0.0.0.0/0 eth-wan 192.0.2.254",
            "null 10.99.0.0/16",
            "protect Tunnel0",
            "sa in 257 Tunnel0 TRANSPORT",
            "sa out 256 Tunnel0 TRANSPORT"), r.calls);
        final SaSpec in = r.sas.get(0);
        assertEquals(EspEncryption.AES_CBC_256, in.encryption());
        assertEquals(EspIntegrity.HMAC_SHA256_128, in.integrity());
        assertArrayEquals(HexFormat.of().parseHex(KEY_E), in.encryptionKey());
        assertArrayEquals(HexFormat.of().parseHex(KEY_A), in.integrityKey());
        assertEquals(0xc0000202, in.peer());
        assertEquals(0xc0000201, in.local());
        assertFalse(plan.notes().stream().anyMatch(n -> n.contains(KEY_E) || n.contains(KEY_A)), "no keys in the log");
    }

    @Test
    void aCryptoMapForSubnetsBecomesAnIpsecTunnelWithRoutes() throws Exception
    {
        final ConfigProgrammer.Plan plan = plan("""
            interface eth-wan
             ip address 192.0.2.1 255.255.255.0
             crypto map VPN
            crypto ipsec transform-set TS esp-aes esp-sha-hmac
            access-list 110 permit ip 10.1.0.0 0.0.0.255 10.2.0.0 0.0.0.255
            access-list 110 permit ip 10.1.0.0 0.0.0.255 10.3.0.0 0.0.255.255
            crypto map VPN 20 ipsec-manual
             set peer 198.51.100.7
             set transform-set TS
             match address 110
             set session-key inbound esp 300 cipher 000102030405060708090a0b0c0d0e0f authenticator 0001020304050607080910111213141516171819
             set session-key outbound esp 301 cipher 000102030405060708090a0b0c0d0e0f authenticator 0001020304050607080910111213141516171819
            """);
        assertTrue(plan.ok(), plan.errors().toString());
        final Recorder r = new Recorder();
        plan.apply(r);
        assertEquals(List.of(
            "address eth-wan 192.0.2.1/24",
            "ipsec VPN/20 192.0.2.1 198.51.100.7",
            "route 10.2.0.0/24 VPN/20 0.0.0.0",
            "route 10.3.0.0/16 VPN/20 0.0.0.0",
            "sa in 300 VPN/20 TUNNEL",
            "sa out 301 VPN/20 TUNNEL"), r.calls);
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("whatever its source")), plan.notes().toString());
    }

    @Test
    void badReferencesAreAllReportedAndNothingIsApplied() throws Exception
    {
        final ConfigProgrammer.Plan plan = plan("""
            interface eth-wan
             ip address 192.0.2.1 255.255.255.0
             crypto map VPN
            interface eth-lan
             ip address 10.1.0.1 255.255.255.0
            interface Tunnel0
             tunnel source eth-lan
            crypto ipsec transform-set TS esp-aes esp-sha-hmac
            access-list 110 permit icmp any any
            crypto map VPN 20 ipsec-manual
             set peer 198.51.100.7
             set transform-set TS
             match address 110
            ip route 10.9.0.0 255.255.0.0 203.0.113.1
            """);
        assertFalse(plan.ok());
        assertEquals(1, plan.errors().size(), plan.errors().toString());
        assertTrue(plan.errors().get(0).contains("crypto map VPN 20 ipsec-manual: needs both 'set session-key inbound'"),
            plan.errors().get(0));
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("Tunnel0: no tunnel destination and not multipoint: " +
            "down")), plan.notes().toString());
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("10.9.0.0/16: not installed: next hop 203.0.113.1")),
            plan.notes().toString());
        final Recorder r = new Recorder();
        assertThrows(IllegalStateException.class, () -> plan.apply(r));
        assertTrue(r.calls.isEmpty(), "nothing of a bad file is applied");
    }

    @Test
    void everyReferenceExamplePlansWithoutErrors() throws Exception
    {
        final java.nio.file.Path dir = java.nio.file.Path.of(getClass().getResource("/config").toURI());
        int planned = 0;
        try (var files = java.nio.file.Files.list(dir))
        {
            for (final java.nio.file.Path file : files.filter(f -> f.getFileName().toString().startsWith("ref-"))
                .sorted().toList())
            {
                final ConfigProgrammer.Plan plan = ConfigProgrammer.plan(new ConfigParser().load(file).config());
                assertTrue(plan.ok(), file.getFileName() + ": " + plan.errors());
                final Recorder r = new Recorder();
                plan.apply(r);
                planned++;
                if (file.getFileName().toString().startsWith("ref-003"))
                {
                    // the DMVPN hub and spokes: an mGRE tunnel with protection
                    assertTrue(r.calls.stream().anyMatch(c -> c.startsWith("gre Tunnel0")), r.calls.toString());
                    assertTrue(r.calls.contains("protect Tunnel0"), r.calls.toString());
                }
            }
        }
        assertTrue(planned >= 17, "reference examples planned: " + planned);
    }

    @Test
    void anIsakmpCryptoMapProgramsTheTunnelAndRoutesAndLeavesTheSasToIke() throws Exception
    {
        final ConfigProgrammer.Plan plan = plan("""
            interface eth-wan
             ip address 192.0.2.1 255.255.255.0
             crypto map VPN
            interface Tunnel5
             ip address 172.16.5.1 255.255.255.252
             tunnel source eth-wan
             tunnel destination 203.0.113.5
             tunnel protection ipsec profile P
            crypto isakmp policy 10
             authentication pre-share
            crypto isakmp key secret123 address 198.51.100.7
            crypto ipsec transform-set TS esp-aes esp-sha-hmac
            crypto ipsec transform-set TT esp-aes esp-sha-hmac
             mode transport
            crypto ipsec profile P
             set transform-set TT
            access-list 110 permit ip 10.1.0.0 0.0.0.255 10.2.0.0 0.0.0.255
            crypto map VPN 20 ipsec-isakmp
             set peer 198.51.100.7
             set transform-set TS
             match address 110
            """);
        assertTrue(plan.ok(), plan.errors().toString());
        final Recorder r = new Recorder();
        plan.apply(r);
        assertTrue(r.calls.contains("ipsec VPN/20 192.0.2.1 198.51.100.7"), r.calls.toString());
        assertTrue(r.calls.contains("route 10.2.0.0/24 VPN/20 0.0.0.0"), r.calls.toString());
        assertTrue(r.calls.contains("protect Tunnel5"), r.calls.toString());
        assertTrue(r.calls.stream().noneMatch(c -> c.startsWith("sa ")), "no SAs before IKE: " + r.calls);
        final ConfigProgrammer.IkePeer vpn = plan.ikePeer(0xc6336407);
        assertEquals("VPN/20", vpn.tunnel());
        assertEquals(SecurityAssociation.Mode.TUNNEL, vpn.mode());
        assertEquals(0xc0000201, vpn.local());
        final ConfigProgrammer.IkePeer gre = plan.ikePeer(0xcb007105);
        assertEquals("Tunnel5", gre.tunnel());
        assertEquals(SecurityAssociation.Mode.TRANSPORT, gre.mode());
    }

    @Test
    void transportModeForNonGreTrafficIsRefused() throws Exception
    {
        final ConfigProgrammer.Plan plan = plan("""
            interface eth-wan
             ip address 192.0.2.1 255.255.255.0
             crypto map VPN
            crypto ipsec transform-set TS esp-aes esp-sha-hmac
             mode transport
            access-list 110 permit ip 10.1.0.0 0.0.0.255 10.2.0.0 0.0.0.255
            crypto map VPN 20 ipsec-manual
             set peer 198.51.100.7
             set transform-set TS
             match address 110
             set session-key inbound esp 300 cipher 000102030405060708090a0b0c0d0e0f authenticator 0001020304050607080910111213141516171819
             set session-key outbound esp 301 cipher 000102030405060708090a0b0c0d0e0f authenticator 0001020304050607080910111213141516171819
            """);
        assertEquals(1, plan.errors().size());
        assertTrue(plan.errors().getFirst().contains("'mode transport', which protects only GRE"), plan.errors().toString());
        assertEquals(SecurityAssociation.Mode.TRANSPORT, SecurityAssociation.Mode.valueOf("TRANSPORT"));
    }
}
