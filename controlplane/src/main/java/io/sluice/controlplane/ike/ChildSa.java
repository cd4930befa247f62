package io.sluice.controlplane.ike;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;

import java.net.InetSocketAddress;
import java.util.HexFormat;

/**
 * A pair of ESP SAs negotiated by quick mode (or an IKEv2 CREATE_CHILD_SA), ready for the
 * dataplane: both directions' SPIs and keys, the algorithms as the dataplane names them, the
 * lifetimes, the mode and, behind a NAT, the UDP encapsulation ports (RFC 3948).
 * {@link #toString()} never shows the keys.
 *
 * @param spiIn            the SPI the peer puts on packets to us (we chose it).
 * @param spiOut           the SPI we put on packets to the peer (the peer chose it).
 * @param encryption       the ESP cipher.
 * @param integrity        the ESP integrity algorithm ({@link EspIntegrity#NONE} with an AEAD).
 * @param keyIn            key material of the inbound SA: cipher key (and salt), then integrity key.
 * @param keyOut           key material of the outbound SA, laid out the same way.
 * @param lifetimeSeconds  hard lifetime in seconds; 0: none.
 * @param lifetimeKilobytes hard lifetime in kilobytes; 0: none.
 * @param mode             tunnel or transport.
 * @param local            our IKE address and port.
 * @param peer             the peer's IKE address and port.
 * @param udpEncapsulated  ESP in UDP (RFC 3948) between {@link #local} and {@link #peer} (both on 4500 after the float).
 * @param localSelector    our proxy identity (traffic selector), as "10.0.0.0/24" or "10.0.0.1/32 proto 47".
 * @param remoteSelector   the peer's proxy identity.
 * @param pfsGroup         the quick mode DH group, 0 without PFS.
 * @param messageId        the quick mode message id that made it (for logs).
 */
public record ChildSa(
    long spiIn,
    long spiOut,
    EspEncryption encryption,
    EspIntegrity integrity,
    byte[] keyIn,
    byte[] keyOut,
    long lifetimeSeconds,
    long lifetimeKilobytes,
    Mode mode,
    InetSocketAddress local,
    InetSocketAddress peer,
    boolean udpEncapsulated,
    String localSelector,
    String remoteSelector,
    int pfsGroup,
    int messageId)
{
    public enum Mode
    {
        TUNNEL, TRANSPORT
    }

    /** The cipher key of one direction's key material. */
    public static byte[] cipherKey(final EspEncryption encryption, final byte[] material)
    {
        return java.util.Arrays.copyOfRange(material, 0, encryption.keyMaterialLength());
    }

    /** The integrity key of one direction's key material. */
    public static byte[] integrityKey(final EspEncryption encryption, final EspIntegrity integrity, final byte[] material)
    {
        final int from = encryption.keyMaterialLength();
        return java.util.Arrays.copyOfRange(material, from, from + integrity.keyLength());
    }

    /** "0x1a2b3c4d". */
    public static String spiText(final long spi)
    {
        return "0x" + HexFormat.of().toHexDigits((int)spi);
    }

    @Override
    public String toString()
    {
        return "ChildSa[in " + spiText(spiIn) + ", out " + spiText(spiOut) + ", " + encryption + "/" + integrity + ", " +
            mode + ", " + localSelector + " <-> " + remoteSelector + ", " + lifetimeSeconds + "s/" +
            lifetimeKilobytes + "kB" + (udpEncapsulated ? ", UDP " + local.getPort() + "->" + peer.getPort() : "") +
            (pfsGroup != 0 ? ", PFS group " + pfsGroup : "") + ", local " + endpoint(local) + ", peer " + endpoint(peer) +
            "]";
    }

    private static String endpoint(final InetSocketAddress a)
    {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
