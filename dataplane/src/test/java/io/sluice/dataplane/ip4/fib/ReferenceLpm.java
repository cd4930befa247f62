package io.sluice.dataplane.ip4.fib;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Longest-prefix match by its definition, to check {@link Ip4Fib} against: the rules in a map
 * keyed by (length, prefix), and a lookup that tries every length from 32 down to 0. Slow and
 * obviously right; shares nothing with DIR-24-8.
 */
final class ReferenceLpm
{
    private final Map<Long, Integer> rules = new HashMap<>();

    void add(final int prefix, final int length, final int nextHop)
    {
        rules.put(key(prefix, length), nextHop);
    }

    boolean remove(final int prefix, final int length)
    {
        return rules.remove(key(prefix, length)) != null;
    }

    boolean contains(final int prefix, final int length)
    {
        return rules.containsKey(key(prefix, length));
    }

    int lookup(final int address)
    {
        for (int length = 32; length >= 0; length--)
        {
            final Integer hop = rules.get(key(address & mask(length), length));
            if (hop != null)
            {
                return hop;
            }
        }
        return Ip4Fib.NO_ROUTE;
    }

    /** The same answer by scanning every rule: a check of {@link #lookup} itself on small sets. */
    int lookupByScan(final int address)
    {
        int bestLength = -1;
        int bestHop = Ip4Fib.NO_ROUTE;
        for (final Map.Entry<Long, Integer> rule : rules.entrySet())
        {
            final int length = (int)(rule.getKey() >>> 32);
            final int prefix = (int)(long)rule.getKey();
            if ((address & mask(length)) == prefix && length > bestLength)
            {
                bestLength = length;
                bestHop = rule.getValue();
            }
        }
        return bestHop;
    }

    int size()
    {
        return rules.size();
    }

    /** The rules as {prefix, length} pairs. */
    List<int[]> prefixes()
    {
        final List<int[]> all = new ArrayList<>(rules.size());
        for (final long key : rules.keySet())
        {
            all.add(new int[]{(int)key, (int)(key >>> 32)});
        }
        return all;
    }

    static int mask(final int length)
    {
        return length == 0 ? 0 : -1 << (32 - length);
    }

    private static long key(final int prefix, final int length)
    {
        return ((long)length << 32) | (prefix & 0xffff_ffffL);
    }
}
