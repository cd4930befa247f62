package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.ReplayWindow;
import io.sluice.dataplane.esp.SecurityAssociation.DfBit;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.packet.Bytes;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/**
 * The fields of an SA add message, reusable. The control side fills one and hands it to
 * {@link ProgramProxy#saAdd}; the data side's {@link ProgramAdapter} fills its own and hands it to
 * {@link ProgramHandler#onSaAdd}, valid only during that call: the tunnel name and the keys are
 * views of the receive buffer, and the keys are zeroed there as soon as the handler returns.
 * <p>
 * Defaults are those of {@link SecurityAssociation#builder()}: tunnel mode, no integrity
 * algorithm, no UDP encapsulation, a {@value ReplayWindow#DEFAULT_SIZE}-packet window, TTL 64,
 * DF bit copied, no lifetimes. {@link #toString()} never prints keys.
 */
public final class SaParameters
{
    private int spi;
    private Direction direction = Direction.INBOUND;
    private Mode mode = Mode.TUNNEL;
    private int peer;
    private CharSequence tunnel = "";
    private int tunnelSource;
    private int tunnelDestination;
    private int udpSourcePort;
    private int udpDestinationPort;
    private EspEncryption encryption = EspEncryption.NULL;
    private final UnsafeBuffer encryptionKey = new UnsafeBuffer(new byte[0]);
    private EspIntegrity integrity = EspIntegrity.NONE;
    private final UnsafeBuffer integrityKey = new UnsafeBuffer(new byte[0]);
    private int icvLength;
    private boolean esn;
    private int replayWindow = ReplayWindow.DEFAULT_SIZE;
    private long initialSequence;
    private int ttl = 64;
    private DfBit dfBit = DfBit.COPY;
    private long lifetimeSoftSeconds;
    private long lifetimeHardSeconds;
    private long lifetimeSoftKilobytes;
    private long lifetimeHardKilobytes;

    private static final byte[] NO_BYTES = new byte[0];

    /** Back to the defaults; the key views let go of the caller's key memory (which is not touched). */
    public SaParameters reset()
    {
        spi = 0;
        direction = Direction.INBOUND;
        mode = Mode.TUNNEL;
        peer = 0;
        tunnel = "";
        tunnelSource = 0;
        tunnelDestination = 0;
        udpSourcePort = 0;
        udpDestinationPort = 0;
        encryption = EspEncryption.NULL;
        encryptionKey.wrap(NO_BYTES);
        integrity = EspIntegrity.NONE;
        integrityKey.wrap(NO_BYTES);
        icvLength = 0;
        esn = false;
        replayWindow = ReplayWindow.DEFAULT_SIZE;
        initialSequence = 0;
        ttl = 64;
        dfBit = DfBit.COPY;
        lifetimeSoftSeconds = 0;
        lifetimeHardSeconds = 0;
        lifetimeSoftKilobytes = 0;
        lifetimeHardKilobytes = 0;
        return this;
    }

    /**
     * A builder for the SA these parameters describe, for a handler that installs it. The keys are
     * copied into the builder (which copies them again into the SA) and the temporary copies are
     * zeroed. Allocates: the SA is made on the control path.
     *
     * @param tunnelIndex what the SA's {@code tunnel(...)} is in the dataplane (its binding), -1 for none
     */
    public SecurityAssociation.Builder toBuilder(final int tunnelIndex)
    {
        final SecurityAssociation.Builder b = SecurityAssociation.builder()
            .spi(spi)
            .direction(direction)
            .mode(mode)
            .tunnel(tunnelIndex)
            .endpoints(tunnelSource, tunnelDestination)
            .esn(esn)
            .replayWindow(replayWindow)
            .initialSequence(initialSequence)
            .ttl(ttl)
            .dfBit(dfBit)
            .lifetimeSeconds(lifetimeSoftSeconds, lifetimeHardSeconds)
            .lifetimeKilobytes(lifetimeSoftKilobytes, lifetimeHardKilobytes);
        if (udpSourcePort != 0 || udpDestinationPort != 0)
        {
            b.udpEncapsulation(udpSourcePort, udpDestinationPort);
        }
        if (icvLength != 0)
        {
            b.icvLength(icvLength);
        }
        final byte[] e = new byte[encryptionKey.capacity()];
        final byte[] i = new byte[integrityKey.capacity()];
        try
        {
            encryptionKey.getBytes(0, e);
            integrityKey.getBytes(0, i);
            b.encryption(encryption, e).integrity(integrity, i);
        }
        finally
        {
            Arrays.fill(e, (byte)0);
            Arrays.fill(i, (byte)0);
        }
        return b;
    }

    // ------------------------------------------------------------------ fields

    public int spi()
    {
        return spi;
    }

    public SaParameters spi(final int spi)
    {
        this.spi = spi;
        return this;
    }

    public Direction direction()
    {
        return direction;
    }

    public SaParameters direction(final Direction direction)
    {
        this.direction = direction;
        return this;
    }

    public Mode mode()
    {
        return mode;
    }

    public SaParameters mode(final Mode mode)
    {
        this.mode = mode;
        return this;
    }

    /** The peer of the binding the SA serves: the NBMA address on a multipoint GRE tunnel, else the far end. */
    public int peer()
    {
        return peer;
    }

