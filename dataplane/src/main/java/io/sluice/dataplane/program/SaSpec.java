package io.sluice.dataplane.program;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.SecurityAssociation;

import java.util.Arrays;

/**
 * One ESP SA as the control side hands it to the dataplane: what it protects (a tunnel
 * interface by name and, for multipoint GRE, the peer), the algorithms and keys, and the limits.
 * The key arrays are the caller's: {@link #wipe()} zeroes them once the SA is installed.
 *
 * @param tunnel      the tunnel interface the SA belongs to (a crypto map's hidden IPsec tunnel,
 *                    a GRE tunnel with protection).
 * @param peer        the peer's address (the binding's peer; for outbound tunnel mode also the outer destination).
 * @param local       our address (outer source).
 * @param udpPort     the peer's UDP port for ESP in UDP (RFC 3948), 0 for plain ESP.
 * @param replayWindow packets; inbound only.
 */
public record SaSpec(
    int spi,
    boolean inbound,
    SecurityAssociation.Mode mode,
    String tunnel,
    int peer,
    int local,
    int udpPort,
    EspEncryption encryption,
    byte[] encryptionKey,
    EspIntegrity integrity,
    byte[] integrityKey,
    boolean esn,
    int replayWindow,
    long lifetimeSeconds,
    long lifetimeKilobytes)
{
    /** Zeroes the key material this spec holds. */
    public void wipe()
    {
        Arrays.fill(encryptionKey, (byte)0);
        Arrays.fill(integrityKey, (byte)0);
    }

    @Override
    public String toString()
    {
        // never the keys
        return (inbound ? "inbound" : "outbound") + " SA spi 0x" + String.format("%08x", spi) + " " + mode + " " +
            encryption.displayName() + (integrity == EspIntegrity.NONE ? "" : "/" + integrity.displayName()) +
            " on " + tunnel;
    }
}
