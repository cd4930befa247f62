package io.sluice.dataplane.counters;

import org.agrona.concurrent.status.CountersReader;

/**
 * The layout of the counters file, in the manner of Aeron's {@code CncFileDescriptor}: a header
 * of two cache lines, then Agrona's counters metadata buffer, then its values buffer.
 * <pre>
 *   0  int  magic            {@link #MAGIC}, "SLCT" read as a big-endian int
 *   4  int  version          {@link #VERSION}; written last, with release order: 0 means not ready
 *   8  int  metadata length  bytes, maxCounters * {@link CountersReader#METADATA_LENGTH}
 *  12  int  values length    bytes, maxCounters * {@link CountersReader#COUNTER_LENGTH}
 *  16  long writer pid
 *  24  long start timestamp  epoch ms at which the writer created the file
 *  32  long writer start     epoch ms at which the writer process started (0 if unknown);
 *                            tells a reused pid from the writer that has died
 *  40  ... reserved up to {@link #HEADER_LENGTH}
 *  {@link #HEADER_LENGTH}          metadata buffer
 *  {@link #HEADER_LENGTH} + meta   values buffer
 * </pre>
 * All fields are in the host's byte order (the file never leaves the machine). Labels are UTF-8.
 * <p>
 * A Sluice counter's key (Agrona allows 112 bytes) holds {@code long key} at
 * {@link #KEY_KEY_OFFSET} and {@code int item} at {@link #KEY_ITEM_OFFSET}.
 */
public final class CountersLayout
{
    public static final int MAGIC = 0x534c4354;
    /** Bump when a field moves or changes meaning; readers refuse versions they do not know. */
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int METADATA_LENGTH_OFFSET = 8;
    public static final int VALUES_LENGTH_OFFSET = 12;
    public static final int WRITER_PID_OFFSET = 16;
    public static final int START_TIMESTAMP_OFFSET = 24;
    public static final int WRITER_PROCESS_START_OFFSET = 32;
    /** Two cache lines, so that the buffers after it start cache-line (and counter) aligned. */
    public static final int HEADER_LENGTH = 128;

    public static final int KEY_KEY_OFFSET = 0;
    public static final int KEY_ITEM_OFFSET = 8;
    public static final int KEY_LENGTH = 12;

    /** Bounds the file to ~640 MB; a gateway with more counters than this has a leak, not a need. */
    public static final int MAX_COUNTERS_LIMIT = 1 << 20;

    private CountersLayout()
    {
    }

    public static int metadataLength(final int maxCounters)
    {
        return maxCounters * CountersReader.METADATA_LENGTH;
    }

    public static int valuesLength(final int maxCounters)
    {
        return maxCounters * CountersReader.COUNTER_LENGTH;
    }

    public static long fileLength(final int metadataLength, final int valuesLength)
    {
        return (long)HEADER_LENGTH + metadataLength + valuesLength;
    }

    public static long metadataOffset()
    {
        return HEADER_LENGTH;
    }

    public static long valuesOffset(final int metadataLength)
    {
        return (long)HEADER_LENGTH + metadataLength;
    }
}
