package io.sluice.controlplane.config;

import io.sluice.controlplane.config.ConfigBuilder.CryptoMapBuilder;
import io.sluice.controlplane.config.ConfigBuilder.DynamicEntryBuilder;
import io.sluice.controlplane.config.ConfigBuilder.DynamicMapBuilder;
import io.sluice.controlplane.config.ConfigBuilder.EntryBuilder;
import io.sluice.controlplane.config.ConfigBuilder.EzvpnBuilder;
import io.sluice.controlplane.config.ConfigBuilder.PeerRef;
import io.sluice.controlplane.config.ConfigBuilder.PolicyBuilder;
import io.sluice.controlplane.config.ConfigBuilder.ProfileBuilder;
import io.sluice.controlplane.config.ConfigBuilder.PubkeyBuilder;
import io.sluice.controlplane.config.ConfigBuilder.SessionKeyBuilder;
import io.sluice.controlplane.config.ConfigBuilder.TransformSetBuilder;
import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code crypto isakmp ...}, {@code crypto ipsec ...}, {@code crypto map ...}, {@code crypto dynamic-map ...} and
 * {@code crypto key pubkey-chain rsa}, with their sub-modes (references 000, 002, 003, 004).
 */
final class CryptoCommands
{
    static final String ENCRYPTION_EXPECTED = "des, 3des, aes [128|192|256]";
    static final String PFS_EXPECTED = DhGroup.list("group");

    private CryptoCommands()
    {
    }

    static void register(final Grammar g)
    {
        isakmp(g);
        transformSets(g);
        profiles(g);
        cryptoMaps(g);
        dynamicMaps(g);
        ezvpn(g);
        pubkeys(g);
    }

    // ---------------------------------------------------------------- isakmp

