package io.sluice.dataplane.io.packet;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.port.Port;
import io.sluice.dataplane.port.PortCounters;
import io.sluice.ffi.libc.Errno;
import io.sluice.ffi.packet.PacketRxRing;
import io.sluice.ffi.packet.PacketSocket;
import io.sluice.ffi.packet.PacketTxRing;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A port on an AF_PACKET socket with TPACKET_V3 rings: Ethernet frames from and to any interface,
 * whatever its driver.
 * <p>
 * Each frame is copied once each way. The rings are kernel memory mapped into us, not our frame
 * memory: a received frame sits in a block the kernel wants back, and a transmit slot belongs to
 * the ring, so a frame has to move between the ring and a {@link FramePool} frame for the worker
 * to own it and for any other port of the pool to send it. (AF_XDP avoids this by letting the
 * kernel write into the pool itself.) Any pool will do.
 * <p>
 * Receive walks the blocks the kernel has handed over, packet by packet, copying each frame to the
 * pool's data offset; a block goes back to the kernel as soon as its last packet is copied, and a
 * burst that fills up mid-block resumes there on the next call. A block is handed over when full
 * or when its retire timeout expires, so at low rates a frame waits up to that timeout
 * ({@link PacketSocket.Config#rxRetireTimeoutMs()}) before the port sees it. VLAN tags the kernel stripped into
 * the packet header (it always does on receive) are put back into the frame, so what is received
 * is what was on the wire. Transmit copies each frame into the next ring slot, releases the pool
 * frame at once, and kicks the kernel once per burst.
 * <p>
 * Counted, never thrown: a frame that arrives while the pool is empty ({@link PortCounters#rxNoBuffer}),
 * one the ring cut short or that does not fit a frame ({@link #rxTooLong()}), a frame for which no
 * transmit slot is free or that does not fit one ({@link PortCounters#txDropped}), a kick that fails
 * with an errno other than EAGAIN/ENOBUFS/EBUSY ({@link PortCounters#txErrors}). Frames the ring
 * itself dropped for lack of a free block are in {@link #kernelStatistics()}.
 * <p>
 * Checksums are carried as they are: a frame sent by a local stack that left its checksum to
 * offload arrives unfinished (TP_STATUS_CSUMNOTREADY), as with AF_XDP; turn transmit offload off
 * on such senders.
 * <p>
 * A port belongs to one worker thread.
 */
public final class PacketPort implements Port
{
    private static final ValueLayout.OfShort NET_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int VLAN_TAG = 4;
    private static final int MAC_ADDRESSES = 12;
    private static final int ETH_P_8021Q = 0x8100;

    private final String name;
    private final PacketSocket socket;
    private final PacketRxRing rx;
    private final PacketTxRing tx;
    private final MemorySegment ring;
    private final FramePool pool;
    private final MemorySegment frames;
    private final long poolSize;
    private final int dataOffset;
    private final int room;
    private final int rxBlocks;
    private final int txSlots;
    private final int txCapacity;
    private final PortCounters counters = new PortCounters();
    private long rxTooLong;

    /** The block being read; valid while {@link #rxLeft} > 0. */
    private int rxBlock;
    /** Packets of {@link #rxBlock} not yet read; 0 when no block is open. */
    private int rxLeft;
    /** Header offset of the next packet to read in {@link #rxBlock}. */
    private long rxPacket;
    /** The next transmit slot to fill; kept in step with the kernel's own head. */
    private int txHead;
    private int txLast = -1;
    private boolean txPending;
    private boolean closed;

    private PacketPort(final PacketSocket socket, final FramePool pool)
    {
        this.name = socket.ifname();
        this.socket = socket;
        this.rx = socket.rx();
        this.tx = socket.tx();
        this.ring = socket.mapping();
        this.pool = pool;
        this.frames = pool.memory();
        this.poolSize = frames.byteSize();
        this.dataOffset = pool.dataOffset();
        this.room = pool.frameSize() - pool.dataOffset();
        this.rxBlocks = rx.blockCount();
        this.txSlots = tx.size();
        this.txCapacity = tx.capacity();
    }

    /** Opens a port on {@code ifname} in the calling thread's network namespace, with default rings. */
    public static PacketPort open(final String ifname, final FramePool pool)
    {
        return open(ifname, pool, PacketSocket.Config.defaults());
    }

    /** Opens a port on {@code ifname} in the calling thread's network namespace. */
    public static PacketPort open(final String ifname, final FramePool pool, final PacketSocket.Config config)
    {
        final PacketSocket socket = PacketSocket.open(ifname, config);
        try
        {
            return new PacketPort(socket, pool);
        }
        catch (final RuntimeException e)
        {
            socket.close();
            throw e;
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public LinkType linkType()
    {
        return LinkType.ETHERNET;
    }

    public PacketSocket socket()
    {
        return socket;
    }

    @Override
    public int receive(final Burst burst)
    {
        if (txPending)
        {
            kick();
        }
        int received = 0;
        long bytes = 0;
        while (burst.space() > 0)
        {
            if (rxLeft == 0)
            {
                if (!rx.isReady(rxBlock))
                {
                    break;
                }
                rxLeft = rx.packetCount(rxBlock);
                rxPacket = rx.firstPacket(rxBlock);
                if (rxLeft == 0)
                {
                    returnBlock();
                    continue;
                }
            }
            final long packet = rxPacket;
            final int length = copyIn(packet, burst);
            if (length > 0)
            {
                received++;
                bytes += length;
            }
            if (--rxLeft == 0)
            {
                returnBlock();
            }
            else
            {
                rxPacket = rx.nextPacket(packet);
            }
        }
        counters.rxPackets += received;
        counters.rxBytes += bytes;
        return received;
    }

    private void returnBlock()
    {
        rx.release(rxBlock);
        rxBlock = rxBlock + 1 == rxBlocks ? 0 : rxBlock + 1;
    }

    /** Copies one received packet into a new frame and appends it; returns its length, or 0 if dropped. */
    private int copyIn(final long packet, final Burst burst)
    {
        if (rx.packetType(packet) == PacketRxRing.PACKET_OUTGOING)
        {
            return 0; // our own transmissions, on kernels without PACKET_IGNORE_OUTGOING
        }
        final int captured = rx.capturedLength(packet);
        final int status = rx.status(packet);
        final boolean tagged = (status & PacketRxRing.TP_STATUS_VLAN_VALID) != 0 && captured >= MAC_ADDRESSES;
        final int length = tagged ? captured + VLAN_TAG : captured;
        if (captured < rx.wireLength(packet) || length > room)
        {
            rxTooLong++;
            return 0;
        }
        final long frame = pool.allocate();
        if (frame < 0)
        {
            counters.rxNoBuffer++;
            return 0;
        }
        final long data = frame + dataOffset;
        final long source = rx.frameOffset(packet);
        if (tagged)
        {
            final int tpid = (status & PacketRxRing.TP_STATUS_VLAN_TPID_VALID) != 0 ? rx.vlanTpid(packet) : ETH_P_8021Q;
            MemorySegment.copy(ring, source, frames, data, MAC_ADDRESSES);
            frames.set(NET_SHORT, data + MAC_ADDRESSES, (short)tpid);
            frames.set(NET_SHORT, data + MAC_ADDRESSES + 2, (short)rx.vlanTci(packet));
            MemorySegment.copy(ring, source + MAC_ADDRESSES, frames, data + MAC_ADDRESSES + VLAN_TAG,
                captured - MAC_ADDRESSES);
        }
        else
        {
            MemorySegment.copy(ring, source, frames, data, captured);
        }
        burst.add(data, length);
        return length;
    }

    @Override
    public int transmit(final Burst burst)
    {
        final int count = burst.count();
        int queued = 0;
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            final long address = burst.address(i);
            final int length = burst.length(i);
            if (address < 0 || address >= poolSize)
            {
                counters.txDropped++; // not a frame of this pool (a bug upstream): nothing to copy or release
                continue;
            }
            if (length <= 0 || length > txCapacity || address + length > poolSize || !tx.isAvailable(txHead))
            {
                pool.release(address);
                counters.txDropped++;
                continue;
            }
            MemorySegment.copy(frames, address, ring, tx.dataOffset(txHead), length);
            tx.submit(txHead, length);
            pool.release(address);
            txLast = txHead;
            txHead = txHead + 1 == txSlots ? 0 : txHead + 1;
            queued++;
            bytes += length;
        }
        burst.clear();
        if (queued > 0)
        {
            counters.txPackets += queued;
            counters.txBytes += bytes;
            kick();
        }
        return queued;
    }

    @Override
    public int poll()
    {
        if (txPending)
        {
            kick();
            return 1;
        }
        return 0;
    }

    private void kick()
    {
        final int rc = socket.kickTx();
        if (rc < 0 && rc != -Errno.EAGAIN && rc != -Errno.ENOBUFS && rc != -Errno.EBUSY)
        {
            // e.g. ENETDOWN: the slots stay requested and go with the next burst's kick; no retry loop
            counters.txErrors++;
            txPending = false;
            return;
        }
        // the kernel also stops early without an error when the send buffer is full: what decides
        // whether to kick again is whether the last slot we filled is still waiting
        txPending = txLast >= 0 && tx.status(txLast) == PacketTxRing.TP_STATUS_SEND_REQUEST;
    }

    @Override
    public PortCounters counters()
    {
        return counters;
    }

    /** Frames dropped on receive because the ring cut them short or they do not fit in a frame. */
    public long rxTooLong()
    {
        return rxTooLong;
    }

    /** The kernel's own receive counters since the previous call: packets, ring-full drops, freezes. */
    public PacketSocket.Statistics kernelStatistics()
    {
        return socket.statistics();
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            socket.close();
        }
    }

    @Override
    public String toString()
    {
        return "AF_PACKET port " + name + ": " + counters + ", rx-too-long " + rxTooLong;
    }
}
