package io.sluice.dataplane.counters;

/**
 * What a counter counts, stored as the Agrona type id of its record so that a reader
 * ({@code sluice ctl show counters}) can group counters without parsing labels. The ids are
 * part of the file format: never renumber one, only add.
 * <p>
 * Every Sluice counter carries the same key layout (see {@link CountersLayout#KEY_KEY_OFFSET}):
 * a {@code long key} naming the object (port index, stage id, tunnel id, SPI) and an
 * {@code int item} naming what of it is counted (a {@link PortCounterSet.Item}, a drop reason).
 * Per-worker copies of one counter share type, key and item, so a reader can sum them.
 */
public enum CounterType
{
    /** A port's rx/tx packets and bytes, drops and errors; key = port index, item = {@link PortCounterSet.Item}. */
    PORT(100),
    /** Packets through a graph node; key = stage id. */
    STAGE(101),
    /** Packets dropped by a stage for one reason; key = stage id, item = reason code. */
    DROP(102),
    /** A tunnel's packets and bytes; key = tunnel id. */
    TUNNEL(103),
    /** An IPsec SA's packets, bytes and failures; key = SPI (and direction in the item). */
    SA(104),
    /** Capture taps: frames captured and frames not captured because the ring was full; key = tap id. */
    CAPTURE(105),
    /** A record of a type this build does not know (a newer writer, or a non-Sluice counter). */
    UNKNOWN(-1);

    private final int typeId;

    CounterType(final int typeId)
    {
        this.typeId = typeId;
    }

    /** The Agrona type id written into the counter's metadata record. */
    public int typeId()
    {
        return typeId;
    }

    /** The type of a record's type id, {@link #UNKNOWN} if this build has no name for it. */
    public static CounterType of(final int typeId)
    {
        for (final CounterType type : values())
        {
            if (type.typeId == typeId && type != UNKNOWN)
            {
                return type;
            }
        }
        return UNKNOWN;
    }
}
