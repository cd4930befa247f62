package io.sluice.controlplane.config;

import io.sluice.controlplane.config.InterfaceConfig.Kind;
import io.sluice.controlplane.config.InterfaceConfig.TunnelMode;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every configuration example of ../shared/reference/ loads (extracted into
 * src/test/resources/config/ref-NNN-*.conf, each saying at its top how interface names were
 * mapped and what else had to change), and means what the references say it means.
 */
class ConfigReferenceExamplesTest
{
    static List<String> referenceFiles()
    {
        return ConfigFiles.names("", "ref-*.conf");
    }

    @Test
    void everyReferenceHasItsExamples()
    {
        final List<String> files = referenceFiles();
        for (final String reference : List.of("ref-000-", "ref-001-", "ref-002-", "ref-003-", "ref-004-"))
        {
            assertTrue(files.stream().anyMatch(f -> f.startsWith(reference)), reference + " has no example file");
        }
        assertEquals(17, files.size(), files.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("referenceFiles")
    void loads(final String file) throws ConfigException
    {
        final ParsedConfig parsed = ConfigFiles.parse(file);
        assertTrue(parsed.notes().stream().noneMatch(n -> n.severity() == ConfigMessage.Severity.ERROR));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("referenceFiles")
    void saysHowInterfaceNamesWereMapped(final String file)
    {
        final String header = ConfigFiles.read(file).lines().takeWhile(l -> l.startsWith("!")).toList().toString();
        assertTrue(header.contains("Interface names:") || header.contains("No interface names"), header);
        assertTrue(header.contains("Reference 00"), header);
    }

    @Test
    void siteToSiteRunsPeriodicDpdAndProtectsEth0() throws ConfigException
    {
        final Config c = ConfigFiles.parse("ref-000-site-to-site.conf").config();
        assertEquals(new Isakmp.Keepalive(10, 2, Isakmp.DpdMode.PERIODIC), c.isakmp().keepalive().orElseThrow());
        assertEquals(new Isakmp.Policy(1, Isakmp.Encryption.TRIPLE_DES, Isakmp.Hash.SHA,
            Isakmp.Authentication.PRE_SHARE, DhGroup.GROUP2, 86400), c.isakmp().policies().get(0));
        final Isakmp.PresharedKey key = c.isakmp().keys().get(0);
        assertEquals("kd94j1ksldz", key.key().value());
        assertEquals(new Ip4Subnet(Ip4.parse("10.2.80.209"), 24), key.address().orElseThrow());
        assertTrue(key.matches(Ip4.parse("10.2.80.1")));
        final Ipsec.TransformSet set = c.ipsec().transformSet("esp-3des-sha").orElseThrow();
        assertEquals(EspEncryption.DES3_CBC, set.encryption());
        assertEquals(24, set.encryption().keyLength());
        assertEquals(EspIntegrity.HMAC_SHA1_96, set.integrity());
        assertEquals(Ipsec.EncapsulationMode.TUNNEL, set.mode());
        final CryptoMap.Entry entry = c.cryptoMap("test").orElseThrow().entries().get(0);
        assertEquals(List.of(CryptoMap.Peer.of(Ip4.parse("10.2.80.209"))), entry.peers());
        assertEquals(Optional.of("101"), entry.matchAddress());
        assertEquals(Ipsec.Lifetime.DEFAULT, entry.lifetime());
        final InterfaceConfig eth0 = c.interfaceNamed("eth0").orElseThrow();
        assertEquals(Optional.of("test"), eth0.cryptoMap());
        assertEquals(new Ip4Subnet(Ip4.parse("10.1.32.14"), 24), eth0.address().orElseThrow());
    }

    @Test
    void failoverPeersKeepTheirOrder() throws ConfigException
    {
        final Config c = ConfigFiles.parse("ref-000-multiple-peers.conf").config();
        assertEquals(List.of("10.0.0.1", "10.0.0.2", "10.0.0.3"),
            c.cryptoMap("green").orElseThrow().entries().get(0).peers().stream().map(CryptoMap.Peer::text).toList());
        final Config ezvpn = ConfigFiles.parse("ref-000-ezvpn-multiple-peers.conf").config();
        final EzvpnClient client = ezvpn.ezvpnClient("ezvpn-config").orElseThrow();
        assertEquals(List.of("10.10.10.10", "10.2.2.2", "10.3.3.3"),
            client.peers().stream().map(CryptoMap.Peer::text).toList());
        assertEquals(EzvpnClient.Connect.AUTO, client.connect());
        assertEquals(EzvpnClient.Mode.CLIENT, client.mode());
        assertEquals("preshared", client.group().orElseThrow().key().value());
    }

    @Test
    void easyVpnRemoteHasItsInsideAndOutside() throws ConfigException
    {
        final Config c = ConfigFiles.parse("ref-000-ezvpn-dpd.conf").config();
        assertEquals(new Isakmp.Keepalive(30, 20, Isakmp.DpdMode.PERIODIC), c.isakmp().keepalive().orElseThrow());
        assertTrue(c.interfaceNamed("eth1").orElseThrow().ezvpn().orElseThrow().inside());
        assertFalse(c.interfaceNamed("eth0").orElseThrow().ezvpn().orElseThrow().inside());
    }

    @Test
    void dmvpnHubIsAMultipointTunnelProtectedByItsProfile() throws ConfigException
    {
        final ParsedConfig parsed = ConfigFiles.parse("ref-003-hub-sv9-2.conf");
        final Config c = parsed.config();
        final InterfaceConfig tunnel = c.interfaceNamed("Tunnel0").orElseThrow();
        assertEquals(Kind.TUNNEL, tunnel.kind());
        assertEquals(OptionalInt.of(1440), tunnel.ipMtu());
        final InterfaceConfig.Tunnel t = tunnel.tunnel().orElseThrow();
        assertEquals(TunnelMode.GRE_MULTIPOINT, t.mode());
        assertEquals(Optional.of(new InterfaceConfig.SourceInterface("eth0")), t.source());
        assertEquals(Optional.empty(), t.destination());
        assertEquals(OptionalLong.of(0), t.key());
        assertEquals(Optional.of(new InterfaceConfig.TunnelProtection("cisco", false)), t.protection());
        final InterfaceConfig.Nhrp nhrp = tunnel.nhrp().orElseThrow();
        assertEquals("cisco123", nhrp.authentication().orElseThrow().value());
        assertTrue(nhrp.multicastDynamic());
        assertEquals(OptionalLong.of(1), nhrp.networkId());
        assertEquals(7200, nhrp.holdtime());
        assertEquals(2400, nhrp.effectiveRegistrationTimeout());

        // What the document's debug output shows being negotiated: DES-CBC, MD5, group 1, pre-share,
        // 86400 s (0x15180) for IKE; esp-3des esp-md5-hmac, 120 s and 4608000 KB for IPsec.
        assertEquals(new Isakmp.Policy(10, Isakmp.Encryption.DES, Isakmp.Hash.MD5, Isakmp.Authentication.PRE_SHARE,
            DhGroup.GROUP1, 0x15180), c.isakmp().policies().get(0));
        final Ipsec.Profile profile = c.ipsec().profile("cisco").orElseThrow();
        assertEquals(new Ipsec.Lifetime(120, 4_608_000), profile.lifetime());
        assertEquals(List.of("strong"), profile.transformSets());
        final Ipsec.TransformSet strong = c.ipsec().transformSet("strong").orElseThrow();
        assertEquals("esp-3des esp-md5-hmac", strong.transforms());
        assertEquals(EspIntegrity.HMAC_MD5_96, strong.integrity());

        assertEquals(new DataplaneSettings(DataplaneSettings.IoBackend.AFXDP, List.of("eth0", "eth1"), List.of(3),
            true, true), c.dataplane());
        assertEquals(1, parsed.warnings().size(), parsed.warnings().toString());
        assertTrue(parsed.warnings().get(0).message().contains("10.66.79.193"));
    }

    @Test
    void dmvpnSpokesRegisterWithTheHub() throws ConfigException
    {
        for (final String spoke : List.of("ref-003-spoke-sv9-3.conf", "ref-003-spoke-sv9-4.conf"))
        {
            final ParsedConfig parsed = ConfigFiles.parse(spoke);
            final InterfaceConfig.Nhrp nhrp =
                parsed.config().interfaceNamed("Tunnel0").orElseThrow().nhrp().orElseThrow();
            assertEquals(List.of(new InterfaceConfig.NhrpServer(Ip4.parse("192.168.1.1"), Optional.empty(), false)),
                nhrp.servers(), spoke);
            assertEquals(List.of(new InterfaceConfig.NhrpMap(Ip4.parse("192.168.1.1"), Ip4.parse("209.168.202.225"))),
                nhrp.maps(), spoke);
            assertEquals(List.of(Ip4.parse("209.168.202.225")), nhrp.multicastNbma(), spoke);
            assertEquals(List.of(), parsed.warnings(), spoke);
            assertTrue(parsed.ignored().size() >= 15, spoke);
        }
    }

    @Test
    void ikePoliciesGetTheDefaultsShowCryptoIsakmpPolicyPrints() throws ConfigException
    {
        final Isakmp isakmp = ConfigFiles.parse("ref-004-3des-policies.conf").config().isakmp();
        assertEquals(List.of(
            new Isakmp.Policy(15, Isakmp.Encryption.TRIPLE_DES, Isakmp.Hash.MD5, Isakmp.Authentication.RSA_SIG,
                DhGroup.GROUP2, 5000),
            new Isakmp.Policy(20, Isakmp.Encryption.DES, Isakmp.Hash.SHA, Isakmp.Authentication.PRE_SHARE,
                DhGroup.GROUP1, 10000),
            new Isakmp.Policy(65536, Isakmp.Encryption.DES, Isakmp.Hash.SHA, Isakmp.Authentication.RSA_SIG,
                DhGroup.GROUP1, 86400)), isakmp.effectivePolicies());
        assertEquals(Optional.of(new Ip4Subnet(Ip4.parse("192.168.224.33"), 32)), isakmp.keys().get(0).address());
    }

    @Test
    void aesPolicyAndTransportModeTransformSet() throws ConfigException
    {
        final Config c = ConfigFiles.parse("ref-004-aes-policy.conf").config();
        assertEquals(Optional.of("Router1"), c.hostname());
        assertEquals(Isakmp.Encryption.AES_256, c.isakmp().policies().get(0).encryption());
        assertEquals(32, c.isakmp().policies().get(0).encryption().keyLength());
        assertEquals(180, c.isakmp().policies().get(0).lifetimeSeconds());
        assertEquals(new Ipsec.TransformSet("aesset", EspEncryption.AES_CBC_256, EspIntegrity.HMAC_SHA1_96,
            Ipsec.EncapsulationMode.TRANSPORT), c.ipsec().transformSet("aesset").orElseThrow());
    }

    @Test
    void ikeTaskStepsGiveKeysIdentitiesAndModeConfig() throws ConfigException
    {
        final Config c = ConfigFiles.parse("ref-004-task-steps.conf").config();
        final Isakmp isakmp = c.isakmp();
        assertEquals(Isakmp.Identity.ADDRESS, isakmp.identity());
        assertEquals(4, isakmp.keys().size());
        assertTrue(isakmp.keys().get(0).noXauth());
        assertEquals(Optional.of("RemoteRouter.example.com"), isakmp.keys().get(1).hostname());
        assertEquals(Optional.of("pool1"), isakmp.clientAddressPool());
        assertEquals(new LocalPool("pool1", Ip4.parse("172.16.23.0"), Ip4.parse("172.16.23.255")), c.localPools().get(0));
        assertEquals(Optional.of(CryptoMap.ClientConfiguration.INITIATE),
            c.cryptoMap("dyn").orElseThrow().clientConfiguration());
        assertEquals(Optional.of(DhGroup.GROUP14), c.cryptoMap("example").orElseThrow().entries().get(0).pfs());
    }

    @Test
    void rsaPublicKeysEnteredByHand() throws ConfigException
    {
        final List<RsaPublicKey> keys = ConfigFiles.parse("ref-004-pubkey-chain.conf").config().rsaPublicKeys();
        assertEquals(3, keys.size());
        assertEquals("otherpeer.example.com", keys.get(0).name());
        assertEquals(Optional.of(Ip4.parse("10.5.5.1")), keys.get(0).address());
        assertEquals(RsaPublicKey.Usage.GENERAL, keys.get(0).usage());
        assertEquals(94, keys.get(0).key().length());
        assertEquals(RsaPublicKey.Usage.ENCRYPTION, keys.get(1).usage());
        assertEquals(RsaPublicKey.Usage.SIGNATURE, keys.get(2).usage());
        assertTrue(keys.get(2).addressed());
    }

    @Test
    void l2tpHighAvailability() throws ConfigException
    {
        final Config vpdn = ConfigFiles.parse("ref-001-vpdn-group.conf").config();
        assertTrue(vpdn.vpdn().enabled());
        assertTrue(vpdn.vpdn().l2tpSso());
        final Vpdn.Group group = vpdn.vpdn().groups().get(0);
        assertEquals("example", group.name());
        assertTrue(group.sso());
        assertEquals(OptionalInt.of(4), group.resync());
        assertEquals(OptionalInt.of(30), group.retransmitRetries());
        assertEquals(OptionalInt.of(8), group.retransmitTimeoutMin());
        assertEquals(OptionalInt.of(250), ConfigFiles.parse("ref-001-resync.conf").config().vpdn().groups().get(0).resync());
        assertEquals(Optional.of(Redundancy.SSO), ConfigFiles.parse("ref-001-redundancy-sso.conf").config().redundancy());
        assertTrue(ConfigFiles.parse("ref-001-l2tp-ha.conf").config().vpdn().l2tpSso());
    }
}
