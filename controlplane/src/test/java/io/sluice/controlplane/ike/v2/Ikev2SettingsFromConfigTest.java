package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.ConfigParser;
import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.dataplane.esp.EspEncryption;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class Ikev2SettingsFromConfigTest
{
    @Test
    void settingsFollowTheIkev2BlocksAndTheIpsecProfileThatNamesThem() throws Exception
    {
        final String text = """
            crypto ikev2 proposal PROP
             encryption aes-gcm-256 aes-cbc-256
             integrity sha256
             group 31 19
            crypto ikev2 policy POL
             match address local 192.0.2.1
             proposal PROP
            crypto ikev2 keyring KR
             peer spoke
              address 198.51.100.0 255.255.255.0
              pre-shared-key local ours-123
              pre-shared-key remote theirs-456
            crypto ikev2 profile PROF
             match identity remote address 198.51.100.7
             keyring local KR
             dpd 10 2 periodic
            crypto ikev2 cookie-challenge 50
            crypto ipsec transform-set TS esp-gcm 256
            crypto ipsec profile IPP
             set transform-set TS
             set pfs group19
             set ikev2-profile PROF
            """;
        final var config = new ConfigParser(4).parse("test.conf", text).config();
        final Ikev2Settings s = Ikev2Settings.fromConfig(config, Pair.ip("192.0.2.1"));
        assertEquals(2, s.proposals().size(), "AEAD and CBC in separate proposals");
        assertEquals(List.of(new Ikev2Settings.Cipher(IkeSuite.Encryption.AES_GCM_16, 256)), s.proposals().get(0).ciphers());
        assertEquals(List.of(IkeSuite.Prf.HMAC_SHA2_256), s.proposals().get(1).prfs(), "PRF from the integrity hash");
        assertEquals(List.of(31, 19), s.proposals().get(0).groups());
        assertEquals(50, s.cookieThreshold());
        assertEquals(new Ikev2Settings.Dpd(10_000, 2_000, Isakmp.DpdMode.PERIODIC), s.dpd());
        final Ikev2Settings.Peer peer = s.peerFor(Pair.ip("198.51.100.7"));
        assertArrayEquals("ours-123".getBytes(StandardCharsets.UTF_8), peer.localKey());
        assertArrayEquals("theirs-456".getBytes(StandardCharsets.UTF_8), peer.remoteKey());
        assertEquals(EspEncryption.AES_GCM_256, peer.child().transformSets().getFirst().encryption());
        assertEquals(19, peer.child().pfsGroup());
        assertNull(s.peerFor(Pair.ip("198.51.100.8")));
        assertEquals(Ip4.parse("198.51.100.7"), peer.match().address());
    }
}
