package io.sluice.dataplane.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A classic pcap file (microsecond timestamps, linktype 1: Ethernet) of frames a test captured,
 * for tshark. Written independently of the dataplane's own PcapWriter, so a wire check does not
 * rest on the code it checks.
 */
public final class TestPcap
{
    private TestPcap()
    {
    }

    public static Path write(final Path dir, final String name, final List<byte[]> frames) throws IOException
    {
        int size = 24;
        for (final byte[] f : frames)
        {
            size += 16 + f.length;
        }
        final ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65535).putInt(1);
        int second = 1_700_000_000;
        for (final byte[] f : frames)
        {
            b.putInt(second++).putInt(0).putInt(f.length).putInt(f.length).put(f);
        }
        final Path file = dir.resolve(name + ".pcap");
        Files.write(file, b.array());
        return file;
    }
}
