package io.sluice.dataplane.worker;

import io.sluice.dataplane.frame.FramePool;

/**
 * Hands packets between workers without copying them: an SA's per-packet state (the anti-replay
 * window, counters) has one writer, the worker that owns the SA, so when an SA's packet arrives
 * on another worker (RSS put the flow there) its descriptor goes to the owner over a
 * single-producer single-consumer ring, as VPP's esp-decrypt-handoff does. The frame stays in
 * the memory area all workers share (the UMEM); only the descriptor and the packet's metadata
 * move. When the owner is done with a frame (sent, or dropped) it goes back to the pool it came
 * from over a second ring, so each pool's free stack keeps one writer.
 * <p>
 * One ring per ordered pair of workers in each direction: {@code packets[from][to]} carries
 * descriptors (bounded; a full ring drops the packet, counted by the stage that offered it),
 * {@code frames[from][to]} frames of {@code to}'s pool that {@code from} has finished with (sized
 * to hold every frame of that pool, so it can never be full).
 */
public final class Handoff
{
    /** The stage a handed-over packet enters on the owner. */
    public static final int ESP_DECRYPT = 0;
    public static final int ESP_ENCRYPT = 1;
    /** A copy of an ARP packet another worker received: learned from, never answered. */
    public static final int ARP_INPUT = 2;

    private static final int ADDRESS = 0;
    private static final int LENGTH_TARGET = 1;
    private static final int INTERFACE_FLAGS = 2;
    private static final int BINDING = 3;
    private static final int WIDTH = 4;

    /** What the owner does with each descriptor it takes off a ring. */
    @FunctionalInterface
    public interface Receiver
    {
        void receive(int target, long address, int length, int rxInterface, int flags, int espBinding);
    }

    private final FramePool[] pools;
    private final SpscLongRing[][] packets;
    private final SpscLongRing[][] frames;
    private final Lane[] lanes;

    /**
     * @param pools   one per worker, all over the same memory area, owning disjoint frames
     * @param records the descriptor capacity of each worker-to-worker ring
     */
    public Handoff(final FramePool[] pools, final int records)
    {
        final int n = pools.length;
        if (n < 1)
        {
            throw new IllegalArgumentException("a handoff needs at least one worker");
        }
        for (int i = 1; i < n; i++)
        {
            if (!pools[i].memory().equals(pools[0].memory()) || pools[i].frameSize() != pools[0].frameSize())
            {
                throw new IllegalArgumentException("worker " + i + "'s frame pool is not over the same memory area " +
                    "and frame size as worker 0's: packets could not move between them without a copy");
            }
        }
        this.pools = pools.clone();
        this.packets = new SpscLongRing[n][n];
        this.frames = new SpscLongRing[n][n];
        this.lanes = new Lane[n];
        for (int from = 0; from < n; from++)
        {
            for (int to = 0; to < n; to++)
            {
                if (from != to)
                {
                    packets[from][to] = new SpscLongRing(records, WIDTH);
                    frames[from][to] = new SpscLongRing(pools[to].capacity(), 1);
                }
            }
        }
        for (int w = 0; w < n; w++)
        {
            lanes[w] = new Lane(w);
            final Lane lane = lanes[w];
            pools[w].foreignFrames(lane::returnForeign);
        }
    }

    public int workers()
    {
        return lanes.length;
    }

    /** Worker {@code w}'s end of every ring (use it only on that worker's thread). */
    public Lane lane(final int w)
    {
        return lanes[w];
    }

    /** One worker's view: what it sends to the others, what it receives from them. */
    public final class Lane
    {
        private final int worker;
        private long handedOver;
        private long received;
        private final long[] handedOverTo = new long[3];
        private final long[] receivedFor = new long[3];
        private long ringFull;
        private long framesReturned;
        private long framesLost;

        private Lane(final int worker)
        {
            this.worker = worker;
        }

