package io.sluice.controlplane.config;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the language behaves: IOS's modes, abbreviations and defaults. */
class ConfigParserTest
{
    private static final String SITE = """
        crypto isakmp policy 10
         encryption aes 256
         authentication pre-share
        crypto isakmp key k3y address 192.0.2.2
        crypto ipsec transform-set ts esp-aes 256 esp-sha-hmac
        crypto map vpn 10 ipsec-isakmp
         set peer 192.0.2.2
         set transform-set ts
         match address 101
        interface eth0
         ip address 192.0.2.1 255.255.255.0
         crypto map vpn
        access-list 101 permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
        """;

    private static Config config(final String text) throws ConfigException
    {
        return ConfigFiles.parseText(text).config();
    }

    private static List<String> errors(final String text)
    {
        return assertThrows(ConfigException.class, () -> ConfigFiles.parseText(text)).errors().stream()
            .map(ConfigMessage::toString).toList();
    }

    @Test
    void indentationMeansNothing() throws ConfigException
    {
        final String flat = SITE.lines().map(String::strip).reduce("", (a, b) -> a + b + "\n");
        final String odd = SITE.lines().map(l -> "   " + l.strip() + "\t").reduce("", (a, b) -> a + b + "\r\n");
        assertEquals(config(SITE), config(flat));
        assertEquals(config(SITE), config(odd));
    }

    @Test
    void keywordsMayBeAbbreviatedAsIosAllows() throws ConfigException
    {
        final String abbreviated = """
            cry isa pol 10
             encr aes 256
             auth pre
            cry isa key k3y add 192.0.2.2
            cry ipsec transform-set ts esp-aes 256 esp-sha-h
            cry map vpn 10 ipsec-isakmp
             set pe 192.0.2.2
             set tr ts
             mat add 101
            int eth0
             ip add 192.0.2.1 255.255.255.0
             cry map vpn
            access-list 101 per ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
            """;
        assertEquals(config(SITE), config(abbreviated));
    }

    @Test
    void aLineTheSubModeDoesNotKnowClosesIt() throws ConfigException
    {
        // "crypto map vpn 10 ..." right after the interface's own "crypto map vpn": IOS tries the
        // interface mode, fails, and runs the line in global mode.
        final Config c = config("""
            interface eth0
             ip address 192.0.2.1 255.255.255.0
             crypto map vpn
            crypto map vpn 10 ipsec-isakmp
             set peer 192.0.2.2
             set transform-set ts
             match address 101
            crypto ipsec transform-set ts esp-gcm 256
            access-list 101 permit ip any any
            """);
        assertEquals(Optional.of("vpn"), c.interfaceNamed("eth0").orElseThrow().cryptoMap());
        assertEquals(1, c.cryptoMap("vpn").orElseThrow().entries().size());
    }

    @Test
    void exitAndEndLeaveModes()
    {
        assertEquals(List.of("test.conf:3:2: 'hash' belongs in crypto isakmp policy blocks; expected it after " +
            "'crypto isakmp policy N'"), errors("""
            crypto isakmp policy 10
             exit
             hash md5
            """));
        assertEquals(List.of("test.conf:4:1: 'mode' belongs in crypto ipsec transform-set, crypto ipsec client ezvpn " +
            "or redundancy blocks; expected it after 'crypto ipsec transform-set NAME TRANSFORMS', " +
            "'crypto ipsec client ezvpn NAME' or 'redundancy'"), errors("""
            vpdn-group g
             accept-dialin
             end
            mode transport
            """));
    }

    @Test
    void aRefusedBlockHeaderStillReadsItsLinesWithoutMoreErrors()
    {
        assertEquals(List.of("test.conf:1:22: '0' is out of range; expected a policy priority, 1-10000",
            "test.conf:3:7: 'whirlpool' is not a hash algorithm; expected sha, sha256, sha384, md5"), errors("""
            crypto isakmp policy 0
             encryption aes
             hash whirlpool
             group 14
            """));
    }

