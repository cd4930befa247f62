package io.sluice.dataplane.counters;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * The counters of one port (or one queue of it, per worker) in the counters file: the same
 * quantities as {@code io.sluice.dataplane.port.PortCounters}, but visible from outside the
 * process. The owning worker increments them; nobody else writes them.
 */
public final class PortCounterSet
{
    /** What of a port a {@link CounterType#PORT} counter counts; the code is its key item, part of the file format. */
    public enum Item
    {
        RX_PACKETS(1, "rx-packets"),
        RX_BYTES(2, "rx-bytes"),
        TX_PACKETS(3, "tx-packets"),
        TX_BYTES(4, "tx-bytes"),
        /** Frames that could not be queued for transmit (ring or socket full). */
        TX_DROPPED(5, "tx-dropped"),
        /** Frames lost on receive because no free frame was available. */
        RX_NO_BUFFER(6, "rx-no-buffer"),
        TX_ERRORS(7, "tx-errors"),
        RX_ERRORS(8, "rx-errors");

        private final int code;
        private final String label;

        Item(final int code, final String label)
        {
            this.code = code;
            this.label = label;
        }

        public int code()
        {
            return code;
        }

        public String label()
        {
            return label;
        }

        /** The item of a code, null for a code this build does not know. */
        public static Item of(final int code)
        {
            for (final Item item : values())
            {
                if (item.code == code)
                {
                    return item;
                }
            }
            return null;
        }
    }

    public final AtomicCounter rxPackets;
    public final AtomicCounter rxBytes;
    public final AtomicCounter txPackets;
    public final AtomicCounter txBytes;
    public final AtomicCounter txDropped;
    public final AtomicCounter rxNoBuffer;
    public final AtomicCounter txErrors;
    public final AtomicCounter rxErrors;

    private PortCounterSet(final AtomicCounter[] counters)
    {
        this.rxPackets = counters[0];
        this.rxBytes = counters[1];
        this.txPackets = counters[2];
        this.txBytes = counters[3];
        this.txDropped = counters[4];
        this.rxNoBuffer = counters[5];
        this.txErrors = counters[6];
        this.rxErrors = counters[7];
    }

    /**
     * Allocates the eight counters of a port, labelled {@code port <name>: rx-packets} and so on.
     *
     * @param portIndex the port's index, the key a reader groups by
     * @param portName  as a person knows it, e.g. {@code veth1} or {@code veth1 queue 0}
     */
    public static PortCounterSet allocate(final CountersFile file, final int portIndex, final String portName)
    {
        final Item[] items = Item.values();
        final AtomicCounter[] counters = new AtomicCounter[items.length];
        try
        {
            for (int i = 0; i < items.length; i++)
            {
                counters[i] = file.allocate(CounterType.PORT, portIndex, items[i].code(),
                    "port " + portName + ": " + items[i].label());
            }
        }
        catch (final RuntimeException e)
        {
            for (final AtomicCounter counter : counters)
            {
                if (counter != null)
                {
                    file.free(counter);
                }
            }
            throw e;
        }
        return new PortCounterSet(counters);
    }

    /** Returns the counters to the file when the port is removed. */
    public void free(final CountersFile file)
    {
        for (final AtomicCounter counter : new AtomicCounter[]{rxPackets, rxBytes, txPackets, txBytes, txDropped,
            rxNoBuffer, txErrors, rxErrors})
        {
            file.free(counter);
        }
    }
}