        public int worker()
        {
            return worker;
        }

        /** How many workers share the rings. */
        public int workers()
        {
            return lanes.length;
        }

        /** Offers a packet to worker {@code to}; false (nothing sent) when that ring is full. */
        public boolean handOver(
            final int to, final int target, final long address, final int length, final int rxInterface,
            final int flags, final int espBinding)
        {
            final SpscLongRing ring = packets[worker][to];
            final int slot = ring.claim();
            if (slot < 0)
            {
                ringFull++;
                return false;
            }
            ring.put(slot, ADDRESS, address);
            ring.put(slot, LENGTH_TARGET, ((long)length << 32) | (target & 0xffff_ffffL));
            ring.put(slot, INTERFACE_FLAGS, ((long)rxInterface << 32) | (flags & 0xffff_ffffL));
            ring.put(slot, BINDING, espBinding);
            ring.commit();
            handedOver++;
            handedOverTo[target]++;
            return true;
        }

        /** Takes up to {@code max} packets handed to this worker, oldest first per sender; returns how many. */
        public int receive(final Receiver receiver, final int max)
        {
            int taken = 0;
            for (int from = 0; from < lanes.length && taken < max; from++)
            {
                if (from == worker)
                {
                    continue;
                }
                final SpscLongRing ring = packets[from][worker];
                final int n = Math.min(ring.available(), max - taken);
                for (int i = 0; i < n; i++)
                {
                    final int slot = ring.peek(i);
                    final long lt = ring.get(slot, LENGTH_TARGET);
                    final long inf = ring.get(slot, INTERFACE_FLAGS);
                    receivedFor[(int)lt]++;
                    receiver.receive((int)lt, ring.get(slot, ADDRESS), (int)(lt >>> 32), (int)(inf >>> 32), (int)inf,
                        (int)ring.get(slot, BINDING));
                }
                ring.release(n);
                taken += n;
            }
            received += taken;
            return taken;
        }

        /** Puts the frames other workers have finished with back into this worker's pool; returns how many. */
        public int returnFrames()
        {
            int returned = 0;
            final FramePool pool = pools[worker];
            for (int from = 0; from < lanes.length; from++)
            {
                if (from == worker)
                {
                    continue;
                }
                final SpscLongRing ring = frames[from][worker];
                final int n = ring.available();
                for (int i = 0; i < n; i++)
                {
                    pool.release(ring.get(ring.peek(i), 0));
                }
                ring.release(n);
                returned += n;
            }
            framesReturned += returned;
            return returned;
        }

        /** This worker's pool met a frame of another pool: send it home. */
        private void returnForeign(final long frame)
        {
            for (int owner = 0; owner < pools.length; owner++)
            {
                if (owner != worker && pools[owner].owns(frame))
                {
                    if (!frames[worker][owner].offer(frame))
                    {
                        framesLost++; // cannot happen: the ring holds the owner's whole pool
                    }
                    return;
                }
            }
            framesLost++; // a frame of no pool: a bug upstream, kept out of every free stack
        }

        /** Packets this worker handed to others. */
        public long handedOver()
        {
            return handedOver;
        }

        /** Packets other workers handed to this one. */
        public long received()
        {
            return received;
        }

        /** Packets this worker handed to others for one stage ({@link #ESP_DECRYPT}, ...). */
        public long handedOver(final int target)
        {
            return handedOverTo[target];
        }

        /** Packets other workers handed to this one for one stage. */
        public long received(final int target)
        {
            return receivedFor[target];
        }

        /** Packets this worker could not hand over because the owner's ring was full (dropped). */
        public long ringFull()
        {
            return ringFull;
        }

        /** Frames of this worker's pool that came back from other workers. */
        public long framesReturned()
        {
            return framesReturned;
        }

        /** Frames that could not be sent home (should stay 0). */
        public long framesLost()
        {
            return framesLost;
        }
    }
}
