package io.sluice.dataplane.ip4;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.packet.Ipv4;

import java.lang.foreign.MemorySegment;

/**
 * ip4-input: the checks of RFC 1812 5.2.2 on every IPv4 packet, from a port or out of a tunnel:
 * length, version, header length, total length, header checksum. Link padding beyond the total
 * length is trimmed. Then to ip4-lookup, which tells local from forwarded.
 */
public final class Ip4Input extends Node
{
    private static final int TOO_SHORT = 0;
    private static final int BAD_VERSION = 1;
    private static final int BAD_HEADER_LENGTH = 2;
    private static final int BAD_TOTAL_LENGTH = 3;
    private static final int BAD_CHECKSUM = 4;
    private static final int MARTIAN_SOURCE = 5;
    private static final int MARTIAN_DESTINATION = 6;

    private final Dataplane dp;

    public Ip4Input(final Dataplane dp)
    {
        super(dp.graph(), "ip4-input", "too-short", "bad-version", "bad-header-length", "bad-total-length",
            "bad-checksum", "martian-source", "martian-destination");
        this.dp = dp;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            if (len < Ipv4.MIN_LENGTH)
            {
                drop(TOO_SHORT, at);
                continue;
            }
            if (Ipv4.version(m, at) != 4)
            {
                drop(BAD_VERSION, at);
                continue;
            }
            final int hl = Ipv4.headerLength(m, at);
            if (hl < Ipv4.MIN_LENGTH || hl > len)
            {
                drop(BAD_HEADER_LENGTH, at);
                continue;
            }
            final int total = Ipv4.totalLength(m, at);
            if (total < hl || total > len)
            {
                drop(BAD_TOTAL_LENGTH, at);
                continue;
            }
            if (!Ipv4.checksumValid(m, at, hl))
            {
                drop(BAD_CHECKSUM, at);
                continue;
            }
            final int src = Ipv4.src(m, at);
            if ((src >>> 24) == 127 || (src >>> 28) == 0xe || src == -1)
            {
                drop(MARTIAN_SOURCE, at);
                continue;
            }
            final int dstNet = Ipv4.dst(m, at) >>> 24;
            if (dstNet == 127 || dstNet == 0)
            {
                drop(MARTIAN_DESTINATION, at); // RFC 1812 5.3.7: never forwarded, and never ours here
                continue;
            }
            graph.enqueue(dp.ip4Lookup(), at, total);
        }
    }
}
