package io.sluice.dataplane.arp;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NeighbourTableTest
{
    private static final long SECOND = 1_000_000_000L;

    @Test
    void unansweredEntriesAgeOutSoAScanCannotFillTheTable()
    {
        final NeighbourTable t = new NeighbourTable(64);
        long now = 0;
        // a scan: far more unresolved addresses than the table holds, a few at a time
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 8; i++)
            {
                final int slot = t.findOrCreate(1, round * 8 + i);
                assertTrue(slot >= 0, "table full in round " + round);
                t.requestDue(slot, now);
            }
            now += SECOND;
            t.age(now);
        }
        assertTrue(t.size() <= 32, "only the last few seconds of the scan remain: " + t.size());
        final int kept = t.learn(1, 0x0a000001, 0x0200_0000_0001L, now);
        assertTrue(kept >= 0);
    }

    @Test
    void resolvedEntriesLiveForTwiceTheReachableTimeAndStaticOnesForever()
    {
        final NeighbourTable t = new NeighbourTable(64);
        t.learn(1, 10, 0xaaL, 0);
        t.learn(1, 11, 0xbbL, Long.MAX_VALUE / 2); // static, as Dataplane.addNeighbour makes them
        t.age(NeighbourTable.FORGET_RESOLVED_NANOS - SECOND);
        assertTrue(t.find(1, 10) >= 0);
        t.age(NeighbourTable.FORGET_RESOLVED_NANOS + SECOND);
        assertEquals(-1, t.find(1, 10));
        assertEquals(0xbbL, t.mac(t.find(1, 11)));
    }

    @Test
    void removalKeepsEveryOtherEntryFindableAgainstAModel()
    {
        final Random random = new Random(11);
        final NeighbourTable t = new NeighbourTable(256);
        final Map<Long, Long> model = new HashMap<>();
        final Map<Long, Long> learnedAt = new HashMap<>();
        long now = 0;
        for (int step = 0; step < 20_000; step++)
        {
            now += SECOND / 10;
            final int iface = random.nextInt(3);
            final int ip = random.nextInt(400);
            if (random.nextInt(3) > 0 && t.size() < 150)
            {
                final long mac = 1 + random.nextInt(1 << 20);
                t.learn(iface, ip, mac, now);
                model.put(((long)iface << 32) | ip, mac);
                learnedAt.put(((long)iface << 32) | ip, now);
            }
            if (step % 50 == 0)
            {
                final long ageAt = now + NeighbourTable.FORGET_RESOLVED_NANOS - 30 * SECOND;
                t.age(ageAt);
                // entries confirmed in the last 30 s survive; the model forgets exactly the rest
                model.keySet().removeIf(k -> ageAt - learnedAt.get(k) > NeighbourTable.FORGET_RESOLVED_NANOS);
            }
            for (final Map.Entry<Long, Long> e : model.entrySet())
            {
                final int slot = t.find((int)(e.getKey() >>> 32), (int)(long)e.getKey());
                assertTrue(slot >= 0, "lost " + e.getKey() + " at step " + step);
                assertEquals((long)e.getValue(), t.mac(slot));
            }
            assertEquals(model.size(), t.size(), "size at step " + step);
        }
    }
}
