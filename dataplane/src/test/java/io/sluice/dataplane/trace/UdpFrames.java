package io.sluice.dataplane.trace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Builds Ethernet/IPv4/UDP frames (or bare IPv4/UDP packets) by hand, checksums included, for
 * the capture tests. Written apart from the data path's codecs on purpose: tshark checking what
 * these produce is an independent check of the capture, not of shared code.
 */
final class UdpFrames
{
    static final int ETHERNET_LENGTH = 14;
    static final int IPV4_LENGTH = 20;
    static final int UDP_LENGTH = 8;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private UdpFrames()
    {
    }

    /**
     * Writes an Ethernet II frame holding IPv4/UDP with the given payload length at {@code at}.
     *
     * @return the frame length
     */
    static int ethernet(final MemorySegment m, final long at, final byte[] srcMac, final byte[] dstMac,
        final byte[] srcIp, final byte[] dstIp, final int srcPort, final int dstPort, final int payloadLength)
    {
        MemorySegment.copy(dstMac, 0, m, ValueLayout.JAVA_BYTE, at, 6);
        MemorySegment.copy(srcMac, 0, m, ValueLayout.JAVA_BYTE, at + 6, 6);
        m.set(U16, at + 12, (short)0x0800);
        return ETHERNET_LENGTH + ipv4(m, at + ETHERNET_LENGTH, srcIp, dstIp, srcPort, dstPort, payloadLength);
    }

    /**
     * Writes an IPv4 packet holding UDP with a payload of bytes 0, 1, 2... at {@code at}.
     *
     * @return the packet length
     */
    static int ipv4(final MemorySegment m, final long at, final byte[] srcIp, final byte[] dstIp, final int srcPort,
        final int dstPort, final int payloadLength)
    {
        final int udpLength = UDP_LENGTH + payloadLength;
        final int totalLength = IPV4_LENGTH + udpLength;
        m.set(ValueLayout.JAVA_BYTE, at, (byte)0x45);
        m.set(ValueLayout.JAVA_BYTE, at + 1, (byte)0);
        m.set(U16, at + 2, (short)totalLength);
        m.set(U16, at + 4, (short)0x1234);
        m.set(U16, at + 6, (short)0x4000); // DF
        m.set(ValueLayout.JAVA_BYTE, at + 8, (byte)64);
        m.set(ValueLayout.JAVA_BYTE, at + 9, (byte)17);
        m.set(U16, at + 10, (short)0);
        MemorySegment.copy(srcIp, 0, m, ValueLayout.JAVA_BYTE, at + 12, 4);
        MemorySegment.copy(dstIp, 0, m, ValueLayout.JAVA_BYTE, at + 16, 4);
        m.set(U16, at + 10, (short)fold(sum(m, at, IPV4_LENGTH)));

        final long udp = at + IPV4_LENGTH;
        m.set(U16, udp, (short)srcPort);
        m.set(U16, udp + 2, (short)dstPort);
        m.set(U16, udp + 4, (short)udpLength);
        m.set(U16, udp + 6, (short)0);
        for (int i = 0; i < payloadLength; i++)
        {
            m.set(ValueLayout.JAVA_BYTE, udp + UDP_LENGTH + i, (byte)i);
        }
        long pseudo = sum(m, at + 12, 8) + 17 + udpLength;
        pseudo += sum(m, udp, udpLength);
        int checksum = fold(pseudo);
        if (checksum == 0)
        {
            checksum = 0xffff; // RFC 768: a computed zero is sent as all ones
        }
        m.set(U16, udp + 6, (short)checksum);
        return totalLength;
    }

    static byte[] bytes(final int... values)
    {
        final byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            b[i] = (byte)values[i];
        }
        return b;
    }

    private static long sum(final MemorySegment m, final long at, final int length)
    {
        long sum = 0;
        int i = 0;
        for (; i + 1 < length; i += 2)
        {
            sum += Short.toUnsignedInt(m.get(U16, at + i));
        }
        if (i < length)
        {
            sum += (m.get(ValueLayout.JAVA_BYTE, at + i) & 0xff) << 8;
        }
        return sum;
    }

    private static int fold(final long sum)
    {
        long s = sum;
        while ((s >>> 16) != 0)
        {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int)(~s & 0xffff);
    }
}