    private static void isakmp(final Grammar g)
    {
        g.global.opening("crypto isakmp policy", g.policy, (a, c) ->
        {
            final ConfigLine.Token token = a.peek();
            final int priority = a.intNumber("a policy priority", 1, 10000);
            a.end();
            final PolicyBuilder existing = c.policies.get(priority);
            if (existing != null)
            {
                throw Grammar.duplicate(token, "policy priority", existing.at);
            }
            final PolicyBuilder policy = new PolicyBuilder();
            policy.priority = priority;
            policy.at = Where.at(a.line(), token);
            c.policies.put(priority, policy);
            return g.policy.frame(policy, "crypto isakmp policy " + priority, a.line());
        });
        g.policy.command("encryption", (a, p) ->
        {
            p.once("encryption", a);
            final String cipher = a.keyword("an encryption algorithm", ENCRYPTION_EXPECTED, "des", "3des", "aes");
            p.encryption = switch (cipher)
            {
                case "des" -> Isakmp.Encryption.DES;
                case "3des" -> Isakmp.Encryption.TRIPLE_DES;
                default ->
                {
                    final String bits = a.accept("128", "192", "256");
                    yield bits == null || bits.equals("128") ? Isakmp.Encryption.AES_128 :
                        bits.equals("192") ? Isakmp.Encryption.AES_192 : Isakmp.Encryption.AES_256;
                }
            };
            if (cipher.equals("aes") && a.more())
            {
                throw Args.not(a.peek(), "an AES key length", "128, 192 or 256");
            }
            a.end();
            return null;
        });
        g.policy.command("hash", (a, p) ->
        {
            p.once("hash", a);
            final String hash = a.keyword("a hash algorithm", "sha, sha256, sha384, md5", "sha", "sha256", "sha384", "md5");
            a.end();
            p.hash = switch (hash)
            {
                case "sha" -> Isakmp.Hash.SHA;
                case "sha256" -> Isakmp.Hash.SHA256;
                case "sha384" -> Isakmp.Hash.SHA384;
                default -> Isakmp.Hash.MD5;
            };
            return null;
        });
        g.policy.command("authentication", (a, p) ->
        {
            p.once("authentication", a);
            final String method = a.keyword("an authentication method", "pre-share, rsa-sig, rsa-encr",
                "pre-share", "rsa-sig", "rsa-encr");
            a.end();
            p.authentication = switch (method)
            {
                case "pre-share" -> Isakmp.Authentication.PRE_SHARE;
                case "rsa-sig" -> Isakmp.Authentication.RSA_SIG;
                default -> Isakmp.Authentication.RSA_ENCR;
            };
            return null;
        });
        g.policy.command("group", (a, p) ->
        {
            p.once("group", a);
            final ConfigLine.Token token = a.next("a Diffie-Hellman group", DhGroup.list(""));
            final DhGroup group = token.text().matches("\\d{1,3}") ? DhGroup.ofNumber(Integer.parseInt(token.text())) : null;
            if (group == null)
            {
                throw Args.not(token, "a Diffie-Hellman group", DhGroup.list(""));
            }
            a.end();
            p.group = group;
            return null;
        });
        g.policy.command("lifetime", (a, p) ->
        {
            p.once("lifetime", a);
            p.lifetime = a.intNumber("a lifetime in seconds", 60, 86400);
            a.end();
            return null;
        });

        g.global.command("crypto isakmp key", (a, c) ->
        {
            final ConfigLine.Token first = a.next("a pre-shared key", "the key, then address A [MASK] or hostname H");
            ConfigLine.Token keyToken = first;
            if ((first.text().equals("0") || first.text().equals("6")) && a.more() &&
                Args.resolve(a.peek().text(), List.of("address", "hostname")).match() == null)
            {
                if (first.text().equals("6"))
                {
                    throw Args.problem(first, "'6' (a key encrypted with the router's master key) is not " +
                        "supported; expected the key in clear, or 0 then the key");
                }
                keyToken = a.next("a pre-shared key", "the key");
            }
            if (keyToken.text().length() > 128)
            {
                throw Args.problem(keyToken, "the pre-shared key is " + keyToken.text().length() +
                    " characters long; expected at most 128");
            }
            final Secret key = new Secret(keyToken.text());
            final String by = a.keyword("address or hostname", "address A [MASK] or hostname H", "address", "hostname");
            final Where at = a.where();
            Optional<Ip4Subnet> address = Optional.empty();
            Optional<String> hostname = Optional.empty();
            if (by.equals("address"))
            {
                final Ip4 peer = a.address("a peer address");
                int length = 32;
                if (a.more() && Ip4.looksLikeAddress(a.peek().text()))
                {
                    length = a.mask().maskLength();
                }
                address = Optional.of(new Ip4Subnet(peer, length));
            }
            else
            {
                hostname = Optional.of(Grammar.hostName(a));
            }
            final boolean noXauth = a.accept("no-xauth") != null;
            a.end();
            final Optional<Ip4Subnet> peerRange = address;
            final Optional<String> peerName = hostname;
            for (final ConfigBuilder.KeyBuilder other : c.keys)
            {
                final boolean same = peerRange.isPresent() ?
                    other.key().address().map(o -> o.prefixLength() == peerRange.get().prefixLength() &&
                        o.network().equals(peerRange.get().network())).orElse(false) :
                    other.key().hostname().equals(peerName);
                if (same)
                {
                    throw new ConfigProblem(at.column(), "'" + peerRange.map(r -> r.address() +
                        (r.prefixLength() < 32 ? " " + r.mask() : "")).orElseGet(peerName::get) +
                        "' already has a pre-shared key (" + other.at().lineText() + "); expected one key per peer");
                }
            }
            c.keys.add(new ConfigBuilder.KeyBuilder(new Isakmp.PresharedKey(key, address, hostname, noXauth), at));
            return null;
        });

        g.global.command("crypto isakmp keepalive", (a, c) ->
        {
            c.once("crypto isakmp keepalive", a);
            final int seconds = a.intNumber("a keepalive interval in seconds", 10, 3600);
            int retry = Isakmp.Keepalive.DEFAULT_RETRY;
            if (a.more() && a.peek().text().matches("\\d+"))
            {
                retry = a.intNumber("a retry interval in seconds", 2, 60);
            }
            final String mode = a.accept("periodic", "on-demand");
            a.end();
            c.keepalive = new Isakmp.Keepalive(seconds, retry,
                "periodic".equals(mode) ? Isakmp.DpdMode.PERIODIC : Isakmp.DpdMode.ON_DEMAND);
            c.keepaliveAt = new Where(a.line(), 1);
            return null;
        });

        g.global.command("crypto isakmp identity", (a, c) ->
        {
            c.once("crypto isakmp identity", a);
            final String identity = a.keyword("an identity type", "address, hostname or dn", "address", "hostname", "dn");
            a.end();
            c.identity = switch (identity)
            {
                case "address" -> Isakmp.Identity.ADDRESS;
                case "hostname" -> Isakmp.Identity.HOSTNAME;
                default -> Isakmp.Identity.DN;
            };
            return null;
        });

        g.global.command("crypto isakmp client configuration address-pool local", (a, c) ->
        {
            c.once("crypto isakmp client configuration address-pool", a);
            c.clientPool = Grammar.nameRef(a, "a pool name");
            a.end();
            return null;
        });
    }

    // ---------------------------------------------------------------- transform sets

