package io.sluice.controlplane.ike.v1;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** A throwaway CA and the certificates it issues, made with Bouncy Castle for the certificate tests. */
final class TestPki
{
    private static final AtomicLong SERIAL = new AtomicLong(1);
    static final long DAY = 86_400_000L;

    final X500Name name;
    final KeyPair keys;
    final byte[] certificate;

    private TestPki(final X500Name name, final KeyPair keys, final byte[] certificate)
    {
        this.name = name;
        this.keys = keys;
        this.certificate = certificate;
    }

    static KeyPair rsa()
    {
        try
        {
            final KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(1024);   // enough for the tests, quick to generate
            return g.generateKeyPair();
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed CA valid from yesterday for a year. */
    static TestPki authority(final String dn)
    {
        final KeyPair keys = rsa();
        final X500Name name = new X500Name(dn);
        return new TestPki(name, keys, issue(name, keys, name, keys, true, System.currentTimeMillis() - DAY,
            System.currentTimeMillis() + 365 * DAY, null));
    }

    /** An end-entity certificate for {@code dn} (with {@code ip} as subjectAltName, if given). */
    byte[] issue(final String dn, final KeyPair subject, final long notBefore, final long notAfter, final String ip)
    {
        return issue(new X500Name(dn), subject, name, keys, false, notBefore, notAfter, ip);
    }

    Ikev1Credentials credentials(final String dn, final String ip)
    {
        final KeyPair k = rsa();
        return new Ikev1Credentials(issue(dn, k, System.currentTimeMillis() - DAY, System.currentTimeMillis() + 30 * DAY,
            ip), k.getPrivate(), List.of(certificate));
    }

    private static byte[] issue(final X500Name subject, final KeyPair subjectKeys, final X500Name issuer,
        final KeyPair issuerKeys, final boolean ca, final long notBefore, final long notAfter, final String ip)
    {
        try
        {
            final X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
                BigInteger.valueOf(SERIAL.getAndIncrement()), new Date(notBefore), new Date(notAfter), subject,
                subjectKeys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ip != null)
            {
                b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.iPAddress, ip)));
            }
            return b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())).getEncoded();
        }
        catch (final Exception e)
        {
            throw new IllegalStateException(e);
        }
    }

    /** Writes PEM: a certificate (DER) or a key object. */
    static void pem(final Path file, final Object... objects) throws IOException
    {
        final StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w))
        {
            for (final Object o : objects)
            {
                p.writeObject(o instanceof byte[] der ? new org.bouncycastle.cert.X509CertificateHolder(der) : o);
            }
        }
        Files.writeString(file, w.toString());
    }
}
