package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.ike.v1.Ikev1Credentials;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * Our certificate chain and private key (RSA or ECDSA), and the CA certificates we trust, for IKEv2
 * authentication with digital signatures (RFC 7296 2.15, 3.6-3.8; RFC 7427). Bouncy Castle parses
 * the PEM files and certificates and checks a peer's chain to a configured CA.
 *
 * <p>Certificate validity is judged against the wall clock ({@code System.currentTimeMillis()}),
 * never the engine's clock, which is monotonic and starts anywhere.
 *
 * @param certificates our certificate first (its key signs AUTH), then intermediates, DER; all are sent as CERT payloads.
 * @param privateKey   the private key of the first certificate: RSA or EC.
 * @param authorities  the trusted CA certificates, DER.
 */
public record Ikev2Credentials(List<byte[]> certificates, PrivateKey privateKey, List<byte[]> authorities)
{
    /** The deepest chain we walk from a peer's certificate to a CA. */
    static final int MAX_CHAIN = 6;
    /** Hash algorithm ids of SIGNATURE_HASH_ALGORITHMS (RFC 7427 4): SHA2-256, SHA2-384, SHA2-512. */
    static final byte[] SIGNATURE_HASHES = {0, 2, 0, 3, 0, 4};
    /** CERT / CERTREQ encoding: X.509 Certificate - Signature (3.6). */
    static final int X509_SIGNATURE = 4;

    private static final String OID_RSA_SHA256 = "1.2.840.113549.1.1.11";
    private static final String OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2";
    private static final String OID_ECDSA_SHA384 = "1.2.840.10045.4.3.3";
    private static final String OID_ECDSA_SHA512 = "1.2.840.10045.4.3.4";
    /** RFC 7427 signature algorithms we verify, by OID: the JCA name. */
    private static final Map<String, String> JCA = Map.of(
        "1.2.840.113549.1.1.5", "SHA1withRSA",
        OID_RSA_SHA256, "SHA256withRSA",
        "1.2.840.113549.1.1.12", "SHA384withRSA",
        "1.2.840.113549.1.1.13", "SHA512withRSA",
        OID_ECDSA_SHA256, "SHA256withECDSA",
        OID_ECDSA_SHA384, "SHA384withECDSA",
        OID_ECDSA_SHA512, "SHA512withECDSA");

    public Ikev2Credentials
    {
        certificates = List.copyOf(certificates);
        authorities = List.copyOf(authorities);
        if (certificates.isEmpty())
        {
            throw new IllegalArgumentException("IKEv2 certificate authentication needs our certificate");
        }
        if (!(privateKey instanceof RSAPrivateKey) && !(privateKey instanceof ECPrivateKey))
        {
            throw new IllegalArgumentException("IKEv2 signatures need an RSA or EC private key, not " +
                privateKey.getAlgorithm());
        }
    }

    /** The certificate, key and CAs of IKEv1's configuration, for the same gateway speaking IKEv2. */
    public static Ikev2Credentials of(final Ikev1Credentials v1)
    {
        return new Ikev2Credentials(List.of(v1.certificate()), v1.privateKey(), v1.authorities());
    }

