package io.sluice.controlplane.config;

/**
 * {@code sluice pki}: this gateway's certificate and private key and the CA certificate that
 * peers' certificates must chain to, as PEM files, for {@code authentication rsa-sig}. Sluice
 * does not enrol (no SCEP): the files are made and renewed outside it.
 * <pre>
 * sluice pki
 *  certificate /etc/sluice/gw.crt
 *  private-key /etc/sluice/gw.key
 *  ca-certificate /etc/sluice/ca.crt
 * </pre>
 */
public record Pki(String certificate, String privateKey, String caCertificate)
{
}
