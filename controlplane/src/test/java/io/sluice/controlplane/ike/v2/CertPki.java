package io.sluice.controlplane.ike.v2;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A throwaway certificate authority for the IKEv2 certificate tests: RSA or ECDSA keys, intermediate
 * CAs, end-entity certificates with subjectAltNames (an IPv4 address, a DNS name), chosen validity.
 */
final class CertPki
{
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    static final long DAY = 86_400_000L;

    final X500Name name;
    final KeyPair keys;
    final byte[] certificate;
    /** The intermediates above this CA, below its root, nearest first (empty for a root and its direct children). */
    final List<byte[]> chain;
    final boolean root;

    private CertPki(final X500Name name, final KeyPair keys, final byte[] certificate, final List<byte[]> chain,
        final boolean root)
    {
        this.root = root;
        this.name = name;
        this.keys = keys;
        this.certificate = certificate;
        this.chain = chain;
    }

    static KeyPair rsa()
    {
        return generate("RSA", 2048);
    }

    static KeyPair ecdsa()
    {
        return generate("EC", 256);
    }

    private static KeyPair generate(final String algorithm, final int size)
    {
        try
        {
            final KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            if (algorithm.equals("EC"))
            {
                g.initialize(new ECGenParameterSpec("secp256r1"));
            }
            else
            {
                g.initialize(size);
            }
            return g.generateKeyPair();
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed root CA valid from yesterday for a year. */
    static CertPki root(final String dn)
    {
        final KeyPair k = rsa();
        final X500Name n = new X500Name(dn);
        return new CertPki(n, k, issue(n, k, n, k, true, now() - DAY, now() + 365 * DAY, null, null), List.of(), true);
    }

    /** An intermediate CA under this one. */
    CertPki intermediate(final String dn)
    {
        final KeyPair k = rsa();
        final X500Name n = new X500Name(dn);
        final List<byte[]> above = new ArrayList<>();
        if (!root)
        {
            above.add(certificate);
            above.addAll(chain);
        }
        return new CertPki(n, k, issue(n, k, name, keys, true, now() - DAY, now() + 365 * DAY, null, null), above, false);
    }

    /** An end-entity certificate for {@code dn} valid from {@code notBefore} to {@code notAfter}. */
    byte[] issue(final String dn, final KeyPair subject, final long notBefore, final long notAfter, final String ip,
        final String dns)
    {
        return issue(new X500Name(dn), subject, name, keys, false, notBefore, notAfter, ip, dns);
    }

    /** Credentials with a fresh key and a certificate valid for a month: ours, then this CA's intermediates. */
    Ikev2Credentials credentials(final KeyPair k, final String dn, final String ip, final String dns, final CertPki trusted)
    {
        return credentials(k, dn, ip, dns, now() - DAY, now() + 30 * DAY, trusted);
    }

    Ikev2Credentials credentials(final KeyPair k, final String dn, final String ip, final String dns,
        final long notBefore, final long notAfter, final CertPki trusted)
    {
        final List<byte[]> certs = new ArrayList<>();
        certs.add(issue(dn, k, notBefore, notAfter, ip, dns));
        if (!root)
        {
            certs.add(certificate);
            certs.addAll(chain);
        }
        return new Ikev2Credentials(certs, k.getPrivate(), List.of(trusted.certificate));
    }

    private static long now()
    {
        return System.currentTimeMillis();
    }

    private static byte[] issue(final X500Name subject, final KeyPair subjectKeys, final X500Name issuer,
        final KeyPair issuerKeys, final boolean ca, final long notBefore, final long notAfter, final String ip,
        final String dns)
    {
        try
        {
            final JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
                BigInteger.valueOf(SERIAL.getAndIncrement()), new Date(notBefore), new Date(notAfter), subject,
                subjectKeys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            final List<GeneralName> names = new ArrayList<>();
            if (ip != null)
            {
                names.add(new GeneralName(GeneralName.iPAddress, ip));
            }
            if (dns != null)
            {
                names.add(new GeneralName(GeneralName.dNSName, dns));
            }
            if (!names.isEmpty())
            {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            return b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())).getEncoded();
        }
        catch (final Exception e)
        {
            throw new IllegalStateException(e);
        }
    }

    /** Writes PEM: certificates (DER) or key objects. */
    static void pem(final Path file, final Object... objects) throws IOException
    {
        final StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w))
        {
            for (final Object o : objects)
            {
                p.writeObject(o instanceof byte[] der ? new X509CertificateHolder(der) : o);
            }
        }
        Files.writeString(file, w.toString());
    }
}
