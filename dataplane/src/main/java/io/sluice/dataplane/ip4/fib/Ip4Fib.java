package io.sluice.dataplane.ip4.fib;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

import org.agrona.collections.Int2IntHashMap;

/**
 * The IPv4 forwarding table: longest-prefix match from a destination address to a next-hop
 * (adjacency) index, in the DIR-24-8 layout of DPDK's {@code rte_lpm}.
 *
 * <h2>Layout</h2>
 * {@code tbl24} has one entry per /24 (2<sup>24</sup> entries). An entry is either the answer
 * for the whole /24 (a next hop {@code >= 0}, or {@link #NO_ROUTE}) or, when some prefix longer
 * than /24 falls inside it, a reference to a tbl8 group: 256 entries, one per address of that
 * /24, each holding the answer. A lookup is one load, plus a second for the few /24s that hold
 * longer prefixes; both are plain array reads and the result needs no decoding:
 * <pre>
 *   entry = tbl24[address >>> 8]            -1: no route, >= 0: next hop, < -1: -2 - (group * 256)
 *   if entry < -1: entry = tbl8[-2 - entry + (address &amp; 0xff)]
 * </pre>
 *
 * <h2>Why int[] and not off-heap memory</h2>
 * Both tables are Java {@code int[]}. A random read of a 64 MiB {@code int[]} costs the same as
 * one of a 64 MiB {@code MemorySegment} ({@code Ip4FibBenchmark}: 6.1 and 6.0 ns in one run,
 * 6.2 and 5.5 in another: level within the noise), but an array needs no {@code Arena} whose
 * lifetime must outlive every worker, is zeroed and freed by the JVM when a FIB is dropped, and is
 * never scanned by the collector (primitive array); at 64 MiB it is a G1 humongous object, which
 * is never copied. What off-heap would add (hugetlbfs backing,
 * sharing the table with another process) we do not need, and 2 MiB pages are available to the
 * heap too ({@code -XX:+UseTransparentHugePages}; this kernel's THP mode is {@code madvise}). On
 * the 2-vCPU EPYC VM they made no difference measurable above the noise (6.5 ns per lookup with
 * and without, 12-16 ns either way when every address needs tbl8), so nothing depends on them.
 *
 * <h2>Memory</h2>
 * <ul>
 * <li>readers' tables: tbl24 64 MiB, fixed; tbl8 1 KiB per group, all allocated up front by the
 * constructor ({@code maxTbl8Groups});</li>
 * <li>writer's shadow: the prefix length behind every entry (a byte each: 16 MiB for tbl24,
 * 256 B per group), so an update touches only the entries the prefix owns;</li>
 * <li>the rules: one {@link Int2IntHashMap} per prefix length, about 20 B per prefix (8 B per
 * slot at load factor 0.65, rounded up to a power of two).</li>
 * </ul>
 * One million prefixes shaped like an Internet table with DMVPN host routes (mostly /24 and
 * /16-/23, 2% longer than /24, see the benchmark) use about 20,700 tbl8 groups. With
 * {@code maxTbl8Groups} = 32,768 the FIB takes 64 + 16 + 40 (tbl8 and its shadow) = 120 MiB
 * empty and about 19 MiB more for the million rules: ~140 MiB measured, of which the readers'
 * tables are 96 MiB. A prefix of /24 or shorter costs only its rule entry; a /24 holding longer
 * prefixes costs one group (1.25 KiB) however many it holds.
 *
 * <h2>Concurrency</h2>
 * One writer thread (the dataplane's control agent) calls {@link #add}, {@link #remove} and
 * {@link #reclaimTbl8Groups}; any number of threads call {@link #lookup} and
 * {@link #lookupBurst} concurrently, without locks, allocation or exceptions. A reader sees,
 * for each address, the answer before or after an update, never another:
 * <ul>
 * <li>every answer lives in exactly one int entry, and int writes are atomic;</li>
 * <li>a /24 that gets its first longer prefix is expanded into a group filled completely (the
 * /24's answer everywhere, the new prefix on its range) before the tbl24 entry is switched to it
 * by a release store; readers load tbl24 with acquire;</li>
 * <li>a group whose last longer prefix goes is collapsed the other way: its entries already hold
 * the /24's answer, then the tbl24 entry gets that answer by a release store;</li>
 * <li>a collapsed group is not reused while a reader may still hold the reference it loaded
 * before the collapse: reuse for another /24 would otherwise let that reader return the other
 * /24's route. Reuse waits for a quiescent-state grace period (QSBR, as {@code rte_lpm} with
 * {@code rte_rcu_qsbr}): each worker registers a {@link Reader} and calls
 * {@link Reader#quiescent()} between bursts (one volatile read and one release store), and
 * {@link Reader#offline()} before it parks. Readers that never register are not waited for; that is
 * only correct when they do not run while the writer removes prefixes longer than /24 (tests,
 * benchmarks, a single-threaded tool).</li>
 * </ul>
 * Removing a prefix gives its addresses back to the next less specific prefix that covers them
 * (found in the rules), or to no route.
 */