    private static void transformSets(final Grammar g)
    {
        g.global.opening("crypto ipsec transform-set", g.transformSet, (a, c) ->
        {
            final ConfigLine.Token nameToken = a.peek();
            final String name = Grammar.newName(a, "a transform-set name");
            final TransformSetBuilder existing = c.transformSets.get(name);
            if (existing != null)
            {
                throw Grammar.duplicate(nameToken, "transform set", existing.at);
            }
            final TransformSetBuilder set = new TransformSetBuilder();
            set.name = name;
            set.at = Where.at(a.line(), nameToken);
            // Defined even if its transforms are refused, so that what names it gets no second error.
            c.transformSets.put(name, set);
            readTransforms(a, set);
            return g.transformSet.frame(set, "crypto ipsec transform-set " + name, a.line());
        });
        g.transformSet.command("mode", (a, t) ->
        {
            t.once("mode", a);
            final String mode = a.keyword("an encapsulation mode", "tunnel or transport", "tunnel", "transport");
            a.end();
            t.mode = mode.equals("tunnel") ? Ipsec.EncapsulationMode.TUNNEL : Ipsec.EncapsulationMode.TRANSPORT;
            return null;
        });
    }

    /** The transforms after the name, checked together as IOS checks them. */
    private static void readTransforms(final Args a, final TransformSetBuilder set)
    {
        ConfigLine.Token encryptionToken = null;
        ConfigLine.Token integrityToken = null;
        if (!a.more())
        {
            throw a.missing("a transform", Transforms.EXPECTED);
        }
        while (a.more())
        {
            final ConfigLine.Token token = a.next("a transform", Transforms.EXPECTED);
            final Args.Resolution resolution = Args.resolve(token.text(), Transforms.WORDS);
            if (resolution.match() == null)
            {
                throw resolution.ambiguous() ?
                    Args.problem(token, "'" + token.text() + "' is ambiguous; expected one of " +
                        String.join(", ", resolution.candidates())) :
                    Args.not(token, "a transform", Transforms.EXPECTED);
            }
            final String word = resolution.match();
            if (word.startsWith("ah-"))
            {
                throw Args.problem(token, "'" + token.text() + "' is not supported: Sluice protects with ESP only " +
                    "(no AH); expected " + Transforms.EXPECTED);
            }
            if (word.equals("comp-lzs") || word.equals("esp-seal") || word.equals("esp-gmac"))
            {
                throw Args.problem(token, "'" + token.text() + "' is not supported by the Sluice dataplane; expected " +
                    Transforms.EXPECTED);
            }
            final EspIntegrity integrity = Transforms.integrity(word);
            if (integrity != null)
            {
                if (integrityToken != null)
                {
                    throw Args.problem(token, "'" + token.text() + "' is a second authentication transform after '" +
                        integrityToken.text() + "'; expected one of " + Transforms.INTEGRITY_EXPECTED);
                }
                integrityToken = token;
                set.integrity = integrity;
                continue;
            }
            if (encryptionToken != null)
            {
                throw Args.problem(token, "'" + token.text() + "' is a second encryption transform after '" +
                    encryptionToken.text() + "'; expected one of " + Transforms.ENCRYPTION_EXPECTED);
            }
            encryptionToken = token;
            set.encryption = switch (word)
            {
                case "esp-des" -> EspEncryption.DES_CBC;
                case "esp-3des" -> EspEncryption.DES3_CBC;
                case "esp-null" -> EspEncryption.NULL;
                case "esp-aes" ->
                {
                    final String bits = a.accept("128", "192", "256");
                    yield bits == null || bits.equals("128") ? EspEncryption.AES_CBC_128 :
                        bits.equals("192") ? EspEncryption.AES_CBC_192 : EspEncryption.AES_CBC_256;
                }
                default ->
                {
                    final String bits = a.accept("128", "192", "256");
                    yield bits == null || bits.equals("128") ? EspEncryption.AES_GCM_128 :
                        bits.equals("192") ? EspEncryption.AES_GCM_192 : EspEncryption.AES_GCM_256;
                }
            };
            if (a.more() && a.peek().text().matches("\\d+"))
            {
                throw Args.not(a.peek(), "a key length for " + word, word.equals("esp-aes") || word.equals("esp-gcm") ?
                    "128, 192 or 256" : "no key length");
            }
        }
        if (set.encryption == null)
        {
            set.encryption = EspEncryption.NULL;
        }
        if (set.integrity == null)
        {
            set.integrity = EspIntegrity.NONE;
        }
        if (set.encryption.aead() && integrityToken != null)
        {
            throw Args.problem(integrityToken, "'" + integrityToken.text() + "' cannot be combined with " +
                encryptionToken.text() + ", which authenticates by itself; expected " + encryptionToken.text() +
                " alone");
        }
        if (!set.encryption.aead() && set.integrity == EspIntegrity.NONE)
        {
            throw Args.problem(encryptionToken, "'" + encryptionToken.text() + "' without an authentication " +
                "transform is not offered (ESP without integrity can be tampered with); expected it with one of " +
                Transforms.INTEGRITY_EXPECTED + ", or esp-gcm");
        }
    }

