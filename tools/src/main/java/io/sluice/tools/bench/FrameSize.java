package io.sluice.tools.bench;

import java.util.List;

/**
 * The frames a measurement sends: one size on the wire (with the 4-byte FCS, as RFC 2544 counts
 * it: 64 hands 60 bytes to the interface), or the simple IMIX of 64, 570 and 1518-byte frames in
 * the ratio 7:4:1 that the generator ({@code xdp_gen --size imix}) interleaves by sequence number.
 *
 * @param label  what the command line and the JSON say: "64", "1400", "imix"
 * @param sizes  the wire sizes in the mix
 * @param weight how many of each size in one period of the mix
 */
public record FrameSize(String label, int[] sizes, int[] weight)
{
    public static final int MIN = 64;
    public static final int MAX = 1518;
    public static final FrameSize IMIX = new FrameSize("imix", new int[]{64, 570, 1518}, new int[]{7, 4, 1});
    /** What {@code sluice bench all} measures. */
    public static final List<FrameSize> STANDARD = List.of(of(64), of(512), of(1400), IMIX);

    public static FrameSize of(final int wireBytes)
    {
        if (wireBytes < MIN || wireBytes > MAX)
        {
            throw new IllegalArgumentException("--size " + wireBytes + " out of range " + MIN + ".." + MAX);
        }
        return new FrameSize(Integer.toString(wireBytes), new int[]{wireBytes}, new int[]{1});
    }

    /** {@code 64}..{@code 1518} or {@code imix}. */
    public static FrameSize parse(final String text)
    {
        if (text.equalsIgnoreCase("imix"))
        {
            return IMIX;
        }
        try
        {
            return of(Integer.parseInt(text));
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException("--size " + text + ": expected a frame size " + MIN + ".." + MAX +
                " or imix");
        }
    }

    public boolean imix()
    {
        return sizes.length > 1;
    }

    /** The mean wire size of a frame of the mix (353.8 for IMIX). */
    public double meanBytes()
    {
        long bytes = 0;
        long frames = 0;
        for (int i = 0; i < sizes.length; i++)
        {
            bytes += (long)sizes[i] * weight[i];
            frames += weight[i];
        }
        return (double)bytes / frames;
    }

    /** The size as JSON: a number, or "imix". */
    public String json()
    {
        return imix() ? "\"" + label + "\"" : label;
    }

    /** For sorting and charts: sizes by their mean, IMIX after the fixed ones. */
    public int order()
    {
        return imix() ? Integer.MAX_VALUE : sizes[0];
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof FrameSize f && f.label.equals(label);
    }

    @Override
    public int hashCode()
    {
        return label.hashCode();
    }

    @Override
    public String toString()
    {
        return label;
    }
}