    @Test
    void nothingIsReturnedWhenOneLineIsWrong()
    {
        final ConfigException refused = assertThrows(ConfigException.class,
            () -> ConfigFiles.parseText(SITE + "ip route 10.0.0.0 255.0.0.0 eth0 300\n"));
        assertEquals(List.of("test.conf:14:34: '300' is out of range; expected an administrative distance, 1-255"),
            refused.errors().stream().map(ConfigMessage::toString).toList());
    }

    @Test
    void keepaliveDefaultsAreOnDemandWithTwoSecondRetries() throws ConfigException
    {
        assertEquals(Optional.of(new Isakmp.Keepalive(10, 2, Isakmp.DpdMode.ON_DEMAND)),
            config("crypto isakmp keepalive 10\n").isakmp().keepalive());
        assertEquals(Optional.of(new Isakmp.Keepalive(30, 20, Isakmp.DpdMode.ON_DEMAND)),
            config("crypto isakmp keepalive 30 20 on-demand\n").isakmp().keepalive());
        assertEquals(Optional.empty(), config("").isakmp().keepalive());
    }

    @Test
    void setPfsWithoutAGroupIsGroup1() throws ConfigException
    {
        final Config c = config("""
            crypto ipsec transform-set ts esp-gcm
            crypto ipsec profile p
             set transform-set ts
             set pfs
            """);
        assertEquals(Optional.of(DhGroup.GROUP1), c.ipsec().profile("p").orElseThrow().pfs());
    }

    @ParameterizedTest
    @CsvSource({
        "esp-des esp-md5-hmac, DES_CBC, HMAC_MD5_96, 8",
        "esp-3des esp-sha-hmac, DES3_CBC, HMAC_SHA1_96, 24",
        "esp-aes esp-sha256-hmac, AES_CBC_128, HMAC_SHA256_128, 16",
        "esp-aes 128 esp-sha384-hmac, AES_CBC_128, HMAC_SHA384_192, 16",
        "esp-aes 192 esp-sha512-hmac, AES_CBC_192, HMAC_SHA512_256, 24",
        "esp-sha-hmac esp-aes 256, AES_CBC_256, HMAC_SHA1_96, 32",
        "esp-gcm, AES_GCM_128, NONE, 20",
        "esp-gcm 192, AES_GCM_192, NONE, 28",
        "esp-gcm 256, AES_GCM_256, NONE, 36",
        "esp-null esp-sha-hmac, NULL, HMAC_SHA1_96, 0",
        "esp-md5-hmac, NULL, HMAC_MD5_96, 0",
    })
    void transformSetsMapToTheDataplanesAlgorithms(
        final String transforms, final EspEncryption encryption, final EspIntegrity integrity, final int keyMaterial)
        throws ConfigException
    {
        final Ipsec.TransformSet set = config("crypto ipsec transform-set t " + transforms + "\n")
            .ipsec().transformSet("t").orElseThrow();
        assertEquals(encryption, set.encryption());
        assertEquals(integrity, set.integrity());
        assertEquals(keyMaterial, set.encryption().keyMaterialLength());
    }

    @Test
    void accessListHostBitsAreClearedWithAWarningAsIosDoes() throws ConfigException
    {
        final ParsedConfig parsed = ConfigFiles.parseText("access-list 101 permit ip 10.1.1.5 0.0.0.255 any\n");
        final AccessList.Rule rule = parsed.config().accessList("101").orElseThrow().rules().get(0);
        assertEquals(new Ip4Subnet(Ip4.parse("10.1.1.0"), 24), rule.source());
        assertEquals(Ip4Subnet.ANY, rule.destination());
        assertEquals(List.of("test.conf:1:27: warning: 10.1.1.5 0.0.0.255 has host bits set: it matches 10.1.1.0/24, " +
            "as IOS does"), parsed.warnings().stream().map(ConfigMessage::toString).toList());
    }