    // ---------------------------------------------------------------- profiles

    private static void profiles(final Grammar g)
    {
        g.global.opening("crypto ipsec profile", g.profile, (a, c) ->
        {
            final ConfigLine.Token nameToken = a.peek();
            final String name = Grammar.newName(a, "a profile name");
            a.end();
            final ProfileBuilder existing = c.profiles.get(name);
            if (existing != null)
            {
                throw Grammar.duplicate(nameToken, "ipsec profile", existing.at);
            }
            final ProfileBuilder profile = new ProfileBuilder();
            profile.name = name;
            profile.at = Where.at(a.line(), nameToken);
            c.profiles.put(name, profile);
            return g.profile.frame(profile, "crypto ipsec profile " + name, a.line());
        });
        g.profile.command("set transform-set", (a, p) ->
        {
            transformSetNames(a, p.transformSets, 6, "");
            return null;
        });
        g.profile.command("set security-association lifetime", (a, p) ->
        {
            final String unit = lifetimeUnit(a);
            p.once("set security-association lifetime " + unit, a);
            if (unit.equals("seconds"))
            {
                p.seconds = lifetimeValue(a, unit);
            }
            else
            {
                p.kilobytes = lifetimeValue(a, unit);
            }
            return null;
        });
        g.profile.command("set pfs", (a, p) ->
        {
            p.once("set pfs", a);
            p.pfs = pfs(a);
            return null;
        });
        g.profile.command("set ikev2-profile", (a, p) ->
        {
            p.once("set ikev2-profile", a);
            p.ikev2Profile = Grammar.nameRef(a, "an IKEv2 profile name");
            a.end();
            return null;
        });

        g.global.command("crypto ipsec security-association lifetime", (a, c) ->
        {
            final String unit = lifetimeUnit(a);
            c.once("crypto ipsec security-association lifetime " + unit, a);
            if (unit.equals("seconds"))
            {
                c.globalSeconds = lifetimeValue(a, unit);
            }
            else
            {
                c.globalKilobytes = lifetimeValue(a, unit);
            }
            return null;
        });
    }

    private static String lifetimeUnit(final Args a)
    {
        return a.keyword("a lifetime unit", "seconds or kilobytes", "seconds", "kilobytes");
    }

    private static long lifetimeValue(final Args a, final String unit)
    {
        final long value = unit.equals("seconds") ? a.number("a lifetime in seconds", 120, 86400) :
            a.number("a lifetime in kilobytes", 2560, 4294967295L);
        a.end();
        return value;
    }

    private static void transformSetNames(final Args a, final List<Ref> names, final int most, final String where)
    {
        if (!a.more())
        {
            throw a.missing("a transform-set name", "the name of a crypto ipsec transform-set");
        }
        final List<Ref> added = new ArrayList<>();
        while (a.more())
        {
            final Ref ref = Grammar.nameRef(a, "a transform-set name");
            if (names.stream().anyMatch(n -> n.name().equals(ref.name())) ||
                added.stream().anyMatch(n -> n.name().equals(ref.name())))
            {
                throw new ConfigProblem(ref.where().column(), "'" + ref.name() +
                    "' is already set; expected each transform set once");
            }
            if (names.size() + added.size() == most)
            {
                throw new ConfigProblem(ref.where().column(), "'" + ref.name() + "' is transform set number " +
                    (most + 1) + "; expected at most " + most + where);
            }
            added.add(ref);
        }
        names.addAll(added);
    }

    /** {@code set pfs [groupN]}: group1 when no group is given, as IOS. */
    private static DhGroup pfs(final Args a)
    {
        if (!a.more())
        {
            return DhGroup.GROUP1;
        }
        final ConfigLine.Token token = a.next("a Diffie-Hellman group", PFS_EXPECTED);
        final String text = token.text().toLowerCase();
        final DhGroup group = text.matches("group\\d{1,3}") ? DhGroup.ofNumber(Integer.parseInt(text.substring(5))) : null;
        if (group == null)
        {
            throw Args.not(token, "a Diffie-Hellman group", PFS_EXPECTED);
        }
        a.end();
        return group;
    }

    // ---------------------------------------------------------------- crypto maps