public final class Ip4Fib
{
    /** The lookup result when no prefix covers the address. */
    public static final int NO_ROUTE = -1;

    /** The largest next-hop index. */
    public static final int MAX_NEXT_HOP = Integer.MAX_VALUE;

    /** The most tbl8 groups an {@code int[]} can hold (8 GiB of tbl8). */
    public static final int MAX_TBL8_GROUPS = (Integer.MAX_VALUE - 8) >>> 8;

    /** Reader slots when the constructor is not told. */
    public static final int DEFAULT_MAX_READERS = 64;

    private static final int TBL24_ENTRIES = 1 << 24;
    private static final int GROUP_ENTRIES = 256;
    private static final int MAX_LENGTH = 32;
    /** Length codes in the shadow are prefix length + 1, so that 0 means "no prefix" and /0 is 1. */
    private static final int CODE_OF_24 = 25;
    /** Reader slots are 16 longs (128 bytes) apart: no two readers' stores share a cache line. */
    private static final int SLOT_STRIDE = 16;
    private static final long SLOT_UNREGISTERED = -2;
    private static final long SLOT_OFFLINE = -1;

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final int[] tbl24;
    private final int[] tbl8;
    private final byte[] codes24;
    private final byte[] codes8;
    private final Int2IntHashMap[] rules = new Int2IntHashMap[MAX_LENGTH + 1];
    private final int maxGroups;
    private final int[] freeGroups;
    private int freeCount;
    private final int[] limboGroups;
    private final long[] limboEpochs;
    private int limboHead;
    private int limboCount;
    private final long[] readerSlots;
    private final int maxReaders;
    /** Advanced by the writer each time it retires a group; readers publish the value they saw. */
    private volatile long epoch;
    private int size;

    /**
     * @param maxTbl8Groups how many /24s may hold prefixes longer than /24 at once (1 KiB each,
     *                      allocated now); 1 .. {@link #MAX_TBL8_GROUPS}
     */
    public Ip4Fib(final int maxTbl8Groups)
    {
        this(maxTbl8Groups, DEFAULT_MAX_READERS);
    }

    /**
     * @param maxTbl8Groups how many /24s may hold prefixes longer than /24 at once (1 KiB each,
     *                      allocated now); 1 .. {@link #MAX_TBL8_GROUPS}
     * @param maxReaders    how many {@link Reader}s may be registered at once
     */
    public Ip4Fib(final int maxTbl8Groups, final int maxReaders)
    {
        if (maxTbl8Groups < 1 || maxTbl8Groups > MAX_TBL8_GROUPS)
        {
            throw new IllegalArgumentException(
                "maxTbl8Groups " + maxTbl8Groups + " outside 1.." + MAX_TBL8_GROUPS + " (1 KiB of table each)");
        }
        if (maxReaders < 1 || maxReaders > (Integer.MAX_VALUE / SLOT_STRIDE))
        {
            throw new IllegalArgumentException("maxReaders " + maxReaders + " outside 1.." + (Integer.MAX_VALUE / SLOT_STRIDE));
        }
        this.maxGroups = maxTbl8Groups;
        this.tbl24 = new int[TBL24_ENTRIES];
        Arrays.fill(tbl24, NO_ROUTE);
        this.codes24 = new byte[TBL24_ENTRIES];
        this.tbl8 = new int[maxTbl8Groups * GROUP_ENTRIES];
        this.codes8 = new byte[maxTbl8Groups * GROUP_ENTRIES];
        this.freeGroups = new int[maxTbl8Groups];
        for (int group = maxTbl8Groups - 1; group >= 0; group--)
        {
            freeGroups[freeCount++] = group;
        }
        this.limboGroups = new int[maxTbl8Groups];
        this.limboEpochs = new long[maxTbl8Groups];
        for (int length = 0; length <= MAX_LENGTH; length++)
        {
            rules[length] = new Int2IntHashMap(8, 0.65f, NO_ROUTE);
        }
        this.maxReaders = maxReaders;
        this.readerSlots = new long[maxReaders * SLOT_STRIDE];
        for (int i = 0; i < maxReaders; i++)
        {
            readerSlots[i * SLOT_STRIDE] = SLOT_UNREGISTERED;
        }
    }