    @Test
    void dataplaneDefaultsToAfxdpOnEveryLivePhysicalInterfaceAndTheLastCpu() throws ConfigException
    {
        final Config c = new ConfigParser(8).parse("test.conf", """
            interface eth0
             ip address 192.0.2.1 255.255.255.0
            interface ens3
             shutdown
            interface veth1
            interface Loopback0
             ip address 10.0.0.1 255.255.255.255
            """).config();
        assertEquals(new DataplaneSettings(DataplaneSettings.IoBackend.AFXDP, List.of("eth0", "veth1"), List.of(7),
            true, true), c.dataplane());
        final Config explicit = config("""
            interface eth0
            interface eth1
            sluice dataplane
             io backend tun
             io interfaces eth1
             worker cpus 0 2-3
            """);
        assertEquals(new DataplaneSettings(DataplaneSettings.IoBackend.TUN, List.of("eth1"), List.of(0, 2, 3),
            false, false), explicit.dataplane());
        assertEquals(DataplaneSettings.XdpMode.AUTO, c.dataplane().xdpMode(), "native XDP where the driver has it");
        final Config generic = config("""
            interface eth0
            sluice dataplane
             io xdp generic
            """);
        assertEquals(DataplaneSettings.XdpMode.GENERIC, generic.dataplane().xdpMode());
        assertTrue(RunningConfig.render(generic).contains("sluice dataplane\n io xdp generic\n"),
            RunningConfig.render(generic));
        final ConfigException bad = assertThrows(ConfigException.class, () -> config("""
            interface eth0
            sluice dataplane
             io xdp fast
            """));
        assertTrue(bad.getMessage().contains("3:9") && bad.getMessage().contains("auto, native or generic"),
            bad.getMessage());
    }

    @Test
    void iosLinesWithNothingToDoAreIgnoredAndSaidSo() throws ConfigException
    {
        final ParsedConfig parsed = ConfigFiles.parseText("""
            version 15.1
            service timestamps debug datetime msec
            ip subnet-zero
            no ip domain lookup
            interface eth0
             no ip redirects
             speed auto
            """);
        assertEquals(6, parsed.ignored().size());
        assertEquals("test.conf:1:1: ignored: 'version 15.1': the IOS image version, not a setting",
            parsed.ignored().get(0).toString());
    }

    @Test
    void interfaceNamesAreCanonical() throws ConfigException
    {
        final Config c = config("""
            interface tunnel5
            interface Lo1
            interface virtual-template2
            interface enp0s3
            """);
        assertEquals(List.of("Tunnel5", "Loopback1", "Virtual-Template2", "enp0s3"),
            c.interfaces().stream().map(InterfaceConfig::name).toList());
        assertEquals(List.of(InterfaceConfig.Kind.TUNNEL, InterfaceConfig.Kind.LOOPBACK,
            InterfaceConfig.Kind.VIRTUAL_TEMPLATE, InterfaceConfig.Kind.PHYSICAL),
            c.interfaces().stream().map(InterfaceConfig::kind).toList());
    }

    @Test
    void warnsAboutWhatLoadsButCannotWork() throws ConfigException
    {
        final ParsedConfig parsed = ConfigFiles.parseText("""
            interface Tunnel1
             ip address 10.0.0.1 255.255.255.0
             ip nhrp nhs 10.0.0.2
            vpdn-group g
            """);
        assertEquals(List.of(
            "test.conf:1:11: warning: Tunnel1 has no tunnel source: it stays down",
            "test.conf:1:11: warning: Tunnel1 has no tunnel destination and is not multipoint: it stays down",
            "test.conf:3:2: warning: Tunnel1 has ip nhrp lines but no 'ip nhrp network-id': NHRP stays off on it",
            "test.conf:3:14: warning: next-hop server 10.0.0.2 has no 'ip nhrp map 10.0.0.2 NBMA' and no nbma " +
                "address: Tunnel1 cannot reach it",
            "test.conf:4:12: warning: vpdn-group g is configured but 'vpdn enable' is not: it stays idle"),
            parsed.warnings().stream().map(ConfigMessage::toString).toList());
    }

    @Test
    void aKeyStringWithoutQuitAtTheEndOfTheFileIsAWarning() throws ConfigException
    {
        final ParsedConfig parsed = ConfigFiles.parseText("""
            crypto key pubkey-chain rsa
             named-key peer.example.com
              key-string
               00112233
            """);
        assertEquals(4, parsed.config().rsaPublicKeys().get(0).key().length());
        assertTrue(parsed.warnings().stream().anyMatch(w -> w.message().contains("no 'quit'")));
    }
}