    private static void cryptoMaps(final Grammar g)
    {
        g.global.opening("crypto map", g.mapEntry, (a, c) ->
        {
            final ConfigLine.Token nameToken = a.peek();
            final String name = Grammar.newName(a, "a crypto map name");
            // Defined even if the rest of the line is refused, so that what names it gets no second error.
            final CryptoMapBuilder map = map(c, name, a, nameToken);
            final ConfigLine.Token next = a.peek();
            if (next != null && Args.resolve(next.text(), List.of("client")).match() != null)
            {
                a.next("", "");
                a.keyword("configuration", "client configuration address initiate|respond", "configuration");
                a.keyword("address", "client configuration address initiate|respond", "address");
                final String how = a.keyword("initiate or respond", "initiate or respond", "initiate", "respond");
                a.end();
                map.once("crypto map client configuration address", a);
                map.clientConfiguration = how.equals("initiate") ? CryptoMap.ClientConfiguration.INITIATE :
                    CryptoMap.ClientConfiguration.RESPOND;
                return null;
            }
            if (next != null && !next.text().matches("\\d+"))
            {
                throw Args.not(next, "a sequence number", "a sequence number 1-65535, or client configuration address");
            }
            final ConfigLine.Token sequenceToken = a.peek();
            final int sequence = a.intNumber("a sequence number", 1, 65535);
            CryptoMap.Keying keying = CryptoMap.Keying.ISAKMP;
            Ref dynamic = null;
            if (a.more())
            {
                final ConfigLine.Token token = a.peek();
                final String word = a.keyword("a keying method", "ipsec-isakmp or ipsec-manual",
                    "ipsec-isakmp", "ipsec-manual", "dynamic");
                if (word.equals("dynamic"))
                {
                    throw Args.problem(token, "'" + token.text() + "' comes after the keying method; expected " +
                        "ipsec-isakmp dynamic NAME");
                }
                keying = word.equals("ipsec-manual") ? CryptoMap.Keying.MANUAL : CryptoMap.Keying.ISAKMP;
                if (a.more() && a.accept("dynamic") != null)
                {
                    if (keying == CryptoMap.Keying.MANUAL)
                    {
                        throw Args.problem(a.previous(), "'dynamic' takes its SAs from IKE; expected ipsec-isakmp " +
                            "dynamic NAME, or ipsec-manual alone");
                    }
                    dynamic = Ref.of(a.line(), a.next("a dynamic map name", "the name of a crypto dynamic-map"));
                    if (a.more() && a.accept("discover", "profile") != null)
                    {
                        throw Args.problem(a.previous(), "'" + a.previous().text() + "' is not supported; expected " +
                            "end of line");
                    }
                }
            }
            a.end();
            final EntryBuilder existing = map.entries.get(sequence);
            if (existing != null)
            {
                throw Args.problem(sequenceToken, "'" + sequence + "' is already an entry of crypto map " + name +
                    " (" + existing.at.lineText() + "); expected each sequence number once");
            }
            final EntryBuilder entry = new EntryBuilder();
            entry.map = name;
            entry.sequence = sequence;
            entry.keying = keying;
            entry.at = Where.at(a.line(), nameToken);
            entry.dynamicMap = dynamic;
            map.entries.put(sequence, entry);
            // as on IOS, a dynamic entry opens no crypto map block: its settings are the dynamic map's
            return dynamic != null ? null : g.mapEntry.frame(entry, "crypto map " + name + " " + sequence, a.line());
        });

        g.mapEntry.command("description", (a, e) ->
        {
            e.once("description", a);
            e.description = a.rest("a description");
            return null;
        });
        g.mapEntry.command("set peer", (a, e) ->
        {
            final ConfigLine.Token token = a.peek();
            final PeerRef peer = peer(a);
            if (a.more() && a.accept("default", "dynamic") != null)
            {
                throw Args.problem(a.previous(), "'" + a.previous().text() + "' is not supported; expected end of line");
            }
            a.end();
            if (e.keying == CryptoMap.Keying.MANUAL && !e.peers.isEmpty())
            {
                throw Args.problem(token, "'" + token.text() + "' is a second peer; expected one peer in a manual " +
                    "(ipsec-manual) entry");
            }
            if (e.peers.stream().anyMatch(p -> sameText(p, peer)))
            {
                throw Args.problem(token, "'" + token.text() + "' is already a peer of this entry; expected each once");
            }
            if (e.peers.size() == 10)
            {
                throw Args.problem(token, "'" + token.text() + "' is an eleventh peer; expected at most 10");
            }
            e.peers.add(peer);
            return null;
        });
        g.mapEntry.command("set transform-set", (a, e) ->
        {
            if (e.keying == CryptoMap.Keying.MANUAL)
            {
                transformSetNames(a, e.transformSets, 1, " in a manual (ipsec-manual) entry");
            }
            else
            {
                transformSetNames(a, e.transformSets, 6, "");
            }
            return null;
        });
        g.mapEntry.command("match address", (a, e) ->
        {
            e.once("match address", a);
            e.matchAddress = Grammar.nameRef(a, "an access-list number or name");
            a.end();
            return null;
        });
        g.mapEntry.command("set security-association lifetime", (a, e) ->
        {
            final String unit = lifetimeUnit(a);
            e.once("set security-association lifetime " + unit, a);
            if (e.lifetimeAt == null)
            {
                e.lifetimeAt = new Where(a.line(), a.line().token(0).column());
            }
            if (unit.equals("seconds"))
            {
                e.seconds = lifetimeValue(a, unit);
            }
            else
            {
                e.kilobytes = lifetimeValue(a, unit);
            }
            return null;
        });
        g.mapEntry.command("set pfs", (a, e) ->
        {
            e.once("set pfs", a);
            e.pfs = pfs(a);
            e.pfsAt = new Where(a.line(), a.line().token(0).column());
            return null;
        });
        g.mapEntry.command("set session-key", (a, e) ->
        {
            if (e.keying == CryptoMap.Keying.ISAKMP)
            {
                throw Args.problem(a.line().token(1), "'session-key' is for manual keying; expected it in a " +
                    "'crypto map NAME SEQ ipsec-manual' entry, not an ipsec-isakmp one");
            }
            final String direction = a.keyword("a direction", "inbound or outbound", "inbound", "outbound");
            e.once("set session-key " + direction, a);
            final ConfigLine.Token protocol = a.next("a protocol", "esp");
            if (Args.resolve(protocol.text(), List.of("esp", "ah")).match() instanceof final String word)
            {
                if (word.equals("ah"))
                {
                    throw Args.problem(protocol, "'ah' is not supported: Sluice protects with ESP only; expected esp");
                }
            }
            else
            {
                throw Args.not(protocol, "a protocol", "esp");
            }
            final SessionKeyBuilder key = new SessionKeyBuilder();
            key.at = new Where(a.line(), a.line().token(0).column());
            key.spiAt = a.where();
            key.spi = a.number("an SPI", 256, 4294967295L);
            while (a.more())
            {
                final String part = a.keyword("a key", "cipher HEX or authenticator HEX", "cipher", "authenticator");
                final Where at = a.where();
                final KeyMaterial bytes = hex(a, part);
                if (part.equals("cipher"))
                {
                    if (key.cipher != null)
                    {
                        throw new ConfigProblem(at.column(), "a second cipher key; expected one");
                    }
                    key.cipher = bytes;
                    key.cipherAt = at;
                }
                else
                {
                    if (key.authenticator != null)
                    {
                        throw new ConfigProblem(at.column(), "a second authenticator key; expected one");
                    }
                    key.authenticator = bytes;
                    key.authenticatorAt = at;
                }
            }
            if (key.cipher == null && key.authenticator == null)
            {
                throw a.missing("a key", "cipher HEX [authenticator HEX], or authenticator HEX for esp-null");
            }
            if (direction.equals("inbound"))
            {
                e.inbound = key;
            }
            else
            {
                e.outbound = key;
            }
            return null;
        });
    }

