package io.sluice.controlplane.ike.v1;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import javax.crypto.Cipher;

/**
 * Our certificate and RSA key, and the CA certificates we trust, for IKEv1 authentication with RSA
 * signatures (RFC 2409 5.1); the same key decrypts the nonces peers encrypt to us with rsa-encr
 * (5.2). Bouncy Castle parses the PEM files and the certificates and checks the chain from a
 * peer's certificate to a configured CA.
 *
 * @param certificate our certificate, DER (sent in the CERT payload).
 * @param privateKey  its RSA private key.
 * @param authorities the trusted CA certificates, DER.
 */
public record Ikev1Credentials(byte[] certificate, PrivateKey privateKey, List<byte[]> authorities)
{
    /** The deepest chain we walk from a peer's certificate to a CA. */
    static final int MAX_CHAIN = 5;

    public Ikev1Credentials
    {
        if (!(privateKey instanceof RSAPrivateKey))
        {
            throw new IllegalArgumentException("IKEv1 rsa-sig needs an RSA private key, not " + privateKey.getAlgorithm());
        }
        authorities = List.copyOf(authorities);
    }

    /**
     * Reads PEM files: our certificate, our private key (PKCS#1 or PKCS#8, unencrypted) and one or
     * more CA certificates.
     *
     * @throws IOException with the file and what is wrong with it.
     */
    public static Ikev1Credentials fromPem(final Path certificate, final Path privateKey, final Path authorities)
        throws IOException
    {
        final List<byte[]> own = certificates(certificate);
        final List<byte[]> cas = certificates(authorities);
        if (own.isEmpty() || cas.isEmpty())
        {
            throw new IOException((own.isEmpty() ? certificate : authorities) + ": no PEM CERTIFICATE in it");
        }
        try (Reader r = Files.newBufferedReader(privateKey, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r))
        {
            final Object o = p.readObject();
            final JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            final PrivateKey key = switch (o)
            {
                case PEMKeyPair pair -> converter.getKeyPair(pair).getPrivate();
                case PrivateKeyInfo info -> converter.getPrivateKey(info);
                case null, default -> throw new IOException(privateKey + ": no unencrypted PEM private key in it");
            };
            return new Ikev1Credentials(own.get(0), key, cas);
        }
    }

