package io.sluice.dataplane.ip4;

import io.sluice.dataplane.graph.Graph;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Ipv4;

import java.lang.foreign.MemorySegment;

/**
 * Reassembly of IPv4 packets addressed to us (RFC 815 style, with a coverage bitmap of 8-byte
 * units): a tunnel endpoint must see the whole outer packet before decapsulating it. Fragments
 * are copied into one frame per datagram at their offsets; a datagram completes when its last
 * fragment has arrived and every unit is covered. A bounded number of datagrams is in progress
 * at once; each expires after {@link #TIMEOUT_NANOS}. Allocation-free after construction.
 */
public final class Reassembler
{
    /** {@link #add} kept the fragment; nothing to hand on yet. */
    public static final long HELD = -2;
    public static final long TIMEOUT_NANOS = 3_000_000_000L;
    /** Room for the largest IPv4 header in front of the payload area. */
    private static final int HEADER_ROOM = 60;
    private static final int UNITS_WORDS = 4; // 4 x 64 units of 8 bytes = 2048 bytes of payload at most

    private final Graph graph;
    private final int slots;
    private final int[] src;
    private final int[] dst;
    private final int[] id;
    private final int[] protocol;
    private final long[] frame;
    private final long[] created;
    private final int[] headerLength;
    private final int[] payloadLength;
    private final int[] rxInterface;
    private final long[] covered;
    private final int maxPayload;
    private int inUse;
    private long completed;
    private long timedOut;
    private long tooBig;
    private long malformed;
    private long evicted;
    private long noBuffer;

    public Reassembler(final Graph graph, final int slots)
    {
        this.graph = graph;
        this.slots = slots;
        src = new int[slots];
        dst = new int[slots];
        id = new int[slots];
        protocol = new int[slots];
        frame = new long[slots];
        java.util.Arrays.fill(frame, -1);
        created = new long[slots];
        headerLength = new int[slots];
        payloadLength = new int[slots];
        rxInterface = new int[slots];
        covered = new long[slots * UNITS_WORDS];
        maxPayload = Math.min(UNITS_WORDS * 64 * 8,
            graph.pool().frameSize() - graph.pool().dataOffset() - HEADER_ROOM);
    }

    /**
     * Takes a fragment (its frame now belongs to the reassembler). Returns the address of the
     * whole datagram (its IPv4 header, in a new frame), {@link #HELD}, or -1 when the fragment
     * was dropped (counted).
     */
    public long add(final long at, final int len)
    {
        final MemorySegment m = graph.pool().memory();
        final long now = graph.nowNanos();
        final int hl = Ipv4.headerLength(m, at);
        final int ff = Ipv4.flagsFragment(m, at);
        final int offset = (ff & Ipv4.OFFSET_MASK) << 3;
        final boolean more = (ff & Ipv4.FLAG_MF) != 0;
        final int payload = len - hl;
        if (payload <= 0 || (more && (payload & 7) != 0))
        {
            malformed++;
            graph.pool().release(at);
            return -1;
        }
        final int end = offset + payload;
        if (end > maxPayload)
        {
            tooBig++;
            graph.pool().release(at);
            return -1;
        }
        final int s = slotFor(Ipv4.src(m, at), Ipv4.dst(m, at), Ipv4.id(m, at), Ipv4.protocol(m, at), now);
        if (s < 0)
        {
            noBuffer++;
            graph.pool().release(at);
            return -1;
        }
        final long base = frame[s] + graph.pool().dataOffset() + HEADER_ROOM;
        if (offset == 0)
        {
            MemorySegment.copy(m, at, m, base - hl, hl);
            headerLength[s] = hl;
            rxInterface[s] = graph.meta().rxInterface[graph.pool().index(at)];
        }
        MemorySegment.copy(m, at + hl, m, base + offset, payload);
        graph.pool().release(at);
        final int firstUnit = offset >>> 3;
        final int lastUnit = (end + 7) >>> 3;
        for (int u = firstUnit; u < lastUnit; u++)
        {
            covered[s * UNITS_WORDS + (u >>> 6)] |= 1L << (u & 63);
        }
        if (!more)
        {
            payloadLength[s] = end;
        }
        if (payloadLength[s] < 0 || headerLength[s] == 0 || !complete(s, (payloadLength[s] + 7) >>> 3))
        {
            return HELD;
        }
        final int h = headerLength[s];
        final long whole = base - h;
        Bytes.u16(m, whole + Ipv4.TOTAL_LENGTH, h + payloadLength[s]);
        Bytes.u16(m, whole + Ipv4.FLAGS_FRAGMENT, 0);
        Ipv4.updateChecksum(m, whole);
        final int f = graph.pool().index(whole);
        graph.meta().rxInterface[f] = rxInterface[s];
        graph.meta().flags[f] = 0;
        frame[s] = -1;
        inUse--;
        completed++;
        return whole;
    }

    private boolean complete(final int s, final int units)
    {
        for (int u = 0; u < units; u++)
        {
            if ((covered[s * UNITS_WORDS + (u >>> 6)] & (1L << (u & 63))) == 0)
            {
                return false;
            }
        }
        return true;
    }

    private int slotFor(final int s, final int d, final int i, final int p, final long now)
    {
        int free = -1;
        int oldest = -1;
        for (int k = 0; k < slots; k++)
        {
            if (frame[k] < 0)
            {
                if (free < 0)
                {
                    free = k;
                }
                continue;
            }
            if (now - created[k] > TIMEOUT_NANOS)
            {
                expire(k);
                if (free < 0)
                {
                    free = k;
                }
                continue;
            }
            if (src[k] == s && dst[k] == d && id[k] == i && protocol[k] == p)
            {
                return k;
            }
            if (oldest < 0 || created[k] < created[oldest])
            {
                oldest = k;
            }
        }
        if (free < 0)
        {
            evicted++;
            release(oldest);
            free = oldest;
        }
        final long f = graph.pool().allocate();
        if (f < 0)
        {
            return -1;
        }
        frame[free] = f;
        src[free] = s;
        dst[free] = d;
        id[free] = i;
        protocol[free] = p;
        created[free] = now;
        headerLength[free] = 0;
        payloadLength[free] = -1;
        for (int w = 0; w < UNITS_WORDS; w++)
        {
            covered[free * UNITS_WORDS + w] = 0;
        }
        inUse++;
        return free;
    }

    private void expire(final int k)
    {
        timedOut++;
        release(k);
    }

    private void release(final int k)
    {
        graph.pool().release(frame[k]);
        frame[k] = -1;
        inUse--;
    }

    /** Drops datagrams whose fragments stopped coming; called from the worker's timer. */
    public void expireOld(final long now)
    {
        for (int k = 0; k < slots; k++)
        {
            if (frame[k] >= 0 && now - created[k] > TIMEOUT_NANOS)
            {
                expire(k);
            }
        }
    }

    public int inProgress()
    {
        return inUse;
    }

    public long completed()
    {
        return completed;
    }

    public long timedOut()
    {
        return timedOut;
    }

    public long tooBig()
    {
        return tooBig;
    }

    public long malformed()
    {
        return malformed;
    }

    public long evicted()
    {
        return evicted;
    }
}