    /**
     * {@code crypto dynamic-map NAME SEQ} and its block: transform sets, PFS, lifetimes, an optional
     * {@code match address}, {@code reverse-route}. No {@code set peer}: the peer is whoever
     * authenticates.
     */
    private static void dynamicMaps(final Grammar g)
    {
        g.global.opening("crypto dynamic-map", g.dynamicEntry, (a, c) ->
        {
            final ConfigLine.Token nameToken = a.peek();
            final String name = Grammar.newName(a, "a dynamic map name");
            final DynamicMapBuilder map = c.dynamicMaps.computeIfAbsent(name, n ->
            {
                final DynamicMapBuilder m = new DynamicMapBuilder();
                m.name = n;
                m.at = Where.at(a.line(), nameToken);
                return m;
            });
            final ConfigLine.Token sequenceToken = a.peek();
            final int sequence = a.intNumber("a sequence number", 1, 65535);
            a.end();
            final DynamicEntryBuilder existing = map.entries.get(sequence);
            if (existing != null)
            {
                throw Args.problem(sequenceToken, "'" + sequence + "' is already an entry of dynamic map " + name +
                    " (" + existing.at.lineText() + "); expected each sequence number once");
            }
            final DynamicEntryBuilder entry = new DynamicEntryBuilder();
            entry.map = name;
            entry.sequence = sequence;
            entry.at = Where.at(a.line(), nameToken);
            map.entries.put(sequence, entry);
            return g.dynamicEntry.frame(entry, "crypto dynamic-map " + name + " " + sequence, a.line());
        });
        g.dynamicEntry.command("description", (a, e) ->
        {
            e.once("description", a);
            e.description = a.rest("a description");
            return null;
        });
        g.dynamicEntry.command("set transform-set", (a, e) ->
        {
            transformSetNames(a, e.transformSets, 6, "");
            return null;
        });
        g.dynamicEntry.command("set pfs", (a, e) ->
        {
            e.once("set pfs", a);
            e.pfs = pfs(a);
            return null;
        });
        g.dynamicEntry.command("set security-association lifetime", (a, e) ->
        {
            final String unit = lifetimeUnit(a);
            e.once("set security-association lifetime " + unit, a);
            if (unit.equals("seconds"))
            {
                e.seconds = lifetimeValue(a, unit);
            }
            else
            {
                e.kilobytes = lifetimeValue(a, unit);
            }
            return null;
        });
        g.dynamicEntry.command("match address", (a, e) ->
        {
            e.once("match address", a);
            e.matchAddress = Grammar.nameRef(a, "an access-list number or name");
            a.end();
            return null;
        });
        g.dynamicEntry.command("reverse-route", (a, e) ->
        {
            e.once("reverse-route", a);
            if (a.more())
            {
                throw Args.problem(a.peek(), "'" + a.peek().text() + "' is not supported; expected end of line " +
                    "(reverse-route routes each peer's protected network, as negotiated, into its tunnel)");
            }
            e.reverseRoute = true;
            return null;
        });
        g.dynamicEntry.hidden("set peer", null, (a, e) ->
        {
            throw Args.problem(a.line().token(1), "'peer' is not taken by a dynamic map: its peer is whoever " +
                "authenticates; expected a 'crypto map NAME SEQ ipsec-isakmp' entry for a known peer");
        });
    }

