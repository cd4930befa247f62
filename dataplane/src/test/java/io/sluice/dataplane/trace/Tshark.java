package io.sluice.dataplane.trace;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs tshark on a capture file, as the independent reader of what the capture wrote. */
final class Tshark
{
    static final Path TSHARK = Path.of("/usr/bin/tshark");
    /** Checksum validation is off in tshark by default; a capture test wants it on. */
    private static final List<String> CHECK_CHECKSUMS = List.of("-o", "ip.check_checksum:TRUE", "-o",
        "udp.check_checksum:TRUE");

    private Tshark()
    {
    }

    /** Skips the calling test, saying why, when tshark is not installed. */
    static void assumeInstalled()
    {
        if (!Files.isExecutable(TSHARK))
        {
            System.out.println("SKIPPED: " + TSHARK + " is missing; install tshark to check captures independently");
        }
        Assumptions.assumeTrue(Files.isExecutable(TSHARK), TSHARK + " is missing");
    }

    /** One line per frame, the fields separated by '|'. */
    static List<String> fields(final Path capture, final String... fields) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of(TSHARK.toString(), "-n", "-r", capture.toString()));
        command.addAll(CHECK_CHECKSUMS);
        command.addAll(List.of("-T", "fields", "-E", "separator=|"));
        for (final String field : fields)
        {
            command.add("-e");
            command.add(field);
        }
        final String out = run(command);
        return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    /** The full dissection, as a person would read it. */
    static String verbose(final Path capture) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of(TSHARK.toString(), "-n", "-r", capture.toString()));
        command.addAll(CHECK_CHECKSUMS);
        command.add("-V");
        return run(command);
    }

    private static String run(final List<String> command) throws IOException, InterruptedException
    {
        final Path stderr = Files.createTempFile("tshark", ".err");
        try
        {
            final Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            try
            {
                final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(60, TimeUnit.SECONDS))
                {
                    throw new AssertionError("tshark did not finish in 60 s: " + command);
                }
                final String err = Files.readString(stderr);
                if (process.exitValue() != 0 || err.contains("appears to be damaged") || err.contains("cut short"))
                {
                    throw new AssertionError("tshark failed (exit " + process.exitValue() + ") on " + command + ":\n" + err);
                }
                return out.strip();
            }
            finally
            {
                process.destroyForcibly();
            }
        }
        finally
        {
            Files.deleteIfExists(stderr);
        }
    }
}
