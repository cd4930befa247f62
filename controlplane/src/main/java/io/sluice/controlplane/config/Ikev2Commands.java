package io.sluice.controlplane.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code crypto ikev2 proposal|policy|keyring|profile} with their sub-modes, and
 * {@code crypto ikev2 cookie-challenge}: parsed into builders, checked and built once the file is read.
 */
final class Ikev2Commands
{
    private static final String ENCRYPTION_EXPECTED =
        "aes-cbc-128, aes-cbc-192, aes-cbc-256, aes-gcm-128, aes-gcm-256, chacha20-poly1305";
    private static final String HASH_EXPECTED = "sha1, sha256, sha384, sha512";

    private Ikev2Commands()
    {
    }

    /** What the file says about IKEv2, until it is built. */
    static final class State
    {
        final Map<String, ProposalBuilder> proposals = new LinkedHashMap<>();
        final Map<String, PolicyBuilder> policies = new LinkedHashMap<>();
        final Map<String, KeyringBuilder> keyrings = new LinkedHashMap<>();
        final Map<String, ProfileBuilder> profiles = new LinkedHashMap<>();
        Integer cookieChallenge;
        Where cookieAt;

        /** Checks names and completeness; problems go to {@code c}. */
        CryptoIkev2 build(final ConfigBuilder c)
        {
            final List<CryptoIkev2.Proposal> proposalModels = new ArrayList<>();
            for (final ProposalBuilder p : proposals.values())
            {
                if (p.encryptions.isEmpty() || p.groups.isEmpty() ||
                    (p.integrities.isEmpty() && p.prfs.isEmpty()) ||
                    (p.integrities.isEmpty() && p.encryptions.stream().anyMatch(e -> !e.aead())))
                {
                    c.error(p.at.error("proposal " + p.name + " is incomplete; expected encryption, group, and " +
                        "integrity (or prf with AEAD ciphers only)"));
                }
                proposalModels.add(new CryptoIkev2.Proposal(p.name, p.encryptions, p.integrities, p.prfs, p.groups));
            }
            final List<CryptoIkev2.Policy> policyModels = new ArrayList<>();
            for (final PolicyBuilder p : policies.values())
            {
                for (final Ref r : p.proposals)
                {
                    if (!proposals.containsKey(r.name()))
                    {
                        c.error(r.where().error("'" + r.name() + "' is not a defined IKEv2 proposal; expected the " +
                            "name of a 'crypto ikev2 proposal'"));
                    }
                }
                policyModels.add(new CryptoIkev2.Policy(p.name, p.proposals.stream().map(Ref::name).toList(),
                    Optional.ofNullable(p.local)));
            }
            final List<CryptoIkev2.Keyring> keyringModels = new ArrayList<>();
            for (final KeyringBuilder k : keyrings.values())
            {
                final List<CryptoIkev2.KeyringPeer> peers = new ArrayList<>();
                for (final PeerBuilder p : k.peers.values())
                {
                    if (p.address == null || (p.local == null && p.both == null) || (p.remote == null && p.both == null))
                    {
                        c.error(p.at.error("peer " + p.name + " in keyring " + k.name + " is incomplete; expected " +
                            "'address A [MASK]' and 'pre-shared-key KEY' (or local and remote keys)"));
                        continue;
                    }
                    peers.add(new CryptoIkev2.KeyringPeer(p.name, p.address, p.local != null ? p.local : p.both,
                        p.remote != null ? p.remote : p.both));
                }
                keyringModels.add(new CryptoIkev2.Keyring(k.name, peers));
            }
            final List<CryptoIkev2.Profile> profileModels = new ArrayList<>();
            for (final ProfileBuilder p : profiles.values())
            {
                if (p.keyring == null && !(p.localRsaSig && p.remoteRsaSig))
                {
                    c.error(p.at.error("profile " + p.name + " has no 'keyring local NAME'; expected one (a side " +
                        "authenticates with pre-share)"));
                }
                else if (p.keyring != null && !keyrings.containsKey(p.keyring.name()))
                {
                    c.error(p.keyring.where().error("'" + p.keyring.name() + "' is not a defined IKEv2 keyring; " +
                        "expected the name of a 'crypto ikev2 keyring'"));
                }
                if (p.matchRemote.isEmpty())
                {
                    c.warn(p.at, "profile " + p.name + " has no 'match identity remote address': no peer uses it");
                }
                profileModels.add(new CryptoIkev2.Profile(p.name, p.matchRemote, Optional.ofNullable(p.localFqdn),
                    p.keyring != null ? p.keyring.name() : "", Optional.ofNullable(p.dpd),
                    p.lifetime != null ? p.lifetime : CryptoIkev2.Profile.DEFAULT_LIFETIME, p.localRsaSig,
                    p.remoteRsaSig));
                if ((p.localRsaSig || p.remoteRsaSig) && c.pki.at == null)
                {
                    c.error(p.at.error("profile " + p.name + " authenticates with rsa-sig but there is no 'sluice pki' " +
                        "block; expected one with certificate, private-key and ca-certificate"));
                }
            }
            return new CryptoIkev2(proposalModels, policyModels, keyringModels, profileModels,
                Optional.ofNullable(cookieChallenge));
        }
    }

