package io.sluice.tools.bench;

import io.sluice.ffi.libc.Libc;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The crypto limit, measured on the forwarder's CPU in the same run as the forwarding: what
 * {@code openssl speed} does per packet for an algorithm and size, and what the JCE cipher does
 * alone in a small loop in this JVM (init with a fresh nonce, AAD, encrypt, tag; for CBC suites
 * the HMAC over the ciphertext), one packet at a time. An ESP scenario's rate over these is what
 * ESP costs on top of its cipher.
 * <p>
 * The bytes per packet are what ESP in tunnel mode encrypts for a frame of that size: its IPv4
 * packet (the frame less 14 bytes of Ethernet and 4 of FCS) plus the 2-byte ESP trailer, padded to
 * the cipher's block (at least 4). For IMIX the per-packet times of 64, 570 and 1518-byte frames
 * are mixed 7:4:1. Rates are reported in packets per second and, so that they compare with the
 * forwarding numbers, in Gbit/s of the frames those packets came in ({@code gbps}); {@code
 * cipherGbps} counts the encrypted bytes, as openssl does. Both count per second of the measuring
 * thread's CPU time (openssl speed's default; the JCE loop reads its thread's CPU clock), so that
 * other load on a shared machine stretches a measurement rather than lowering its rate.
 */
final class CryptoBaseline
{
    /**
     * An ESP algorithm as the baselines measure it.
     *
     * @param name    as the ESP benchmarks and scenarios name it
     * @param cipher  the JCE transformation
     * @param mac     the JCE HMAC for CBC suites, or null for AEADs
     * @param key     cipher key bytes
     * @param iv      nonce or IV bytes
     * @param block   the cipher's block (1 for stream/AEAD)
     * @param openssl the {@code openssl speed} arguments, one list per step (cipher, then HMAC)
     */
    record Algorithm(String name, String cipher, String mac, int key, int iv, int block, List<List<String>> openssl)
    {
        boolean aead()
        {
            return mac == null;
        }
    }

    static final List<Algorithm> ALGORITHMS = List.of(
        new Algorithm("aes-gcm-128", "AES/GCM/NoPadding", null, 16, 12, 1,
            List.of(List.of("-aead", "-evp", "aes-128-gcm"))),
        new Algorithm("aes-gcm-256", "AES/GCM/NoPadding", null, 32, 12, 1,
            List.of(List.of("-aead", "-evp", "aes-256-gcm"))),
        new Algorithm("chacha20-poly1305", "ChaCha20-Poly1305", null, 32, 12, 1,
            List.of(List.of("-aead", "-evp", "chacha20-poly1305"))),
        new Algorithm("aes-cbc-256/hmac-sha256", "AES/CBC/NoPadding", "HmacSHA256", 32, 16, 16,
            List.of(List.of("-evp", "aes-256-cbc"), List.of("-hmac", "sha256"))),
        new Algorithm("3des/hmac-md5", "DESede/CBC/NoPadding", "HmacMD5", 24, 8, 8,
            List.of(List.of("-evp", "des-ede3-cbc"), List.of("-hmac", "md5"))));

    /** One algorithm at one frame size: openssl's and the JCE's packets per second (millions). */
    record Point(String algorithm, FrameSize size, double plaintextBytes, double opensslMpps, double jceMpps)
    {
        double opensslGbps()
        {
            return opensslMpps * size.meanBytes() * 8 / 1000;
        }

        double jceGbps()
        {
            return jceMpps * size.meanBytes() * 8 / 1000;
        }

        String json()
        {
            return "{\"algorithm\":" + Json.quote(algorithm) + ",\"size\":" + size.json() + ",\"plaintextBytes\":" +
                Stats.num(plaintextBytes) +
                ",\"openssl\":{\"mpps\":" + Stats.num(opensslMpps) + ",\"gbps\":" + Stats.num(opensslGbps()) +
                ",\"cipherGbps\":" + Stats.num(opensslMpps * plaintextBytes * 8 / 1000) + "}" +
                ",\"jce\":{\"mpps\":" + Stats.num(jceMpps) + ",\"gbps\":" + Stats.num(jceGbps()) +
                ",\"cipherGbps\":" + Stats.num(jceMpps * plaintextBytes * 8 / 1000) + "}}";
        }
    }

