package io.sluice.dataplane.arp;

/**
 * IPv4 neighbours (ARP cache) of one worker: (interface, address) -> MAC, with a few packets
 * held per unresolved neighbour while the ARP request is out. Open addressing over flat arrays;
 * nothing allocates after construction. Owned by the worker that learns the entries.
 */
public final class NeighbourTable
{
    public static final int HOLD_PER_NEIGHBOUR = 4;
    /** An entry is used this long after it was last confirmed, then refreshed by a new request. */
    public static final long REACHABLE_NANOS = 300_000_000_000L;
    /** Requests for an unresolved neighbour go out at most this often. */
    public static final long REQUEST_INTERVAL_NANOS = 1_000_000_000L;
    /** Packets held for a neighbour that does not answer are dropped after this long. */
    public static final long HOLD_NANOS = 3_000_000_000L;

    private static final long EMPTY = -1L;

    private final int capacity;
    private final int mask;
    private final long[] keys;
    private final long[] macs;
    private final long[] confirmedAt;
    private final long[] requestedAt;
    private final long[] heldSince;
    private final long[] heldAddress;
    private final int[] heldLength;
    private final int[] heldCount;
    private int size;

    public NeighbourTable(final int capacityPowerOfTwo)
    {
        if (Integer.bitCount(capacityPowerOfTwo) != 1)
        {
            throw new IllegalArgumentException("neighbour table capacity must be a power of two");
        }
        capacity = capacityPowerOfTwo;
        mask = capacity - 1;
        keys = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        macs = new long[capacity];
        confirmedAt = new long[capacity];
        requestedAt = new long[capacity];
        heldSince = new long[capacity];
        heldAddress = new long[capacity * HOLD_PER_NEIGHBOUR];
        heldLength = new int[capacity * HOLD_PER_NEIGHBOUR];
        heldCount = new int[capacity];
    }

    private static long key(final int iface, final int ip)
    {
        return ((long)iface << 32) | (ip & 0xffffffffL);
    }

    private static int hash(final long key)
    {
        final long h = key * 0x9E3779B97F4A7C15L;
        return (int)(h ^ (h >>> 29));
    }

