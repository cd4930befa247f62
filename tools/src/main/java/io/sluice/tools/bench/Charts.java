package io.sluice.tools.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * PNG line charts of a {@code bench all} run, drawn with Java2D headless: throughput by frame size,
 * one line per system (the median over the runs, a bar from minimum to maximum), in Mpps and in
 * Gbit/s; the Gbit/s chart adds the crypto limit (openssl and the JCE cipher, dashed) when it was
 * measured.
 */
final class Charts
{
    static final int WIDTH = 1100;
    static final int HEIGHT = 620;
    private static final Color[] PALETTE = {
        new Color(0x33, 0x33, 0x33), new Color(0x1f, 0x77, 0xb4), new Color(0x2c, 0xa0, 0x2c),
        new Color(0xd6, 0x27, 0x28), new Color(0x94, 0x67, 0xbd), new Color(0xff, 0x7f, 0x0e),
        new Color(0x8c, 0x56, 0x4b), new Color(0xe3, 0x77, 0xc2), new Color(0x17, 0xbe, 0xcf),
        new Color(0xbc, 0xbd, 0x22)};

    private static final String FOOTNOTE = "line: median of runs; bar: min-max";

    /** One line: a value per x position (NaN: no point), with its minimum and maximum. */
    record Series(String name, double[] median, double[] min, double[] max, boolean dashed)
    {
    }

    private Charts()
    {
    }

    /** Draws the run's charts into {@code dir}; the files written. */
    static List<Path> write(final BenchAll.Outcome out, final Path dir)
    {
        System.setProperty("java.awt.headless", "true");
        final List<FrameSize> sizes = out.config().sizes();
        final List<String> x = sizes.stream().map(s -> s.imix() ? "IMIX" : s.label()).toList();
        final String xLabel = "frame size, bytes on the wire (IMIX: 64/570/1518 mixed 7:4:1)";
        final List<Path> files = new ArrayList<>();
        final List<Series> mpps = new ArrayList<>();
        final List<Series> gbps = new ArrayList<>();
        for (final Scenario.Dut d : Scenario.dutsOf(out.config().scenarios()))
        {
            if (d.esp() != null)
            {
                continue; // measured at one or two sizes: the ESP chart below
            }
            final double[][] m = new double[3][sizes.size()];
            final double[][] g = new double[3][sizes.size()];
            boolean any = false;
            for (int i = 0; i < sizes.size(); i++)
            {
                final FrameSize size = sizes.get(i);
                final List<IoBench.Measurement> ms = out.measurements().stream()
                    .filter(v -> v.name().equals(d.name()) && v.size().equals(size)).toList();
                any |= !ms.isEmpty();
                final Stats sm = ms.isEmpty() ? null : Stats.of(ms.stream().mapToDouble(IoBench.Measurement::forwardedMpps).toArray());
                final Stats sg = ms.isEmpty() ? null : Stats.of(ms.stream().mapToDouble(IoBench.Measurement::gbps).toArray());
                fill(m, i, sm);
                fill(g, i, sg);
            }
            if (any)
            {
                mpps.add(new Series(d.name(), m[0], m[1], m[2], false));
                gbps.add(new Series(d.name(), g[0], g[1], g[2], false));
            }
        }
        if (!mpps.isEmpty())
        {
            files.add(draw(dir.resolve("throughput-mpps.png"), "Forwarding rate by frame size (one forwarder core)",
                xLabel, "million packets per second", x, mpps));
        }
        if (!gbps.isEmpty())
        {
            files.add(draw(dir.resolve("throughput-gbps.png"), "Throughput by frame size (one forwarder core)",
                xLabel, "Gbit/s (frames as sent, FCS included)", x, gbps));
        }
        if (out.crypto() != null && !out.crypto().points().isEmpty())
        {
            // the crypto limit per algorithm, with the forwarding limits of this run for scale
            final List<Series> crypto = new ArrayList<>();
            for (final Series s : gbps)
            {
                if (s.name().equals(Scenario.C_AFXDP.name()) || s.name().equals(Scenario.SLUICE_IO.name()))
                {
                    crypto.add(s);
                }
            }
            final List<String> algorithms = out.crypto().points().stream().map(CryptoBaseline.Point::algorithm)
                .distinct().toList();
            for (final String algorithm : algorithms)
            {
                final double[] openssl = new double[sizes.size()];
                final double[] jce = new double[sizes.size()];
                for (int i = 0; i < sizes.size(); i++)
                {
                    openssl[i] = Double.NaN;
                    jce[i] = Double.NaN;
                    for (final CryptoBaseline.Point p : out.crypto().points())
                    {
                        if (p.algorithm().equals(algorithm) && p.size().equals(sizes.get(i)))
                        {
                            openssl[i] = p.opensslGbps();
                            jce[i] = p.jceGbps();
                        }
                    }
                }
                crypto.add(new Series("openssl " + algorithm, openssl, openssl, openssl, true));
                crypto.add(new Series("JCE " + algorithm, jce, jce, jce, true));
            }
            files.add(draw(dir.resolve("crypto-gbps.png"), "Crypto limit by frame size (one core, ESP tunnel-mode bytes)",
                xLabel, "Gbit/s of frames the cipher alone could carry", x, crypto));
        }
        final Path esp = espChart(out, dir);
        if (esp != null)
        {
            files.add(esp);
        }
        return files;
    }