    record Result(int cpu, String openssl, String jdk, List<Point> points)
    {
        String json()
        {
            final StringBuilder sb = new StringBuilder("{\"cpu\":").append(cpu).append(",\"openssl\":")
                .append(Json.quote(openssl)).append(",\"jdk\":").append(Json.quote(jdk)).append(",\"points\":[");
            for (int i = 0; i < points.size(); i++)
            {
                sb.append(i > 0 ? "," : "").append(points.get(i).json());
            }
            return sb.append("]}").toString();
        }

        String text()
        {
            final StringBuilder sb = new StringBuilder();
            for (final Point p : points)
            {
                sb.append(String.format(Locale.ROOT,
                    "  crypto %-24s %5s (%.0f B encrypted): openssl %.3f Mpps %.2f Gbit/s, JCE %.3f Mpps %.2f Gbit/s%n",
                    p.algorithm(), p.size().label(), p.plaintextBytes(), p.opensslMpps(), p.opensslGbps(), p.jceMpps(),
                    p.jceGbps()));
            }
            return sb.toString();
        }
    }

    /** An algorithm's first JCE loops in this JVM warm up this long at least: C2 takes seconds on a busy VM ... */
    static final int FIRST_WARMUP_MS = 2000;
    /** ... and this long at most. */
    static final int FIRST_WARMUP_MAX_MS = 8000;
    /** Slices without improvement that end a warm-up. */
    static final int PLATEAU_SLICES = 5;
    private static final java.util.Set<String> WARMED = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Then each length's loop warms up for at least this long (two slices in the interpreter agree too) ... */
    static final int WARMUP_MIN_MS = 300;
    /** ... in slices of this long, until they stop improving by more than ... */
    static final int WARMUP_SLICE_MS = 150;
    /** ... this fraction ... */
    static final double WARMUP_STEADY = 0.08;
    /** ... or for this long at most. */
    static final int WARMUP_MAX_MS = 2000;

    private CryptoBaseline()
    {
    }

