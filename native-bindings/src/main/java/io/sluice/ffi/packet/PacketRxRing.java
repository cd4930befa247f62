package io.sluice.ffi.packet;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The TPACKET_V3 receive ring of an AF_PACKET socket: {@code blockCount} blocks of
 * {@code blockSize} bytes, each a {@code struct tpacket_block_desc} followed by a run of
 * variable-size packets ({@code struct tpacket3_hdr}, then the frame at {@code tp_mac}).
 * <p>
 * The kernel fills one block at a time in ring order and hands it over whole by setting
 * {@code block_status} to {@link #TP_STATUS_USER}, when the block is full or its retire timer
 * expires; user space hands it back by setting {@link #TP_STATUS_KERNEL}. That status word is the
 * only synchronisation: it is read with acquire (the packets written before the kernel's
 * {@code smp_wmb} are then visible) and written with release (our reads of the block are done
 * before the kernel may overwrite it).
 * <p>
 * Offsets given to and returned by the packet accessors are offsets into {@link #memory()}.
 * Stateless apart from the mapping; the walk (which block is next) belongs to the caller.
 */
public final class PacketRxRing
{
    /** {@code block_status}: the kernel owns the block. */
    public static final int TP_STATUS_KERNEL = 0;
    /** {@code block_status} bit: user space owns the block. */
    public static final int TP_STATUS_USER = 1;
    /** Packet status bit: the kernel cut the packet to fit ({@code tp_snaplen < tp_len}). */
    public static final int TP_STATUS_COPY = 1 << 1;
    /** Packet status bit: the ring has dropped packets since the last statistics read. */
    public static final int TP_STATUS_LOSING = 1 << 2;
    /** Packet status bit: the transport checksum is not filled in yet (locally sent, offloaded). */
    public static final int TP_STATUS_CSUMNOTREADY = 1 << 3;
    /** Packet status bit: a VLAN tag was stripped into {@code tp_vlan_tci}. */
    public static final int TP_STATUS_VLAN_VALID = 1 << 4;
    /** Packet status bit: {@code tp_vlan_tpid} holds the stripped tag's TPID. */
    public static final int TP_STATUS_VLAN_TPID_VALID = 1 << 6;

    /** {@code sll_pkttype} of a packet this host sent. */
    public static final int PACKET_OUTGOING = 4;

    // struct tpacket_block_desc { u32 version; u32 offset_to_priv; struct tpacket_hdr_v1 hdr; }
    static final long BLOCK_STATUS = 8;
    static final long BLOCK_NUM_PKTS = 12;
    static final long BLOCK_FIRST_PKT = 16;
    // struct tpacket3_hdr
    static final long TP_NEXT_OFFSET = 0;
    static final long TP_SNAPLEN = 12;
    static final long TP_LEN = 16;
    static final long TP_STATUS = 20;
    static final long TP_MAC = 24;
    static final long TP_VLAN_TCI = 32;
    static final long TP_VLAN_TPID = 36;
    /** {@code struct sockaddr_ll} follows the header at TPACKET_ALIGN(sizeof(tpacket3_hdr)) = 48. */
    static final long SLL_PKTTYPE = 48 + 10;

    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment map;
    private final long base;
    private final int blockSize;
    private final int blockCount;

    PacketRxRing(final MemorySegment map, final long base, final int blockSize, final int blockCount)
    {
        this.map = map;
        this.base = base;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
    }

    /** The whole socket mapping (RX and TX rings); all offsets are relative to it. */
    public MemorySegment memory()
    {
        return map;
    }

    public int blockSize()
    {
        return blockSize;
    }

    public int blockCount()
    {
        return blockCount;
    }

    /** Offset of block {@code block} (0..blockCount-1). */
    public long blockOffset(final int block)
    {
        return base + (long)block * blockSize;
    }

    /** Whether the kernel has handed the block over; an acquire load, so its packets are readable after. */
    public boolean isReady(final int block)
    {
        return ((int)INT.getAcquire(map, blockOffset(block) + BLOCK_STATUS) & TP_STATUS_USER) != 0;
    }

    /** Packets in a block the kernel has handed over (may be 0). */
    public int packetCount(final int block)
    {
        return map.get(JAVA_INT, blockOffset(block) + BLOCK_NUM_PKTS);
    }

    /** Offset of the first packet header of a handed-over block. */
    public long firstPacket(final int block)
    {
        return blockOffset(block) + Integer.toUnsignedLong(map.get(JAVA_INT, blockOffset(block) + BLOCK_FIRST_PKT));
    }

    /** Hands a block back to the kernel; a release store, so our reads of it are complete first. */
    public void release(final int block)
    {
        INT.setRelease(map, blockOffset(block) + BLOCK_STATUS, TP_STATUS_KERNEL);
    }

    /** Offset of the packet header after {@code packet} in the same block. */
    public long nextPacket(final long packet)
    {
        return packet + Integer.toUnsignedLong(map.get(JAVA_INT, packet + TP_NEXT_OFFSET));
    }

    /** Bytes of the frame present in the ring. */
    public int capturedLength(final long packet)
    {
        return map.get(JAVA_INT, packet + TP_SNAPLEN);
    }

    /** Bytes of the frame on the wire (more than captured when the kernel cut it). */
    public int wireLength(final long packet)
    {
        return map.get(JAVA_INT, packet + TP_LEN);
    }

    /** The packet's {@code tp_status} bits ({@code TP_STATUS_...}). */
    public int status(final long packet)
    {
        return map.get(JAVA_INT, packet + TP_STATUS);
    }

    /** Offset of the frame's first byte (its Ethernet header). */
    public long frameOffset(final long packet)
    {
        return packet + Short.toUnsignedInt(map.get(JAVA_SHORT, packet + TP_MAC));
    }

    /** The stripped VLAN TCI, valid when {@link #TP_STATUS_VLAN_VALID} is set. */
    public int vlanTci(final long packet)
    {
        return map.get(JAVA_INT, packet + TP_VLAN_TCI) & 0xffff;
    }

    /** The stripped tag's TPID, valid when {@link #TP_STATUS_VLAN_TPID_VALID} is set. */
    public int vlanTpid(final long packet)
    {
        return Short.toUnsignedInt(map.get(JAVA_SHORT, packet + TP_VLAN_TPID));
    }

    /** {@code sll_pkttype}: host, broadcast, multicast, other host, or {@link #PACKET_OUTGOING}. */
    public int packetType(final long packet)
    {
        return Byte.toUnsignedInt(map.get(JAVA_BYTE, packet + SLL_PKTTYPE));
    }
}