    /**
     * ESP at 1400 B and IMIX: the AES-GCM-128 and GRE over ESP forwarders, Sluice's io forward for
     * scale, and the VPNs users would run instead (strongSwan, wireguard-go) when measured.
     */
    private static Path espChart(final BenchAll.Outcome out, final Path dir)
    {
        final List<FrameSize> sizes = List.of(FrameSize.of(1400), FrameSize.IMIX);
        final List<Series> series = new ArrayList<>();
        for (final Scenario.Dut d : Scenario.dutsOf(out.config().scenarios()))
        {
            final boolean main = d.equals(Scenario.SLUICE_IO) || d.esp() != null && d.esp().suite().name().equals("gcm128");
            if (!main)
            {
                continue;
            }
            final double[][] g = new double[3][sizes.size()];
            boolean any = false;
            for (int i = 0; i < sizes.size(); i++)
            {
                final FrameSize size = sizes.get(i);
                final List<IoBench.Measurement> ms = out.measurements().stream()
                    .filter(v -> v.name().equals(d.name()) && v.size().equals(size)).toList();
                any |= !ms.isEmpty();
                fill(g, i, ms.isEmpty() ? null : Stats.of(ms.stream().mapToDouble(IoBench.Measurement::gbps).toArray()));
            }
            if (any)
            {
                series.add(new Series(d.name(), g[0], g[1], g[2], false));
            }
        }
        if (series.stream().noneMatch(s -> !s.name().equals(Scenario.SLUICE_IO.name())))
        {
            return null;
        }
        for (final VpnBaseline.Result v : out.baselines())
        {
            if (v.error() != null)
            {
                continue;
            }
            for (final String protocol : new String[]{"tcp", "udp"})
            {
                final double[] y = new double[sizes.size()];
                for (int i = 0; i < sizes.size(); i++)
                {
                    y[i] = v.gbps(protocol, sizes.get(i));
                }
                series.add(new Series(v.system() + " " + protocol.toUpperCase(java.util.Locale.ROOT), y, y, y, true));
            }
        }
        return draw(dir.resolve("esp-gbps.png"), "ESP by frame size: Sluice (one core) and the VPNs users would run",
            "frame size, bytes on the wire (IMIX: 64/570/1518 mixed 7:4:1)",
            "Gbit/s (frames, FCS included)", List.of("1400", "IMIX"), series);
    }

    private static void fill(final double[][] v, final int i, final Stats s)
    {
        v[0][i] = s == null ? Double.NaN : s.median();
        v[1][i] = s == null ? Double.NaN : s.min();
        v[2][i] = s == null ? Double.NaN : s.max();
    }

