package io.sluice.dataplane.ip4;

import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.packet.Tcp;

import java.lang.foreign.MemorySegment;

/**
 * {@code ip tcp adjust-mss}: lowers the MSS option of TCP SYNs crossing an interface that has it
 * configured, in both directions, as IOS does. Used by every node that moves packets into or out
 * of an interface with a smaller MTU (tunnels, sessions, rewrite).
 */
public final class MssClamp
{
    private MssClamp()
    {
    }

    /** Clamps the SYN at {@code at} (an IPv4 header) if the interface asks for it; other packets pass untouched. */
    public static void apply(final MemorySegment m, final long at, final int length, final Interface ifc)
    {
        final int mss = ifc.mssClamp();
        if (mss == 0 || length < Ipv4.MIN_LENGTH || Ipv4.protocol(m, at) != Ipv4.PROTO_TCP ||
            (Ipv4.flagsFragment(m, at) & Ipv4.OFFSET_MASK) != 0)
        {
            return;
        }
        final int hl = Ipv4.headerLength(m, at);
        if (hl < Ipv4.MIN_LENGTH || hl > length)
        {
            return;
        }
        Tcp.clampMss(m, at + hl, Math.min(length, Ipv4.totalLength(m, at)) - hl, mss);
    }
}
