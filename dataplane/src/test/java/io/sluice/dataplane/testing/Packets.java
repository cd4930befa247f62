package io.sluice.dataplane.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Builds packets for tests independently of the dataplane's own header code (plain
 * ByteBuffer arithmetic), so a wrong offset in one is not hidden by the same in the other.
 */
public final class Packets
{
    private Packets()
    {
    }

    public static int ip(final String dotted)
    {
        final String[] p = dotted.split("\\.");
        return (Integer.parseInt(p[0]) << 24) | (Integer.parseInt(p[1]) << 16) | (Integer.parseInt(p[2]) << 8) |
            Integer.parseInt(p[3]);
    }

    public static int checksum(final byte[] b, final int off, final int len)
    {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2)
        {
            sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0)
        {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int)(~sum & 0xffff);
    }

    public static byte[] ethernet(final long dst, final long src, final int type, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        b.putShort((short)(dst >>> 32)).putInt((int)dst);
        b.putShort((short)(src >>> 32)).putInt((int)src);
        b.putShort((short)type).put(payload);
        return b.array();
    }

    /** An IPv4 packet with a correct header checksum. */
    public static byte[] ipv4(
        final int src, final int dst, final int protocol, final int ttl, final int id, final int flagsFragment,
        final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte)0x45).put((byte)0).putShort((short)(20 + payload.length)).putShort((short)id)
            .putShort((short)flagsFragment).put((byte)ttl).put((byte)protocol).putShort((short)0)
            .putInt(src).putInt(dst).put(payload);
        final byte[] a = b.array();
        final int c = checksum(a, 0, 20);
        a[10] = (byte)(c >>> 8);
        a[11] = (byte)c;
        return a;
    }

    public static byte[] udp(final int srcPort, final int dstPort, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short)srcPort).putShort((short)dstPort).putShort((short)(8 + payload.length)).putShort((short)0)
            .put(payload);
        return b.array();
    }

    public static byte[] icmpEcho(final int type, final int id, final int seq, final byte[] data)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + data.length);
        b.put((byte)type).put((byte)0).putShort((short)0).putShort((short)id).putShort((short)seq).put(data);
        final byte[] a = b.array();
        final int c = checksum(a, 0, a.length);
        a[2] = (byte)(c >>> 8);
        a[3] = (byte)c;
        return a;
    }

    /** GRE with optional key (null for none). */
    public static byte[] gre(final int protocol, final Integer key, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(4 + (key != null ? 4 : 0) + payload.length);
        b.putShort((short)(key != null ? 0x2000 : 0)).putShort((short)protocol);
        if (key != null)
        {
            b.putInt(key);
        }
        return b.put(payload).array();
    }

    public static byte[] arp(final int op, final long sha, final int spa, final long tha, final int tpa)
    {
        final ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short)1).putShort((short)0x0800).put((byte)6).put((byte)4).putShort((short)op);
        b.putShort((short)(sha >>> 32)).putInt((int)sha).putInt(spa);
        b.putShort((short)(tha >>> 32)).putInt((int)tha).putInt(tpa);
        return b.array();
    }

    public static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] p : parts)
        {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    public static int u16(final byte[] b, final int at)
    {
        return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }

    public static int u32(final byte[] b, final int at)
    {
        return (u16(b, at) << 16) | u16(b, at + 2);
    }

    public static long mac(final byte[] b, final int at)
    {
        return ((long)u16(b, at) << 32) | (u32(b, at + 2) & 0xffffffffL);
    }

    /**
     * GRE with any flags word (RFC 2784/2890): the checksum field is present and computed over
     * the whole GRE packet when C (0x8000) is set, the key when K (0x2000), the sequence number
     * when S (0x1000). Other bits (R, s, Recur, version) are sent as given.
     */
    public static byte[] greWithFlags(
        final int flags, final int protocol, final int key, final int sequence, final byte[] payload)
    {
        final boolean c = (flags & 0x8000) != 0;
        final boolean k = (flags & 0x2000) != 0;
        final boolean s = (flags & 0x1000) != 0;
        final ByteBuffer b = ByteBuffer.allocate(4 + (c ? 4 : 0) + (k ? 4 : 0) + (s ? 4 : 0) + payload.length);
        b.putShort((short)flags).putShort((short)protocol);
        if (c)
        {
            b.putInt(0);
        }
        if (k)
        {
            b.putInt(key);
        }
        if (s)
        {
            b.putInt(sequence);
        }
        final byte[] a = b.put(payload).array();
        if (c)
        {
            final int sum = checksum(a, 0, a.length);
            a[4] = (byte)(sum >>> 8);
            a[5] = (byte)sum;
        }
        return a;
    }

    /** The TCP/UDP checksum over the IPv4 pseudo-header and a segment: 0 when a segment's own checksum verifies. */
    public static int transportChecksum(final int src, final int dst, final int protocol, final byte[] b, final int off,
        final int len)
    {
        final byte[] pseudo = ByteBuffer.allocate(12 + len).putInt(src).putInt(dst).put((byte)0).put((byte)protocol)
            .putShort((short)len).put(b, off, len).array();
        return checksum(pseudo, 0, pseudo.length);
    }

    /** A TCP SYN with the given options (padded to 4 bytes with end-of-list) and a correct checksum. */
    public static byte[] tcpSyn(
        final int src, final int dst, final int srcPort, final int dstPort, final byte[] options)
    {
        final int optLen = (options.length + 3) & ~3;
        final ByteBuffer b = ByteBuffer.allocate(20 + optLen);
        b.putShort((short)srcPort).putShort((short)dstPort).putInt(0x11223344).putInt(0)
            .put((byte)(((20 + optLen) / 4) << 4)).put((byte)0x02).putShort((short)64240).putShort((short)0)
            .putShort((short)0).put(options);
        final byte[] a = b.array();
        final int c = transportChecksum(src, dst, 6, a, 0, a.length);
        a[16] = (byte)(c >>> 8);
        a[17] = (byte)c;
        return a;
    }

    /**
     * An L2TPv2 data message (RFC 2661 3.1): flags word {@code flags} (version 2 is added), the
     * length field (when L, 0x4000, computed), tunnel and session IDs, Ns/Nr (when S, 0x0800), the
     * offset size and {@code offsetPad} bytes of padding (when O, 0x0200).
     */
    public static byte[] l2tpv2(
        final int flags, final int tunnelId, final int sessionId, final int ns, final int nr, final int offsetPad,
        final byte[] payload)
    {
        final boolean l = (flags & 0x4000) != 0;
        final boolean s = (flags & 0x0800) != 0;
        final boolean o = (flags & 0x0200) != 0;
        final int length = 6 + (l ? 2 : 0) + (s ? 4 : 0) + (o ? 2 + offsetPad : 0) + payload.length;
        final ByteBuffer b = ByteBuffer.allocate(length);
        b.putShort((short)((flags & ~0xf) | 2));
        if (l)
        {
            b.putShort((short)length);
        }
        b.putShort((short)tunnelId).putShort((short)sessionId);
        if (s)
        {
            b.putShort((short)ns).putShort((short)nr);
        }
        if (o)
        {
            b.putShort((short)offsetPad);
            for (int i = 0; i < offsetPad; i++)
            {
                b.put((byte)0xee);
            }
        }
        return b.put(payload).array();
    }

    /** A PPP frame (RFC 1661) with or without address/control (0xff03) and with a 1- or 2-byte protocol field. */
    public static byte[] ppp(final boolean addressControl, final boolean compressProtocol, final int protocol,
        final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate((addressControl ? 2 : 0) + (compressProtocol ? 1 : 2) + payload.length);
        if (addressControl)
        {
            b.put((byte)0xff).put((byte)0x03);
        }
        if (compressProtocol)
        {
            b.put((byte)protocol);
        }
        else
        {
            b.putShort((short)protocol);
        }
        return b.put(payload).array();
    }

    /** Bytes counting up from {@code seed}, so a misplaced or missing byte shows. */
    public static byte[] pattern(final int length, final int seed)
    {
        final byte[] a = new byte[length];
        for (int i = 0; i < length; i++)
        {
            a[i] = (byte)(seed + i);
        }
        return a;
    }

    public static String hex(final byte[] b)
    {
        return java.util.HexFormat.of().formatHex(b);
    }
}
