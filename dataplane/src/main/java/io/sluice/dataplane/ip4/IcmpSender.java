package io.sluice.dataplane.ip4;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.graph.Graph;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Checksum;
import io.sluice.dataplane.packet.Icmp4;
import io.sluice.dataplane.packet.Ipv4;

import java.lang.foreign.MemorySegment;

/**
 * ICMP errors a router sends (RFC 1812 4.3.2): destination unreachable, fragmentation needed
 * with the next-hop MTU, time exceeded. Never about an ICMP error, a non-first fragment or a
 * broadcast/multicast packet, and rate-limited by a token bucket (default 100/s, burst 20, like a
 * router's {@code ip icmp rate-limit}). The error is a new frame that goes to ip4-lookup.
 */
public final class IcmpSender
{
    private static final int MAX_QUOTED = 576 - Ipv4.MIN_LENGTH - Icmp4.LENGTH;

    private final Dataplane dp;
    private final Graph graph;
    private final long nanosPerToken;
    private final long burst;
    private long tokens;
    private long lastRefill;
    private int ipId;
    private long sent;
    private long rateLimited;
    private long suppressed;
    private long noBuffer;

    public IcmpSender(final Dataplane dp, final int perSecond, final int burst)
    {
        this.dp = dp;
        this.graph = dp.graph();
        this.nanosPerToken = 1_000_000_000L / Math.max(1, perSecond);
        this.burst = burst;
        this.tokens = burst;
        this.lastRefill = System.nanoTime();
    }

    /**
     * Sends an error about the packet at {@code at} (its IPv4 header); the caller still owns and
     * drops the original.
     *
     * @param rest the 32-bit field after the checksum (the next-hop MTU for fragmentation needed)
     */
    public void sendError(final long at, final int length, final int type, final int code, final int rest)
    {
        final MemorySegment m = graph.pool().memory();
        if (!errorAllowed(m, at, length))
        {
            suppressed++;
            return;
        }
        final long now = graph.nowNanos();
        if (now - lastRefill >= nanosPerToken)
        {
            tokens = Math.min(burst, tokens + (now - lastRefill) / nanosPerToken);
            lastRefill = now;
        }
        if (tokens == 0)
        {
            rateLimited++;
            return;
        }
        final long frame = graph.pool().allocate();
        if (frame < 0)
        {
            noBuffer++;
            return;
        }
        tokens--;
        final int origFrame = graph.pool().index(at);
        final int rxIf = graph.meta().rxInterface[origFrame];
        final long out = frame + graph.pool().dataOffset();
        final int quoted = Math.min(length, MAX_QUOTED);
        final int total = Ipv4.MIN_LENGTH + Icmp4.LENGTH + quoted;
        Ipv4.write(m, out, 0xc0, total, ipId++ & 0xffff, 0, 64, Ipv4.PROTO_ICMP, sourceFor(rxIf), Ipv4.src(m, at));
        final long icmp = out + Ipv4.MIN_LENGTH;
        Bytes.u8(m, icmp + Icmp4.TYPE, type);
        Bytes.u8(m, icmp + Icmp4.CODE, code);
        Bytes.u16(m, icmp + Icmp4.CHECKSUM, 0);
        Bytes.u32(m, icmp + Icmp4.REST, rest);
        MemorySegment.copy(m, at, m, icmp + Icmp4.LENGTH, quoted);
        Bytes.u16(m, icmp + Icmp4.CHECKSUM, Checksum.compute(m, icmp, Icmp4.LENGTH + quoted));
        final int f = graph.pool().index(out);
        graph.meta().flags[f] = Meta.LOCAL_ORIGIN;
        graph.meta().rxInterface[f] = rxIf;
        sent++;
        graph.enqueue(dp.ip4Lookup(), out, total);
    }

    private static boolean errorAllowed(final MemorySegment m, final long at, final int length)
    {
        if (length < Ipv4.MIN_LENGTH)
        {
            return false;
        }
        if ((Ipv4.flagsFragment(m, at) & Ipv4.OFFSET_MASK) != 0)
        {
            return false;
        }
        final int src = Ipv4.src(m, at);
        final int dst = Ipv4.dst(m, at);
        if (src == 0 || (src >>> 28) == 0xe || dst == -1 || (dst >>> 28) == 0xe)
        {
            return false;
        }
        if (Ipv4.protocol(m, at) == Ipv4.PROTO_ICMP)
        {
            final int hl = Ipv4.headerLength(m, at);
            if (length < hl + 1)
            {
                return false;
            }
            final int type = Bytes.u8(m, at + hl);
            return type == Icmp4.ECHO_REQUEST || type == Icmp4.ECHO_REPLY;
        }
        return true;
    }

    private int sourceFor(final int rxIf)
    {
        final Interface in = rxIf >= 0 ? dp.interfaces().get(rxIf) : null; // -1: a packet the gateway made
        if (in != null && in.prefixLength() > 0)
        {
            return in.address();
        }
        for (int i = 0; i < dp.interfaces().size(); i++)
        {
            final Interface any = dp.interfaces().get(i);
            if (any.prefixLength() > 0)
            {
                return any.address();
            }
        }
        return 0;
    }

    public long sent()
    {
        return sent;
    }

    public long rateLimited()
    {
        return rateLimited;
    }

    public long suppressed()
    {
        return suppressed;
    }

    public long noBuffer()
    {
        return noBuffer;
    }
}
