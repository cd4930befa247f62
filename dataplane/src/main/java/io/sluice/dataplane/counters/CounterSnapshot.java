package io.sluice.dataplane.counters;

/**
 * One counter as a reader saw it: what it is (type, key, item, label) and its value at that
 * moment. Built on the control path for display and for counter snapshots sent to the control
 * process; never on the data path.
 *
 * @param id             the Agrona counter id, its slot in the file
 * @param type           the Sluice type, {@link CounterType#UNKNOWN} for a type id this build lacks
 * @param typeId         the raw type id of the record
 * @param key            the object counted: port index, stage id, tunnel id, SPI
 * @param item           what of it is counted: a {@link PortCounterSet.Item} code, a drop reason code
 * @param label          the human name, e.g. {@code ip4-input drop: ttl-expired (port veth1)}
 * @param value          the value, less the baseline of the last clear if one was applied
 * @param registrationId unique per allocation within one writer, so that a baseline taken for a
 *                       freed counter is never applied to the counter that reuses its slot
 */
public record CounterSnapshot(int id, CounterType type, int typeId, long key, int item, String label, long value,
    long registrationId)
{
}