    private static CryptoMapBuilder map(
        final ConfigBuilder c, final String name, final Args a, final ConfigLine.Token nameToken)
    {
        return c.cryptoMaps.computeIfAbsent(name, n ->
        {
            final CryptoMapBuilder map = new CryptoMapBuilder();
            map.name = n;
            map.at = Where.at(a.line(), nameToken);
            return map;
        });
    }

    /** A key in hex; the message never repeats the key. */
    private static KeyMaterial hex(final Args a, final String what)
    {
        final ConfigLine.Token token = a.next("the " + what + " key", "hexadecimal digits");
        final String text = token.text();
        for (int i = 0; i < text.length(); i++)
        {
            if (Character.digit(text.charAt(i), 16) < 0)
            {
                throw Args.problem(token, "the " + what + " key is not hexadecimal (character " + (i + 1) +
                    " is '" + text.charAt(i) + "'); expected hexadecimal digits");
            }
        }
        if (text.length() % 2 != 0)
        {
            throw Args.problem(token, "the " + what + " key has an odd number of hex digits (" + text.length() +
                "); expected two digits per byte");
        }
        return KeyMaterial.ofHex(text);
    }

    /** {@code set peer A} or a name from {@code ip host}. */
    private static PeerRef peer(final Args a)
    {
        final ConfigLine.Token token = a.next("a peer", "an address such as 192.0.2.1");
        if (Ip4.looksLikeAddress(token.text()))
        {
            return new PeerRef(Ip4.parse(token.text()), null);
        }
        if (token.text().matches("[\\d.]+"))
        {
            throw Args.problem(token, "'" + token.text() + "' is not a peer address: " + errorOf(token.text()));
        }
        return new PeerRef(null, Ref.of(a.line(), token));
    }

    private static String errorOf(final String text)
    {
        try
        {
            Ip4.parse(text);
            return "";
        }
        catch (final IllegalArgumentException e)
        {
            return e.getMessage();
        }
    }

    private static boolean sameText(final PeerRef a, final PeerRef b)
    {
        return a.address() != null ? a.address().equals(b.address()) :
            b.hostname() != null && a.hostname().name().equals(b.hostname().name());
    }

    // ---------------------------------------------------------------- Easy VPN