    /**
     * Reads PEM files: our certificate (followed by intermediates, if any), our private key
     * (PKCS#1, SEC1 or PKCS#8, unencrypted) and one or more CA certificates.
     *
     * @throws IOException with the file and what is wrong with it.
     */
    public static Ikev2Credentials fromPem(final Path certificate, final Path privateKey, final Path authorities)
        throws IOException
    {
        final List<byte[]> own = pemCertificates(certificate);
        final List<byte[]> cas = pemCertificates(authorities);
        if (own.isEmpty() || cas.isEmpty())
        {
            throw new IOException((own.isEmpty() ? certificate : authorities) + ": no PEM CERTIFICATE in it");
        }
        try (Reader r = Files.newBufferedReader(privateKey, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r))
        {
            final JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object o = p.readObject(); o != null; o = p.readObject())
            {
                if (o instanceof PEMKeyPair pair)
                {
                    return new Ikev2Credentials(own, converter.getKeyPair(pair).getPrivate(), cas);
                }
                if (o instanceof PrivateKeyInfo info)
                {
                    return new Ikev2Credentials(own, converter.getPrivateKey(info), cas);
                }
            }
            throw new IOException(privateKey + ": no unencrypted PEM private key in it");
        }
    }

    private static List<byte[]> pemCertificates(final Path file) throws IOException
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

    // ------------------------------------------------------------------------------------ ours

    /** Our certificates as CERT payloads, ours first. */
    List<Payload> certPayloads()
    {
        return certificates.stream().map(c -> (Payload)new Payload.Cert(X509_SIGNATURE, c)).toList();
    }

    /** CERTREQ (3.7): the SHA-1 hashes of our CAs' SubjectPublicKeyInfo, concatenated. */
    Payload.CertReq certReq()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] ca : authorities)
        {
            try
            {
                out.writeBytes(MessageDigest.getInstance("SHA-1").digest(
                    new X509CertificateHolder(ca).getSubjectPublicKeyInfo().getEncoded()));
            }
            catch (final IOException | GeneralSecurityException e)
            {
                throw new IllegalStateException("a CA certificate does not parse", e);
            }
        }
        return new Payload.CertReq(X509_SIGNATURE, out.toByteArray());
    }

    /** Our subject DN, for "auth method" text in logs. */
    String subject()
    {
        try
        {
            return new X509CertificateHolder(certificates.getFirst()).getSubject().toString();
        }
        catch (final IOException e)
        {
            return "?";
        }
    }

    /**
     * AUTH over {@code octets}: RFC 7427 digital signature (method 14, SHA-256 for RSA, the curve's
     * hash for ECDSA) when the peer announced SIGNATURE_HASH_ALGORITHMS, else RSA PKCS#1 v1.5 with
     * SHA-1 (method 1) or ECDSA with the curve's hash (methods 9-11, r|s), as RFC 7296 has them.
     */
    Payload.Auth sign(final byte[] octets, final boolean digitalSignature)
    {
        try
        {
            if (privateKey instanceof RSAKey)
            {
                if (!digitalSignature)
                {
                    return new Payload.Auth(Ikev2.AUTH_RSA_SIG, signature("SHA1withRSA", octets));
                }
                return digitalSignature(new AlgorithmIdentifier(new ASN1ObjectIdentifier(OID_RSA_SHA256), DERNull.INSTANCE),
                    signature("SHA256withRSA", octets));
            }
            final int bits = ((ECKey)privateKey).getParams().getCurve().getField().getFieldSize();
            final String hash = bits <= 256 ? "SHA256" : bits <= 384 ? "SHA384" : "SHA512";
            if (!digitalSignature)
            {
                return new Payload.Auth(bits <= 256 ? Ikev2.AUTH_ECDSA_256 : bits <= 384 ? Ikev2.AUTH_ECDSA_384 :
                    Ikev2.AUTH_ECDSA_521, signature(hash + "withECDSAinP1363Format", octets));
            }
            final String oid = bits <= 256 ? OID_ECDSA_SHA256 : bits <= 384 ? OID_ECDSA_SHA384 : OID_ECDSA_SHA512;
            return digitalSignature(new AlgorithmIdentifier(new ASN1ObjectIdentifier(oid)),
                signature(hash + "withECDSA", octets));
        }
        catch (final GeneralSecurityException | IOException e)
        {
            throw new IllegalStateException("signing AUTH failed: " + e.getMessage(), e);
        }
    }

    private byte[] signature(final String algorithm, final byte[] octets) throws GeneralSecurityException
    {
        final Signature s = Signature.getInstance(algorithm);
        s.initSign(privateKey);
        s.update(octets);
        return s.sign();
    }

    private static Payload.Auth digitalSignature(final AlgorithmIdentifier algorithm, final byte[] signature)
        throws IOException
    {
        final byte[] id = algorithm.getEncoded();
        final byte[] data = new byte[1 + id.length + signature.length];
        data[0] = (byte)id.length;
        System.arraycopy(id, 0, data, 1, id.length);
        System.arraycopy(signature, 0, data, 1 + id.length, signature.length);
        return new Payload.Auth(Ikev2.AUTH_DIGITAL_SIGNATURE, data);
    }

    // ---------------------------------------------------------------------------------- theirs

    /** True if {@code method} is a signature method we verify. */
    static boolean signatureMethod(final int method)
    {
        return method == Ikev2.AUTH_RSA_SIG || method == Ikev2.AUTH_ECDSA_256 || method == Ikev2.AUTH_ECDSA_384 ||
            method == Ikev2.AUTH_ECDSA_521 || method == Ikev2.AUTH_DIGITAL_SIGNATURE;
    }

    /**
     * Checks an AUTH signature over {@code octets} with the peer certificate's key.
     *
     * @return null if it verifies, else why not.
     */
    static String verify(final PublicKey key, final Payload.Auth auth, final byte[] octets)
    {
        final boolean rsa = "RSA".equals(key.getAlgorithm());
        final String algorithm;
        byte[] signature = auth.data();
        switch (auth.method())
        {
            case Ikev2.AUTH_RSA_SIG -> algorithm = rsa ? "SHA1withRSA" : null;
            case Ikev2.AUTH_ECDSA_256 -> algorithm = rsa ? null : "SHA256withECDSAinP1363Format";
            case Ikev2.AUTH_ECDSA_384 -> algorithm = rsa ? null : "SHA384withECDSAinP1363Format";
            case Ikev2.AUTH_ECDSA_521 -> algorithm = rsa ? null : "SHA512withECDSAinP1363Format";
            case Ikev2.AUTH_DIGITAL_SIGNATURE ->
            {
                final int n = auth.data().length == 0 ? -1 : auth.data()[0] & 0xff;
                if (n <= 0 || 1 + n >= auth.data().length)
                {
                    return "malformed RFC 7427 signature";
                }
                final String oid;
                try
                {
                    oid = AlgorithmIdentifier.getInstance(Arrays.copyOfRange(auth.data(), 1, 1 + n)).getAlgorithm().getId();
                }
                catch (final IllegalArgumentException e)
                {
                    return "malformed AlgorithmIdentifier in the RFC 7427 signature";
                }
                final String name = JCA.get(oid);
                if (name == null)
                {
                    return "signature algorithm " + oid + " not supported";
                }
                algorithm = name.endsWith("RSA") == rsa ? name : null;
                signature = Arrays.copyOfRange(auth.data(), 1 + n, auth.data().length);
            }
            default -> { return "auth method " + auth.method() + " is not a signature"; }
        }
        if (algorithm == null)
        {
            return "auth method " + auth.method() + " does not fit the certificate's " + key.getAlgorithm() + " key";
        }
        try
        {
            final Signature s = Signature.getInstance(algorithm);
            s.initVerify(key);
            s.update(octets);
            return s.verify(signature) ? null : "signature (" + algorithm + ") does not verify";
        }
        catch (final GeneralSecurityException e)
        {
            return "signature (" + algorithm + ") does not verify: " + e.getMessage();
        }
    }

    /**
     * Checks a peer's certificate: it chains (through the other certificates it sent) to one of our
     * CAs, every link's signature verifies, intermediates are CAs, and all are valid now.
     *
     * @return the peer certificate's public key.
     * @throws Ikev2Exception (AUTHENTICATION_FAILED) saying which check failed.
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
                    throw failed("certificate " + current.getSubject() + " not valid now (" + current.getNotBefore() +
                        " to " + current.getNotAfter() + ")");
                }
                final X500Name issuer = current.getIssuer();
                for (final byte[] der : authorities)
                {
                    final X509CertificateHolder ca = new X509CertificateHolder(der);
                    if (ca.getSubject().equals(issuer) && current.isSignatureValid(
                        new JcaContentVerifierProviderBuilder().build(ca)))
                    {
                        if (!ca.isValidOn(at))
                        {
                            throw failed("CA certificate " + ca.getSubject() + " not valid now");
                        }
                        return new JcaX509CertificateConverter().getCertificate(leaf).getPublicKey();
                    }
                }
                X509CertificateHolder next = null;
                for (final byte[] der : others)
                {
                    final X509CertificateHolder c = new X509CertificateHolder(der);
                    final BasicConstraints bc = BasicConstraints.fromExtensions(c.getExtensions());
                    if (c.getSubject().equals(issuer) && bc != null && bc.isCA() &&
                        current.isSignatureValid(new JcaContentVerifierProviderBuilder().build(c)))
                    {
                        next = c;
                        break;
                    }
                }
                if (next == null)
                {
                    throw failed("certificate " + current.getSubject() + " is not signed by a trusted CA (issuer " +
                        issuer + ")");
                }
                current = next;
            }
            throw failed("certificate chain longer than " + MAX_CHAIN);
        }
        catch (final IOException | GeneralSecurityException | org.bouncycastle.cert.CertException |
            org.bouncycastle.operator.OperatorCreationException | IllegalArgumentException e)
        {
            throw failed("certificate does not parse or verify: " + e.getMessage());
        }
    }

    private static Ikev2Exception failed(final String why)
    {
        return new Ikev2Exception(Ikev2.AUTHENTICATION_FAILED, why);
    }

    /** True if the certificate names the identity: its subject DN, or an address, name or e-mail in its subjectAltName. */
    static boolean names(final byte[] certificate, final Payload.Identification id)
    {
        try
        {
            final X509CertificateHolder c = new X509CertificateHolder(certificate);
            if (id.idType() == Ikev2.ID_DER_ASN1_DN &&
                (Arrays.equals(c.getSubject().getEncoded(), id.data()) || c.getSubject().equals(X500Name.getInstance(id.data()))))
            {
                return true;
            }
            final GeneralNames san = GeneralNames.fromExtensions(c.getExtensions(), Extension.subjectAlternativeName);
            if (san == null)
            {
                return false;
            }
            final String text = new String(id.data(), StandardCharsets.US_ASCII);
            for (final GeneralName n : san.getNames())
            {
                final ASN1Encodable v = n.getName();
                final boolean match = switch (id.idType())
                {
                    case Ikev2.ID_IPV4_ADDR -> n.getTagNo() == GeneralName.iPAddress &&
                        Arrays.equals(ASN1OctetString.getInstance(v).getOctets(), id.data());
                    case Ikev2.ID_FQDN -> n.getTagNo() == GeneralName.dNSName && v.toString().equalsIgnoreCase(text);
                    case Ikev2.ID_RFC822_ADDR -> n.getTagNo() == GeneralName.rfc822Name && v.toString().equalsIgnoreCase(text);
                    case Ikev2.ID_DER_ASN1_DN -> n.getTagNo() == GeneralName.directoryName &&
                        X500Name.getInstance(v).equals(X500Name.getInstance(id.data()));
                    default -> false;
                };
                if (match)
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

    /** For logs: never the key. */
    @Override
    public String toString()
    {
        return "Ikev2Credentials[" + subject() + ", " + privateKey.getAlgorithm() + ", " + certificates.size() +
            " certificate(s), " + authorities.size() + " CA(s)]";
    }
}
