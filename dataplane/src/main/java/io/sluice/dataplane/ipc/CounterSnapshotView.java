package io.sluice.dataplane.ipc;

import io.sluice.dataplane.ipc.codecs.CounterSnapshotDecoder;

/**
 * The counters of a snapshot event, read in order: {@code while (counters.next()) { ... }}. A
 * view of the receive buffer, valid during {@link EventHandler#onCounterSnapshot} only.
 */
public final class CounterSnapshotView
{
    private final StreamAdapter.NameView label = new StreamAdapter.NameView();
    private CounterSnapshotDecoder.CountersDecoder counters;
    private int counterId;
    private long value;

    void wrap(final CounterSnapshotDecoder.CountersDecoder counters)
    {
        this.counters = counters;
    }

    public int count()
    {
        return counters.count();
    }

    /** Moves to the next counter; false when there is none. */
    public boolean next()
    {
        if (!counters.hasNext())
        {
            return false;
        }
        counters.next();
        counterId = counters.counterId();
        value = counters.value();
        counters.wrapLabel(label.bytes);
        return true;
    }

    public int counterId()
    {
        return counterId;
    }

    public long value()
    {
        return value;
    }

    public CharSequence label()
    {
        return label.view();
    }
}