    static final class ProposalBuilder extends Block
    {
        String name;
        Where at;
        final List<CryptoIkev2.Encryption> encryptions = new ArrayList<>();
        final List<CryptoIkev2.Hash> integrities = new ArrayList<>();
        final List<CryptoIkev2.Hash> prfs = new ArrayList<>();
        final List<Integer> groups = new ArrayList<>();
    }

    static final class PolicyBuilder extends Block
    {
        String name;
        final List<Ref> proposals = new ArrayList<>();
        Ip4 local;
    }

    static final class KeyringBuilder extends Block
    {
        String name;
        final Map<String, PeerBuilder> peers = new LinkedHashMap<>();
    }

    static final class PeerBuilder extends Block
    {
        String name;
        Where at;
        Ip4Subnet address;
        Secret both;
        Secret local;
        Secret remote;
    }

    static final class ProfileBuilder extends Block
    {
        String name;
        Where at;
        final List<Ip4Subnet> matchRemote = new ArrayList<>();
        String localFqdn;
        Ref keyring;
        Isakmp.Keepalive dpd;
        Integer lifetime;
        boolean localRsaSig;
        boolean remoteRsaSig;
    }

    static void register(final Grammar g)
    {
        g.global.opening("crypto ikev2 proposal", g.ikev2Proposal, (a, c) ->
        {
            final ConfigLine.Token token = a.peek();
            final String name = Grammar.newName(a, "a proposal name");
            a.end();
            final ProposalBuilder existing = c.ikev2.proposals.get(name);
            if (existing != null)
            {
                throw Grammar.duplicate(token, "IKEv2 proposal", existing.at);
            }
            final ProposalBuilder p = new ProposalBuilder();
            p.name = name;
            p.at = Where.at(a.line(), token);
            c.ikev2.proposals.put(name, p);
            return g.ikev2Proposal.frame(p, "crypto ikev2 proposal " + name, a.line());
        });
        g.ikev2Proposal.command("encryption", (a, p) ->
        {
            p.once("encryption", a);
            do
            {
                final String word = a.keyword("an IKEv2 cipher", ENCRYPTION_EXPECTED, "aes-cbc-128", "aes-cbc-192",
                    "aes-cbc-256", "aes-gcm-128", "aes-gcm-256", "chacha20-poly1305");
                final CryptoIkev2.Encryption e = java.util.Arrays.stream(CryptoIkev2.Encryption.values())
                    .filter(x -> x.keyword().equals(word)).findFirst().orElseThrow();
                if (!p.encryptions.contains(e))
                {
                    p.encryptions.add(e);
                }
            }
            while (a.more());
            return null;
        });
        for (final String kind : new String[] {"integrity", "prf"})
        {
            g.ikev2Proposal.command(kind, (a, p) ->
            {
                p.once(kind, a);
                final List<CryptoIkev2.Hash> into = kind.equals("prf") ? p.prfs : p.integrities;
                do
                {
                    final String word = a.keyword("a hash", HASH_EXPECTED, "sha1", "sha256", "sha384", "sha512");
                    final CryptoIkev2.Hash h = CryptoIkev2.Hash.valueOf(word.toUpperCase());
                    if (!into.contains(h))
                    {
                        into.add(h);
                    }
                }
                while (a.more());
                return null;
            });
        }
        g.ikev2Proposal.command("group", (a, p) ->
        {
            p.once("group", a);
            do
            {
                final ConfigLine.Token token = a.next("a Diffie-Hellman group", "14, 15, 16, 19, 20 or 31");
                final int group = token.text().matches("\\d{1,3}") ? Integer.parseInt(token.text()) : -1;
                if (!CryptoIkev2.GROUPS.contains(group))
                {
                    throw Args.not(token, "an IKEv2 Diffie-Hellman group", "14, 15, 16, 19, 20 or 31");
                }
                if (!p.groups.contains(group))
                {
                    p.groups.add(group);
                }
            }
            while (a.more());
            return null;
        });

        g.global.opening("crypto ikev2 policy", g.ikev2Policy, (a, c) ->
        {
            final ConfigLine.Token token = a.peek();
            final String name = Grammar.newName(a, "a policy name");
            a.end();
            if (c.ikev2.policies.containsKey(name))
            {
                throw Args.problem(token, "'" + name + "' is already defined; expected each IKEv2 policy defined once");
            }
            final PolicyBuilder p = new PolicyBuilder();
            p.name = name;
            c.ikev2.policies.put(name, p);
            return g.ikev2Policy.frame(p, "crypto ikev2 policy " + name, a.line());
        });
        g.ikev2Policy.command("proposal", (a, p) ->
        {
            do
            {
                p.proposals.add(Grammar.nameRef(a, "an IKEv2 proposal name"));
            }
            while (a.more());
            return null;
        });
        g.ikev2Policy.command("match address local", (a, p) ->
        {
            p.once("match address local", a);
            p.local = a.address("a local address");
            a.end();
            return null;
        });

        g.global.opening("crypto ikev2 keyring", g.ikev2Keyring, (a, c) ->
        {
            final ConfigLine.Token token = a.peek();
            final String name = Grammar.newName(a, "a keyring name");
            a.end();
            if (c.ikev2.keyrings.containsKey(name))
            {
                throw Args.problem(token, "'" + name + "' is already defined; expected each IKEv2 keyring defined once");
            }
            final KeyringBuilder k = new KeyringBuilder();
            k.name = name;
            c.ikev2.keyrings.put(name, k);
            return g.ikev2Keyring.frame(k, "crypto ikev2 keyring " + name, a.line());
        });
        g.ikev2Keyring.opening("peer", g.ikev2Peer, (a, k) ->
        {
            final ConfigLine.Token token = a.peek();
            final String name = Grammar.newName(a, "a peer name");
            a.end();
            final PeerBuilder existing = k.peers.get(name);
            if (existing != null)
            {
                throw Grammar.duplicate(token, "peer of a keyring", existing.at);
            }
            final PeerBuilder p = new PeerBuilder();
            p.name = name;
            p.at = Where.at(a.line(), token);
            k.peers.put(name, p);
            return g.ikev2Peer.frame(p, "peer " + name, a.line());
        });
        g.ikev2Peer.command("address", (a, p) ->
        {
            p.once("address", a);
            final Ip4 address = a.address("a peer address");
            final int length = a.more() ? a.mask().maskLength() : 32;
            a.end();
            p.address = new Ip4Subnet(address, length);
            return null;
        });
        g.ikev2Peer.command("pre-shared-key", (a, p) ->
        {
            final String side = a.accept("local", "remote");
            p.once("pre-shared-key" + (side == null ? "" : " " + side), a);
            final ConfigLine.Token key = a.next("a pre-shared key", "the key");
            if (key.text().length() > 128)
            {
                throw Args.problem(key, "the pre-shared key is " + key.text().length() + " characters long; " +
                    "expected at most 128");
            }
            a.end();
            final Secret secret = new Secret(key.text());
            if (side == null)
            {
                p.both = secret;
            }
            else if (side.equals("local"))
            {
                p.local = secret;
            }
            else
            {
                p.remote = secret;
            }
            return null;
        });

        g.global.opening("crypto ikev2 profile", g.ikev2Profile, (a, c) ->
        {
            final ConfigLine.Token token = a.peek();
            final String name = Grammar.newName(a, "a profile name");
            a.end();
            final ProfileBuilder existing = c.ikev2.profiles.get(name);
            if (existing != null)
            {
                throw Grammar.duplicate(token, "IKEv2 profile", existing.at);
            }
            final ProfileBuilder p = new ProfileBuilder();
            p.name = name;
            p.at = Where.at(a.line(), token);
            c.ikev2.profiles.put(name, p);
            return g.ikev2Profile.frame(p, "crypto ikev2 profile " + name, a.line());
        });
        g.ikev2Profile.command("match identity remote address", (a, p) ->
        {
            final Ip4 address = a.address("a peer address");
            final int length = a.more() ? a.mask().maskLength() : 32;
            a.end();
            p.matchRemote.add(new Ip4Subnet(address, length));
            return null;
        });
        g.ikev2Profile.command("identity local", (a, p) ->
        {
            p.once("identity local", a);
            final String kind = a.keyword("an identity type", "address or fqdn NAME", "address", "fqdn");
            p.localFqdn = kind.equals("fqdn") ? Grammar.hostName(a) : null;
            a.end();
            return null;
        });
        for (final String side : new String[] {"local", "remote"})
        {
            g.ikev2Profile.command("authentication " + side, (a, p) ->
            {
                p.once("authentication " + side, a);
                final boolean rsaSig = a.keyword("an authentication method", "pre-share or rsa-sig", "pre-share",
                    "rsa-sig").equals("rsa-sig");
                a.end();
                if (side.equals("local"))
                {
                    p.localRsaSig = rsaSig;
                }
                else
                {
                    p.remoteRsaSig = rsaSig;
                }
                return null;
            });
        }
        g.ikev2Profile.command("keyring local", (a, p) ->
        {
            p.once("keyring local", a);
            p.keyring = Grammar.nameRef(a, "an IKEv2 keyring name");
            a.end();
            return null;
        });
        g.ikev2Profile.command("dpd", (a, p) ->
        {
            p.once("dpd", a);
            final int interval = a.intNumber("a liveness interval in seconds", 10, 3600);
            final int retry = a.intNumber("a retry interval in seconds", 2, 60);
            final String mode = a.keyword("on-demand or periodic", "on-demand, periodic", "on-demand", "periodic");
            a.end();
            p.dpd = new Isakmp.Keepalive(interval, retry, mode.equals("periodic") ? Isakmp.DpdMode.PERIODIC :
                Isakmp.DpdMode.ON_DEMAND);
            return null;
        });
        g.ikev2Profile.command("lifetime", (a, p) ->
        {
            p.once("lifetime", a);
            p.lifetime = a.intNumber("a lifetime in seconds", 120, 86400);
            a.end();
            return null;
        });

        g.global.command("crypto ikev2 cookie-challenge", (a, c) ->
        {
            c.once("crypto ikev2 cookie-challenge", a);
            c.ikev2.cookieChallenge = a.intNumber("a number of half-open SAs", 1, 1000);
            a.end();
            return null;
        });
    }
}
