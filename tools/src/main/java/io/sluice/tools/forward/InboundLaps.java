package io.sluice.tools.forward;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.esp.SecurityAssociation;

/**
 * The decrypt benchmark's inbound SAs, with anti-replay on. The generator cannot encrypt at line
 * rate, so it replays a ring of pre-encrypted frames: the first half under SPI A with sequence
 * numbers 1..N, the second under SPI B with 1..N, round and round. A replay window would drop every
 * frame of the second lap; instead, while the generator sends one half, this renews the other
 * half's SA (same SPI and keys, a fresh window), the way a rekey installs a new inbound SA. Every
 * frame is still decrypted, its ICV checked and its sequence number checked against a window.
 * <p>
 * When to renew SA A: in the last burst SA B saw packets, and A has seen some since its own
 * renewal. Packets of one receive queue arrive in order, and B's half lies between two laps of
 * A's, so A is renewed between every two of its laps. The worker itself checks after every burst
 * ({@link #poll}: a few counter reads) and swaps the SA between bursts (two copy-on-write map
 * updates of the SA database), so no packet ever finds the SPI missing; a renewal in the burst
 * where A's half begins again (B's end and A's start in one burst) only resets a window that has
 * seen a few of A's new numbers, and every later one is higher. The control thread builds the fresh SAs ahead
 * ({@link #prepare}), so the JCE key setup stays off the worker unless the control thread was
 * late. A control thread alone would be too late on a loaded 2-vCPU machine, where both CPUs busy
 * poll; the worker's share, one swap per half ring (tens of thousands of packets), is charged to
 * the measurement. Were a renewal ever missed, the generator's next lap of A would meet the old
 * window and its frames would be counted as replay drops: the output reports them.
 */
final class InboundLaps
{
    private final Dataplane dp;
    private final BenchSa suite;
    private final SecurityAssociation.Mode mode;
    private final int binding;
    private final int peer;
    private final int local;
    private final int[] spis = {BenchSa.INBOUND_SPI_A, BenchSa.INBOUND_SPI_B};
    private final SecurityAssociation[] live = new SecurityAssociation[2];
    private final SecurityAssociation[] retired = new SecurityAssociation[2];
    private final long[] seen = new long[2];
    /** Fresh SAs built by the control thread for the worker to swap in. */
    private final java.util.concurrent.atomic.AtomicReferenceArray<SecurityAssociation> spare =
        new java.util.concurrent.atomic.AtomicReferenceArray<>(2);
    /** Counters of the SAs renewed away: packets, replay + too old, ICV failures, padding errors. */
    private long packets;
    private long replayDrops;
    private long icvFailures;
    private long paddingErrors;
    private long renewals;

    InboundLaps(final Dataplane dp, final BenchSa suite, final SecurityAssociation.Mode mode, final int binding,
        final int peer, final int local)
    {
        this.dp = dp;
        this.suite = suite;
        this.mode = mode;
        this.binding = binding;
        this.peer = peer;
        this.local = local;
        for (int s = 0; s < 2; s++)
        {
            live[s] = fresh(s);
            dp.sad().addInbound(live[s]);
        }
    }

    private SecurityAssociation fresh(final int s)
    {
        return suite.sa(spis[s], false, mode, binding, peer, local);
    }

    /** Control thread, now and then: builds the spare SAs the worker will swap in. */
    void prepare()
    {
        for (int s = 0; s < 2; s++)
        {
            if (spare.get(s) == null)
            {
                spare.set(s, fresh(s));
            }
        }
    }

    /** Worker, after a burst: renews the SA the generator has left. */
    void poll()
    {
        final long a = used(live[0]);
        final long b = used(live[1]);
        final boolean aMoved = a != seen[0];
        final boolean bMoved = b != seen[1];
        seen[0] = a;
        seen[1] = b;
        if (bMoved && a > 0)
        {
            renew(0);
        }
        if (aMoved && b > 0)
        {
            renew(1);
        }
    }

    /** Packets an SA has taken: delivered, or dropped by its window. */
    private static long used(final SecurityAssociation sa)
    {
        return sa.packets() + sa.replayDrops() + sa.tooOldDrops();
    }

    private void renew(final int s)
    {
        final SecurityAssociation ready = spare.getAndSet(s, null);
        final SecurityAssociation old = dp.sad().removeInbound(spis[s]);
        dp.sad().addInbound(live[s] = ready != null ? ready : fresh(s));
        seen[s] = 0;
        add(old);
        renewals++;
        if (retired[s] != null)
        {
            retired[s].destroy(); // a whole half-lap ago: no worker holds it any more
        }
        retired[s] = old;
    }

    private void add(final SecurityAssociation sa)
    {
        packets += sa.packets();
        replayDrops += sa.replayDrops() + sa.tooOldDrops();
        icvFailures += sa.icvFailures();
        paddingErrors += sa.paddingErrors();
    }

    /** The totals over every SA, as JSON fields (after the worker stopped). */
    String json()
    {
        for (int s = 0; s < 2; s++)
        {
            final SecurityAssociation unused = spare.getAndSet(s, null);
            if (unused != null)
            {
                unused.destroy();
            }
        }
        long p = packets;
        long r = replayDrops;
        long i = icvFailures;
        long pad = paddingErrors;
        for (final SecurityAssociation sa : live)
        {
            p += sa.packets();
            r += sa.replayDrops() + sa.tooOldDrops();
            i += sa.icvFailures();
            pad += sa.paddingErrors();
        }
        return "\"espDecrypted\":" + p + ",\"espReplayDrops\":" + r + ",\"espIcvFailures\":" + i +
            ",\"espPaddingErrors\":" + pad + ",\"espSaRenewals\":" + renewals + ",\"espReplayWindow\":" +
            live[0].window().size();
    }
}