    public SaParameters peer(final int peer)
    {
        this.peer = peer;
        return this;
    }

    /** The protected tunnel interface's name, empty for none. */
    public CharSequence tunnel()
    {
        return tunnel;
    }

    public SaParameters tunnel(final CharSequence tunnel)
    {
        this.tunnel = tunnel == null ? "" : tunnel;
        return this;
    }

    public int tunnelSource()
    {
        return tunnelSource;
    }

    public int tunnelDestination()
    {
        return tunnelDestination;
    }

    /** Tunnel mode: the outer source and destination. */
    public SaParameters endpoints(final int source, final int destination)
    {
        this.tunnelSource = source;
        this.tunnelDestination = destination;
        return this;
    }

    public int udpSourcePort()
    {
        return udpSourcePort;
    }

    public int udpDestinationPort()
    {
        return udpDestinationPort;
    }

    /** ESP in UDP (RFC 3948); both 0 for plain ESP. */
    public SaParameters udpEncapsulation(final int sourcePort, final int destinationPort)
    {
        this.udpSourcePort = sourcePort;
        this.udpDestinationPort = destinationPort;
        return this;
    }

    public EspEncryption encryption()
    {
        return encryption;
    }

    /** The encryption key material (key, then salt for the AEADs): a view, capacity = its length. */
    public DirectBuffer encryptionKey()
    {
        return encryptionKey;
    }

    /** Sets the algorithm and views (does not copy) the key material. */
    public SaParameters encryption(final EspEncryption encryption, final DirectBuffer key, final int offset,
        final int length)
    {
        this.encryption = encryption;
        this.encryptionKey.wrap(key, offset, length);
        return this;
    }

    /** Sets the algorithm and views (does not copy) the key material. */
    public SaParameters encryption(final EspEncryption encryption, final byte[] key)
    {
        this.encryption = encryption;
        this.encryptionKey.wrap(key == null ? NO_BYTES : key);
        return this;
    }

    public EspIntegrity integrity()
    {
        return integrity;
    }

    /** The integrity key: a view, capacity = its length. */
    public DirectBuffer integrityKey()
    {
        return integrityKey;
    }

    public SaParameters integrity(final EspIntegrity integrity, final DirectBuffer key, final int offset,
        final int length)
    {
        this.integrity = integrity;
        this.integrityKey.wrap(key, offset, length);
        return this;
    }

    public SaParameters integrity(final EspIntegrity integrity, final byte[] key)
    {
        this.integrity = integrity;
        this.integrityKey.wrap(key == null ? NO_BYTES : key);
        return this;
    }

    /** AES-GCM: 12 or 16; 0 for the algorithm's default. */
    public int icvLength()
    {
        return icvLength;
    }

    public SaParameters icvLength(final int icvLength)
    {
        this.icvLength = icvLength;
        return this;
    }

    public boolean esn()
    {
        return esn;
    }

    public SaParameters esn(final boolean esn)
    {
        this.esn = esn;
        return this;
    }

    public int replayWindow()
    {
        return replayWindow;
    }

    public SaParameters replayWindow(final int packets)
    {
        this.replayWindow = packets;
        return this;
    }

    public long initialSequence()
    {
        return initialSequence;
    }

    public SaParameters initialSequence(final long sequence)
    {
        this.initialSequence = sequence;
        return this;
    }

    public int ttl()
    {
        return ttl;
    }

    public SaParameters ttl(final int ttl)
    {
        this.ttl = ttl;
        return this;
    }

    public DfBit dfBit()
    {
        return dfBit;
    }

    public SaParameters dfBit(final DfBit dfBit)
    {
        this.dfBit = dfBit;
        return this;
    }

    public long lifetimeSoftSeconds()
    {
        return lifetimeSoftSeconds;
    }

    public long lifetimeHardSeconds()
    {
        return lifetimeHardSeconds;
    }

    /** Seconds lifetimes, 0 for none. */
    public SaParameters lifetimeSeconds(final long soft, final long hard)
    {
        this.lifetimeSoftSeconds = soft;
        this.lifetimeHardSeconds = hard;
        return this;
    }

    public long lifetimeSoftKilobytes()
    {
        return lifetimeSoftKilobytes;
    }

    public long lifetimeHardKilobytes()
    {
        return lifetimeHardKilobytes;
    }

    /** Kilobyte (1024 bytes) lifetimes, 0 for none. */
    public SaParameters lifetimeKilobytes(final long soft, final long hard)
    {
        this.lifetimeSoftKilobytes = soft;
        this.lifetimeHardKilobytes = hard;
        return this;
    }

    @Override
    public String toString()
    {
        return "SA spi 0x" + String.format("%08x", spi) + " " + direction.name().toLowerCase() + " " +
            mode.name().toLowerCase() + " tunnel '" + tunnel + "' peer " + Bytes.ip4ToString(peer) + " " +
            Bytes.ip4ToString(tunnelSource) + " -> " + Bytes.ip4ToString(tunnelDestination) +
            (udpSourcePort != 0 || udpDestinationPort != 0 ? " udp " + udpSourcePort + "->" + udpDestinationPort : "") +
            " " + encryption + " (" + encryptionKey.capacity() + " key bytes) " + integrity + " (" +
            integrityKey.capacity() + " key bytes)" + (esn ? " esn" : "") + " window " + replayWindow;
    }
}
