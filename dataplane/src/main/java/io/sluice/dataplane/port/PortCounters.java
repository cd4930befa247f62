package io.sluice.dataplane.port;

/**
 * Per-port packet and byte counts. Written by the owning worker only; other threads read them
 * racily, which is fine for display (a later issue moves them into Agrona's counters file).
 */
public final class PortCounters
{
    public long rxPackets;
    public long rxBytes;
    public long txPackets;
    public long txBytes;
    /** Frames that could not be queued for transmit (ring or socket full). */
    public long txDropped;
    /** Frames lost on receive because no free frame was available. */
    public long rxNoBuffer;
    /** Transmit kicks that failed with an errno other than EAGAIN/EBUSY/ENOBUFS. */
    public long txErrors;
    /** Receive calls that failed with an errno other than EAGAIN. */
    public long rxErrors;

    @Override
    public String toString()
    {
        return "rx " + rxPackets + " pkts " + rxBytes + " B, tx " + txPackets + " pkts " + txBytes + " B, tx-dropped " +
            txDropped + ", rx-no-buffer " + rxNoBuffer + ", tx-errors " + txErrors + ", rx-errors " + rxErrors;
    }
}
