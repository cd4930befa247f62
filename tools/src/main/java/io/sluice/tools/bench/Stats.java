package io.sluice.tools.bench;

import java.util.Arrays;
import java.util.Locale;

/** Median, minimum and maximum of one quantity over the runs. */
public record Stats(double median, double min, double max)
{
    public static final Stats NONE = new Stats(0, 0, 0);

    public static Stats of(final double[] values)
    {
        if (values.length == 0)
        {
            return NONE;
        }
        final double[] v = values.clone();
        Arrays.sort(v);
        final int n = v.length;
        final double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return new Stats(round4(median), round4(v[0]), round4(v[n - 1]));
    }

    static double round4(final double v)
    {
        return Math.round(v * 1e4) / 1e4;
    }

    /** A number as JSON: four decimals, or null when there is none (NaN is not JSON). */
    static String num(final double v)
    {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "null";
    }

    String json()
    {
        return "{\"median\":" + num(median) + ",\"min\":" + num(min) + ",\"max\":" + num(max) + "}";
    }
}
