package io.sluice.dataplane.esp;

import io.sluice.dataplane.packet.Bytes;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One ESP security association, one direction (RFC 4301 4.1): SPI, mode, tunnel endpoints, UDP
 * encapsulation (RFC 3948), algorithms and keys, extended sequence numbers, the anti-replay window
 * (inbound), the sequence number (outbound), lifetimes and counters.
 * <p>
 * Built on the control path with {@link #builder()}, which checks everything and fails with a
 * message naming what is wrong (an algorithm this JDK refuses included). Used on the data path by
 * {@link EspCodec}, which calls the package-private methods here; they allocate nothing and throw
 * nothing.
 * <p>
 * Threads: the outbound sequence number is claimed with a CAS, so two workers can never send the
 * same number (which with GCM would give away the keystream). Everything else per packet (the
 * replay window, counters) has one writer: the worker the SA is handed to, as VPP hands an SA's
 * packets to one thread. Events are raised with a CAS, once each.
 * <p>
 * {@link #destroy()} zeroes the key material (here and in every worker's transform) and frees the
 * SA's index; {@link #toString()} never prints keys.
 */
public final class SecurityAssociation
{
    public enum Direction
    {
        INBOUND, OUTBOUND
    }

    public enum Mode
    {
        /** A new outer IPv4 header; the whole inner packet is protected. */
        TUNNEL,
        /** ESP between the packet's own IPv4 header and its payload. */
        TRANSPORT
    }

    /** The outer header's DF bit in tunnel mode. */
    public enum DfBit
    {
        COPY, SET, CLEAR
    }

    private static final VarHandle LAST_SEQUENCE;
    private static final VarHandle EVENTS;
    private static final VarHandle WORKER;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            LAST_SEQUENCE = lookup.findVarHandle(SecurityAssociation.class, "lastSequence", long.class);
            EVENTS = lookup.findVarHandle(SecurityAssociation.class, "events", int.class);
            WORKER = lookup.findVarHandle(SecurityAssociation.class, "worker", int.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final BitSet INDEXES = new BitSet();
    private static final long NO_LIMIT = Long.MAX_VALUE;

    private final int index;
    private final int spi;
    private final Direction direction;
    private final Mode mode;
    private final int tunnel;
    private final int tunnelSource;
    private final int tunnelDestination;
    private final boolean udpEncapsulation;
    private final int udpSourcePort;
    private final int udpDestinationPort;
    private final EspEncryption encryption;
    private final EspIntegrity integrity;
    private final int icvLength;
    private final boolean esn;
    private final int ttl;
    private final DfBit dfBit;
    private final long ivOffset;
    private final byte[] encryptionKey;
    private final byte[] integrityKey;
    private final ReplayWindow window;
    private final long softBytes;
    private final long hardBytes;
    private final long softNanos;
    private final long hardNanos;
    private final long createdNanos;
    private final long sequenceMax;
    private final long sequenceSoft;
    private final EspEvents.Listener listener;

    @SuppressWarnings("unused") // through LAST_SEQUENCE
    private volatile long lastSequence;
    @SuppressWarnings("unused") // through EVENTS
    private volatile int events;
    /** The worker that processes this SA's packets: the first to see one adopts it (-1 until then). */
    private volatile int worker = -1;
    private volatile boolean destroyed;
    private final List<EspTransform> transforms = new ArrayList<>();

    private long packets;
    private long bytes;
    private final long[] drops = new long[EspStatus.COUNT];
    private long listenerFailures;

    private SecurityAssociation(final Builder b)
    {
        this.spi = b.spi;
        this.direction = b.direction;
        this.mode = b.mode;
        this.tunnel = b.tunnel;
        this.tunnelSource = b.tunnelSource;
        this.tunnelDestination = b.tunnelDestination;
        this.udpEncapsulation = b.udpEncapsulation;
        this.udpSourcePort = b.udpSourcePort;
        this.udpDestinationPort = b.udpDestinationPort;
        this.encryption = b.encryption;
        this.integrity = b.integrity;
        this.icvLength = b.encryption.aead() ? (b.icvLength != 0 ? b.icvLength : b.encryption.icvLength()) :
            b.integrity.icvLength();
        this.esn = b.esn;
        this.ttl = b.ttl;
        this.dfBit = b.dfBit;
        this.ivOffset = b.ivOffset;
        this.encryptionKey = b.encryptionKey.clone();
        this.integrityKey = b.integrityKey.clone();
        this.window = b.direction == Direction.INBOUND ? new ReplayWindow(b.replayWindow, b.esn, b.initialSequence) : null;
        this.softBytes = b.softKilobytes > 0 ? b.softKilobytes * 1024 : NO_LIMIT;
        this.hardBytes = b.hardKilobytes > 0 ? b.hardKilobytes * 1024 : NO_LIMIT;
        this.softNanos = b.softSeconds > 0 ? TimeUnit.SECONDS.toNanos(b.softSeconds) : NO_LIMIT;
        this.hardNanos = b.hardSeconds > 0 ? TimeUnit.SECONDS.toNanos(b.hardSeconds) : NO_LIMIT;
        this.createdNanos = b.clock.nanoTime();
        this.sequenceMax = b.esn ? -1L : 0xffff_ffffL;
        this.sequenceSoft = sequenceMax - (sequenceMax >>> 4);
        this.listener = b.listener;
        this.lastSequence = b.direction == Direction.OUTBOUND ? b.initialSequence : 0;
        this.index = allocateIndex();
    }

    public static Builder builder()
    {
        return new Builder();
    }

    private static int allocateIndex()
    {
        synchronized (INDEXES)
        {
            final int i = INDEXES.nextClearBit(0);
            INDEXES.set(i);
            return i;
        }
    }

    private static void releaseIndex(final int i)
    {
        synchronized (INDEXES)
        {
            INDEXES.clear(i);
        }
    }

    // ------------------------------------------------------------------ configuration

    /** A small integer, unique among live SAs: where engines keep their transform for this SA. */
    public int index()
    {
        return index;
    }

    public int spi()
    {
        return spi;
    }

    public Direction direction()
    {
        return direction;
    }

    public Mode mode()
    {
        return mode;
    }

    /** The tunnel (interface) this SA protects, -1 when none: the key of the SAD's outbound table. */
    public int tunnel()
    {
        return tunnel;
    }

    /** Outer source address (tunnel mode). */
    public int tunnelSource()
    {
        return tunnelSource;
    }

    /** Outer destination address (tunnel mode). */
    public int tunnelDestination()
    {
        return tunnelDestination;
    }

    public boolean udpEncapsulation()
    {
        return udpEncapsulation;
    }

    public int udpSourcePort()
    {
        return udpSourcePort;
    }

    public int udpDestinationPort()
    {
        return udpDestinationPort;
    }

    public EspEncryption encryption()
    {
        return encryption;
    }

    public EspIntegrity integrity()
    {
        return integrity;
    }

    /** ICV bytes per packet: the AEAD tag or the truncated HMAC. */
    public int icvLength()
    {
        return icvLength;
    }

    public boolean esn()
    {
        return esn;
    }

    /** Outer TTL (tunnel mode). */
    public int ttl()
    {
        return ttl;
    }

    public DfBit dfBit()
    {
        return dfBit;
    }

    /** The anti-replay window, null for an outbound SA. */
    public ReplayWindow window()
    {
        return window;
    }

    /** The nanoTime (of the clock given to the builder) at which the SA was built: lifetimes count from it. */
    public long createdNanos()
    {
        return createdNanos;
    }

    long ivOffset()
    {
        return ivOffset;
    }

    /** The engines' view of the keys: the SA's own arrays, zeroed by {@link #destroy()}. Do not keep them. */
    byte[] encryptionKeyMaterial()
    {
        return encryptionKey;
    }

    byte[] integrityKey()
    {
        return integrityKey;
    }

    // ------------------------------------------------------------------ state and counters

    /**
     * The worker that owns this SA's per-packet state, claiming it for {@code candidate} if no
     * worker has yet: VPP's rule, the first worker to see a packet of the SA owns it, so with RSS
     * spreading flows the SAs spread over the workers without configuration. Allocation-free.
     */
    public int adoptWorker(final int candidate)
    {
        final int w = (int)WORKER.getAcquire(this);
        if (w >= 0)
        {
            return w;
        }
        final int won = (int)WORKER.compareAndExchange(this, -1, candidate);
        return won < 0 ? candidate : won;
    }

    /** The worker that owns the SA, or -1 before its first packet. */
    public int worker()
    {
        return (int)WORKER.getVolatile(this);
    }

    /** Outbound: the last sequence number used (0 before the first packet). */
    public long lastSequence()
    {
        return (long)LAST_SEQUENCE.getVolatile(this);
    }

    /** {@link EspEvents} bits raised so far. */
    public int events()
    {
        return (int)EVENTS.getVolatile(this);
    }

    public boolean isDestroyed()
    {
        return destroyed;
    }

    /** Packets processed: sent, or received and delivered. */
    public long packets()
    {
        return packets;
    }

    /** Bytes of the IP packets protected (before encryption, after decryption): what kilobyte lifetimes count. */
    public long bytes()
    {
        return bytes;
    }

    /** Packets dropped for {@code status} (an {@link EspStatus} code). */
    public long drops(final int status)
    {
        return drops[status];
    }

    public long replayDrops()
    {
        return drops[EspStatus.REPLAY];
    }

    public long tooOldDrops()
    {
        return drops[EspStatus.TOO_OLD];
    }

    public long icvFailures()
    {
        return drops[EspStatus.ICV_FAILURE];
    }

    public long paddingErrors()
    {
        return drops[EspStatus.BAD_PADDING];
    }

    /** Event listeners that threw (the exception is swallowed to keep the data path going). */
    public long listenerFailures()
    {
        return listenerFailures;
    }

    // ------------------------------------------------------------------ data path (EspCodec)

    void drop(final int status)
    {
        drops[status]++;
    }

    /**
     * Outbound: the next sequence number, or 0 when the space is used up (raising
     * {@link EspEvents#SEQUENCE_EXHAUSTED}): without ESN nothing follows 2^32-1, with ESN nothing
     * follows 2^64-1. A CAS, so concurrent senders never share a number.
     */
    long claimSequence()
    {
        long last;
        do
        {
            last = (long)LAST_SEQUENCE.getVolatile(this);
            if (last == sequenceMax)
            {
                raise(EspEvents.SEQUENCE_EXHAUSTED);
                return 0;
            }
        }
        while (!LAST_SEQUENCE.compareAndSet(this, last, last + 1));
        final long next = last + 1;
        if (Long.compareUnsigned(next, sequenceSoft) >= 0 && (events & EspEvents.SEQUENCE_SOFT) == 0)
        {
            raise(EspEvents.SEQUENCE_SOFT);
        }
        return next;
    }

    /**
     * Whether the hard lifetime lets one more packet of {@code length} bytes through (0 when the
     * length is not known yet, inbound before decryption): {@link EspStatus#OK} or
     * {@link EspStatus#LIFETIME_EXPIRED}, raising the hard event. Once a hard lifetime event is
     * raised (by a packet or by {@link #checkLifetime}) every packet is refused.
     */
    int admit(final long nowNanos, final int length)
    {
        if ((events & (EspEvents.HARD_BYTES | EspEvents.HARD_TIME)) != 0)
        {
            return EspStatus.LIFETIME_EXPIRED;
        }
        if (nowNanos - createdNanos >= hardNanos)
        {
            raise(EspEvents.HARD_TIME);
            return EspStatus.LIFETIME_EXPIRED;
        }
        if (bytes >= hardBytes || bytes + length > hardBytes)
        {
            raise(EspEvents.HARD_BYTES);
            return EspStatus.LIFETIME_EXPIRED;
        }
        return EspStatus.OK;
    }

    /** Counts a packet done and raises the soft events it crosses. */
    void account(final long nowNanos, final int length)
    {
        packets++;
        bytes += length;
        if (bytes >= softBytes && (events & EspEvents.SOFT_BYTES) == 0)
        {
            raise(EspEvents.SOFT_BYTES);
        }
        if (nowNanos - createdNanos >= softNanos && (events & EspEvents.SOFT_TIME) == 0)
        {
            raise(EspEvents.SOFT_TIME);
        }
        if (bytes >= hardBytes && (events & EspEvents.HARD_BYTES) == 0)
        {
            raise(EspEvents.HARD_BYTES);
        }
    }

    /**
     * Control path, periodically: raises the time events due by {@code nowNanos} even when no
     * packet flows (an idle SA must still be rekeyed or deleted in time). Returns {@link #events()}.
     */
    public int checkLifetime(final long nowNanos)
    {
        if (nowNanos - createdNanos >= softNanos)
        {
            raise(EspEvents.SOFT_TIME);
        }
        if (nowNanos - createdNanos >= hardNanos)
        {
            raise(EspEvents.HARD_TIME);
        }
        return events();
    }

    private void raise(final int event)
    {
        int old;
        do
        {
            old = (int)EVENTS.getVolatile(this);
            if ((old & event) != 0)
            {
                return;
            }
        }
        while (!EVENTS.compareAndSet(this, old, old | event));
        if (listener != null)
        {
            try
            {
                listener.onEvent(this, event);
            }
            catch (final RuntimeException e)
            {
                listenerFailures++;
            }
        }
    }

    /** A worker's transform joins the SA, so that {@link #destroy()} reaches it; false if the SA is already gone. */
    boolean register(final EspTransform t)
    {
        synchronized (transforms)
        {
            if (destroyed)
            {
                t.destroy();
                return false;
            }
            transforms.add(t);
            return true;
        }
    }

    /**
     * Zeroes the key material, here and in every worker's transform, and frees the SA's index.
     * Call it once the SA is out of the SAD and every worker has finished the burst it was in
     * (the codec refuses a destroyed SA, but a packet already past that check would be garbled).
     * Idempotent.
     */
    public void destroy()
    {
        synchronized (transforms)
        {
            if (destroyed)
            {
                return;
            }
            destroyed = true;
            Arrays.fill(encryptionKey, (byte)0);
            Arrays.fill(integrityKey, (byte)0);
            for (final EspTransform t : transforms)
            {
                t.destroy();
            }
            transforms.clear();
        }
        releaseIndex(index);
    }

    @Override
    public String toString()
    {
        final StringBuilder b = new StringBuilder("ESP SA spi 0x").append(String.format("%08x", spi)).append(' ')
            .append(direction.name().toLowerCase()).append(' ').append(mode.name().toLowerCase());
        if (mode == Mode.TUNNEL && (tunnelSource != 0 || tunnelDestination != 0))
        {
            b.append(' ').append(Bytes.ip4ToString(tunnelSource)).append(" -> ").append(Bytes.ip4ToString(tunnelDestination));
        }
        if (udpEncapsulation)
        {
            b.append(" udp ").append(udpSourcePort).append(" -> ").append(udpDestinationPort);
        }
        b.append(' ').append(encryption.displayName());
        if (encryption.aead())
        {
            b.append('/').append(icvLength);
        }
        else
        {
            b.append(' ').append(integrity.displayName());
        }
        if (esn)
        {
            b.append(" esn");
        }
        if (window != null)
        {
            b.append(" window ").append(window.size());
        }
        if (tunnel >= 0)
        {
            b.append(" tunnel ").append(tunnel);
        }
        if (destroyed)
        {
            b.append(" destroyed");
        }
        return b.toString();
    }

    /**
     * Collects an SA's parameters; {@link #build()} checks them all. The keys given are copied, and
     * build() zeroes the builder's copies: a builder makes one SA.
     */
    public static final class Builder
    {
        private int spi;
        private Direction direction;
        private Mode mode = Mode.TUNNEL;
        private int tunnel = -1;
        private int tunnelSource;
        private int tunnelDestination;
        private boolean udpEncapsulation;
        private int udpSourcePort = EspHeader.NAT_T_PORT;
        private int udpDestinationPort = EspHeader.NAT_T_PORT;
        private EspEncryption encryption;
        private EspIntegrity integrity = EspIntegrity.NONE;
        private int icvLength;
        private byte[] encryptionKey = new byte[0];
        private byte[] integrityKey = new byte[0];
        private boolean esn;
        private int replayWindow = ReplayWindow.DEFAULT_SIZE;
        private long initialSequence;
        private long softKilobytes;
        private long hardKilobytes;
        private long softSeconds;
        private long hardSeconds;
        private int ttl = 64;
        private DfBit dfBit = DfBit.COPY;
        private NanoClock clock = new SystemNanoClock();
        private EspEvents.Listener listener;
        private long ivOffset;
        private boolean built;

        private Builder()
        {
        }

        public Builder spi(final int spi)
        {
            this.spi = spi;
            return this;
        }

        public Builder direction(final Direction direction)
        {
            this.direction = direction;
            return this;
        }

        public Builder inbound()
        {
            return direction(Direction.INBOUND);
        }

        public Builder outbound()
        {
            return direction(Direction.OUTBOUND);
        }

        public Builder mode(final Mode mode)
        {
            this.mode = mode;
            return this;
        }

        /** The tunnel (interface index) this SA protects. */
        public Builder tunnel(final int tunnel)
        {
            this.tunnel = tunnel;
            return this;
        }

        /** Tunnel mode: the outer addresses (ours, the peer's for outbound). */
        public Builder endpoints(final int source, final int destination)
        {
            this.tunnelSource = source;
            this.tunnelDestination = destination;
            return this;
        }

        /** ESP in UDP (RFC 3948), 4500 to 4500 unless a NAT mapped the peer's port. */
        public Builder udpEncapsulation(final int sourcePort, final int destinationPort)
        {
            this.udpEncapsulation = true;
            this.udpSourcePort = sourcePort;
            this.udpDestinationPort = destinationPort;
            return this;
        }

        /** Key material: the cipher key, then for AES-GCM and ChaCha20-Poly1305 the 4-byte salt; none for NULL. */
        public Builder encryption(final EspEncryption encryption, final byte[] keyMaterial)
        {
            this.encryption = encryption;
            this.encryptionKey = keyMaterial == null ? new byte[0] : keyMaterial.clone();
            return this;
        }

        public Builder integrity(final EspIntegrity integrity, final byte[] key)
        {
            this.integrity = integrity;
            this.integrityKey = key == null ? new byte[0] : key.clone();
            return this;
        }

        /**
         * AES-GCM only: a 12-byte ICV instead of 16 (RFC 4106 also allows 8, which the JDK's GCM cannot
         * make: its tags are 12 to 16 bytes).
         */
        public Builder icvLength(final int icvLength)
        {
            this.icvLength = icvLength;
            return this;
        }

        /** Extended (64-bit) sequence numbers, RFC 4303 2.2.1. */
        public Builder esn(final boolean esn)
        {
            this.esn = esn;
            return this;
        }

        /** Inbound: the anti-replay window in packets, {@value ReplayWindow#MIN_SIZE}..{@value ReplayWindow#MAX_SIZE}. */
        public Builder replayWindow(final int packets)
        {
            this.replayWindow = packets;
            return this;
        }

        /**
         * Where the sequence numbers stand, for an SA taken over from an HA peer: outbound, the last
         * number sent (the next packet gets one more); inbound, the highest number received.
         */
        public Builder initialSequence(final long sequence)
        {
            this.initialSequence = sequence;
            return this;
        }

        /** Kilobyte (1024 bytes) lifetimes, 0 for none: soft raises an event, hard stops the SA. */
        public Builder lifetimeKilobytes(final long soft, final long hard)
        {
            this.softKilobytes = soft;
            this.hardKilobytes = hard;
            return this;
        }

        /** Seconds lifetimes, 0 for none: soft raises an event, hard stops the SA. */
        public Builder lifetimeSeconds(final long soft, final long hard)
        {
            this.softSeconds = soft;
            this.hardSeconds = hard;
            return this;
        }

        /** The clock lifetimes count on; the codec that uses the SA must read the same clock. */
        public Builder clock(final NanoClock clock)
        {
            this.clock = clock;
            return this;
        }

        public Builder listener(final EspEvents.Listener listener)
        {
            this.listener = listener;
            return this;
        }

        /** Tunnel mode: outer TTL. */
        public Builder ttl(final int ttl)
        {
            this.ttl = ttl;
            return this;
        }

        /** Tunnel mode: the outer DF bit (IOS {@code crypto ipsec df-bit}; copy by default). */
        public Builder dfBit(final DfBit dfBit)
        {
            this.dfBit = dfBit;
            return this;
        }

        /** Test hook for known-answer tests: AEAD explicit IV = sequence number + offset. */
        Builder ivOffset(final long offset)
        {
            this.ivOffset = offset;
            return this;
        }

        /**
         * Checks and builds.
         *
         * @throws IllegalArgumentException saying what is wrong, including an algorithm or key the JDK refuses
         */
        public SecurityAssociation build()
        {
            if (built)
            {
                throw new IllegalStateException("this builder already made an SA (its key copies are wiped)");
            }
            try
            {
                validate();
                final SecurityAssociation sa = new SecurityAssociation(this);
                try
                {
                    JceCryptoEngine.check(sa);
                }
                catch (final IllegalArgumentException e)
                {
                    sa.destroy();
                    throw e;
                }
                return sa;
            }
            finally
            {
                built = true;
                Arrays.fill(encryptionKey, (byte)0);
                Arrays.fill(integrityKey, (byte)0);
            }
        }

        private void validate()
        {
            final String what = "ESP SA spi 0x" + String.format("%08x", spi) + ": ";
            if (direction == null)
            {
                throw new IllegalArgumentException(what + "say inbound() or outbound()");
            }
            if (Integer.compareUnsigned(spi, 256) < 0)
            {
                throw new IllegalArgumentException(what + "SPI 0-255 are reserved (RFC 4303 2.1); use 256 or more");
            }
            if (mode == null || dfBit == null || clock == null)
            {
                throw new IllegalArgumentException(what + "mode, DF bit and clock cannot be null");
            }
            if (mode == Mode.TUNNEL && direction == Direction.OUTBOUND && (tunnelSource == 0 || tunnelDestination == 0))
            {
                throw new IllegalArgumentException(what + "an outbound tunnel-mode SA needs its outer source and " +
                    "destination addresses (endpoints(source, destination))");
            }
            if (encryption == null)
            {
                throw new IllegalArgumentException(what + "no encryption algorithm (use EspEncryption.NULL for none)");
            }
            if (integrity == null)
            {
                throw new IllegalArgumentException(what + "integrity cannot be null (EspIntegrity.NONE with an AEAD)");
            }
            if (encryptionKey.length != encryption.keyMaterialLength())
            {
                throw new IllegalArgumentException(what + encryption.displayName() + " takes " +
                    encryption.keyMaterialLength() + " bytes of key material" +
                    (encryption.saltLength() > 0 ? " (" + encryption.keyLength() + " key + " + encryption.saltLength() +
                    " salt)" : "") + ", not " + encryptionKey.length);
            }
            if (encryption.aead())
            {
                if (integrity != EspIntegrity.NONE)
                {
                    throw new IllegalArgumentException(what + encryption.displayName() +
                        " authenticates by itself: integrity must be NONE, not " + integrity.displayName());
                }
                final boolean gcm = encryption != EspEncryption.CHACHA20_POLY1305;
                if (gcm && icvLength == 8)
                {
                    throw new IllegalArgumentException(what + "ICV of 8 bytes: RFC 4106 allows it, but the JDK's GCM " +
                        "makes tags of 12 to 16 bytes only; use 16 (or 12)");
                }
                if (icvLength != 0 && (gcm ? icvLength != 12 && icvLength != 16 : icvLength != 16))
                {
                    throw new IllegalArgumentException(what + "ICV of " + icvLength + " bytes: " +
                        encryption.displayName() + " allows " + (gcm ? "12 or 16" : "16"));
                }
            }
            else
            {
                if (integrity == EspIntegrity.NONE)
                {
                    throw new IllegalArgumentException(what + encryption.displayName() +
                        " needs an integrity algorithm: ESP without integrity is not offered (RFC 4303 3.2, RFC 8221)");
                }
                if (icvLength != 0)
                {
                    throw new IllegalArgumentException(what + "the ICV length follows from " + integrity.displayName());
                }
                if (integrityKey.length != integrity.keyLength())
                {
                    throw new IllegalArgumentException(what + integrity.displayName() + " takes a " +
                        integrity.keyLength() + "-byte key, not " + integrityKey.length);
                }
            }
            if (replayWindow < ReplayWindow.MIN_SIZE || replayWindow > ReplayWindow.MAX_SIZE)
            {
                throw new IllegalArgumentException(what + "replay window of " + replayWindow + " packets: it must be " +
                    ReplayWindow.MIN_SIZE + ".." + ReplayWindow.MAX_SIZE);
            }
            if (!esn && Long.compareUnsigned(initialSequence, 0xffff_ffffL) > 0)
            {
                throw new IllegalArgumentException(what + "sequence number " + Long.toUnsignedString(initialSequence) +
                    " needs ESN (it is above 2^32-1)");
            }
            checkLifetime(what, "kilobyte", softKilobytes, hardKilobytes);
            checkLifetime(what, "seconds", softSeconds, hardSeconds);
            if (softKilobytes > Long.MAX_VALUE / 1024 || hardKilobytes > Long.MAX_VALUE / 1024 ||
                softSeconds > Long.MAX_VALUE / 1_000_000_000L || hardSeconds > Long.MAX_VALUE / 1_000_000_000L)
            {
                throw new IllegalArgumentException(what + "lifetime too large");
            }
            if (udpEncapsulation && (udpSourcePort < 1 || udpSourcePort > 65535 || udpDestinationPort < 1 ||
                udpDestinationPort > 65535))
            {
                throw new IllegalArgumentException(what + "UDP ports " + udpSourcePort + " -> " + udpDestinationPort +
                    " outside 1..65535");
            }
            if (ttl < 1 || ttl > 255)
            {
                throw new IllegalArgumentException(what + "TTL " + ttl + " outside 1..255");
            }
        }

        private static void checkLifetime(final String what, final String unit, final long soft, final long hard)
        {
            if (soft < 0 || hard < 0)
            {
                throw new IllegalArgumentException(what + "negative " + unit + " lifetime");
            }
            if (soft > 0 && hard > 0 && soft > hard)
            {
                throw new IllegalArgumentException(what + "soft " + unit + " lifetime " + soft + " is above the hard one " +
                    hard);
            }
        }
    }
}
