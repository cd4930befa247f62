package io.sluice.tools.pktgen;

import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.port.Port;

import java.lang.foreign.MemorySegment;

/**
 * Sluice's own traffic generator and sink on a {@link Port} (AF_XDP in practice): UDP/IPv4 in
 * Ethernet, {@code flows} flows (source port {@code 10000 + flow}), each frame carrying a magic
 * number, its flow and a per-flow sequence number, so the sink sees loss, reordering and
 * duplicates per flow. A frame costs its header stores and one 20-byte header checksum, no
 * payload copy, so one core is not the limit of what it measures.
 */
public final class Pktgen
{
    /** Frame layout: Ethernet 14, IPv4 20, UDP 8, then magic 8, flow 4, sequence 8. */
    static final int PAYLOAD = 14 + 20 + 8;
    static final long MAGIC = 0x5a4c55494345474eL; // "ZLUICEGN"
    static final int MIN_FRAME = PAYLOAD + 20;
    private static final int[] IMIX = {64, 64, 64, 64, 64, 64, 64, 570, 570, 570, 570, 1518};

    /** What to send. {@code size} 0 means IMIX (7:4:1 of 64/570/1518-byte frames). */
    public record Spec(long dstMac, long srcMac, int srcIp, int dstIp, int dstPort, int size, int flows)
    {
        public Spec
        {
            if (flows < 1 || flows > 65535 - 10000)
            {
                throw new IllegalArgumentException("flows: 1.." + (65535 - 10000) + ", not " + flows);
            }
            if (size != 0 && (size < MIN_FRAME || size > 9000))
            {
                throw new IllegalArgumentException("frame size " + size + ": " + MIN_FRAME + "..9000, or imix");
            }
        }

        int frameSize(final long n)
        {
            return size != 0 ? size : IMIX[(int)(n % IMIX.length)];
        }
    }

    /** Sending side: fills bursts of frames from the pool. Not thread-safe; one core. */
    public static final class Generator
    {
        private final Spec spec;
        private final FramePool pool;
        private final long[] nextSequence;
        private long sent;
        private long sentBytes;
        private long total;

        public Generator(final Spec spec, final FramePool pool)
        {
            this.spec = spec;
            this.pool = pool;
            this.nextSequence = new long[spec.flows()];
        }

        /** Adds up to {@code max} frames to the burst (fewer when the pool is empty); returns how many. */
        public int fill(final Burst burst, final int max)
        {
            final MemorySegment m = pool.memory();
            int n = 0;
            while (n < max && burst.space() > 0)
            {
                final long frame = pool.allocate();
                if (frame < 0)
                {
                    break;
                }
                final long at = frame + pool.dataOffset();
                final int flow = (int)(total % spec.flows());
                final int length = spec.frameSize(total);
                write(m, at, length, flow, nextSequence[flow]++, (int)total);
                burst.add(at, length);
                total++;
                sent++;
                sentBytes += length;
                n++;
            }
            return n;
        }

        private void write(final MemorySegment m, final long at, final int length, final int flow, final long seq,
            final int id)
        {
            Bytes.u16(m, at, (int)(spec.dstMac() >>> 32));
            Bytes.u32(m, at + 2, (int)spec.dstMac());
            Bytes.u16(m, at + 6, (int)(spec.srcMac() >>> 32));
            Bytes.u32(m, at + 8, (int)spec.srcMac());
            Bytes.u16(m, at + 12, 0x0800);
            final long ip = at + 14;
            Ipv4.write(m, ip, 0, length - 14, id & 0xffff, 0, 64, Ipv4.PROTO_UDP, spec.srcIp(), spec.dstIp());
            final long udp = ip + 20;
            Bytes.u16(m, udp, 10000 + flow);
            Bytes.u16(m, udp + 2, spec.dstPort());
            Bytes.u16(m, udp + 4, length - 34);
            Bytes.u16(m, udp + 6, 0); // no UDP checksum (allowed on IPv4): the sink checks the sequence, not bytes
            final long payload = udp + 8;
            m.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, payload, MAGIC);
            Bytes.u32(m, payload + 8, flow);
            m.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, payload + 12, seq);
        }

        public long sent()
        {
            return sent;
        }

        public long sentBytes()
        {
            return sentBytes;
        }

        /** Frames sent per flow so far. */
        public long sentOn(final int flow)
        {
            return nextSequence[flow];
        }
    }

    /** Receiving side: checks and counts, then returns frames to the pool. */
    public static final class Sink
    {
        private final int flows;
        private final long[] expected;
        private long received;
        private long receivedBytes;
        private long reordered;
        private long foreign;
        private long gaps;

        public Sink(final int flows)
        {
            this.flows = flows;
            this.expected = new long[flows];
        }

        /** Counts every frame of the burst and releases it; the burst is cleared. */
        public void take(final Burst burst, final FramePool pool)
        {
            final MemorySegment m = burst.memory();
            for (int i = 0; i < burst.count(); i++)
            {
                count(m, burst.address(i), burst.length(i));
                pool.release(burst.address(i));
            }
            burst.clear();
        }

        void count(final MemorySegment m, final long at, final int length)
        {
            if (length < MIN_FRAME || Bytes.u16(m, at + 12) != 0x0800 ||
                m.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, at + PAYLOAD) != MAGIC)
            {
                foreign++;
                return;
            }
            final int flow = Bytes.u32(m, at + PAYLOAD + 8);
            if (flow < 0 || flow >= flows)
            {
                foreign++;
                return;
            }
            final long seq = m.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, at + PAYLOAD + 12);
            received++;
            receivedBytes += length;
            if (seq == expected[flow])
            {
                expected[flow]++;
            }
            else if (seq > expected[flow])
            {
                gaps += seq - expected[flow];
                expected[flow] = seq + 1;
            }
            else
            {
                // older than expected: it filled a gap (reordered) or it is a copy; a gap count cannot tell
                // which without a bitmap, so both are told apart by the totals at the end
                reordered++;
            }
        }

        public long received()
        {
            return received;
        }

        public long receivedBytes()
        {
            return receivedBytes;
        }

        /** Frames that arrived after a later one of their flow (reordered, or copies of one already seen). */
        public long reordered()
        {
            return reordered;
        }

        /** Frames of other traffic (ARP, IPv6 ...): not ours, not counted. */
        public long foreign()
        {
            return foreign;
        }

        /** Sequence numbers skipped at the time (a later reorder may fill some). */
        public long gaps()
        {
            return gaps;
        }

        /** The highest sequence seen + 1, per flow: what the generator sent that got through, at most. */
        public long expectedNext(final int flow)
        {
            return expected[flow];
        }
    }

    private Pktgen()
    {
    }
}
