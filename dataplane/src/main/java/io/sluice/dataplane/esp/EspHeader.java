package io.sluice.dataplane.esp;

import io.sluice.dataplane.packet.Bytes;

import java.lang.foreign.MemorySegment;

/**
 * The ESP header (RFC 4303 2): SPI and the low 32 bits of the sequence number; {@code at} is its
 * first byte. The IV follows, then the encrypted payload and trailer, then the ICV. Also the
 * constants of UDP encapsulation (RFC 3948).
 */
public final class EspHeader
{
    public static final int SPI = 0;
    public static final int SEQUENCE = 4;
    public static final int LENGTH = 8;

    /** The trailer's fixed part: pad length and next header. */
    public static final int TRAILER = 2;

    /** Next header values carried in the trailer. */
    public static final int NEXT_HEADER_IPV4 = 4;
    public static final int NEXT_HEADER_IPV6 = 41;
    /** "No next header": a dummy packet (RFC 4303 2.6). */
    public static final int NEXT_HEADER_NONE = 59;

    /** IKE and ESP-in-UDP share this port (RFC 3948); ESP there starts with a non-zero SPI. */
    public static final int NAT_T_PORT = 4500;
    /** The 4 zero bytes that mark IKE (not ESP) on port 4500. */
    public static final int NON_ESP_MARKER = 0;

    private EspHeader()
    {
    }

    public static int spi(final MemorySegment m, final long at)
    {
        return Bytes.u32(m, at + SPI);
    }

    /** The low 32 bits of the sequence number as carried. */
    public static int sequence(final MemorySegment m, final long at)
    {
        return Bytes.u32(m, at + SEQUENCE);
    }

    public static void write(final MemorySegment m, final long at, final int spi, final int sequenceLow)
    {
        Bytes.u32(m, at + SPI, spi);
        Bytes.u32(m, at + SEQUENCE, sequenceLow);
    }
}
