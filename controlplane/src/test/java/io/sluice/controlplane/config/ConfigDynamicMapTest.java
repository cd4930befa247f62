package io.sluice.controlplane.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code crypto dynamic-map} and {@code crypto map NAME SEQ ipsec-isakmp dynamic DYN}: the
 * remote-access gateway of reference 004 (mode config from {@code ip local pool}) with clients
 * whose addresses are not known in advance.
 */
class ConfigDynamicMapTest
{
    private static final String GATEWAY = """
        crypto isakmp policy 10
         encryption aes 256
         hash sha256
         authentication pre-share
         group 14
        crypto isakmp key clients-key address 0.0.0.0 0.0.0.0
        crypto isakmp client configuration address-pool local clients
        crypto ipsec transform-set ts esp-aes 256 esp-sha256-hmac
        crypto ipsec transform-set gcm esp-gcm 256
        crypto dynamic-map dyn 10
         set transform-set gcm ts
         set pfs group14
         set security-association lifetime seconds 1800
         reverse-route
        crypto map vpn client configuration address respond
        crypto map vpn 65535 ipsec-isakmp dynamic dyn
        interface eth0
         ip address 192.0.2.1 255.255.255.0
         crypto map vpn
        ip local pool clients 10.99.0.1 10.99.0.20
        """;

    private static List<String> errors(final String text)
    {
        return assertThrows(ConfigException.class, () -> ConfigFiles.parseText(text)).errors().stream()
            .map(ConfigMessage::toString).toList();
    }

    private static List<String> warnings(final String text) throws ConfigException
    {
        return ConfigFiles.parseText(text).warnings().stream().map(ConfigMessage::toString).toList();
    }

    @Test
    void aDynamicMapEntryIsATemplateWithoutPeers() throws ConfigException
    {
        final Config c = ConfigFiles.parseText(GATEWAY).config();
        final DynamicMap dyn = c.dynamicMap("dyn").orElseThrow();
        assertEquals(List.of(new DynamicMap.Entry(10, Optional.empty(), List.of("gcm", "ts"), Optional.empty(),
            new Ipsec.Lifetime(1800, Ipsec.Lifetime.DEFAULT_KILOBYTES), Optional.of(DhGroup.GROUP14), true)),
            dyn.entries());
        final CryptoMap.Entry entry = c.cryptoMap("vpn").orElseThrow().entries().getFirst();
        assertEquals(65535, entry.sequence());
        assertEquals(CryptoMap.Keying.ISAKMP, entry.keying());
        assertEquals(Optional.of("dyn"), entry.dynamicMap());
        assertTrue(entry.peers().isEmpty() && entry.transformSets().isEmpty() && entry.matchAddress().isEmpty());
    }

    @Test
    void showRunningConfigWritesItBackAsIosDoes() throws ConfigException
    {
        final Config c = ConfigFiles.parseText(GATEWAY).config();
        final String running = RunningConfig.render(c);
        assertTrue(running.contains("""
            crypto dynamic-map dyn 10
             set security-association lifetime seconds 1800
             set transform-set gcm ts
             set pfs group14
             reverse-route
            !
            """), running);
        assertTrue(running.contains("crypto map vpn 65535 ipsec-isakmp dynamic dyn\n!\n"), running);
        assertEquals(c, ConfigFiles.parser().parse("running-config", running).config());
    }

    @Test
    void aDynamicEntryTakesNoCryptoMapBlockOfItsOwn()
    {
        assertEquals(List.of("test.conf:2:2: 'set' belongs in crypto ipsec profile, crypto map or crypto dynamic-map " +
            "blocks; expected it after 'crypto ipsec profile NAME', 'crypto map NAME SEQ' or " +
            "'crypto dynamic-map NAME SEQ'"), errors("""
            crypto map vpn 10 ipsec-isakmp dynamic dyn
             set peer 192.0.2.2
            crypto dynamic-map dyn 10
            """));
    }

    @Test
    void warnsAboutADynamicEntryThatHidesTheEntriesAfterItAndAboutUnusedDynamicMaps() throws ConfigException
    {
        assertEquals(List.of(
            "test.conf:2:12: warning: crypto map vpn 10 is dynamic and comes before entry 20, which it hides: a " +
                "dynamic entry takes any peer; expected dynamic entries last (the highest sequence numbers)",
            "test.conf:7:20: warning: crypto dynamic-map dyn 10 has no set transform-set: IOS leaves it disabled",
            "test.conf:8:20: warning: dynamic map unused is used by no 'crypto map NAME SEQ ipsec-isakmp dynamic " +
                "unused'"),
            warnings("""
                crypto ipsec transform-set ts esp-aes esp-sha-hmac
                crypto map vpn 10 ipsec-isakmp dynamic dyn
                crypto map vpn 20 ipsec-isakmp
                 set peer 192.0.2.2
                 set transform-set ts
                 match address 101
                crypto dynamic-map dyn 10
                crypto dynamic-map unused 10
                 set transform-set ts
                access-list 101 permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
                """));
    }

    @Test
    void aDynamicMapsMatchAddressMustBeAnExtendedAccessList()
    {
        assertEquals(List.of("test.conf:4:16: '10' is a standard access list; expected an extended one (100-199, " +
            "2000-2699, or ip access-list extended)"), errors("""
            crypto ipsec transform-set ts esp-aes esp-sha-hmac
            crypto dynamic-map dyn 10
             set transform-set ts
             match address 10
            crypto map vpn 10 ipsec-isakmp dynamic dyn
            access-list 10 permit 10.1.0.0 0.0.255.255
            """));
    }
}
