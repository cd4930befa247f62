package io.sluice.dataplane.ip4.fib;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ip4FibTest
{
    private static final int NO_ROUTE = Ip4Fib.NO_ROUTE;

    @Test
    void emptyFibHasNoRouteAnywhere()
    {
        final Ip4Fib fib = new Ip4Fib(4);
        assertEquals(NO_ROUTE, fib.lookup(0));
        assertEquals(NO_ROUTE, fib.lookup(ip("10.0.0.1")));
        assertEquals(NO_ROUTE, fib.lookup(-1));
        assertEquals(0, fib.size());
    }

    @Test
    void defaultRouteAnswersEverywhereUntilRemoved()
    {
        final Ip4Fib fib = new Ip4Fib(4);
        fib.add(0, 0, 9);
        for (final int address : new int[]{0, 1, ip("10.0.0.1"), ip("127.255.255.255"), ip("128.0.0.0"), -1})
        {
            assertEquals(9, fib.lookup(address), Ip4Fib.format(address));
        }
        fib.add(ip("10.0.0.0"), 8, 3);
        assertEquals(3, fib.lookup(ip("10.200.1.1")));
        assertEquals(9, fib.lookup(ip("11.0.0.0")));
        assertTrue(fib.remove(0, 0));
        assertEquals(3, fib.lookup(ip("10.200.1.1")));
        assertEquals(NO_ROUTE, fib.lookup(ip("11.0.0.0")));
        assertEquals(NO_ROUTE, fib.lookup(-1));
        assertEquals(1, fib.size());
    }

    @Test
    void hostRoutesAnswerOnlyTheirOwnAddress()
    {
        final Ip4Fib fib = new Ip4Fib(4);
        fib.add(ip("10.1.2.3"), 32, 1);
        fib.add(ip("10.1.2.4"), 32, 2);
        fib.add(ip("255.255.255.255"), 32, 3);
        fib.add(0, 32, 4);
        assertEquals(1, fib.lookup(ip("10.1.2.3")));
        assertEquals(2, fib.lookup(ip("10.1.2.4")));
        assertEquals(NO_ROUTE, fib.lookup(ip("10.1.2.2")));
        assertEquals(NO_ROUTE, fib.lookup(ip("10.1.2.5")));
        assertEquals(3, fib.lookup(-1));
        assertEquals(NO_ROUTE, fib.lookup(-2));
        assertEquals(4, fib.lookup(0));
        assertEquals(NO_ROUTE, fib.lookup(1));
        assertEquals(3, fib.tbl8GroupsInUse(), "three /24s hold host routes");
    }

    @Test
    void everyLengthFrom25To32InsideOneSlash24MatchesTheReferenceAndCollapsesWhenGone()
    {
        final Ip4Fib fib = new Ip4Fib(4);
        final ReferenceLpm reference = new ReferenceLpm();
        final int base = ip("192.168.7.0");
        add(fib, reference, base, 24, 100);
        add(fib, reference, ip("192.168.0.0"), 16, 50);
        final List<int[]> longer = new ArrayList<>();
        for (int length = 25; length <= 32; length++)
        {
            // Nested: .128/25, .192/26, .224/27 ... .255/32, and in the low half .0/25, .64/26 ... .127/32.
            final int nested = base | (ReferenceLpm.mask(length) & 0xff);
            longer.add(new int[]{nested, length});
            longer.add(new int[]{base | (ReferenceLpm.mask(length) & 0x7f), length});
        }
        int hop = 1;
        for (final int[] prefix : longer)
        {
            add(fib, reference, prefix[0], prefix[1], hop++);
            assertSlash24Matches(fib, reference, base);
        }
        assertEquals(1, fib.tbl8GroupsInUse());
        Collections.shuffle(longer, new Random(7));
        for (final int[] prefix : longer)
        {
            assertTrue(fib.remove(prefix[0], prefix[1]));
            reference.remove(prefix[0], prefix[1]);
            assertSlash24Matches(fib, reference, base);
        }
        assertEquals(1, fib.tbl8GroupsInUse(), "collapsed group retired, not yet reclaimed");
        assertEquals(4, fib.reclaimTbl8Groups(), "no reader registered: reclaimed at once");
        assertEquals(0, fib.tbl8GroupsInUse());
        assertEquals(100, fib.lookup(base | 0xff));
        assertTrue(fib.remove(base, 24));
        assertEquals(50, fib.lookup(base | 0xff));
    }

    @Test
    void overlappingPrefixesGiveTheSameAnswersInEitherOrder()
    {
        final int[][] prefixes = {
            {ip("10.0.0.0"), 8, 1}, {ip("10.1.0.0"), 16, 2}, {ip("10.1.2.0"), 24, 3}, {ip("10.1.2.128"), 25, 4},
            {ip("10.1.2.130"), 31, 5}, {ip("10.1.2.131"), 32, 6}, {ip("10.1.0.0"), 23, 7}, {0, 0, 8},
            {ip("10.1.3.0"), 28, 9}, {ip("10.0.0.0"), 15, 10},
        };
        final Ip4Fib forward = new Ip4Fib(8);
        final Ip4Fib backward = new Ip4Fib(8);
        final ReferenceLpm reference = new ReferenceLpm();
        for (int i = 0; i < prefixes.length; i++)
        {
            forward.add(prefixes[i][0], prefixes[i][1], prefixes[i][2]);
            final int[] last = prefixes[prefixes.length - 1 - i];
            backward.add(last[0], last[1], last[2]);
            reference.add(prefixes[i][0], prefixes[i][1], prefixes[i][2]);
        }
        for (long address = ip("10.0.0.0") - 256L; address < ip("10.1.4.0") + 256L; address++)
        {
            final int a = (int)address;
            final int expected = reference.lookupByScan(a);
            assertEquals(expected, forward.lookup(a), () -> "forward " + Ip4Fib.format(a));
            assertEquals(expected, backward.lookup(a), () -> "backward " + Ip4Fib.format(a));
        }
        assertEquals(8, forward.lookup(ip("9.255.255.255")));
        assertEquals(10, forward.lookup(ip("10.0.255.255")));
    }

    @Test
    void removingAPrefixRestoresTheNextLessSpecificOne()
    {
        final Ip4Fib fib = new Ip4Fib(4);
        fib.add(ip("10.0.0.0"), 8, 1);
        fib.add(ip("10.1.0.0"), 16, 2);
        fib.add(ip("10.1.2.0"), 24, 3);
        fib.add(ip("10.1.2.0"), 26, 4);
        fib.add(ip("10.1.2.1"), 32, 5);

        assertTrue(fib.remove(ip("10.1.2.0"), 26));
        assertEquals(5, fib.lookup(ip("10.1.2.1")));
        assertEquals(3, fib.lookup(ip("10.1.2.2")), "the /24, not the /16");
        assertTrue(fib.remove(ip("10.1.2.0"), 24));
        assertEquals(2, fib.lookup(ip("10.1.2.2")), "expanded /24: group entries fall back to the /16");
        assertEquals(5, fib.lookup(ip("10.1.2.1")));
        assertTrue(fib.remove(ip("10.1.0.0"), 16));
        assertEquals(1, fib.lookup(ip("10.1.2.2")));
        assertTrue(fib.remove(ip("10.1.2.1"), 32));
        assertEquals(1, fib.lookup(ip("10.1.2.1")));
        assertTrue(fib.remove(ip("10.0.0.0"), 8));
        assertEquals(NO_ROUTE, fib.lookup(ip("10.1.2.1")));
        assertFalse(fib.remove(ip("10.0.0.0"), 8), "already gone");
        assertEquals(0, fib.size());
    }

    @Test
    void addingAPresentPrefixReplacesItsNextHopOnly()
    {
        final Ip4Fib fib = new Ip4Fib(4);
        fib.add(ip("10.1.0.0"), 16, 2);
        fib.add(ip("10.1.2.0"), 24, 3);
        fib.add(ip("10.1.2.64"), 26, 4);
        fib.add(ip("10.1.0.0"), 16, 20);
        fib.add(ip("10.1.2.64"), 26, 40);
        assertEquals(3, fib.size());
        assertEquals(20, fib.lookup(ip("10.1.9.9")));
        assertEquals(3, fib.lookup(ip("10.1.2.1")));
        assertEquals(40, fib.lookup(ip("10.1.2.65")));
        assertEquals(40, fib.get(ip("10.1.2.64"), 26));
        assertEquals(NO_ROUTE, fib.get(ip("10.1.2.0"), 25));
    }

    @Test
    void rejectsBadInputNamingThePrefix()
    {
        final Ip4Fib fib = new Ip4Fib(4);
        final IllegalArgumentException hostBits =
            assertThrows(IllegalArgumentException.class, () -> fib.add(ip("10.1.2.3"), 24, 1));
        assertTrue(hostBits.getMessage().contains("10.1.2.3/24"), hostBits.getMessage());
        assertTrue(hostBits.getMessage().contains("10.1.2.0/24"), hostBits.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fib.remove(ip("10.1.2.3"), 31));
        assertThrows(IllegalArgumentException.class, () -> fib.add(1, 0, 1));
        final IllegalArgumentException length =
            assertThrows(IllegalArgumentException.class, () -> fib.add(ip("10.0.0.0"), 33, 1));
        assertTrue(length.getMessage().contains("33"), length.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fib.add(ip("10.0.0.0"), -1, 1));
        final IllegalArgumentException hop =
            assertThrows(IllegalArgumentException.class, () -> fib.add(ip("10.0.0.0"), 8, -2));
        assertTrue(hop.getMessage().contains("10.0.0.0/8"), hop.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Ip4Fib(0));
        assertEquals(0, fib.size());
        assertEquals(NO_ROUTE, fib.lookup(ip("10.1.2.3")));
        fib.add(ip("10.0.0.0"), 8, Ip4Fib.MAX_NEXT_HOP);
        assertEquals(Ip4Fib.MAX_NEXT_HOP, fib.lookup(ip("10.1.2.3")));
    }

    @Test
    void runningOutOfTbl8GroupsSaysHowManyAndLeavesTheTableUnchanged()
    {
        final Ip4Fib fib = new Ip4Fib(2);
        fib.add(ip("10.0.0.0"), 8, 1);
        fib.add(ip("10.0.1.0"), 25, 2);
        fib.add(ip("10.0.2.0"), 25, 3);
        fib.add(ip("10.0.2.128"), 25, 4); // same /24 as the previous one: no new group

        final Tbl8ExhaustedException full =
            assertThrows(Tbl8ExhaustedException.class, () -> fib.add(ip("10.0.3.0"), 25, 5));
        assertTrue(full.getMessage().contains("all 2 tbl8 groups"), full.getMessage());
        assertTrue(full.getMessage().contains("10.0.3.0/25"), full.getMessage());
        assertTrue(full.getMessage().contains("maxTbl8Groups"), full.getMessage());
        assertEquals(2, full.maxGroups());
        assertEquals(4, fib.size());
        assertEquals(NO_ROUTE, fib.get(ip("10.0.3.0"), 25));
        assertEquals(1, fib.lookup(ip("10.0.3.1")));
        assertEquals(2, fib.lookup(ip("10.0.1.1")));

        fib.add(ip("10.0.3.0"), 24, 6); // prefixes of /24 and shorter never need a group
        assertEquals(6, fib.lookup(ip("10.0.3.1")));
        assertTrue(fib.remove(ip("10.0.1.0"), 25));
        fib.add(ip("10.0.3.0"), 25, 5); // the group freed by the collapse of 10.0.1.0/24
        assertEquals(5, fib.lookup(ip("10.0.3.1")));
        assertEquals(6, fib.lookup(ip("10.0.3.129")));
        assertEquals(1, fib.lookup(ip("10.0.1.1")));
    }

    @Test
    void aRetiredGroupWaitsForEveryRegisteredReaderToPassAQuiescentPoint()
    {
        final Ip4Fib fib = new Ip4Fib(1);
        final Ip4Fib.Reader worker = fib.registerReader();
        final Ip4Fib.Reader parked = fib.registerReader();
        parked.offline();
        fib.add(ip("10.0.1.0"), 25, 1);
        assertTrue(fib.remove(ip("10.0.1.0"), 25)); // collapsed: the worker may still hold the group

        final Tbl8ExhaustedException waiting =
            assertThrows(Tbl8ExhaustedException.class, () -> fib.add(ip("10.0.2.0"), 25, 2));
        assertEquals(1, waiting.awaitingQuiescence());
        assertTrue(waiting.getMessage().contains("quiescent()"), waiting.getMessage());

        worker.quiescent();
        fib.add(ip("10.0.2.0"), 25, 2);
        assertEquals(2, fib.lookup(ip("10.0.2.1")));
        assertEquals(NO_ROUTE, fib.lookup(ip("10.0.1.1")));

        assertTrue(fib.remove(ip("10.0.2.0"), 25));
        worker.offline(); // an offline reader is not waited for
        fib.add(ip("10.0.3.0"), 25, 3);
        assertEquals(3, fib.lookup(ip("10.0.3.1")));
        worker.close();
        parked.close();
    }

    @Test
    void readerSlotsRunOutWithAClearMessageAndComeBackWhenClosed()
    {
        final Ip4Fib fib = new Ip4Fib(1, 2);
        final Ip4Fib.Reader first = fib.registerReader();
        fib.registerReader();
        final IllegalStateException full = assertThrows(IllegalStateException.class, fib::registerReader);
        assertTrue(full.getMessage().contains("all 2"), full.getMessage());
        first.close();
        fib.registerReader().close();
    }

    @Test
    void lookupBurstMayWriteItsResultsOverItsAddresses()
    {
        final Ip4Fib fib = new Ip4Fib(4);
        fib.add(ip("10.0.0.0"), 8, 1);
        fib.add(ip("10.1.2.128"), 25, 2);
        final int[] vector = {ip("10.1.2.129"), ip("10.1.2.1"), ip("11.0.0.1"), ip("10.1.2.255"), 0};
        fib.lookupBurst(vector, vector, 4);
        assertArrayEquals(new int[]{2, 1, NO_ROUTE, 2, 0}, vector, "the fifth is past count: untouched");
    }

    @Test
    void matchesTheReferenceThroughRandomAddsReplacesAndRemoves()
    {
        for (long seed = 1; seed <= 12; seed++)
        {
            final Random random = new Random(seed);
            final Ip4Fib fib = new Ip4Fib(256);
            final ReferenceLpm reference = new ReferenceLpm();
            final Set<Integer> touched24s = new HashSet<>();
            final int[] results = new int[64];
            final int[] burst = new int[64];
            for (int op = 0; op < 3000; op++)
            {
                final List<int[]> present = op % 50 == 0 || reference.size() < 10 ? reference.prefixes() : null;
                final int[] prefix;
                if (present != null && !present.isEmpty() && random.nextInt(10) < 4)
                {
                    prefix = present.get(random.nextInt(present.size()));
                    assertTrue(fib.remove(prefix[0], prefix[1]));
                    reference.remove(prefix[0], prefix[1]);
                }
                else
                {
                    prefix = clusteredPrefix(random);
                    if (random.nextInt(10) < 3)
                    {
                        assertEquals(reference.remove(prefix[0], prefix[1]), fib.remove(prefix[0], prefix[1]));
                    }
                    else
                    {
                        final int hop = random.nextInt(1000);
                        fib.add(prefix[0], prefix[1], hop);
                        reference.add(prefix[0], prefix[1], hop);
                    }
                }
                touched24s.add(prefix[0] >>> 8);
                final int first = prefix[0];
                final int last = prefix[0] | ~ReferenceLpm.mask(prefix[1]);
                for (final int address : new int[]{first, last, first - 1, last + 1, first | (random.nextInt() & ~ReferenceLpm.mask(prefix[1]))})
                {
                    assertEquals(reference.lookup(address), fib.lookup(address), () -> "seed " + Ip4Fib.format(address));
                }
                assertEquals(reference.size(), fib.size());
            }
            for (final int slash24 : touched24s)
            {
                for (int low = 0; low < 256; low++)
                {
                    final int address = (slash24 << 8) | low;
                    assertEquals(reference.lookup(address), fib.lookup(address), () -> Ip4Fib.format(address));
                }
            }
            for (int i = 0; i < 1000; i++)
            {
                for (int j = 0; j < burst.length; j++)
                {
                    burst[j] = j % 2 == 0 ? random.nextInt() : clusteredPrefix(random)[0] | random.nextInt(256);
                }
                fib.lookupBurst(burst, results, burst.length);
                for (int j = 0; j < burst.length; j++)
                {
                    assertEquals(reference.lookup(burst[j]), results[j], Ip4Fib.format(burst[j]));
                    assertEquals(fib.lookup(burst[j]), results[j]);
                }
            }

            final List<int[]> all = reference.prefixes();
            Collections.shuffle(all, random);
            for (final int[] prefix : all)
            {
                assertTrue(fib.remove(prefix[0], prefix[1]));
            }
            assertEquals(0, fib.size());
            fib.reclaimTbl8Groups();
            assertEquals(0, fib.tbl8GroupsInUse(), "every group collapsed and reclaimed, seed " + seed);
            for (final int slash24 : touched24s)
            {
                assertEquals(NO_ROUTE, fib.lookup((slash24 << 8) | random.nextInt(256)));
            }
        }
    }

    @Test
    void loadsAMillionPrefixesAndAnswersLikeTheReference()
    {
        final Random random = new Random(42);
        final Ip4Fib fib = new Ip4Fib(32 * 1024);
        final ReferenceLpm reference = new ReferenceLpm();
        final int[] prefixes = new int[1_000_000];
        final int[] lengths = new int[1_000_000];
        long started = System.nanoTime();
        int distinct = 0;
        while (distinct < 1_000_000)
        {
            final int length = internetLikeLength(random);
            final int prefix = random.nextInt() & ReferenceLpm.mask(length);
            if (fib.get(prefix, length) == NO_ROUTE)
            {
                prefixes[distinct] = prefix;
                lengths[distinct] = length;
                distinct++;
            }
            final int hop = random.nextInt(1 << 20);
            fib.add(prefix, length, hop);
            reference.add(prefix, length, hop);
        }
        final long loadMillis = (System.nanoTime() - started) / 1_000_000;
        assertEquals(1_000_000, fib.size());
        assertEquals(1_000_000, reference.size());
        System.out.printf("1,000,000 prefixes loaded in %d ms, %d tbl8 groups in use%n", loadMillis, fib.tbl8GroupsInUse());

        checkSample(fib, reference, prefixes, lengths, distinct, random, 200_000);

        started = System.nanoTime();
        for (int i = 0; i < 100_000; i++)
        {
            final int victim = random.nextInt(distinct);
            assertTrue(fib.remove(prefixes[victim], lengths[victim]));
            reference.remove(prefixes[victim], lengths[victim]);
            distinct--;
            prefixes[victim] = prefixes[distinct];
            lengths[victim] = lengths[distinct];
        }
        final long removeMillis = (System.nanoTime() - started) / 1_000_000;
        fib.reclaimTbl8Groups();
        System.out.printf("100,000 removed in %d ms, %d tbl8 groups in use%n", removeMillis, fib.tbl8GroupsInUse());
        assertEquals(900_000, fib.size());
        checkSample(fib, reference, prefixes, lengths, distinct, random, 100_000);
    }

    private static void checkSample(
        final Ip4Fib fib, final ReferenceLpm reference, final int[] prefixes, final int[] lengths, final int count,
        final Random random, final int samples)
    {
        for (int i = 0; i < samples; i++)
        {
            final int address;
            if (i % 2 == 0)
            {
                address = random.nextInt();
            }
            else
            {
                final int p = random.nextInt(count);
                address = prefixes[p] | (random.nextInt() & ~ReferenceLpm.mask(lengths[p]));
            }
            final int expected = reference.lookup(address);
            final int actual = fib.lookup(address);
            if (expected != actual)
            {
                assertEquals(expected, actual, "lookup of " + Ip4Fib.format(address));
            }
        }
    }

    /** Prefixes crowded into a few /24s of a few /16s, so that they overlap at every length. */
    private static int[] clusteredPrefix(final Random random)
    {
        final int[] slash16s = {ip("10.1.0.0"), ip("10.2.0.0"), ip("192.168.0.0")};
        final int[] thirdOctets = {0, 1, 2, 127, 128, 255};
        final int address = slash16s[random.nextInt(slash16s.length)]
            | (thirdOctets[random.nextInt(thirdOctets.length)] << 8) | random.nextInt(256);
        final int roll = random.nextInt(100);
        final int length = roll < 3 ? random.nextInt(9) : roll < 20 ? 9 + random.nextInt(15) : 24 + random.nextInt(9);
        return new int[]{address & ReferenceLpm.mask(length), length};
    }

    /** Roughly an Internet table's shape, plus 2% longer than /24 (DMVPN host routes, customer subnets). */
    static int internetLikeLength(final Random random)
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

    private static void add(final Ip4Fib fib, final ReferenceLpm reference, final int prefix, final int length, final int hop)
    {
        fib.add(prefix, length, hop);
        reference.add(prefix, length, hop);
    }

    private static void assertSlash24Matches(final Ip4Fib fib, final ReferenceLpm reference, final int base)
    {
        for (int low = 0; low < 256; low++)
        {
            final int address = base | low;
            assertEquals(reference.lookupByScan(address), fib.lookup(address), () -> Ip4Fib.format(address));
        }
    }

    static int ip(final String dotted)
    {
        final String[] octets = dotted.split("\\.");
        int address = 0;
        for (final String octet : octets)
        {
            address = (address << 8) | Integer.parseInt(octet);
        }
        return address;
    }
}