    /** The slot of an entry, or -1. */
    public int find(final int iface, final int ip)
    {
        final long k = key(iface, ip);
        int i = hash(k) & mask;
        for (int probes = 0; probes < capacity; probes++)
        {
            final long at = keys[i];
            if (at == k)
            {
                return i;
            }
            if (at == EMPTY)
            {
                return -1;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** The slot of an entry, created (unresolved) if missing; -1 when the table is full. */
    public int findOrCreate(final int iface, final int ip)
    {
        final long k = key(iface, ip);
        int i = hash(k) & mask;
        for (int probes = 0; probes < capacity; probes++)
        {
            final long at = keys[i];
            if (at == k)
            {
                return i;
            }
            if (at == EMPTY)
            {
                if (size >= capacity - capacity / 4)
                {
                    return -1;
                }
                keys[i] = k;
                macs[i] = 0;
                confirmedAt[i] = 0;
                requestedAt[i] = Long.MIN_VALUE / 2;
                heldCount[i] = 0;
                size++;
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** The MAC of a resolved slot, 0 while unresolved. */
    public long mac(final int slot)
    {
        return macs[slot];
    }

    public boolean resolved(final int slot)
    {
        return macs[slot] != 0;
    }

    public boolean stale(final int slot, final long now)
    {
        return now - confirmedAt[slot] > REACHABLE_NANOS;
    }

    /** Learns or confirms a neighbour; returns its slot (-1 when full). */
    public int learn(final int iface, final int ip, final long mac, final long now)
    {
        final int slot = findOrCreate(iface, ip);
        if (slot >= 0)
        {
            macs[slot] = mac;
            confirmedAt[slot] = now;
        }
        return slot;
    }

    /** True when a request may go out now (and records that it did). */
    public boolean requestDue(final int slot, final long now)
    {
        if (now - requestedAt[slot] >= REQUEST_INTERVAL_NANOS)
        {
            requestedAt[slot] = now;
            return true;
        }
        return false;
    }

    /** Holds a packet for an unresolved neighbour; false when its queue is full. */
    public boolean hold(final int slot, final long address, final int length, final long now)
    {
        final int n = heldCount[slot];
        if (n == HOLD_PER_NEIGHBOUR)
        {
            return false;
        }
        if (n == 0)
        {
            heldSince[slot] = now;
        }
        heldAddress[slot * HOLD_PER_NEIGHBOUR + n] = address;
        heldLength[slot * HOLD_PER_NEIGHBOUR + n] = length;
        heldCount[slot] = n + 1;
        return true;
    }

    public int heldCount(final int slot)
    {
        return heldCount[slot];
    }

    public long heldAddress(final int slot, final int i)
    {
        return heldAddress[slot * HOLD_PER_NEIGHBOUR + i];
    }

    public int heldLength(final int slot, final int i)
    {
        return heldLength[slot * HOLD_PER_NEIGHBOUR + i];
    }

    public void clearHeld(final int slot)
    {
        heldCount[slot] = 0;
    }

    /** True when packets have been held longer than {@link #HOLD_NANOS}. */
    public boolean holdExpired(final int slot, final long now)
    {
        return heldCount[slot] > 0 && now - heldSince[slot] > HOLD_NANOS;
    }

    public int capacity()
    {
        return capacity;
    }

    /** The slot's key parts, for walking the table (timers, show commands); iface -1 for an empty slot. */
    public int slotInterface(final int slot)
    {
        return keys[slot] == EMPTY ? -1 : (int)(keys[slot] >>> 32);
    }

    public int slotAddress(final int slot)
    {
        return (int)keys[slot];
    }

    public int size()
    {
        return size;
    }

    /**
     * Forgets neighbours nobody needs: unresolved ones whose packets have been dropped and that
     * have not been asked about for {@link #FORGET_UNRESOLVED_NANOS}, and resolved ones not
     * confirmed for {@link #FORGET_RESOLVED_NANOS}. Static entries never age. Without this, a
     * scan of unused addresses would fill the table for good. Called from the worker's timer.
     *
     * @return how many entries were removed
     */
    public int age(final long now)
    {
        int removed = 0;
        for (int slot = 0; slot < capacity; slot++)
        {
            while (keys[slot] != EMPTY && heldCount[slot] == 0 && forgettable(slot, now))
            {
                remove(slot); // the entry shifted into this slot is examined again
                removed++;
            }
        }
        return removed;
    }

    /** Unresolved entries are dropped this long after their last request. */
    public static final long FORGET_UNRESOLVED_NANOS = 3_000_000_000L;
    /** Resolved entries are dropped this long after their last confirmation (twice the reachable time). */
    public static final long FORGET_RESOLVED_NANOS = 2 * REACHABLE_NANOS;

    private boolean forgettable(final int slot, final long now)
    {
        if (macs[slot] == 0)
        {
            return now - requestedAt[slot] > FORGET_UNRESOLVED_NANOS;
        }
        return now - confirmedAt[slot] > FORGET_RESOLVED_NANOS;
    }

    /** Linear-probing deletion by backward shift: later entries of the probe chain move up, no tombstones. */
    private void remove(final int slot)
    {
        int hole = slot;
        int j = slot;
        while (true)
        {
            j = (j + 1) & mask;
            if (keys[j] == EMPTY)
            {
                break;
            }
            final int home = hash(keys[j]) & mask;
            final boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (stays)
            {
                continue;
            }
            move(j, hole);
            hole = j;
        }
        keys[hole] = EMPTY;
        heldCount[hole] = 0;
        size--;
    }

    private void move(final int from, final int to)
    {
        keys[to] = keys[from];
        macs[to] = macs[from];
        confirmedAt[to] = confirmedAt[from];
        requestedAt[to] = requestedAt[from];
        heldSince[to] = heldSince[from];
        heldCount[to] = heldCount[from];
        System.arraycopy(heldAddress, from * HOLD_PER_NEIGHBOUR, heldAddress, to * HOLD_PER_NEIGHBOUR, HOLD_PER_NEIGHBOUR);
        System.arraycopy(heldLength, from * HOLD_PER_NEIGHBOUR, heldLength, to * HOLD_PER_NEIGHBOUR, HOLD_PER_NEIGHBOUR);
    }
}