    private static List<byte[]> certificates(final Path file) throws IOException
    {
        final List<byte[]> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r))
        {
            for (Object o = p.readObject(); o != null; o = p.readObject())
            {
                if (o instanceof X509CertificateHolder h)
                {
                    out.add(h.getEncoded());
                }
            }
        }
        return out;
    }

    /** Our certificate's subject DN, DER: the ID_DER_ASN1_DN identity. */
    byte[] subjectDer()
    {
        try
        {
            return new X509CertificateHolder(certificate).getSubject().getEncoded();
        }
        catch (final IOException e)
        {
            throw new IllegalStateException("our own certificate does not parse", e);
        }
    }

    /** The DER subject names of our CAs, for CERTREQ payloads. */
    List<byte[]> authorityNames()
    {
        final List<byte[]> names = new ArrayList<>();
        for (final byte[] ca : authorities)
        {
            try
            {
                names.add(new X509CertificateHolder(ca).getSubject().getEncoded());
            }
            catch (final IOException e)
            {
                throw new IllegalStateException("a CA certificate does not parse", e);
            }
        }
        return names;
    }

    /** IKEv1 RSA signature: PKCS#1 v1.5 padding of the raw hash, without a DigestInfo (as RFC 2409 implementations do). */
    byte[] sign(final byte[] hash)
    {
        try
        {
            final Signature s = Signature.getInstance("NONEwithRSA");
            s.initSign(privateKey);
            s.update(hash);
            return s.sign();
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException("RSA signing failed", e);
        }
    }

    /** True if {@code signature} is ours-style (see {@link #sign}) over {@code hash} by {@code key}. */
    static boolean verify(final PublicKey key, final byte[] hash, final byte[] signature)
    {
        try
        {
            final Signature s = Signature.getInstance("NONEwithRSA");
            s.initVerify(key);
            s.update(hash);
            return s.verify(signature);
        }
        catch (final GeneralSecurityException e)
        {
            return false;
        }
    }

    /**
     * RSA encrypted nonces (RFC 2409 5.2): a nonce or ID payload body encrypted to a peer's public
     * key with PKCS#1 v1.5 padding, as long as the key's modulus.
     */
    static byte[] encrypt(final PublicKey key, final byte[] plain)
    {
        try
        {
            final Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            c.init(Cipher.ENCRYPT_MODE, key);
            return c.doFinal(plain);
        }
        catch (final GeneralSecurityException e)
        {
            throw new IllegalStateException("RSA encryption to the peer's public key failed", e);
        }
    }

    /**
     * Decrypts what a peer encrypted to our public key; null when it does not decrypt (wrong key,
     * bad padding, wrong length). Callers must not let the peer see which way it failed.
     */
    byte[] decrypt(final byte[] ciphertext)
    {
        try
        {
            final Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            c.init(Cipher.DECRYPT_MODE, privateKey);
            return c.doFinal(ciphertext);
        }
        catch (final GeneralSecurityException | IllegalArgumentException e)
        {
            return null;
        }
    }

    /**
     * Checks a peer's certificate: it chains (through the other certificates it sent) to one of our
     * CAs, every link's signature verifies, intermediates are CAs, and all are valid at {@code now}.
     *
     * @return the peer certificate's public key.
     * @throws Ikev1Exception (INVALID-CERTIFICATE or CERT-UNAVAILABLE) saying which check failed.
     */
    PublicKey verifyChain(final byte[] peer, final List<byte[]> others, final long now)
    {
        try
        {
            final X509CertificateHolder leaf = new X509CertificateHolder(peer);
            final Date at = new Date(now);
            X509CertificateHolder current = leaf;
            for (int depth = 0; depth < MAX_CHAIN; depth++)
            {
                if (!current.isValidOn(at))
                {
                    throw new Ikev1Exception(INVALID_CERTIFICATE, "certificate " + current.getSubject() +
                        " not valid now (" + current.getNotBefore() + " to " + current.getNotAfter() + ")");
                }
                final X500Name issuer = current.getIssuer();
                for (final byte[] der : authorities)
                {
                    final X509CertificateHolder ca = new X509CertificateHolder(der);
                    if (ca.getSubject().equals(issuer) && current.isSignatureValid(verifier(ca)))
                    {
                        if (!ca.isValidOn(at))
                        {
                            throw new Ikev1Exception(INVALID_CERTIFICATE, "CA certificate " + ca.getSubject() +
                                " not valid now");
                        }
                        return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(leaf)
                            .getPublicKey();
                    }
                }
                X509CertificateHolder next = null;
                for (final byte[] der : others)
                {
                    final X509CertificateHolder c = new X509CertificateHolder(der);
                    if (c.getSubject().equals(issuer) && isCa(c) && current.isSignatureValid(verifier(c)))
                    {
                        next = c;
                        break;
                    }
                }
                if (next == null)
                {
                    throw new Ikev1Exception(INVALID_CERTIFICATE, "certificate " + current.getSubject() +
                        " is not signed by a trusted CA (issuer " + issuer + ")");
                }
                current = next;
            }
            throw new Ikev1Exception(INVALID_CERTIFICATE, "certificate chain longer than " + MAX_CHAIN);
        }
        catch (final IOException | GeneralSecurityException | org.bouncycastle.cert.CertException |
            org.bouncycastle.operator.OperatorCreationException | IllegalArgumentException e)
        {
            throw new Ikev1Exception(INVALID_CERTIFICATE, "certificate does not parse or verify: " + e.getMessage());
        }
    }

    /** True if the certificate names the identity the peer claimed (its subject DN, or an address or name in its SAN). */
    static boolean names(final byte[] certificate, final Payload.Identification id)
    {
        try
        {
            final X509CertificateHolder c = new X509CertificateHolder(certificate);
            if (id.idType() == Ikev1.ID_DER_ASN1_DN)
            {
                return Arrays.equals(c.getSubject().getEncoded(), id.data()) ||
                    c.getSubject().equals(X500Name.getInstance(id.data()));
            }
            final GeneralNames san = GeneralNames.fromExtensions(c.getExtensions(), Extension.subjectAlternativeName);
            if (san == null)
            {
                return false;
            }
            for (final GeneralName n : san.getNames())
            {
                if (id.idType() == Ikev1.ID_IPV4_ADDR && n.getTagNo() == GeneralName.iPAddress &&
                    Arrays.equals(org.bouncycastle.asn1.ASN1OctetString.getInstance(n.getName()).getOctets(), id.data()))
                {
                    return true;
                }
                if (id.idType() == Ikev1.ID_FQDN && n.getTagNo() == GeneralName.dNSName &&
                    n.getName().toString().equalsIgnoreCase(new String(id.data(), StandardCharsets.US_ASCII)))
                {
                    return true;
                }
            }
            return false;
        }
        catch (final IOException | IllegalArgumentException e)
        {
            return false;
        }
    }

    private static boolean isCa(final X509CertificateHolder c)
    {
        final BasicConstraints bc = BasicConstraints.fromExtensions(c.getExtensions());
        return bc != null && bc.isCA();
    }

    private static ContentVerifierProvider verifier(final X509CertificateHolder c)
        throws org.bouncycastle.operator.OperatorCreationException, java.security.cert.CertificateException
    {
        return new JcaContentVerifierProviderBuilder().build(c);
    }

    /** RFC 2408 notify types for certificate errors. */
    static final int INVALID_CERTIFICATE = 19;

    /** For logs: never the key. */
    @Override
    public String toString()
    {
        try
        {
            return "Ikev1Credentials[" + new X509CertificateHolder(certificate).getSubject() + ", " + authorities.size() +
                " CA(s)]";
        }
        catch (final IOException e)
        {
            return "Ikev1Credentials[unparsable certificate]";
        }
    }
}
