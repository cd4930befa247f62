package io.sluice.dataplane.port;

import io.sluice.dataplane.frame.Burst;

/**
 * A packet port: burst receive and burst transmit of frame descriptors over the worker's frame
 * pool. A frame received on one port can be changed in place and transmitted on any port of the
 * same pool, without a copy (AF_XDP ports sharing a UMEM; TUN and AF_PACKET copy at the kernel
 * boundary, as they must).
 * <p>
 * Neither call blocks, allocates or throws on the data path: failures are counted.
 * A port belongs to one worker thread.
 */
public interface Port extends AutoCloseable
{
    /** What a frame starts with. */
    enum LinkType
    {
        /** An Ethernet frame (AF_XDP, AF_PACKET). */
        ETHERNET,
        /** A bare IP packet (TUN with IFF_NO_PI). */
        IP
    }

    String name();

    LinkType linkType();

    /**
     * Appends up to {@code burst.space()} received frames to the burst; the frames now belong to
     * the caller, who transmits them or releases them to the pool.
     *
     * @return how many were appended
     */
    int receive(Burst burst);

    /**
     * Queues every frame of the burst for transmission and clears the burst. Frames that cannot
     * be queued (ring full) are released to the pool and counted in {@link PortCounters#txDropped}.
     *
     * @return how many were queued
     */
    int transmit(Burst burst);

    /** Housekeeping without receiving: reaps transmit completions, refills receive buffers. */
    int poll();

    PortCounters counters();

    @Override
    void close();
}
