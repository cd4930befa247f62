package io.sluice.perf.jmh;

import io.sluice.dataplane.ip4.fib.Ip4Fib;
import org.agrona.collections.LongHashSet;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * IPv4 longest-prefix match at one million prefixes: {@link Ip4Fib} (DIR-24-8) one address at a
 * time and in bursts of 64, against baselines measured in the same run:
 * <ul>
 * <li>{@code baselineArrayRead}: one read of a 64 MiB {@code int[]} at {@code address >>> 8}, the
 * same access pattern as tbl24 without anything else: the floor for any table of that size;</li>
 * <li>{@code baselineSegmentRead}: the same read from a 64 MiB off-heap {@code MemorySegment},
 * which is what an off-heap FIB would cost;</li>
 * <li>{@code baselineBinarySearch}: the prefixes flattened into disjoint address ranges and a
 * binary search over their sorted starts (about 21 probes), the best plain-Java alternative;</li>
 * <li>{@code baselineTreeMap}: the same ranges in a {@code java.util.TreeMap}, {@code floorEntry}.</li>
 * </ul>
 * Every result is nanoseconds per lookup. The prefixes are shaped like an Internet table plus 2%
 * longer than /24; the 65,536 addresses, computed before the measurement, are half uniform over
 * the address space and half inside a randomly chosen prefix (so that the /25-/32 groups are hit
 * as routed traffic would). The FIB is also measured with {@code traffic=long}: every address
 * inside a prefix longer than /24, two dependent loads each, the worst case. The states check in
 * setup that the FIB and the flattened ranges give the same answers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow", "-Xms3g", "-Xmx3g"})
public class Ip4FibBenchmark
{
    static final int PREFIXES = 1_000_000;
    static final int ADDRESSES = 1 << 16;
    static final int BURST = 64;
    static final long SEED = 0x5EED_F1BL;

    /** The prefixes and the addresses to look up, the same in every state (one seed). */
    static final class Routes
    {
        final int[] prefixes = new int[PREFIXES];
        final int[] lengths = new int[PREFIXES];
        final int[] hops = new int[PREFIXES];
        final int[] addresses = new int[ADDRESSES];
        int addressesInLongPrefixes;

        Routes()
        {
            this(false);
        }

        /**
         * @param longPrefixTraffic every address inside a prefix longer than /24 (two dependent
         *                          loads each: the worst case), instead of the half-random mix
         */
        Routes(final boolean longPrefixTraffic)
        {
            final SplittableRandom random = new SplittableRandom(SEED);
            final LongHashSet seen = new LongHashSet(2 * PREFIXES);
            int count = 0;
            while (count < PREFIXES)
            {
                final int length = internetLikeLength(random);
                final int prefix = random.nextInt() & mask(length);
                if (seen.add(((long)length << 32) | (prefix & 0xffff_ffffL)))
                {
                    prefixes[count] = prefix;
                    lengths[count] = length;
                    hops[count] = random.nextInt(1 << 20);
                    count++;
                }
            }
            for (int i = 0; i < ADDRESSES; i++)
            {
                if (i % 2 == 0 && !longPrefixTraffic)
                {
                    addresses[i] = random.nextInt();
                }
                else
                {
                    int p = random.nextInt(PREFIXES);
                    while (longPrefixTraffic && lengths[p] <= 24)
                    {
                        p = random.nextInt(PREFIXES);
                    }
                    addresses[i] = prefixes[p] | (random.nextInt() & ~mask(lengths[p]));
                    addressesInLongPrefixes += lengths[p] > 24 ? 1 : 0;
                }
            }
            // Shuffle, so that the two kinds interleave without a pattern the branch predictor learns.
            final Random shuffle = new Random(SEED);
            for (int i = ADDRESSES - 1; i > 0; i--)
            {
                final int j = shuffle.nextInt(i + 1);
                final int t = addresses[i];
                addresses[i] = addresses[j];
                addresses[j] = t;
            }
        }

        /** Roughly an Internet table's shape, plus 2% longer than /24 (DMVPN host routes, customer subnets). */
        private static int internetLikeLength(final SplittableRandom random)
        {
            final int roll = random.nextInt(1000);
            if (roll < 10)
            {
                return 8 + random.nextInt(8);
            }
            if (roll < 30)
            {
                return 16;
            }
            if (roll < 60)
            {
                return 17 + random.nextInt(3);
            }
            if (roll < 200)
            {
                return 20 + random.nextInt(3);
            }
            if (roll < 350)
            {
                return 23;
            }
            if (roll < 980)
            {
                return 24;
            }
            return 25 + random.nextInt(8);
        }