    // ---------------------------------------------------------------- readers

    /**
     * The next hop of the longest prefix that covers {@code address}, or {@link #NO_ROUTE}.
     * Any thread, any time; allocates nothing, takes no lock, throws nothing.
     *
     * @param address host order: 0x0a000001 is 10.0.0.1
     */
    public int lookup(final int address)
    {
        final int entry = (int)INTS.getAcquire(tbl24, address >>> 8);
        return entry < NO_ROUTE ? tbl8[-2 - entry + (address & 0xff)] : entry;
    }

    /**
     * {@link #lookup} of {@code addresses[0 .. count)} into {@code results[0 .. count)}, for a
     * worker's vector of packets; {@code results} may be {@code addresses}. Same guarantees as
     * {@link #lookup}.
     * <p>
     * A two-pass form (every tbl24 load of the burst first, then the tbl8 loads, so that their
     * misses overlap) measured level with this loop on the 2-vCPU VM at 1M prefixes (6.5-7.7
     * against 6.3-7.4 ns per lookup; 12.4-12.6 against 12.8-14.0 ns when every address needs
     * tbl8): out-of-order execution already overlaps the independent lookups, so the simple loop
     * stays.
     */
    public void lookupBurst(final int[] addresses, final int[] results, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            results[i] = lookup(addresses[i]);
        }
    }

    /**
     * Registers the calling worker as a reader, online: tbl8 groups it may be reading are not
     * reused until it calls {@link Reader#quiescent()} or {@link Reader#offline()}.
     *
     * @throws IllegalStateException when all {@code maxReaders} slots are taken
     */
    public Reader registerReader()
    {
        for (int i = 0; i < maxReaders; i++)
        {
            final int slot = i * SLOT_STRIDE;
            if (LONGS.compareAndSet(readerSlots, slot, SLOT_UNREGISTERED, epoch))
            {
                final Reader reader = new Reader(slot);
                reader.online();
                return reader;
            }
        }
        throw new IllegalStateException(
            "all " + maxReaders + " FIB reader slots are registered; close unused readers or build the FIB with more");
    }

    /**
     * A worker's quiescent-state handle: see "Concurrency" on {@link Ip4Fib}. Owned by one thread.
     */
    public final class Reader implements AutoCloseable
    {
        private final int slot;

        private Reader(final int slot)
        {
            this.slot = slot;
        }

        /**
         * Call between bursts, when none of this thread's lookups is in progress: it tells the
         * writer that the lookups before this call are over. One volatile read and one release store.
         */
        public void quiescent()
        {
            LONGS.setRelease(readerSlots, slot, epoch);
        }

        /** The thread stops looking up (parks, sleeps) and is not waited for until {@link #online()}. */
        public void offline()
        {
            LONGS.setRelease(readerSlots, slot, SLOT_OFFLINE);
        }

        /** The thread looks up again. */
        public void online()
        {
            LONGS.setVolatile(readerSlots, slot, epoch);
            // Reading the epoch again after the volatile store orders this reader's next table
            // loads after it: either the writer sees this slot, or this reader sees its retirement.
            final long ignored = epoch;
        }

        /** Gives the slot back. */
        @Override
        public void close()
        {
            LONGS.setRelease(readerSlots, slot, SLOT_UNREGISTERED);
        }
    }

    // ---------------------------------------------------------------- writer

    /**
     * Adds {@code prefix/length -> nextHop}, or replaces the next hop if the prefix is present.
     * Writer thread only.
     *
     * @param prefix host order, no bits set past {@code length}
     * @throws IllegalArgumentException on a bad length, host bits or next hop
     * @throws Tbl8ExhaustedException   when a prefix longer than /24 needs a tbl8 group and none is
     *                                  free; the table is unchanged
     */
    public void add(final int prefix, final int length, final int nextHop)
    {
        checkPrefix(prefix, length);
        if (nextHop < 0)
        {
            throw new IllegalArgumentException(
                "next hop " + nextHop + " for " + format(prefix, length) + " is negative; next hops are 0.." + MAX_NEXT_HOP);
        }
        final Int2IntHashMap ofLength = rules[length];
        final byte code = (byte)(length + 1);
        if (length <= 24)
        {
            if (ofLength.put(prefix, nextHop) == NO_ROUTE)
            {
                size++;
            }
            assign24(prefix >>> 8, 1 << (24 - length), 0, code, nextHop, code);
            return;
        }

        final int index = prefix >>> 8;
        final int first = prefix & 0xff;
        final int count = 1 << (32 - length);
        final int entry = tbl24[index];
        if (entry < NO_ROUTE)
        {
            if (ofLength.put(prefix, nextHop) == NO_ROUTE)
            {
                size++;
            }
            assign8(-2 - entry + first, count, 0, code, nextHop, code);
            return;
        }

        // The /24's first longer prefix: build its group completely, then publish it.
        final int base = allocateGroup(prefix, length) * GROUP_ENTRIES;
        ofLength.put(prefix, nextHop);
        size++;
        Arrays.fill(tbl8, base, base + GROUP_ENTRIES, entry);
        Arrays.fill(codes8, base, base + GROUP_ENTRIES, codes24[index]);
        Arrays.fill(tbl8, base + first, base + first + count, nextHop);
        Arrays.fill(codes8, base + first, base + first + count, code);
        INTS.setRelease(tbl24, index, -2 - base);
    }

    /**
     * Removes {@code prefix/length}; its addresses go back to the next less specific prefix that
     * covers them, or to no route. Writer thread only.
     *
     * @return false when the prefix was not present (nothing changes)
     * @throws IllegalArgumentException on a bad length or host bits
     */
    public boolean remove(final int prefix, final int length)
    {
        checkPrefix(prefix, length);
        if (rules[length].remove(prefix) == NO_ROUTE)
        {
            return false;
        }
        size--;

        int coverHop = NO_ROUTE;
        byte coverCode = 0;
        for (int shorter = length - 1; shorter >= 0; shorter--)
        {
            final int hop = rules[shorter].get(prefix & mask(shorter));
            if (hop != NO_ROUTE)
            {
                coverHop = hop;
                coverCode = (byte)(shorter + 1);
                break;
            }
        }

        final byte code = (byte)(length + 1);
        if (length <= 24)
        {
            // Prefixes longer than /24 are untouched, so no group can become collapsible here.
            assign24(prefix >>> 8, 1 << (24 - length), code, code, coverHop, coverCode);
            return true;
        }

        final int index = prefix >>> 8;
        final int base = -2 - tbl24[index];
        assign8(base + (prefix & 0xff), 1 << (32 - length), code, code, coverHop, coverCode);
        collapseIfFlat(index, base);
        return true;
    }

    /** The next hop of exactly {@code prefix/length}, or {@link #NO_ROUTE} when it is not present. */
    public int get(final int prefix, final int length)
    {
        checkPrefix(prefix, length);
        return rules[length].get(prefix);
    }

    /** How many prefixes the FIB holds. */
    public int size()
    {
        return size;
    }

    public int maxTbl8Groups()
    {
        return maxGroups;
    }

    /** Groups referenced from tbl24 or retired and waiting for readers: the ones not free. */
    public int tbl8GroupsInUse()
    {
        return maxGroups - freeCount;
    }

    /**
     * Moves the retired groups that no registered reader can still be reading to the free list.
     * {@link #add} does this by itself when it runs out; a writer may call it when idle.
     *
     * @return how many groups are free now
     */
    public int reclaimTbl8Groups()
    {
        long oldestSeen = Long.MAX_VALUE;
        for (int i = 0; i < maxReaders; i++)
        {
            final long seen = (long)LONGS.getVolatile(readerSlots, i * SLOT_STRIDE);
            if (seen >= 0 && seen < oldestSeen)
            {
                oldestSeen = seen;
            }
        }
        while (limboCount > 0 && limboEpochs[limboHead] <= oldestSeen)
        {
            freeGroups[freeCount++] = limboGroups[limboHead];
            limboHead = (limboHead + 1) % maxGroups;
            limboCount--;
        }
        return freeCount;
    }

    /** Dotted-quad form of a prefix, for messages: {@code 10.1.2.0/24}. */
    public static String format(final int prefix, final int length)
    {
        return format(prefix) + "/" + length;
    }

    /** Dotted-quad form of a host-order address. */
    public static String format(final int address)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    // ---------------------------------------------------------------- writer internals

    /**
     * For tbl24 entries {@code [first, first + count)}: every address whose answer comes from a
     * prefix whose length code is in {@code [lowCode, highCode]} gets {@code value} with {@code code}.
     * Entries of expanded /24s are updated in their groups.
     */
    private void assign24(
        final int first, final int count, final int lowCode, final int highCode, final int value, final byte code)
    {
        for (int i = first, end = first + count; i < end; i++)
        {
            final int entry = tbl24[i];
            if (entry < NO_ROUTE)
            {
                assign8(-2 - entry, GROUP_ENTRIES, lowCode, highCode, value, code);
            }
            else
            {
                final int current = codes24[i];
                if (current >= lowCode && current <= highCode)
                {
                    codes24[i] = code;
                    INTS.setRelease(tbl24, i, value);
                }
            }
        }
    }

    /** As {@link #assign24} for tbl8 entries {@code [first, first + count)}. */
    private void assign8(
        final int first, final int count, final int lowCode, final int highCode, final int value, final byte code)
    {
        for (int i = first, end = first + count; i < end; i++)
        {
            final int current = codes8[i];
            if (current >= lowCode && current <= highCode)
            {
                codes8[i] = code;
                INTS.setRelease(tbl8, i, value);
            }
        }
    }

    /** When no prefix longer than /24 is left in the group, the /24 gets its answer back in tbl24. */
    private void collapseIfFlat(final int index, final int base)
    {
        for (int i = base, end = base + GROUP_ENTRIES; i < end; i++)
        {
            if (codes8[i] > CODE_OF_24)
            {
                return;
            }
        }
        // One prefix of /24 or shorter (or none) now answers for all 256 entries.
        codes24[index] = codes8[base];
        INTS.setRelease(tbl24, index, tbl8[base]);
        retireGroup(base / GROUP_ENTRIES);
    }

    private int allocateGroup(final int prefix, final int length)
    {
        if (freeCount == 0 && reclaimTbl8Groups() == 0)
        {
            throw new Tbl8ExhaustedException(
                "IPv4 FIB: cannot add " + format(prefix, length) + ": all " + maxGroups + " tbl8 groups are in use ("
                + limboCount + " released but awaiting reader quiescence). Every /24 that holds prefixes longer than /24"
                + " takes a group of 1 KiB; build the FIB with a larger maxTbl8Groups (up to " + MAX_TBL8_GROUPS + ")"
                + (limboCount > 0 ? ", and check that every registered reader calls quiescent() or offline()" : "")
                + ". The table is unchanged.",
                maxGroups, limboCount);
        }
        return freeGroups[--freeCount];
    }

    private void retireGroup(final int group)
    {
        // A volatile store after the tbl24 release store: a reader that sees this epoch sees the collapse.
        final long retiredAt = epoch + 1;
        epoch = retiredAt;
        final int tail = (limboHead + limboCount) % maxGroups;
        limboGroups[tail] = group;
        limboEpochs[tail] = retiredAt;
        limboCount++;
    }

    private static int mask(final int length)
    {
        return length == 0 ? 0 : -1 << (32 - length);
    }

    private static void checkPrefix(final int prefix, final int length)
    {
        if (length < 0 || length > MAX_LENGTH)
        {
            throw new IllegalArgumentException(
                "prefix length " + length + " of " + format(prefix) + " is outside 0.." + MAX_LENGTH);
        }
        if ((prefix & ~mask(length)) != 0)
        {
            throw new IllegalArgumentException(
                format(prefix, length) + " has host bits set past /" + length + " (did you mean "
                + format(prefix & mask(length), length) + "?)");
        }
    }
}
