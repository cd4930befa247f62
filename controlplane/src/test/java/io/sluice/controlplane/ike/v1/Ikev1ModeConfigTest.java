package io.sluice.controlplane.ike.v1;

import static io.sluice.controlplane.ike.v1.Settings.builder;
import static io.sluice.controlplane.ike.v1.Settings.ip;
import static io.sluice.controlplane.ike.v1.Settings.ip4;
import static io.sluice.controlplane.ike.v1.Settings.key;
import static io.sluice.controlplane.ike.v1.Settings.phase2;
import static io.sluice.controlplane.ike.v1.Settings.policy;
import static io.sluice.controlplane.ike.v1.Settings.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.controlplane.config.CryptoMap;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.config.LocalPool;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

/** IKE mode configuration between Sluice engines: a gateway lends addresses from its pool to clients. */
class Ikev1ModeConfigTest
{
    private static final String GATEWAY = "192.0.2.10";
    private static final String C1 = "192.0.2.1";
    private static final String C2 = "192.0.2.2";
    private static final String PSK = "mode-cfg-key";

    private static final Isakmp.Policy POLICY = policy(10, Isakmp.Encryption.AES_128, Isakmp.Hash.SHA, 14, 3600);
    private static final Ipsec TS = new Ipsec();

    /** Holder so the transform set is built once. */
    private static final class Ipsec
    {
        final io.sluice.controlplane.config.Ipsec.TransformSet set =
            set("ts", EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
    }

    private static EngineNet.Node gateway(final EngineNet net, final CryptoMap.ClientConfiguration start,
        final String lastAddress)
    {
        final Ikev1Settings.Builder b = builder(GATEWAY, C1, PSK, POLICY, phase2(C1, 0, TS.set))
            .key(key(PSK, C2)).phase2(phase2(C2, 0, TS.set));
        b.modeConfigGateway = new ModeConfig.Gateway(start, new LocalPool("pool1", ip4("10.99.0.1"), ip4(lastAddress)),
            ip4("255.255.255.0"), List.of(ip4("10.99.0.53")));
        return net.add(b.build());
    }

    private static EngineNet.Node client(final EngineNet net, final String address, final ModeConfig.Client mode)
    {
        final Ikev1Settings.Builder b = builder(address, GATEWAY, PSK, POLICY, phase2(GATEWAY, 0, TS.set));
        b.modeConfigClient = mode;
        return net.add(b.build());
    }

    private static void connect(final EngineNet net, final EngineNet.Node client)
    {
        client.engine().initiate(new InetSocketAddress(ip(GATEWAY), 500));
        net.run();
    }

    private static void assertTunnelUsesPoolAddress(final EngineNet net, final EngineNet.Node gw,
        final EngineNet.Node client, final String clientAddress, final String poolAddress)
    {
        assertTrue(gw.events().contains("assigned " + clientAddress + " " + poolAddress), net.logs());
        assertTrue(client.events().contains("virtual " + poolAddress), net.logs());
        assertEquals(1, client.children().size(), net.logs());
        assertEquals(poolAddress + "/32", client.children().get(0).localSelector());
        assertEquals(poolAddress + "/32", gw.children().getLast().remoteSelector());
        assertEquals(client.children().get(0).spiIn(), gw.children().getLast().spiOut());
    }

    @Test
    void clientRequestsItsAddressAndQuickModeProposesIt()
    {
        final EngineNet net = new EngineNet();
        final EngineNet.Node gw = gateway(net, CryptoMap.ClientConfiguration.RESPOND, "10.99.0.5");
        final EngineNet.Node c1 = client(net, C1, ModeConfig.Client.PULL);
        connect(net, c1);
        assertTunnelUsesPoolAddress(net, gw, c1, C1, "10.99.0.1");
        // the REPLY carried what the REQUEST asked for: netmask and DNS server
        assertTrue(c1.log().stream().anyMatch(l -> l.contains("CFG_REPLY") && l.contains("Attribute[2=4294967040]") &&
            l.contains("Attribute[3=174260277]")), net.logs());
    }

    @Test
    void gatewaySetsTheAddressAndTheClientAcknowledgesBeforeQuickMode()
    {
        final EngineNet net = new EngineNet();
        final EngineNet.Node gw = gateway(net, CryptoMap.ClientConfiguration.INITIATE, "10.99.0.5");
        final EngineNet.Node c1 = client(net, C1, ModeConfig.Client.PUSH);
        connect(net, c1);
        assertTunnelUsesPoolAddress(net, gw, c1, C1, "10.99.0.1");
        assertTrue(gw.log().stream().anyMatch(l -> l.contains("processing transaction CFG_ACK")), net.logs());
        // each peer its own address
        final EngineNet.Node c2 = client(net, C2, ModeConfig.Client.PUSH);
        connect(net, c2);
        assertTunnelUsesPoolAddress(net, gw, c2, C2, "10.99.0.2");
    }

    @Test
    void exhaustedPoolRefusesTheNextClientAndTheReleasedAddressIsReused()
    {
        final EngineNet net = new EngineNet();
        final EngineNet.Node gw = gateway(net, CryptoMap.ClientConfiguration.RESPOND, "10.99.0.1");
        final EngineNet.Node c1 = client(net, C1, ModeConfig.Client.PULL);
        final EngineNet.Node c2 = client(net, C2, ModeConfig.Client.PULL);
        connect(net, c1);
        assertTunnelUsesPoolAddress(net, gw, c1, C1, "10.99.0.1");

        connect(net, c2);
        assertTrue(gw.log().stream().anyMatch(l -> l.contains("mode config for 192.0.2.2:500 refused: ip local pool " +
            "pool1 exhausted (1 of 1 addresses in use)")), net.logs());
        assertTrue(c2.children().isEmpty(), net.logs());
        assertFalse(gw.engine().established(ip(C2)), net.logs());
        assertFalse(c2.engine().established(ip(GATEWAY)), net.logs());

        gw.engine().clear(ip(C1));
        net.run();
        assertTrue(gw.events().contains("released " + C1 + " 10.99.0.1"), net.logs());

        connect(net, c2);
        assertTunnelUsesPoolAddress(net, gw, c2, C2, "10.99.0.1");
    }

    @Test
    void peerThatIgnoresTheSetKeepsItsOwnAddressAndTheLentOneReturnsToThePool()
    {
        final EngineNet net = new EngineNet();
        final EngineNet.Node gw = gateway(net, CryptoMap.ClientConfiguration.INITIATE, "10.99.0.1");
        final EngineNet.Node plain = client(net, C1, ModeConfig.Client.OFF);
        connect(net, plain);
        assertEquals(1, plain.children().size(), net.logs());
        assertEquals(C1 + "/32", plain.children().get(0).localSelector());
        assertEquals(C1 + "/32", gw.children().get(0).remoteSelector());
        assertTrue(plain.log().stream().anyMatch(l -> l.contains("CFG_SET from 192.0.2.10:500 ignored")), net.logs());

        net.advance(200_000, 1_000);   // the SET is retransmitted, then given up
        assertTrue(gw.log().stream().anyMatch(l -> l.contains("did not answer mode config CFG_SET")), net.logs());
        assertTrue(gw.events().stream().noneMatch(e -> e.startsWith("assigned")), net.logs());
        assertTrue(gw.engine().established(ip(C1)), "the IKE SA stays up");

        // the one address of the pool is free again
        final EngineNet.Node c2 = client(net, C2, ModeConfig.Client.PUSH);
        connect(net, c2);
        assertTunnelUsesPoolAddress(net, gw, c2, C2, "10.99.0.1");
    }
}
