package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.ConfigParser;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.ike.ChildSa;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static io.sluice.controlplane.ike.v1.Settings.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engine settings come from the parsed IOS configuration, and two gateways configured so negotiate. */
class Ikev1SettingsFromConfigTest
{
    private static String config(final String peer, final String local, final String remote)
    {
        return """
            hostname gw
            crypto isakmp policy 10
             encryption aes 256
             hash sha256
             authentication pre-share
             group 14
             lifetime 3600
            crypto isakmp key s3cret address %1$s
            crypto isakmp keepalive 10 2 periodic
            crypto ipsec transform-set txfm esp-aes 256 esp-sha-hmac
            crypto map green 1 ipsec-isakmp
             set peer %1$s
             set peer 10.9.9.9
             set transform-set txfm
             set pfs group14
             match address 101
            access-list 101 permit ip %2$s 0.0.0.255 %3$s 0.0.0.255
            """.formatted(peer, local, remote);
    }

    @Test
    void settingsFollowTheCryptoCommands() throws Exception
    {
        final var parsed = new ConfigParser().parse("gw.conf", config("192.0.2.2", "192.168.1.0", "192.168.2.0"));
        final Ikev1Settings s = Ikev1Settings.fromConfig(parsed.config(), ip("192.0.2.1"));
        assertEquals(2, s.policies().size(), "policy 10 and the default suite");
        assertEquals(Isakmp.DEFAULT_SUITE, s.policies().get(1));
        assertEquals(new Ikev1Settings.Dpd(10_000, 2_000, Isakmp.DpdMode.PERIODIC), s.dpd());
        assertNotNull(s.keyFor(ip("192.0.2.2")));
        assertNull(s.keyFor(ip("10.9.9.9")));
        final Ikev1Settings.Phase2Policy p = s.phase2For(ip("10.9.9.9"));
        assertEquals(14, p.pfsGroup());
        assertEquals(EspEncryption.AES_CBC_256, p.transformSets().get(0).encryption());
        assertEquals(EspIntegrity.HMAC_SHA1_96, p.transformSets().get(0).integrity());
        assertEquals("192.168.1.0/24", p.local().toString());
        assertEquals("192.168.2.0/24", p.remote().toString());
    }

    @Test
    void aPolicyWithoutItsCompanionConfigurationIsNotOffered() throws Exception
    {
        final var parsed = new ConfigParser().parse("gw.conf", config("192.0.2.2", "192.168.1.0", "192.168.2.0"));
        final Ikev1Settings s = Ikev1Settings.fromConfig(parsed.config(), ip("192.0.2.1"));
        final java.util.List<String> log = new java.util.ArrayList<>();
        final java.util.List<byte[]> sent = new java.util.ArrayList<>();
        final Ikev1Engine engine = new Ikev1Engine(s, (d, to, port) -> sent.add(d), new Ikev1Engine.Listener()
        {
        }, io.sluice.controlplane.ike.IkeLog.to(log::add, true), () -> 0L, new java.security.SecureRandom());
        // 10.9.9.9 has no pre-shared key, and the default suite wants RSA signatures: nothing to offer
        engine.initiate(new InetSocketAddress(ip("10.9.9.9"), 500));
        assertTrue(sent.isEmpty());
        assertTrue(log.stream().anyMatch(l -> l.contains("cannot initiate to 10.9.9.9")), log.toString());
        // 192.0.2.2 gets policy 10 only
        engine.initiate(new InetSocketAddress(ip("192.0.2.2"), 500));
        assertEquals(1, sent.size());
        assertTrue(log.stream().anyMatch(l -> l.contains("offering 1 policy")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains("policy 65536 (rsa-sig) not offered")), log.toString());
    }

    @Test
    void twoGatewaysConfiguredFromTextNegotiateTheirCryptoMap() throws Exception
    {
        final var a = Ikev1Settings.fromConfig(new ConfigParser().parse("a.conf",
            config("192.0.2.2", "192.168.1.0", "192.168.2.0")).config(), ip("192.0.2.1"));
        final var b = Ikev1Settings.fromConfig(new ConfigParser().parse("b.conf",
            config("192.0.2.1", "192.168.2.0", "192.168.1.0")).config(), ip("192.0.2.2"));
        final EnginePair p = new EnginePair(a, b, ip("198.51.100.7"));
        p.a.initiate(new InetSocketAddress(ip("192.0.2.2"), 500));
        p.run();
        assertEquals(1, p.childrenA.size(), p.logs());
        final ChildSa child = p.childrenB.get(0);
        assertEquals("192.168.2.0/24", child.localSelector());
        assertEquals("192.168.1.0/24", child.remoteSelector());
        assertEquals(14, child.pfsGroup());
        assertEquals(EspEncryption.AES_CBC_256, child.encryption());
    }
}