        /**
         * The prefixes as disjoint ranges: {@code starts[i]} (unsigned) up to the next start are
         * answered by {@code rangeHops[i]}. Returned as {starts, hops}, starts ascending unsigned.
         */
        int[][] flatten()
        {
            final long[] order = new long[PREFIXES]; // start (unsigned) << 6 | length: shorter first at one start
            for (int i = 0; i < PREFIXES; i++)
            {
                order[i] = ((prefixes[i] & 0xffff_ffffL) << 6) | lengths[i];
            }
            final Map<Long, Integer> hopOf = new java.util.HashMap<>(2 * PREFIXES);
            for (int i = 0; i < PREFIXES; i++)
            {
                hopOf.put(order[i], hops[i]);
            }
            Arrays.sort(order);

            final long[] starts = new long[2 * PREFIXES + 2];
            final int[] rangeHops = new int[2 * PREFIXES + 2];
            final long[] stackEnd = new long[33];
            final int[] stackHop = new int[33];
            int depth = 0;
            int count = 0;
            starts[count] = 0;
            rangeHops[count++] = Ip4Fib.NO_ROUTE;
            for (final long key : order)
            {
                final long start = key >>> 6;
                final int length = (int)(key & 63);
                while (depth > 0 && stackEnd[depth - 1] <= start)
                {
                    final long end = stackEnd[--depth];
                    count = emit(starts, rangeHops, count, end, depth > 0 ? stackHop[depth - 1] : Ip4Fib.NO_ROUTE);
                }
                final int hop = hopOf.get(key);
                count = emit(starts, rangeHops, count, start, hop);
                stackEnd[depth] = start + (1L << (32 - length));
                stackHop[depth++] = hop;
            }
            while (depth > 0)
            {
                final long end = stackEnd[--depth];
                count = emit(starts, rangeHops, count, end, depth > 0 ? stackHop[depth - 1] : Ip4Fib.NO_ROUTE);
            }
            final int[] signedStarts = new int[count];
            for (int i = 0; i < count; i++)
            {
                signedStarts[i] = (int)starts[i] ^ Integer.MIN_VALUE; // unsigned order as signed ints
            }
            return new int[][]{signedStarts, Arrays.copyOf(rangeHops, count)};
        }

        private static int emit(final long[] starts, final int[] hops, final int count, final long at, final int hop)
        {
            if (at > 0xffff_ffffL)
            {
                return count;
            }
            if (starts[count - 1] == at)
            {
                hops[count - 1] = hop;
                return count;
            }
            starts[count] = at;
            hops[count] = hop;
            return count + 1;
        }

        static int mask(final int length)
        {
            return length == 0 ? 0 : -1 << (32 - length);
        }
    }

    @State(Scope.Benchmark)
    public static class FibState
    {
        /** {@code mixed}: half uniform, half inside a random prefix; {@code long}: all inside prefixes longer than /24. */
        @Param({"mixed", "long"})
        String traffic;

        Ip4Fib fib;
        int[] addresses;
        int[][] bursts;
        int[] results;

        @Setup(Level.Trial)
        public void setUp()
        {
            final Routes routes = new Routes("long".equals(traffic));
            fib = new Ip4Fib(32 * 1024);
            final long started = System.nanoTime();
            for (int i = 0; i < PREFIXES; i++)
            {
                fib.add(routes.prefixes[i], routes.lengths[i], routes.hops[i]);
            }
            System.out.printf("%n[fib] %,d prefixes loaded in %d ms, %,d of %,d tbl8 groups in use%n",
                fib.size(), (System.nanoTime() - started) / 1_000_000, fib.tbl8GroupsInUse(), fib.maxTbl8Groups());
            addresses = routes.addresses;
            bursts = new int[ADDRESSES / BURST][BURST];
            for (int i = 0; i < ADDRESSES; i++)
            {
                bursts[i / BURST][i % BURST] = addresses[i];
            }
            results = new int[BURST];
            final int[][] ranges = routes.flatten();
            for (final int address : addresses)
            {
                if (fib.lookup(address) != BinarySearchState.lookup(ranges[0], ranges[1], address))
                {
                    throw new IllegalStateException("FIB and ranges disagree on " + Ip4Fib.format(address));
                }
            }
            System.out.printf("[fib] answers checked against the flattened ranges; %,d of %,d addresses fall in"
                + " prefixes longer than /24%n", routes.addressesInLongPrefixes, ADDRESSES);
        }
    }

