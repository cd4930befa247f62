package io.sluice.dataplane.trace;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes a classic pcap file (libpcap 2.4, the format every tshark, Wireshark and tcpdump reads),
 * little-endian, through a preallocated staging buffer so that writing a record allocates nothing.
 * <p>
 * Timestamps: {@link Resolution#MICROSECONDS} by default (magic {@code 0xa1b2c3d4}), because
 * every reader of pcap knows it; {@link Resolution#NANOSECONDS} (magic {@code 0xa1b23c4d}) when
 * the order of frames a few hundred nanoseconds apart matters, which tshark and Wireshark read
 * too. Records carry the epoch time given to {@link #write}, taken by the worker when it
 * captured the frame.
 * <p>
 * The file is created 0600: behind a VPN gateway's ports and stages are the decrypted packets.
 * One thread writes; the data path never calls this directly (see {@link CaptureRecorder}).
 */
public final class PcapWriter implements AutoCloseable
{
    /** The precision of record timestamps, and the magic number that tells readers which. */
    public enum Resolution
    {
        MICROSECONDS(0xa1b2c3d4, 1_000),
        NANOSECONDS(0xa1b23c4d, 1);

        private final int magic;
        private final int nanosPerUnit;

        Resolution(final int magic, final int nanosPerUnit)
        {
            this.magic = magic;
            this.nanosPerUnit = nanosPerUnit;
        }

        public int magic()
        {
            return magic;
        }
    }

    public static final int GLOBAL_HEADER_LENGTH = 24;
    public static final int RECORD_HEADER_LENGTH = 16;
    public static final int VERSION_MAJOR = 2;
    public static final int VERSION_MINOR = 4;
    /** The classic default: whole frames up to 64 KiB, which covers every MTU Sluice runs with. */
    public static final int DEFAULT_SNAP_LENGTH = 65_535;
    public static final int MAX_SNAP_LENGTH = 262_144;

    private static final int MIN_STAGING_LENGTH = 256 * 1024;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final Set<PosixFilePermission> FILE_PERMISSIONS = PosixFilePermissions.fromString("rw-------");

    private final Path file;
    private final FileChannel channel;
    private final PcapLinkType linkType;
    private final int snapLength;
    private final Resolution resolution;
    private final ByteBuffer staging;
    private final UnsafeBuffer stagingBuffer;
    private final MemorySegment stagingSegment;
    private int position;
    private long records;
    private long bytesWritten;
    private boolean closed;

    private PcapWriter(final Path file, final FileChannel channel, final PcapLinkType linkType, final int snapLength,
        final Resolution resolution)
    {
        this.file = file;
        this.channel = channel;
        this.linkType = linkType;
        this.snapLength = snapLength;
        this.resolution = resolution;
        this.staging = ByteBuffer.allocateDirect(Math.max(MIN_STAGING_LENGTH, 2 * (RECORD_HEADER_LENGTH + snapLength)))
            .order(ByteOrder.LITTLE_ENDIAN);
        this.stagingBuffer = new UnsafeBuffer(staging);
        this.stagingSegment = MemorySegment.ofBuffer(staging);
    }

    /** Creates (or truncates) a pcap file with microsecond timestamps and a 64 KiB snap length. */
    public static PcapWriter create(final Path file, final PcapLinkType linkType)
    {
        return create(file, linkType, DEFAULT_SNAP_LENGTH, Resolution.MICROSECONDS);
    }

    /**
     * Creates (or truncates) a pcap file and writes its global header.
     *
     * @param snapLength the most bytes kept of any frame; longer frames are cut, their original
     *                   length recorded
     */
    public static PcapWriter create(final Path file, final PcapLinkType linkType, final int snapLength,
        final Resolution resolution)
    {
        if (snapLength < 1 || snapLength > MAX_SNAP_LENGTH)
        {
            throw new IllegalArgumentException("snap length " + snapLength + " must be in [1, " + MAX_SNAP_LENGTH + "]");
        }
        try
        {
            final FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING),
                PosixFilePermissions.asFileAttribute(FILE_PERMISSIONS));
            try
            {
                Files.setPosixFilePermissions(file, FILE_PERMISSIONS);
                final PcapWriter writer = new PcapWriter(file, channel, linkType, snapLength, resolution);
                writer.writeGlobalHeader();
                return writer;
            }
            catch (final IOException | RuntimeException e)
            {
                channel.close();
                throw e;
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot create capture file " + file + ": " + e, e);
        }
    }

    public Path file()
    {
        return file;
    }

    public PcapLinkType linkType()
    {
        return linkType;
    }

    public int snapLength()
    {
        return snapLength;
    }

    public Resolution resolution()
    {
        return resolution;
    }

    /** Records written so far (buffered ones included). */
    public long records()
    {
        return records;
    }

    /** Bytes handed to the file so far, headers included (buffered ones not). */
    public long bytesWritten()
    {
        return bytesWritten;
    }

    /**
     * Appends a record from an Agrona buffer (a capture ring).
     *
     * @param epochNanos     when the frame was seen, nanoseconds since 1970
     * @param originalLength the frame's length on the wire
     * @param capturedLength how many of its bytes are at {@code offset}; cut to the snap length
     */
    public void write(final long epochNanos, final int originalLength, final DirectBuffer buffer, final int offset,
        final int capturedLength)
    {
        final int length = Math.min(capturedLength, snapLength);
        final int at = reserve(epochNanos, originalLength, length);
        buffer.getBytes(offset, stagingBuffer, at, length);
        position = at + length;
    }

    /** Appends a record from off-heap memory (a frame in place, in tests or a synchronous dump). */
    public void write(final long epochNanos, final int originalLength, final MemorySegment memory, final long offset,
        final int capturedLength)
    {
        final int length = Math.min(capturedLength, snapLength);
        final int at = reserve(epochNanos, originalLength, length);
        MemorySegment.copy(memory, offset, stagingSegment, at, length);
        position = at + length;
    }

    /** Hands buffered records to the file, so a reader of the file sees them. */
    public void flush()
    {
        if (position == 0)
        {
            return;
        }
        staging.clear().limit(position);
        try
        {
            while (staging.hasRemaining())
            {
                bytesWritten += channel.write(staging);
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot write capture file " + file + ": " + e, e);
        }
        finally
        {
            position = 0;
            staging.clear();
        }
    }

    /** Flushes and closes the file. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            flush();
        }
        finally
        {
            try
            {
                channel.close();
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException("cannot close capture file " + file + ": " + e, e);
            }
        }
    }

    @Override
    public String toString()
    {
        return "PcapWriter{" + file + ", " + linkType + ", snap " + snapLength + ", " + records + " records}";
    }

    private void writeGlobalHeader() throws IOException
    {
        stagingBuffer.putInt(0, resolution.magic, ByteOrder.LITTLE_ENDIAN);
        stagingBuffer.putShort(4, (short)VERSION_MAJOR, ByteOrder.LITTLE_ENDIAN);
        stagingBuffer.putShort(6, (short)VERSION_MINOR, ByteOrder.LITTLE_ENDIAN);
        stagingBuffer.putInt(8, 0, ByteOrder.LITTLE_ENDIAN); // thiszone: timestamps are UTC
        stagingBuffer.putInt(12, 0, ByteOrder.LITTLE_ENDIAN); // sigfigs: always 0
        stagingBuffer.putInt(16, snapLength, ByteOrder.LITTLE_ENDIAN);
        stagingBuffer.putInt(20, linkType.value(), ByteOrder.LITTLE_ENDIAN);
        position = GLOBAL_HEADER_LENGTH;
        flush();
    }

    /** Writes the record header, flushing first if the record would not fit; returns where its data goes. */
    private int reserve(final long epochNanos, final int originalLength, final int capturedLength)
    {
        if (closed)
        {
            throw new IllegalStateException("capture file " + file + " is closed");
        }
        if (position + RECORD_HEADER_LENGTH + capturedLength > staging.capacity())
        {
            flush();
        }
        final int at = position;
        final long seconds = Math.floorDiv(epochNanos, NANOS_PER_SECOND);
        final long fraction = Math.floorMod(epochNanos, NANOS_PER_SECOND) / resolution.nanosPerUnit;
        stagingBuffer.putInt(at, (int)seconds, ByteOrder.LITTLE_ENDIAN);
        stagingBuffer.putInt(at + 4, (int)fraction, ByteOrder.LITTLE_ENDIAN);
        stagingBuffer.putInt(at + 8, capturedLength, ByteOrder.LITTLE_ENDIAN);
        stagingBuffer.putInt(at + 12, Math.max(originalLength, capturedLength), ByteOrder.LITTLE_ENDIAN);
        records++;
        return at + RECORD_HEADER_LENGTH;
    }
}