    static Algorithm algorithm(final String name)
    {
        for (final Algorithm a : ALGORITHMS)
        {
            if (a.name().equals(name))
            {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown algorithm '" + name + "'; expected one of " +
            ALGORITHMS.stream().map(Algorithm::name).toList());
    }

    /** What ESP in tunnel mode encrypts for a frame of {@code wire} bytes: IPv4 packet + trailer, padded. */
    static int plaintextBytes(final int wire, final Algorithm a)
    {
        final int align = Math.max(4, a.block());
        final int n = wire - 18 + 2;
        return (n + align - 1) / align * align;
    }

    /**
     * Measures each algorithm at each size: openssl for {@code opensslSeconds} per step and length,
     * the JCE loop for {@code jceMs} after a warm-up, both on {@code cpu}.
     */
    static Result measure(
        final List<String> algorithms, final List<FrameSize> sizes, final int opensslSeconds, final int jceMs,
        final int cpu) throws InterruptedException
    {
        final Map<String, Double> opensslCache = new HashMap<>();
        final Map<String, Double> jceCache = new HashMap<>();
        final List<Point> points = new ArrayList<>();
        for (final String name : algorithms)
        {
            final Algorithm a = algorithm(name);
            for (final FrameSize size : sizes)
            {
                double opensslTime = 0;
                double jceTime = 0;
                double bytes = 0;
                int frames = 0;
                for (int k = 0; k < size.sizes().length; k++)
                {
                    final int len = plaintextBytes(size.sizes()[k], a);
                    final String key = a.name() + "/" + len;
                    Double o = opensslCache.get(key);
                    if (o == null)
                    {
                        o = opensslPps(a, len, opensslSeconds, cpu);
                        opensslCache.put(key, o);
                    }
                    Double j = jceCache.get(key);
                    if (j == null)
                    {
                        j = jcePps(a, len, jceMs, cpu);
                        jceCache.put(key, j);
                    }
                    final int w = size.weight()[k];
                    opensslTime += w / o;
                    jceTime += w / j;
                    bytes += (double)w * len;
                    frames += w;
                }
                points.add(new Point(a.name(), size, bytes / frames, Stats.round4(frames / opensslTime / 1e6),
                    Stats.round4(frames / jceTime / 1e6)));
            }
        }
        return new Result(cpu, opensslVersion(), System.getProperty("java.vm.name") + " " +
            System.getProperty("java.version"), points);
    }

    /** Packets per second of {@code openssl speed} for one length, the steps' times added; NaN without openssl. */
    static double opensslPps(final Algorithm a, final int len, final int seconds, final int cpu)
        throws InterruptedException
    {
        double time = 0;
        for (final List<String> step : a.openssl())
        {
            final List<String> cmd = new ArrayList<>();
            if (BenchLab.which("taskset") != null)
            {
                cmd.addAll(List.of("taskset", "-c", Integer.toString(cpu)));
            }
            cmd.addAll(List.of("openssl", "speed", "-mr", "-seconds", Integer.toString(seconds), "-bytes",
                Integer.toString(len)));
            cmd.addAll(step);
            String out = "";
            double pps = Double.NaN;
            // openssl counts CPU time in 10 ms ticks: starved by other load it can report 0 s; try again
            for (int attempt = 0; attempt < 3 && Double.isNaN(pps); attempt++)
            {
                out = runQuietly(cmd, seconds + 30);
                pps = parseOpensslPps(out);
            }
            if (Double.isNaN(pps))
            {
                System.err.println("sluice bench: openssl speed " + String.join(" ", step) + " gave no rate: " +
                    out.strip());
                return Double.NaN;
            }
            time += 1 / pps;
        }
        return 1 / time;
    }

    /** From {@code openssl speed -mr}: {@code +R:COUNT:NAME:SECONDS} is COUNT operations in SECONDS. */
    static double parseOpensslPps(final String out)
    {
        for (final String line : out.split("\n"))
        {
            if (line.startsWith("+R:"))
            {
                final String[] f = line.trim().split(":");
                if (f.length >= 4)
                {
                    final double secs = Double.parseDouble(f[f.length - 1]);
                    return secs >= 0.1 ? Long.parseLong(f[1]) / secs : Double.NaN;
                }
            }
        }
        return Double.NaN;
    }

    private static String opensslVersion()
    {
        try
        {
            return runQuietly(List.of("openssl", "version"), 10).strip();
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static String runQuietly(final List<String> cmd, final int timeoutSeconds) throws InterruptedException
    {
        try
        {
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            final byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
            }
            return new String(out, StandardCharsets.UTF_8);
        }
        catch (final IOException e)
        {
            return "cannot run " + String.join(" ", cmd) + ": " + e.getMessage();
        }
    }

    /** Packets per second of the JCE loop for one length, on a thread pinned to {@code cpu}. */
    static double jcePps(final Algorithm a, final int len, final int ms, final int cpu) throws InterruptedException
    {
        final double[] result = {Double.NaN};
        final Thread t = new Thread(() ->
        {
            try
            {
                Libc.pinCurrentThread(cpu);
            }
            catch (final RuntimeException e)
            {
                // unpinned is still a number, if a noisier one
            }
            try
            {
                if (WARMED.add(a.name()))
                {
                    // the first time: short and long packets in turn, so that C2 compiles the paths of both
                    warmUp(new JceLoop(a, 1504), FIRST_WARMUP_MS / 2, FIRST_WARMUP_MAX_MS / 2);
                    warmUp(new JceLoop(a, 48), FIRST_WARMUP_MS / 2, FIRST_WARMUP_MAX_MS / 2);
                }
                final JceLoop loop = new JceLoop(a, len);
                warmUp(loop, WARMUP_MIN_MS, WARMUP_MAX_MS);
                // per second of this thread's CPU time, as openssl speed counts by default: other load on
                // the machine then stretches the measurement instead of lowering the rate
                final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
                final long cpu0 = threads.getCurrentThreadCpuTime();
                final long n = loop.run(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms));
                final long used = threads.getCurrentThreadCpuTime() - cpu0;
                result[0] = used > 0 ? n * 1e9 / used : Double.NaN;
            }
            catch (final GeneralSecurityException e)
            {
                System.err.println("sluice bench: JCE " + a.name() + ": " + e);
            }
        }, "crypto-baseline-" + a.name());
        t.start();
        t.join();
        return result[0];
    }

    /**
     * Runs the loop until its rate stops improving (no slice more than a few percent above the best
     * so far for {@link #PLATEAU_SLICES} slices), for {@code minMs} to {@code maxMs}: until then it
     * measures the interpreter and the JIT compilers at work.
     */
    private static void warmUp(final JceLoop loop, final int minMs, final int maxMs) throws GeneralSecurityException
    {
        final long start = System.nanoTime();
        final long end = start + TimeUnit.MILLISECONDS.toNanos(maxMs);
        final long least = start + TimeUnit.MILLISECONDS.toNanos(minMs);
        double best = 0;
        int flat = 0;
        while (System.nanoTime() < end)
        {
            final long t0 = System.nanoTime();
            final double rate = loop.run(t0 + TimeUnit.MILLISECONDS.toNanos(WARMUP_SLICE_MS)) /
                (double)(System.nanoTime() - t0);
            if (rate > best * (1 + WARMUP_STEADY))
            {
                best = rate;
                flat = 0;
            }
            else if (++flat >= PLATEAU_SLICES && t0 > least)
            {
                return;
            }
        }
    }

    /** One packet at a time, as ESP would: a fresh nonce or IV per packet, the SPI and sequence as AAD. */
    static final class JceLoop
    {
        private final Algorithm a;
        private final Cipher cipher;
        private final Mac mac;
        private final SecretKeySpec key;
        private final byte[] iv;
        private final byte[] in;
        private final byte[] out;
        private final byte[] aad = new byte[8];
        private final byte[] tag = new byte[64];

        JceLoop(final Algorithm a, final int len) throws GeneralSecurityException
        {
            this.a = a;
            this.cipher = Cipher.getInstance(a.cipher());
            final byte[] k = new byte[a.key()];
            for (int i = 0; i < k.length; i++)
            {
                k[i] = (byte)(i * 7 + 1);
            }
            final String keyAlgorithm = a.cipher().substring(0, a.cipher().indexOf('/') < 0 ? a.cipher().length() :
                a.cipher().indexOf('/'));
            this.key = new SecretKeySpec(k, keyAlgorithm.startsWith("ChaCha20") ? "ChaCha20" : keyAlgorithm);
            if (a.mac() != null)
            {
                this.mac = Mac.getInstance(a.mac());
                this.mac.init(new SecretKeySpec(new byte[32], a.mac()));
            }
            else
            {
                this.mac = null;
            }
            this.iv = new byte[a.iv()];
            this.in = new byte[len];
            this.out = new byte[len + 64];
        }

        /** Encrypts packets until {@code deadline}; how many. */
        long run(final long deadline) throws GeneralSecurityException
        {
            long n = 0;
            long counter = 0;
            while (true)
            {
                for (int i = 0; i < 64; i++)
                {
                    counter++;
                    for (int b = 0; b < 8; b++)
                    {
                        iv[iv.length - 1 - b] = (byte)(counter >>> (8 * b));
                        aad[7 - b] = (byte)(counter >>> (8 * b));
                    }
                    if (a.aead())
                    {
                        cipher.init(Cipher.ENCRYPT_MODE, key, a.cipher().startsWith("AES/GCM") ?
                            new GCMParameterSpec(128, iv) : new IvParameterSpec(iv));
                        cipher.updateAAD(aad);
                        cipher.doFinal(in, 0, in.length, out, 0);
                    }
                    else
                    {
                        cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
                        final int c = cipher.doFinal(in, 0, in.length, out, 0);
                        mac.update(aad);
                        mac.update(out, 0, c);
                        mac.doFinal(tag, 0);
                    }
                }
                n += 64;
                if (System.nanoTime() >= deadline)
                {
                    return n;
                }
            }
        }
    }
}