    @State(Scope.Benchmark)
    public static class ArrayState
    {
        int[] table;
        int[] addresses;

        @Setup(Level.Trial)
        public void setUp()
        {
            addresses = new Routes().addresses;
            table = new int[1 << 24];
            final SplittableRandom random = new SplittableRandom(SEED);
            for (int i = 0; i < table.length; i++)
            {
                table[i] = random.nextInt(1 << 20);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class SegmentState
    {
        Arena arena;
        MemorySegment table;
        int[] addresses;

        @Setup(Level.Trial)
        public void setUp()
        {
            addresses = new Routes().addresses;
            arena = Arena.ofShared();
            table = arena.allocate(4L << 24, 4096);
            final SplittableRandom random = new SplittableRandom(SEED);
            for (long i = 0; i < 1 << 24; i++)
            {
                table.setAtIndex(ValueLayout.JAVA_INT, i, random.nextInt(1 << 20));
            }
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            arena.close();
        }
    }

    @State(Scope.Benchmark)
    public static class BinarySearchState
    {
        int[] starts;
        int[] hops;
        int[] addresses;

        @Setup(Level.Trial)
        public void setUp()
        {
            final Routes routes = new Routes();
            final int[][] ranges = routes.flatten();
            starts = ranges[0];
            hops = ranges[1];
            addresses = routes.addresses;
            System.out.printf("%n[ranges] %,d prefixes flatten to %,d ranges%n", PREFIXES, starts.length);
        }

        static int lookup(final int[] starts, final int[] hops, final int address)
        {
            final int found = Arrays.binarySearch(starts, address ^ Integer.MIN_VALUE);
            return hops[found >= 0 ? found : -found - 2];
        }
    }

    @State(Scope.Benchmark)
    public static class TreeMapState
    {
        TreeMap<Integer, Integer> ranges;
        int[] addresses;

        @Setup(Level.Trial)
        public void setUp()
        {
            final Routes routes = new Routes();
            final int[][] flat = routes.flatten();
            ranges = new TreeMap<>();
            for (int i = 0; i < flat[0].length; i++)
            {
                ranges.put(flat[0][i], flat[1][i]);
            }
            addresses = routes.addresses;
        }
    }

    @Benchmark
    @OperationsPerInvocation(ADDRESSES)
    public int fibLookup(final FibState s)
    {
        final Ip4Fib fib = s.fib;
        final int[] addresses = s.addresses;
        int sum = 0;
        for (int i = 0; i < addresses.length; i++)
        {
            sum += fib.lookup(addresses[i]);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(ADDRESSES)
    public void fibLookupBurst(final FibState s, final Blackhole bh)
    {
        final Ip4Fib fib = s.fib;
        final int[] results = s.results;
        for (final int[] burst : s.bursts)
        {
            fib.lookupBurst(burst, results, BURST);
            bh.consume(results);
        }
    }

    @Benchmark
    @OperationsPerInvocation(ADDRESSES)
    public int baselineArrayRead(final ArrayState s)
    {
        final int[] table = s.table;
        final int[] addresses = s.addresses;
        int sum = 0;
        for (int i = 0; i < addresses.length; i++)
        {
            sum += table[addresses[i] >>> 8];
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(ADDRESSES)
    public int baselineSegmentRead(final SegmentState s)
    {
        final MemorySegment table = s.table;
        final int[] addresses = s.addresses;
        int sum = 0;
        for (int i = 0; i < addresses.length; i++)
        {
            sum += table.getAtIndex(ValueLayout.JAVA_INT, addresses[i] >>> 8);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(ADDRESSES)
    public int baselineBinarySearch(final BinarySearchState s)
    {
        final int[] starts = s.starts;
        final int[] hops = s.hops;
        final int[] addresses = s.addresses;
        int sum = 0;
        for (int i = 0; i < addresses.length; i++)
        {
            sum += BinarySearchState.lookup(starts, hops, addresses[i]);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(ADDRESSES)
    public int baselineTreeMap(final TreeMapState s)
    {
        final TreeMap<Integer, Integer> ranges = s.ranges;
        final int[] addresses = s.addresses;
        int sum = 0;
        for (int i = 0; i < addresses.length; i++)
        {
            sum += ranges.floorEntry(addresses[i] ^ Integer.MIN_VALUE).getValue();
        }
        return sum;
    }
}