    /** A line chart with categorical x positions; y from 0. */
    static Path draw(
        final Path file, final String title, final String xLabel, final String yLabel, final List<String> x,
        final List<Series> series)
    {
        System.setProperty("java.awt.headless", "true");
        final BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();
        try
        {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);

            final Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 20);
            final Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 15);
            final Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
            final Font legendFont = new Font(Font.SANS_SERIF, Font.PLAIN, 14);

            g.setFont(legendFont);
            int legendWidth = 0;
            for (final Series s : series)
            {
                legendWidth = Math.max(legendWidth, g.getFontMetrics().stringWidth(s.name()));
            }
            legendWidth += 50;
            g.setFont(new Font(Font.SANS_SERIF, Font.ITALIC, 12));
            legendWidth = Math.max(legendWidth, g.getFontMetrics().stringWidth(FOOTNOTE) + 10);
            final int left = 90;
            final int right = WIDTH - legendWidth - 30;
            final int top = 60;
            final int bottom = HEIGHT - 80;

            double maxY = 0;
            for (final Series s : series)
            {
                for (int i = 0; i < x.size(); i++)
                {
                    final double v = Math.max(finite(s.max()[i]), finite(s.median()[i]));
                    maxY = Math.max(maxY, v);
                }
            }
            final double step = niceStep(maxY <= 0 ? 1 : maxY / 5);
            final double top0 = Math.max(step, Math.ceil(maxY * 1.05 / step) * step);

            g.setColor(Color.BLACK);
            g.setFont(titleFont);
            centered(g, title, (left + right) / 2, 35);

            // grid and y ticks
            g.setFont(tickFont);
            final FontMetrics tm = g.getFontMetrics();
            for (double v = 0; v <= top0 + step / 2; v += step)
            {
                final int py = yPixel(v, top0, top, bottom);
                g.setColor(new Color(0xe0, 0xe0, 0xe0));
                g.drawLine(left, py, right, py);
                g.setColor(Color.BLACK);
                final String t = tick(v, step);
                g.drawString(t, left - 8 - tm.stringWidth(t), py + tm.getAscent() / 2 - 1);
            }
            // axes
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1.5f));
            g.drawLine(left, top, left, bottom);
            g.drawLine(left, bottom, right, bottom);
            // x ticks
            for (int i = 0; i < x.size(); i++)
            {
                final int px = xPixel(i, x.size(), left, right);
                g.drawLine(px, bottom, px, bottom + 5);
                centered(g, x.get(i), px, bottom + 8 + tm.getAscent());
            }
            // axis labels
            g.setFont(labelFont);
            centered(g, xLabel, (left + right) / 2, HEIGHT - 25);
            final AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            centered(g, yLabel, -(top + bottom) / 2, 25);
            g.setTransform(saved);

            // series
            for (int k = 0; k < series.size(); k++)
            {
                final Series s = series.get(k);
                final Color color = PALETTE[k % PALETTE.length];
                g.setColor(color);
                final int shift = (k - series.size() / 2) * 3; // whiskers of different series side by side
                final Stroke line = s.dashed() ?
                    new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[]{8f, 6f}, 0f) :
                    new BasicStroke(2.5f);
                int prevX = -1;
                int prevY = -1;
                for (int i = 0; i < x.size(); i++)
                {
                    final double v = s.median()[i];
                    if (!Double.isFinite(v))
                    {
                        prevX = -1;
                        continue;
                    }
                    final int px = xPixel(i, x.size(), left, right) + shift;
                    final int py = yPixel(v, top0, top, bottom);
                    g.setStroke(line);
                    if (prevX >= 0)
                    {
                        g.drawLine(prevX, prevY, px, py);
                    }
                    g.setStroke(new BasicStroke(1.5f));
                    final double lo = s.min()[i];
                    final double hi = s.max()[i];
                    if (Double.isFinite(lo) && Double.isFinite(hi) && hi > lo)
                    {
                        final int y0 = yPixel(lo, top0, top, bottom);
                        final int y1 = yPixel(hi, top0, top, bottom);
                        g.drawLine(px, y0, px, y1);
                        g.drawLine(px - 4, y0, px + 4, y0);
                        g.drawLine(px - 4, y1, px + 4, y1);
                    }
                    if (s.dashed())
                    {
                        g.drawRect(px - 4, py - 4, 8, 8);
                    }
                    else
                    {
                        g.fillOval(px - 5, py - 5, 10, 10);
                    }
                    prevX = px;
                    prevY = py;
                }
            }

            // legend
            g.setFont(legendFont);
            final FontMetrics lm = g.getFontMetrics();
            int ly = top + 10;
            final int lx = right + 25;
            for (int k = 0; k < series.size(); k++)
            {
                final Series s = series.get(k);
                g.setColor(PALETTE[k % PALETTE.length]);
                g.setStroke(s.dashed() ?
                    new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[]{6f, 4f}, 0f) :
                    new BasicStroke(2.5f));
                g.drawLine(lx, ly, lx + 30, ly);
                g.setColor(Color.BLACK);
                g.drawString(s.name(), lx + 38, ly + lm.getAscent() / 2 - 1);
                ly += 24;
            }
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.ITALIC, 12));
            g.drawString(FOOTNOTE, lx, ly + 10);
        }
        finally
        {
            g.dispose();
        }
        try
        {
            ImageIO.write(image, "png", file.toFile());
        }
        catch (final IOException e)
        {
            throw new BenchException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    private static double finite(final double v)
    {
        return Double.isFinite(v) ? v : 0;
    }

    private static int xPixel(final int i, final int n, final int left, final int right)
    {
        final int margin = 50;
        return n == 1 ? (left + right) / 2 : left + margin + (int)Math.round((double)i * (right - left - 2 * margin) / (n - 1));
    }

    private static int yPixel(final double v, final double max, final int top, final int bottom)
    {
        return bottom - (int)Math.round(v / max * (bottom - top));
    }

    /** 1, 2 or 5 times a power of ten, near {@code raw}. */
    static double niceStep(final double raw)
    {
        final double p = Math.pow(10, Math.floor(Math.log10(raw)));
        final double f = raw / p;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    }

    private static String tick(final double v, final double step)
    {
        final int decimals = step >= 1 ? 0 : (int)Math.ceil(-Math.log10(step));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static void centered(final Graphics2D g, final String text, final int cx, final int y)
    {
        g.drawString(text, cx - g.getFontMetrics().stringWidth(text) / 2, y);
    }
}
