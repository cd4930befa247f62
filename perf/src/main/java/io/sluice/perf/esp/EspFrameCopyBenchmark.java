package io.sluice.perf.esp;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * ns per packet of the copy {@link EspBenchmark}'s ESP benchmarks start each packet with (the
 * packet or the ESP packet into its frame): the harness's cost, to subtract from theirs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class EspFrameCopyBenchmark
{
    /** The bytes copied: the inner packet (encrypt); the ESP packet is 40-60 bytes longer (decrypt). */
    @Param({"64", "512", "1400"})
    public int size;

    private Arena arena;
    private MemorySegment frames;
    private MemorySegment source;

    @Setup(Level.Trial)
    public void setUp()
    {
        arena = Arena.ofShared();
        frames = arena.allocate((long)EspBenchmark.FRAME * EspBenchmark.BURST, 4096);
        source = arena.allocate((long)EspBenchmark.FRAME * EspBenchmark.BURST, 4096);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(EspBenchmark.BURST)
    public byte frameCopy()
    {
        for (int i = 0; i < EspBenchmark.BURST; i++)
        {
            final long at = (long)i * EspBenchmark.FRAME + EspBenchmark.HEADROOM;
            MemorySegment.copy(source, at, frames, at, size);
        }
        return frames.get(ValueLayout.JAVA_BYTE, EspBenchmark.HEADROOM);
    }
}