    private static void ezvpn(final Grammar g)
    {
        g.global.opening("crypto ipsec client ezvpn", g.ezvpn, (a, c) ->
        {
            final ConfigLine.Token nameToken = a.peek();
            final String name = Grammar.newName(a, "an Easy VPN client name");
            a.end();
            final EzvpnBuilder existing = c.ezvpns.get(name);
            if (existing != null)
            {
                throw Grammar.duplicate(nameToken, "Easy VPN client", existing.at);
            }
            final EzvpnBuilder client = new EzvpnBuilder();
            client.name = name;
            client.at = Where.at(a.line(), nameToken);
            c.ezvpns.put(name, client);
            return g.ezvpn.frame(client, "crypto ipsec client ezvpn " + name, a.line());
        });
        g.ezvpn.command("connect", (a, e) ->
        {
            e.once("connect", a);
            final String how = a.keyword("a connect mode", "auto or manual", "auto", "manual");
            a.end();
            e.connect = how.equals("auto") ? EzvpnClient.Connect.AUTO : EzvpnClient.Connect.MANUAL;
            return null;
        });
        g.ezvpn.command("group", (a, e) ->
        {
            e.once("group", a);
            final String group = Grammar.newName(a, "a group name");
            a.keyword("key", "key KEY", "key");
            final ConfigLine.Token key = a.next("a group key", "the group's pre-shared key");
            a.end();
            e.group = new EzvpnClient.Group(group, new Secret(key.text()));
            return null;
        });
        g.ezvpn.command("mode", (a, e) ->
        {
            e.once("mode", a);
            final String mode = a.keyword("an Easy VPN mode", "client, network-extension or network-plus",
                "client", "network-extension", "network-plus");
            a.end();
            e.mode = switch (mode)
            {
                case "client" -> EzvpnClient.Mode.CLIENT;
                case "network-extension" -> EzvpnClient.Mode.NETWORK_EXTENSION;
                default -> EzvpnClient.Mode.NETWORK_PLUS;
            };
            return null;
        });
        g.ezvpn.command("peer", (a, e) ->
        {
            final ConfigLine.Token token = a.peek();
            final PeerRef peer = peer(a);
            a.end();
            if (e.peers.stream().anyMatch(p -> sameText(p, peer)))
            {
                throw Args.problem(token, "'" + token.text() + "' is already a peer of this client; expected each once");
            }
            e.peers.add(peer);
            return null;
        });
    }

    // ---------------------------------------------------------------- RSA public keys

    private static void pubkeys(final Grammar g)
    {
        g.global.opening("crypto key pubkey-chain rsa", g.pubkeyChain, (a, c) ->
        {
            a.end();
            return g.pubkeyChain.frame(c, "crypto key pubkey-chain rsa", a.line());
        });
        for (final String kind : new String[] {"named-key", "addressed-key"})
        {
            g.pubkeyChain.opening(kind, g.pubkey, (a, c) ->
            {
                final boolean addressed = kind.equals("addressed-key");
                final ConfigLine.Token token = a.peek();
                final PubkeyBuilder key = new PubkeyBuilder();
                key.addressed = addressed;
                if (addressed)
                {
                    key.address = a.address("a peer address");
                    key.name = key.address.toString();
                }
                else
                {
                    key.name = Grammar.hostName(a);
                }
                final String usage = a.accept("encryption", "signature");
                a.end();
                key.usage = usage == null ? RsaPublicKey.Usage.GENERAL : usage.equals("encryption") ?
                    RsaPublicKey.Usage.ENCRYPTION : RsaPublicKey.Usage.SIGNATURE;
                key.at = Where.at(a.line(), token);
                for (final PubkeyBuilder other : c.pubkeys)
                {
                    if (other.addressed == key.addressed && other.name.equals(key.name) && other.usage == key.usage)
                    {
                        throw Grammar.duplicate(token, kind, other.at);
                    }
                }
                c.pubkeys.add(key);
                return g.pubkey.frame(key, kind + " " + key.name, a.line());
            });
        }
        g.pubkey.command("address", (a, k) ->
        {
            k.once("address", a);
            final Ip4 address = a.address("a peer address");
            a.end();
            if (k.addressed)
            {
                throw Args.problem(a.line().token(0), "'address' is for a named-key; expected it under " +
                    "named-key, not addressed-key " + k.name);
            }
            k.address = address;
            return null;
        });
        g.pubkey.opening("key-string", g.keyString, (a, k) ->
        {
            k.once("key-string", a);
            k.keyString = true;
            appendHex(a.line(), 1, k);
            return g.keyString.frame(k, "key-string", a.line());
        });
        g.keyString.data((line, k) -> appendHex(line, 0, k));
    }

    /** Adds a line of {@code key-string} hex (words of any length, each an even number of digits). */
    private static void appendHex(final ConfigLine line, final int from, final PubkeyBuilder key)
    {
        for (int i = from; i < line.size(); i++)
        {
            final ConfigLine.Token token = line.token(i);
            final String text = token.text();
            if (!text.chars().allMatch(ch -> Character.digit(ch, 16) >= 0))
            {
                throw Args.problem(token, "'" + text + "' is not hexadecimal key data; expected hex digits, or " +
                    "quit to end the key-string");
            }
            if (text.length() % 2 != 0)
            {
                throw Args.problem(token, "'" + text + "' has an odd number of hex digits; expected two per byte");
            }
            key.key.writeBytes(KeyMaterial.ofHex(text).bytes());
        }
    }
}
