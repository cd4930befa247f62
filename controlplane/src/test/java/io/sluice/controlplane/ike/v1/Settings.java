package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.DhGroup;
import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.controlplane.config.Ipsec;
import io.sluice.controlplane.config.Isakmp;
import io.sluice.controlplane.config.Secret;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/** Settings for tests: one PSK policy, one key, one crypto map entry per peer. */
final class Settings
{
    private Settings()
    {
    }

    static InetAddress ip(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final UnknownHostException e)
        {
            throw new IllegalArgumentException(e);
        }
    }

    static Ip4 ip4(final String text)
    {
        return Ip4.parse(text);
    }

    static Isakmp.Policy policy(final int priority, final Isakmp.Encryption enc, final Isakmp.Hash hash,
        final int group, final int lifetime)
    {
        return new Isakmp.Policy(priority, enc, hash, Isakmp.Authentication.PRE_SHARE, DhGroup.ofNumber(group), lifetime);
    }

    static Isakmp.PresharedKey key(final String secret, final String peer)
    {
        return new Isakmp.PresharedKey(new Secret(secret), Optional.of(Ip4Subnet.host(ip4(peer))), Optional.empty(), false);
    }

    static Ipsec.TransformSet set(final String name, final EspEncryption enc, final EspIntegrity integ)
    {
        return new Ipsec.TransformSet(name, enc, integ, Ipsec.EncapsulationMode.TUNNEL);
    }

    static Ikev1Settings.Phase2Policy phase2(final String peer, final int pfs, final Ipsec.TransformSet... sets)
    {
        return new Ikev1Settings.Phase2Policy(Ip4Subnet.host(ip4(peer)), List.of(sets),
            new Ipsec.Lifetime(3600, 4_608_000), pfs, null, null);
    }

    static Ikev1Settings.Builder builder(final String local, final String peer, final String psk,
        final Isakmp.Policy policy, final Ikev1Settings.Phase2Policy phase2)
    {
        return Ikev1Settings.builder(ip(local)).policy(policy).key(key(psk, peer)).phase2(phase2);
    }
}
